package dev.taskgroup;

import io.vertx.core.Future;

/**
 * A task spawned with a {@link TaskFn#retried retried} function: attempt 1 runs in the task's own
 * scope and its outcome reaches the task directly, so a retry that never fires costs the task one
 * reference and nothing else (no child scope, hook, promise or retry state); when attempt 1 fails,
 * a {@link RetryFn.Retry} takes over and runs attempts 2 and on in child scopes of the task, as for
 * a retry called in any other scope. A function retried more deeply (wrapped in a timeout, called
 * from a lambda) takes the general path in {@link RetryFn#run}, as {@link TimedTaskImpl} does for
 * timeouts. Group's context only, like every task.
 *
 * <p>What differs from that general path, for attempt 1 alone: its scope is the task's, so code of
 * attempt 1 that still runs after its future failed, while a later attempt runs, finds the scope
 * open ({@code isFinished()} is false), and work it binds to the scope then is cancelled when the
 * task ends, not at once. What attempt 1 bound before its future failed is cancelled before the
 * retry goes on, as closing its own scope would do.
 */
final class RetriedTaskImpl<T> extends TaskImpl<T> {
  private final RetryFn<T> fn;
  private final String name; // null: derived from the spawn number
  private RetryFn.Retry<T> retry; // made when attempt 1 fails; from then on it ends the task

  RetriedTaskImpl(GroupImpl<?> group, String name, RetryFn<T> fn, int seq) {
    super(group, fn, seq);
    this.fn = fn;
    this.name = name;
  }

  @Override
  public String name() {
    return name != null ? name : super.name();
  }

  @Override
  Future<T> invoke(TaskFn<T> f, boolean fresh) throws Exception {
    return fn.runFirstInTask(this);
  }

  /**
   * Attempt 1's work completed (or its function threw, or the task was cancelled before it ran): a
   * success settles the task at once; a failure goes to the retry, which ends the task through
   * {@link #finish}. Attempt 1's work completing a second time is ignored.
   */
  @Override
  void settle(T value, Throwable error) {
    if (stateBits() != RUNNING || retry != null) {
      return;
    }
    if (error == null) {
      super.settle(value, null);
      return;
    }
    retry = fn.afterFirstInTask(this);
    retry.firstFailed(error);
  }

  /** The retry ended: the task settles with its outcome. */
  void finish(T value, Throwable error) {
    super.settle(value, error);
  }
}
