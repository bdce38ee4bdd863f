package dev.taskgroup;

import java.util.function.Consumer;

/**
 * A task whose whole function is a {@link TaskFn#retried retried} or {@link TaskFn#hedged hedged}
 * function ({@link AttemptFn}): attempt 1 runs in the task's own scope, so a retry or a hedge that
 * never fires costs the task one reference (its {@link Role}; a pattern task also keeps the inner
 * function of its retry or hedge, in the task's padding, see {@link AttemptPatternTask#kept}) and
 * no child scope, hook, promise or listener. Two kinds, as for every task: {@link AttemptTaskImpl}
 * (spawned) and {@link AttemptPatternTask} (a pattern's, 32 bytes against a bare pattern task's
 * 24). A function retried or hedged more deeply (wrapped in a timeout, called from a lambda) takes the general
 * path, every attempt in a child scope, as {@link TimedTaskImpl} does for timeouts.
 *
 * <p>The role is what the task does with attempt 1's outcome and with its own cancellation, and it
 * changes as the combinator goes on: the function itself while attempt 1 runs alone, a hedge's
 * shared delay block while its delay runs, the retry's or hedge's state once a further attempt is
 * due. Further attempts run in child scopes of the task; the role ends the task through
 * {@link #finish}. Group's context only, like every task.
 */
interface AttemptTask<T> {
  /** {@return the task itself: attempt 1's scope, and the parent of every further attempt} */
  @SuppressWarnings("unchecked")
  default AbstractTask<T> scope() {
    return (AbstractTask<T>) this;
  }

  /** {@return the current role; null before the function ran} */
  Role<T> role();

  void role(Role<T> role);

  /** The combinator ended: the task settles with its outcome. */
  void finish(T value, Throwable error);

  /**
   * The task's work (attempt 1's) ended: its role decides, once the task runs; a task cancelled
   * before its function ran has no role and settles at once.
   */
  default void firstSettled(T value, Throwable error) {
    if (scope().stateBits() != AbstractTask.RUNNING) {
      return;
    }
    Role<T> role = role();
    if (role == null) {
      finish(value, error);
    } else {
      role.firstSettled(this, value, error);
    }
  }

  /**
   * {@return whether attempt 1's success settles the task as it is, {@code role} being the task's}
   * That is a retry's attempt 1 (its function, or its policy's {@link RetryFn.PatternRole}, is the
   * role), a hedge's with one attempt allowed, or a hedge's whose delay still waits in a
   * {@link HedgeFn.Block} that records no latency: the hedge then leaves its block. The task's
   * settle then records the success itself, as a plain task's does, and the role is never called:
   * the path of a retry or a hedge that never fires stays as short as a bare task's (C2 inlines it
   * into the work's completion only within {@code MaxInlineLevel} calls). Anything else goes
   * through {@link #firstSettled}.
   */
  static boolean settlesAlone(Role<?> role) {
    // the roles of a pattern's retry and hedge first: the kinds are disjoint, so the order is the cost's only
    return role instanceof RetryFn.PatternRole || role instanceof HedgeFn.Block && ((HedgeFn.Block) role).leftWithSuccess()
        || role instanceof RetryFn || role instanceof HedgeFn;
  }

  /** The task's scope was cancelled and its hooks (attempt 1's) have run: then the role's attempts, in start order. */
  default void cancelAttemptsBeside(TaskCancelledException cause) {
    Role<T> role = role();
    if (role != null) {
      role.cancelling(this, cause);
    }
  }

  /** Ends a combinator: {@code task}'s, or {@code promise} on the general path (task null). */
  static <T> void end(AttemptTask<T> task, io.vertx.core.Promise<T> promise, T value, Throwable error) {
    if (task != null) {
      task.finish(value, error);
    } else if (error == null) {
      promise.complete(value);
    } else {
      promise.fail(error);
    }
  }

  /** What an attempt task does at each stage of its combinator. Group's context only. */
  interface Role<T> {
    /**
     * Attempt 1's work completed (or its function threw, or the task was cancelled before it
     * ran). Called once while the task runs.
     */
    void firstSettled(AttemptTask<T> task, T value, Throwable error);

    /**
     * The task's scope is being cancelled, and its hooks (attempt 1's) have run: the role cancels
     * the attempts it runs beside attempt 1 (a hedge's), which hang from no hook.
     */
    default void cancelling(AttemptTask<T> task, TaskCancelledException cause) {}

    /** Hands each further attempt still running beside attempt 1 to {@code each} (for {@link TaskTree}). */
    default void attemptsBeside(Consumer<ScopeImpl> each) {}
  }
}
