package dev.taskgroup;

import io.vertx.core.Future;
import java.time.Duration;
import java.util.Objects;

/**
 * A function bounded by a timeout. Spawned directly, the task itself carries the deadline
 * ({@link TimedTaskImpl}, or {@link TimedPatternTask} in a pattern); run any other way (nested in another timeout, or called by user code
 * with a scope) it opens an inner {@link TimeoutScope}. Immutable; reusable across tasks.
 *
 * <p>24 bytes with compressed references (a header and three references): the caller makes one
 * per timed task when each task wraps its own function, so its size is part of a fan-out's bytes
 * per task (issue 15). The nanoseconds are derived from the {@code Duration} where needed (two
 * multiplications' worth: at a start, and when a block's members are matched by length, which
 * tries the same {@code Duration} object first) and "no fallback" is a marker in the fallback's field.
 * Rejected: the nanoseconds as a field with the {@code Duration} derived on the timeout path
 * (32 bytes with the fallback, and a duration past {@code Long.MAX_VALUE} ns would not come back
 * the same in the messages).
 */
final class TimeoutFn<T> implements TaskFn<T> {
  private static final Object NO_FALLBACK = new Object();

  final TaskFn<T> inner;
  final Duration timeout;
  private final Object fallback; // the fallback, or NO_FALLBACK for withTimeout(d)

  TimeoutFn(TaskFn<T> inner, Duration timeout, boolean hasFallback, T fallback) {
    this.inner = Objects.requireNonNull(inner, "inner");
    this.timeout = Durations.requirePositive(timeout, "timeout");
    this.fallback = hasFallback ? fallback : NO_FALLBACK;
  }

  /** {@return the timeout in nanoseconds, saturated as {@link Durations#toNanos} says} */
  long nanos() {
    return Durations.toNanos(timeout);
  }

  boolean hasFallback() {
    return fallback != NO_FALLBACK;
  }

  /** {@return the cancellation this timeout's deadline sends to the scope of {@code name}} */
  TaskCancelledException deadlineCancellation(String name) {
    return new TaskCancelledException(CancelReason.DEADLINE,
        "'" + name + "' passed its timeout of " + Durations.millis(timeout));
  }

  /**
   * The work ended with a cancellation that this timeout's deadline caused: {@return the fallback
   * in place of it, or fail with a {@link TaskTimeoutException}} Any other outcome is kept as it
   * is, even one that arrives after the deadline fired: a result is never dropped for a timeout.
   */
  Future<T> timedOut(String name) {
    return hasFallback() ? Future.succeededFuture(fallbackValue()) : Future.failedFuture(new TaskTimeoutException("task", name, timeout));
  }

  @SuppressWarnings("unchecked")
  private T fallbackValue() {
    return (T) fallback;
  }

  @Override
  public Future<T> run(TaskScope scope) {
    return TimeoutScope.open(ScopeImpl.of(scope), this);
  }

  /** The nested timeouts in a loop (a chain may be 100,000 deep), then the innermost function. */
  @Override
  public String toString() {
    StringBuilder sb = new StringBuilder();
    TaskFn<?> f = this;
    int depth = 0;
    while (f instanceof TimeoutFn) {
      TimeoutFn<?> t = (TimeoutFn<?>) f;
      if (depth < 3) {
        sb.append("TimeoutFn[").append(Durations.millis(t.timeout)).append(t.hasFallback() ? ", fallback=" + t.fallback : "").append(", ");
      }
      depth++;
      f = t.inner;
    }
    if (depth > 3) {
      sb.append("... ").append(depth - 3).append(" more timeouts ..., ");
    }
    sb.append(f);
    sb.append("]".repeat(Math.min(depth, 3)));
    return sb.toString();
  }
}
