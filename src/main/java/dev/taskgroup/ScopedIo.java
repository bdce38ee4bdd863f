package dev.taskgroup;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.time.Duration;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * Building blocks for I/O helpers bound to a {@link TaskScope}: every operation starts on the
 * scope's context, nothing starts in a cancelled or finished scope, and an I/O timeout derived from
 * the scope never fires before the scope's own deadline.
 *
 * <pre>{@code
 * static Future<Buffer> fetch(TaskScope scope, ...) {
 *   return ScopedIo.onContext(scope, () -> {
 *     TaskCancelledException refused = ScopedIo.refusal(scope);
 *     if (refused != null) return Future.failedFuture(refused);
 *     long timeoutMs = ScopedIo.ioTimeoutMillis(scope); // -1: no deadline
 *     ...
 *   });
 * }
 * }</pre>
 *
 * <p>The helpers of {@code dev.taskgroup.http} and {@code dev.taskgroup.eventbus} are built on
 * these; they are public so that those packages (and your own helpers) share one definition.
 * Stateless; each method says from which thread it may be called.
 */
public final class ScopedIo {
  /**
   * Added to the scope's remaining time when it becomes an I/O timeout (idle, connect, send): {@value} ms.
   * The scope's own deadline must fire first, so the task ends with the library's
   * {@code TaskTimeoutException} rather than Vert.x's {@code TimeoutException}; the I/O timeout is
   * only the safety net for a hook that was missed.
   */
  public static final long DEADLINE_GRACE_MS = 50;

  private ScopedIo() {}

  /**
   * Runs {@code op} on the scope's context: at once when already there (the usual case, a task
   * function runs on it), else after a hop. {@link TaskScope#bind} must be called on that context,
   * and the Vert.x clients dispatch their callbacks to the context that started the operation. A
   * {@code RuntimeException} thrown by {@code op} becomes the returned future's failure. Any thread.
   *
   * @throws NullPointerException if {@code scope} is null
   */
  public static <T> Future<T> onContext(TaskScope scope, Supplier<Future<T>> op) {
    java.util.Objects.requireNonNull(scope, "scope");
    // The core's own check (the context itself, on its thread), so that every helper agrees on
    // what "on the context" means: not another context of the same event loop, not executeBlocking.
    if (scope.isOnContext()) {
      try {
        return op.get();
      } catch (RuntimeException e) {
        return Future.failedFuture(e);
      }
    }
    Promise<T> promise = Promise.promise();
    scope.context().runOnContext(v -> {
      Future<T> f;
      try {
        f = op.get();
      } catch (RuntimeException e) {
        promise.fail(e);
        return;
      }
      f.onComplete(promise);
    });
    return promise.future();
  }

  /**
   * {@return why an operation must not start in {@code scope}, or null if it may} A cancelled
   * scope gives its cancellation; a scope whose task has finished gives a
   * {@link CancelReason#SCOPE_CLOSED} cancellation worded as the core words it
   * ({@link TaskCancelledException#scopeClosed}), as for a sleep or a nested group started there.
   * On the scope's context.
   */
  public static TaskCancelledException refusal(TaskScope scope) {
    TaskCancelledException cancelled = scope.cancellation();
    if (cancelled != null) {
      return cancelled;
    }
    if (scope.isFinished()) {
      return TaskCancelledException.scopeClosed(scope);
    }
    return null;
  }

  /**
   * {@return the scope's remaining time plus {@link #DEADLINE_GRACE_MS}, in ms (at least 1), or -1
   * when no deadline applies (or it is too far away for a {@code long} of ms)} Exact on the scope's
   * context, a snapshot elsewhere.
   */
  public static long ioTimeoutMillis(TaskScope scope) {
    Optional<Duration> remaining = scope.remaining();
    return remaining.isEmpty() ? -1 : ioTimeoutMillis(remaining.get());
  }

  /**
   * {@return {@code remaining} (a scope's {@link TaskScope#remaining()}, already read) plus
   * {@link #DEADLINE_GRACE_MS}, in ms (at least 1), or -1 when it is too far away for a
   * {@code long} of ms} For a helper that needs the remaining time itself too: the clock is read
   * once. Any thread.
   *
   * @throws NullPointerException if {@code remaining} is null
   */
  public static long ioTimeoutMillis(Duration remaining) {
    long ms;
    try {
      ms = remaining.toMillis();
    } catch (ArithmeticException huge) {
      return -1;
    }
    return ms > Long.MAX_VALUE - DEADLINE_GRACE_MS ? -1 : Math.max(1, ms + DEADLINE_GRACE_MS);
  }

  /**
   * {@return whether {@code scope} is one of the library's own (a task's scope, a group, a nested
   * or timed scope), which is cancelled when its deadline passes, so that whatever was bound to it
   * with {@link TaskScope#bind} is aborted then} For such a scope an I/O timeout derived from the
   * deadline ({@link #ioTimeoutMillis}) would only repeat that abort, at the cost of a timer per
   * operation; a helper that aborts through {@code bind} may leave it out. For any other
   * implementation of {@link TaskScope} it is false: there the I/O timeout is the one guarantee
   * that nothing outlives the deadline. Any thread.
   *
   * @throws NullPointerException if {@code scope} is null
   */
  public static boolean abortsAtDeadline(TaskScope scope) {
    java.util.Objects.requireNonNull(scope, "scope");
    return scope instanceof ScopeImpl || scope instanceof TaskGroup;
  }

  /** {@return the tighter of two timeouts in ms, where a value {@code <= 0} means none} Any thread. */
  public static long tighter(long current, long bound) {
    if (bound <= 0) {
      return current;
    }
    return current <= 0 ? bound : Math.min(current, bound);
  }
}
