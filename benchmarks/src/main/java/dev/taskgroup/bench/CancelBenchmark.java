package dev.taskgroup.bench;

import dev.taskgroup.TaskGroup;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
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
 * The cost of cancelling N live tasks: the setup (not measured) starts a group of N tasks that
 * wait an hour; the measured operation cancels the group and waits until it has completed, i.e.
 * every task was cancelled, settled and left the group. Contrast: N promises each guarded by a
 * Vert.x timer, "cancelled" by hand (cancelTimer + fail), joined by Future.join.
 *
 * <p>Single-shot: one cancellation per iteration, on a fresh set of live tasks.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 10)
@Measurement(iterations = 20)
@Fork(value = 1, jvmArgsAppend = {"-Xms2g", "-Xmx2g"})
public class CancelBenchmark {
  static final Duration LONG = Duration.ofHours(1);

  @Param({"100000"})
  public int n;

  /** sleep: tasks sleep on TaskScope.sleep; hook: tasks wait for a promise failed by an onCancel hook; timers: the hand-rolled contrast. */
  @Param({"sleep", "hook", "timers"})
  public String kind;

  EventLoop loop;
  TaskGroup group;
  Future<?> done;
  long[] timerIds;
  List<Promise<Integer>> promises;

  @Setup(Level.Trial)
  public void startLoop() {
    loop = new EventLoop();
  }

  @TearDown(Level.Trial)
  public void stopLoop() {
    loop.close();
  }

  @Setup(Level.Iteration)
  public void startLiveTasks() {
    CompletableFuture<Void> started = new CompletableFuture<>();
    loop.context.runOnContext(v -> {
      switch (kind) {
        case "sleep":
          done = TaskGroup.run(loop.vertx, g -> {
            group = g;
            for (int i = 0; i < n; i++) {
              g.spawn(scope -> scope.sleep(LONG));
            }
            return Future.succeededFuture();
          });
          break;
        case "hook":
          done = TaskGroup.run(loop.vertx, g -> {
            group = g;
            for (int i = 0; i < n; i++) {
              g.spawn(scope -> {
                Promise<Integer> p = Promise.promise();
                scope.onCancel(p::tryFail);
                return p.future();
              });
            }
            return Future.succeededFuture();
          });
          break;
        case "timers":
          timerIds = new long[n];
          promises = new ArrayList<>(n);
          List<Future<Integer>> fs = new ArrayList<>(n);
          for (int i = 0; i < n; i++) {
            Promise<Integer> p = Promise.promise();
            timerIds[i] = loop.vertx.setTimer(LONG.toMillis(), t -> p.tryComplete(0));
            promises.add(p);
            fs.add(p.future());
          }
          done = Future.join(fs);
          break;
        default:
          throw new IllegalArgumentException(kind);
      }
      started.complete(null);
    });
    EventLoop.spinJoin(started);
  }

  @Benchmark
  public Object cancelLiveTasks() {
    CompletableFuture<Object> settled = new CompletableFuture<>();
    loop.context.runOnContext(v -> {
      if (group != null) {
        group.cancel();
      } else {
        RuntimeException cause = new java.util.concurrent.CancellationException("cancelled by hand");
        for (int i = 0; i < n; i++) {
          loop.vertx.cancelTimer(timerIds[i]);
          promises.get(i).tryFail(cause);
        }
      }
      done.onComplete((r, e) -> settled.complete(e == null ? r : e));
    });
    Object outcome = EventLoop.spinJoin(settled);
    group = null;
    timerIds = null;
    promises = null;
    return outcome;
  }
}
