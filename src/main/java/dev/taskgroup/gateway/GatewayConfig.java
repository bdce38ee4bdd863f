package dev.taskgroup.gateway;

import io.vertx.core.json.DecodeException;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The gateway's configuration ({@code conf/gateway.json}), checked as a whole before anything
 * starts: a config that parses is one the gateway can run. Immutable.
 *
 * <pre>{@code
 * GatewayConfig config = GatewayConfig.parse(Files.readString(Path.of("conf/gateway.json")));
 * config.routes().get(0).calls();   // profile (required), orders (required), recs (optional)
 * }</pre>
 *
 * <p>Every rule broken raises a {@link ConfigException} naming the field by its path:
 * {@code upstreams.recs.timeoutMs}, {@code routes[0].calls[2].upstream}. Unknown fields are refused
 * too, so that a typo ({@code timeoutMS}) is not silently ignored. Optional fields and their
 * defaults: {@code http} (127.0.0.1:8080, and the bounds of {@link Http}), an upstream's
 * {@code timeoutMs} (none: the route's deadline bounds it), {@code maxConnections} (64) and
 * {@code maxResponseBytes} (1 MiB), a route's {@code deadlineMs} ({@code http.defaultDeadlineMs}, 10 s) and
 * {@code maxConcurrency} (unlimited), a call's {@code required} (true) and {@code fallback} (null),
 * {@code simulator} (disabled), {@code admin} (disabled).
 *
 * @param http where the gateway listens
 * @param upstreams the upstreams by name, in file order
 * @param routes the routes, in file order
 * @param simulator the simulated upstreams started in the same process, when enabled
 * @param admin the admin endpoints ({@code /admin/tasks}), when enabled
 */
public record GatewayConfig(Http http, Map<String, Upstream> upstreams, List<Route> routes, Simulator simulator, Admin admin) {
  /** Connections per upstream pool unless {@code maxConnections} says otherwise. */
  public static final int DEFAULT_MAX_CONNECTIONS = 64;

  /** Paths the gateway serves itself; a route may not take them. */
  static final Set<String> RESERVED_PATHS = Set.of("/health", "/health/live", "/health/ready", "/metrics", AdminTasks.PATH);

  /** A configuration without admin endpoints. */
  public GatewayConfig(Http http, Map<String, Upstream> upstreams, List<Route> routes, Simulator simulator) {
    this(http, upstreams, routes, simulator, Admin.DISABLED);
  }

  /**
   * The admin endpoints: {@code /admin/tasks} serves a {@link dev.taskgroup.TaskTree} of the
   * gateway's running groups (JSON, or text with {@code ?format=text}).
   *
   * @param tasks whether {@code /admin/tasks} is served (else it is an unknown path, 404)
   * @param allowRemote whether clients other than loopback ones are answered (else they get 403)
   */
  public record Admin(boolean tasks, boolean allowRemote) {
    /** No admin endpoint. */
    public static final Admin DISABLED = new Admin(false, false);
  }

  public GatewayConfig {
    upstreams = Collections.unmodifiableMap(new LinkedHashMap<>(upstreams));
    routes = List.copyOf(routes);
  }

  /**
   * Where the gateway listens, and how much it lets any one client hold. Every bound has a default,
   * so a config that names none still leaves no connection or request unbounded.
   *
   * @param host the interface to bind
   * @param port the port, 0 for any free one
   * @param maxConnections client connections open at once (all instances together); beyond it a
   *     connection's first request is answered 503 and the connection closed. The gateway lowers
   *     it at start if the process's file-descriptor limit would run out first
   * @param headerTimeout how long a connection may take to send a request's headers (from its
   *     accept, or from the previous answer on a kept-alive connection); then it is closed
   * @param bodyTimeout how long a request may take to send its body once its headers are in; then
   *     408 and the connection is closed
   * @param idleTimeout how long a connection may stay silent (no byte either way) before it is
   *     closed; longer than every route's deadline, so a request waiting on its upstreams is never
   *     cut by it
   * @param defaultDeadline the deadline of a route that sets no {@code deadlineMs}
   * @param maxRequestsInFlight route requests being answered at once (all instances together);
   *     beyond it 503 with {@code Retry-After} at once
   * @param shutdownGrace how long in-flight requests may run on after SIGTERM or SIGINT
   * @param instances how many gateway verticles (event loops) serve requests
   * @param accessLog whether each request is logged as one line (logger {@code dev.taskgroup.gateway.access})
   * @param h2c whether HTTP/2 over cleartext is served (prior knowledge and upgrade). Off by default:
   *     with it, Vert.x hands over a connection only once its first request's headers are in (it
   *     must see them to tell an upgrade), so the header timeout and the connection cap cannot act
   *     before that; a client that trickles its first request is then bounded by the idle timeout
   *     only if it goes silent
   */
  public record Http(String host, int port, int maxConnections, Duration headerTimeout, Duration bodyTimeout,
      Duration idleTimeout, Duration defaultDeadline, int maxRequestsInFlight, Duration shutdownGrace,
      int instances, boolean accessLog, boolean h2c) {
    /** {@return the defaults, listening on {@code host:port}} */
    public static Http defaults(String host, int port) {
      return new Http(host, port, DEFAULT_MAX_CLIENT_CONNECTIONS, Duration.ofMillis(DEFAULT_HEADER_TIMEOUT_MS),
          Duration.ofMillis(DEFAULT_BODY_TIMEOUT_MS), Duration.ofMillis(DEFAULT_IDLE_TIMEOUT_MS),
          Duration.ofMillis(DEFAULT_DEADLINE_MS), DEFAULT_MAX_REQUESTS_IN_FLIGHT,
          Duration.ofMillis(DEFAULT_SHUTDOWN_GRACE_MS), defaultInstances(), false, false);
    }
  }

  /** Client connections open at once unless {@code http.maxConnections} says otherwise. */
  public static final int DEFAULT_MAX_CLIENT_CONNECTIONS = 10_000;
  /** {@code http.headerTimeoutMs} unless set: a slow-header client is closed after 10 s. */
  public static final long DEFAULT_HEADER_TIMEOUT_MS = 10_000;
  /** {@code http.bodyTimeoutMs} unless set. */
  public static final long DEFAULT_BODY_TIMEOUT_MS = 10_000;
  /** {@code http.idleTimeoutMs} unless set. */
  public static final long DEFAULT_IDLE_TIMEOUT_MS = 60_000;
  /** {@code http.defaultDeadlineMs} unless set: no request waits on its upstreams longer than this. */
  public static final long DEFAULT_DEADLINE_MS = 10_000;
  /** {@code http.maxRequestsInFlight} unless set. */
  public static final int DEFAULT_MAX_REQUESTS_IN_FLIGHT = 4_096;
  /** {@code http.shutdownGraceMs} unless set. */
  public static final long DEFAULT_SHUTDOWN_GRACE_MS = 10_000;
  /** An upstream's {@code maxResponseBytes} unless set: 1 MiB. */
  public static final int DEFAULT_MAX_RESPONSE_BYTES = 1024 * 1024;

  /** {@return the default of {@code http.instances}: one per available processor} */
  public static int defaultInstances() {
    return Math.max(1, Runtime.getRuntime().availableProcessors());
  }

  /**
   * One upstream service.
   *
   * @param name its name: the key in {@code upstreams}, the field in responses, the metric label
   * @param url its URL with {@code {name}} placeholders
   * @param timeout the bound on each call, or null for none
   * @param maxConnections the size of its connection pool
   * @param maxResponseBytes the largest body accepted from it; beyond it the call fails with reason
   *     {@code too_large} and its request is reset at once
   */
  public record Upstream(String name, UrlTemplate url, Duration timeout, int maxConnections, int maxResponseBytes,
                         Hedge hedge, Retry retry) {
    /** An upstream without hedging or retries. */
    public Upstream(String name, UrlTemplate url, Duration timeout, int maxConnections, int maxResponseBytes) {
      this(name, url, timeout, maxConnections, maxResponseBytes, null, null);
    }
  }

  /**
   * Hedged calls of an idempotent upstream ({@code upstreams.NAME.hedge}): when no attempt has
   * answered after the delay (fixed, or a percentile of the upstream's recent latencies clamped to
   * [min, max]), another starts, up to {@code maxAttempts}; the first answer wins, the others are
   * reset.
   *
   * @param maxAttempts attempts at most, at least 2 ({@code maxAttempts}, default 2)
   * @param delay the fixed delay ({@code delayMs}), or null for the adaptive one
   * @param percentile the adaptive delay's percentile ({@code percentile}, default 95)
   * @param minDelay the adaptive delay's floor ({@code minDelayMs}, default 1)
   * @param maxDelay the adaptive delay's ceiling ({@code maxDelayMs}, default the upstream's timeout, else 1000)
   */
  public record Hedge(int maxAttempts, Duration delay, double percentile, Duration minDelay, Duration maxDelay) {}

  /**
   * Retried calls ({@code upstreams.NAME.retry}): a failed attempt (connect, reset, timeout, 5xx)
   * is retried after an exponential backoff with full jitter, while the route's deadline leaves
   * time for it.
   *
   * @param maxAttempts attempts at most, at least 2 ({@code maxAttempts}, default 3)
   * @param initialDelay the first backoff's ceiling ({@code initialDelayMs}, default 10)
   * @param maxDelay the largest backoff ({@code maxDelayMs}, default 200)
   */
  public record Retry(int maxAttempts, Duration initialDelay, Duration maxDelay) {}

  /**
   * One route: a path and the calls it fans out to.
   *
   * @param path the path pattern, with {@code :name} parameters
   * @param deadline the bound on the whole request: {@code deadlineMs}, else {@code http.defaultDeadlineMs}
   * @param maxConcurrency how many calls of one request run at once
   * @param calls the calls, in file order (the order of fields in the response)
   */
  public record Route(RoutePattern path, Duration deadline, int maxConcurrency, List<Call> calls) {
    public Route {
      calls = List.copyOf(calls);
    }
  }

  /**
   * One call of a route.
   *
   * @param upstream the upstream's name
   * @param required whether its failure fails the request (502) or degrades it (fallback)
   * @param fallbackJson the fallback as JSON text ({@code "null"} when absent); kept as text so
   *     that the record stays immutable, decoded afresh for each response
   */
  public record Call(String upstream, boolean required, String fallbackJson) {}

  /**
   * The simulated upstreams.
   *
   * @param enabled whether they start with the gateway
   * @param upstreams the simulated upstreams by name
   */
  public record Simulator(boolean enabled, Map<String, SimulatedUpstream> upstreams) {
    public Simulator {
      upstreams = Collections.unmodifiableMap(new LinkedHashMap<>(upstreams));
    }

    /** No simulator. */
    public static final Simulator DISABLED = new Simulator(false, Map.of());
  }

  /**
   * One simulated upstream.
   *
   * @param name the upstream it stands in for
   * @param port its port, 0 for any free one (0 too for an {@code eventbus:} upstream, which has none)
   * @param minLatencyMs the least latency drawn
   * @param maxLatencyMs the most latency drawn
   * @param failureRate the share of requests answered 503 (a failure reply with code 503 on the bus), in [0, 1]
   */
  public record SimulatedUpstream(String name, int port, long minLatencyMs, long maxLatencyMs, double failureRate) {}

  /**
   * {@return the configuration in {@code json}}
   *
   * @throws ConfigException if it is not a JSON object or breaks a rule; the message names the field
   */
  public static GatewayConfig parse(String json) {
    JsonObject root;
    try {
      root = new JsonObject(json);
    } catch (DecodeException | ClassCastException e) {
      throw new ConfigException("(root)", "not a JSON object: " + e.getMessage());
    }
    return parse(root);
  }

  /**
   * {@return the configuration in {@code root}}
   *
   * @throws ConfigException if it breaks a rule; the message names the field
   */
  public static GatewayConfig parse(JsonObject root) {
    onlyKeys(root, "", "http", "upstreams", "routes", "simulator", "admin");
    Http http = parseHttp(optionalObject(root, "", "http"));
    Map<String, Upstream> upstreams = parseUpstreams(requiredObject(root, "", "upstreams"));
    List<Route> routes = parseRoutes(requiredArray(root, "", "routes"), upstreams, http);
    Simulator simulator = parseSimulator(optionalObject(root, "", "simulator"), upstreams);
    return new GatewayConfig(http, upstreams, routes, simulator, parseAdmin(optionalObject(root, "", "admin")));
  }

  private static Admin parseAdmin(JsonObject o) {
    if (o == null) {
      return Admin.DISABLED;
    }
    onlyKeys(o, "admin", "tasks", "allowRemote");
    return new Admin(flag(o, "admin", "tasks"), flag(o, "admin", "allowRemote"));
  }

  private static boolean flag(JsonObject o, String path, String key) {
    Object value = o.getValue(key, Boolean.FALSE);
    if (!(value instanceof Boolean)) {
      throw new ConfigException(child(path, key), "must be true or false, got " + describe(value));
    }
    return (Boolean) value;
  }

  private static Http parseHttp(JsonObject o) {
    if (o == null) {
      return Http.defaults("127.0.0.1", 8080);
    }
    onlyKeys(o, "http", "host", "port", "maxConnections", "headerTimeoutMs", "bodyTimeoutMs", "idleTimeoutMs",
        "defaultDeadlineMs", "maxRequestsInFlight", "shutdownGraceMs", "instances", "accessLog", "h2c");
    String host = optionalString(o, "http", "host", "127.0.0.1");
    if (host.isBlank()) {
      throw new ConfigException("http.host", "must not be empty");
    }
    int port = (int) wholeNumber(o, "http", "port", 8080, 0, 65535);
    int maxConnections = (int) wholeNumber(o, "http", "maxConnections", DEFAULT_MAX_CLIENT_CONNECTIONS, 1, 1_000_000);
    Duration header = millis(o, "http", "headerTimeoutMs", DEFAULT_HEADER_TIMEOUT_MS);
    Duration body = millis(o, "http", "bodyTimeoutMs", DEFAULT_BODY_TIMEOUT_MS);
    Duration idle = millis(o, "http", "idleTimeoutMs", DEFAULT_IDLE_TIMEOUT_MS);
    Duration deadline = millis(o, "http", "defaultDeadlineMs", DEFAULT_DEADLINE_MS);
    if (deadline.compareTo(idle) >= 0) {
      throw new ConfigException("http.defaultDeadlineMs", "must be below http.idleTimeoutMs (" + idle.toMillis()
          + " ms), or an idle connection would be cut before its answer; got " + deadline.toMillis());
    }
    int inFlight = (int) wholeNumber(o, "http", "maxRequestsInFlight", DEFAULT_MAX_REQUESTS_IN_FLIGHT, 1, 10_000_000);
    Duration grace = millis(o, "http", "shutdownGraceMs", DEFAULT_SHUTDOWN_GRACE_MS);
    int instances = (int) wholeNumber(o, "http", "instances", defaultInstances(), 1, 1024);
    Object accessLog = o.getValue("accessLog", Boolean.FALSE);
    if (!(accessLog instanceof Boolean)) {
      throw new ConfigException("http.accessLog", "must be true or false, got " + describe(accessLog));
    }
    Object h2c = o.getValue("h2c", Boolean.FALSE);
    if (!(h2c instanceof Boolean)) {
      throw new ConfigException("http.h2c", "must be true or false, got " + describe(h2c));
    }
    return new Http(host, port, maxConnections, header, body, idle, deadline, inFlight, grace, instances,
        (Boolean) accessLog, (Boolean) h2c);
  }

  private static Map<String, Upstream> parseUpstreams(JsonObject o) {
    Map<String, Upstream> upstreams = new LinkedHashMap<>();
    if (o.isEmpty()) {
      throw new ConfigException("upstreams", "must name at least one upstream");
    }
    for (String name : o.fieldNames()) {
      String path = "upstreams." + name;
      if (name.isBlank()) {
        throw new ConfigException(path, "an upstream needs a non-empty name");
      }
      if (name.equals("errors")) {
        throw new ConfigException(path, "'errors' is reserved: a partial answer uses that field to name failed calls");
      }
      JsonObject u = objectValue(o.getValue(name), path);
      onlyKeys(u, path, "url", "timeoutMs", "maxConnections", "maxResponseBytes", "hedge", "retry");
      Object rawUrl = u.getValue("url");
      if (rawUrl == null) {
        throw new ConfigException(path + ".url", "missing: every upstream needs an http:// or eventbus: URL");
      }
      if (!(rawUrl instanceof String)) {
        throw new ConfigException(path + ".url", "must be a string, got " + describe(rawUrl));
      }
      UrlTemplate url;
      try {
        url = UrlTemplate.parse((String) rawUrl);
      } catch (IllegalArgumentException e) {
        throw new ConfigException(path + ".url", e.getMessage());
      }
      Duration timeout = millis(u, path, "timeoutMs");
      int maxConnections = (int) wholeNumber(u, path, "maxConnections", DEFAULT_MAX_CONNECTIONS, 1, 100_000);
      int maxResponseBytes = (int) wholeNumber(u, path, "maxResponseBytes", DEFAULT_MAX_RESPONSE_BYTES, 1, Integer.MAX_VALUE - 8);
      Hedge hedge = parseHedge(optionalObject(u, path, "hedge"), path + ".hedge", timeout);
      Retry retry = parseRetry(optionalObject(u, path, "retry"), path + ".retry");
      upstreams.put(name, new Upstream(name, url, timeout, maxConnections, maxResponseBytes, hedge, retry));
    }
    return upstreams;
  }

  private static Hedge parseHedge(JsonObject h, String path, Duration timeout) {
    if (h == null) {
      return null;
    }
    onlyKeys(h, path, "maxAttempts", "delayMs", "percentile", "minDelayMs", "maxDelayMs");
    int maxAttempts = (int) wholeNumber(h, path, "maxAttempts", 2, 2, 10);
    Duration delay = millis(h, path, "delayMs");
    if (delay != null && (h.containsKey("percentile") || h.containsKey("minDelayMs") || h.containsKey("maxDelayMs"))) {
      throw new ConfigException(path + ".delayMs", "a fixed delay excludes percentile, minDelayMs and maxDelayMs (the adaptive delay)");
    }
    Object p = h.getValue("percentile");
    double percentile = 95;
    if (p != null) {
      if (!(p instanceof Number) || ((Number) p).doubleValue() <= 0 || ((Number) p).doubleValue() >= 100) {
        throw new ConfigException(path + ".percentile", "must be a number in (0, 100), got " + describe(p));
      }
      percentile = ((Number) p).doubleValue();
    }
    Duration min = millis(h, path, "minDelayMs", 1);
    Duration max = millis(h, path, "maxDelayMs", timeout != null ? timeout.toMillis() : 1000);
    if (min.compareTo(max) > 0) {
      throw new ConfigException(path + ".minDelayMs", "must not exceed maxDelayMs (" + max.toMillis() + "), got " + min.toMillis());
    }
    return new Hedge(maxAttempts, delay, percentile, min, max);
  }

  private static Retry parseRetry(JsonObject r, String path) {
    if (r == null) {
      return null;
    }
    onlyKeys(r, path, "maxAttempts", "initialDelayMs", "maxDelayMs");
    int maxAttempts = (int) wholeNumber(r, path, "maxAttempts", 3, 2, 10);
    Duration initial = millis(r, path, "initialDelayMs", 10);
    Duration max = millis(r, path, "maxDelayMs", 200);
    if (initial.compareTo(max) > 0) {
      throw new ConfigException(path + ".initialDelayMs", "must not exceed maxDelayMs (" + max.toMillis() + "), got " + initial.toMillis());
    }
    return new Retry(maxAttempts, initial, max);
  }

  private static List<Route> parseRoutes(JsonArray array, Map<String, Upstream> upstreams, Http http) {
    List<Route> routes = new ArrayList<>();
    Map<String, Integer> shapes = new HashMap<>();
    for (int i = 0; i < array.size(); i++) {
      String path = "routes[" + i + "]";
      JsonObject r = objectValue(array.getValue(i), path);
      onlyKeys(r, path, "path", "deadlineMs", "maxConcurrency", "calls");
      String rawPath = requiredString(r, path, "path");
      RoutePattern pattern;
      try {
        pattern = RoutePattern.parse(rawPath);
      } catch (IllegalArgumentException e) {
        throw new ConfigException(path + ".path", e.getMessage());
      }
      if (RESERVED_PATHS.contains(pattern.shape())) {
        throw new ConfigException(path + ".path", "'" + rawPath + "' is reserved for the gateway itself");
      }
      Integer earlier = shapes.putIfAbsent(pattern.shape(), i);
      if (earlier != null) {
        throw new ConfigException(path + ".path", "duplicates routes[" + earlier + "].path ('"
            + routes.get(earlier).path().path() + "' and '" + rawPath + "' match the same requests)");
      }
      Duration deadline = r.getValue("deadlineMs") == null ? http.defaultDeadline() : millis(r, path, "deadlineMs");
      if (deadline.compareTo(http.idleTimeout()) >= 0) {
        // The idle timeout closes a connection that is silent while its request waits on upstreams.
        throw new ConfigException(path + ".deadlineMs", "the deadline (" + deadline.toMillis() + " ms) must be below http.idleTimeoutMs ("
            + http.idleTimeout().toMillis() + " ms), or an idle connection would be cut before its answer");
      }
      int maxConcurrency = (int) wholeNumber(r, path, "maxConcurrency", Integer.MAX_VALUE, 1, Integer.MAX_VALUE);
      List<Call> calls = parseCalls(requiredArray(r, path, "calls"), path, pattern, upstreams);
      routes.add(new Route(pattern, deadline, maxConcurrency, calls));
    }
    return routes;
  }

  private static List<Call> parseCalls(JsonArray array, String routePath, RoutePattern pattern,
      Map<String, Upstream> upstreams) {
    if (array.isEmpty()) {
      throw new ConfigException(routePath + ".calls", "must list at least one call");
    }
    List<Call> calls = new ArrayList<>();
    Map<String, Integer> seen = new HashMap<>();
    for (int j = 0; j < array.size(); j++) {
      String path = routePath + ".calls[" + j + "]";
      JsonObject c = objectValue(array.getValue(j), path);
      onlyKeys(c, path, "upstream", "required", "fallback");
      String name = requiredString(c, path, "upstream");
      Upstream upstream = upstreams.get(name);
      if (upstream == null) {
        throw new ConfigException(path + ".upstream", "unknown upstream '" + name + "' (known: "
            + String.join(", ", upstreams.keySet()) + ")");
      }
      Integer earlier = seen.putIfAbsent(name, j);
      if (earlier != null) {
        throw new ConfigException(path + ".upstream", "upstream '" + name + "' is already called by "
            + routePath + ".calls[" + earlier + "]; a route calls each upstream once (responses are keyed by name)");
      }
      List<String> params = pattern.parameterNames();
      for (String placeholder : upstream.url().placeholders()) {
        if (!params.contains(placeholder)) {
          throw new ConfigException(path + ".upstream", "upstreams." + name + ".url uses {" + placeholder
              + "} but route '" + pattern.path() + "' has no path parameter :" + placeholder);
        }
      }
      Object required = c.getValue("required", Boolean.TRUE);
      if (!(required instanceof Boolean)) {
        throw new ConfigException(path + ".required", "must be true or false, got " + describe(required));
      }
      if ((Boolean) required && c.containsKey("fallback")) {
        throw new ConfigException(path + ".fallback", "only an optional call (\"required\": false) has a fallback");
      }
      String fallbackJson = c.containsKey("fallback") ? encodeValue(c.getValue("fallback")) : "null";
      calls.add(new Call(name, (Boolean) required, fallbackJson));
    }
    return calls;
  }

  private static Simulator parseSimulator(JsonObject o, Map<String, Upstream> upstreams) {
    if (o == null) {
      return Simulator.DISABLED;
    }
    onlyKeys(o, "simulator", "enabled", "upstreams");
    Object enabled = o.getValue("enabled", Boolean.FALSE);
    if (!(enabled instanceof Boolean)) {
      throw new ConfigException("simulator.enabled", "must be true or false, got " + describe(enabled));
    }
    JsonObject list = optionalObject(o, "simulator", "upstreams");
    Map<String, SimulatedUpstream> simulated = new LinkedHashMap<>();
    if (list != null) {
      for (String name : list.fieldNames()) {
        String path = "simulator.upstreams." + name;
        Upstream upstream = upstreams.get(name);
        if (upstream == null) {
          throw new ConfigException(path, "unknown upstream '" + name + "' (known: "
              + String.join(", ", upstreams.keySet()) + ")");
        }
        JsonObject s = objectValue(list.getValue(name), path);
        boolean onBus = upstream.url().eventBusAddress() != null;
        onlyKeys(s, path, "port", "latencyMs", "failureRate");
        if (onBus && s.containsKey("port")) {
          throw new ConfigException(path + ".port", "upstreams." + name + " is served on the event bus ("
              + upstream.url().url() + "): a simulated event-bus upstream has no port");
        }
        if (!onBus && !s.containsKey("port")) {
          throw new ConfigException(path + ".port", "missing: a simulated upstream needs a port");
        }
        int port = onBus ? 0 : (int) wholeNumber(s, path, "port", 0, 0, 65535);
        if ((Boolean) enabled && !onBus && port != 0 && port != upstream.url().port()) {
          throw new ConfigException(path + ".port", port + " is not the port of upstreams." + name
              + ".url (" + upstream.url().url() + "), so the gateway would never reach it");
        }
        long min = 0;
        long max = 0;
        JsonObject latency = optionalObject(s, path, "latencyMs");
        if (latency != null) {
          String lpath = path + ".latencyMs";
          onlyKeys(latency, lpath, "min", "max");
          min = wholeNumber(latency, lpath, "min", 0, 0, Integer.MAX_VALUE);
          max = wholeNumber(latency, lpath, "max", min, 0, Integer.MAX_VALUE);
          if (max < min) {
            throw new ConfigException(lpath + ".max", "must be at least min (" + min + "), got " + max);
          }
        }
        Object rate = s.getValue("failureRate", 0);
        if (!(rate instanceof Number) || !(((Number) rate).doubleValue() >= 0 && ((Number) rate).doubleValue() <= 1)) {
          throw new ConfigException(path + ".failureRate", "must be a number in [0, 1], got " + describe(rate));
        }
        simulated.put(name, new SimulatedUpstream(name, port, min, max, ((Number) rate).doubleValue()));
      }
    }
    return new Simulator((Boolean) enabled, simulated);
  }

  // ---- field readers: each names the field's path in its message ---------------------------------

  private static String child(String parent, String key) {
    return parent.isEmpty() ? key : parent + "." + key;
  }

  private static void onlyKeys(JsonObject o, String path, String... known) {
    List<String> knownList = List.of(known);
    for (String key : o.fieldNames()) {
      if (!knownList.contains(key)) {
        throw new ConfigException(child(path, key), "unknown field (known here: " + String.join(", ", known) + ")");
      }
    }
  }

  private static JsonObject objectValue(Object value, String path) {
    if (value instanceof JsonObject) {
      return (JsonObject) value;
    }
    if (value instanceof Map) {
      @SuppressWarnings("unchecked")
      Map<String, Object> map = (Map<String, Object>) value;
      return new JsonObject(map);
    }
    throw new ConfigException(path, "must be an object, got " + describe(value));
  }

  private static JsonObject requiredObject(JsonObject o, String path, String key) {
    if (!o.containsKey(key) || o.getValue(key) == null) {
      throw new ConfigException(child(path, key), "missing");
    }
    return objectValue(o.getValue(key), child(path, key));
  }

  private static JsonObject optionalObject(JsonObject o, String path, String key) {
    Object value = o.getValue(key);
    return value == null ? null : objectValue(value, child(path, key));
  }

  private static JsonArray requiredArray(JsonObject o, String path, String key) {
    Object value = o.getValue(key);
    if (value == null) {
      throw new ConfigException(child(path, key), "missing");
    }
    if (value instanceof JsonArray) {
      return (JsonArray) value;
    }
    if (value instanceof List) {
      return new JsonArray((List<?>) value);
    }
    throw new ConfigException(child(path, key), "must be an array, got " + describe(value));
  }

  private static String requiredString(JsonObject o, String path, String key) {
    Object value = o.getValue(key);
    if (value == null) {
      throw new ConfigException(child(path, key), "missing");
    }
    if (!(value instanceof String) || ((String) value).isEmpty()) {
      throw new ConfigException(child(path, key), "must be a non-empty string, got " + describe(value));
    }
    return (String) value;
  }

  private static String optionalString(JsonObject o, String path, String key, String defaultValue) {
    Object value = o.getValue(key);
    if (value == null) {
      return defaultValue;
    }
    if (!(value instanceof String)) {
      throw new ConfigException(child(path, key), "must be a string, got " + describe(value));
    }
    return (String) value;
  }

  /** A whole number in [min, max]; a string such as "300" is refused, not coerced. */
  private static long wholeNumber(JsonObject o, String path, String key, long defaultValue, long min, long max) {
    Object value = o.getValue(key);
    if (value == null) {
      return defaultValue;
    }
    String where = child(path, key);
    if (!(value instanceof Number)) {
      throw new ConfigException(where, "must be a number, got " + describe(value));
    }
    double d = ((Number) value).doubleValue();
    if (d != Math.rint(d) || Double.isInfinite(d)) {
      throw new ConfigException(where, "must be a whole number, got " + value);
    }
    long n = ((Number) value).longValue();
    if (n < 0 && min >= 0) {
      throw new ConfigException(where, "must not be negative, got " + n);
    }
    if (n < min || n > max) {
      throw new ConfigException(where, "must be in [" + min + ", " + max + "], got " + n);
    }
    return n;
  }

  /** An optional duration in whole milliseconds, at least 1; absent means none. */
  private static Duration millis(JsonObject o, String path, String key) {
    if (o.getValue(key) == null) {
      return null;
    }
    long ms = wholeNumber(o, path, key, 0, 1, Integer.MAX_VALUE);
    return Duration.ofMillis(ms);
  }

  /** A duration in whole milliseconds, at least 1, {@code defaultMs} when absent. */
  private static Duration millis(JsonObject o, String path, String key, long defaultMs) {
    Duration d = millis(o, path, key);
    return d == null ? Duration.ofMillis(defaultMs) : d;
  }

  private static String describe(Object value) {
    if (value == null) {
      return "null";
    }
    if (value instanceof String) {
      return "the string \"" + value + "\"";
    }
    if (value instanceof JsonObject || value instanceof Map) {
      return "an object";
    }
    if (value instanceof JsonArray || value instanceof List) {
      return "an array";
    }
    return value.getClass().getSimpleName().toLowerCase() + " " + value;
  }

  private static String encodeValue(Object value) {
    return Json.encode(value);
  }
}
