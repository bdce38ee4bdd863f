package dev.taskgroup;

import io.vertx.core.Completable;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CancellationException;
import java.util.function.BiConsumer;
import java.util.function.Function;

/**
 * The state machine behind {@link TaskGroup}; it is also the body's scope.
 *
 * <p>Lifecycle: {@code OPEN} (body and tasks run; spawn allowed) → {@code ABORTING} (cancelled: a
 * failure, the deadline, an explicit cancel or the parent; spawn rejected) → {@code COMPLETED}
 * (body and every task settled; the future is completed). An OPEN group whose body and tasks all
 * settle goes straight to COMPLETED.
 *
 * <p>Every field is written and read only on {@link #context}, except {@code cancelCause}
 * (volatile) which any thread may read.
 */
final class GroupImpl<R> extends HookedScope implements Completable<R> {
  enum State { OPEN, ABORTING, COMPLETED }

  final Vertx vertx;
  final Context context;
  final String name;
  final Timers timers;
  final Deadlines deadlines;
  final TaskGroup facade;
  private final int maxConcurrency;
  private final int maxQueued;
  private final Duration timeout;
  private final ScopeImpl parent; // null for a top-level group
  private final ResultSink sink; // null unless a pattern runs the group
  private final BiConsumer<? super Task<?>, ? super Throwable> supervisor; // null unless supervised; a pattern's sink decides instead
  private final Promise<R> promise;

  /** Whether the context runs each task on a virtual thread: every task function then runs as its own context task. */
  final boolean virtual;
  /** Whether the context is an event loop's: it always runs on one thread, whose trampoline is then kept. */
  private final boolean eventLoop;
  private Trampoline trampoline; // the event-loop thread's, once known; written and read on the context
  // The event loop's thread, once seen running the context; then it never changes. Written on the
  // context, read from any thread: a stale null only takes the full check.
  private Thread loopThread;

  State state = State.OPEN;
  private int spawned; // spawn counter: names and pattern indexes
  private int running; // tasks started and not settled
  private int queued; // PENDING tasks in the queue; a cancelled one leaves it at once
  private int attached; // nested groups and inner timeouts running in this group's scopes
  private TaskImpl<?> queueHead; // PENDING tasks past the limit, FIFO, linked through TaskImpl.prev/next
  private TaskImpl<?> queueTail;
  private Map<TaskImpl<?>, Promise<?>> queuedFutures; // future() asked of a queued task: rare, kept aside
  private boolean draining; // starting queued tasks and pulling forEach's are a loop: it never recurses
  /**
   * {@code forEach}'s iterator while the group pulls from it, else null: the iterator is the queue
   * ({@link #pull}). Dropped when it has no next, when pulling failed, and as the group stops
   * (cancelled, crashed), so it is never called again; the group completes only once it is null.
   */
  private Iterator<? extends TaskFn<?>> feed;
  private long pulled; // elements forEach took from feed (the position a null element is named by)
  /**
   * The slots of {@code forEach}'s running plain tasks ({@link PulledTask}), made at its first pull;
   * else null. Dropped as the group completes with no task running (a scope a caller kept would
   * keep it, as large as the peak ever running); kept after a crash, where a task still running
   * finds its slot when its work completes late.
   */
  PullRing ring;
  private boolean cancelling; // marked cancelled, propagation and hooks not yet run: completion waits for them
  private TaskImpl<?> liveHead; // running TaskImpls, oldest first; a settled task leaves at once (pattern tasks: pattern; forEach's plain ones: ring)
  private TaskImpl<?> liveTail;
  /**
   * The array of the pattern ({@code all}, {@code gather}, ...) that runs this group, or null: slot
   * i holds task i's function until it starts, then its {@link PatternTask} while it runs, then its
   * outcome (the pattern's sink may replace that by what it keeps). The pattern tasks' live set:
   * the group's cancellation walks it ({@link #propagate}). A task of the pattern that has to wait
   * for a free slot ({@code maxConcurrency}) is a {@link TaskImpl} in the
   * live list instead, and its slot keeps the function until the sink writes the outcome.
   */
  Object[] pattern;
  /** The pending hooks of the pattern tasks by index, made when the first registers one; else null. */
  Hook[] patternHooks;
  /**
   * The pattern's shared task deadlines ({@link BlockDeadline}) by block of indexes, each a chain,
   * made when the first timed task joins one; null when none did, and once the group completed.
   */
  BlockDeadline[] blockDeadlines;
  /**
   * The own deadlines of the pattern's timed tasks that did not start in the spawn loop, by index
   * (a task settled or not started has none); made when the first needs one, else null. Written on
   * the context; another thread's {@code remaining()} may read it, as a snapshot.
   */
  TaskDeadline<?>[] patternDeadlines;
  /** The block of hedge delays the spawn loop is filling ({@link HedgeFn.Block}), or null; context only. */
  HedgeFn.Block hedgeBlock;
  private List<Throwable> errors; // real errors in completion order (fatal ones first); null while none
  private Set<Throwable> recorded; // identity set of errors once there are many: recording stays O(1)
  private boolean bodyDone;
  private R bodyResult;
  private CancellationException bodyCancelled; // the body ended with a cancellation of its own
  private Registration parentHook;
  private GroupDeadline deadline;
  /**
   * The group's own deadline while its first frame runs, before it is queued ({@link #begin}), or
   * {@link #NO_DEADLINE}: a group that completes in that frame never makes its node or its queue.
   */
  private long unqueuedDeadline = NO_DEADLINE;
  // A top-level group's entry in its context's OwnerClose list; guarded by that OwnerClose's monitor.
  OwnerClose owner;
  private boolean parentNotified; // the enclosing group was told this one completed: exactly once
  GroupImpl<?> prevOpen;
  GroupImpl<?> nextOpen;
  /** When the group was made, on its clock: its age in a {@link TaskTree}. */
  final long openedNanos;
  /** What observes this group (see {@link Observation}); null, the common case, when nothing does. Group's context only. */
  Observation obs;

  GroupImpl(Vertx vertx, Context context, TaskGroupOptions options, ScopeImpl parent, ResultSink sink) {
    this.group = this;
    this.vertx = vertx;
    this.context = context;
    this.name = options.getName();
    this.maxConcurrency = options.getMaxConcurrency();
    this.maxQueued = options.getMaxQueued();
    this.timeout = options.getTimeout();
    Timers t = options.getTimers();
    this.timers = t != null ? t : parent != null ? parent.group.timers : Timers.VERTX;
    this.parent = parent;
    this.sink = sink;
    this.supervisor = sink == null ? options.getSupervisor() : null;
    this.deadlines = new Deadlines(this);
    this.facade = new TaskGroup(this);
    this.promise = VertxContexts.promise(context);
    this.virtual = VertxContexts.isVirtual(context);
    this.eventLoop = context.isEventLoopContext();
    this.openedNanos = timers.nanoTime();
  }

  /** {@return whether the group's context is an event loop's (frames there never block)} */
  boolean onEventLoop() {
    return eventLoop;
  }

  /** {@return the current thread's trampoline} Kept for an event-loop context: a field read per frame, not a thread-local lookup. */
  Trampoline trampoline() {
    Trampoline t = trampoline;
    if (t == null) {
      t = Trampoline.current();
      if (eventLoop) {
        trampoline = t;
      }
    }
    return t;
  }

  /**
   * Starts a group: on the context at once if already running it (the body runs before this
   * returns unless the thread's {@link Trampoline} is too deep), else on the context, later.
   */
  static <R> Future<R> launch(Vertx vertx, Context context, TaskGroupOptions options, ScopeImpl parent,
                              ResultSink sink, Function<TaskGroup, Future<R>> body) {
    Objects.requireNonNull(options, "options");
    Objects.requireNonNull(body, "body");
    GroupImpl<R> g = new GroupImpl<>(vertx, context, options, parent, sink); // reads options once: later changes do not reach it
    if (g.onContext()) {
      g.begin(body, g.openedNanos); // the same call: the clock read as the group was made still holds
    } else {
      VertxContexts.dispatch(context, () -> g.begin(body, g.timers.nanoTime()));
    }
    return g.promise.future();
  }

  /**
   * Attaches to the enclosing scope and arms the deadline at once ({@code now} on the group's
   * clock), then runs the body in a frame.
   */
  private void begin(Function<TaskGroup, Future<R>> body, long now) {
    if (parent == null) {
      if (VertxContexts.isDeployed(context)) {
        OwnerClose.register(this); // cancelled when the verticle is undeployed or Vert.x closes
      }
    } else {
      TaskCancelledException cause = parent.cancelCause != null ? parent.cancelCause
          : parent.closed() ? parent.closedCause() : null;
      if (cause != null) { // the body never runs in a scope that is cancelled or finished
        state = State.COMPLETED;
        close();
        promise.fail(cause);
        return;
      }
      parentHook = parent.attachChild(new EnclosingCancel()); // a named class: TaskTree finds nested groups by it
      parent.group.attach(); // the enclosing group completes only after this one
    }
    obs = Observation.opened(this, parent != null);
    // Per top-level group, so written out: Trampoline.frame's lambda would cost an object per group.
    Trampoline tr = trampoline();
    if (!tr.enter()) {
      armDeadline(now);
      tr.defer(new Trampoline.Deferred(this) {
        @Override
        void run() {
          runBody(body);
        }
      });
      return;
    }
    // On an event loop no timer can fire before this frame ends, so the deadline is queued as the
    // frame ends, if the group is still open then (queueAfterFirstFrame): one that completes in it
    // (a service answering at once) never makes its node or its queue. Elsewhere (a worker, a
    // virtual thread, whose body may block or suspend; a manual clock) it is queued at once.
    boolean unqueued = timeout != null && eventLoop && timers.firesInALaterTask();
    try {
      if (unqueued) {
        unqueuedDeadline = now + Durations.toNanos(timeout);
      } else {
        armDeadline(now); // in the frame: a group that completes in it never schedules its timer (Deadlines.Queue.append)
      }
      runBody(body);
    } catch (Throwable e) {
      crash(e);
    } finally {
      if (unqueued && unqueuedDeadline != NO_DEADLINE && state != State.COMPLETED) { // still open: its deadline joins a queue
        queueAfterFirstFrame(now);
      }
      tr.exit();
    }
  }

  /** Starts the group's own deadline, before the body runs. */
  private void armDeadline(long now) {
    if (timeout != null) {
      deadline = new GroupDeadline();
      deadlines.add(deadline, Durations.toNanos(timeout), now);
    }
  }

  /**
   * Queues the group's own deadline, {@code now} + its timeout, as its first frame ends with the
   * group open. A deadline the body queued is later than this one: one of the same duration would
   * sit ahead of it in that duration's FIFO queue, and fire first. So when the body queued one of
   * exactly that duration ({@link Deadlines#hasQueued}), it goes alone in the queue keyed one
   * nanosecond shorter, with the same deadline (only a deadline the body queued
   * with exactly that duration could precede it there, and that one only by the body's running
   * time: late, never early).
   */
  private void queueAfterFirstFrame(long now) {
    long nanos = unqueuedDeadline - now;
    GroupDeadline d = new GroupDeadline();
    if (!deadlines.hasQueued(nanos)) {
      deadlines.add(d, nanos, now);
    } else {
      deadlines.add(d, nanos - 1, now + 1);
    }
    // queued, then published, then the snapshot dropped: another thread's remaining() reads one of the two all along
    deadline = d;
    unqueuedDeadline = NO_DEADLINE;
  }

  private void runBody(Function<TaskGroup, Future<R>> body) {
    if (cancelCause != null) { // cancelled before the body could run (it was deferred): it never runs
      bodySettled(null, null);
      return;
    }
    Future<R> f;
    try {
      f = body.apply(facade);
    } catch (Throwable e) {
      bodySettled(null, e);
      return;
    }
    if (f == null) {
      bodySettled(null, new NullPointerException("the body of task group '" + name + "' returned null instead of a Future"));
    } else {
      f.onComplete(this);
    }
  }

  /**
   * {@return whether the current thread runs this group's context itself} For an event-loop
   * context the loop's thread is kept once seen, so the check is a thread comparison and the
   * current-context read, not a walk through the context's executor.
   */
  boolean onContext() {
    Thread loop = loopThread;
    if (loop != null) {
      return Thread.currentThread() == loop && VertxContexts.isCurrent(context);
    }
    if (!VertxContexts.isOnContext(context)) {
      return false;
    }
    if (eventLoop) {
      loopThread = Thread.currentThread();
    }
    return true;
  }

  void checkOnContext(String operation) {
    if (!onContext()) {
      String where = VertxContexts.inThread(context)
          ? " in another Vert.x context than task group '" + name + "' (on its thread '" + Thread.currentThread().getName() + "')"
          : " on thread '" + Thread.currentThread().getName() + "', outside the context of task group '" + name + "'";
      throw new IllegalStateException(operation + " was called" + where
          + "; call it from a task, from the body, or through context().runOnContext(...)");
    }
  }

  @Override
  String scopeName() {
    return name;
  }

  @Override
  boolean closed() {
    return state == State.COMPLETED;
  }

  @Override
  long ownDeadlineNanos() {
    return deadline != null ? deadline.deadlineNanos() : unqueuedDeadline;
  }

  @Override
  ScopeImpl enclosing() {
    return parent;
  }

  // ---- spawning -------------------------------------------------------------------------------

  <T> Task<T> spawn(String taskName, TaskFn<T> fn) {
    Objects.requireNonNull(fn, "the task function passed to spawn is null");
    checkOnContext("spawn");
    return spawnChecked(taskName, fn);
  }

  /**
   * {@link #spawn} once the caller is known to be on the context with a non-null function: the
   * patterns' bodies, which the group itself runs here and whose list was checked at the call. The
   * on-context check is a real share of a fan-out's per-task time (a JFR profile of
   * {@code TaskGroup.all}), so it is not repeated per task where it cannot fail.
   */
  <T> Task<T> spawnChecked(String taskName, TaskFn<T> fn) {
    if (state != State.OPEN) {
      throw new IllegalStateException(state == State.ABORTING
          ? "cannot spawn into task group '" + name + "': it is shutting down (" + cancelCause.getMessage() + ")"
          : "cannot spawn into task group '" + name + "': it has completed");
    }
    boolean startNow = running < maxConcurrency && queued == 0; // never ahead of a queued task: FIFO
    if (!startNow && queued >= maxQueued) {
      throw new TaskQueueFullException(name, maxConcurrency, maxQueued); // before the task exists: it never runs
    }
    TaskImpl<T> t = newTask(taskName, fn);
    if (startNow) {
      startTask(t, true);
    } else {
      enqueue(t);
    }
    return t;
  }

  /** {@return a task of {@code fn}, numbered as the next spawn: the kind its function needs (a timeout, attempts), or a plain one} */
  private <T> TaskImpl<T> newTask(String taskName, TaskFn<T> fn) {
    return fn instanceof TimeoutFn
        ? new TimedTaskImpl<>(this, taskName, (TimeoutFn<T>) fn, spawned++)
        : fn instanceof AttemptFn ? new AttemptTaskImpl<>(this, taskName, (AttemptFn<T>) fn, spawned++)
        : taskName != null ? new TaskImpl.Named<>(this, taskName, fn, spawned++) : new TaskImpl<>(this, fn, spawned++);
  }

  /** {@link #spawn}, or empty when the queue is full ({@link TaskGroupOptions#setMaxQueued}). */
  <T> Optional<Task<T>> trySpawn(String taskName, TaskFn<T> fn) {
    Objects.requireNonNull(fn, "the task function passed to trySpawn is null");
    checkOnContext("trySpawn");
    if (state == State.OPEN && !(running < maxConcurrency && queued == 0) && queued >= maxQueued) {
      return Optional.empty();
    }
    return Optional.of(spawn(taskName, fn));
  }

  /**
   * A pattern's body: spawns every function of {@code fns}, in order, while the group is open (a
   * task that settles synchronously may end the group: an {@code all} failing, a race won; the rest
   * then never start). A function that can start now runs as a {@link PatternTask} kept in
   * {@code fns}; the others take {@link #spawnChecked}'s path. On the context, nulls refused at the call.
   */
  void spawnPattern(Object[] fns) {
    pattern = fns;
    deadlines.batch(() -> { // the timed tasks' deadlines share clock readings (Deadlines.batch)
      int i = 0;
      for (int n = fns.length; i < n && state == State.OPEN; i++) {
        Object fn = fns[i];
        if (running < maxConcurrency && queued == 0) {
          startPatternTask(fns, i, fn);
        } else {
          spawnChecked(null, (TaskFn<?>) fn);
        }
        if ((i & BlockDeadline.MASK) == BlockDeadline.MASK) {
          // every deadline this block's tasks added (their shared ones, a hedge's delay, a sleep):
          // none is stamped later than 256 starts after its own, however few of them add one
          deadlines.stampPending();
          BlockDeadline.blockStarted(this, i >>> BlockDeadline.SHIFT);
        }
      }
      if (i > 0) { // the last block, whole or not (a second call for a whole one is a no-op); the batch's end stamps
        BlockDeadline.blockStarted(this, (i - 1) >>> BlockDeadline.SHIFT);
      }
    });
  }

  @SuppressWarnings("unchecked")
  private <T> void startPatternTask(Object[] fns, int i, Object fn) {
    int seq = spawned++; // == i: every function counts one spawn
    PatternTask<T> t = fn instanceof TimeoutFn ? new TimedPatternTask<>(this, seq, (TimeoutFn<T>) fn)
        : fn instanceof AttemptFn ? new AttemptPatternTask<>(this, seq) : new PatternTask<>(this, seq);
    running++;
    fns[i] = t; // register before running user code, as startTask does
    runRegistered(t, (TaskFn<T>) fn);
  }

  /** Runs a task of a pattern or of forEach, registered (counted, in its array or ring): observed, then its function, inline. */
  private <T> void runRegistered(AbstractTask<T> t, TaskFn<T> fn) {
    if (obs != null) {
      obs.taskStarted(t); // what an observer throws is handled there (Observation#thrown)
    }
    t.run(fn, true);
  }

  /** Keeps the own deadline of pattern task {@code i}; the side array is made on the first one. */
  void ownDeadline(int i, TaskDeadline<?> d) {
    if (patternDeadlines == null) {
      patternDeadlines = new TaskDeadline<?>[pattern.length];
    }
    patternDeadlines[i] = d;
  }

  /** {@return and forget the own deadline of pattern task {@code i}, or null} */
  TaskDeadline<?> takeOwnDeadline(int i) {
    TaskDeadline<?>[] side = patternDeadlines;
    if (side == null) {
      return null;
    }
    TaskDeadline<?> d = side[i];
    side[i] = null;
    return d;
  }

  /** Sets the pending hooks of pattern task {@code i}; the side array is made on the first one. */
  void patternHook(int i, Hook first) {
    if (patternHooks == null) {
      if (first == null) {
        return;
      }
      patternHooks = new Hook[pattern.length];
    }
    patternHooks[i] = first;
  }

  private void startTask(TaskImpl<?> t, boolean fresh) {
    running++;
    if (obs != null) {
      obs.taskStarted(t); // what an observer throws is handled there (Observation#thrown)
    }
    t.prev = liveTail; // register before running user code: a task that completes
    if (liveTail == null) { // synchronously cannot finish the group early
      liveHead = t;
    } else {
      liveTail.next = t;
    }
    liveTail = t;
    t.start(fresh);
  }

  private void unlinkLive(TaskImpl<?> t) {
    TaskImpl<?> p = t.prev;
    TaskImpl<?> n = t.next;
    if (p == null) {
      liveHead = n;
    } else {
      p.next = n;
    }
    if (n == null) {
      liveTail = p;
    } else {
      n.prev = p;
    }
    t.prev = null;
    t.next = null;
  }

  private void enqueue(TaskImpl<?> t) {
    t.prev = queueTail;
    if (queueTail == null) {
      queueHead = t;
    } else {
      queueTail.next = t;
    }
    queueTail = t;
    queued++;
    if (obs != null) {
      obs.taskQueued();
    }
  }

  /** Takes {@code t} out of the queue: a cancelled queued task holds no memory while the group lives. */
  private void unlinkQueued(TaskImpl<?> t) {
    TaskImpl<?> p = t.prev;
    TaskImpl<?> n = t.next;
    if (p == null) {
      queueHead = n;
    } else {
      p.next = n;
    }
    if (n == null) {
      queueTail = p;
    } else {
      n.prev = p;
    }
    t.prev = null;
    t.next = null;
    queued--;
  }

  /**
   * Starts queued tasks while slots are free, then pulls {@code forEach}'s next functions while
   * slots are free; iterative, so synchronous tasks never nest: a task that settles while this loop
   * runs frees its slot ({@link #left}) and the loop fills it.
   */
  private void drain() {
    if (draining) {
      return;
    }
    draining = true;
    try {
      while (queued > 0 && running < maxConcurrency && state != State.COMPLETED) {
        TaskImpl<?> t = queueHead;
        unlinkQueued(t);
        startTask(t, false); // a task cancelled from another thread meanwhile settles without running
      }
      if (feed != null) {
        pull();
      }
    } finally {
      draining = false;
    }
  }

  /** {@code forEach}'s body: pulls from {@code tasks} until they run out or the group stops. On the context. */
  void pullFrom(Iterator<? extends TaskFn<?>> tasks) {
    feed = tasks;
    drain();
  }

  /**
   * Pulls and starts functions while slots are free and the iterator has more. A long run (an
   * iterator of synchronous tasks, or no limit) yields to the event loop every
   * {@link Trampoline#SLICE_NANOS}, as the trampoline's drain does: an endless iterator of
   * synchronous tasks would otherwise hold the thread for ever, and a cancel from another thread
   * would never arrive. The clock is read once per 64 pulls, from the 64th on: a pull per settle,
   * the common case, reads none.
   */
  private void pull() {
    long start = 0;
    int n = 0;
    while (running < maxConcurrency && pullNext()) {
      if ((++n & 63) == 0) {
        long now = System.nanoTime();
        if (n == 64) {
          start = now;
        } else if (now - start > Trampoline.SLICE_NANOS) {
          context.runOnContext(v -> Trampoline.frame(this, this::resumePulling));
          return;
        }
      }
    }
  }

  /** Pulling goes on after a yield to the event loop (the group waits for it: {@code feed} is set). */
  private void resumePulling() {
    if (state != State.COMPLETED) {
      drain();
      maybeComplete();
    }
  }

  /**
   * Takes the iterator's next function and starts it as a fresh task. {@return false when the group
   * stopped pulling} (it has no next, it threw, a null, or the group is no longer open, maybe ended
   * by the iterator's own code), with {@code feed} dropped. The iterator is user code: what it
   * throws, an {@link Error} too, is an error of the group, as a task function's throw is a task's.
   */
  private boolean pullNext() {
    Iterator<? extends TaskFn<?>> it = feed;
    TaskFn<?> fn = null;
    Throwable error = null;
    if (state == State.OPEN) {
      try {
        if (it.hasNext() && state == State.OPEN) {
          fn = it.next();
          long index = pulled++;
          if (state != State.OPEN) { // next()'s own code ended the group: the function never runs, as spawn refuses it
            fn = null;
          } else if (fn == null) {
            error = new NullPointerException("forEach '" + name + "': element " + index + " of the iterator is null"
                + " (the first is element 0)");
          }
        }
      } catch (Throwable e) {
        error = e;
      }
    }
    if (fn == null || error != null) {
      feed = null;
      if (error != null) {
        pullFailed(error);
      }
      return false;
    }
    startPulled(fn);
    return true;
  }

  /**
   * Starts a pulled function: a plain one as a {@link PulledTask} in a free slot of the ring; a
   * timed or retried one as spawn would (its own kind of {@link TaskImpl}, in the live list).
   * Rejected: the ring only with a {@code maxConcurrency}, TaskImpls without: a ring grown to
   * the peak running costs less per task than a live list's two links, and one path is simpler.
   */
  private <T> void startPulled(TaskFn<T> fn) {
    if (fn instanceof TimeoutFn || fn instanceof AttemptFn) {
      startTask(newTask(null, fn), true);
      return;
    }
    PullRing r = ring;
    if (r == null) {
      r = ring = new PullRing(maxConcurrency);
    }
    int i = r.take();
    PulledTask<T> t = new PulledTask<>(this, i);
    r.put(i, t, spawned++);
    running++; // register before running user code, as startTask does
    runRegistered(t, fn);
  }

  /** The iterator threw, or gave a null: an error of the group, which fails fast. */
  private void pullFailed(Throwable error) {
    if (state == State.COMPLETED) { // the iterator's own code ended the group first: its outcome is out
      VertxContexts.reportException(context, error);
      return;
    }
    recordError(error);
    // The class only: the message is user code too, and may throw (as in runHook).
    abort(CancelReason.SIBLING_FAILED, "the iterator of forEach '" + name + "' failed: " + error.getClass().getName());
  }

  /** {@return the promise behind the future of a queued task, made on first request} */
  @SuppressWarnings("unchecked")
  <T> Promise<T> queuedFuture(TaskImpl<T> t) {
    if (queuedFutures == null) {
      queuedFutures = new IdentityHashMap<>();
    }
    return (Promise<T>) queuedFutures.computeIfAbsent(t, k -> VertxContexts.promise(context));
  }

  /** {@return and forget the promise of a task leaving the queue, or null if none was asked for} */
  @SuppressWarnings("unchecked")
  <T> Promise<T> takeQueuedFuture(TaskImpl<T> t) {
    return queuedFutures == null ? null : (Promise<T>) queuedFutures.remove(t);
  }

  /**
   * A queued task was cancelled (it is marked): in a frame, since completing its future runs user
   * listeners, which may cancel the next queued task, and so on down a queue of any length.
   */
  void cancelQueuedInFrame(TaskImpl<?> t, TaskCancelledException cause) {
    Trampoline.frame(this, () -> cancelQueued(t, cause));
  }

  /** A queued task was cancelled (it is marked): it leaves the queue and never starts. */
  private void cancelQueued(TaskImpl<?> t, TaskCancelledException cause) {
    if (t.stateBits() != TaskImpl.PENDING) {
      return;
    }
    unlinkQueued(t);
    t.cancelWhileQueued(cause);
    if (sink != null) {
      sink.settled(t);
    }
    maybeComplete();
  }

  /** Work started in one of this group's scopes, outside any task's own future, is running. */
  void attach() {
    attached++;
  }

  /** Attached work has settled. */
  void detach() {
    attached--;
    maybeComplete();
  }

  /**
   * A nested group has completed: detach it in a frame, since completing this group may complete
   * the next one up, and so on up a tree of any depth.
   */
  void nestedCompleted() {
    Trampoline.frame(this, this::detach);
  }

  // ---- settling -------------------------------------------------------------------------------

  /** A task settled: the pattern's sink sees it, and a failure is recorded and aborts the group. */
  void taskOutcome(AbstractTask<?> t) {
    // the sink decides what is an error: it may take over a failure, or count a task's own cancellation
    Throwable error = sink != null ? sink.settled(t) : t.stateBits() == TaskImpl.FAILED ? t.failure() : null;
    if (error != null) {
      if (supervisor != null) { // a final field, read only on the failure path
        supervise((TaskImpl<?>) t, error); // a supervised group has no sink: it runs no pattern tasks
        return;
      }
      recordError(error);
      abort(CancelReason.SIBLING_FAILED, "task '" + t.name() + "' of task group '" + name + "' failed");
    }
  }

  /** A supervised group hands a task's failure to its supervisor; only a supervisor that throws fails the group. */
  private void supervise(TaskImpl<?> t, Throwable error) {
    try {
      supervisor.accept(t, error);
    } catch (Throwable e) {
      recordError(e);
      abort(CancelReason.SIBLING_FAILED, "the supervisor of task group '" + name + "' threw " + e);
    }
  }

  /** A settled task leaves the group (after its own future's listeners ran): its slot frees. */
  void taskLeft(TaskImpl<?> t) {
    unlinkLive(t);
    left(t);
  }

  /** A settled pattern task leaves the group: its array slot already holds its outcome. */
  void taskLeft(PatternTask<?> t) {
    left(t);
  }

  /** A settled pulled task leaves the group: the observers see it in its slot, then the slot frees for the next pull. */
  void taskLeft(PulledTask<?> t) {
    if (obs != null) {
      obs.taskSettled(t);
    }
    t.leaveSlot();
    leftSettled();
  }

  private void left(AbstractTask<?> t) {
    if (obs != null) {
      obs.taskSettled(t);
    }
    leftSettled();
  }

  private void leftSettled() {
    running--;
    if ((queued > 0 || feed != null) && state != State.COMPLETED) {
      drain();
    }
    maybeComplete();
  }

  /** The body's future completed, on whatever thread and context completed it: settle at home. */
  @Override
  public void complete(R value, Throwable error) {
    if (onContext()) {
      bodySettledInFrame(value, error);
    } else {
      VertxContexts.dispatch(context, () -> bodySettledInFrame(value, error));
    }
  }

  private void bodySettledInFrame(R value, Throwable error) {
    Trampoline tr = trampoline();
    if (!tr.enter()) {
      tr.defer(new Trampoline.Deferred(this) {
        @Override
        void run() {
          bodySettled(value, error);
        }
      });
      return;
    }
    try {
      bodySettled(value, error);
    } catch (Throwable e) {
      crash(e);
    } finally {
      tr.exit();
    }
  }

  private void bodySettled(R value, Throwable error) {
    if (bodyDone) {
      return;
    }
    bodyDone = true;
    if (error == null) {
      bodyResult = value;
    } else if (error instanceof CancellationException) {
      if (cancelCause == null) { // not ours: the body passed on a cancellation, as the group will
        bodyCancelled = (CancellationException) error;
        abort(CancelReason.EXPLICIT, "the body of task group '" + name + "' ended with a cancellation");
      }
    } else if (!isRecorded(error)) { // the body often passes on a task's error: report it once
      recordError(error);
      abort(CancelReason.SIBLING_FAILED, "the body of task group '" + name + "' failed");
    }
    maybeComplete();
  }

  /**
   * Records a real error once (the body often passes on a task's error). A fatal error (a
   * {@link VirtualMachineError}: out of memory, stack overflow) goes first, so that it becomes the
   * group's cause and is never buried behind an ordinary error; the rest keep completion order.
   */
  private void recordError(Throwable e) {
    if (errors == null) {
      errors = new ArrayList<>(2);
    } else if (isRecorded(e)) {
      return;
    }
    if (e instanceof VirtualMachineError && !(errors.isEmpty() || errors.get(0) instanceof VirtualMachineError)) {
      errors.add(0, e);
    } else {
      errors.add(e);
    }
    if (recorded != null) {
      recorded.add(e);
    } else if (errors.size() > 8) {
      recorded = Collections.newSetFromMap(new IdentityHashMap<>());
      recorded.addAll(errors);
    }
  }

  private boolean isRecorded(Throwable e) {
    if (recorded != null) {
      return recorded.contains(e);
    }
    if (errors != null) {
      for (Throwable r : errors) {
        if (r == e) {
          return true;
        }
      }
    }
    return false;
  }

  void runHook(Handler<TaskCancelledException> hook, TaskCancelledException cause) {
    try {
      hook.handle(cause);
    } catch (Throwable e) {
      if (state == State.COMPLETED) { // a closing scope's hook: the group's outcome is already out
        VertxContexts.reportException(context, e);
        return;
      }
      recordError(e);
      // The class only: the message is user code too, and may throw (regressions/CrashLeavesQueuedTasks...).
      abort(CancelReason.SIBLING_FAILED, "a cancel hook in task group '" + name + "' threw " + e.getClass().getName());
    }
  }

  // ---- cancellation ---------------------------------------------------------------------------

  private void abort(CancelReason reason, String message) {
    if (state == State.OPEN) {
      cancel(new TaskCancelledException(reason, message));
    }
  }

  /** {@link TaskGroup#cancel()}: from any thread; the cancellation runs on the group's context. */
  void cancelExplicitly() {
    if (onContext()) {
      abort(CancelReason.EXPLICIT, "task group '" + name + "' was cancelled");
    } else {
      VertxContexts.dispatch(context, this::cancelExplicitly);
    }
  }

  /**
   * The owner of the group's context closes (any thread): the group is cancelled with
   * {@link CancelReason#UNDEPLOYED}; {@code done} runs once, when the group has completed or
   * {@code grace} has passed (then the group is reported to the context's exception handler).
   */
  void ownerClosed(Duration grace, Runnable done) {
    VertxContexts.dispatch(context, () -> {
      boolean[] once = {false};
      Runnable finish = () -> {
        if (!once[0]) {
          once[0] = true;
          done.run();
        }
      };
      if (state == State.COMPLETED) {
        finish.run();
        return;
      }
      long timer = timers.schedule(context, Math.max(1, Durations.toNanos(grace) / 1_000_000), id -> {
        if (state != State.COMPLETED) {
          VertxContexts.reportException(context, new IllegalStateException("task group '" + name
              + "' did not settle within " + grace.toMillis() + " ms of its verticle's undeploy (or Vert.x's close): "
              + running + " task(s) still ignore their cancellation; the undeploy goes on without them"));
        }
        finish.run();
      });
      promise.future().onComplete(ar -> {
        timers.cancel(context, timer);
        finish.run();
      });
      if (state == State.OPEN) {
        cancel(new TaskCancelledException(CancelReason.UNDEPLOYED,
            "task group '" + name + "' was cancelled: its verticle was undeployed, or Vert.x closed"));
      }
    });
  }

  /** A race was won: the rest is cancelled, cleanly. */
  void cancelLosers() {
    abort(CancelReason.RACE_LOST, "another task of race '" + name + "' succeeded first");
  }

  /**
   * Marks the group cancelled and stops spawns at once; the propagation to tasks and the hooks run
   * in a frame (deferred when too deep), and completion waits until they have.
   */
  @Override
  boolean cancel(TaskCancelledException cause) {
    if (closed() || !markCancelled(cause)) {
      return false;
    }
    state = State.ABORTING;
    cancelling = true;
    feed = null; // forEach stops pulling: its iterator is never called again
    if (obs != null) {
      obs.cancelled(cause);
    }
    cancelled(cause);
    return true;
  }

  @Override
  void runCancellation(TaskCancelledException cause) {
    try {
      super.runCancellation(cause);
    } finally {
      cancelling = false;
    }
    maybeComplete();
  }

  @Override
  void propagate(TaskCancelledException cause) {
    TaskImpl<?> t;
    while ((t = queueHead) != null) {
      unlinkQueued(t);
      t.cancelWhileQueued(cause);
      if (sink != null) {
        sink.settled(t);
      }
    }
    TaskImpl<?>[] live = NO_TASKS;
    if (liveHead != null) {
      // Snapshot first: a hook of one task may settle another and reshape the live list.
      int n = 0;
      for (t = liveHead; t != null; t = t.next) {
        n++;
      }
      live = new TaskImpl<?>[n];
      n = 0;
      for (t = liveHead; t != null && n < live.length; t = t.next) {
        live[n++] = t;
      }
    }
    int j = 0;
    Object[] p = pattern;
    if (p != null && running > 0) {
      // A pattern's tasks, small or not (one that waited for a slot), cancelled in
      // their start order, which is index order: the small ones from the array, the others (the
      // live list, in start order too) merged in by index.
      for (int i = 0; i < p.length; i++) {
        while (j < live.length && live[j].seq() <= i) {
          live[j++].cancel(cause);
        }
        Object o = p[i];
        if (o instanceof PatternTask && ((PatternTask<?>) o).runsAt(this, i)) {
          ((PatternTask<?>) o).cancel(cause);
        }
      }
    }
    if (ring != null && running > 0) {
      // forEach's tasks, plain (the ring) or not (timed, retried: the live list), cancelled in
      // their start order: the two merged by spawn number.
      for (PulledTask<?> pt : ring.inStartOrder()) {
        while (j < live.length && PullRing.before(live[j].seq(), pt.number())) {
          live[j++].cancel(cause);
        }
        pt.cancel(cause);
      }
    }
    while (j < live.length) {
      live[j++].cancel(cause);
    }
  }

  private static final TaskImpl<?>[] NO_TASKS = new TaskImpl<?>[0];

  /**
   * Drops what {@code t}'s slot of the pattern's array holds (its outcome, for a small task) once the
   * pattern's sink has read it, for the sinks that keep only some outcomes ({@code race},
   * {@code quorum}): else every outcome would stay reachable until the group completes.
   */
  void forgetSlot(AbstractTask<?> t) {
    Object[] p = pattern;
    if (p != null) {
      p[t.seq()] = null;
    }
  }

  /** The group crashed: marks and runs the cancellation of each running pattern task, in index order, whatever its state. */
  private void crashPatternTasks(TaskCancelledException cause) {
    Object[] p = pattern;
    if (p == null) {
      return;
    }
    for (int i = 0; i < p.length; i++) {
      Object o = p[i];
      if (o instanceof PatternTask && ((PatternTask<?>) o).runsAt(this, i) && ((PatternTask<?>) o).markCancelled(cause)) {
        ((PatternTask<?>) o).cancelled(cause);
      }
    }
  }

  /**
   * The library's own dispatch threw (an {@link Error} such as {@link OutOfMemoryError}, or a bug
   * of ours): the group's bookkeeping can no longer be trusted, so rather than stay pending for
   * ever it completes now, failed with that error. What still runs is cancelled, best effort; its
   * late outcomes are ignored. Every step is guarded: this must not throw.
   */
  void crash(Throwable e) {
    if (state == State.COMPLETED) {
      if (!promise.tryFail(e)) { // completing itself threw (see regressions/GroupHangsWhenItsCompletionThrows...)
        VertxContexts.reportException(context, e);
      }
      notifyParent();
      return;
    }
    try {
      recordError(e);
    } catch (Throwable ignored) { // out of memory: the error itself is still delivered below
    }
    state = State.COMPLETED;
    feed = null;
    unqueuedDeadline = NO_DEADLINE; // crashed in its first frame: its deadline never joins a queue
    TaskCancelledException cause = new TaskCancelledException(CancelReason.SIBLING_FAILED,
        "task group '" + name + "' failed in its own dispatch: " + e.getClass().getName());
    markCancelled(cause);
    Throwable failure;
    try {
      failure = outcome();
    } catch (Throwable again) {
      failure = e;
    }
    promise.tryFail(failure != null ? failure : e);
    try {
      Observation.completed(this, failure != null ? failure : e);
      TaskImpl<?> q;
      while ((q = queueHead) != null) { // queued tasks never start; a future asked of one completes
        unlinkQueued(q);
        q.cancelWhileQueued(cause);
        if (sink != null) {
          sink.settled(q);
        }
      }
      queuedFutures = null;
      for (TaskImpl<?> t = liveHead; t != null; t = t.next) {
        if (t.markCancelled(cause)) {
          t.cancelled(cause);
        }
      }
      crashPatternTasks(cause);
      if (ring != null) {
        for (PulledTask<?> pt : ring.inStartOrder()) {
          if (pt.markCancelled(cause)) {
            pt.cancelled(cause);
          }
        }
      }
      close();
      deadlines.closeAll(cause);
      if (parentHook != null) {
        parentHook.remove();
      }
      if (owner != null) {
        owner.unregister(this);
      }
    } catch (Throwable again) {
      VertxContexts.reportException(context, again);
    }
    notifyParent();
  }

  private void deadlinePassed() {
    if (state == State.OPEN) {
      Observation.timeoutFired(this);
      recordError(new TaskTimeoutException("task group", name, timeout));
      cancel(new TaskCancelledException(CancelReason.DEADLINE,
          "task group '" + name + "' passed its deadline of " + Durations.millis(timeout)));
    }
  }

  // ---- completion -----------------------------------------------------------------------------

  private void maybeComplete() {
    if (state == State.COMPLETED || cancelling || !bodyDone || running > 0 || queued > 0 || attached > 0 || feed != null) {
      return;
    }
    state = State.COMPLETED;
    ring = null; // nothing runs: no task needs its slot again
    close();
    if (owner != null) {
      owner.unregister(this);
    }
    if (parentHook != null) {
      parentHook.remove();
    }
    // Sleeps nobody awaited end now; idle timers are cancelled. The cause only when a node is left
    // to receive it: a cancellation (its message built) per completed group was a share of a short
    // group's cost (a JFR profile of a service answering at once, RESULTS.md 10). The group's own
    // deadline leaves first: its close ignores the cause, so it alone needs none built.
    if (deadline != null) {
      Deadlines.remove(deadline);
    }
    unqueuedDeadline = NO_DEADLINE; // completed in its first frame: it never had a node
    deadlines.closeAll(deadlines.isEmpty() ? null : closedCause());
    Throwable failure = outcome();
    Observation.completed(this, failure);
    // Asked before completing: the listeners may be what finishes the owner (a task awaiting us).
    boolean unawaited = parent != null && failure != null && !(failure instanceof CancellationException)
        && parent.ownerFinished();
    if (failure == null) {
      promise.complete(bodyResult);
    } else {
      promise.fail(failure);
    }
    if (parent != null && unawaited) {
      // Nobody in the enclosing scope can await this group any more: its errors would be lost.
      parent.group.nestedFailedUnawaited(this, failure);
    }
    notifyParent();
  }

  /** Tells the enclosing group, once, that this one has completed. */
  private void notifyParent() {
    if (parent != null && !parentNotified) {
      parentNotified = true;
      parent.group.nestedCompleted();
    }
  }

  /** A nested group failed after the code that opened it had finished: an error of this group. */
  private void nestedFailedUnawaited(GroupImpl<?> nested, Throwable failure) {
    recordError(failure);
    abort(CancelReason.SIBLING_FAILED, "nested task group '" + nested.name + "' failed after its owner had finished");
  }

  @Override
  boolean ownerFinished() {
    return bodyDone || closed();
  }

  private Throwable outcome() {
    if (errors != null) {
      // One shape for every failure, the group's own deadline included (its TaskTimeoutException
      // is an error like a task's): rejected, the bare TaskTimeoutException when it is the only
      // error, whose shape then depends on whether a task failed in the same turn.
      return new TaskGroupException("task group '" + name + "' failed", errors);
    }
    if (bodyCancelled != null) {
      return bodyCancelled;
    }
    TaskCancelledException cause = cancelCause;
    if (cause != null && (cause.reason() == CancelReason.PARENT_CANCELLED || cause.reason() == CancelReason.UNDEPLOYED)) {
      return cause;
    }
    return null;
  }

  // ---- introspection --------------------------------------------------------------------------

  int running() {
    return running;
  }

  /** {@return the oldest running task, linked to the others through {@code next}} For {@link TaskTree}. */
  TaskImpl<?> liveHead() {
    return liveHead;
  }

  int queued() {
    return queued;
  }

  int spawnedCount() {
    return spawned;
  }

  int errorCount() {
    return errors == null ? 0 : errors.size();
  }

  @Override
  public String toString() {
    TaskCancelledException cause = cancelCause;
    return "TaskGroup[" + name + ", " + state + ", running=" + running + ", queued=" + queued
        + (attached > 0 ? ", nested=" + attached : "") + (feed != null ? ", pulling" : "") + ", errors=" + errorCount() + (cause != null ? ", cancelled (" + cause.reason() + ")" : "") + "]";
  }

  /**
   * The enclosing scope's cancellation reaches this nested group. Names the root cancellation, not
   * the chain: 100,000 levels would make messages grow quadratically.
   */
  final class EnclosingCancel implements Handler<TaskCancelledException> {
    @Override
    public void handle(TaskCancelledException c) {
      cancel(new TaskCancelledException(CancelReason.PARENT_CANCELLED,
          "task group '" + name + "' was cancelled by its enclosing scope '" + parent.scopeName() + "'", c));
    }

    GroupImpl<?> nested() {
      return GroupImpl.this;
    }
  }

  private final class GroupDeadline extends Deadlines.Node {
    @Override
    void expire() {
      deadlinePassed();
    }

    @Override
    void close(TaskCancelledException cause) {}
  }
}
