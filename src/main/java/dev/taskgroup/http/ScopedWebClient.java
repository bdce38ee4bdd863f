package dev.taskgroup.http;

import dev.taskgroup.TaskCancelledException;
import dev.taskgroup.TaskScope;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpRequest;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import java.util.Objects;
import java.util.function.Function;

/**
 * Gives a {@link WebClient} the guarantee of {@link ScopedHttpClient}: a request sent through
 * {@code send(scope, request)} is reset when its scope is cancelled, whether it waits for a pooled
 * connection, is in flight, or is downloading its body.
 *
 * <pre>{@code
 * ScopedWebClient web = ScopedWebClient.install(webClient);   // once per WebClient
 * TaskFn<JsonObject> user = scope ->
 *     web.send(scope, webClient.getAbs(url).as(BodyCodec.jsonObject())).map(HttpResponse::body);
 * }</pre>
 *
 * <p>Why an install step: {@code HttpRequest} has no cancel, and {@code send().timeout(...)} only
 * fails the returned future (the upstream keeps its connection). The one hook Vert.x 5.0.7 offers
 * is the client's interceptor chain, whose context type is internal API; {@code install} adds one
 * interceptor that binds requests sent through this class to their scope (see
 * {@code WebClientScopeAdapter}, the only class here that touches that API). Requests sent
 * directly with {@code request.send()} pass through it untouched.
 *
 * <p>The contract of every {@code send*} method matches {@link ScopedHttpClient#send}: on cancel
 * the future fails at once with the scope's {@link TaskCancelledException} and the request is
 * reset; the request ends by the scope's deadline (see {@code ScopedHttpClient}); the cancel hook is
 * removed when the request ends. Unlike {@code ScopedHttpClient}, a call is reset on cancel even
 * once its response head has arrived (no drain: the interceptor cannot tell that moment apart),
 * and statuses and body decoding
 * follow the request's own settings ({@code expect(...)}, {@code as(BodyCodec)}). The request must
 * come from the installed client or one derived from it ({@code WebClientSession.create},
 * {@code WebClient.wrap} of it): a request of another client is still failed at once on cancel,
 * but cannot be reset.
 *
 * <p>Thread safety: shareable; {@code install} may be called concurrently and more than once.
 */
public final class ScopedWebClient {
  private final WebClient client;
  /** Written by the setter from any thread, read when a request starts. */
  private volatile boolean propagateDeadline;

  private ScopedWebClient(WebClient client) {
    this.client = client;
  }

  /**
   * Installs the scope interceptor on {@code client} (once; later calls find it installed) and
   * returns a scope-bound view of it.
   *
   * @return a scope-bound view of {@code client}
   * @throws NullPointerException if {@code client} is null
   */
  public static ScopedWebClient install(WebClient client) {
    Objects.requireNonNull(client, "client");
    WebClientScopeAdapter.install(client);
    return new ScopedWebClient(client);
  }

  /**
   * Opts in (or out) of sending {@link DeadlineHeader#NAME} with the scope's remaining time on
   * requests whose scope has a deadline; off by default.
   *
   * @return this
   */
  public ScopedWebClient propagateDeadline(boolean enabled) {
    this.propagateDeadline = enabled;
    return this;
  }

  /** {@return the client this was installed on} */
  public WebClient client() {
    return client;
  }

  /** Sends {@code request} without a body; see the class comment. */
  public <T> Future<HttpResponse<T>> send(TaskScope scope, HttpRequest<T> request) {
    return send(scope, request, HttpRequest::send);
  }

  /** Sends {@code request} with {@code body}; see the class comment. */
  public <T> Future<HttpResponse<T>> sendBuffer(TaskScope scope, HttpRequest<T> request, Buffer body) {
    return send(scope, request, r -> r.sendBuffer(body));
  }

  /** Sends {@code request} with {@code body} encoded as JSON; see the class comment. */
  public <T> Future<HttpResponse<T>> sendJson(TaskScope scope, HttpRequest<T> request, Object body) {
    return send(scope, request, r -> r.sendJson(body));
  }

  /** Sends {@code request} with a JSON object body; see the class comment. */
  public <T> Future<HttpResponse<T>> sendJsonObject(TaskScope scope, HttpRequest<T> request, JsonObject body) {
    return send(scope, request, r -> r.sendJsonObject(body));
  }

  private <T> Future<HttpResponse<T>> send(TaskScope scope, HttpRequest<T> request,
                                           Function<HttpRequest<T>, Future<HttpResponse<T>>> sender) {
    Objects.requireNonNull(scope, "scope");
    Objects.requireNonNull(request, "request");
    return Scopes.onScopeContext(scope, () ->
        WebClientScopeAdapter.send(scope, request, propagateDeadline, sender));
  }

  @Override
  public String toString() {
    return "ScopedWebClient[propagateDeadline=" + propagateDeadline + "]";
  }
}
