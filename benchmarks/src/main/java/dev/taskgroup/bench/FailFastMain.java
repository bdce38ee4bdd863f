package dev.taskgroup.bench;

import dev.taskgroup.TaskFn;
import dev.taskgroup.TaskGroup;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;

/**
 * Fail fast with N-1 siblings asleep: task 0 fails on the first event-loop turn after all N were
 * started, the others sleep {@code sleepMs} and then do their "work" (count themselves).
 *
 * <ul>
 *   <li>{@code TaskGroup.all}: siblings sleep on {@code TaskScope.sleep}. Reported: time from the
 *       failure to the group's completion (every sibling cancelled and settled), and how many
 *       siblings still ran their work after the failure.
 *   <li>{@code Future.all}: siblings wait on {@code vertx.setTimer}. Reported: time from the
 *       failure to the combined future failing, time from the failure until the last sibling's
 *       work ran (the real end of the work), and how many siblings ran work after the failure.
 * </ul>
 * Each round waits {@code sleepMs} plus a margin after the answer before counting, so late work
 * would be seen. Usage: {@code java -cp benchmarks.jar dev.taskgroup.bench.FailFastMain
 * [n=100000] [sleepMs=1000] [rounds=10] [warmup=5]}.
 */
public final class FailFastMain {
  private final EventLoop loop;
  private final int n;
  private final long sleepMs;

  // Written on the event loop; read by the main thread after a full round trip through it.
  private long failedAt;
  private long answeredAt;
  private long lastWorkAt;
  private int workAfterFailure;
  private int siblingsStarted;

  private FailFastMain(EventLoop loop, int n, long sleepMs) {
    this.loop = loop;
    this.n = n;
    this.sleepMs = sleepMs;
  }

  public static void main(String[] args) throws Exception {
    int n = args.length > 0 ? Integer.parseInt(args[0]) : 100_000;
    long sleepMs = args.length > 1 ? Long.parseLong(args[1]) : 1000;
    int rounds = args.length > 2 ? Integer.parseInt(args[2]) : 10;
    int warmup = args.length > 3 ? Integer.parseInt(args[3]) : 5;
    try (EventLoop loop = new EventLoop()) {
      FailFastMain bench = new FailFastMain(loop, n, sleepMs);
      System.out.printf(Locale.ROOT, "fail fast: n=%d, siblings sleep %d ms, %d warm-up + %d measured rounds each%n",
          n, sleepMs, warmup, rounds);
      bench.report("TaskGroup.all (TaskScope.sleep)", true, warmup, rounds);
      bench.report("Future.all (vertx.setTimer)", false, Math.min(warmup, 2), Math.min(rounds, 5));
    }
  }

  private void report(String name, boolean group, int warmup, int rounds) throws Exception {
    for (int i = 0; i < warmup; i++) {
      round(group);
    }
    double[] answer = new double[rounds];
    double[] workEnd = new double[rounds];
    int[] after = new int[rounds];
    int started = 0;
    for (int i = 0; i < rounds; i++) {
      round(group);
      answer[i] = (answeredAt - failedAt) / 1e6;
      workEnd[i] = lastWorkAt == 0 ? 0 : (Math.max(lastWorkAt, answeredAt) - failedAt) / 1e6;
      after[i] = workAfterFailure;
      started = siblingsStarted;
    }
    System.out.printf(Locale.ROOT,
        "%-34s failure->answer ms: median %.2f max %.2f | failure->last sibling work ms: median %.2f | "
            + "siblings started %d, ran work after the failure: median %d max %d%n",
        name, median(answer), max(answer), median(workEnd), started, medianInt(after), maxInt(after));
  }

  private void round(boolean group) throws Exception {
    CompletableFuture<Void> answered = new CompletableFuture<>();
    loop.context.runOnContext(v -> {
      failedAt = 0;
      answeredAt = 0;
      lastWorkAt = 0;
      workAfterFailure = 0;
      siblingsStarted = 0;
      Future<?> f = group ? TaskGroup.all(loop.vertx, functions()) : Future.all(futures());
      f.onComplete((r, e) -> {
        answeredAt = System.nanoTime();
        if (e == null) {
          answered.completeExceptionally(new AssertionError("expected a failure"));
        } else {
          answered.complete(null);
        }
      });
    });
    answered.get();
    Thread.sleep(sleepMs + 300); // any sibling work not stopped would run in this window
    CompletableFuture<Void> sync = new CompletableFuture<>();
    loop.context.runOnContext(v -> sync.complete(null)); // happens-before for the fields above
    sync.get();
  }

  private Future<Integer> failing() {
    Promise<Integer> p = Promise.promise();
    loop.context.runOnContext(v -> {
      failedAt = System.nanoTime();
      p.fail(new IllegalStateException("task 0 failed"));
    });
    return p.future();
  }

  private int work(int i) {
    lastWorkAt = System.nanoTime();
    if (failedAt != 0) {
      workAfterFailure++;
    }
    return i;
  }

  private List<TaskFn<Integer>> functions() {
    List<TaskFn<Integer>> fns = new ArrayList<>(n);
    fns.add(scope -> failing());
    Duration sleep = Duration.ofMillis(sleepMs);
    for (int i = 1; i < n; i++) {
      int k = i;
      fns.add(scope -> {
        siblingsStarted++;
        return scope.sleep(sleep).map(v -> work(k));
      });
    }
    return fns;
  }

  private List<Future<Integer>> futures() {
    List<Future<Integer>> fs = new ArrayList<>(n);
    fs.add(failing());
    for (int i = 1; i < n; i++) {
      int k = i;
      Promise<Integer> p = Promise.promise();
      siblingsStarted++;
      loop.vertx.setTimer(sleepMs, t -> p.complete(work(k)));
      fs.add(p.future());
    }
    return fs;
  }

  private static double median(double[] xs) {
    double[] s = xs.clone();
    Arrays.sort(s);
    return s[s.length / 2];
  }

  private static double max(double[] xs) {
    return Arrays.stream(xs).max().orElse(0);
  }

  private static int medianInt(int[] xs) {
    int[] s = xs.clone();
    Arrays.sort(s);
    return s[s.length / 2];
  }

  private static int maxInt(int[] xs) {
    return Arrays.stream(xs).max().orElse(0);
  }
}
