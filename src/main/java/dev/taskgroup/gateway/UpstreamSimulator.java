package dev.taskgroup.gateway;

import dev.taskgroup.TaskScope;
import dev.taskgroup.eventbus.ScopedEventBus;
import dev.taskgroup.http.DeadlineHeader;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Simulated upstreams for the gateway's demo: one HTTP server per configured upstream that answers
 * any GET with JSON after a latency drawn uniformly in [min, max], or 503 at its failure rate; for
 * an {@code eventbus:ADDRESS} upstream, a {@link ScopedEventBus#serve service} on that address of
 * the bus this verticle is deployed on (local, or clustered: then the gateway may run on another
 * node), answering the same way (503 as a failure reply's code).
 *
 * <pre>{@code
 * vertx.deployVerticle(new UpstreamSimulator(config))   // before the gateway
 * }</pre>
 *
 * <p>It honours the caller's deadline header ({@value DeadlineHeader#NAME}): it never holds a
 * request much longer than the time the caller has left, answering 504 shortly after it instead
 * (the caller has normally reset the request by then, which cancels the answer). A request whose connection closes while it waits costs
 * nothing more: its timer is cancelled. An upstream that some optional call falls back to an array
 * for ({@code "fallback": []}) answers an array, so that the real value and the fallback have the
 * same shape.
 */
public final class UpstreamSimulator extends VerticleBase {
  /** How long past the caller's deadline a late answer waits: the caller resets first, normally. */
  static final long DEADLINE_GRACE_MS = 25;

  private final GatewayConfig config;
  private final Map<String, HttpServer> servers = new LinkedHashMap<>(); // written in start()

  /** Simulates the upstreams of {@code config.simulator()}. */
  public UpstreamSimulator(GatewayConfig config) {
    this.config = config;
  }

  /** {@return the port each simulated upstream listens on, by name} */
  public Map<String, Integer> actualPorts() {
    Map<String, Integer> ports = new LinkedHashMap<>();
    servers.forEach((name, server) -> ports.put(name, server.actualPort()));
    return Collections.unmodifiableMap(ports);
  }

  @Override
  public Future<?> start() {
    List<Future<?>> listening = new ArrayList<>();
    for (GatewayConfig.SimulatedUpstream sim : config.simulator().upstreams().values()) {
      boolean array = answersArray(sim.name());
      String address = config.upstreams().get(sim.name()).url().eventBusAddress();
      if (address != null) {
        listening.add(ScopedEventBus.serve(vertx, address, (scope, msg) -> answer(sim, array, scope, msg)));
        continue;
      }
      HttpServer server = vertx.createHttpServer().requestHandler(req -> answer(sim, array, req));
      servers.put(sim.name(), server);
      String host = config.upstreams().get(sim.name()).url().host();
      listening.add(server.listen(sim.port(), host));
    }
    return Future.all(listening);
  }

  private boolean answersArray(String upstream) {
    for (GatewayConfig.Route route : config.routes()) {
      for (GatewayConfig.Call call : route.calls()) {
        if (call.upstream().equals(upstream) && call.fallbackJson().startsWith("[")) {
          return true;
        }
      }
    }
    return false;
  }

  private void answer(GatewayConfig.SimulatedUpstream sim, boolean array, HttpServerRequest req) {
    ThreadLocalRandom random = ThreadLocalRandom.current();
    long latency = latency(sim, random);
    boolean fail = random.nextDouble() < sim.failureRate();
    Optional<Duration> deadline = DeadlineHeader.read(req);
    boolean late = deadline.isPresent() && deadline.get().toMillis() < latency;
    long wait = late ? deadline.get().toMillis() + DEADLINE_GRACE_MS : latency;
    HttpServerResponse resp = req.response();
    resp.putHeader(HttpHeaders.CONTENT_TYPE, "application/json");
    Runnable reply = () -> {
      if (resp.closed() || resp.ended()) {
        return;
      }
      if (late) {
        resp.setStatusCode(504).end(new JsonObject().put("error", "deadline_exceeded").toBuffer());
      } else if (fail) {
        resp.setStatusCode(503).end(new JsonObject().put("error", "simulated_failure").toBuffer());
      } else {
        resp.end(array ? items(sim.name(), req.path(), latency).toBuffer() : item(sim.name(), req.path(), latency).toBuffer());
      }
    };
    if (wait <= 0) {
      reply.run();
      return;
    }
    long timer = vertx.setTimer(wait, id -> reply.run());
    resp.closeHandler(v -> vertx.cancelTimer(timer));
  }

  /**
   * The event-bus twin of the HTTP answer: the same latency and failure draw, as a service of this
   * verticle, so the caller's deadline and cancel end the wait ({@link ScopedEventBus#serve}).
   */
  private Future<Object> answer(GatewayConfig.SimulatedUpstream sim, boolean array, TaskScope scope,
                                Message<Object> msg) {
    ThreadLocalRandom random = ThreadLocalRandom.current();
    long latency = latency(sim, random);
    boolean fail = random.nextDouble() < sim.failureRate();
    String path = "eventbus:" + msg.address() + " " + msg.body();
    Future<Void> waited = latency > 0 ? scope.sleep(Duration.ofMillis(latency)) : Future.succeededFuture();
    return waited.compose(v -> fail
        ? Future.failedFuture(new ReplyException(ReplyFailure.RECIPIENT_FAILURE, 503, "simulated_failure"))
        : Future.succeededFuture(array ? items(sim.name(), path, latency) : item(sim.name(), path, latency)));
  }

  private static long latency(GatewayConfig.SimulatedUpstream sim, ThreadLocalRandom random) {
    return sim.minLatencyMs() + (sim.maxLatencyMs() > sim.minLatencyMs()
        ? random.nextLong(sim.maxLatencyMs() - sim.minLatencyMs() + 1) : 0);
  }

  private static JsonObject item(String upstream, String path, long latency) {
    return new JsonObject().put("upstream", upstream).put("path", path).put("latencyMs", latency);
  }

  private static JsonArray items(String upstream, String path, long latency) {
    JsonArray out = new JsonArray();
    for (int i = 1; i <= 3; i++) {
      out.add(item(upstream, path, latency).put("item", i));
    }
    return out;
  }
}
