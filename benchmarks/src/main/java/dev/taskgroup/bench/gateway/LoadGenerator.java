package dev.taskgroup.bench.gateway;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import java.time.Duration;
import java.util.Arrays;
import java.util.Map;
import java.util.TreeMap;

/**
 * A closed-loop HTTP load generator on one Vert.x event loop: {@code connections} clients, each
 * sending its next request when the previous answer arrived, until {@code duration} has passed or
 * {@code maxRequests} were sent (both bounds always apply). Loopback only: the host is fixed to
 * 127.0.0.1. Latency is measured from sending to the whole body having arrived.
 *
 * <p>Every request carries a unique id as the last path segment ({@code /api/ROUTE/ID}); the time
 * each answer arrived is handed to {@code onAnswer}, so upstream work can be tied to it.
 */
public final class LoadGenerator {
  /** Called on the generator's event loop for each answer: request id, status, arrival time (nanoTime). */
  public interface AnswerListener {
    void answered(String id, int status, long at);
  }

  /** The outcome of one run; latencies in microseconds, sorted. */
  public record Result(long requests, long errors, Map<Integer, Long> statuses, double seconds, long[] latencies) {
    public double throughput() {
      return requests / seconds;
    }

    /** {@return the latency percentile {@code p} (0-100) in milliseconds} */
    public double percentileMs(double p) {
      if (latencies.length == 0) {
        return Double.NaN;
      }
      int i = (int) Math.ceil(p / 100.0 * latencies.length) - 1;
      return latencies[Math.max(0, Math.min(latencies.length - 1, i))] / 1000.0;
    }
  }

  private final Vertx vertx;
  private final int port;
  private final String route;
  private final int connections;
  private final long durationNanos;
  private final int maxRequests;
  private final AnswerListener onAnswer;

  // Written and read on the generator's context only.
  private HttpClientAgent client;
  private long[] latencies;
  private int recorded;
  private long sent;
  private long errors;
  private final Map<Integer, Long> statuses = new TreeMap<>();
  private long startedAt;
  private long deadline;
  private int activeLoops;
  private Promise<Result> done;
  private long idBase;

  public LoadGenerator(Vertx vertx, int port, String route, int connections, Duration duration, int maxRequests,
                       long idBase, AnswerListener onAnswer) {
    this.vertx = vertx;
    this.port = port;
    this.route = route;
    this.connections = connections;
    this.durationNanos = duration.toNanos();
    this.maxRequests = maxRequests;
    this.idBase = idBase;
    this.onAnswer = onAnswer;
  }

  /** Runs the load; {@return the result once every client has stopped} Call from any thread. */
  public Future<Result> run() {
    Context context = vertx.getOrCreateContext();
    Promise<Result> p = Promise.promise();
    context.runOnContext(v -> {
      done = p;
      client = vertx.createHttpClient(new HttpClientOptions().setKeepAlive(true).setIdleTimeout(30),
          new PoolOptions().setHttp1MaxSize(connections));
      latencies = new long[maxRequests];
      startedAt = System.nanoTime();
      deadline = startedAt + durationNanos;
      activeLoops = connections;
      for (int i = 0; i < connections; i++) {
        next();
      }
    });
    return p.future();
  }

  private void next() {
    long now = System.nanoTime();
    if (now - deadline >= 0 || sent >= maxRequests) {
      if (--activeLoops == 0) {
        finish(now);
      }
      return;
    }
    String id = Long.toString(idBase + sent++);
    long t0 = now;
    client.request(HttpMethod.GET, port, "127.0.0.1", route + id)
        .compose(req -> req.idleTimeout(10_000).send())
        .compose(resp -> resp.body().map(body -> resp.statusCode()))
        .onComplete((status, error) -> {
          long t1 = System.nanoTime();
          if (error != null) {
            errors++;
          } else {
            statuses.merge(status, 1L, Long::sum);
            if (onAnswer != null) {
              onAnswer.answered(id, status, t1);
            }
          }
          latencies[recorded++] = (t1 - t0) / 1000;
          next();
        });
  }

  private void finish(long now) {
    long[] l = Arrays.copyOf(latencies, recorded);
    latencies = null;
    Arrays.sort(l);
    Result r = new Result(recorded, errors, new TreeMap<>(statuses), (now - startedAt) / 1e9, l);
    client.close().onComplete((v, e) -> done.complete(r));
  }
}
