package dev.taskgroup.bench;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;

/**
 * Rows of one benchmark measured by the CPU time of the one event-loop thread that does all their
 * work, not by wall time: on a shared, loaded machine the wall time of an operation is mostly the
 * time its threads wait for a core, which JMH's {@code avgt} then reports with errors as large as
 * the scores. The rows run in turn within one JVM, their order rotated every round, so drift of
 * the machine reaches every row alike; each round's ratios are against the first row of the same
 * round. Used by {@link EventBusCpuMain} and {@link ResilienceCpuMain}.
 *
 * <p>What the figure leaves out: the benchmark thread's spin and the hop to the loop (one
 * {@code runOnContext} per operation, in every row alike), and the garbage collector's threads
 * (bytes are {@code -prof gc}'s to show). The rows share one JIT profile, so call sites that a
 * row's own fork would see monomorphic may be polymorphic here, in every row alike.
 */
final class CpuRows {
  private CpuRows() {}

  /** {@return the id of the thread that runs {@code loop}'s context} */
  static long loopThread(EventLoop loop) {
    CompletableFuture<Long> id = new CompletableFuture<>();
    loop.context.runOnContext(v -> id.complete(Thread.currentThread().getId()));
    return EventLoop.spinJoin(id);
  }

  /**
   * Warms every row up ({@code 20 * ops} operations), then runs {@code rounds} rounds of
   * {@code ops} operations of each row and prints, per row, the median CPU ns per unit
   * ({@code units} per operation) and the median and range of the per-round ratio to the first row.
   */
  static void measure(long loopThread, Map<String, Supplier<Object>> rows, int rounds, int ops, int units, String unit) {
    ThreadMXBean mx = ManagementFactory.getThreadMXBean();
    List<String> names = new ArrayList<>(rows.keySet());
    for (String name : names) { // warm-up: every path compiled before the first sample
      for (int i = 0; i < 20 * ops; i++) {
        rows.get(name).get();
      }
    }
    Map<String, double[]> nsPerUnit = new LinkedHashMap<>();
    names.forEach(n -> nsPerUnit.put(n, new double[rounds]));
    for (int r = 0; r < rounds; r++) {
      for (int k = 0; k < names.size(); k++) {
        String name = names.get((k + r) % names.size());
        Supplier<Object> op = rows.get(name);
        long cpu0 = mx.getThreadCpuTime(loopThread);
        for (int i = 0; i < ops; i++) {
          op.get();
        }
        long cpu = mx.getThreadCpuTime(loopThread) - cpu0;
        nsPerUnit.get(name)[r] = (double) cpu / ops / units;
      }
    }
    String base = names.get(0);
    System.out.printf("%-20s %12s %14s %22s%n", "row", "cpu ns/" + unit, "x " + base + " (med)", "(min..max)");
    double[] baseline = nsPerUnit.get(base);
    for (String name : names) {
      double[] ns = nsPerUnit.get(name);
      double[] ratio = new double[rounds];
      for (int r = 0; r < rounds; r++) {
        ratio[r] = ns[r] / baseline[r];
      }
      double[] sorted = ratio.clone();
      Arrays.sort(sorted);
      System.out.printf("%-20s %12.1f %13.3fx %10.3fx..%.3fx%n", name, median(ns), median(ratio), sorted[0],
          sorted[rounds - 1]);
    }
  }

  private static double median(double[] values) {
    double[] s = values.clone();
    Arrays.sort(s);
    int n = s.length;
    return n % 2 == 1 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
  }
}
