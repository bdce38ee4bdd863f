package dev.taskgroup;

import io.vertx.core.Future;
import java.time.Duration;
import java.util.Objects;

/**
 * A function bounded by a timeout. Spawned directly, the task itself carries the deadline
 * ({@link TimedTaskImpl}); run any other way (nested in another timeout, or called by user code
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

  @Override
  public Future<T> run(TaskScope scope) {
    return new TimeoutScope<>(ScopeImpl.of(scope), this).start();
  }

  @Override
  public String toString() {
    return "TimeoutFn[" + timeout.toMillis() + " ms" + (hasFallback ? ", fallback=" + fallback : "") + ", " + inner + "]";
  }
}
