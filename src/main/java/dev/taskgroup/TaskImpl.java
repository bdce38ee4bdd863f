package dev.taskgroup;

import io.vertx.core.Completable;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.util.concurrent.CancellationException;

/**
 * A spawned task. It is its own scope and its own listener on the work's future, so a task costs
 * one object besides the work itself (40 bytes with compressed references: the header and seven
 * 4-byte fields); {@link #future()} is created only when asked for, and a name only when given
 * ({@link Named}).
 *
 * <p>Every field is written and read on the group's context, except {@code cancelCause}
 * (volatile, in {@link ScopeImpl}) and the state, which other threads may read as a snapshot.
 */
class TaskImpl<T> extends ScopeImpl implements Task<T>, Completable<T> {
  /** The largest spawn number a task keeps: {@link #bits} holds it above the state's 3 bits. */
  static final int MAX_SEQ = (1 << 29) - 1;

  // the states as the low bits of {@link #bits}: constants, so a check is an int compare
  static final int PENDING = 0;
  static final int RUNNING = 1;
  static final int SUCCEEDED = 2;
  static final int FAILED = 3;
  static final int CANCELLED = 4;
  private static final int STATE_MASK = 7;
  private static final TaskState[] STATES = TaskState.values(); // in the order of the constants

  /**
   * The spawn number in the group (the input index for the patterns; counted modulo
   * {@code MAX_SEQ + 1} in a group that spawns more) shifted above the state. One field for both
   * keeps the task at 40 bytes instead of 48 (the fan-out's bytes per task, issue 15).
   */
  private int bits;
  /**
   * One field for what the task needs at each stage, since a task never needs two at once:
   * PENDING, the function; RUNNING, the promise of {@link #future()} if anyone asked (else null);
   * SUCCEEDED, the result; FAILED or CANCELLED, the Throwable. Dropping the function once started
   * also means a finished task holds no closure.
   */
  private Object slot;
  TaskImpl<?> prev; // the group's live list while started, its queue while PENDING
  TaskImpl<?> next;

  TaskImpl(GroupImpl<?> group, TaskFn<T> fn, int seq) {
    this.group = group;
    this.slot = fn;
    this.bits = (seq & MAX_SEQ) << 3; // PENDING
  }

  /** {@return the spawn number: the input index for the patterns} */
  final int seq() {
    return bits >>> 3;
  }

  /** {@return the state as one of the int constants above} */
  final int stateBits() {
    return bits & STATE_MASK;
  }

  private void setState(int state) {
    bits = (bits & ~STATE_MASK) | state;
  }

  @Override
  public String name() {
    return "task-" + seq();
  }

  @Override
  String scopeName() {
    return name();
  }

  @Override
  boolean closed() {
    return stateBits() >= SUCCEEDED;
  }

  @Override
  public TaskState state() {
    return STATES[stateBits()];
  }

  /** {@return the result of a task that SUCCEEDED} */
  @SuppressWarnings("unchecked")
  final T result() {
    return (T) slot;
  }

  /** {@return the error of a task that FAILED or was CANCELLED} */
  final Throwable failure() {
    return (Throwable) slot;
  }

  @Override
  long ownDeadlineNanos() {
    return NO_DEADLINE;
  }

  @Override
  final ScopeImpl enclosing() {
    return group;
  }

  @Override
  @SuppressWarnings("unchecked")
  public Future<T> future() {
    if (!group.onContext()) { // any thread: the state is read at home
      Promise<T> p = VertxContexts.promise(group.context);
      VertxContexts.dispatch(group.context, () -> future().onComplete(p));
      return p.future();
    }
    switch (state()) {
      case SUCCEEDED:
        return Future.succeededFuture(result());
      case FAILED:
      case CANCELLED:
        return Future.failedFuture(failure());
      case RUNNING:
        if (slot == null) {
          slot = VertxContexts.promise(group.context);
        }
        return ((Promise<T>) slot).future();
      default: // PENDING: the slot holds the function; the group keeps the promise until start
        return group.queuedFuture(this).future();
    }
  }

  /**
   * On the group's context, cancels at once. From any other thread, exactly one caller wins the
   * compare-and-set of the cancellation and gets true; the cancellation then runs on the group's
   * context, where a result that arrived first still wins.
   */
  @Override
  public boolean cancel() {
    if (group.onContext()) {
      return cancelOnContext();
    }
    if (closed()) { // a snapshot: a late true is settled by the context's own order
      return false;
    }
    TaskCancelledException cause = explicitCancellation(true);
    if (!markCancelled(cause)) {
      return false;
    }
    VertxContexts.dispatch(group.context, () -> {
      cause.delivered = true;
      if (stateBits() == PENDING) {
        group.cancelQueuedInFrame(this, cause);
      } else if (stateBits() == RUNNING) {
        cancelled(cause);
      }
    });
    return true;
  }

  private TaskCancelledException explicitCancellation(boolean foreign) {
    return stateBits() == PENDING
        ? new TaskCancelledException(CancelReason.EXPLICIT, "task '" + name() + "' was cancelled before it started", foreign)
        : new TaskCancelledException(CancelReason.EXPLICIT, "task '" + name() + "' was cancelled", foreign);
  }

  private boolean cancelOnContext() {
    if (stateBits() == PENDING) {
      TaskCancelledException cause = explicitCancellation(false);
      if (!markCancelled(cause)) {
        return false;
      }
      group.cancelQueuedInFrame(this, cause);
      return true;
    }
    return stateBits() == RUNNING && cancel(explicitCancellation(false));
  }

  /**
   * Runs the function, in a frame of the thread's {@link Trampoline} (deferred when too deep; on a
   * virtual-thread context always its own context task, so blocking-style awaits of tasks overlap).
   * The group has already counted the task and put it in its live list: the task is RUNNING from
   * here on, even while its function waits to be called.
   */
  @SuppressWarnings("unchecked")
  final void start(boolean fresh) {
    TaskFn<T> f = (TaskFn<T>) slot;
    // null unless future() was asked for while queued; a fresh spawn was never queued
    slot = fresh ? null : group.takeQueuedFuture(this);
    setState(RUNNING);
    if (group.virtual) {
      group.context.runOnContext(v -> runGuarded(f));
      return;
    }
    Trampoline tr = group.trampoline();
    if (!tr.enter()) {
      tr.defer(new Trampoline.Deferred(group) {
        @Override
        void run() {
          runFunction(f);
        }
      });
      return;
    }
    try {
      if (fresh) {
        callFunction(f); // spawned just now, inline: nothing could have cancelled it in between
      } else {
        runFunction(f);
      }
    } catch (Throwable e) {
      group.crash(e);
    } finally {
      tr.exit();
    }
  }

  private void runGuarded(TaskFn<T> f) {
    try {
      runFunction(f);
    } catch (Throwable e) {
      group.crash(e);
    }
  }

  private void runFunction(TaskFn<T> f) {
    if (cancelCause == null && group.state != GroupImpl.State.OPEN) {
      // The group's cancellation has not reached this task yet (its propagation is deferred): the
      // task takes it now, so that it counts as cancelled by its group, never as its own
      // (regressions/DeferredStartInAnAbortingAllIsCountedAsAnErrorTest).
      markCancelled(group.cancelCause != null ? group.cancelCause : group.closedCause());
    }
    TaskCancelledException cancelled = cancelCause;
    if (cancelled != null) { // cancelled before its function could run: it never does
      settle(null, cancelled);
      return;
    }
    callFunction(f);
  }

  /** Calls the function; a throw or a null is the task's failure. */
  private void callFunction(TaskFn<T> f) {
    Future<T> work;
    try {
      work = invoke(f);
    } catch (Throwable e) {
      settle(null, e);
      return;
    }
    if (work == null) {
      settle(null, new NullPointerException("task '" + name() + "' returned null instead of a Future"));
      return;
    }
    work.onComplete(this);
  }

  Future<T> invoke(TaskFn<T> f) throws Exception {
    return f.run(this);
  }

  /** The work's future completed, on whatever thread and context completed it: settle at home. */
  @Override
  public final void complete(T value, Throwable error) {
    if (group.onContext()) {
      settleInFrame(value, error);
    } else {
      VertxContexts.dispatch(group.context, () -> settleInFrame(value, error));
    }
  }

  private void settleInFrame(T value, Throwable error) {
    Trampoline tr = group.trampoline();
    if (!tr.enter()) {
      tr.defer(new Trampoline.Deferred(group) {
        @Override
        void run() {
          settle(value, error);
        }
      });
      return;
    }
    try {
      settle(value, error);
    } catch (Throwable e) {
      group.crash(e);
    } finally {
      tr.exit();
    }
  }

  /** Records the outcome once; a work future completing twice is ignored. */
  @SuppressWarnings("unchecked")
  void settle(T value, Throwable error) {
    if (stateBits() != RUNNING) {
      return;
    }
    Promise<T> p = (Promise<T>) slot;
    if (error == null) {
      slot = value;
      setState(SUCCEEDED);
    } else {
      slot = error;
      setState(error instanceof CancellationException ? CANCELLED : FAILED);
    }
    close();
    group.taskOutcome(this); // a failure is recorded (and the siblings cancelled) before anyone hears of it
    if (p != null) {
      completeWithOutcome(p);
    }
    group.taskLeft(this);
  }

  /** Never started: cancelled while queued. */
  final void cancelWhileQueued(TaskCancelledException cause) {
    markCancelled(cause); // unless a cancel from another thread marked it first: its cause stands
    Promise<T> p = group.takeQueuedFuture(this);
    slot = cancelCause;
    setState(CANCELLED);
    close();
    if (p != null) {
      completeWithOutcome(p);
    }
  }

  /** Completes {@code p} with this finished task's outcome. */
  final void completeWithOutcome(Promise<T> p) {
    if (stateBits() == SUCCEEDED) {
      p.complete(result());
    } else {
      p.fail(failure());
    }
  }

  @Override
  public String toString() {
    return "Task[" + name() + ", " + state() + (cancelCause != null && !closed() ? ", cancelling" : "") + "]";
  }

  /** A task spawned with a name: the name costs a field only where one was given. */
  static final class Named<T> extends TaskImpl<T> {
    private final String name;

    Named(GroupImpl<?> group, String name, TaskFn<T> fn, int seq) {
      super(group, fn, seq);
      this.name = name;
    }

    @Override
    public String name() {
      return name;
    }
  }
}
