package dev.taskgroup.http;

import dev.taskgroup.TaskCancelledException;
import dev.taskgroup.TaskScope;
import io.vertx.core.AsyncResult;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.http.RequestOptions;
import java.util.Objects;
import java.util.concurrent.atomic.LongAdder;

/**
 * Cancellable HTTP calls bound to a {@link TaskScope}: cancelling the scope resets the request, so
 * the upstream really sees the abort (HTTP/1.1: the connection closes; HTTP/2: the stream gets a
 * RST_STREAM and the connection stays in the pool).
 *
 * <pre>{@code
 * ScopedHttpClient http = ScopedHttpClient.wrap(vertx.createHttpClient());
 * TaskGroup.run(vertx, group -> {
 *   Task<ScopedResponse> user = group.spawn(scope ->
 *       http.send(scope, new RequestOptions().setAbsoluteURI("http://users/42")));
 *   return user.future();
 * });
 * }</pre>
 *
 * <p>Keep the wrapper in a field or a variable that outlives its calls, as above: it holds the
 * client, and Vert.x closes an {@code HttpClient} that nothing references once the collector finds
 * it, failing its requests in flight with "Pool closed". A wrapper made inline for one call
 * ({@code ScopedHttpClient.wrap(vertx.createHttpClient()).send(...)}) can lose that call.
 *
 * <p>The contract of {@link #send}:
 * <ul>
 *   <li>When the scope is cancelled, the returned future fails at once with the scope's
 *       {@link TaskCancelledException} ({@link TaskScope#cancellation()}), and the request is
 *       reset: while the request is sent, while the response head is awaited, and while the body
 *       downloads. One exception, on HTTP/1.x only: once the response head has arrived with a
 *       {@code Content-Length} of at most {@link #DRAIN_MAX_BYTES}, the upstream has answered, so
 *       the rest of the body is read and discarded and the connection goes back to the pool (a
 *       reset there would close it); if the rest takes longer than {@link #DRAIN_MAX_MS}, the
 *       request is reset after all. A request still waiting for a pooled connection is reset the moment the
 *       connection arrives: on HTTP/1.1 it is never written; on HTTP/2 its head is written and
 *       reset at once, because Vert.x 5.0.7 would otherwise leak the stream's pool slot (see
 *       {@code Scopes.resetUnsent}). A scope already cancelled sends nothing; nor does the scope
 *       of a task that has finished (the call fails with reason {@code SCOPE_CLOSED}).</li>
 *   <li>When the scope has a deadline ({@link TaskScope#remaining()}), the request ends by then:
 *       the library's own scopes are cancelled at their deadline, which resets it as above; a scope
 *       of another {@link TaskScope} implementation ({@link dev.taskgroup.ScopedIo#abortsAtDeadline}
 *       false) bounds the request's connect (pool wait) and idle timeouts instead, plus a small
 *       grace so that the scope's own deadline wins the race.</li>
 *   <li>Any status code is a response: a 404 or a 503 succeeds and the caller decides.</li>
 *   <li>The cancel hook is removed when the call ends, so a task that makes any number of calls
 *       holds hooks only for the calls in flight.</li>
 * </ul>
 *
 * <p>Thread safety: a {@code ScopedHttpClient} may be shared by any number of scopes and threads;
 * its settings are volatile and apply to calls started after they change. {@code send} may be
 * called from any thread; it runs on the scope's context (hopping there when needed) and its
 * future completes there.
 */
public final class ScopedHttpClient {
  /**
   * The largest declared body ({@code Content-Length}) that a cancelled HTTP/1.x call whose
   * response head has arrived drains rather than resets: {@value} bytes.
   */
  public static final int DRAIN_MAX_BYTES = 64 * 1024;
  /**
   * How long such a drain may take before the request is reset after all: {@value} ms, well
   * inside the 200 ms in which an abort must reach the upstream.
   */
  public static final long DRAIN_MAX_MS = 100;
  private final HttpClient client;
  /** Written by the setter from any thread, read when a call starts. */
  private volatile boolean propagateDeadline;
  /** Written by the setter from any thread, read when a call is aborted. */
  private volatile Handler<Void> abortHandler;
  /** Written by the setter from any thread, read when a response arrives; 0 means no limit. */
  private volatile int maxResponseBytes;
  private final LongAdder aborted = new LongAdder();

  private ScopedHttpClient(HttpClient client) {
    this.client = client;
  }

  /**
   * {@return a scope-bound view of {@code client}} Create one per {@code HttpClient} and share it:
   * it holds only the client and the two settings below.
   *
   * @throws NullPointerException if {@code client} is null
   */
  public static ScopedHttpClient wrap(HttpClient client) {
    return new ScopedHttpClient(Objects.requireNonNull(client, "client"));
  }

  /**
   * Opts in (or out) of sending {@link DeadlineHeader#NAME} with the scope's remaining time, in
   * milliseconds, on calls whose scope has a deadline. Off by default: the header tells the
   * upstream something about the caller.
   *
   * @return this
   */
  public ScopedHttpClient propagateDeadline(boolean enabled) {
    this.propagateDeadline = enabled;
    return this;
  }

  /**
   * Sets the handler called, on the scope's context, each time a request is reset because its
   * scope was cancelled: a request in flight, or one that arrived from the pool after its scope was
   * cancelled (not a response drained after its head arrived, see the class comment, unless the
   * drain took too long and the request was reset after all). A call that had not obtained its request yet calls it when the request arrives (and
   * is reset); one that never obtains a connection does not call it. Null removes it. An
   * exception it throws goes to the context's exception handler.
   *
   * @return this
   */
  public ScopedHttpClient abortHandler(Handler<Void> handler) {
    this.abortHandler = handler;
    return this;
  }

  /**
   * Bounds each response body to {@code limit} bytes (0: no bound, the default). A response that
   * declares a larger Content-Length, or whose body grows past the limit while it downloads, has
   * its request reset at once and its call fails with a {@link ResponseTooLargeException}: at most
   * {@code limit} bytes (plus one network read) are ever buffered.
   *
   * @return this
   * @throws IllegalArgumentException if {@code limit} is negative
   */
  public ScopedHttpClient maxResponseBytes(int limit) {
    if (limit < 0) {
      throw new IllegalArgumentException("limit must not be negative, got " + limit);
    }
    this.maxResponseBytes = limit;
    return this;
  }

  /** {@return how many requests this wrapper has reset because their scope was cancelled} */
  public long abortedCount() {
    return aborted.sum();
  }

  /** {@return the wrapped client} */
  public HttpClient client() {
    return client;
  }

  /**
   * Sends a request with no body and reads the whole response within the scope.
   *
   * @param options copied (before this returns, when called on the scope's context); the caller's
   *     instance is not modified
   * @return the response, or the scope's {@link TaskCancelledException} once it is cancelled, or
   *     the connection or protocol error
   * @throws NullPointerException if an argument is null
   */
  public Future<ScopedResponse> send(TaskScope scope, RequestOptions options) {
    return send(scope, options, null);
  }

  /**
   * Sends a request with {@code body} (null for none) and reads the whole response within the
   * scope; see the class comment for what cancellation does.
   *
   * @param options copied (before this returns, when called on the scope's context); the caller's
   *     instance is not modified
   * @throws NullPointerException if {@code scope} or {@code options} is null
   */
  public Future<ScopedResponse> send(TaskScope scope, RequestOptions options, Buffer body) {
    Objects.requireNonNull(scope, "scope");
    Objects.requireNonNull(options, "options");
    return Scopes.onScopeContext(scope, () -> start(scope, options, body));
  }

  /** On the scope's context. */
  private Future<ScopedResponse> start(TaskScope scope, RequestOptions options, Buffer body) {
    TaskCancelledException cancelled = Scopes.refusal(scope); // cancelled, or its task has finished
    if (cancelled != null) {
      return Future.failedFuture(cancelled);
    }
    RequestOptions opts = new RequestOptions(options);
    Scopes.bindToScope(opts, scope, propagateDeadline);
    Call call = new Call(scope, body);
    Future<ScopedResponse> result = call.bind();
    client.request(opts).onComplete(call::connected);
    return result;
  }

  /**
   * One call. Every field is written and read only on the scope's context (the client dispatches
   * its callbacks to the context that called {@code request}, which is the scope's).
   */
  private final class Call extends ScopedCall<ScopedResponse> {
    final Buffer body;
    /** The request once the pool handed it over; null before. */
    HttpClientRequest request;
    /** The response once its head arrived; null before. */
    HttpClientResponse response;
    /** A bounded read: the limit and the declared length (-1: none), set when the head arrives. */
    int limit;
    long declared;
    /** A bounded read's body so far: null before its first chunk, then that chunk, then (ownBuffer) a buffer of ours. */
    Buffer received;
    boolean ownBuffer;

    Call(TaskScope scope, Buffer body) {
      super(scope);
      this.body = body;
    }

    @Override
    void abort(TaskCancelledException cause) {
      if (request == null) {
        return; // still queued for a connection: reset unsent when it arrives (connected)
      }
      if (response != null && drainable(response)) {
        drain(request, response, cause);
        return;
      }
      request.reset(0, cause);
      countAbort();
    }

    @Override
    void ended() {
      request = null;
      response = null;
    }

    /**
     * Reads and discards the rest of a response whose head has arrived, so that its HTTP/1.1
     * connection goes back to the pool instead of being closed; resets the request if the rest
     * has not arrived within {@link #DRAIN_MAX_MS}. The caller's future has already failed.
     */
    private void drain(HttpClientRequest req, HttpClientResponse resp, TaskCancelledException cause) {
      boolean[] over = {false}; // on the scope's context only
      long timer = scope.vertx().setTimer(DRAIN_MAX_MS, t -> {
        if (!over[0]) {
          over[0] = true;
          req.reset(0, cause);
          countAbort();
        }
      });
      Future<Void> end;
      try {
        end = resp.end();
      } catch (IllegalStateException alreadyRead) { // ended in this very turn: nothing left to drain
        end = Future.succeededFuture();
      }
      end.onComplete(ar -> {
        over[0] = true; // ended (back to the pool) or failed (the connection is gone anyway)
        scope.vertx().cancelTimer(timer);
      });
    }

    void connected(AsyncResult<HttpClientRequest> ar) {
      if (ar.failed()) {
        finish(ar.cause(), null);
        return;
      }
      HttpClientRequest req = ar.result();
      if (cancelled != null) { // cancelled while queued for a connection
        Scopes.resetUnsent(req, cancelled);
        countAbort();
        return;
      }
      request = req;
      Future<HttpClientResponse> sent = body == null ? req.send() : req.send(body);
      int limit = maxResponseBytes;
      if (limit == 0) {
        sent.compose(resp -> {
          response = resp;
          return resp.body().map(b -> new ScopedResponse(resp.statusCode(), resp.statusMessage(), resp.headers(), b));
        }).onComplete(r -> finish(r.cause(), r.result()));
      } else {
        sent.onComplete(r -> {
          if (r.failed()) {
            finish(r.cause(), null);
          } else {
            readBounded(req, r.result(), limit);
          }
        });
      }
    }

    /** Reads the body, resetting the request the moment it crosses {@code limit}. */
    private void readBounded(HttpClientRequest req, HttpClientResponse resp, int limit) {
      response = resp;
      long declared = contentLength(resp);
      if (declared > limit) {
        tooLarge(req, new ResponseTooLargeException(limit, declared));
        return;
      }
      this.limit = limit;
      this.declared = declared;
      resp.exceptionHandler(err -> finish(err, null));
      resp.handler(this::chunk);
      resp.endHandler(v -> finish(null, new ScopedResponse(resp.statusCode(), resp.statusMessage(), resp.headers(),
          received == null ? Buffer.buffer() : received)));
    }

    /**
     * One chunk of a bounded body. A body of one chunk (most small answers) is that chunk itself,
     * not a copy: Vert.x 5.0.7 hands each chunk over as a heap buffer of its own (copied out of
     * Netty's pooled one: {@code BufferInternal.safeBuffer} on HTTP/1.x, {@code Http2ConnectionBase}
     * on HTTP/2), which the handler may keep.
     */
    private void chunk(Buffer chunk) {
      if (request == null) {
        return; // already over the limit, or aborted: the rest is being discarded
      }
      int had = received == null ? 0 : received.length();
      if (had + chunk.length() > limit) {
        tooLarge(request, new ResponseTooLargeException(limit, -1));
      } else if (received == null) {
        received = chunk;
      } else {
        if (!ownBuffer) { // a second chunk: from now on, into a buffer of ours
          Buffer first = received;
          int capacity = (int) Math.min(limit, Math.max(declared, 2L * (had + chunk.length())));
          received = Buffer.buffer(capacity).appendBuffer(first);
          ownBuffer = true;
        }
        received.appendBuffer(chunk);
      }
    }

    private void tooLarge(HttpClientRequest req, ResponseTooLargeException cause) {
      finish(cause, null); // first: the reset's echo (a closed connection) then finds the call done
      req.reset(0, cause);
    }

    /**
     * {@return whether a cancelled call whose response head has arrived may drain the rest rather
     * than reset} Only on HTTP/1.x, where a reset of a request already written closes the
     * connection (on HTTP/2 a reset ends the stream alone, and stops the transfer), and only for a
     * body of declared length no larger than {@link #DRAIN_MAX_BYTES}: the upstream has answered
     * and committed to a small rest, so nothing of its work is left running.
     */
    private boolean drainable(HttpClientResponse resp) {
      if (resp.version() == HttpVersion.HTTP_2) {
        return false;
      }
      long declared = contentLength(resp);
      return declared >= 0 && declared <= DRAIN_MAX_BYTES;
    }

    private long contentLength(HttpClientResponse resp) {
      String value = resp.getHeader(HttpHeaders.CONTENT_LENGTH); // cached hash, unlike a String name
      try {
        return value == null ? -1 : Long.parseLong(value.trim());
      } catch (NumberFormatException e) {
        return -1;
      }
    }

    private void countAbort() {
      aborted.increment();
      Scopes.callUser(scope, abortHandler, null);
    }
  }

  @Override
  public String toString() {
    return "ScopedHttpClient[propagateDeadline=" + propagateDeadline + ", maxResponseBytes=" + maxResponseBytes
        + ", aborted=" + aborted.sum() + "]";
  }
}
