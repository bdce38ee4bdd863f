package dev.taskgroup.bench;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Supplier;

/**
 * {@link ResilienceBenchmark}'s rows (bare {@code TaskGroup.all}, each task hedged, each task
 * retried, none of them firing) measured by the event loop's CPU time per task ({@link CpuRows}):
 * the issue 12 target (a hedge or retry that never fires within 1.2x of the bare row) read on a
 * loaded machine, beside the wall-time ratios of {@code ratios.sh}.
 *
 * <pre>
 * java -Xms2g -Xmx2g -cp target/benchmarks.jar dev.taskgroup.bench.ResilienceCpuMain [ROUNDS=20] [OPS=20] [N=100000] [ROWS=all]
 * </pre>
 *
 * An operation is {@code ResilienceBenchmark}'s: {@code max(1, 10000 / N)} fan-outs of N tasks.
 * ROWS (comma-separated, the bare row first if it is wanted as the baseline) runs only those
 * rows: one row alone, for a profile of it without the others' call sites in its JIT profile.
 */
public final class ResilienceCpuMain {
  private ResilienceCpuMain() {}

  public static void main(String[] args) {
    int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 20;
    int ops = args.length > 1 ? Integer.parseInt(args[1]) : 20;
    int n = args.length > 2 ? Integer.parseInt(args[2]) : 100_000;
    ResilienceBenchmark b = new ResilienceBenchmark();
    b.n = n;
    b.setUp();
    try {
      Map<String, Supplier<Object>> rows = new LinkedHashMap<>();
      rows.put("taskGroupAll", b::taskGroupAll);
      rows.put("taskGroupAllHedged", b::taskGroupAllHedged);
      rows.put("taskGroupAllRetried", b::taskGroupAllRetried);
      if (args.length > 3) {
        rows.keySet().retainAll(Arrays.asList(args[3].split(",")));
      }
      CpuRows.measure(CpuRows.loopThread(b.loop), rows, rounds, ops, b.reps * n, "task");
    } finally {
      b.tearDown();
    }
  }
}
