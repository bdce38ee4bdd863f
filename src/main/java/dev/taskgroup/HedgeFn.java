package dev.taskgroup;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CancellationException;
import java.util.function.Consumer;
import java.util.function.Predicate;

/**
 * A hedged function (see {@link TaskFn#hedged}). Immutable but for the latency window of an
 * adaptive delay, which is guarded by its own monitor: one hedged function may serve every event
 * loop. The options are read once per change of the options into a {@link Policy} that every
 * function hedged with them shares; the window is this function's own (it learns the latencies of
 * the function it hedges).
 *
 * <h2>Two paths</h2>
 * <p><b>A task's whole function</b> (spawned, or a pattern's: {@link AttemptTask}): attempt 1 runs
 * in the task's own scope, and the delay is a membership in a {@link Block}, one deadline node
 * shared by up to {@value #BLOCK} hedges that a pattern's spawn loop starts together (their
 * deadlines are stamped with one clock reading anyway, see {@link Deadlines#batch}). A hedge that
 * never fires so costs its pattern task two references (its role, and its inner function in what
 * would be the task's padding) and a count in the block, and no scope, hook, promise, listener or node
 * of its own (a spawned task's hedge, or one queued past {@code maxConcurrency}, has a block of
 * one: a node of its own); the hedge's state ({@link Hedge}) is made only when the delay passes or attempt 1 fails.
 * Attempts 2 and on then run in child scopes enclosed by the task (its deadline and attempt
 * numbering) that hang from no hook of it: the task's cancellation reaches them through the hedge
 * ({@link AttemptTask.Role#cancelling}), so that closing attempt 1's leftovers (the task's scope,
 * when attempt 1 fails while others run) never reaches them. When another attempt wins (or fails
 * with an error not handled) while attempt 1 still runs, attempt 1 is cancelled as a loser must
 * be: the task's scope is cancelled ({@link CancelReason#RACE_LOST} or
 * {@link CancelReason#SIBLING_FAILED}), so attempt 1's {@code isCancelled()} is true, its hooks run
 * (its HTTP request is reset) and work it binds afterwards is refused; the task then settles with
 * the hedge's outcome once attempt 1 has settled. That is the state a task already reaches when a
 * result arrives despite its cancellation: a cancelled scope that still succeeds. What the rest of
 * the library sees meanwhile: {@link Task#state()} stays {@code RUNNING} until the task settles
 * (then {@code SUCCEEDED} with the winner, or {@code FAILED}); {@link Task#cancel()} returns false
 * once the hedge has marked the scope cancelled (a foreign cancel just ahead of that mark returns
 * true, and the task still succeeds with the winner: a result that arrived first wins); the task tree shows the task {@code CANCELLING} with the
 * hedge's reason and its running attempts below it; observers and the group see one task that
 * succeeded or failed, never a cancelled one. Code of attempt 1 still running after its future
 * failed, while a later attempt runs, finds the task's scope open, and what it binds then is
 * cancelled when the task ends (the same as for a retry, see {@link RetryFn}).
 *
 * <p><b>Run any other way</b> (wrapped in a timeout, called from a lambda): every attempt in a
 * child scope of the calling scope, the delay the hedge's own deadline node (one queue, and one
 * timer, for all the hedges of a group with the same delay; the node leaves its queue the moment
 * the hedge ends).
 *
 * <p>Rejected: attempt 1 in a small scope of its own forwarding to the task's (32 bytes and a hook
 * per hedge, where the task's own scope is free); one deadline node per hedge on the task path (40
 * bytes and a queue link per hedge, the cost that kept per-task timeouts at 1.3-1.5x).
 */
final class HedgeFn<T> extends AttemptFn<T> {
  /** How many recent latencies an adaptive delay is computed from. */
  static final int WINDOW = 100;
  /** How many latencies an adaptive delay needs before it uses them (until then: its maximum). */
  static final int MIN_SAMPLES = 10;
  /** How many hedges one {@link Block} holds at most: consecutive spawn numbers, like a batch's stamp. */
  static final int BLOCK = Deadlines.STAMP_EVERY;

  private final TaskFn<T> inner;
  private final Policy spec;
  private final Window window; // null when the delay is fixed

  HedgeFn(TaskFn<T> inner, HedgeOptions options) {
    this(Objects.requireNonNull(inner, "inner"), Objects.requireNonNull(options, "options").policy());
  }

  /** {@code inner} hedged with {@code spec}: also the function a {@link Block} rebuilds from what its member kept. */
  private HedgeFn(TaskFn<T> inner, Policy spec) {
    this.inner = inner;
    this.spec = spec;
    this.window = spec.percentile > 0 ? new Window() : null;
  }

  /** What a hedge reads of its options, immutable: shared by all functions hedged with the same unchanged options. */
  static final class Policy {
    final int maxAttempts;
    final long fixedNanos;
    final double percentile; // 0: fixed
    final long minNanos;
    final long maxNanos;
    final Predicate<? super Throwable> handledOn;
    final RetryBudget budget;
    /**
     * A fixed delay, no budget, a further attempt allowed: attempt 1 of a task only joins a block
     * ({@link #runFirst}). Kept here, not in the function: a field more would take a
     * {@code HedgeFn}, made per hedged function, from 24 to 32 bytes (the caller's 8 B per task).
     */
    final boolean plain;

    Policy(HedgeOptions options) {
      this.maxAttempts = options.getMaxAttempts();
      this.fixedNanos = Durations.toNanos(options.getDelay());
      this.percentile = options.getPercentile();
      this.minNanos = percentile > 0 ? Durations.toNanos(options.getMinDelay()) : 0;
      this.maxNanos = percentile > 0 ? Durations.toNanos(options.getMaxDelay()) : 0;
      this.handledOn = options.getHandledOn();
      this.budget = options.getBudget();
      this.plain = percentile == 0 && budget == null && maxAttempts > 1 && fixedNanos > 0;
    }
  }

  /** The latencies of an adaptive delay's winning attempts: a ring, guarded by its own monitor. */
  private static final class Window {
    final long[] latencies = new long[WINDOW];
    int recorded; // how many latencies were ever recorded (kept below 2 * WINDOW)
  }

  @Override
  public Future<T> run(TaskScope scope) {
    ScopeImpl parent = ScopeImpl.of(scope);
    TaskCancelledException refused = ChildScope.refusal(parent, "a hedge's run");
    if (refused != null) {
      return Future.failedFuture(refused);
    }
    if (spec.budget != null) {
      spec.budget.deposit();
    }
    Hedge<T> hedge = new Hedge<>(this, parent, null, delayNanos(), 0);
    hedge.begin();
    return hedge.promise.future();
  }

  /**
   * Attempt 1 of the hedge that is {@code task}'s whole function, in the task's own scope: the
   * delay joins the group's open {@link Block} (or opens one), which is the task's role until it
   * passes; with a zero delay the hedge's state is made at once and starts the other attempts
   * after attempt 1's function returned, unless attempt 1 already ended in that call (a cached
   * answer, a synchronous failure: then its outcome goes through the hedge's rules as it settles);
   * with one attempt allowed this function is the role.
   *
   * <p>Called for a task only when {@link #firstCall} declined: the common case (a fixed delay,
   * no budget) is there, one flag read and a block join, with attempt 1's call left to the task.
   */
  @Override
  Future<T> runFirst(AttemptTask<T> task) {
    if (spec.budget != null) {
      spec.budget.deposit();
    }
    if (spec.maxAttempts == 1) {
      task.role(this);
      return callFirst(inner, task);
    }
    long delay = delayNanos();
    if (delay > 0) {
      Block.join(this, task, delay);
      return callFirst(inner, task);
    }
    Hedge<T> hedge = new Hedge<>(this, task.scope(), task, 0, window != null ? task.scope().group.timers.nanoTime() : 0);
    task.role(hedge);
    Future<T> work = callFirst(inner, task);
    if (!work.isComplete()) { // one that ended in its call settles the task through the hedge's rules
      hedge.startTheRest();
    }
    return work;
  }

  /** The common case (a fixed delay, no budget, a further attempt allowed): a block join, attempt 1's call left to the task. */
  @Override
  TaskFn<T> firstCall(AttemptTask<T> task) {
    if (spec.plain) {
      Block.join(this, task, spec.fixedNanos);
      return inner;
    }
    return null;
  }

  /** Attempt 1 of a hedge allowed no other ended: a success settles the task, a failure goes through the hedge's rules. */
  @Override
  public void firstSettled(AttemptTask<T> task, T value, Throwable error) {
    if (!endsAlone(task, value, error)) {
      Hedge<T> hedge = new Hedge<>(this, task.scope(), task, 0, 0);
      task.role(hedge);
      hedge.firstSettled(task, null, error);
    }
  }

  /**
   * Settles {@code task} at once when attempt 1 ended as the whole hedge would with no other
   * attempt running: a success, or a cancellation of the task. {@return whether it did}
   */
  private static <T> boolean endsAlone(AttemptTask<T> task, T value, Throwable error) {
    if (error == null) {
      task.finish(value, null);
      return true;
    }
    TaskCancelledException cause = task.scope().cancelCause;
    if (cause != null && error instanceof CancellationException) {
      task.finish(null, cause); // the hedge's failure on the general path: its caller's cancellation
      return true;
    }
    return false;
  }

  /** {@return the delay before a further attempt: fixed, or the percentile of the window, clamped} */
  long delayNanos() {
    if (window == null) {
      return spec.fixedNanos;
    }
    long[] sorted;
    synchronized (window) {
      if (window.recorded < MIN_SAMPLES) {
        return spec.maxNanos;
      }
      sorted = Arrays.copyOf(window.latencies, Math.min(window.recorded, WINDOW));
    }
    Arrays.sort(sorted);
    int rank = (int) Math.ceil(spec.percentile / 100 * sorted.length) - 1; // nearest-rank percentile
    return Math.max(spec.minNanos, Math.min(spec.maxNanos, sorted[Math.max(0, rank)]));
  }

  void recordLatency(long nanos) {
    if (window != null) {
      synchronized (window) {
        window.latencies[window.recorded++ % WINDOW] = nanos;
        if (window.recorded == 2 * WINDOW) {
          window.recorded = WINDOW; // keeps the index from overflowing; the ring stays full
        }
      }
    }
  }

  @Override
  public String toString() {
    return "HedgeFn[maxAttempts=" + spec.maxAttempts + ", " + inner + "]";
  }

  /**
   * The delays of up to {@value #BLOCK} hedges started together in one group, each a pattern
   * task's whole function: one deadline node for all of them, and the role of each of their tasks
   * while its delay runs. A hedge joins the group's open block while that block's deadline is still
   * pending (a pattern's spawn loop, {@link Deadlines#batch}: every deadline added there is stamped
   * with one reading anyway), its delay is the block's, its task is the running task of its slot in
   * the block's pattern array, and its spawn number falls within {@value #BLOCK} of the block's
   * first; otherwise it opens a new block. The block left behind stays pending until the spawn loop
   * stamps every pending deadline at the end of each {@value #BLOCK} starts
   * ({@link GroupImpl#spawnPattern}), so a block's deadline is never later than starting
   * {@value #BLOCK} tasks takes. Any other hedge (a spawned task's, or a pattern's that waited for a
   * slot and so runs as a spawned task) has a block of its own ({@link #solo}); the test that a
   * pattern task is the running task of its slot is defensive (the spawn loop registers it there
   * before its function runs).
   *
   * <p>The block keeps no per-hedge slot: its members are the running tasks of its range of the
   * pattern array whose role it is (as {@link BlockDeadline} finds its members), and each member
   * keeps its inner function ({@link AttemptPatternTask#kept}, in the task's padding; the block's policy
   * rebuilds the hedged function from it when needed, so that one dies as the task starts). So joining
   * and leaving are a count, and a hedge that never fires costs its task nothing a retry's does
   * not. A hedge leaves when attempt 1 ends (its task settles, keeping the block as a stale role,
   * or its role becomes its {@link Hedge}) or the delay passes; the block leaves its queue as its
   * last hedge leaves, so an ended hedge holds nothing. When the delay passes, the walk over the
   * range gives each hedge still in the block its state ({@link Hedge}), which starts attempt 2;
   * attempt 2 may end other hedges of the block meanwhile, which the walk then skips (they no
   * longer run, or their role is no longer the block). Group's context only.
   *
   * <p>Rejected: arrays of the members' tasks and functions in the block (8 bytes and two stores
   * per hedge at the join and again at the leave, for a walk that happens only when the delay
   * passes).
   */
  static final class Block extends Deadlines.Node implements AttemptTask.Role<Object> {
    private final GroupImpl<?> group;
    private final Policy spec; // the policy of the hedge that opened it: what rebuilds a member's function from its inner one
    private final long delayNanos;
    private final int base; // the spawn number (and pattern index) of the first member
    private final Object[] slots; // the members' pattern array; null for a solo block
    private final AttemptTask<?> solo; // a solo block's one hedge, and its function
    private final HedgeFn<?> soloFn;
    private int live; // hedges in the block
    private boolean adaptive; // some member's delay is adaptive: a success records its latency

    private Block(GroupImpl<?> group, Policy spec, long delayNanos, int base, Object[] slots, AttemptTask<?> solo, HedgeFn<?> soloFn) {
      this.group = group;
      this.spec = spec;
      this.delayNanos = delayNanos;
      this.base = base;
      this.slots = slots;
      this.solo = solo;
      this.soloFn = soloFn;
    }

    /** {@code task}'s delay joins the group's open block if it may, else a block it opens ({@link #open}). */
    @SuppressWarnings({"unchecked", "rawtypes"})
    static <T> void join(HedgeFn<T> fn, AttemptTask<T> task, long delayNanos) {
      AbstractTask<T> s = task.scope();
      int seq = s.seq();
      Block b = s.group.hedgeBlock;
      if (b == null || !b.takes(task, seq, delayNanos)) {
        b = open(fn, task, seq, delayNanos); // once per BLOCK hedges of a pattern
      }
      if (b.slots != null) {
        ((AttemptPatternTask<T>) task).kept = b.keeps(fn);
      }
      b.live++;
      if (fn.window != null) {
        b.adaptive = true;
      }
      task.role((AttemptTask.Role) b);
    }

    /**
     * {@return what a member hedged by {@code fn} keeps: the inner function when this block's
     * policy rebuilds {@code fn} from it ({@link #fnOf}), so that {@code fn} dies as the task starts;
     * else {@code fn}} An inner function that is itself a {@code HedgeFn} is never kept alone: what
     * the member keeps is a {@code HedgeFn} exactly when it is the member's own function.
     */
    private <T> TaskFn<T> keeps(HedgeFn<T> fn) {
      TaskFn<T> in = fn.inner;
      // the window test is not implied by the policy's: a block opened by an adaptive hedge has an
      // adaptive policy, and a member's latencies live in its own function's window
      return fn.spec == spec && fn.window == null && !(in instanceof HedgeFn) ? in : fn;
    }

    /** {@return whether this open block takes {@code task}, spawn number {@code seq}, with that delay (see the class doc)} */
    private boolean takes(AttemptTask<?> task, int seq, long delay) {
      Object[] p = slots; // non-null: only a pattern's block is the group's open one
      int k = seq - base;
      return pending && delayNanos == delay && p == group.pattern && k >= 0 && k < BLOCK && seq < p.length
          && task instanceof AttemptPatternTask && p[seq] == task;
    }

    /** {@return a new block for {@code task}: the group's open one if the task is a running task of its pattern, else a solo block} */
    private static <T> Block open(HedgeFn<T> fn, AttemptTask<T> task, int seq, long delayNanos) {
      GroupImpl<?> g = task.scope().group;
      Object[] p = g.pattern;
      boolean member = task instanceof AttemptPatternTask && p != null && seq < p.length && p[seq] == task;
      // one allocation and one add, not one per kind: C2 inlines this rare path into the join (it
      // runs often enough to count as hot), and the join's compiled size decides whether the
      // spawn's path inlines the join (RESULTS.md 15, "already compiled into a big method")
      Block b = new Block(g, fn.spec, delayNanos, seq, member ? p : null, member ? null : task, member ? null : fn);
      g.deadlines.add(b, delayNanos);
      if (member) {
        g.hedgeBlock = b.pending ? b : null; // stamped at once (no batch): nothing can join it
      }
      return b;
    }

    /** {@return when the block's hedges started, on the group's clock: its deadline less the delay} */
    private long startedNanos() {
      return deadlineNanos() - delayNanos; // stamps a pending block first
    }

    /** A hedge left the block (its attempt 1 ended, or its delay passed). */
    private void leave() {
      if (--live == 0) {
        Deadlines.remove(this);
        if (group.hedgeBlock == this) {
          group.hedgeBlock = null;
        }
      }
    }

    /**
     * Attempt 1 of a member succeeded before the delay passed, and no latency is to be recorded (no
     * member's delay is adaptive): the member leaves, and its task settles with the success (the
     * caller's part: {@link AttemptTask#settlesAlone}). {@return false, leaving nothing done, if a
     * latency is to be recorded: {@link #firstSettled} then}
     */
    boolean leftWithSuccess() {
      if (adaptive) {
        return false;
      }
      leave();
      return true;
    }

    /** {@return what the block holds of member {@code task}: the solo function, or what the member kept ({@link #keeps})} */
    private TaskFn<?> held(AttemptTask<?> task) {
      return slots == null ? soloFn : ((AttemptPatternTask<?>) task).kept;
    }

    /** {@return the hedged function of member {@code task}: the one held, or one rebuilt from the inner function it kept} */
    @SuppressWarnings({"unchecked", "rawtypes"})
    private HedgeFn<?> fnOf(AttemptTask<?> task) {
      TaskFn fn = held(task);
      return fn instanceof HedgeFn ? (HedgeFn<?>) fn : new HedgeFn<>(fn, spec);
    }

    /** {@return the window of member {@code task}'s delay, or null when it is fixed} Rebuilds nothing: a rebuilt function's delay is fixed. */
    private Window windowOf(AttemptTask<?> task) {
      TaskFn<?> fn = held(task);
      return fn instanceof HedgeFn ? ((HedgeFn<?>) fn).window : null;
    }

    /** Attempt 1 ended before the delay passed: a success settles the task, a failure makes the hedge's state. */
    @Override
    @SuppressWarnings({"unchecked", "rawtypes"})
    public void firstSettled(AttemptTask<Object> task, Object value, Throwable error) {
      // before it leaves: its deadline is the block's; not after a crash, which took the node out
      // of its queue unexpired (no start to measure from: the window is shared, keep it clean).
      // The function is read only when needed: a fixed delay's success never touches it.
      if (error == null && adaptive && group.state != GroupImpl.State.COMPLETED && windowOf(task) != null) {
        fnOf(task).recordLatency(group.timers.nanoTime() - startedNanos());
      }
      leave();
      if (error == null) { // as endsAlone would, a call shallower: the common case's chain stays within C2's inlining depth
        task.finish(value, null);
      } else if (!endsAlone(task, value, error)) {
        HedgeFn fn = fnOf(task);
        Hedge hedge = new Hedge(fn, task.scope(), task, delayNanos, 0); // attempt 1 is over: its start is not needed
        task.role(hedge);
        hedge.firstSettled(task, null, error);
      }
    }

    /**
     * The delay passed (the node is out of its queue): each hedge still here gets its state, which
     * starts attempt 2, in spawn order.
     */
    @Override
    @SuppressWarnings({"unchecked", "rawtypes"})
    void expire() {
      if (group.hedgeBlock == this) {
        group.hedgeBlock = null;
      }
      long started = deadline - delayNanos;
      if (slots == null) {
        if (live > 0) {
          live--;
          start((AttemptTask) solo, (HedgeFn) soloFn, started);
        }
        return;
      }
      int end = Math.min(slots.length, base + BLOCK);
      for (int i = base; i < end && live > 0; i++) {
        Object o = slots[i];
        if (o instanceof AttemptPatternTask) {
          AttemptPatternTask task = (AttemptPatternTask) o;
          if (task.runsAt(group, i) && task.role() == this) { // a member whose attempt 1 still runs
            live--;
            start(task, (HedgeFn) fnOf(task), started);
          }
        }
      }
    }

    /** {@code task}'s delay passed: its hedge's state takes over its role and starts attempt 2. */
    private <T> void start(AttemptTask<T> task, HedgeFn<T> fn, long started) {
      Hedge<T> hedge = new Hedge<>(fn, task.scope(), task, delayNanos, started);
      task.role(hedge);
      hedge.expire(); // may run user code (attempt 2), which may end other hedges of this block
    }

    @Override
    void close(TaskCancelledException cause) {} // the group completed (every hedge had ended) or crashed (its tasks are cancelled)
  }

  /**
   * One call of a hedged function. Group's context only. It ends once: with the first success
   * (the others are cancelled with {@link CancelReason#RACE_LOST}), with a failure not handled
   * (the others are cancelled), or when no attempt runs and none may start; it completes (its
   * promise, or its task) when every attempt has settled. It is its own delay node: queued while
   * the delay runs, out of the queue otherwise.
   *
   * <p>Two modes. On the general path every attempt is a {@link ChildScope} of {@code parent},
   * attempt 1 included, and the outcome completes {@code promise}. When the hedge is a task's whole
   * function ({@code task} non-null, {@code parent} the task), attempt 1 is the task's own scope,
   * running from the start (the state is made later, when the delay passed or attempt 1 failed);
   * further attempts are {@link ChildScope#beside} the task, cancelled through
   * {@link #cancelling}; a loser attempt 1 is cancelled by cancelling the task's scope, and the
   * outcome ends the task.
   */
  private static final class Hedge<T> extends Deadlines.Node implements ChildScope.Listener<T>, AttemptTask.Role<T> {
    private final HedgeFn<T> fn;
    private final Policy spec;
    private final ScopeImpl parent;
    private final AttemptTask<T> task; // the task whose whole function the hedge is, or null
    private final long delayNanos;
    final Promise<T> promise; // null when the hedge is a task's function
    private ChildScope<T> first; // attempt 1, on the general path
    private final long firstStartedNanos; // a task's attempt 1, adaptive delays only: when it started
    private boolean firstDone; // a task's attempt 1 ended
    private List<ChildScope<T>> more; // attempts 2 and on, made when the first of them starts
    private int live; // attempts started and not settled
    private List<Throwable> errors; // made by the first failure
    private int started;
    private boolean ended; // decided: won, or failed with an error not handled; no attempt starts any more
    private boolean won;
    private T winner;
    private String why; // why the hedge failed, once ended without a winner
    private boolean completed;

    Hedge(HedgeFn<T> fn, ScopeImpl parent, AttemptTask<T> task, long delayNanos, long firstStartedNanos) {
      this.fn = fn;
      this.spec = fn.spec;
      this.parent = parent;
      this.task = task;
      this.delayNanos = delayNanos;
      this.firstStartedNanos = firstStartedNanos;
      if (task == null) {
        this.promise = VertxContexts.promise(parent.group.context);
      } else {
        this.promise = null;
        this.started = 1; // attempt 1 is the task's scope, running since the task's function was called
        this.live = 1;
      }
    }

    /** The general path: attempt 1 in a child scope, then the delay or, with none, every other attempt. */
    void begin() {
      launch();
      if (delayNanos == 0) {
        startTheRest();
      } else {
        arm();
      }
      maybeComplete();
    }

    /** A zero delay: every further attempt at once, as far as the budget allows. */
    void startTheRest() {
      while (!stopped() && started < spec.maxAttempts && mayStartAnother()) {
        launch();
      }
    }

    private boolean stopped() {
      return ended || completed || parent.cancelCause != null || parent.closed();
    }

    private boolean mayStartAnother() {
      return spec.budget == null || spec.budget.tryWithdraw();
    }

    private void launch() {
      started++;
      if (started > 1) {
        Observation.hedged(parent.group);
      }
      ChildScope<T> attempt = task != null ? ChildScope.beside(parent, started, this) : ChildScope.attempt(parent, started, this);
      if (fn.window != null) {
        attempt.startedNanos = parent.group.timers.nanoTime(); // only an adaptive delay reads the clock for it
      }
      if (first == null && task == null) {
        first = attempt;
      } else {
        if (more == null) {
          more = new ArrayList<>(2);
        }
        more.add(attempt);
      }
      live++; // before it runs: it may settle before start returns
      attempt.start(fn.inner);
    }

    /** (Re)starts the delay, unless no further attempt may start. */
    private void arm() {
      Deadlines.remove(this);
      if (!stopped() && started < spec.maxAttempts) {
        expired = false;
        parent.group.deadlines.add(this, delayNanos);
      }
    }

    /** The delay passed with no success (the node is out of its queue): the next attempt starts, if the budget allows. */
    @Override
    void expire() {
      if (stopped() || started >= spec.maxAttempts) {
        return;
      }
      if (mayStartAnother()) {
        launch();
        arm();
      } else if (why == null) {
        why = "the budget allowed no further attempt";
      }
    }

    @Override
    void close(TaskCancelledException cause) {} // the group completed: the hedge had ended

    @Override
    public void childSettled(ChildScope<T> attempt, T value, Throwable error) {
      settled(attempt.attempt, attempt.startedNanos, attempt.cancelCause != null, value, error);
    }

    /**
     * A task's attempt 1 (the task's own scope) ended. What it left bound to the scope is
     * cancelled and its hooks dropped ({@link ScopeImpl#close}), as closing its own scope would,
     * unless the scope is being cancelled (its hooks run then); the attempts beside it hang from
     * no hook, so this cannot reach them.
     */
    @Override
    public void firstSettled(AttemptTask<T> t, T value, Throwable error) {
      if (firstDone) {
        return; // attempt 1's work completing twice: the first outcome stands
      }
      firstDone = true;
      if (parent.cancelCause == null) {
        parent.close();
      }
      settled(1, firstStartedNanos, parent.cancelCause != null, value, error);
    }

    /** The task's scope is being cancelled (by its group, {@link Task#cancel()}, or this hedge): so is every attempt beside it. */
    @Override
    public void cancelling(AttemptTask<T> t, TaskCancelledException cause) {
      Deadlines.remove(this); // no attempt starts any more
      cancelMore(cause);
    }

    @Override
    public void attemptsBeside(Consumer<ScopeImpl> each) {
      if (more != null) {
        for (ChildScope<T> c : more) {
          if (!c.closed()) {
            each.accept(c);
          }
        }
      }
    }

    /** Attempt {@code number} settled; {@code cancelled}: its scope had been cancelled. */
    private void settled(int number, long startedNanos, boolean cancelled, T value, Throwable error) {
      live--;
      if (!ended) {
        if (error == null) {
          ended = true;
          won = true;
          winner = value;
          if (fn.window != null) {
            fn.recordLatency(parent.group.timers.nanoTime() - startedNanos);
          }
          cancelOthers(CancelReason.RACE_LOST, number, "succeeded first");
        } else if (!(cancelled && error instanceof CancellationException)) {
          failed(number, error); // an attempt cancelled by the hedge or the caller is no error
        }
      }
      maybeComplete();
    }

    private void failed(int number, Throwable error) {
      record(error);
      if (parent.cancelCause != null || parent.closed()) {
        return; // the caller's cancellation is ending every attempt
      }
      boolean handled;
      try {
        handled = spec.handledOn.test(error);
      } catch (Throwable e) {
        record(e);
        handled = false;
      }
      if (!handled) {
        ended = true;
        why = "attempt " + number + " failed with an error not handled";
        cancelOthers(CancelReason.SIBLING_FAILED, number, "failed");
      } else if (started < spec.maxAttempts) {
        if (mayStartAnother()) {
          launch(); // a handled failure starts the next attempt at once, and the delay anew
          arm();
        } else {
          why = "the budget allowed no further attempt";
        }
      }
    }

    private void record(Throwable error) {
      if (errors == null) {
        errors = new ArrayList<>(2);
      }
      errors.add(error);
    }

    /**
     * Stops the delay and cancels every attempt still running; the cancellation (and its message)
     * is made only if one runs, so a hedge won by its only attempt allocates none. A task's attempt
     * 1 still running is cancelled through the task's scope (which cancels the others too, through
     * {@link #cancelling}).
     */
    private void cancelOthers(CancelReason reason, int by, String what) {
      Deadlines.remove(this);
      if (live == 0) {
        return;
      }
      TaskCancelledException cause = new TaskCancelledException(reason,
          "attempt " + by + " of the hedge in '" + parent.scopeName() + "' " + what);
      if (task != null) {
        if (!firstDone) {
          parent.cancel(cause); // attempt 1 lost: the task's scope is its scope (see the class doc of HedgeFn)
        }
      } else {
        first.cancel(cause); // a no-op once it has settled
      }
      cancelMore(cause);
    }

    private void cancelMore(TaskCancelledException cause) {
      if (more != null) {
        for (Object c : more.toArray()) { // a snapshot: a cancelled attempt may settle at once
          @SuppressWarnings("unchecked")
          ChildScope<T> other = (ChildScope<T>) c;
          other.cancel(cause);
        }
      }
    }

    /** With no attempt running the hedge completes, even with attempts left that the budget refused. */
    private void maybeComplete() {
      if (completed || live > 0) {
        return;
      }
      completed = true;
      Deadlines.remove(this);
      if (won) {
        end(winner, null);
      } else if (errors == null || (!ended && (parent.cancelCause != null || parent.closed()))) {
        TaskCancelledException cause = parent.cancelCause;
        end(null, cause != null ? cause : parent.closedCause());
      } else {
        String n = started == 1 ? "1 attempt" : started + " attempts";
        end(null, new TaskGroupException("the hedge in '" + parent.scopeName() + "' failed after " + n + ": "
            + (why != null ? why : "no attempt left (maxAttempts " + spec.maxAttempts + ")"), errors));
      }
    }

    private void end(T value, Throwable error) {
      AttemptTask.end(task, promise, value, error);
    }
  }
}
