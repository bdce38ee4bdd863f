package dev.taskgroup;

import io.vertx.core.Future;
import java.time.Duration;
import java.util.Objects;

/**
 * A function bounded by a timeout. Spawned directly, the task itself carries the deadline
 * ({@link TimedTaskImpl}, or {@link TimedPatternTask} in a pattern); run any other way (nested in another timeout, or called by user code
 * with a scope) it opens an inner {@link TimeoutScope}. Immutable; reusable across tasks.
 */
final class TimeoutFn<T> implements TaskFn<T> {
  final TaskFn<T> inner;
  final Duration timeout;
  final long nanos;
  final boolean hasFallback;
  final T fallback;

  TimeoutFn(TaskFn<T> inner, Duration timeout, boolean hasFallback, T fallback) {
    this.inner = Objects.requireNonNull(inner, "inner");
    this.timeout = Durations.requirePositive(timeout, "timeout");
    this.nanos = Durations.toNanos(timeout);
    this.hasFallback = hasFallback;
    this.fallback = fallback;
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
    return hasFallback ? Future.succeededFuture(fallback) : Future.failedFuture(new TaskTimeoutException("task", name, timeout));
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
        sb.append("TimeoutFn[").append(Durations.millis(t.timeout)).append(t.hasFallback ? ", fallback=" + t.fallback : "").append(", ");
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
