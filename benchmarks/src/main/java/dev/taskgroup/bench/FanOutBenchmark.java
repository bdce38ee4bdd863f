package dev.taskgroup.bench;

import dev.taskgroup.TaskFn;
import dev.taskgroup.TaskGroup;
import dev.taskgroup.TaskGroupOptions;
import dev.taskgroup.mutiny.UniTaskGroup;
import io.smallrye.mutiny.Uni;
import io.smallrye.mutiny.infrastructure.Infrastructure;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.kotlin.coroutines.VertxCoroutineKt;
import kotlinx.coroutines.CoroutineDispatcher;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
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
 * The same N async tasks ({@link EventLoop#task}) on one event loop, joined by each contender.
 * One operation is the whole fan-out of N, until its final future completed. Each benchmark call
 * runs {@link #reps(int) reps(N)} operations back to back on the loop (1,000 for N=10, 10 for
 * N=1,000, 1 for N=100,000), so the hop from the benchmark thread is amortised: the score is per
 * call; divide it by N x reps for ns per task, and {@code gc.alloc.rate.norm} likewise for bytes per
 * task ({@code -prof gc}); {@code summarize.py} does both.
 *
 * <p>Each variant builds its own inputs inside the operation, as a caller would: a list of futures
 * for the Vert.x, CompletableFuture, Kotlin and Mutiny combinators, a list of functions for TaskGroup.
 *
 * <p>Peers: Kotlin coroutines on the Vert.x dispatcher of the same loop ({@code KotlinPeers.kt}),
 * Mutiny {@code Uni.join().all().andFailFast()} (and, issue 16, the library's own
 * {@code UniTaskGroup.all} over the same Unis), and (JDK 25 profile) virtual threads in a
 * {@code StructuredTaskScope}. Mutiny's per-task {@code ifNoItem().after(d).fail()} arms a timer on
 * Mutiny's default scheduler, a {@link ScheduledThreadPoolExecutor} that keeps a cancelled timer
 * queued until it would have fired: {@link #purgeMutinyTimers()} empties that queue after each
 * iteration (untimed), or a 2 GiB heap would fill within seconds; {@link MutinyTimerRetentionMain}
 * measures the retention itself.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"-Xms2g", "-Xmx2g"})
public class FanOutBenchmark {
  /** Long enough never to fire during an operation. */
  static final Duration TIMEOUT = Duration.ofSeconds(60);
  static final long TIMEOUT_MS = TIMEOUT.toMillis();
  static final TaskGroupOptions FED = new TaskGroupOptions().setName("fed").setMaxConcurrency(1000);

  @Param({"10", "1000", "100000"})
  public int n;

  EventLoop loop;
  Vertx vertx;
  CoroutineDispatcher dispatcher;
  int reps;

  /** {@return how many operations of N tasks one benchmark call runs: about 10,000 tasks, at least one operation} */
  static int reps(int n) {
    return Math.max(1, 10_000 / n);
  }

  @Setup(Level.Trial)
  public void setUp() {
    loop = new EventLoop();
    vertx = loop.vertx;
    dispatcher = VertxCoroutineKt.dispatcher(loop.context);
    reps = reps(n);
  }

  /**
   * Removes the cancelled {@code ifNoItem} timers that Mutiny's default scheduler still holds (they
   * would stay queued for {@link #TIMEOUT}); outside the timed iteration. Every row pays this
   * teardown (a no-op when the queue is empty), so no row is singled out.
   */
  @TearDown(Level.Iteration)
  public void purgeMutinyTimers() {
    if (Infrastructure.getDefaultWorkerPool() instanceof ScheduledThreadPoolExecutor stpe) {
      stpe.purge();
    }
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    loop.close();
    // Mutiny's pool threads are not daemons: the fork would wait JMH's 30 s grace, then be killed
    MutinyTimerRetentionMain.shutdownMutiny();
  }

  // ---- baselines: plain Vert.x ----------------------------------------------------------------

  @Benchmark
  public Object futureAll() {
    return loop.await(reps, () -> {
      List<Future<Integer>> fs = new ArrayList<>(n);
      for (int i = 0; i < n; i++) {
        fs.add(loop.task(i));
      }
      return Future.all(fs);
    });
  }

  @Benchmark
  public Object futureJoin() {
    return loop.await(reps, () -> {
      List<Future<Integer>> fs = new ArrayList<>(n);
      for (int i = 0; i < n; i++) {
        fs.add(loop.task(i));
      }
      return Future.join(fs);
    });
  }

  /** The combinator's floor: Future.all over futures already completed (no async work at all). */
  @Benchmark
  public Object futureAllCompleted() {
    return loop.await(reps, () -> {
      List<Future<Integer>> fs = new ArrayList<>(n);
      for (int i = 0; i < n; i++) {
        fs.add(Future.succeededFuture(i));
      }
      return Future.all(fs);
    });
  }

  /** The hand-rolled timeout baseline: one Vert.x timer per task, cancelled when the task completes. */
  @Benchmark
  public Object futureAllTimers() {
    return loop.await(reps, () -> {
      List<Future<Integer>> fs = new ArrayList<>(n);
      for (int i = 0; i < n; i++) {
        fs.add(withTimer(loop.task(i)));
      }
      return Future.all(fs);
    });
  }

  private Future<Integer> withTimer(Future<Integer> work) {
    Promise<Integer> p = Promise.promise();
    long id = vertx.setTimer(TIMEOUT_MS, t -> p.tryFail(new TimeoutException("timed out after " + TIMEOUT_MS + " ms")));
    work.onComplete((value, error) -> {
      vertx.cancelTimer(id);
      if (error == null) {
        p.tryComplete(value);
      } else {
        p.tryFail(error);
      }
    });
    return p.future();
  }

  // ---- TaskGroup ------------------------------------------------------------------------------

  @Benchmark
  public Object taskGroupAll() {
    return loop.await(reps, () -> {
      List<TaskFn<Integer>> fns = loop.taskFns(n);
      return TaskGroup.all(vertx, fns);
    });
  }

  @Benchmark
  public Object taskGroupGather() {
    return loop.await(reps, () -> {
      List<TaskFn<Integer>> fns = loop.taskFns(n);
      return TaskGroup.gather(vertx, fns);
    });
  }

  /** A group whose body spawns every task in a loop and ignores the results. */
  @Benchmark
  public Object taskGroupSpawn() {
    return loop.await(reps, () -> TaskGroup.run(vertx, group -> {
      for (int i = 0; i < n; i++) {
        int k = i;
        group.spawn(scope -> loop.task(k));
      }
      return Future.succeededFuture();
    }));
  }

  /**
   * N tasks fed through a group with {@code maxConcurrency} 1,000, each finishing task spawning the
   * next: {@link ScaleMain}'s pattern (which runs a million of them in 64 MiB), here in the same big
   * heap as the other rows, so the cost of the path (queue, drain, the feeding continuation) shows
   * apart from the heap's.
   */
  @Benchmark
  public Object taskGroupFed() {
    return loop.await(reps, () -> {
      int[] spawned = new int[1];
      return TaskGroup.run(vertx, FED, group -> {
        @SuppressWarnings("unchecked")
        TaskFn<Integer>[] next = new TaskFn[1];
        next[0] = scope -> {
          int k = spawned[0]++;
          return loop.task(k).andThen(ar -> {
            if (spawned[0] < n) {
              group.spawn(next[0]);
            }
          });
        };
        for (int i = 0; i < FED.getMaxConcurrency() && spawned[0] < n; i++) {
          group.spawn(next[0]);
        }
        return Future.succeededFuture();
      });
    });
  }

  /**
   * N tasks pulled by {@code TaskGroup.forEach} with {@code maxConcurrency} 1,000 from an iterator
   * that makes each function as it is pulled (the same function as {@link EventLoop#taskFns}'s):
   * the library's tool for what {@link #taskGroupFed} hand-rolls.
   */
  @Benchmark
  public Object taskGroupForEach() {
    return loop.await(reps, () -> TaskGroup.forEach(vertx, FED, loop.taskIterator(n)));
  }

  /** TaskGroup.all with a per-task timeout that never fires (same duration for all: one shared timer). */
  @Benchmark
  public Object taskGroupAllTimeouts() {
    return loop.await(reps, () -> {
      List<TaskFn<Integer>> fns = new ArrayList<>(n);
      for (int i = 0; i < n; i++) {
        int k = i;
        TaskFn<Integer> fn = scope -> loop.task(k);
        fns.add(fn.withTimeout(TIMEOUT));
      }
      return TaskGroup.all(vertx, fns);
    });
  }

  // ---- peers ----------------------------------------------------------------------------------

  @Benchmark
  public Object completableFutureAllOf() {
    return loop.await(reps, () -> {
      @SuppressWarnings("unchecked")
      CompletableFuture<Integer>[] cfs = new CompletableFuture[n];
      for (int i = 0; i < n; i++) {
        CompletableFuture<Integer> cf = new CompletableFuture<>();
        int k = i;
        loop.context.runOnContext(v -> cf.complete(k));
        cfs[i] = cf;
      }
      Promise<Void> p = Promise.promise();
      CompletableFuture.allOf(cfs).whenComplete(p::complete);
      return p.future();
    });
  }

  /** The Uni twin of {@link EventLoop#task}: emits {@code k} on a later turn of the loop. */
  private Uni<Integer> uniTask(int k) {
    return Uni.createFrom().emitter(em -> loop.context.runOnContext(v -> em.complete(k)));
  }

  @Benchmark
  public Object mutinyJoinAll() {
    return loop.await(reps, () -> {
      List<Uni<Integer>> unis = new ArrayList<>(n);
      for (int i = 0; i < n; i++) {
        unis.add(uniTask(i));
      }
      Promise<List<Integer>> p = Promise.promise();
      Uni.join().all(unis).andFailFast().subscribe().with(p::complete, p::fail);
      return p.future();
    });
  }

  /**
   * Issue 16: the group as a {@code Uni} ({@link UniTaskGroup#all}) over the same {@code Uni}s as
   * {@link #mutinyJoinAll}, each made a task by {@link UniTaskGroup#task}, subscribed on the loop.
   */
  @Benchmark
  public Object uniTaskGroupAll() {
    return loop.await(reps, () -> {
      Promise<List<Integer>> p = Promise.promise();
      UniTaskGroup.all(vertx, uniTasks()).subscribe().with(p::complete, p::fail);
      return p.future();
    });
  }

  /**
   * The same {@code Uni} tasks in the core {@code TaskGroup.all}: the cost of the Uni adapter of
   * each task without that of the group as a {@code Uni} (one more group, owned by the subscription).
   */
  @Benchmark
  public Object taskGroupAllOfUniTasks() {
    return loop.await(reps, () -> TaskGroup.all(vertx, uniTasks()));
  }

  private List<TaskFn<Integer>> uniTasks() {
    List<TaskFn<Integer>> fns = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      int k = i;
      fns.add(UniTaskGroup.task(scope -> uniTask(k)));
    }
    return fns;
  }

  /** Mutiny with a per-task {@code ifNoItem().after(d).fail()}: a timer per task on Mutiny's default scheduler (another thread), cancelled when the item arrives. */
  @Benchmark
  public Object mutinyJoinAllTimeouts() {
    return loop.await(reps, () -> {
      List<Uni<Integer>> unis = new ArrayList<>(n);
      for (int i = 0; i < n; i++) {
        int k = i;
        unis.add(Uni.createFrom().<Integer>emitter(em -> loop.context.runOnContext(v -> em.complete(k)))
            .ifNoItem().after(TIMEOUT).fail());
      }
      Promise<List<Integer>> p = Promise.promise();
      Uni.join().all(unis).andFailFast().subscribe().with(p::complete, p::fail);
      return p.future();
    });
  }

  /** Kotlin: {@code coroutineScope { tasks.map { async { it.coAwait() } }.awaitAll() }} on the loop's Vert.x dispatcher. */
  @Benchmark
  public Object kotlinAwaitAll() {
    return loop.await(reps, () -> KotlinPeers.awaitAll(loop, dispatcher, n));
  }

  /** Kotlin with a per-task {@code withTimeout} (on this dispatcher: one Vert.x timer per task, cancelled when it completes). */
  @Benchmark
  public Object kotlinAwaitAllTimeouts() {
    return loop.await(reps, () -> KotlinPeers.awaitAllTimeouts(loop, dispatcher, n, TIMEOUT_MS));
  }
}
