package dev.taskgroup.bench.gateway;

import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.VerticleBase;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The load benchmark's simulated upstreams ({@link BenchUpstreams}, the upstreams and routes of
 * {@link GatewayLoadMain}) in a process of their own, for an external load tool: upstream
 * {@code i} of {@link GatewayLoadMain#UPSTREAMS} listens on {@code port + 1 + i}, and a control
 * server on {@code port} answers
 * <ul>
 *   <li>{@code GET /counters}: upstream requests started, answered, aborted by the caller and in
 *       flight, and connections accepted, since the start;
 *   <li>{@code POST /record}: forgets what was recorded and records every upstream request's end
 *       from now on;
 *   <li>{@code GET /report?settleMs=500}: after waiting {@code settleMs} (so that what was left
 *       running can end), stops recording and reports, for each client request (by the id in the
 *       upstream paths) in which an upstream answered 503, what its other upstream requests did after
 *       that failure: ran to their end (work nobody uses: "left running"), or were aborted by the
 *       gateway, with the delay from the failure to the abort.
 * </ul>
 * It writes one {@code gateway-PORT.json} per gateway port into {@code confDir}: the routes and
 * these upstreams, read alike by {@code GatewayMain -conf} and {@link NaiveMain -conf}.
 *
 * <p>Usage: {@code java -cp benchmarks.jar dev.taskgroup.bench.gateway.UpstreamsMain port=19100
 * instances=1 confDir=DIR gatewayPorts=19110,19111}. {@code instances} event loops share the
 * upstream ports. Runs until killed.
 */
public final class UpstreamsMain {
  private UpstreamsMain() {}

  public static void main(String[] args) throws Exception {
    Map<String, String> opts = GatewayLoadMain.options(args);
    int port = Integer.parseInt(opts.getOrDefault("port", "19100"));
    int instances = Integer.parseInt(opts.getOrDefault("instances", "1"));
    Vertx vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(instances));
    BenchUpstreams upstreams = new BenchUpstreams(vertx, GatewayLoadMain.UPSTREAMS);
    Map<String, Integer> ports = new LinkedHashMap<>();
    Map<String, String> urls = new LinkedHashMap<>();
    for (int i = 0; i < GatewayLoadMain.UPSTREAMS.size(); i++) {
      String name = GatewayLoadMain.UPSTREAMS.get(i).name();
      ports.put(name, port + 1 + i);
      urls.put(name, "http://127.0.0.1:" + (port + 1 + i) + "/" + name + "/{id}");
    }
    GatewayLoadMain.get(vertx.deployVerticle(() -> new VerticleBase() {
      @Override
      public Future<?> start() {
        return upstreams.listen(ports);
      }
    }, new DeploymentOptions().setInstances(instances)));
    GatewayLoadMain.get(vertx.createHttpServer().requestHandler(req -> control(vertx, upstreams, req))
        .listen(port, "127.0.0.1"));
    String confDir = opts.get("confDir");
    if (confDir != null) {
      for (String p : opts.getOrDefault("gatewayPorts", "").split(",")) {
        if (!p.isBlank()) {
          Files.writeString(Path.of(confDir, "gateway-" + p.trim() + ".json"),
              GatewayLoadMain.gatewayJson(urls, Integer.parseInt(p.trim())), StandardCharsets.UTF_8);
        }
      }
    }
    System.out.println("upstreams listening: control :" + port + ", " + ports + ", " + instances + " event loop(s)");
  }

  private static void control(Vertx vertx, BenchUpstreams upstreams, HttpServerRequest req) {
    switch (req.path()) {
      case "/counters":
        reply(req, counters(upstreams));
        break;
      case "/record":
        upstreams.startRecording();
        reply(req, counters(upstreams));
        break;
      case "/report": {
        long settle = Long.parseLong(req.params().get("settleMs") == null ? "500" : req.params().get("settleMs"));
        Promise<Void> settled = Promise.promise();
        vertx.setTimer(Math.max(1, settle), t -> settled.complete());
        settled.future().onComplete(v -> {
          upstreams.stopRecording();
          reply(req, failureReport(upstreams).put("counters", counters(upstreams)));
        });
        break;
      }
      default:
        req.response().setStatusCode(404).end();
    }
  }

  private static JsonObject counters(BenchUpstreams u) {
    return new JsonObject().put("started", u.started.sum()).put("answered", u.answered.sum())
        .put("aborted", u.aborted.sum()).put("inFlight", u.inFlight.sum())
        .put("connections", u.connections.sum());
  }

  /** What the siblings of each failed upstream request did after the failure; see the class comment. */
  static JsonObject failureReport(BenchUpstreams u) {
    long failures = 0;
    long ranToEnd = 0;
    long aborted = 0;
    long endedBefore = 0;
    long wastedNanos = 0;
    List<Long> abortDelays = new ArrayList<>();
    for (String id : u.ends.keySet()) {
      List<BenchUpstreams.End> list = new ArrayList<>(2);
      u.ends.computeIfPresent(id, (k, ends) -> { // the lists are appended to under compute: copy under it too
        list.addAll(ends);
        return ends;
      });
      long failedAt = Long.MAX_VALUE;
      String failedUpstream = null;
      for (BenchUpstreams.End e : list) {
        if (e.failed() && e.endedAt() < failedAt) {
          failedAt = e.endedAt();
          failedUpstream = e.upstream();
        }
      }
      if (failedUpstream == null) {
        continue;
      }
      failures++;
      for (BenchUpstreams.End e : list) {
        if (e.upstream().equals(failedUpstream)) {
          continue;
        }
        if (e.endedAt() <= failedAt) {
          endedBefore++;
        } else if (e.aborted()) {
          aborted++;
          abortDelays.add(e.endedAt() - failedAt);
        } else {
          ranToEnd++;
          wastedNanos += e.endedAt() - failedAt;
        }
      }
    }
    abortDelays.sort(null);
    return new JsonObject()
        .put("failedRequests", failures)
        .put("siblingsRanToEnd", ranToEnd)
        .put("siblingsAborted", aborted)
        .put("siblingsEndedBefore", endedBefore)
        .put("wastedUpstreamSeconds", wastedNanos / 1e9)
        .put("abortDelayMsP50", percentileMs(abortDelays, 50))
        .put("abortDelayMsP99", percentileMs(abortDelays, 99))
        .put("abortDelayMsMax", percentileMs(abortDelays, 100));
  }

  private static Double percentileMs(List<Long> sorted, double p) {
    if (sorted.isEmpty()) {
      return null;
    }
    int i = (int) Math.ceil(p / 100.0 * sorted.size()) - 1;
    return sorted.get(Math.max(0, Math.min(sorted.size() - 1, i))) / 1e6;
  }

  private static void reply(HttpServerRequest req, JsonObject body) {
    req.response().putHeader("content-type", "application/json").end(body.encode());
  }
}
