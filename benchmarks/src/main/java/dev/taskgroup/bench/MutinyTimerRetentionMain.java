package dev.taskgroup.bench;

import io.smallrye.mutiny.Uni;
import io.smallrye.mutiny.infrastructure.Infrastructure;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;

/**
 * What Mutiny's per-task {@code ifNoItem().after(d).fail()} leaves behind: {@code rounds} fan-outs
 * of {@code n} tasks (FanOutBenchmark's {@code mutinyJoinAllTimeouts}, every item arriving long
 * before its timeout), then the number of timers still queued in Mutiny's default scheduler (a
 * {@link ScheduledThreadPoolExecutor}: a cancelled timer stays queued until it would have fired,
 * unless {@code setRemoveOnCancelPolicy(true)}) and the heap used after a full GC; then the same after
 * {@code purge()}, which removes exactly the cancelled timers, so the difference is what they hold.
 *
 * <p>Usage: {@code java -Xmx2g -cp benchmarks.jar dev.taskgroup.bench.MutinyTimerRetentionMain
 * [n=100000] [rounds=20] [timeoutSeconds=60]}.
 */
public final class MutinyTimerRetentionMain {
  public static void main(String[] args) throws Exception {
    int n = args.length > 0 ? Integer.parseInt(args[0]) : 100_000;
    int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 20;
    Duration timeout = Duration.ofSeconds(args.length > 2 ? Long.parseLong(args[2]) : 60);
    ScheduledExecutorService pool = Infrastructure.getDefaultWorkerPool();
    if (!(pool instanceof ScheduledThreadPoolExecutor stpe)) {
      throw new IllegalStateException("Mutiny's default scheduler is not a ScheduledThreadPoolExecutor: " + pool.getClass());
    }
    try (EventLoop loop = new EventLoop()) {
      System.out.printf(Locale.ROOT, "Mutiny ifNoItem timer retention: %d rounds x %d tasks, timeout %s, scheduler %s (removeOnCancel=%s)%n",
          rounds, n, timeout, stpe.getClass().getName(), stpe.getRemoveOnCancelPolicy());
      double before = heapAfterGc();
      long t0 = System.nanoTime();
      for (int r = 0; r < rounds; r++) {
        loop.await(() -> fanOut(loop, n, timeout));
      }
      double secs = (System.nanoTime() - t0) / 1e9;
      int queued = stpe.getQueue().size();
      double held = heapAfterGc();
      stpe.purge();
      int afterPurge = stpe.getQueue().size();
      double purged = heapAfterGc();
      long tasks = (long) rounds * n;
      System.out.printf(Locale.ROOT, "RESULT mutiny: %d tasks completed in %.2f s; timers still queued after they were cancelled: %d (%.0f%% of tasks); "
              + "heap after full GC: before %.1f MiB, after the runs %.1f MiB, after purge() %.1f MiB (queue %d): %.0f B retained per task%n",
          tasks, secs, queued, 100.0 * queued / tasks, before, held, purged, afterPurge, (held - purged) * 1024 * 1024 / tasks);
      System.out.printf(Locale.ROOT, "RESULT mutiny: at this rate, the timers of the last %s (~%.0f million at %.0f tasks/s) are held at any moment%n",
          timeout, tasks / secs * timeout.toSeconds() / 1e6, tasks / secs);
    } finally {
      shutdownMutiny();
    }
  }

  /**
   * Stops Mutiny's default scheduler and the executor it hands fired timers to: their threads are
   * not daemons (the executor's idle ones linger 60 s), so a main or a JMH fork would not exit.
   */
  static void shutdownMutiny() {
    Infrastructure.getDefaultWorkerPool().shutdownNow();
    if (Infrastructure.getDefaultExecutor() instanceof java.util.concurrent.ExecutorService executor) {
      executor.shutdownNow();
    }
  }

  static Future<List<Integer>> fanOut(EventLoop loop, int n, Duration timeout) {
    List<Uni<Integer>> unis = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      int k = i;
      unis.add(Uni.createFrom().<Integer>emitter(em -> loop.context.runOnContext(v -> em.complete(k)))
          .ifNoItem().after(timeout).fail());
    }
    Promise<List<Integer>> p = Promise.promise();
    Uni.join().all(unis).andFailFast().subscribe().with(p::complete, p::fail);
    return p.future();
  }

  static double heapAfterGc() throws InterruptedException {
    for (int i = 0; i < 3; i++) {
      System.gc();
      Thread.sleep(50);
    }
    return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed() / (1024.0 * 1024.0);
  }
}
