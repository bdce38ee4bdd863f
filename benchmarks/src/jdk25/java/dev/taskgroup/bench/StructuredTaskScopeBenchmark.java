package dev.taskgroup.bench;

import io.vertx.core.Promise;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.StructuredTaskScope;
import java.util.concurrent.StructuredTaskScope.Joiner;
import java.util.concurrent.StructuredTaskScope.Subtask;
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
 * The JDK 25 peer (a preview API; built only by the {@code jdk25} profile): the same N async units
 * as {@link FanOutBenchmark}, each forked as a virtual thread that blocks until the event loop
 * completes its future ({@code runOnContext}), joined by a {@link StructuredTaskScope} with
 * {@link Joiner#allSuccessfulOrThrow()} (fail fast, like {@code TaskGroup.all}). The scope's owner
 * is the benchmark thread, as a structured scope must be: it cannot run on the event loop.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"-Xms2g", "-Xmx2g", "--enable-preview"})
public class StructuredTaskScopeBenchmark {
  @Param({"10", "1000", "100000"})
  public int n;

  EventLoop loop;

  @Setup(Level.Trial)
  public void setUp() {
    loop = new EventLoop();
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    loop.close();
  }

  @Benchmark
  public Object structuredTaskScope() throws InterruptedException {
    try (var scope = StructuredTaskScope.open(Joiner.<Integer>allSuccessfulOrThrow())) {
      for (int i = 0; i < n; i++) {
        int k = i;
        scope.fork(() -> {
          CompletableFuture<Integer> cf = new CompletableFuture<>();
          loop.context.runOnContext(v -> cf.complete(k));
          return cf.join();
        });
      }
      List<Integer> results = scope.join().map(Subtask::get).toList();
      if (results.size() != n) {
        throw new AssertionError(results.size());
      }
      return results;
    }
  }

  /**
   * The same with Vert.x 5's blocking-style {@code Future.await()}: each virtual thread waits on the
   * Vert.x promise the loop completes (on a thread that is not Vert.x's, {@code await} parks on a
   * latch), as blocking-style Vert.x code on virtual threads is written.
   */
  @Benchmark
  public Object structuredTaskScopeAwait() throws InterruptedException {
    try (var scope = StructuredTaskScope.open(Joiner.<Integer>allSuccessfulOrThrow())) {
      for (int i = 0; i < n; i++) {
        int k = i;
        scope.fork(() -> {
          Promise<Integer> p = Promise.promise();
          loop.context.runOnContext(v -> p.complete(k));
          return p.future().await();
        });
      }
      List<Integer> results = scope.join().map(Subtask::get).toList();
      if (results.size() != n) {
        throw new AssertionError(results.size());
      }
      return results;
    }
  }
}
