package dev.taskgroup.bench;

import dev.taskgroup.HedgeOptions;
import dev.taskgroup.TaskFn;
import dev.taskgroup.TaskGroup;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/**
 * The tail-latency experiment of issue 12: an upstream whose latency has a long tail (99% of calls
 * take {@code base} ms, 1% take 20x that), called by requests at a fixed concurrency, once without
 * hedging and once hedged (a second attempt past the p95 of this hedge's own recent latencies,
 * clamped to [1 ms, 4 x base]); the losing attempt is cancelled, its latency (a scope sleep, as
 * scope-bound I/O would be) ends at once. Prints p50/p99/p99.9 of request latency for both and the
 * extra load hedging adds (attempts per request). The latency draw is seeded: both modes see the
 * same sequence of upstream latencies per attempt number.
 *
 * <pre>java -cp benchmarks/target/benchmarks.jar dev.taskgroup.bench.TailLatencyMain [requests] [concurrency] [baseMs]</pre>
 */
public final class TailLatencyMain {
  private TailLatencyMain() {}

  public static void main(String[] args) throws Exception {
    int requests = args.length > 0 ? Integer.parseInt(args[0]) : 20_000;
    int concurrency = args.length > 1 ? Integer.parseInt(args[1]) : 50;
    int base = args.length > 2 ? Integer.parseInt(args[2]) : 5;
    try (EventLoop loop = new EventLoop()) {
      run(loop.vertx, "warm-up", requests / 4, concurrency, base, false);
      run(loop.vertx, "warm-up", requests / 4, concurrency, base, true);
      Result plain = run(loop.vertx, "plain", requests, concurrency, base, false);
      Result hedged = run(loop.vertx, "hedged", requests, concurrency, base, true);
      System.out.printf("%nupstream: 99%% of calls %d ms, 1%% %d ms; %d requests, %d in flight%n", base, base * 20, requests, concurrency);
      System.out.println("| mode | p50 ms | p99 ms | p99.9 ms | max ms | attempts per request | losers cancelled |");
      System.out.println("|---|---:|---:|---:|---:|---:|---:|");
      plain.print();
      hedged.print();
      System.out.printf("p99 hedged/plain: %.2f; p99.9 hedged/plain: %.2f; extra load: %.1f%%%n",
          hedged.pct(0.99) / plain.pct(0.99), hedged.pct(0.999) / plain.pct(0.999), (hedged.attemptsPerRequest() - 1) * 100);
    }
  }

  record Result(String mode, double[] millis, long attempts, long cancelled) {
    double pct(double p) {
      return millis[Math.min(millis.length - 1, (int) Math.ceil(p * millis.length) - 1)];
    }

    double attemptsPerRequest() {
      return (double) attempts / millis.length;
    }

    void print() {
      System.out.printf("| %s | %.1f | %.1f | %.1f | %.1f | %.3f | %d |%n", mode, pct(0.5), pct(0.99), pct(0.999),
          millis[millis.length - 1], attemptsPerRequest(), cancelled);
    }
  }

  static Result run(Vertx vertx, String mode, int requests, int concurrency, int base, boolean hedge) throws Exception {
    SplittableRandom random = new SplittableRandom(42);
    double[] millis = new double[requests];
    long[] attempts = {0};
    long[] cancelled = {0};
    TaskFn<Integer> call = scope -> {
      attempts[0]++;
      int latency = random.nextInt(100) == 0 ? base * 20 : base;
      scope.onCancel(c -> cancelled[0]++);
      return scope.sleep(Duration.ofMillis(latency)).map(latency);
    };
    TaskFn<Integer> fn = hedge
        ? call.hedged(new HedgeOptions().setMaxAttempts(2).setAdaptiveDelay(95, Duration.ofMillis(1), Duration.ofMillis(4L * base)))
        : call;
    Promise<Void> done = Promise.promise();
    int[] started = {0};
    int[] finished = {0};
    Runnable[] next = new Runnable[1];
    next[0] = () -> {
      int i = started[0]++;
      long t0 = System.nanoTime();
      TaskGroup.run(vertx, g -> g.spawn(fn).future()).onComplete(ar -> {
        millis[i] = (System.nanoTime() - t0) / 1e6;
        if (++finished[0] == requests) {
          done.complete();
        } else if (started[0] < requests) {
          next[0].run();
        }
      });
    };
    vertx.getOrCreateContext().runOnContext(v -> {
      for (int c = 0; c < concurrency && c < requests; c++) {
        next[0].run();
      }
    });
    done.future().await(10, TimeUnit.MINUTES);
    Arrays.sort(millis);
    return new Result(mode, millis, attempts[0], cancelled[0]);
  }
}
