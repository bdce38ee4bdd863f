package dev.taskgroup.bench.gateway;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.LongAdder;

/**
 * Simulated upstreams for the load benchmark, on loopback: each answers {@code GET /NAME/ID} with a
 * small JSON object after a latency drawn uniformly in [min, max] ms (0: at once), or 503 at its failure rate,
 * and records how every request ended: answered, or aborted by the caller (the connection closed
 * first: its timer is cancelled, so an abort really saves the work).
 *
 * <p>The last path segment is the client request's id (the gateway fills it from its path
 * parameter), which ties each upstream request to the client request that caused it; see
 * {@link #answeredAt} and {@link LoadReport}.
 */
public final class BenchUpstreams {
  /** One simulated upstream. */
  public record Spec(String name, long minMs, long maxMs, double failureRate) {}

  /**
   * How one upstream request ended, in {@link System#nanoTime()}: aborted by the caller, or
   * answered ({@code failed}: with the simulated 503).
   */
  public record End(String upstream, long startedAt, long endedAt, boolean aborted, boolean failed) {}

  private final Vertx vertx;
  private final Map<String, Spec> specs = new LinkedHashMap<>();
  private final Map<String, Integer> ports = new LinkedHashMap<>();
  private final List<HttpServer> servers = new ArrayList<>();

  /** Ended upstream requests by client request id; recording is switched on per measured run. */
  final Map<String, List<End>> ends = new ConcurrentHashMap<>();
  volatile boolean recording;
  final LongAdder inFlight = new LongAdder();
  final LongAdder started = new LongAdder();
  final LongAdder answered = new LongAdder();
  final LongAdder aborted = new LongAdder();
  /** Connections the upstreams accepted: a caller that resets an HTTP/1.1 request loses its connection. */
  final LongAdder connections = new LongAdder();

  public BenchUpstreams(Vertx vertx, List<Spec> upstreams) {
    this.vertx = vertx;
    for (Spec s : upstreams) {
      specs.put(s.name(), s);
    }
  }

  public Future<BenchUpstreams> start() {
    List<Future<?>> listening = new ArrayList<>();
    for (Spec spec : specs.values()) {
      HttpServer server = vertx.createHttpServer().requestHandler(req -> handle(spec, req));
      servers.add(server);
      listening.add(server.listen(0, "127.0.0.1").onSuccess(s -> {
        synchronized (ports) {
          ports.put(spec.name(), s.actualPort());
        }
      }));
    }
    return Future.all(listening).map(v -> this);
  }

  /**
   * Listens with every upstream on its port in {@code fixedPorts}, on the caller's context. Called
   * from the start of each instance of a verticle deployed several times, it spreads the
   * connections over those instances' event loops (Vert.x shares a port between the servers of one
   * process); the counters and records stay shared.
   */
  public Future<Void> listen(Map<String, Integer> fixedPorts) {
    List<Future<?>> listening = new ArrayList<>();
    for (Spec spec : specs.values()) {
      Integer port = fixedPorts.get(spec.name());
      if (port == null) {
        throw new IllegalArgumentException("no port for upstream " + spec.name() + " in " + fixedPorts);
      }
      HttpServer server = vertx.createHttpServer().connectionHandler(c -> connections.increment())
          .requestHandler(req -> handle(spec, req));
      synchronized (servers) {
        servers.add(server);
      }
      listening.add(server.listen(port, "127.0.0.1"));
      synchronized (ports) {
        ports.put(spec.name(), port);
      }
    }
    return Future.all(listening).mapEmpty();
  }

  /** {@return the URL template of upstream {@code name}, with an {@code {id}} placeholder} */
  public String url(String name) {
    synchronized (ports) {
      return "http://127.0.0.1:" + ports.get(name) + "/" + name + "/{id}";
    }
  }

  public int port(String name) {
    synchronized (ports) {
      return ports.get(name);
    }
  }

  /** Forgets what was recorded and starts recording (for one measured run). */
  public void startRecording() {
    ends.clear();
    recording = true;
  }

  public void stopRecording() {
    recording = false;
  }

  private void handle(Spec spec, HttpServerRequest req) {
    String path = req.path();
    String id = path.substring(path.lastIndexOf('/') + 1);
    long t0 = System.nanoTime();
    started.increment();
    inFlight.increment();
    ThreadLocalRandom random = ThreadLocalRandom.current();
    long delay = spec.minMs() + (spec.maxMs() > spec.minMs() ? random.nextLong(spec.maxMs() - spec.minMs() + 1) : 0);
    boolean fail = random.nextDouble() < spec.failureRate();
    if (delay == 0) { // answer in this turn: no timer, nothing to abort
      end(spec, id, t0, false, fail);
      respond(spec, id, fail, req);
      return;
    }
    boolean[] done = new boolean[1]; // this server's event loop only
    long timer = vertx.setTimer(delay, t -> {
      if (done[0]) {
        return;
      }
      done[0] = true;
      end(spec, id, t0, false, fail);
      respond(spec, id, fail, req);
    });
    req.response().closeHandler(v -> {
      if (!done[0]) {
        done[0] = true;
        vertx.cancelTimer(timer);
        end(spec, id, t0, true, false);
      }
    });
  }

  private static void respond(Spec spec, String id, boolean fail, HttpServerRequest req) {
    if (fail) {
      req.response().setStatusCode(503).putHeader("content-type", "application/json")
          .end("{\"error\":\"simulated failure\"}");
    } else {
      req.response().putHeader("content-type", "application/json")
          .end("{\"upstream\":\"" + spec.name() + "\",\"id\":\"" + id + "\",\"value\":42}");
    }
  }

  private void end(Spec spec, String id, long t0, boolean wasAborted, boolean failed) {
    inFlight.decrement();
    (wasAborted ? aborted : answered).increment();
    if (recording) {
      End e = new End(spec.name(), t0, System.nanoTime(), wasAborted, failed);
      ends.compute(id, (k, list) -> { // atomic per id: the upstreams run on different event loops
        List<End> l = list != null ? list : new ArrayList<>(2);
        l.add(e);
        return l;
      });
    }
  }
}
