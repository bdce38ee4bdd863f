package dev.taskgroup.http;

import dev.taskgroup.ScopedIo;
import dev.taskgroup.TaskCancelledException;
import dev.taskgroup.TaskScope;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.MultiMap;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.http.RequestOptions;
import java.time.Duration;
import java.util.Optional;
import java.util.function.Supplier;

/** Small helpers shared by the scope-bound I/O helpers of this package. */
final class Scopes {
  /** See {@link ScopedIo#DEADLINE_GRACE_MS}. */
  static final long DEADLINE_GRACE_MS = ScopedIo.DEADLINE_GRACE_MS;

  private Scopes() {}

  /** {@link ScopedIo#onContext}, under the name this package's helpers use. */
  static <T> Future<T> onScopeContext(TaskScope scope, Supplier<Future<T>> op) {
    return ScopedIo.onContext(scope, op);
  }

  /** {@link ScopedIo#tighter}. */
  static long tighter(long current, long bound) {
    return ScopedIo.tighter(current, bound);
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
   * Bounds {@code opts} by the scope's deadline: unless the scope aborts its bound work at the
   * deadline by itself (the library's own scopes, {@link ScopedIo#abortsAtDeadline}), its connect
   * (pool wait) and idle timeouts become the tighter of their own and the scope's remaining time
   * plus {@link #DEADLINE_GRACE_MS}; with {@code propagate}, writes {@link DeadlineHeader#NAME}.
   * Modifies {@code opts}, which must be a copy the caller owns.
   *
   * <p>Rejected: the two timeouts for every scope, as a safety net. For the library's scopes the
   * deadline's cancellation already resets the request, and the timeouts cost two Vert.x timers per
   * call (one per pool wait, one per request), on the hot path of every gateway request.
   */
  static void bindToScope(RequestOptions opts, TaskScope scope, boolean propagate) {
    boolean bound = !ScopedIo.abortsAtDeadline(scope);
    if (!bound && !propagate) {
      return; // nothing to write: not even the clock is read
    }
    Optional<Duration> left = scope.remaining(); // read once: the timeouts and the header agree
    if (left.isEmpty()) {
      return;
    }
    Duration remaining = left.get();
    long ms = bound ? ScopedIo.ioTimeoutMillis(remaining) : -1;
    if (ms > 0) {
      long connect = opts.getConnectTimeout() >= 0 ? opts.getConnectTimeout() : Math.max(opts.getTimeout(), 0);
      long idle = opts.getIdleTimeout() >= 0 ? opts.getIdleTimeout() : Math.max(opts.getTimeout(), 0);
      opts.setConnectTimeout(tighter(connect, ms));
      opts.setIdleTimeout(tighter(idle, ms));
    }
    if (propagate) {
      MultiMap headers = opts.getHeaders();
      if (headers == null) {
        headers = MultiMap.caseInsensitiveMultiMap();
        opts.setHeaders(headers);
      }
      DeadlineHeader.write(headers, remaining);
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

  /** {@link ScopedIo#refusal}. */
  static TaskCancelledException refusal(TaskScope scope) {
    return ScopedIo.refusal(scope);
  }
}
