package dev.taskgroup.gateway;

import dev.taskgroup.HedgeOptions;
import dev.taskgroup.RetryOptions;
import dev.taskgroup.Task;
import dev.taskgroup.TaskCancelledException;
import dev.taskgroup.TaskFn;
import dev.taskgroup.TaskGroup;
import dev.taskgroup.TaskGroupException;
import dev.taskgroup.TaskGroupOptions;
import dev.taskgroup.TaskScope;
import dev.taskgroup.TaskTimeoutException;
import dev.taskgroup.http.ClientDisconnect;
import dev.taskgroup.http.ResponseTooLargeException;
import dev.taskgroup.http.ScopedHttpClient;
import dev.taskgroup.http.ScopedResponse;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.vertx.core.AsyncResult;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.VerticleBase;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.Http2Settings;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpVersion;
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
import java.time.Duration;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Map.Entry;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.CancellationException;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;

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
 *   <li>every call succeeded: 200, one field per upstream holding its JSON body, as the upstream
 *       sent it (see {@link RawJson});
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
 * connection; the server keeps serving; over HTTP/2 the same limits end the stream). A request
 * framed by Transfer-Encoding: 400 and closed. Headers, body and silence are bounded by
 * {@code http.headerTimeoutMs}, {@code bodyTimeoutMs} (408) and {@code idleTimeoutMs}; client
 * connections by {@code http.maxConnections} and route requests in flight by
 * {@code maxRequestsInFlight} (503 with {@code Retry-After}); upstream bodies by
 * {@code maxResponseBytes} (reason {@code too_large}). Routes, {@code /health},
 * {@code /health/live}, {@code /health/ready} and {@code /metrics} accept GET and HEAD; other
 * methods get 405 with {@code Allow}. Unknown paths get 404. Every error body is JSON with an
 * {@code error} field.
 *
 * <h2>Design choices</h2>
 * Routing uses the core {@code HttpServer}, not vertx-web's {@code Router}: a route is one pattern
 * match and two methods, so the extra dependency would buy nothing. Each call's result is kept in
 * a slot and the answer is built once the group has settled, rather than by the body awaiting
 * {@code Future.all} of the tasks: a body failing with a task's error would report it twice.
 *
 * <h2>Threads</h2>
 * Each instance has its event loop: its connections, request handlers, groups and upstream clients
 * live on its context. Instances of one process share a {@link GatewayState} (metrics, the caps,
 * draining), which is thread-safe. Upstream bodies over {@link #INLINE_JSON_BYTES} are checked on
 * a worker thread.
 */
public final class Gateway extends VerticleBase {
  /** The longest request line accepted (414 beyond). */
  public static final int MAX_REQUEST_LINE = 8 * 1024;
  /** The most header bytes accepted (431 beyond). */
  public static final int MAX_HEADERS = 16 * 1024;
  /** The largest request body accepted (413 beyond); routes ignore bodies, but must not be flooded. */
  public static final int MAX_BODY = 64 * 1024;

  private static final String ALLOW = "GET, HEAD";
  // Header names and values written on every request, made once as Vert.x's optimized form (an
  // AsciiString: its hash is cached and Netty copies its bytes as they are), as Vert.x advises for
  // headers used often; as Strings each was hashed, checked and encoded char by char per use.
  private static final CharSequence JSON = HttpHeaders.createOptimized("application/json");

  /**
   * Largest upstream body checked on the event loop; larger ones go to a worker. (The check is now a
   * streaming parse, faster than the decoding measured here: the bound errs on the safe side.) Measured (Jackson
   * via {@code Json.decodeValue}, JDK 17, this project's 2-core machine): ~230 MB/s at every size,
   * so 16 KiB stalls the loop ~75 us, about what the hop to a worker and back costs, while 64 KiB
   * would stall it ~0.3 ms and the 1 MiB limit ~4.5 ms.
   */
  static final int INLINE_JSON_BYTES = 16 * 1024;
  /** Request id header: taken from the client when sane, else generated; sent to every upstream. */
  static final String REQUEST_ID = "x-request-id";
  private static final CharSequence REQUEST_ID_HEADER = HttpHeaders.createOptimized(REQUEST_ID);
  private static final int ID_PREFIX = 24; // "xxxxxxxx-xxxx-4xxx-yxxx-" of a generated request id

  private static final Logger ACCESS = Logger.getLogger("dev.taskgroup.gateway.access");

  private final GatewayConfig config;
  private final GatewayState state;
  private final GatewayMetrics metrics;
  /** Open client connections of this instance; only on this verticle's context. */
  private final Map<HttpConnection, Conn> conns = new HashMap<>();
  private final Map<String, ScopedHttpClient> clients = new LinkedHashMap<>(); // written in start(), then read-only
  // The recent latencies of each upstream with an adaptive hedge; event loop of this instance only.
  private final Map<String, LatencyWindow> latencies = new java.util.HashMap<>();
  private final List<HttpClient> rawClients = new ArrayList<>();
  /**
   * One request per HTTP upstream, refilled (URI, request id) for each call just before
   * {@code send}, which copies it before returning on the scope's context, where every call of
   * this instance runs: not a RequestOptions and its headers per call. Written in start(), then
   * only on this instance's context.
   */
  private final Map<String, RequestOptions> upstreamRequests = new HashMap<>();
  /** The group options of each route, index for index with {@code config.routes()}; written in start(), then read-only. */
  private final List<TaskGroupOptions> routeOptions = new ArrayList<>();
  /** What each route's answer is made of, index for index with {@code config.routes()}; written in start(), then read-only. */
  private final List<AnswerParts> routeParts = new ArrayList<>();
  /** Counts each call's task as it ends (one handler for all of them). */
  private final Handler<AsyncResult<Object>> countTaskEnd;
  /** The first 24 characters of each generated request id: random per instance. */
  private final byte[] idPrefix;
  private long idCount; // generated request ids; only on this instance's context
  private HttpServer server; // written once in start()
  private AdminTasks admin; // written once in start()

  /** A gateway for {@code config}; deploy it to start listening on {@code config.http()}. */
  public Gateway(GatewayConfig config) {
    this(config, new GatewayState(config));
  }

  /** One of several instances sharing {@code state} (metrics, caps, draining). */
  Gateway(GatewayConfig config, GatewayState state) {
    this.config = config;
    this.state = state;
    this.metrics = state.metrics;
    this.countTaskEnd = ar -> metrics.task(ar.succeeded() ? "succeeded"
        : ar.cause() instanceof CancellationException ? "cancelled" : "failed");
    ThreadLocalRandom r = ThreadLocalRandom.current();
    // Shaped as a version-4 UUID. Not UUID.randomUUID(): it seeds a SecureRandom on first use,
    // which blocked the event loop for ~450 ms in a test.
    this.idPrefix = new UUID((r.nextLong() & ~0xf000L) | 0x4000L, (r.nextLong() & ~(3L << 62)) | (2L << 62))
        .toString().substring(0, ID_PREFIX).getBytes(StandardCharsets.ISO_8859_1);
  }

  /** {@return the port the gateway listens on (useful with port 0), or -1 before it listens} */
  public int actualPort() {
    return server == null ? -1 : server.actualPort();
  }

  @Override
  public Future<?> start() {
    admin = new AdminTasks(vertx, config.admin());
    state.observe(vertx, config.admin().tasks());
    for (GatewayConfig.Upstream upstream : config.upstreams().values()) {
      if (upstream.url().eventBusAddress() != null) {
        continue; // called on the event bus (EventBusUpstream): no HTTP client
      }
      long connectTimeout = upstream.timeout() == null ? 5_000 : Math.min(5_000, upstream.timeout().toMillis());
      HttpClient client = vertx.createHttpClient(
          new HttpClientOptions().setConnectTimeout((int) Math.max(1, connectTimeout)).setKeepAlive(true),
          new PoolOptions().setHttp1MaxSize(poolPerInstance(upstream)));
      rawClients.add(client);
      String name = upstream.name();
      clients.put(name, ScopedHttpClient.wrap(client)
          .propagateDeadline(true)
          .maxResponseBytes(upstream.maxResponseBytes())
          .abortHandler(v -> metrics.aborted(name)));
      if (upstream.hedge() != null && upstream.hedge().delay() == null) {
        latencies.put(name, new LatencyWindow());
      }
      upstreamRequests.put(name, newRequest(upstream));
    }
    for (GatewayConfig.Route route : config.routes()) {
      routeOptions.add(new TaskGroupOptions().setName(route.path().path()).setMaxConcurrency(route.maxConcurrency())
          .setTimeout(route.deadline()));
      routeParts.add(new AnswerParts(route.calls()));
    }
    GatewayConfig.Http http = config.http();
    HttpServerOptions options = new HttpServerOptions()
        .setHost(http.host())
        // Port 0 with several instances: a negative port makes Vert.x share one random port.
        .setPort(http.port() == 0 && http.instances() > 1 ? -1 : http.port())
        .setMaxInitialLineLength(MAX_REQUEST_LINE)
        .setMaxHeaderSize(MAX_HEADERS)
        .setIdleTimeout((int) http.idleTimeout().toMillis())
        .setIdleTimeoutUnit(TimeUnit.MILLISECONDS)
        .setHttp2ClearTextEnabled(http.h2c())
        // HTTP/2 has no request line: room for the HTTP/1.1 limits, checked in h2Limits.
        .setInitialSettings(new Http2Settings().setMaxHeaderListSize(2 * (MAX_REQUEST_LINE + MAX_HEADERS)));
    server = vertx.createHttpServer(options)
        .connectionHandler(this::connected)
        .invalidRequestHandler(this::refuseInvalid)
        .requestHandler(this::handle);
    return server.listen();
  }

  /**
   * {@return this instance's share of the upstream's {@code maxConnections}} Each instance has its
   * own client (a client is bound to its event loop); the shares add up to the configured bound,
   * rounded up so that each instance has at least one connection.
   */
  int poolPerInstance(GatewayConfig.Upstream upstream) {
    int n = config.http().instances();
    return (upstream.maxConnections() + n - 1) / n;
  }

  /**
   * Stops accepting, lets in-flight requests run on for {@code grace} (their deadlines still
   * apply), then closes what is left, which cancels those requests and resets their upstream
   * calls. Meanwhile {@code /health} and {@code /health/ready} answer 503 draining.
   */
  Future<Void> drain(java.time.Duration grace) {
    state.draining = true;
    return server == null ? Future.succeededFuture() : server.shutdown(grace.toMillis(), TimeUnit.MILLISECONDS);
  }

  // ---- connections: the cap and the header timeout ----------------------------------------------

  /**
   * One client connection; fields only on this verticle's context. The header timeout is a
   * deadline checked by a lazily re-armed timer: a kept-alive connection moves the deadline on each
   * answer (a field write) instead of cancelling and setting a timer per request, which the wrk
   * benchmark showed among the gateway's top costs (issue 14). The timer, when it fires, closes the
   * connection if its deadline has passed, re-arms for what is left if the deadline moved, and
   * goes away while a request is being served (the answer arms a new one).
   */
  private static final class Conn {
    final boolean overCap;
    long headerTimer = -1; // the armed timer, or -1
    long headerDeadline;   // System.nanoTime() by which the next request's headers must be in; 0: not awaited

    Conn(boolean overCap) {
      this.overCap = overCap;
    }
  }

  private void connected(HttpConnection conn) {
    int open = state.connections.incrementAndGet();
    int cap = state.maxConnections;
    // Beyond the cap a connection's first request is answered 503; beyond a tenth more it is
    // closed at once, so that a flood never holds more descriptors than the cap allows for.
    if (open > GatewayState.ceiling(cap)) {
      state.connections.decrementAndGet();
      conn.close();
      return;
    }
    Conn c = new Conn(open > cap);
    conns.put(conn, c);
    conn.closeHandler(v -> {
      state.connections.decrementAndGet();
      Conn gone = conns.remove(conn);
      if (gone != null && gone.headerTimer >= 0) {
        vertx.cancelTimer(gone.headerTimer);
      }
    });
    awaitHeaders(conn, c);
  }

  private void awaitHeaders(HttpConnection conn, Conn c) {
    long timeout = c.overCap ? Math.min(1_000, config.http().headerTimeout().toMillis())
        : config.http().headerTimeout().toMillis();
    c.headerDeadline = Math.max(1, System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeout));
    if (c.headerTimer < 0) { // else the armed timer fires before this deadline and re-arms
      armHeaderTimer(conn, c, timeout);
    }
  }

  private void armHeaderTimer(HttpConnection conn, Conn c, long delayMs) {
    c.headerTimer = vertx.setTimer(Math.max(1, delayMs), id -> {
      c.headerTimer = -1;
      if (c.headerDeadline == 0 || conns.get(conn) != c) {
        return; // a request is being served: its answer arms the next wait
      }
      long left = c.headerDeadline - System.nanoTime();
      if (left > 0) {
        armHeaderTimer(conn, c, TimeUnit.NANOSECONDS.toMillis(left) + 1); // the deadline moved on
      } else {
        conn.close(); // headers too slow (slowloris), or a kept-alive connection with nothing to ask
      }
    });
  }

  /** The request's headers are in: the header timer stops; {@return false if the connection is over the cap} */
  private boolean headersIn(HttpServerRequest req) {
    HttpConnection conn = req.connection();
    Conn c = conns.get(conn);
    if (c == null) {
      return true;
    }
    c.headerDeadline = 0; // in: the armed timer, if any, will find nothing to do
    if (c.overCap) {
      req.response().putHeader(HttpHeaders.RETRY_AFTER, "1");
      closeAfter(req, GatewayMetrics.REFUSED, 503, error("too_many_connections").put("limit", state.maxConnections));
      if (req.version() == HttpVersion.HTTP_2) {
        req.connection().close(); // closeAfter ends only the stream; this connection must go (GOAWAY)
      }
      return false;
    }
    if (req.version() != HttpVersion.HTTP_2) {
      // A kept-alive HTTP/1.x connection gets a fresh header deadline for its next request.
      req.response().endHandler(v -> {
        if (conns.get(conn) == c && c.headerDeadline == 0) {
          awaitHeaders(conn, c);
        }
      });
    }
    return true;
  }

  @Override
  public Future<?> stop() {
    state.unobserve();
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
    if (!headersIn(req) || !framingIsPlain(req) || !h2Limits(req)) {
      return;
    }
    String declared = req.getHeader(HttpHeaders.CONTENT_LENGTH);
    if (declared != null && tooLong(declared)) {
      refuseBody(req, GatewayMetrics.INVALID);
      return;
    }
    if (req.isEnded()) {
      dispatch(req);
      return;
    }
    if (req.version() != HttpVersion.HTTP_2 && (declared == null || declared.trim().equals("0"))) {
      // RFC 9112 §6.3: with neither Content-Length nor Transfer-Encoding (refused above) an HTTP/1.x
      // request has no body, so its end is at hand: no body timer (a timer set and cancelled per GET
      // showed in the wrk benchmark's profile, issue 14).
      req.endHandler(v -> dispatch(req));
      return;
    }
    if (req.version() == HttpVersion.HTTP_1_1 && "100-continue".equalsIgnoreCase(req.getHeader(HttpHeaders.EXPECT))) {
      // RFC 9110 §10.1.1: a client that waits for it would otherwise send nothing until the body
      // timeout's 408 (a body declared too long got its 413 above: a final status instead).
      req.response().writeContinue();
    }
    // A body is useless to a GET route, but it must be read (to keep the connection usable) and
    // bounded (a chunked body declares no length).
    long[] received = {0};
    boolean[] refused = {false};
    long bodyTimer = vertx.setTimer(config.http().bodyTimeout().toMillis(), id -> {
      if (!refused[0]) {
        refused[0] = true;
        closeAfter(req, GatewayMetrics.INVALID, 408, error("request_timeout")
            .put("message", "the body took longer than " + config.http().bodyTimeout().toMillis() + " ms"));
      }
    });
    req.handler(chunk -> {
      received[0] += chunk.length();
      if (received[0] > MAX_BODY && !refused[0]) {
        refused[0] = true;
        vertx.cancelTimer(bodyTimer);
        refuseBody(req, GatewayMetrics.INVALID);
      }
    });
    req.endHandler(v -> {
      vertx.cancelTimer(bodyTimer);
      if (!refused[0]) {
        dispatch(req);
      }
    });
  }

  /**
   * RFC 9112 §6.1: a request framed by Transfer-Encoding is refused with 400 and its connection
   * closed. That covers Content-Length with Transfer-Encoding (request smuggling) and codings other
   * than plain chunked; routes take no body, so a plain chunked one is refused as well.
   * Rejected design: telling plain chunked apart by replacing Netty's decoder through Vert.x
   * internals (Netty drops Content-Length when both are sent); the pipeline is rebuilt for h2c.
   */
  private boolean framingIsPlain(HttpServerRequest req) {
    if (req.version() == HttpVersion.HTTP_2 || !req.headers().contains(HttpHeaders.TRANSFER_ENCODING)) {
      return true;
    }
    closeAfter(req, GatewayMetrics.INVALID, 400, error("bad_request")
        .put("message", "Transfer-Encoding is not accepted (ambiguous or unneeded framing)"));
    return false;
  }

  /** HTTP/2 has no request line: the same 414 and 431 as HTTP/1.1, measured the same way. */
  private boolean h2Limits(HttpServerRequest req) {
    if (req.version() != HttpVersion.HTTP_2) {
      return true;
    }
    if (req.uri().length() + req.method().name().length() + 10 > MAX_REQUEST_LINE) {
      closeAfter(req, GatewayMetrics.INVALID, 414, error("uri_too_long"));
      return false;
    }
    long bytes = 0;
    for (Entry<String, String> h : req.headers()) {
      bytes += h.getKey().length() + h.getValue().length() + 2; // "name: value", as Netty counts
    }
    io.vertx.core.net.HostAndPort authority = req.authority();
    if (authority != null && !req.headers().contains(HttpHeaders.HOST)) {
      // The :authority is HTTP/1.1's Host line, which the HTTP/1.1 limit counts: "host: " + host[:port].
      bytes += "host".length() + 2 + authority.host().length() + (authority.port() >= 0 ? 1 + Integer.toString(authority.port()).length() : 0);
    }
    if (bytes > MAX_HEADERS) {
      closeAfter(req, GatewayMetrics.INVALID, 431, error("header_fields_too_large"));
      return false;
    }
    return true;
  }

  private static boolean tooLong(String contentLength) {
    try {
      return Long.parseLong(contentLength.trim()) > MAX_BODY;
    } catch (NumberFormatException e) {
      return false; // Netty has already refused a malformed length as an invalid request
    }
  }

  private void dispatch(HttpServerRequest req) {
    String requestId = requestId(req); // every answer carries one, so an access-log line can be matched with its client
    String path = req.path();
    if (path.equals("/health") || path.equals("/health/ready") || path.equals("/health/live")) {
      if (allowed(req, path)) {
        health(req, path);
      }
      return;
    }
    if (path.equals(AdminTasks.PATH) && admin.enabled()) {
      if (allowed(req, AdminTasks.PATH)) {
        admin.answer(req).onSuccess(a -> {
          finished(req, AdminTasks.PATH, a.status());
          req.response().setStatusCode(a.status());
          send(req, a.contentType(), a.body());
        });
      }
      return;
    }
    if (path.equals("/metrics")) {
      if (allowed(req, "/metrics")) {
        finished(req, "/metrics", 200); // counted before the scrape, so a scrape sees itself
        send(req, "text/plain; version=0.0.4; charset=utf-8", Buffer.buffer(metrics.scrape()));
      }
      return;
    }
    List<GatewayConfig.Route> routes = config.routes();
    for (int i = 0; i < routes.size(); i++) {
      GatewayConfig.Route route = routes.get(i);
      Map<String, String> raw = route.path().match(path);
      if (raw != null) {
        if (allowed(req, route.path().path())) {
          Map<String, String> params = decodeParams(req, route, raw);
          if (params != null) {
            fanOut(req, route, routeOptions.get(i), routeParts.get(i), requestId, params);
          }
        }
        return;
      }
    }
    json(req, GatewayMetrics.UNMATCHED, 404, error("not_found").put("path", path));
  }

  /**
   * {@code /health/live}: 200 while the process serves at all. {@code /health/ready} (and the
   * older {@code /health}): 200 when listening, not draining, not shedding load and no upstream
   * pool saturated; else 503 naming why.
   */
  private void health(HttpServerRequest req, String path) {
    if (path.equals("/health/live")) {
      json(req, path, 200, new JsonObject().put("status", "up"));
      return;
    }
    JsonObject body = new JsonObject();
    String status = "up";
    if (state.draining) {
      status = "draining";
    } else if (state.inFlight.get() >= config.http().maxRequestsInFlight()) {
      status = "overloaded";
    } else {
      JsonArray saturated = new JsonArray();
      for (GatewayConfig.Upstream u : config.upstreams().values()) {
        if (state.upstreamCalls.get(u.name()).get() >= (long) poolPerInstance(u) * config.http().instances()) {
          saturated.add(u.name());
        }
      }
      if (!saturated.isEmpty()) {
        status = "saturated";
        body.put("upstreams", saturated);
      }
    }
    json(req, path, status.equals("up") ? 200 : 503, body.put("status", status));
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

  /**
   * {@return the decoded parameters, or null after answering 400} {@code raw} itself when no value
   * changes (the usual case: no escapes), else a copy.
   */
  private Map<String, String> decodeParams(HttpServerRequest req, GatewayConfig.Route route, Map<String, String> raw) {
    Map<String, String> params = raw;
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
      if (!value.equals(e.getValue())) {
        if (params == raw) {
          params = new LinkedHashMap<>(raw); // the same order; the values decoded so far were unchanged
        }
        params.put(e.getKey(), value);
      }
    }
    return params;
  }

  // ---- the fan-out: one task group per request ----------------------------------------------

  /** What one call produced: its value (body or fallback) and, for a degraded optional call, why. */
  private static final class Slot {
    Object value;        // written by the call's task, on the group's context
    String errorReason;  // idem; non-null only for an optional call that fell back
  }

  private void fanOut(HttpServerRequest req, GatewayConfig.Route route, TaskGroupOptions options, AnswerParts parts,
      String requestId, Map<String, String> params) {
    String label = route.path().path();
    HttpServerResponse resp = req.response();
    if (state.inFlight.incrementAndGet() > config.http().maxRequestsInFlight()) {
      // Shed at once: waiting in an upstream pool's queue would only time out later.
      state.inFlight.decrementAndGet();
      resp.putHeader(HttpHeaders.RETRY_AFTER, "1");
      json(req, label, 503, error("overloaded").put("limit", config.http().maxRequestsInFlight()));
      return;
    }
    long started = System.nanoTime();
    ClientDisconnect[] gone = {null}; // only on this context
    List<GatewayConfig.Call> calls = route.calls();
    Slot[] slots = new Slot[calls.size()];
    TaskGroup.run(vertx, options, group -> {
      gone[0] = ClientDisconnect.cancel(req, group); // a clean exit: every call's upstream request is reset
      if (gone[0].happened()) { // gone before we could listen: start nothing
        return Future.succeededFuture();
      }
      for (int i = 0; i < calls.size(); i++) {
        slots[i] = new Slot();
        GatewayConfig.Call call = calls.get(i);
        metrics.task("started");
        Task<Object> task = group.spawn(call.upstream(), callFn(call, parts.fallbacks[i], params, requestId, slots[i]));
        task.future().onComplete(countTaskEnd);
      }
      return Future.succeededFuture();
    }).onComplete(ar -> {
      state.inFlight.decrementAndGet();
      int status;
      if (gone[0] == null || gone[0].happened() || resp.closed()) {
        status = GatewayMetrics.CLIENT_CLOSED;
        finished(req, label, status);
      } else if (ar.succeeded()) {
        Buffer body = null;
        status = 200;
        try {
          body = parts.merge(slots);
        } catch (RuntimeException e) { // a value that cannot be encoded (an event-bus reply): answered, never left hanging
          status = answerFailure(req, label, e);
        }
        if (body != null) {
          finished(req, label, status);
          send(req, JSON, body); // 200, the response's default status
        }
      } else {
        status = answerFailure(req, label, ar.cause());
      }
      metrics.requestDuration(label, status, System.nanoTime() - started);
    });
  }

  /**
   * The fixed parts of one route's 200 answer: each call's field name, JSON-encoded once, and its
   * fallback. The answer is written as bytes: {@code {"NAME":VALUE,...,"errors":{...}}}, a body
   * checked by {@link RawJson} copied as it came, any other value (an event-bus reply, a body
   * only Vert.x's lenient decoding accepts) encoded. Rejected: a JsonObject per answer, encoded at
   * the end, which re-encoded every body the gateway had just decoded into a tree (issue 14).
   */
  private static final class AnswerParts {
    final Buffer[] fields; // "NAME":
    final Object[] fallbacks; // RawJson, or the decoded value if the fallback is not strict JSON (never, from the config)

    AnswerParts(List<GatewayConfig.Call> calls) {
      fields = new Buffer[calls.size()];
      fallbacks = new Object[calls.size()];
      for (int i = 0; i < calls.size(); i++) {
        GatewayConfig.Call call = calls.get(i);
        fields[i] = Buffer.buffer(Json.encode(call.upstream()) + ":");
        Buffer fallback = Buffer.buffer(call.fallbackJson());
        RawJson raw = RawJson.of(fallback);
        fallbacks[i] = raw != null ? raw : Json.decodeValue(fallback);
      }
    }

    Buffer merge(Slot[] slots) {
      int size = 2;
      for (int i = 0; i < slots.length; i++) {
        size += fields[i].length() + 1 + (slots[i].value instanceof RawJson ? ((RawJson) slots[i].value).bytes().length() : 16);
      }
      Buffer body = Buffer.buffer(size).appendByte((byte) '{');
      boolean degraded = false;
      for (int i = 0; i < slots.length; i++) {
        if (i > 0) {
          body.appendByte((byte) ',');
        }
        body.appendBuffer(fields[i]);
        appendValue(body, slots[i].value);
        degraded |= slots[i].errorReason != null;
      }
      if (degraded) {
        body.appendString(",\"errors\":{");
        boolean first = true;
        for (int i = 0; i < slots.length; i++) {
          if (slots[i].errorReason != null) {
            if (!first) {
              body.appendByte((byte) ',');
            }
            body.appendBuffer(fields[i]).appendString("{\"reason\":").appendString(Json.encode(slots[i].errorReason)).appendByte((byte) '}');
            first = false;
          }
        }
        body.appendByte((byte) '}');
      }
      return body.appendByte((byte) '}');
    }

    private static void appendValue(Buffer body, Object value) {
      if (value instanceof RawJson) {
        body.appendBuffer(((RawJson) value).bytes());
      } else if (value == null) {
        body.appendString("null");
      } else {
        body.appendBuffer(Json.encodeToBuffer(value));
      }
    }
  }

  /** Answers a failed group; {@return the status answered} */
  private int answerFailure(HttpServerRequest req, String label, Throwable cause) {
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
      return 502;
    } else if (deadline) {
      json(req, label, 504, error("deadline_exceeded"));
      return 504;
    } else {
      json(req, label, 500, error("internal_error").put("message", String.valueOf(unexpected ? errors.get(0) : cause)));
      return 500;
    }
  }

  /**
   * The task of one call: the upstream request, bounded by the upstream's timeout, its outcome
   * counted and, for an optional call, any failure turned into the fallback. A cancellation (a
   * sibling failed, the deadline, the client left) passes through untouched: it is not a failure.
   */
  private TaskFn<Object> callFn(GatewayConfig.Call call, Object fallback, Map<String, String> params, String requestId,
      Slot slot) {
    GatewayConfig.Upstream upstream = config.upstreams().get(call.upstream());
    String name = upstream.name();
    java.util.concurrent.atomic.AtomicInteger inFlight = state.upstreamCalls.get(name);
    TaskFn<Object> attempt = upstream.url().eventBusAddress() != null
        ? EventBusUpstream.attempt(vertx, name, upstream.url().eventBusAddress(), params, REQUEST_ID, requestId,
            () -> metrics.aborted(name))
        : httpAttempt(upstream, params, requestId);
    TaskFn<Object> bounded = resilient(upstream, upstream.timeout() == null ? attempt : attempt.withTimeout(upstream.timeout()));
    return scope -> {
      inFlight.incrementAndGet();
      long started = System.nanoTime();
      return run(bounded, scope).transform(ar -> {
        inFlight.decrementAndGet();
        if (ar.succeeded()) {
          callEnded(name, started, "ok");
          slot.value = ar.result();
          return Future.succeededFuture(ar.result());
        }
        Throwable cause = ar.cause();
        if (scope.isCancelled()) {
          // A sibling failed, the deadline passed or the client left: not a failure of this upstream
          // (whatever error the abort surfaced as), so report the scope's cancellation.
          callEnded(name, started, "cancelled");
          return Future.failedFuture(scope.cancellation());
        }
        if (cause instanceof CancellationException) {
          callEnded(name, started, "cancelled");
          return Future.failedFuture(cause);
        }
        String reason = reasonOf(cause);
        callEnded(name, started, reason.equals("timeout") ? "timeout" : "error");
        if (call.required()) {
          return Future.failedFuture(new UpstreamCallException(name, reason, cause));
        }
        slot.value = fallback; // immutable (RawJson) in practice; a decoded one is only read, by the answer
        slot.errorReason = reason;
        return Future.succeededFuture(slot.value);
      });
    };
  }

  /** {@return one HTTP request to {@code upstream}, its answer interpreted} */
  private TaskFn<Object> httpAttempt(GatewayConfig.Upstream upstream, Map<String, String> params, String requestId) {
    String name = upstream.name();
    ScopedHttpClient client = clients.get(name);
    String uri = upstream.url().expand(params); // path parameters only: never the client's query
    // An error that surfaces once the scope is cancelled (the reset reported as "stream reset") is
    // the cancellation's echo: report the cancellation, so that a timeout reads as a timeout.
    return scope -> client.send(scope, request(scope, upstream, uri, requestId)).transform(ar -> ar.succeeded()
        ? interpret(name, ar.result())
        : Future.failedFuture(scope.isCancelled() ? scope.cancellation() : ar.cause()));
  }

  /**
   * {@return the request of one call} On the scope's context (always, in practice) the upstream's
   * shared one, refilled: {@code send} copies it before it returns. Elsewhere a new one.
   */
  private RequestOptions request(TaskScope scope, GatewayConfig.Upstream upstream, String uri, String requestId) {
    RequestOptions request = scope.isOnContext() ? upstreamRequests.get(upstream.name()) : newRequest(upstream);
    return request.setURI(uri).putHeader(REQUEST_ID_HEADER, requestId);
  }

  private static RequestOptions newRequest(GatewayConfig.Upstream upstream) {
    return new RequestOptions()
        .setMethod(HttpMethod.GET)
        .setHost(upstream.url().host())
        .setPort(upstream.url().port())
        .putHeader(HttpHeaders.ACCEPT, JSON);
  }

  private void callEnded(String upstream, long startedNanos, String outcome) {
    long nanos = System.nanoTime() - startedNanos;
    metrics.upstreamCall(upstream, outcome);
    metrics.upstreamDuration(upstream, outcome, nanos);
    if (outcome.equals("ok")) {
      LatencyWindow window = latencies.get(upstream);
      if (window != null) {
        window.record(nanos);
      }
    }
  }

  /**
   * {@code attempt} (one request, under the upstream's own timeout) retried and hedged as the
   * upstream's config says, on the library's patterns: each retry or hedge is an attempt in a child
   * scope of the call, so the route deadline bounds them all and a losing or abandoned attempt has
   * its request reset. Retries and hedges start only after a failure worth another try (connect,
   * reset, timeout, a 5xx answer), never after a 4xx, bad JSON or a body too large. A hedge wraps the
   * retries: each hedged attempt may retry. The adaptive hedge delay is a percentile of this
   * gateway instance's recent successful calls of the upstream (a HedgeFn is made per request, so
   * the window lives here, one per upstream, on this instance's event loop).
   */
  private TaskFn<Object> resilient(GatewayConfig.Upstream upstream, TaskFn<Object> attempt) {
    String name = upstream.name();
    TaskFn<Object> call = attempt;
    GatewayConfig.Retry retry = upstream.retry();
    if (retry != null) {
      TaskFn<Object> counted = s -> {
        if (s.attempt() > 1) {
          metrics.extraAttempt(name, "retry");
        }
        return run(attempt, s);
      };
      call = counted.retried(new RetryOptions().setMaxAttempts(retry.maxAttempts())
          .setInitialDelay(retry.initialDelay()).setMaxDelay(retry.maxDelay())
          .setRetryOn(Gateway::worthAnotherTry).setMinRemaining(Duration.ofMillis(1)));
    }
    GatewayConfig.Hedge hedge = upstream.hedge();
    if (hedge != null) {
      TaskFn<Object> inner = call;
      TaskFn<Object> counted = s -> {
        if (s.attempt() > 1) {
          metrics.extraAttempt(name, "hedge");
        }
        return run(inner, s);
      };
      Duration delay = hedge.delay() != null ? hedge.delay() : latencies.get(name).delay(hedge);
      call = counted.hedged(new HedgeOptions().setMaxAttempts(hedge.maxAttempts()).setDelay(delay)
          .setHandledOn(Gateway::worthAnotherTry));
    }
    return call;
  }

  /** {@return whether an attempt that failed with {@code error} is worth another: connect, reset, timeout, 5xx} */
  static boolean worthAnotherTry(Throwable error) {
    if (error instanceof java.util.concurrent.CancellationException) {
      return false;
    }
    String reason = reasonOf(error);
    return reason.equals("timeout") || reason.equals("connect") || reason.equals("reset") || reason.startsWith("status:5");
  }

  /**
   * The latencies of one upstream's recent successful calls, for an adaptive hedge delay: a ring
   * of the last {@value #SIZE}. Confined to the gateway instance's event loop.
   */
  static final class LatencyWindow {
    static final int SIZE = 100;
    /** Latencies needed before the percentile is used; until then the delay is the maximum. */
    static final int WARM = 10;
    private final long[] nanos = new long[SIZE];
    private int recorded;

    void record(long latencyNanos) {
      nanos[recorded++ % SIZE] = latencyNanos;
    }

    /** {@return the hedge delay now: the percentile of the window, clamped to the hedge's [min, max]} */
    Duration delay(GatewayConfig.Hedge hedge) {
      if (recorded < WARM) {
        return hedge.maxDelay();
      }
      long[] sorted = java.util.Arrays.copyOf(nanos, Math.min(recorded, SIZE));
      java.util.Arrays.sort(sorted);
      int index = (int) Math.min(sorted.length - 1, Math.ceil(hedge.percentile() / 100 * sorted.length) - 1);
      Duration d = Duration.ofNanos(sorted[Math.max(0, index)]);
      return d.compareTo(hedge.minDelay()) < 0 ? hedge.minDelay() : d.compareTo(hedge.maxDelay()) > 0 ? hedge.maxDelay() : d;
    }
  }

  private static <T> Future<T> run(TaskFn<T> fn, TaskScope scope) {
    try {
      Future<T> f = fn.run(scope);
      return f == null ? Future.failedFuture(new NullPointerException("task returned null")) : f;
    } catch (Exception e) {
      return Future.failedFuture(e);
    }
  }

  /**
   * The body's JSON, or the call's failure. A body over {@link #INLINE_JSON_BYTES} is checked on a
   * worker thread (unordered), so that a big upstream answer never stalls the event loop.
   */
  private Future<Object> interpret(String upstream, ScopedResponse response) {
    int status = response.statusCode();
    if (status < 200 || status > 299) {
      return Future.failedFuture(new UpstreamCallException(upstream, "status:" + status, null));
    }
    Buffer body = response.body();
    if (body.length() > INLINE_JSON_BYTES) {
      return vertx.executeBlocking(() -> decode(upstream, body), false);
    }
    try {
      return Future.succeededFuture(decode(upstream, body));
    } catch (UpstreamCallException e) {
      return Future.failedFuture(e);
    }
  }

  /**
   * {@return the body as {@link RawJson}, checked without a tree, or else decoded as Vert.x's
   * {@code Json.decodeValue} accepts it (comments, UTF-16, a byte-order mark)} Either way the
   * accepted bodies are exactly those {@code Json.decodeValue} accepts: one JSON value, nothing
   * after it; any other is {@code invalid_json}.
   */
  static Object decode(String upstream, Buffer body) {
    try {
      if (body == null || body.length() == 0) {
        throw new DecodeException("empty body");
      }
      RawJson raw = RawJson.of(body);
      return raw != null ? raw : Json.decodeValue(body);
    } catch (DecodeException e) {
      throw new UpstreamCallException(upstream, "invalid_json", e);
    }
  }

  /** {@return the reason a client sees for {@code cause}} */
  static String reasonOf(Throwable cause) {
    if (cause instanceof TaskGroupException) { // retries or hedges that gave up: the last attempt's reason
      List<Throwable> attempts = ((TaskGroupException) cause).exceptions();
      return reasonOf(attempts.get(attempts.size() - 1));
    }
    if (cause instanceof UpstreamCallException) {
      return ((UpstreamCallException) cause).reason();
    }
    if (cause instanceof TaskTimeoutException) {
      return "timeout";
    }
    for (Throwable c = cause; c != null; c = c.getCause()) {
      if (c instanceof ResponseTooLargeException) {
        return "too_large";
      }
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
    finished(req, route, status);
    req.response().setStatusCode(status);
    send(req, JSON, body.toBuffer());
  }

  /**
   * Ends the response with {@code body}, or for HEAD with its length and no body: over HTTP/2 a
   * HEAD answer with a DATA frame is a protocol error (issue 14: RST_STREAM on every path).
   */
  private static void send(HttpServerRequest req, CharSequence contentType, Buffer body) {
    HttpServerResponse resp = req.response();
    if (resp.ended() || resp.closed()) {
      return;
    }
    resp.putHeader(HttpHeaders.CONTENT_TYPE, contentType);
    if (req.method() == HttpMethod.HEAD) {
      resp.putHeader(HttpHeaders.CONTENT_LENGTH, Integer.toString(body.length())).end();
    } else {
      resp.end(body);
    }
  }

  /** Counts the answer and, when enabled, writes its access-log line. */
  private void finished(HttpServerRequest req, String route, int status) {
    metrics.request(route, status);
    if (config.http().accessLog()) {
      ACCESS.info(() -> req.remoteAddress() + " " + req.method() + " " + req.path() + " " + req.version()
          + " " + status + " route=" + route + " id=" + req.response().headers().get(REQUEST_ID));
    }
  }

  /**
   * {@return the client's x-request-id when it is sane (1 to 128 visible ASCII characters), else a
   * new one} It is echoed on the response. A new one is shaped as a UUID (36 characters, lowercase
   * hex and dashes): this instance's random 24-character prefix, then a count of the ids it made,
   * as 12 hex digits. Unique, not secret (the count repeats after 2^48 ids); a random UUID per
   * request cost two random longs and its formatting on every request.
   */
  private String requestId(HttpServerRequest req) {
    String id = req.getHeader(REQUEST_ID_HEADER);
    if (!saneRequestId(id)) {
      byte[] b = Arrays.copyOf(idPrefix, ID_PREFIX + 12);
      long n = ++idCount;
      for (int i = b.length - 1; i >= ID_PREFIX; i--, n >>>= 4) {
        b[i] = (byte) Character.forDigit((int) (n & 0xf), 16);
      }
      id = new String(b, StandardCharsets.ISO_8859_1);
    }
    req.response().putHeader(REQUEST_ID_HEADER, id);
    return id;
  }

  private static boolean saneRequestId(String id) {
    if (id == null || id.isEmpty() || id.length() > 128) {
      return false;
    }
    for (int i = 0; i < id.length(); i++) {
      char ch = id.charAt(i);
      if (ch <= 0x20 || ch >= 0x7f) {
        return false;
      }
    }
    return true;
  }

  /** Answers and closes the connection (HTTP/1.x); on HTTP/2 only the stream ends. */
  private void closeAfter(HttpServerRequest req, String route, int status, JsonObject body) {
    boolean h1 = req.version() != HttpVersion.HTTP_2;
    if (h1) {
      req.response().putHeader(HttpHeaders.CONNECTION, "close");
    }
    json(req, route, status, body);
    if (h1) {
      req.connection().close();
    }
  }

  private void refuseBody(HttpServerRequest req, String route) {
    closeAfter(req, route, 413, error("payload_too_large").put("limit", MAX_BODY)); // the rest is not worth reading
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
    Conn c = conns.get(req.connection());
    if (c != null) {
      c.headerDeadline = 0; // the connection closes after this answer
    }
    closeAfter(req, GatewayMetrics.INVALID, status, error(code));
  }
}
