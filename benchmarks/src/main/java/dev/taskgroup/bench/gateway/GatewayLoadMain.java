package dev.taskgroup.bench.gateway;

import dev.taskgroup.gateway.GatewayConfig;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * The gateway load benchmark: the real gateway ({@code dev.taskgroup.gateway}, TaskGroup-based)
 * and {@link NaiveGateway} (plain {@code Future.all}, no cancellation), each in turn under the same
 * closed-loop load from {@link LoadGenerator}, against the same simulated upstreams
 * ({@link BenchUpstreams}), all in this one process on loopback.
 *
 * <ul>
 *   <li>Route {@code ok}: three upstreams (two required, one optional), 0-2 ms each (0: answered at once), never failing:
 *       short enough that the gateways' own CPU cost shows.
 *   <li>Route {@code fail}: {@code flaky} (required, 1-5 ms, 503 at 10%) next to {@code slow}
 *       (required, 100-200 ms). On each 502, counts the upstream requests of that client request
 *       that still ran to their end after the client had its answer (work nobody will use), and
 *       those aborted.
 * </ul>
 * Usage: {@code java -cp benchmarks.jar dev.taskgroup.bench.gateway.GatewayLoadMain
 * [connections=64] [duration=15] [warmup=5] [rounds=2] [routes=ok,fail] [gateways=naive,taskgroup]
 * [maxRequests=3000000]} (durations in seconds). Rounds alternate the gateways (ABAB) so drift hits both.
 */
public final class GatewayLoadMain {
  static final List<BenchUpstreams.Spec> UPSTREAMS = List.of(
      new BenchUpstreams.Spec("a", 0, 2, 0),
      new BenchUpstreams.Spec("b", 0, 2, 0),
      new BenchUpstreams.Spec("c", 0, 2, 0),
      new BenchUpstreams.Spec("flaky", 1, 5, 0.10),
      new BenchUpstreams.Spec("slow", 100, 200, 0));

  static final List<RouteSpec> ROUTES = List.of(
      new RouteSpec("ok", 1000, List.of(
          new RouteSpec.Call("a", 500, true),
          new RouteSpec.Call("b", 500, true),
          new RouteSpec.Call("c", 500, false))),
      new RouteSpec("fail", 1000, List.of(
          new RouteSpec.Call("flaky", 500, true),
          new RouteSpec.Call("slow", 500, true))));

  /** A gateway under test. */
  interface Target {
    String name();

    int port();
  }

  public static void main(String[] args) throws Exception {
    Map<String, String> opts = options(args);
    int connections = Integer.parseInt(opts.getOrDefault("connections", "64"));
    Duration duration = Duration.ofSeconds(Long.parseLong(opts.getOrDefault("duration", "15")));
    Duration warmup = Duration.ofSeconds(Long.parseLong(opts.getOrDefault("warmup", "5")));
    int rounds = Integer.parseInt(opts.getOrDefault("rounds", "2"));
    List<String> routes = Arrays.asList(opts.getOrDefault("routes", "ok,fail").split(","));
    List<String> gateways = Arrays.asList(opts.getOrDefault("gateways", "naive,taskgroup").split(","));
    int maxRequests = Integer.parseInt(opts.getOrDefault("maxRequests", "3000000"));

    Vertx upstreamVertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(1));
    Vertx gatewayVertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(2));
    Vertx loadVertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(1));
    try {
      BenchUpstreams upstreams = get(new BenchUpstreams(upstreamVertx, UPSTREAMS).start());
      Map<String, String> urls = new LinkedHashMap<>();
      for (BenchUpstreams.Spec s : UPSTREAMS) {
        urls.put(s.name(), upstreams.url(s.name()));
      }
      List<Target> targets = new ArrayList<>();
      for (String g : gateways) {
        switch (g) {
          case "naive": {
            NaiveGateway naive = new NaiveGateway(GatewayConfig.parse(gatewayJson(urls, freePort())));
            get(gatewayVertx.deployVerticle(naive));
            targets.add(target("naive (Future.all)", naive.actualPort()));
            break;
          }
          case "taskgroup": {
            targets.add(target("taskgroup gateway", RealGateway.start(gatewayVertx, gatewayJson(urls, freePort()))));
            break;
          }
          default:
            throw new IllegalArgumentException("unknown gateway " + g);
        }
      }
      System.out.printf(Locale.ROOT, "gateway load: %d connections, closed loop, %s warm-up + %d x %s measured per gateway and route, "
          + "max %d requests a run; upstreams %s%n", connections, warmup, rounds, duration, maxRequests, UPSTREAMS);
      long ids = 0;
      for (String route : routes) {
        String uri = "/api/" + route + "/";
        for (Target t : targets) { // warm-up, not recorded
          get(new LoadGenerator(loadVertx, t.port(), uri, connections, warmup, maxRequests, ids, null).run());
          ids += maxRequests;
        }
        for (int r = 0; r < rounds; r++) {
          List<Target> order = new ArrayList<>(targets);
          if (r % 2 == 1) {
            java.util.Collections.reverse(order);
          }
          for (Target t : order) {
            Map<String, Long> answers = new ConcurrentHashMap<>();
            Map<String, Integer> statusById = new ConcurrentHashMap<>();
            upstreams.startRecording();
            LoadGenerator.Result res = get(new LoadGenerator(loadVertx, t.port(), uri, connections, duration, maxRequests, ids,
                (id, status, at) -> {
                  answers.put(id, at);
                  statusById.put(id, status);
                }).run());
            ids += maxRequests;
            Thread.sleep(500); // the slowest upstream answers within 200 ms: whatever was left running has ended
            upstreams.stopRecording();
            report(route, t, r, res, upstreams, answers, statusById);
          }
        }
      }
    } finally {
      for (Vertx v : List.of(loadVertx, gatewayVertx, upstreamVertx)) {
        v.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
      }
    }
  }

  private static void report(String route, Target t, int round, LoadGenerator.Result res, BenchUpstreams upstreams,
                             Map<String, Long> answers, Map<String, Integer> statusById) {
    long failedAnswers = 0;
    long ranOn = 0; // upstream requests that completed after their client's answer
    long abortedAfter = 0;
    long ranOnNanos = 0;
    List<Long> abortDelays = new ArrayList<>();
    for (Map.Entry<String, List<BenchUpstreams.End>> e : upstreams.ends.entrySet()) {
      Long answeredAt = answers.get(e.getKey());
      if (answeredAt == null) {
        continue;
      }
      Integer status = statusById.get(e.getKey());
      for (BenchUpstreams.End end : e.getValue()) {
        if (end.aborted()) {
          abortDelays.add(end.endedAt() - answeredAt);
          if (end.endedAt() > answeredAt) {
            abortedAfter++;
          }
        } else if (end.endedAt() > answeredAt) {
          ranOn++;
          ranOnNanos += end.endedAt() - answeredAt;
        }
      }
      if (status != null && status != 200) {
        failedAnswers++;
      }
    }
    abortDelays.sort(null);
    String abort = abortDelays.isEmpty() ? "none"
        : String.format(Locale.ROOT, "%d (the upstream saw the close a median %.2f ms after the answer)",
            abortDelays.size(), abortDelays.get(abortDelays.size() / 2) / 1e6);
    System.out.printf(Locale.ROOT,
        "RESULT route=%s gateway=%-20s round=%d: %.0f req/s, p50 %.2f ms, p99 %.2f ms, p99.9 %.2f ms, requests %d, errors %d, statuses %s%n",
        route, t.name(), round, res.throughput(), res.percentileMs(50), res.percentileMs(99), res.percentileMs(99.9),
        res.requests(), res.errors(), res.statuses());
    System.out.printf(Locale.ROOT,
        "       upstream work after the answer: %d non-200 answers; %d upstream requests ran to their end after their client's answer "
            + "(%.1f upstream-seconds of wasted work); aborted: %s; upstream in flight now: %d%n",
        failedAnswers, ranOn, ranOnNanos / 1e9, abort, upstreams.inFlight.sum());
  }

  /** {@return the {@code key=value} arguments as a map} */
  /**
   * {@return a port free right now on 127.0.0.1} Each gateway gets its own: two servers of one
   * Vert.x that both listen on port 0 with several instances share one random port (Vert.x's server
   * sharing), and the two gateways would then take turns answering each other's load.
   */
  static int freePort() throws java.io.IOException {
    try (java.net.ServerSocket socket = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    }
  }

  static Map<String, String> options(String[] args) {
    Map<String, String> opts = new HashMap<>();
    for (String a : args) {
      int eq = a.indexOf('=');
      if (eq < 0) {
        throw new IllegalArgumentException("arguments are key=value, got " + a);
      }
      opts.put(a.substring(0, eq), a.substring(eq + 1));
    }
    return opts;
  }

  /**
   * The benchmark's routes as a {@code gateway.json} listening on {@code port} (simulator off: ours
   * is used), read by both gateways.
   */
  static String gatewayJson(Map<String, String> urls, int port) {
    JsonObject ups = new JsonObject();
    Map<String, Long> timeouts = new HashMap<>();
    for (RouteSpec r : ROUTES) {
      for (RouteSpec.Call c : r.calls()) {
        timeouts.put(c.upstream(), c.timeoutMs());
      }
    }
    urls.forEach((name, url) -> ups.put(name, new JsonObject().put("url", url).put("timeoutMs", timeouts.get(name))));
    JsonArray routes = new JsonArray();
    for (RouteSpec r : ROUTES) {
      JsonArray calls = new JsonArray();
      for (RouteSpec.Call c : r.calls()) {
        JsonObject call = new JsonObject().put("upstream", c.upstream()).put("required", c.required());
        if (!c.required()) {
          call.putNull("fallback");
        }
        calls.add(call);
      }
      routes.add(new JsonObject().put("path", r.path()).put("deadlineMs", r.deadlineMs()).put("maxConcurrency", 8)
          .put("calls", calls));
    }
    return new JsonObject().put("http", new JsonObject().put("host", "127.0.0.1").put("port", port))
        .put("upstreams", ups).put("routes", routes).encodePrettily();
  }

  private static Target target(String name, int port) {
    return new Target() {
      @Override
      public String name() {
        return name;
      }

      @Override
      public int port() {
        return port;
      }
    };
  }

  static <T> T get(Future<T> f) throws Exception {
    return f.toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
  }
}
