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
 * {@link EventBusBenchmark}'s rows measured by the CPU time of the one event-loop thread that does
 * all their work (send, delivery, handler, reply), not by wall time: on a shared, loaded machine
 * the wall time of an operation is mostly the time its threads wait for a core, which JMH's
 * {@code avgt} then reports with errors as large as the scores. The rows run in turn within one
 * JVM, their order rotated every round, so drift of the machine reaches every row alike; each
 * round's ratios are against {@code plain} of the same round.
 *
 * <pre>
 * java -cp target/benchmarks.jar dev.taskgroup.bench.EventBusCpuMain [ROUNDS=30] [OPS=300] [CALLS=100]
 * </pre>
 *
 * Prints, per row, the median CPU ns per call and the median and range of the per-round ratio to
 * {@code plain}. The spin of the benchmark thread and the hop to the loop are not in the figure
 * (the hop's share is in every row alike: one {@code runOnContext} per operation of CALLS calls).
 */
public final class EventBusCpuMain {
  private EventBusCpuMain() {}

  public static void main(String[] args) {
    int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 30;
    int ops = args.length > 1 ? Integer.parseInt(args[1]) : 300;
    int calls = args.length > 2 ? Integer.parseInt(args[2]) : 100;
    EventBusBenchmark b = new EventBusBenchmark();
    b.calls = calls;
    b.start();
    try {
      ThreadMXBean mx = ManagementFactory.getThreadMXBean();
      CompletableFuture<Long> id = new CompletableFuture<>();
      b.loop.context.runOnContext(v -> id.complete(Thread.currentThread().getId()));
      long loopThread = EventLoop.spinJoin(id);
      Map<String, Supplier<Object>> rows = new LinkedHashMap<>();
      rows.put("plain", b::plain);
      rows.put("plainWithHeaders", b::plainWithHeaders);
      rows.put("scopedRequest", b::scopedRequest);
      rows.put("scopedServe", b::scopedServe);
      rows.put("scoped", b::scoped);
      List<String> names = new ArrayList<>(rows.keySet());
      for (String name : names) { // warm-up: every path compiled before the first sample
        for (int i = 0; i < 20 * ops; i++) {
          rows.get(name).get();
        }
      }
      Map<String, double[]> nsPerCall = new LinkedHashMap<>();
      names.forEach(n -> nsPerCall.put(n, new double[rounds]));
      for (int r = 0; r < rounds; r++) {
        for (int k = 0; k < names.size(); k++) {
          String name = names.get((k + r) % names.size());
          Supplier<Object> op = rows.get(name);
          long cpu0 = mx.getThreadCpuTime(loopThread);
          for (int i = 0; i < ops; i++) {
            op.get();
          }
          long cpu = mx.getThreadCpuTime(loopThread) - cpu0;
          nsPerCall.get(name)[r] = (double) cpu / ops / calls;
        }
      }
      System.out.printf("%-18s %12s %14s %22s%n", "row", "cpu ns/call", "x plain (med)", "x plain (min..max)");
      double[] plain = nsPerCall.get("plain");
      for (String name : names) {
        double[] ns = nsPerCall.get(name);
        double[] ratio = new double[rounds];
        for (int r = 0; r < rounds; r++) {
          ratio[r] = ns[r] / plain[r];
        }
        double[] sorted = ratio.clone();
        Arrays.sort(sorted);
        System.out.printf("%-18s %12.0f %13.2fx %10.2fx..%.2fx%n", name, median(ns), median(ratio), sorted[0],
            sorted[rounds - 1]);
      }
    } finally {
      b.stop();
    }
  }

  private static double median(double[] values) {
    double[] s = values.clone();
    Arrays.sort(s);
    int n = s.length;
    return n % 2 == 1 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
  }
}
