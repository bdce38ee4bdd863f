package dev.taskgroup.bench;

import dev.taskgroup.TaskFn;
import dev.taskgroup.TaskGroup;
import io.smallrye.mutiny.Uni;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.kotlin.coroutines.VertxCoroutineKt;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BiFunction;

/**
 * Fail fast with N-1 siblings asleep: task 0 fails on the first event-loop turn after all N were
 * started, the others sleep {@code sleepMs} and then do their "work" (count themselves). Each
 * contender sleeps the way its users would:
 *
 * <ul>
 *   <li>{@code taskgroup}, {@code TaskGroup.all}: siblings sleep on {@code TaskScope.sleep}.
 *   <li>{@code future}, {@code Future.all}: siblings wait on {@code vertx.setTimer} (nothing cancels
 *       them: the contrast).
 *   <li>{@code kotlin}, {@code coroutineScope} + {@code async} on the loop's Vert.x dispatcher:
 *       siblings {@code delay} (a Vert.x timer), see {@code KotlinPeers.failFast}.
 *   <li>{@code mutiny}, {@code Uni.join().all().andFailFast()}: siblings
 *       {@code onItem().delayIt().by(sleep)} (Mutiny's default scheduler), then {@code emitOn} the
 *       loop for their work.
 *   <li>{@code sts} (JDK 25 jar only, {@code StructuredFailFastMain}): virtual threads in a
 *       {@code StructuredTaskScope}, siblings {@code Thread.sleep}; task 0 awaits ({@code Future.await})
 *       a promise the loop fails, once every sibling has started.
 * </ul>
 * Reported per contender: time from the failure to the contender's result (for the structured ones,
 * every sibling cancelled and settled), time from the failure until the last sibling's work ran (the
 * real end of the work), and how many siblings still ran their work after the failure. Each round
 * waits {@code sleepMs} plus a margin after the answer before counting, so late work would be seen.
 * Usage: {@code java -cp benchmarks.jar dev.taskgroup.bench.FailFastMain [n=100000]
 * [sleepMs=1000] [rounds=10] [warmup=5] [contenders=taskgroup,future]}, contenders from
 * {@code taskgroup,future,kotlin,mutiny} ({@code ,sts} with the JDK 25 main).
 */
public final class FailFastMain {
  /** What a contender's round calls: the failing task 0, a sibling's start, a sibling's work after its sleep. Callable from any thread. */
  public interface Probe {
    /** {@return a future the event loop fails on its next turn} (the moment of the failure is recorded then). */
    Future<Integer> failing();

    /** A sibling has started (before its sleep). */
    void started();

    /** A sibling's work after its sleep: records it (and whether it came after the failure); {@return i}. */
    int work(int i);
  }

  /** One contender: starts a round of {@code n} tasks on the event loop ({@link #start}), its future failing once the contender has its result. */
  public record Contender(String name, BiFunction<FailFastMain, Probe, Future<?>> start) {}

  final EventLoop loop;
  final int n;
  final long sleepMs;
  private final Probe probe = new Probe() {
    @Override
    public Future<Integer> failing() {
      return FailFastMain.this.failing();
    }

    @Override
    public void started() {
      siblingsStarted.incrementAndGet();
    }

    @Override
    public int work(int i) {
      return FailFastMain.this.work(i);
    }
  };

  // Written by the loop (or a contender's threads), read by the main thread after a round trip
  // through the loop; atomic and volatile because the virtual-thread contender writes them from
  // many threads (a cost every contender pays alike, and only for siblings that run).
  private volatile long failedAt;
  private volatile long answeredAt;
  private final AtomicLong lastWorkAt = new AtomicLong();
  private final AtomicInteger workAfterFailure = new AtomicInteger();
  private final AtomicInteger siblingsStarted = new AtomicInteger();

  private FailFastMain(EventLoop loop, int n, long sleepMs) {
    this.loop = loop;
    this.n = n;
    this.sleepMs = sleepMs;
  }

  public static void main(String[] args) throws Exception {
    run(args, Map.of());
  }

  /** Runs the contenders named in {@code args[4]} (default {@code taskgroup,future}) from the built-in ones and {@code extra}. */
  static void run(String[] args, Map<String, Contender> extra) throws Exception {
    int n = args.length > 0 ? Integer.parseInt(args[0]) : 100_000;
    long sleepMs = args.length > 1 ? Long.parseLong(args[1]) : 1000;
    int rounds = args.length > 2 ? Integer.parseInt(args[2]) : 10;
    int warmup = args.length > 3 ? Integer.parseInt(args[3]) : 5;
    List<String> names = List.of((args.length > 4 ? args[4] : "taskgroup,future").split(","));
    Map<String, Contender> all = new LinkedHashMap<>();
    all.put("taskgroup", new Contender("TaskGroup.all (TaskScope.sleep)", (b, p) -> TaskGroup.all(b.loop.vertx, b.functions())));
    all.put("future", new Contender("Future.all (vertx.setTimer)", (b, p) -> Future.all(b.futures())));
    all.put("kotlin", new Contender("Kotlin coroutineScope (delay)",
        (b, p) -> KotlinPeers.failFast(VertxCoroutineKt.dispatcher(b.loop.context), p, b.n, b.sleepMs)));
    all.put("mutiny", new Contender("Mutiny join.andFailFast (delayIt)", (b, p) -> b.mutiny()));
    all.putAll(extra);
    try (EventLoop loop = new EventLoop()) {
      FailFastMain bench = new FailFastMain(loop, n, sleepMs);
      System.out.printf(Locale.ROOT, "fail fast: n=%d, siblings sleep %d ms, %d warm-up + %d measured rounds each%n",
          n, sleepMs, warmup, rounds);
      for (String name : names) {
        Contender c = all.get(name);
        if (c == null) {
          throw new IllegalArgumentException("unknown contender " + name + ", known: " + all.keySet());
        }
        boolean contrast = name.equals("future"); // its siblings all run to the end: fewer rounds tell as much
        bench.report(c, contrast ? Math.min(warmup, 2) : warmup, contrast ? Math.min(rounds, 5) : rounds);
      }
    } finally {
      MutinyTimerRetentionMain.shutdownMutiny();
    }
  }

  private void report(Contender c, int warmup, int rounds) throws Exception {
    for (int i = 0; i < warmup; i++) {
      round(c);
    }
    double[] answer = new double[rounds];
    double[] workEnd = new double[rounds];
    int[] after = new int[rounds];
    int started = 0;
    for (int i = 0; i < rounds; i++) {
      round(c);
      answer[i] = (answeredAt - failedAt) / 1e6;
      long last = lastWorkAt.get();
      workEnd[i] = last == 0 ? 0 : (Math.max(last, answeredAt) - failedAt) / 1e6;
      after[i] = workAfterFailure.get();
      started = siblingsStarted.get();
    }
    System.out.printf(Locale.ROOT,
        "%-34s failure->answer ms: median %.2f max %.2f | failure->last sibling work ms: median %.2f | "
            + "siblings started %d, ran work after the failure: median %d max %d%n",
        c.name(), median(answer), max(answer), median(workEnd), started, medianInt(after), maxInt(after));
  }

  private void round(Contender c) throws Exception {
    CompletableFuture<Void> answered = new CompletableFuture<>();
    loop.context.runOnContext(v -> {
      failedAt = 0;
      answeredAt = 0;
      lastWorkAt.set(0);
      workAfterFailure.set(0);
      siblingsStarted.set(0);
      Future<?> f = c.start().apply(this, probe);
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

  /** Mutiny: task 0 fails with the loop, the siblings {@code delayIt} on Mutiny's scheduler, then hop back to the loop for their work. */
  private Future<List<Integer>> mutiny() {
    Executor onLoop = command -> loop.context.runOnContext(v -> command.run());
    Duration sleep = Duration.ofMillis(sleepMs);
    List<Uni<Integer>> unis = new ArrayList<>(n);
    unis.add(Uni.createFrom().emitter(em -> failing().onComplete(em::complete, em::fail)));
    for (int i = 1; i < n; i++) {
      int k = i;
      unis.add(Uni.createFrom().item(() -> {
            probe.started();
            return k;
          })
          .onItem().delayIt().by(sleep)
          .emitOn(onLoop)
          .map(this::work));
    }
    Promise<List<Integer>> p = Promise.promise();
    Uni.join().all(unis).andFailFast().subscribe().with(p::complete, p::fail);
    return p.future();
  }

  Future<Integer> failing() {
    Promise<Integer> p = Promise.promise();
    loop.context.runOnContext(v -> {
      failedAt = System.nanoTime();
      p.fail(new IllegalStateException("task 0 failed"));
    });
    return p.future();
  }

  int work(int i) {
    long now = System.nanoTime();
    lastWorkAt.accumulateAndGet(now, Math::max);
    if (failedAt != 0) {
      workAfterFailure.incrementAndGet();
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
        probe.started();
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
      probe.started();
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
