package dev.taskgroup;

import io.vertx.core.Completable;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CancellationException;
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
final class GroupImpl<R> extends ScopeImpl implements Completable<R> {
  enum State { OPEN, ABORTING, COMPLETED }

  final Vertx vertx;
  final Context context;
  final String name;
  final Timers timers;
  final Deadlines deadlines;
  final TaskGroup facade;
  private final int maxConcurrency;
  private final Duration timeout;
  private final ScopeImpl parent; // null for a top-level group
  private final ResultSink sink; // null unless a pattern runs the group
  private final Promise<R> promise;

  State state = State.OPEN;
  private int spawned; // spawn counter: names and pattern indexes
  private int running; // tasks started and not settled
  private int queued; // PENDING tasks in the queue (cancelled ones may linger there, skipped)
  private int attached; // nested groups and inner timeouts running in this group's scopes
  private ArrayDeque<TaskImpl<?>> queue; // created at the first spawn past the limit
  private Map<TaskImpl<?>, Promise<?>> queuedFutures; // future() asked of a queued task: rare, kept aside
  private boolean draining; // trampoline: starting queued tasks never recurses
  private boolean cancelling; // inside cancel(): completion waits until the hooks have run
  private TaskImpl<?> liveHead; // running tasks, oldest first; a settled task leaves at once
  private TaskImpl<?> liveTail;
  private List<Throwable> errors; // real errors in completion order; null while none
  private boolean bodyDone;
  private R bodyResult;
  private CancellationException bodyCancelled; // the body ended with a cancellation of its own
  private boolean timedOut;
  private Registration parentHook;
  private GroupDeadline deadline;

  GroupImpl(Vertx vertx, Context context, TaskGroupOptions options, ScopeImpl parent, ResultSink sink) {
    this.group = this;
    this.vertx = vertx;
    this.context = context;
    this.name = options.getName();
    this.maxConcurrency = options.getMaxConcurrency();
    this.timeout = options.getTimeout();
    Timers t = options.getTimers();
    this.timers = t != null ? t : parent != null ? parent.group.timers : Timers.VERTX;
    this.parent = parent;
    this.sink = sink;
    this.deadlines = new Deadlines(this);
    this.facade = new TaskGroup(this);
    this.promise = VertxContexts.promise(context);
  }

  /** Starts a group: on the context at once if already there, else after one hop. */
  static <R> Future<R> launch(Vertx vertx, Context context, TaskGroupOptions options, ScopeImpl parent,
                              ResultSink sink, Function<TaskGroup, Future<R>> body) {
    Objects.requireNonNull(options, "options");
    Objects.requireNonNull(body, "body");
    GroupImpl<R> g = new GroupImpl<>(vertx, context, options, parent, sink); // reads options once: later changes do not reach it
    if (g.onContext()) {
      g.begin(body);
    } else {
      context.runOnContext(v -> g.begin(body));
    }
    return g.promise.future();
  }

  private void begin(Function<TaskGroup, Future<R>> body) {
    if (parent != null) {
      TaskCancelledException cause = parent.cancelCause != null ? parent.cancelCause
          : parent.closed() ? parent.closedCause() : null;
      if (cause != null) { // the body never runs in a scope that is cancelled or finished
        state = State.COMPLETED;
        close();
        promise.fail(cause);
        return;
      }
      parentHook = parent.attachChild(c -> cancel(new TaskCancelledException(CancelReason.PARENT_CANCELLED,
          "task group '" + name + "' was cancelled by its enclosing scope '" + parent.scopeName() + "': " + c.getMessage())));
      parent.group.attach(); // the enclosing group completes only after this one
    }
    if (timeout != null) {
      deadline = new GroupDeadline();
      deadlines.add(deadline, Durations.toNanos(timeout));
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

  boolean onContext() {
    return VertxContexts.isOnContext(context);
  }

  void checkOnContext(String operation) {
    if (!onContext()) {
      throw new IllegalStateException(operation + " was called on thread '" + Thread.currentThread().getName()
          + "', outside the context of task group '" + name
          + "'; call it from a task, from the body, or through context().runOnContext(...)");
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
  long deadlineNanos() {
    long own = deadline != null ? deadline.deadlineNanos() : NO_DEADLINE;
    return parent == null ? own : Math.min(own, parent.deadlineNanos());
  }

  // ---- spawning -------------------------------------------------------------------------------

  <T> Task<T> spawn(String taskName, TaskFn<T> fn) {
    Objects.requireNonNull(fn, "the task function passed to spawn is null");
    checkOnContext("spawn");
    if (state != State.OPEN) {
      throw new IllegalStateException(state == State.ABORTING
          ? "cannot spawn into task group '" + name + "': it is shutting down (" + cancelCause.getMessage() + ")"
          : "cannot spawn into task group '" + name + "': it has completed");
    }
    TaskImpl<T> t = fn instanceof TimeoutFn
        ? new TimedTaskImpl<>(this, taskName, (TimeoutFn<T>) fn, spawned++)
        : new TaskImpl<>(this, taskName, fn, spawned++);
    if (running < maxConcurrency && queued == 0) { // never ahead of a queued task: FIFO
      startTask(t);
    } else {
      if (queue == null) {
        queue = new ArrayDeque<>();
      }
      queue.add(t);
      queued++;
    }
    return t;
  }

  private void startTask(TaskImpl<?> t) {
    running++;
    t.prevLive = liveTail; // register before running user code: a task that completes
    if (liveTail == null) { // synchronously cannot finish the group early
      liveHead = t;
    } else {
      liveTail.nextLive = t;
    }
    liveTail = t;
    t.start();
  }

  private void unlinkLive(TaskImpl<?> t) {
    TaskImpl<?> p = t.prevLive;
    TaskImpl<?> n = t.nextLive;
    if (p == null) {
      liveHead = n;
    } else {
      p.nextLive = n;
    }
    if (n == null) {
      liveTail = p;
    } else {
      n.prevLive = p;
    }
    t.prevLive = null;
    t.nextLive = null;
  }

  /** Starts queued tasks while slots are free; iterative, so synchronous tasks never nest. */
  private void drain() {
    if (draining) {
      return;
    }
    draining = true;
    try {
      while (queued > 0 && running < maxConcurrency) {
        TaskImpl<?> t = queue.poll();
        if (t.state == TaskState.PENDING) {
          queued--;
          startTask(t);
        }
      }
    } finally {
      draining = false;
    }
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

  void cancelQueued(TaskImpl<?> t, TaskCancelledException cause) {
    queued--; // it stays in the deque, skipped when polled
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

  // ---- settling -------------------------------------------------------------------------------

  /** A task settled: the pattern's sink sees it, and a failure is recorded and aborts the group. */
  void taskOutcome(TaskImpl<?> t) {
    boolean takenOver = sink != null && sink.settled(t);
    if (t.state == TaskState.FAILED && !takenOver) {
      recordError(t.failure());
      abort(CancelReason.SIBLING_FAILED, "task '" + t.name() + "' of task group '" + name + "' failed");
    }
  }

  /** A settled task leaves the group (after its own future's listeners ran): its slot frees. */
  void taskLeft(TaskImpl<?> t) {
    unlinkLive(t);
    running--;
    if (queued > 0) {
      drain();
    }
    maybeComplete();
  }

  /** The body's future completed. */
  @Override
  public void complete(R value, Throwable error) {
    if (onContext()) {
      bodySettled(value, error);
    } else {
      context.runOnContext(v -> bodySettled(value, error));
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

  private void recordError(Throwable e) {
    if (errors == null) {
      errors = new ArrayList<>(2);
    }
    if (!isRecorded(e)) {
      errors.add(e);
    }
  }

  private boolean isRecorded(Throwable e) {
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
      abort(CancelReason.SIBLING_FAILED, "a cancel hook in task group '" + name + "' threw " + e);
    }
  }

  // ---- cancellation ---------------------------------------------------------------------------

  private void abort(CancelReason reason, String message) {
    if (state == State.OPEN) {
      cancel(new TaskCancelledException(reason, message));
    }
  }

  void cancelExplicitly() {
    if (onContext()) {
      abort(CancelReason.EXPLICIT, "task group '" + name + "' was cancelled");
    } else {
      context.runOnContext(v -> cancelExplicitly());
    }
  }

  /** A race was won: the rest is cancelled, cleanly. */
  void cancelLosers() {
    abort(CancelReason.RACE_LOST, "another task of race '" + name + "' succeeded first");
  }

  @Override
  boolean cancel(TaskCancelledException cause) {
    boolean outer = cancelling; // a hook may cancel us again while we cancel: only the first call completes
    cancelling = true; // tasks settling inside propagate must not complete the group before its hooks ran
    boolean cancelled;
    try {
      cancelled = super.cancel(cause);
    } finally {
      cancelling = outer;
    }
    if (cancelled && !outer) {
      maybeComplete();
    }
    return cancelled;
  }

  @Override
  void propagate(TaskCancelledException cause) {
    state = State.ABORTING;
    if (queued > 0) {
      TaskImpl<?> t;
      while ((t = queue.poll()) != null) {
        if (t.state == TaskState.PENDING) {
          queued--;
          t.cancelWhileQueued(cause);
          if (sink != null) {
            sink.settled(t);
          }
        }
      }
    }
    if (running > 0) {
      // Snapshot first: a hook of one task may settle another and reshape the live list.
      TaskImpl<?>[] live = new TaskImpl<?>[running];
      int n = 0;
      for (TaskImpl<?> t = liveHead; t != null && n < live.length; t = t.nextLive) {
        live[n++] = t;
      }
      for (int i = 0; i < n; i++) {
        live[i].cancel(cause);
      }
    }
  }

  private void deadlinePassed() {
    if (state == State.OPEN) {
      timedOut = true;
      recordError(new TaskTimeoutException("task group", name, timeout));
      cancel(new TaskCancelledException(CancelReason.DEADLINE,
          "task group '" + name + "' passed its deadline of " + Durations.millis(timeout)));
    }
  }

  // ---- completion -----------------------------------------------------------------------------

  private void maybeComplete() {
    if (state == State.COMPLETED || cancelling || !bodyDone || running > 0 || queued > 0 || attached > 0) {
      return;
    }
    state = State.COMPLETED;
    close();
    queue = null;
    if (parentHook != null) {
      parentHook.remove();
    }
    deadlines.closeAll(closedCause()); // sleeps nobody awaited end now; idle timers are cancelled
    Throwable failure = outcome();
    // Asked before completing: the listeners may be what finishes the owner (a task awaiting us).
    boolean unawaited = parent != null && failure != null && !(failure instanceof CancellationException)
        && parent.ownerFinished();
    if (failure == null) {
      promise.complete(bodyResult);
    } else {
      promise.fail(failure);
    }
    if (parent != null) {
      if (unawaited) {
        // Nobody in the enclosing scope can await this group any more: its errors would be lost.
        parent.group.nestedFailedUnawaited(this, failure);
      }
      parent.group.detach();
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
    if (cause != null && cause.reason() == CancelReason.PARENT_CANCELLED) {
      return cause;
    }
    return null;
  }

  // ---- introspection --------------------------------------------------------------------------

  int running() {
    return running;
  }

  int queued() {
    return queued;
  }

  int errorCount() {
    return errors == null ? 0 : errors.size();
  }

  @Override
  public String toString() {
    TaskCancelledException cause = cancelCause;
    return "TaskGroup[" + name + ", " + state + ", running=" + running + ", queued=" + queued
        + (attached > 0 ? ", nested=" + attached : "") + ", errors=" + errorCount() + (cause != null ? ", cancelled (" + cause.reason() + ")" : "") + "]";
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
