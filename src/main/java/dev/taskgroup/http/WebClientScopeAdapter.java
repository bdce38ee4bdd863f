package dev.taskgroup.http;

import dev.taskgroup.TaskCancelledException;
import dev.taskgroup.TaskScope;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.ext.web.client.HttpRequest;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.impl.ClientPhase;
import io.vertx.ext.web.client.impl.HttpContext;
import java.util.ArrayDeque;
import java.util.IdentityHashMap;
import java.util.Map;
import java.util.WeakHashMap;
import java.util.function.Function;

/**
 * The one class of this package that uses Vert.x internal API ({@code io.vertx.ext.web.client.impl}:
 * {@link HttpContext} and {@link ClientPhase}), tested against vertx-web-client 5.0.7.
 *
 * <p>Why: {@code HttpRequest} has no cancel and {@code send().timeout(...)} does not abort the
 * request. The only way into a {@code WebClient} request is {@link WebClient#addInterceptor},
 * whose argument type {@code HttpContext} is internal. From it we take the
 * {@code HttpClientRequest} (to reset it during the body download, when the context no longer
 * holds it) and {@link HttpContext#fail} (which resets the request it holds and fails the
 * request's future). If a Vert.x upgrade changes this API, this class is what breaks.
 *
 * <p>How a request finds its scope: {@link #send} parks the call under the request object's
 * identity just before {@code request.send()}; the interceptor claims it in the
 * {@code PREPARE_REQUEST} phase (normally on the same stack) and keeps it as an attribute of the
 * context, which survives redirects. Rejected: a thread-local handoff, which is lost when an
 * interceptor installed earlier (an OAuth2 token refresh, say) defers the prepare phase.
 */
final class WebClientScopeAdapter implements Handler<HttpContext<?>> {
  private static final WebClientScopeAdapter INSTANCE = new WebClientScopeAdapter();
  private static final String KEY = WebClientScopeAdapter.class.getName();

  /** Clients this was installed on (weakly held). Guarded by itself. */
  private static final Map<WebClient, Boolean> INSTALLED = new WeakHashMap<>();

  /**
   * Calls sent but not yet claimed by the interceptor, by request identity, oldest first (one
   * {@code HttpRequest} may be sent several times at once). Guarded by itself: requests of
   * different scopes run on different event loops. An entry leaves when claimed or when its
   * request completes, so a request of a client without the interceptor leaves nothing behind
   * once it has completed.
   */
  private static final Map<HttpRequest<?>, ArrayDeque<Call<?>>> PENDING = new IdentityHashMap<>();

  private WebClientScopeAdapter() {}

  static void install(WebClient client) {
    synchronized (INSTALLED) {
      if (INSTALLED.containsKey(client)) {
        return;
      }
      try {
        client.addInterceptor(INSTANCE);
      } catch (IllegalStateException alreadyThere) {
        // Vert.x refuses a second interceptor of the same class: this client was derived from an
        // installed one (WebClientSession.create, WebClient.wrap) and already carries it.
      }
      INSTALLED.put(client, Boolean.TRUE);
    }
  }

  /** On the scope's context. */
  static <T> Future<HttpResponse<T>> send(TaskScope scope, HttpRequest<T> request, boolean propagateDeadline,
                                          Function<HttpRequest<T>, Future<HttpResponse<T>>> sender) {
    TaskCancelledException cancelled = Scopes.refusal(scope); // cancelled, or its task has finished
    if (cancelled != null) {
      return Future.failedFuture(cancelled);
    }
    Call<T> call = new Call<>(scope, request, propagateDeadline);
    Future<HttpResponse<T>> result = call.bind();
    synchronized (PENDING) {
      PENDING.computeIfAbsent(request, r -> new ArrayDeque<>(1)).add(call);
    }
    Future<HttpResponse<T>> sent;
    try {
      sent = sender.apply(request);
    } catch (RuntimeException e) {
      unpark(call);
      call.finish(e, null);
      return result;
    }
    sent.onComplete(ar -> {
      unpark(call); // claimed already, unless the request belongs to a client without the interceptor
      call.finish(ar.cause(), ar.result());
    });
    return result;
  }

  private static Call<?> claim(HttpRequest<?> request) {
    synchronized (PENDING) {
      ArrayDeque<Call<?>> calls = PENDING.get(request);
      if (calls == null) {
        return null;
      }
      Call<?> call = calls.poll();
      if (calls.isEmpty()) {
        PENDING.remove(request);
      }
      return call;
    }
  }

  private static void unpark(Call<?> call) {
    synchronized (PENDING) {
      ArrayDeque<Call<?>> calls = PENDING.get(call.request);
      if (calls != null && calls.remove(call) && calls.isEmpty()) {
        PENDING.remove(call.request);
      }
    }
  }

  /** {@return how many calls are parked and not yet claimed (tests)} */
  static int parkedCount() {
    synchronized (PENDING) {
      int n = 0;
      for (ArrayDeque<Call<?>> calls : PENDING.values()) {
        n += calls.size();
      }
      return n;
    }
  }

  /** The interceptor: runs on the context that sent the request (the scope's), in every phase. */
  @Override
  public void handle(HttpContext<?> ctx) {
    Call<?> call = ctx.get(KEY);
    if (call == null) {
      if (ctx.phase() == ClientPhase.PREPARE_REQUEST) {
        call = claim(ctx.request());
      }
      if (call == null) { // not sent through ScopedWebClient: not ours
        ctx.next();
        return;
      }
      ctx.set(KEY, call);
      call.ctx = ctx;
    }
    ClientPhase phase = ctx.phase();
    if (phase == ClientPhase.SEND_REQUEST) {
      call.clientRequest = ctx.clientRequest();
    }
    if (call.cancelled != null && phase != ClientPhase.FAILURE && phase != ClientPhase.DISPATCH_RESPONSE) {
      // Cancelled before this phase: typically the connection arrived from the pool after the
      // cancel. fail() resets the request the context holds, so it is never written.
      HttpClientRequest unsent = ctx.clientRequest();
      TaskCancelledException cause = call.cancelled;
      if (unsent != null) {
        Scopes.resetUnsent(unsent, () -> ctx.fail(cause)); // on HTTP/2, after the stream has its id
      } else {
        ctx.fail(cause);
      }
      return;
    }
    if (phase == ClientPhase.CREATE_REQUEST) { // also after each redirect
      Scopes.bindToScope(ctx.requestOptions(), call.scope, call.propagateDeadline);
    }
    ctx.next();
  }

  /**
   * One request sent through {@link ScopedWebClient}. Fields are written and read on the scope's
   * context only (the interceptor and the request's callbacks run there). One winner: the first of
   * the cancel hook and {@link #finish} to set {@link #done}.
   */
  private static final class Call<T> extends ScopedCall<HttpResponse<T>> {
    final HttpRequest<T> request;
    final boolean propagateDeadline;
    /** Set when the interceptor claims the call. */
    HttpContext<?> ctx;
    /** The latest request the context sent; kept after the context drops it (body download). */
    HttpClientRequest clientRequest;

    Call(TaskScope scope, HttpRequest<T> request, boolean propagateDeadline) {
      super(scope);
      this.request = request;
      this.propagateDeadline = propagateDeadline;
    }

    @Override
    void abort(TaskCancelledException cause) {
      if (clientRequest != null && ctx != null && ctx.phase() == ClientPhase.RECEIVE_RESPONSE) {
        // the body is downloading: the context no longer holds the request, so reset it here
        clientRequest.reset(0, cause);
      }
      if (ctx != null) {
        ctx.fail(cause); // resets the request it holds; a request still to come is reset by the interceptor
      }
      // Not claimed yet: it stays parked with `cancelled` set, so that if an interceptor installed
      // earlier deferred the prepare phase, the claim fails the request before it is created. (A
      // request of a client without the interceptor is never claimed and cannot be reset; it
      // leaves the parking when it completes.)
    }

    @Override
    void ended() {
      clientRequest = null;
    }
  }
}
