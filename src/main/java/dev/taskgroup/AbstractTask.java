package dev.taskgroup;

import io.vertx.core.Completable;
import io.vertx.core.Future;

/**
 * What every task is: a scope numbered in its group, with a state, that runs its function once and
 * settles once. Three kinds: a {@link TaskImpl} (spawned, queued, handed out as a {@link Task}, in the
 * group's live list), a {@link PatternTask} (a task of {@code all}/{@code gather}/{@code settle}/
 * {@code race}/{@code quorum} that is never handed out, kept in its pattern's array) and a
 * {@link PulledTask} (a task of {@code forEach}, never handed out either, kept in a {@link PullRing}).
 *
 * <p>Every field is written and read on the group's context, except {@code cancelCause} (volatile,
 * in {@link ScopeImpl}) and the state, which other threads may read as a snapshot.
 */
abstract class AbstractTask<T> extends ScopeImpl implements Completable<T> {
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
   * keeps a task 8 bytes smaller (the fan-out's bytes per task, issue 15).
   */
  private int bits;

  AbstractTask(GroupImpl<?> group, int seq, int state) {
    this.group = group;
    this.bits = (seq & MAX_SEQ) << 3 | state;
  }

  /**
   * {@return the number the bits hold: the spawn number, the input index for the patterns, the
   * ring slot for a running {@link PulledTask}}
   */
  final int seq() {
    return bits >>> 3;
  }

  /** {@return the spawn number, which names the task and orders its start} A {@link PulledTask}'s lives in its ring while it runs. */
  int number() {
    return seq();
  }

  /** Puts {@code seq} in the bits, the state kept: a {@link PulledTask} leaving its slot keeps its spawn number there. */
  final void renumber(int seq) {
    bits = (seq & MAX_SEQ) << 3 | stateBits();
  }

  /** {@return the state as one of the int constants above} */
  final int stateBits() {
    return bits & STATE_MASK;
  }

  final void setState(int state) {
    bits = (bits & ~STATE_MASK) | state;
  }

  /** {@return the task's name in messages and the task tree} */
  public String name() {
    return "task-" + number();
  }

  @Override
  final String scopeName() {
    return name();
  }

  @Override
  final boolean closed() {
    return stateBits() >= SUCCEEDED;
  }

  /** {@return the state as the public enum} */
  public final TaskState state() {
    return STATES[stateBits()];
  }

  /** {@return the result of a task that SUCCEEDED} */
  abstract T result();

  /** {@return the error of a task that FAILED or was CANCELLED} */
  abstract Throwable failure();

  @Override
  long ownDeadlineNanos() {
    return NO_DEADLINE;
  }

  /** {@return the timeout of a task whose function is a {@link TimeoutFn}, else null} */
  TimeoutFn<T> timeoutSpec() {
    return null;
  }

  @Override
  final ScopeImpl enclosing() {
    return group;
  }

  /**
   * Runs the function of a task that is RUNNING (counted by the group, registered where its group
   * finds it), in a frame of the thread's {@link Trampoline} (deferred when too deep; on a
   * virtual-thread context always its own context task, so blocking-style awaits of tasks overlap).
   * {@code fresh}: spawned just now, inline, so nothing could have cancelled it in between.
   */
  final void run(TaskFn<T> f, boolean fresh) {
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
        callFunction(f, true);
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
    callFunction(f, false);
  }

  /** Calls the function; a throw or a null is the task's failure. */
  private void callFunction(TaskFn<T> f, boolean fresh) {
    Future<T> work;
    try {
      TaskFn<T> g = entry(f);
      work = g != null ? g.run(this) : invoke(f, fresh);
    } catch (Throwable e) {
      settle(null, e);
      return;
    }
    if (work == null) {
      settle(null, new NullPointerException(returnedNull()));
      return;
    }
    work.onComplete(this);
  }

  /** {@return what a task whose function returned null fails with} */
  String returnedNull() {
    return "task '" + name() + "' returned null instead of a Future";
  }

  /**
   * {@return the function {@link #callFunction} calls with this task as its scope, this task's own
   * setup done; or null, when {@link #invoke} must run instead} Kept tiny, and the user function's
   * call kept in {@code callFunction}, so that C2 compiles that call into the spawn's path for a
   * retried or hedged task as for a bare one (an {@code invoke} that made the call was compiled on
   * its own with the user function inside, past C2's size limit for inlining it: RESULTS.md 14).
   */
  TaskFn<T> entry(TaskFn<T> f) {
    return f;
  }

  /**
   * {@return the work's future: the function called with this task's scope} {@code fresh}: called
   * inline by the spawn that made the task (for a pattern's task, by the spawn loop, in index order).
   */
  Future<T> invoke(TaskFn<T> f, boolean fresh) throws Exception {
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

  /** The work ended: records the outcome (a timed task's deadline may replace it first). */
  void settle(T value, Throwable error) {
    record(value, error);
  }

  /** Records the outcome once (a work future completing twice is ignored) and tells the group. */
  abstract void record(T value, Throwable error);

  @Override
  public String toString() {
    return "Task[" + name() + ", " + state() + (cancelCause != null && !closed() ? ", cancelling" : "") + "]";
  }
}
