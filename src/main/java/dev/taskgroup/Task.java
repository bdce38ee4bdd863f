package dev.taskgroup;

import io.vertx.core.Future;

/**
 * A handle on one spawned task: its name, its state, its future, and a way to cancel it alone.
 *
 * <pre>{@code
 * Task<JsonObject> recs = group.spawn("recs", scope -> fetchRecs(scope));
 * recs.future().onSuccess(this::render);
 * }</pre>
 *
 * <p>The future settles when the task's work settles, not when cancellation is requested: a
 * cancelled task's future fails with a {@link java.util.concurrent.CancellationException} once its
 * work has stopped. Cancelling one task is not an error for the group.
 *
 * <p>Thread safety: {@link #name()} and {@link #future()} may be called from any thread;
 * {@link #state()} is exact on the group's context and a snapshot elsewhere; {@link #cancel()} may
 * be called from any thread (see there what its result then means).
 */
public interface Task<T> {

  /**
   * {@return the name given at spawn, or {@code task-N}} N is its spawn number in the group, from 0,
   * counted modulo 2^29 in a group that spawns more tasks than that over its life.
   */
  String name();

  /** {@return the task's state} */
  TaskState state();

  /** {@return the future of the task's outcome; it completes on the group's context} */
  Future<T> future();

  /**
   * Cancels this task alone: a queued task never starts, a running one has its scope cancelled.
   * May be called from any thread: of racing callers, exactly one gets true. Called off the
   * group's context, the cancellation is marked at once and carried out on the context; a result
   * that reached the context first still wins there, so the task may then end SUCCEEDED although
   * this call returned true.
   *
   * @return true if this call cancelled the task (false if it was done or already cancelled)
   */
  boolean cancel();
}
