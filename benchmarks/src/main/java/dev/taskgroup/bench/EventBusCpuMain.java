package dev.taskgroup.bench;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Supplier;

/**
 * {@link EventBusBenchmark}'s rows measured by the CPU time of the one event-loop thread that does
 * all their work (send, delivery, handler, reply), not by wall time ({@link CpuRows}); each
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
      Map<String, Supplier<Object>> rows = new LinkedHashMap<>();
      rows.put("plain", b::plain);
      rows.put("plainWithHeaders", b::plainWithHeaders);
      rows.put("scopedRequest", b::scopedRequest);
      rows.put("scopedServe", b::scopedServe);
      rows.put("scoped", b::scoped);
      CpuRows.measure(CpuRows.loopThread(b.loop), rows, rounds, ops, calls, "call");
    } finally {
      b.stop();
    }
  }
}
