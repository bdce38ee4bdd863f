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
   * <p>The time counts from the task's start. The tasks that {@code all}, {@code gather},
   * {@code settle}, {@code race} and {@code quorum} start in one go share clock readings, one per
   * 256 consecutive tasks of the list, taken once those have started (or sooner, when one asks for
   * its {@link TaskScope#remaining()}): a timeout may then end as much later as starting 256 tasks
   * takes (microseconds), never earlier.
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

  /**
   * {@return this function retried with exponential backoff and full jitter} Each attempt runs in
   * its own child scope of the caller's, which sees its number in {@link TaskScope#attempt()}:
   * cancelling the caller cancels the running attempt (its timers, HTTP and event-bus requests) or
   * ends the backoff sleep at once, and the retry then ends with that cancellation. A retry starts
   * only if the error is worth it ({@link RetryOptions#setRetryOn}), attempts are left, the
   * {@link RetryBudget} (if any) grants a token, and, once the backoff has passed, at least
   * {@link RetryOptions#setMinRemaining minRemaining} (and more than nothing) is left before the
   * scope's nearest deadline.
   *
   * <p>A retried function spawned as a task's whole function ({@code group.spawn(fn.retried(o))},
   * or one of a pattern's functions) runs attempt 1 in the task's own scope instead, so that a retry that never fires costs about
   * what the bare task does: what attempt 1 bound to the scope is cancelled before a retry follows,
   * as closing its own scope would do, but code of attempt 1 still running after its future failed
   * finds the scope open, and what it binds then is cancelled when the task ends.
   *
   * <pre>{@code
   * TaskFn<Buffer> call = scope -> http.get(scope, "/quote");
   * TaskFn<Buffer> robust = call.withTimeout(Duration.ofMillis(200))   // each attempt: 200 ms
   *     .retried(new RetryOptions().setMaxAttempts(3))
   *     .withTimeout(Duration.ofMillis(600));                          // all of it: 600 ms
   * }</pre>
   *
   * <p>When the retries stop on an error, the call fails with a {@link TaskGroupException} of every
   * attempt's error in order (the last one is what ended it; its message says why it stopped).
   * Rejected: the last error with the others suppressed, since {@code addSuppressed} changes the
   * caller's exceptions and fails on an instance thrown twice.
   *
   * <p>Order matters: {@code fn.retried(o).withTimeout(d)} bounds all attempts and backoffs
   * together by {@code d} (and no retry starts that {@code d} would cut short);
   * {@code fn.withTimeout(d).retried(o)} bounds each attempt by {@code d}, and an attempt that
   * times out (a {@link TaskTimeoutException}) is retried like any other error. Under a group's
   * {@code maxConcurrency} a retried task holds its slot through its backoffs.
   *
   * @throws NullPointerException if {@code options} is null
   * @throws IllegalArgumentException if the options' {@code maxDelay} is shorter than their
   *     {@code initialDelay}
   */
  default TaskFn<T> retried(RetryOptions options) {
    return new RetryFn<>(this, options);
  }

  /**
   * {@return this function hedged: a further attempt starts when none has succeeded after a delay,
   * or at once when one fails with a handled error; the first success wins} Every other attempt is
   * then cancelled (reason {@link CancelReason#RACE_LOST}), so its scope-bound I/O is aborted (an
   * HTTP request reset, not abandoned), and the future completes once they all have settled. Each
   * attempt runs in its own child scope of the caller's and sees its number in
   * {@link TaskScope#attempt()}; cancelling the caller cancels them all, and the hedge ends with
   * that cancellation.
   *
   * <p>A hedged function spawned as a task's whole function ({@code group.spawn(fn.hedged(o))},
   * or one of a pattern's functions) runs attempt 1 in the task's own scope instead, so that a
   * hedge that never fires costs about what the bare task does. If another attempt wins while
   * attempt 1 runs, the task's scope is cancelled as attempt 1's (its {@code isCancelled()} is
   * true, its hooks run, what it binds afterwards is refused), and the task still succeeds with the
   * winner's result; meanwhile (once the hedge has marked the scope) {@link Task#cancel()} returns
   * false and the task tree shows the task cancelling. Code of attempt 1 still running after its future failed, while a later
   * attempt runs, finds the scope open, and what it binds then is cancelled when the task ends.
   *
   * <pre>{@code
   * TaskFn<Buffer> read = scope -> replicas.get(scope, "/item/7");
   * TaskFn<Buffer> fast = read.hedged(new HedgeOptions().setDelay(Duration.ofMillis(50)));
   * }</pre>
   *
   * <p>The delay is fixed, or adaptive ({@link HedgeOptions#setAdaptiveDelay}); extra attempts can
   * be capped by a {@link RetryBudget}. A failure that is not handled
   * ({@link HedgeOptions#setHandledOn}) ends the hedge with a {@link TaskGroupException} of the
   * errors so far, the other attempts cancelled; so does running out of attempts or of budget
   * with no success. {@code fn.hedged(o).withTimeout(d)} bounds the whole hedge;
   * {@code fn.withTimeout(d).hedged(o)} bounds each attempt, whose timeout is then a failure
   * like any other (handled by default). Attempts are scopes, not tasks: a group's
   * {@code maxConcurrency} counts a hedged task once, however many attempts it runs.
   *
   * @throws NullPointerException if {@code options} is null
   */
  default TaskFn<T> hedged(HedgeOptions options) {
    return new HedgeFn<>(this, options);
  }

  /**
   * {@return this function shielded: it runs to its end, or to its own {@code timeout}, whatever
   * happens to the scope it was started in} Neither the scope's cancellation nor any enclosing
   * deadline reaches it (Trio's {@code shield}, Kotlin's {@code NonCancellable}); its own timeout
   * cancels it and fails it with a {@link TaskTimeoutException}. The group waits for it before it
   * completes, so cleanup (releasing a lock, writing an audit record, rolling back) finishes
   * before the group's future does. It may start in a scope that is cancelled or whose task has
   * finished, as long as its group has not completed. See {@link TaskGroup#shield} for the form
   * to use in a future's callback.
   *
   * <pre>{@code
   * TaskFn<Void> audit = scope -> log.write(scope, record);
   * group.spawn("audit", audit.shielded(Duration.ofSeconds(2)));  // outlives a cancel of the group
   * }</pre>
   *
   * @throws NullPointerException if {@code timeout} is null
   * @throws IllegalArgumentException if {@code timeout} is zero or negative
   */
  default TaskFn<T> shielded(Duration timeout) {
    return new ShieldFn<>(this, timeout);
  }
}
