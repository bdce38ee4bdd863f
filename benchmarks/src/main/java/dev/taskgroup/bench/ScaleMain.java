package dev.taskgroup.bench;

import dev.taskgroup.TaskFn;
import dev.taskgroup.TaskGroup;
import dev.taskgroup.TaskGroupOptions;
import io.vertx.core.Future;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.util.List;
import java.util.Locale;

/**
 * One million tasks through one group with {@code maxConcurrency} 1,000, meant to run under
 * {@code -Xmx64m}. The body spawns the first {@code window} tasks; each task, when its work is done,
 * spawns the next until {@code total} were spawned, so at most about {@code window} tasks exist at
 * any time (a million spawned up front would queue a million task objects). Each task is the same
 * async unit as in {@link FanOutBenchmark}.
 *
 * <p>Then the same million through {@code TaskGroup.forEach} with the same limit, pulled from an
 * iterator that makes each function as it is pulled: the library's tool for the fed pattern.
 *
 * <p>Reports ns per task for the million (fed, and forEach), next to {@code TaskGroup.all} over {@code baselineN}
 * tasks spawned at once in the same small heap (for contrast: all of them live at once, so under
 * 64 MiB it is GC-bound; the fair per-task reference is {@link FanOutBenchmark} at N=100,000), and
 * the used heap after a full GC at the start, after the warm-up and at the end. Usage: {@code java -Xmx64m -cp benchmarks.jar dev.taskgroup.bench.ScaleMain
 * [total=1000000] [maxConcurrency=1000] [baselineN=100000] [rounds=5]}.
 */
public final class ScaleMain {
  private final EventLoop loop;
  private int spawned; // event loop only

  private ScaleMain(EventLoop loop) {
    this.loop = loop;
  }

  public static void main(String[] args) throws Exception {
    int total = args.length > 0 ? Integer.parseInt(args[0]) : 1_000_000;
    int maxConcurrency = args.length > 1 ? Integer.parseInt(args[1]) : 1_000;
    int baselineN = args.length > 2 ? Integer.parseInt(args[2]) : 100_000;
    int rounds = args.length > 3 ? Integer.parseInt(args[3]) : 5;
    MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
    System.out.printf(Locale.ROOT, "scale: total=%d maxConcurrency=%d baselineN=%d rounds=%d, max heap %d MiB%n",
        total, maxConcurrency, baselineN, rounds, Runtime.getRuntime().maxMemory() >> 20);
    try (EventLoop loop = new EventLoop()) {
      ScaleMain bench = new ScaleMain(loop);
      long heapStart = usedAfterGc(memory);
      for (int i = 0; i < 3; i++) { // warm-up, both paths
        bench.feed(total / 4, maxConcurrency);
        bench.forEach(total / 4, maxConcurrency);
        bench.all(baselineN);
      }
      long heapWarm = usedAfterGc(memory);
      double[] feed = new double[rounds];
      double[] each = new double[rounds];
      double[] all = new double[rounds];
      for (int r = 0; r < rounds; r++) {
        feed[r] = bench.feed(total, maxConcurrency);
        each[r] = bench.forEach(total, maxConcurrency);
        all[r] = bench.all(baselineN);
        System.out.printf(Locale.ROOT, "  round %d: %d fed tasks %.1f ns/task | forEach %.1f ns/task | TaskGroup.all(%d) at once, same heap: %.1f ns/task%n",
            r, total, feed[r], each[r], baselineN, all[r]);
      }
      long heapEnd = usedAfterGc(memory);
      double f = median(feed);
      double e = median(each);
      double a = median(all);
      System.out.printf(Locale.ROOT, "RESULT %d tasks, maxConcurrency %d: completed, median %.1f ns/task; "
              + "TaskGroup.all(%d) at once in the same heap: median %.1f ns/task (ratio %.2fx)%n", total, maxConcurrency, f, baselineN, a, f / a);
      System.out.printf(Locale.ROOT, "RESULT %d tasks through TaskGroup.forEach, maxConcurrency %d: completed, median %.1f ns/task; "
          + "ratio to TaskGroup.all(%d) in the same heap %.2fx%n", total, maxConcurrency, e, baselineN, e / a);
      System.out.printf(Locale.ROOT, "RESULT heap used after full GC: start %.1f MiB, after warm-up %.1f MiB, end %.1f MiB "
              + "(end - warm-up %+.1f MiB)%n", heapStart / 1048576.0, heapWarm / 1048576.0, heapEnd / 1048576.0,
          (heapEnd - heapWarm) / 1048576.0);
    }
  }

  /** Feeds {@code total} tasks through a group; {@return ns per task} */
  private double feed(int total, int maxConcurrency) {
    long t0 = System.nanoTime();
    Object r = loop.await(() -> {
      spawned = 0;
      TaskGroupOptions options = new TaskGroupOptions().setName("scale").setMaxConcurrency(maxConcurrency);
      return TaskGroup.run(loop.vertx, options, group -> {
        TaskFn<Integer>[] next = new TaskFn[1];
        next[0] = scope -> {
          int k = spawned++;
          return loop.task(k).andThen(ar -> {
            if (spawned < total) {
              group.spawn(next[0]);
            }
          });
        };
        for (int i = 0; i < maxConcurrency && spawned < total; i++) {
          group.spawn(next[0]);
        }
        return Future.succeededFuture(spawned);
      });
    });
    long t1 = System.nanoTime();
    if (spawned != total) {
      throw new AssertionError("ran " + spawned + " tasks, expected " + total + " (" + r + ")");
    }
    return (t1 - t0) / (double) total;
  }

  /** Runs {@code total} tasks through TaskGroup.forEach; {@return ns per task} */
  private double forEach(int total, int maxConcurrency) {
    TaskGroupOptions options = new TaskGroupOptions().setName("scale-each").setMaxConcurrency(maxConcurrency);
    long t0 = System.nanoTime();
    loop.await(() -> TaskGroup.forEach(loop.vertx, options, loop.taskIterator(total))); // rethrows a failure
    long t1 = System.nanoTime();
    return (t1 - t0) / (double) total;
  }

  /** TaskGroup.all over {@code n} tasks; {@return ns per task} */
  private double all(int n) {
    long t0 = System.nanoTime();
    List<Integer> r = loop.await(() -> {
      List<TaskFn<Integer>> fns = loop.taskFns(n);
      return TaskGroup.all(loop.vertx, fns);
    });
    long t1 = System.nanoTime();
    if (r.size() != n) {
      throw new AssertionError("TaskGroup.all returned " + r.size() + " results, expected " + n);
    }
    return (t1 - t0) / (double) n;
  }

  private static long usedAfterGc(MemoryMXBean memory) throws InterruptedException {
    for (int i = 0; i < 3; i++) {
      System.gc();
      Thread.sleep(100);
    }
    return memory.getHeapMemoryUsage().getUsed();
  }

  private static double median(double[] xs) {
    double[] s = xs.clone();
    java.util.Arrays.sort(s);
    return s[s.length / 2];
  }
}
