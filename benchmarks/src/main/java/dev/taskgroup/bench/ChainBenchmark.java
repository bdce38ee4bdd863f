package dev.taskgroup.bench;

import dev.taskgroup.Task;
import dev.taskgroup.TaskGroup;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.time.Duration;
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
 * A dependent chain of N links that unwinds all at once (issue 9): N tasks in one group, each
 * awaiting the previous one ({@code prev = g.spawn(s -> before.future().map(v -> v + 1))}), against
 * the same chain of N plain Vert.x {@code Future.map} calls. In both, the head is a promise completed
 * by a later event-loop turn, after the whole chain is built, so its completion runs every link in
 * one go. One operation is the chain of N, until its last future completed with N (checked); a
 * benchmark call runs {@link #reps(int) reps(N)} operations back to back (100 for N=1,000, 1 for
 * N=100,000), so the score divided by N x reps is the time per link, and {@code gc.alloc.rate.norm}
 * likewise the bytes per link ({@code -prof gc}; {@code summarize.py --chain} does both).
 *
 * <p><b>The baseline needs a big stack.</b> Plain Vert.x completes a map chain by recursion (each
 * completion calls the next link's listener inline), so on a default 1 MiB thread stack the chain
 * overflows: in a fresh fork (first operations interpreted, bigger frames) 1,000 links pass and
 * 2,000 overflow; warm, about 10,000 (issue 9). The {@link StackOverflowError} goes to Vert.x's
 * exception handler and the chain's end never completes. {@link #futureMapChain} therefore runs in
 * a fork with {@value #BIG_STACK} for every thread, the event loop included (32 MiB was measured to
 * be enough for 100,000 links in a fresh fork: 8x margin). What it reports is plain Vert.x's cost per
 * link where it survives, not a claim that it survives on a default stack.
 * Rejected: breaking the baseline into segments joined by event-loop hops (not the same chain: the
 * hops would be part of its cost), and a baseline only up to the depth it survives (then there is
 * no N=100,000 figure to compare with). To see the overflow, override the stack:
 * {@code -jvmArgsAppend "-Xms2g -Xmx2g -Xss1m"} (it replaces the fork arguments given here), and it
 * fails as below.
 * {@link #taskGroupChain} runs on the default stack: surviving it is the library's promise.
 *
 * <p><b>A chain that never completes fails loudly.</b> Every call waits at most {@link #TIMEOUT},
 * then throws {@link IllegalStateException} (JMH reports the benchmark as failed; run with
 * {@code -foe true} to stop the whole run). The library before issue 9 hangs that way from ~1,000
 * links (it passes at 500).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"-Xms2g", "-Xmx2g"})
public class ChainBenchmark {
  /** The fork argument that gives plain Vert.x's recursion room for 100,000 links, with a wide margin. */
  static final String BIG_STACK = "-Xss256m";
  /** Longest a benchmark call may take before it counts as a hang (a healthy one takes milliseconds). */
  static final Duration TIMEOUT = Duration.ofSeconds(10);

  @Param({"1000", "100000"})
  public int n;

  EventLoop loop;
  int reps;

  /** {@return how many chains of N links one benchmark call runs: about 100,000 links, at least one chain} */
  static int reps(int n) {
    return Math.max(1, 100_000 / n);
  }

  @Setup(Level.Trial)
  public void setUp() {
    loop = new EventLoop();
    reps = reps(n);
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    loop.close();
  }

  /** The baseline: a promise and N {@code Future.map} links, then the head completes (in a fork with a big stack, see above). */
  @Benchmark
  @Fork(value = 1, jvmArgsAppend = {"-Xms2g", "-Xmx2g", BIG_STACK})
  public int futureMapChain() {
    return check(loop.await(reps, () -> {
      Promise<Integer> head = Promise.promise();
      Future<Integer> last = head.future();
      for (int i = 0; i < n; i++) {
        last = last.map(v -> v + 1);
      }
      loop.context.runOnContext(v -> head.complete(0));
      return last;
    }, TIMEOUT));
  }

  /** N tasks in one group, each awaiting the previous one, then the head completes; the group's body returns the last task's future. */
  @Benchmark
  public int taskGroupChain() {
    return check(loop.await(reps, () -> TaskGroup.run(loop.vertx, g -> {
      Promise<Integer> head = Promise.promise();
      Task<Integer> prev = g.spawn(s -> head.future().map(v -> v + 1));
      for (int i = 1; i < n; i++) {
        Task<Integer> before = prev;
        prev = g.spawn(s -> before.future().map(v -> v + 1));
      }
      loop.context.runOnContext(v -> head.complete(0));
      return prev.future();
    }), TIMEOUT));
  }

  private int check(int last) {
    if (last != n) {
      throw new IllegalStateException("the chain of " + n + " links ended with " + last);
    }
    return last;
  }
}
