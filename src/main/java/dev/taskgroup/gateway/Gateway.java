package dev.taskgroup.gateway;

import dev.taskgroup.Task;
import dev.taskgroup.TaskCancelledException;
import dev.taskgroup.TaskFn;
import dev.taskgroup.TaskGroup;
import dev.taskgroup.TaskGroupException;
import dev.taskgroup.TaskGroupOptions;
import dev.taskgroup.TaskScope;
import dev.taskgroup.TaskTimeoutException;
import dev.taskgroup.http.ScopedHttpClient;
import dev.taskgroup.http.ScopedResponse;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClosedException;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CancellationException;

/**
 * The gateway verticle: an HTTP server that answers each route by fanning out to its upstreams in
 * one {@link TaskGroup} per request, so that a failed required call, the route's deadline or a
 * departed client really stops every other call (their upstream requests are reset).
 *
 * <pre>{@code
 * vertx.deployVerticle(new Gateway(GatewayConfig.parse(json)))
 *     .onSuccess(id -> System.out.println("listening"));
 * }</pre>
 *
 * <h2>Answers</h2>
 * <ul>
 *   <li>every call succeeded: 200, one field per upstream holding its JSON body;
 *   <li>an optional call failed: 200, its field holds the fallback, and {@code errors} maps its
 *       name to {@code {"reason": R}};
 *   <li>a required call failed: 502 {@code {"error":"upstream_failed","failures":[...]}}, listing
 *       real failures only (never a call cancelled because another failed);
 *   <li>the route's deadline passed: 504 {@code {"error":"deadline_exceeded"}};
 *   <li>the client left: nothing (counted with status 499), every call cancelled.
 * </ul>
 * Reasons are {@code timeout}, {@code status:NNN}, {@code connect}, {@code invalid_json},
 * {@code reset} (the upstream closed before answering), and {@code error} for anything else.
 *
 * <h2>Limits</h2>
 * Request line over 8 KiB: 414; headers over 16 KiB: 431; body over 64 KiB: 413 (each closes the
 * connection; the server keeps serving). Routes, {@code /health} and {@code /metrics} accept GET
 * and HEAD; other methods get 405 with {@code Allow}. Unknown paths get 404. Every error body is
 * JSON with an {@code error} field.
 *
 * <h2>Design choices</h2>
 * Routing uses the core {@code HttpServer}, not vertx-web's {@code Router}: a route is one pattern
 * match and two methods, so the extra dependency would buy nothing. Each call's result is kept in
 * a slot and the answer is built once the group has settled, rather than by the body awaiting
 * {@code Future.all} of the tasks: a body failing with a task's error would report it twice.
 *
 * <h2>Threads</h2>
 * One instance, one event loop: the request handler, every group and every metric update run on
 * this verticle's context.
 */
public final class Gateway extends VerticleBase {
  /** The longest request line accepted (414 beyond). */
  public static final int MAX_REQUEST_LINE = 8 * 1024;
  /** The most header bytes accepted (431 beyond). */
  public static final int MAX_HEADERS = 16 * 1024;
  /** The largest request body accepted (413 beyond); routes ignore bodies, but must not be flooded. */
  public static final int MAX_BODY = 64 * 1024;

  private static final String ALLOW = "GET, HEAD";
  private static final String JSON = "application/json";

  private final GatewayConfig config;
  private final GatewayMetrics metrics;
  private final Map<String, ScopedHttpClient> clients = new LinkedHashMap<>(); // written in start(), then read-only
  private final List<HttpClient> rawClients = new ArrayList<>();
  private HttpServer server; // written once in start()

  /** A gateway for {@code config}; deploy it to start listening on {@code config.http()}. */
  public Gateway(GatewayConfig config) {
    this.config = config;
    this.metrics = new GatewayMetrics(config.upstreams().keySet());
  }

  /** {@return the port the gateway listens on (useful with port 0), or -1 before it listens} */
  public int actualPort() {
    return server == null ? -1 : server.actualPort();
  }

  @Override
  public Future<?> start() {
    for (GatewayConfig.Upstream upstream : config.upstreams().values()) {
      long connectTimeout = upstream.timeout() == null ? 5_000 : Math.min(5_000, upstream.timeout().toMillis());
      HttpClient client = vertx.createHttpClient(
          new HttpClientOptions().setConnectTimeout((int) Math.max(1, connectTimeout)).setKeepAlive(true),
          new PoolOptions().setHttp1MaxSize(upstream.maxConnections()));
      rawClients.add(client);
      String name = upstream.name();
      clients.put(name, ScopedHttpClient.wrap(client)
          .propagateDeadline(true)
          .abortHandler(v -> metrics.aborted(name)));
    }
    HttpServerOptions options = new HttpServerOptions()
        .setHost(config.http().host())
        .setPort(config.http().port())
        .setMaxInitialLineLength(MAX_REQUEST_LINE)
        .setMaxHeaderSize(MAX_HEADERS);
    server = vertx.createHttpServer(options)
        .invalidRequestHandler(this::refuseInvalid)
        .requestHandler(this::handle);
    return server.listen();
  }

  @Override
  public Future<?> stop() {
    List<Future<Void>> closing = new ArrayList<>();
    if (server != null) {
      closing.add(server.close());
    }
    for (HttpClient client : rawClients) {
      closing.add(client.close());
    }
    return Future.join(closing);
  }

  @Override
  public String toString() {
    return "Gateway[port=" + actualPort() + ", routes=" + config.routes().size()
        + ", upstreams=" + config.upstreams().keySet() + "]";
  }

  // ---- routing --------------------------------------------------------------------------------

  private void handle(HttpServerRequest req) {
    req.exceptionHandler(err -> {}); // a client that resets mid-body: nothing to tell it
    HttpServerResponse resp = req.response();
    resp.exceptionHandler(err -> {});
    String declared = req.getHeader(HttpHeaders.CONTENT_LENGTH);
    if (declared != null && tooLong(declared)) {
      refuseBody(req, GatewayMetrics.INVALID);
      return;
    }
    if (req.isEnded()) {
      dispatch(req);
      return;
    }
    // A body is useless to a GET route, but it must be read (to keep the connection usable) and
    // bounded (a chunked body declares no length).
    long[] received = {0};
    boolean[] refused = {false};
    req.handler(chunk -> {
      received[0] += chunk.length();
      if (received[0] > MAX_BODY && !refused[0]) {
        refused[0] = true;
        refuseBody(req, GatewayMetrics.INVALID);
      }
    });
    req.endHandler(v -> {
      if (!refused[0]) {
        dispatch(req);
      }
    });
  }

  private static boolean tooLong(String contentLength) {
    try {
      return Long.parseLong(contentLength.trim()) > MAX_BODY;
    } catch (NumberFormatException e) {
      return false; // Netty has already refused a malformed length as an invalid request
    }
  }

  private void dispatch(HttpServerRequest req) {
    String path = req.path();
    if (path.equals("/health")) {
      if (allowed(req, "/health")) {
        json(req, "/health", 200, new JsonObject().put("status", "up"));
      }
      return;
    }
    if (path.equals("/metrics")) {
      if (allowed(req, "/metrics")) {
        metrics.request("/metrics", 200); // counted before the scrape, so a scrape sees itself
        req.response().putHeader(HttpHeaders.CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")
            .end(metrics.scrape());
      }
      return;
    }
    for (GatewayConfig.Route route : config.routes()) {
      Map<String, String> raw = route.path().match(path);
      if (raw != null) {
        if (allowed(req, route.path().path())) {
          Map<String, String> params = decodeParams(req, route, raw);
          if (params != null) {
            fanOut(req, route, params);
          }
        }
        return;
      }
    }
    json(req, GatewayMetrics.UNMATCHED, 404, error("not_found").put("path", path));
  }

  private boolean allowed(HttpServerRequest req, String route) {
    if (req.method() == HttpMethod.GET || req.method() == HttpMethod.HEAD) {
      return true;
    }
    req.response().putHeader(HttpHeaders.ALLOW, ALLOW);
    json(req, route, 405, error("method_not_allowed").put("method", req.method().name())
        .put("allow", new JsonArray().add("GET").add("HEAD")));
    return false;
  }

  /** {@return the decoded parameters, or null after answering 400} */
  private Map<String, String> decodeParams(HttpServerRequest req, GatewayConfig.Route route, Map<String, String> raw) {
    Map<String, String> params = new LinkedHashMap<>();
    for (Map.Entry<String, String> e : raw.entrySet()) {
      String value;
      try {
        value = PathSegments.decode(e.getValue());
      } catch (IllegalArgumentException bad) {
        json(req, route.path().path(), 400, error("bad_request").put("message", bad.getMessage()));
        return null;
      }
      if (value.equals(".") || value.equals("..")) {
        json(req, route.path().path(), 400, error("bad_request")
            .put("message", "path parameter '" + e.getKey() + "' must not be '" + value + "'"));
        return null;
      }
      params.put(e.getKey(), value);
    }
    return params;
  }

  // ---- the fan-out: one task group per request ----------------------------------------------

  /** What one call produced: its value (body or fallback) and, for a degraded optional call, why. */
  private static final class Slot {
    Object value;        // written by the call's task, on the group's context
    String errorReason;  // idem; non-null only for an optional call that fell back
  }

  private void fanOut(HttpServerRequest req, GatewayConfig.Route route, Map<String, String> params) {
    String label = route.path().path();
    HttpServerResponse resp = req.response();
    boolean[] clientGone = {false}; // only on this context
    List<GatewayConfig.Call> calls = route.calls();
    Slot[] slots = new Slot[calls.size()];
    TaskGroupOptions options = new TaskGroupOptions().setName(label).setMaxConcurrency(route.maxConcurrency());
    if (route.deadline() != null) {
      options.setTimeout(route.deadline());
    }
    TaskGroup.run(vertx, options, group -> {
      resp.closeHandler(v -> {
        if (!resp.ended()) {
          clientGone[0] = true;
          group.cancel(); // a clean exit: every call's upstream request is reset
        }
      });
      if (resp.closed()) { // gone before we could listen: start nothing
        clientGone[0] = true;
        group.cancel();
        return Future.succeededFuture();
      }
      for (int i = 0; i < calls.size(); i++) {
        slots[i] = new Slot();
        GatewayConfig.Call call = calls.get(i);
        metrics.task("started");
        Task<Object> task = group.spawn(call.upstream(), callFn(call, params, slots[i]));
        task.future().onComplete(ar -> metrics.task(ar.succeeded() ? "succeeded"
            : ar.cause() instanceof CancellationException ? "cancelled" : "failed"));
      }
      return Future.succeededFuture();
    }).onComplete(ar -> {
      if (clientGone[0] || resp.closed()) {
        metrics.request(label, GatewayMetrics.CLIENT_CLOSED);
      } else if (ar.succeeded()) {
        json(req, label, 200, merge(calls, slots));
      } else {
        answerFailure(req, label, ar.cause());
      }
    });
  }

  private static JsonObject merge(List<GatewayConfig.Call> calls, Slot[] slots) {
    JsonObject body = new JsonObject();
    JsonObject errors = new JsonObject();
    for (int i = 0; i < calls.size(); i++) {
      String name = calls.get(i).upstream();
      body.put(name, slots[i].value);
      if (slots[i].errorReason != null) {
        errors.put(name, new JsonObject().put("reason", slots[i].errorReason));
      }
    }
    if (!errors.isEmpty()) {
      body.put("errors", errors);
    }
    return body;
  }

  private void answerFailure(HttpServerRequest req, String label, Throwable cause) {
    List<Throwable> errors = cause instanceof TaskGroupException
        ? ((TaskGroupException) cause).exceptions() : List.of(cause);
    JsonArray failures = new JsonArray();
    boolean deadline = false;
    boolean unexpected = false;
    for (Throwable e : errors) {
      if (e instanceof UpstreamCallException) {
        UpstreamCallException u = (UpstreamCallException) e;
        failures.add(new JsonObject().put("upstream", u.upstream()).put("reason", u.reason()));
      } else if (e instanceof TaskTimeoutException) {
        deadline = true; // calls wrap their own timeouts, so a bare one is the group's deadline
      } else {
        unexpected = true;
      }
    }
    if (!failures.isEmpty()) {
      json(req, label, 502, error("upstream_failed").put("failures", failures));
    } else if (deadline) {
      json(req, label, 504, error("deadline_exceeded"));
    } else {
      json(req, label, 500, error("internal_error").put("message", String.valueOf(unexpected ? errors.get(0) : cause)));
    }
  }

  /**
   * The task of one call: the upstream request, bounded by the upstream's timeout, its outcome
   * counted and, for an optional call, any failure turned into the fallback. A cancellation (a
   * sibling failed, the deadline, the client left) passes through untouched: it is not a failure.
   */
  private TaskFn<Object> callFn(GatewayConfig.Call call, Map<String, String> params, Slot slot) {
    GatewayConfig.Upstream upstream = config.upstreams().get(call.upstream());
    ScopedHttpClient client = clients.get(call.upstream());
    RequestOptions request = new RequestOptions()
        .setMethod(HttpMethod.GET)
        .setHost(upstream.url().host())
        .setPort(upstream.url().port())
        .setURI(upstream.url().expand(params)) // path parameters only: never the client's query
        .putHeader(HttpHeaders.ACCEPT, JSON);
    String name = upstream.name();
    // An error that surfaces once the scope is cancelled (the reset reported as "stream reset") is
    // the cancellation's echo: report the cancellation, so that a timeout reads as a timeout.
    TaskFn<Object> attempt = scope -> client.send(scope, request)
        .recover(err -> Future.failedFuture(scope.isCancelled() ? scope.cancellation() : err))
        .map(r -> interpret(name, r));
    TaskFn<Object> bounded = upstream.timeout() == null ? attempt : attempt.withTimeout(upstream.timeout());
    return scope -> run(bounded, scope).transform(ar -> {
      if (ar.succeeded()) {
        metrics.upstreamCall(name, "ok");
        slot.value = ar.result();
        return Future.succeededFuture(ar.result());
      }
      Throwable cause = ar.cause();
      if (scope.isCancelled()) {
        // A sibling failed, the deadline passed or the client left: not a failure of this upstream
        // (whatever error the abort surfaced as), so report the scope's cancellation.
        metrics.upstreamCall(name, "cancelled");
        return Future.failedFuture(scope.cancellation());
      }
      if (cause instanceof CancellationException) {
        metrics.upstreamCall(name, "cancelled");
        return Future.failedFuture(cause);
      }
      String reason = reasonOf(cause);
      metrics.upstreamCall(name, reason.equals("timeout") ? "timeout" : "error");
      if (call.required()) {
        return Future.failedFuture(new UpstreamCallException(name, reason, cause));
      }
      slot.value = Json.decodeValue(call.fallbackJson()); // a fresh copy per response
      slot.errorReason = reason;
      return Future.succeededFuture(slot.value);
    });
  }

  private static <T> Future<T> run(TaskFn<T> fn, TaskScope scope) {
    try {
      Future<T> f = fn.run(scope);
      return f == null ? Future.failedFuture(new NullPointerException("task returned null")) : f;
    } catch (Exception e) {
      return Future.failedFuture(e);
    }
  }

  private static Object interpret(String upstream, ScopedResponse response) {
    int status = response.statusCode();
    if (status < 200 || status > 299) {
      throw new UpstreamCallException(upstream, "status:" + status, null);
    }
    try {
      if (response.body() == null || response.body().length() == 0) {
        throw new DecodeException("empty body");
      }
      return Json.decodeValue(response.body());
    } catch (DecodeException e) {
      throw new UpstreamCallException(upstream, "invalid_json", e);
    }
  }

  /** {@return the reason a client sees for {@code cause}} */
  static String reasonOf(Throwable cause) {
    if (cause instanceof UpstreamCallException) {
      return ((UpstreamCallException) cause).reason();
    }
    if (cause instanceof TaskTimeoutException) {
      return "timeout";
    }
    for (Throwable c = cause; c != null; c = c.getCause()) {
      if (c instanceof ConnectException || c instanceof UnknownHostException || c instanceof NoRouteToHostException) {
        return "connect";
      }
      if (c instanceof HttpClosedException || c instanceof IOException) {
        return "reset";
      }
    }
    String message = String.valueOf(cause.getMessage()).toLowerCase();
    if (message.contains("closed") || message.contains("reset")) {
      return "reset";
    }
    return "error";
  }

  // ---- answers --------------------------------------------------------------------------------

  private static JsonObject error(String code) {
    return new JsonObject().put("error", code);
  }

  private void json(HttpServerRequest req, String route, int status, JsonObject body) {
    metrics.request(route, status);
    HttpServerResponse resp = req.response();
    if (resp.ended() || resp.closed()) {
      return;
    }
    resp.setStatusCode(status).putHeader(HttpHeaders.CONTENT_TYPE, JSON).end(body.toBuffer());
  }

  private void refuseBody(HttpServerRequest req, String route) {
    HttpServerResponse resp = req.response();
    resp.putHeader(HttpHeaders.CONNECTION, "close");
    json(req, route, 413, error("payload_too_large").put("limit", MAX_BODY));
    req.connection().close(); // the rest of the body is not worth reading
  }

  /** Requests Netty could not parse: a request line or headers past the limits, or bad syntax. */
  private void refuseInvalid(HttpServerRequest req) {
    Throwable cause = req.decoderResult().cause();
    int status;
    String code;
    if (cause instanceof TooLongHttpLineException) {
      status = 414;
      code = "uri_too_long";
    } else if (cause instanceof TooLongHttpHeaderException) {
      status = 431;
      code = "header_fields_too_large";
    } else {
      status = 400;
      code = "bad_request";
    }
    req.response().putHeader(HttpHeaders.CONNECTION, "close");
    json(req, GatewayMetrics.INVALID, status, error(code));
    req.connection().close();
  }
}
