package dev.taskgroup;

import io.vertx.core.Future;
import java.time.Duration;

/**
 * A unit of asynchronous work run inside a {@link TaskGroup}: given its {@link TaskScope}, it
 * returns the future of its result.
 *
 * <pre>{@code
 * TaskFn<JsonObject> profile = scope -> http.getJson(scope, "/profile/42");
 * TaskFn<JsonObject> bounded = profile.withTimeout(Duration.ofMillis(300));
 * }</pre>
 *
 * <p>A function that throws, or returns {@code null} instead of a future, makes a failed task with
 * that error; it never crashes the group. The function is called on the group's context, with
 * {@code Vertx.currentContext()} being that context; on a virtual-thread context, on a virtual
 * thread of its own, so it may block in {@code Future.await}.
 */
@FunctionalInterface
public interface TaskFn<T> {

  /**
   * Starts the work.
   *
   * @param scope the task's scope: poll it, hook its cancellation, sleep on it, nest groups in it
   * @return the future of the result, never null
   * @throws Exception any error, which fails the task
   */
  Future<T> run(TaskScope scope) throws Exception;

  /**
   * {@return this function bounded by {@code timeout}} When the time is up, the work's scope is
   * cancelled (its timers, HTTP and event-bus requests are aborted); once the work has settled with
   * a cancellation, the task fails with a {@link TaskTimeoutException}.
   *
   * <p>A result wins: if the work succeeds (or fails with another error) before it has settled,
   * that outcome is kept, even when the deadline fired first; nothing is lost silently. Only a
   * work that ends with a {@link java.util.concurrent.CancellationException} (as the library's
   * sleeps and I/O helpers do) becomes a timeout: work that turns the cancellation into another
   * error keeps that error. Timeouts of the same duration in one group share one timer.
   *
   * @throws NullPointerException if {@code timeout} is null
   * @throws IllegalArgumentException if {@code timeout} is zero or negative
   */
  default TaskFn<T> withTimeout(Duration timeout) {
    return new TimeoutFn<>(this, timeout, false, null);
  }

  /**
   * {@return this function bounded by {@code timeout}, yielding {@code fallback} instead of
   * failing when the time is up} Like {@link #withTimeout(Duration)}, with the fallback in place
   * of the {@link TaskTimeoutException}; other failures still fail the task.
   *
   * @throws NullPointerException if {@code timeout} is null
   * @throws IllegalArgumentException if {@code timeout} is zero or negative
   */
  default TaskFn<T> withTimeout(Duration timeout, T fallback) {
    return new TimeoutFn<>(this, timeout, true, fallback);
  }
}
