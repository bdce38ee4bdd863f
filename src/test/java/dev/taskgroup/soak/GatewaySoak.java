package dev.taskgroup.soak;

import dev.taskgroup.gateway.GatewayConfig;
import dev.taskgroup.gateway.GatewayMain;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.internal.VertxInternal;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * Soak and fault injection for the gateway (not a CI test): drives it at a fixed request rate for a
 * while against chaotic upstreams that answer, fail, stall or reset at random, with clients that
 * disconnect at random, then checks that nothing was left behind.
 *
 * <pre>{@code
 * bash benchmarks/soak.sh                 # 60 s at 400 requests/s
 * bash benchmarks/soak.sh 300 800         # 300 s at 800 requests/s
 * }</pre>
 *
 * <p>It reports requests sent and answered by status, client-side errors, upstream requests still
 * open at the end (must be 0), heap after a full GC before and after the run (must be flat), and
 * blocked event-loop events (must be 0); it exits 1 if a must is broken. Everything is on loopback.
 * The blocked-thread listener is Vert.x internal API ({@code VertxInternal}); Vert.x only logs these
 * events otherwise.
 */
public final class GatewaySoak {
  private final Vertx vertx;
  private final LongAdder blockedEvents = new LongAdder();
  private final AtomicLong upstreamOpen = new AtomicLong();
  private final LongAdder upstreamRequests = new LongAdder();
  private final Map<String, LongAdder> statuses = new TreeMap<>();
  private final LongAdder sent = new LongAdder();
  private final LongAdder disconnected = new LongAdder();
  private final LongAdder clientErrors = new LongAdder();
  private final AtomicLong inFlight = new AtomicLong();

  private GatewaySoak() {
    vertx = Vertx.vertx(new VertxOptions()
        .setMaxEventLoopExecuteTime(200).setMaxEventLoopExecuteTimeUnit(TimeUnit.MILLISECONDS)
        .setBlockedThreadCheckInterval(50).setBlockedThreadCheckIntervalUnit(TimeUnit.MILLISECONDS));
    ((VertxInternal) vertx).blockedThreadChecker().setThreadBlockedHandler(e -> blockedEvents.increment());
  }

  public static void main(String[] args) throws Exception {
    int seconds = args.length > 0 ? Integer.parseInt(args[0]) : 60;
    int rate = args.length > 1 ? Integer.parseInt(args[1]) : 400;
    GatewaySoak soak = new GatewaySoak();
    int failures;
    try {
      failures = soak.run(seconds, rate);
    } finally {
      soak.vertx.close().await(10, TimeUnit.SECONDS);
    }
    System.exit(failures == 0 ? 0 : 1);
  }

  /** A chaotic upstream: 70% answer JSON after 1-60 ms, 10% 503, 10% stall until aborted, 10% reset. */
  private Future<HttpServer> chaosUpstream(String name) {
    return vertx.createHttpServer().requestHandler(req -> serve(name, req)).listen(0, "127.0.0.1");
  }

  private void serve(String name, HttpServerRequest req) {
    upstreamRequests.increment();
    upstreamOpen.incrementAndGet();
    boolean[] closed = {false};
    Runnable done = () -> {
      if (!closed[0]) {
        closed[0] = true;
        upstreamOpen.decrementAndGet();
      }
    };
    req.response().closeHandler(v -> done.run());
    req.response().endHandler(v -> done.run());
    req.connection().closeHandler(v -> done.run());
    ThreadLocalRandom random = ThreadLocalRandom.current();
    int dice = random.nextInt(100);
    if (dice < 10) {
      return; // stall: only an abort from the gateway ends it
    }
    if (dice < 20) {
      vertx.setTimer(1 + random.nextInt(30), t -> req.connection().close()); // reset before answering
      return;
    }
    int status = dice < 30 ? 503 : 200;
    long timer = vertx.setTimer(1 + random.nextInt(60), t -> {
      if (!closed[0]) {
        req.response().setStatusCode(status).putHeader("content-type", "application/json")
            .end(new JsonObject().put("from", name).encode());
      }
    });
    req.connection().closeHandler(v -> {
      vertx.cancelTimer(timer);
      done.run();
    });
  }

  private int run(int seconds, int rate) throws Exception {
    List<HttpServer> upstreams = new ArrayList<>();
    JsonObject upstreamConf = new JsonObject();
    for (String name : List.of("profile", "orders", "recs")) {
      HttpServer server = get(chaosUpstream(name));
      upstreams.add(server);
      upstreamConf.put(name, new JsonObject().put("url", "http://127.0.0.1:" + server.actualPort() + "/" + name + "/{id}")
          .put("timeoutMs", name.equals("recs") ? 40 : 80));
    }
    JsonObject config = new JsonObject()
        .put("http", new JsonObject().put("host", "127.0.0.1").put("port", 0))
        .put("upstreams", upstreamConf)
        .put("routes", new JsonArray().add(new JsonObject().put("path", "/api/dashboard/:id").put("deadlineMs", 120)
            .put("maxConcurrency", 3)
            .put("calls", new JsonArray()
                .add(new JsonObject().put("upstream", "profile").put("required", true))
                .add(new JsonObject().put("upstream", "orders").put("required", true))
                .add(new JsonObject().put("upstream", "recs").put("required", false).put("fallback", new JsonArray())))));
    GatewayMain.Started started = get(GatewayMain.start(vertx, GatewayConfig.parse(config.encode())));
    int port = started.gateway().actualPort();
    HttpClient client = vertx.createHttpClient(new HttpClientOptions().setKeepAlive(true),
        new PoolOptions().setHttp1MaxSize(256));

    long heapBefore = heapAfterGc();
    System.out.printf("soak: %d s at %d requests/s against the gateway on :%d (chaotic upstreams on :%d :%d :%d)%n",
        seconds, rate, port, upstreams.get(0).actualPort(), upstreams.get(1).actualPort(), upstreams.get(2).actualPort());
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
    int perTick = Math.max(1, rate / 100);
    CompletableFuture<Void> finished = new CompletableFuture<>();
    vertx.setPeriodic(10, id -> {
      if (System.nanoTime() >= end) {
        vertx.cancelTimer(id);
        finished.complete(null);
        return;
      }
      for (int i = 0; i < perTick; i++) {
        fire(client, port);
      }
    });
    finished.get(seconds + 30L, TimeUnit.SECONDS);
    long drainDeadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while ((inFlight.get() > 0 || upstreamOpen.get() > 0) && System.nanoTime() < drainDeadline) {
      get(vertx.timer(50)); // let answers and aborts land
    }
    long heapAfter = heapAfterGc();

    System.out.printf("requests sent: %d (client disconnects on purpose: %d)%n", sent.sum(), disconnected.sum());
    synchronized (statuses) {
      statuses.forEach((status, n) -> System.out.printf("  answered %s: %d%n", status, n.sum()));
    }
    System.out.printf("client-side errors (other than deliberate disconnects): %d%n", clientErrors.sum());
    System.out.printf("upstream requests: %d, still open at the end: %d (must be 0)%n", upstreamRequests.sum(), upstreamOpen.get());
    System.out.printf("heap after full GC: before %.1f MiB, after %.1f MiB (must be flat)%n", heapBefore / 1048576.0, heapAfter / 1048576.0);
    System.out.printf("blocked event-loop events: %d (must be 0)%n", blockedEvents.sum());
    System.out.println(get(client.request(new RequestOptions().setPort(port).setHost("127.0.0.1").setURI("/metrics"))
        .compose(r -> r.send().compose(resp -> resp.body()))).toString().lines()
        .filter(l -> l.startsWith("gateway_upstream_aborted_total") || l.startsWith("taskgroup_tasks_total"))
        .reduce("gateway metrics:", (a, b) -> a + "\n  " + b));
    int failures = 0;
    if (upstreamOpen.get() != 0) {
      failures++;
    }
    if (blockedEvents.sum() != 0) {
      failures++;
    }
    if (heapAfter > heapBefore + 16L * 1024 * 1024) {
      failures++;
    }
    System.out.println(failures == 0 ? "soak: PASS" : "soak: FAIL (" + failures + " checks broken)");
    return failures;
  }

  private void fire(HttpClient client, int port) {
    sent.increment();
    inFlight.incrementAndGet();
    ThreadLocalRandom random = ThreadLocalRandom.current();
    boolean disconnect = random.nextInt(100) < 10;
    client.request(new RequestOptions().setMethod(HttpMethod.GET).setHost("127.0.0.1").setPort(port)
            .setURI("/api/dashboard/" + random.nextInt(1000)))
        .compose(req -> {
          if (disconnect) {
            vertx.setTimer(1 + random.nextInt(60), t -> req.reset());
          }
          return req.send().compose(resp -> resp.body().map(b -> resp.statusCode()));
        })
        .onComplete(ar -> {
          inFlight.decrementAndGet();
          if (ar.succeeded()) {
            count(String.valueOf(ar.result()));
          } else if (disconnect) {
            disconnected.increment();
          } else {
            clientErrors.increment();
          }
        });
  }

  private void count(String status) {
    synchronized (statuses) {
      statuses.computeIfAbsent(status, s -> new LongAdder()).increment();
    }
  }

  private static long heapAfterGc() {
    for (int i = 0; i < 3; i++) {
      System.gc();
    }
    return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
  }

  private static <T> T get(Future<T> future) throws Exception {
    return future.await(30, TimeUnit.SECONDS);
  }
}
