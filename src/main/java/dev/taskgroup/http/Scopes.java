package dev.taskgroup.http;

import dev.taskgroup.TaskCancelledException;
import dev.taskgroup.TaskScope;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Promise;
import io.vertx.core.MultiMap;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.http.RequestOptions;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Supplier;

/** Small helpers shared by the scope-bound I/O helpers of this package. */
final class Scopes {
  /**
   * Added to the scope's remaining time when it becomes an I/O timeout (idle, connect, send). The
   * scope's own deadline must fire first, so the task ends with the library's
   * {@code TaskTimeoutException} rather than Vert.x's {@code TimeoutException}; the I/O timeout is
   * only the safety net for a hook that was missed.
   */
  static final long DEADLINE_GRACE_MS = 50;

  private Scopes() {}

  /**
   * Runs {@code op} on the scope's context: at once when already there (the usual case, a task
   * function runs on it), else after a hop. {@code bind} must be called on that context, and
   * the Vert.x clients dispatch their callbacks to the context that started the operation.
   */
  static <T> Future<T> onScopeContext(TaskScope scope, Supplier<Future<T>> op) {
    Objects.requireNonNull(scope, "scope");
    Context context = scope.context();
    // The core's own check (the context itself, on its thread), so that the two packages agree on
    // what "on the context" means: not another context of the same event loop, not executeBlocking.
    if (scope.isOnContext()) {
      try {
        return op.get();
      } catch (RuntimeException e) {
        return Future.failedFuture(e);
      }
    }
    Promise<T> promise = Promise.promise();
    context.runOnContext(v -> {
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

  /** {@return the scope's remaining time plus the grace, in ms (at least 1), or -1 when no deadline} */
  static long ioTimeoutMillis(TaskScope scope) {
    Optional<Duration> remaining = scope.remaining();
    if (remaining.isEmpty()) {
      return -1;
    }
    long ms;
    try {
      ms = remaining.get().toMillis();
    } catch (ArithmeticException huge) {
      return -1;
    }
    return ms > Long.MAX_VALUE - DEADLINE_GRACE_MS ? -1 : Math.max(1, ms + DEADLINE_GRACE_MS);
  }

  /** {@return the tighter of two timeouts where a value {@code <= 0} means none} */
  static long tighter(long current, long bound) {
    if (bound <= 0) {
      return current;
    }
    return current <= 0 ? bound : Math.min(current, bound);
  }

  /** Runs a user handler; its exception goes to the context's exception handler, never up the I/O path. */
  static <E> void callUser(TaskScope scope, Handler<E> handler, E event) {
    if (handler == null) {
      return;
    }
    try {
      handler.handle(event);
    } catch (RuntimeException e) {
      Handler<Throwable> eh = scope.context().exceptionHandler();
      if (eh == null) {
        eh = scope.vertx().exceptionHandler();
      }
      if (eh != null) {
        eh.handle(e);
      } else {
        Thread t = Thread.currentThread();
        t.getUncaughtExceptionHandler().uncaughtException(t, e);
      }
    }
  }

  /**
   * Bounds {@code opts} by the scope's deadline: its connect (pool wait) and idle timeouts become
   * the tighter of their own and the scope's remaining time plus {@link #DEADLINE_GRACE_MS}; with
   * {@code propagate}, writes {@link DeadlineHeader#NAME}. Modifies {@code opts}, which must be a
   * copy the caller owns.
   */
  static void bindToScope(RequestOptions opts, TaskScope scope, boolean propagate) {
    long bound = ioTimeoutMillis(scope);
    if (bound > 0) {
      long connect = opts.getConnectTimeout() >= 0 ? opts.getConnectTimeout() : Math.max(opts.getTimeout(), 0);
      long idle = opts.getIdleTimeout() >= 0 ? opts.getIdleTimeout() : Math.max(opts.getTimeout(), 0);
      opts.setConnectTimeout(tighter(connect, bound));
      opts.setIdleTimeout(tighter(idle, bound));
    }
    if (propagate) {
      scope.remaining().ifPresent(remaining -> {
        MultiMap headers = opts.getHeaders();
        if (headers == null) {
          headers = MultiMap.caseInsensitiveMultiMap();
          opts.setHeaders(headers);
        }
        DeadlineHeader.write(headers, remaining);
      });
    }
  }

  /**
   * Resets a request that arrived from the pool after its scope was cancelled and was never
   * written.
   *
   * <p>HTTP/1.1: the reset drops it from the connection's queue; nothing reaches the upstream and
   * the connection goes back to the pool. HTTP/2: Vert.x 5.0.7 resets a stream that has no id yet
   * without ever closing it ({@code VertxHttp2Stream.doWriteReset} calls only
   * {@code handleReset}), so the close handler that returns its slot to the pool never runs and
   * every such reset leaks one stream of the connection; with the default pool of one HTTP/2
   * connection, a hundred cancellations while queued would wedge the client. So on HTTP/2 the
   * head is written first (the stream gets its id) and the stream is reset right after: the
   * upstream sees a request head followed at once by RST_STREAM. Rejected: the pure reset, which
   * keeps the request unsent but leaks the slot.
   */
  static void resetUnsent(HttpClientRequest request, Throwable cause) {
    resetUnsent(request, () -> request.reset(0, cause));
  }

  /** {@link #resetUnsent(HttpClientRequest, Throwable)} with the reset done by {@code reset}. */
  static void resetUnsent(HttpClientRequest request, Runnable reset) {
    request.exceptionHandler(expected -> {}); // else Vert.x logs the reset of an unended request as an error
    if (request.version() == HttpVersion.HTTP_2) {
      request.sendHead().onComplete(ar -> reset.run());
    } else {
      reset.run();
    }
  }

  /**
   * {@return why an operation must not start in {@code scope}, or null if it may} A cancelled
   * scope gives its cancellation; a scope whose task has finished gives a
   * {@link dev.taskgroup.CancelReason#SCOPE_CLOSED} cancellation, worded as the core words it ({@link TaskCancelledException#scopeClosed}), as the core does for a sleep or a nested group
   * started there. On the scope's context.
   */
  static TaskCancelledException refusal(TaskScope scope) {
    TaskCancelledException cancelled = scope.cancellation();
    if (cancelled != null) {
      return cancelled;
    }
    if (scope.isFinished()) {
      return TaskCancelledException.scopeClosed(scope);
    }
    return null;
  }
}
