package dev.taskgroup.bench;

import dev.taskgroup.TaskFn;
import dev.taskgroup.TaskGroup;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * The heap {@link ResilienceBenchmark}'s tasks hold while they run: N tasks of one
 * {@code TaskGroup.all}, bare, each {@code retried} or each {@code hedged} (the benchmark's
 * options), whose attempt 1 waits on one gate; the heap after full collections, less the heap
 * before, per task. What a collection during the fan-out copies (issue 12: a retry or hedge that
 * never fires should hold little more than the bare task). Deterministic, so one run per kind,
 * each in a JVM of its own (a kind measured after another in one JVM reads that one's leftovers).
 *
 * <pre>
 * for k in bare retried hedged; do java -Xmx1g -XX:+UseSerialGC -cp target/benchmarks.jar dev.taskgroup.bench.ResilienceLiveMain $k 100000; done
 * </pre>
 */
public final class ResilienceLiveMain {
  private ResilienceLiveMain() {}

  public static void main(String[] args) throws Exception {
    String kind = args.length > 0 ? args[0] : "bare";
    int n = args.length > 1 ? Integer.parseInt(args[1]) : 100_000;
    Vertx vertx = Vertx.vertx();
    try {
      System.out.printf("%-8s %6.1f B/task live%n", kind, live(vertx, kind, n));
    } finally {
      vertx.close().await();
    }
  }

  /** {@return the bytes per task held while {@code n} tasks of kind {@code kind} wait on their gate} */
  static double live(Vertx vertx, String kind, int n) throws Exception {
    Context context = vertx.getOrCreateContext();
    Promise<Integer> gate = Promise.promise();
    long before = heapAfterGc();
    CompletableFuture<Future<List<Integer>>> started = new CompletableFuture<>();
    context.runOnContext(v -> {
      List<TaskFn<Integer>> fns = new ArrayList<>(n);
      for (int i = 0; i < n; i++) {
        int k = i;
        TaskFn<Integer> fn = scope -> gate.future().map(x -> x + k);
        fns.add(switch (kind) {
          case "retried" -> fn.retried(ResilienceBenchmark.RETRY);
          case "hedged" -> fn.hedged(ResilienceBenchmark.HEDGE);
          default -> fn;
        });
      }
      started.complete(TaskGroup.all(vertx, fns));
    });
    Future<List<Integer>> all = started.get();
    double perTask = (heapAfterGc() - before) / (double) n;
    context.runOnContext(v -> gate.complete(1));
    all.toCompletionStage().toCompletableFuture().get();
    return perTask;
  }

  private static long heapAfterGc() throws InterruptedException {
    long used = Long.MAX_VALUE;
    for (int i = 0; i < 3; i++) {
      System.gc();
      Thread.sleep(50);
      Runtime rt = Runtime.getRuntime();
      used = Math.min(used, rt.totalMemory() - rt.freeMemory());
    }
    return used;
  }
}
