package dev.taskgroup.bench;

import dev.taskgroup.HedgeOptions;
import dev.taskgroup.RetryOptions;
import dev.taskgroup.TaskFn;
import dev.taskgroup.TaskGroup;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * What a retry or a hedge costs when it never fires (issue 12: at most 1.2x of
 * {@code TaskGroup.all} per task at N = 100,000): the same N async tasks as
 * {@link FanOutBenchmark}, joined by {@code TaskGroup.all}, bare, each {@code retried} (every
 * attempt succeeds, so no backoff and no second attempt), and each {@code hedged} with a delay
 * that never passes during the operation. Same shape, same reps, same event loop as the fan-out.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"-Xms2g", "-Xmx2g"})
public class ResilienceBenchmark {
  static final RetryOptions RETRY = new RetryOptions().setMaxAttempts(3);
  static final HedgeOptions HEDGE = new HedgeOptions().setMaxAttempts(2).setDelay(Duration.ofSeconds(60));

  @Param({"1000", "100000"})
  public int n;

  EventLoop loop;
  Vertx vertx;
  int reps;

  @Setup(Level.Trial)
  public void setUp() {
    loop = new EventLoop();
    vertx = loop.vertx;
    reps = FanOutBenchmark.reps(n);
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    loop.close();
  }

  @Benchmark
  public Object taskGroupAll() {
    return loop.await(reps, () -> {
      List<TaskFn<Integer>> fns = loop.taskFns(n);
      return TaskGroup.all(vertx, fns);
    });
  }

  @Benchmark
  public Object taskGroupAllRetried() {
    return loop.await(reps, () -> {
      List<TaskFn<Integer>> fns = new ArrayList<>(n);
      for (int i = 0; i < n; i++) {
        int k = i;
        TaskFn<Integer> fn = scope -> loop.task(k);
        fns.add(fn.retried(RETRY));
      }
      return TaskGroup.all(vertx, fns);
    });
  }

  @Benchmark
  public Object taskGroupAllHedged() {
    return loop.await(reps, () -> {
      List<TaskFn<Integer>> fns = new ArrayList<>(n);
      for (int i = 0; i < n; i++) {
        int k = i;
        TaskFn<Integer> fn = scope -> loop.task(k);
        fns.add(fn.hedged(HEDGE));
      }
      return TaskGroup.all(vertx, fns);
    });
  }
}
