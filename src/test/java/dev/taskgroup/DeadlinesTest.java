package dev.taskgroup;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Context;
import io.vertx.core.Future;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/** The shared deadline queues: bounded by live durations, cheap for tasks that run one by one. */
class DeadlinesTest extends VertxTest {

  /** Counts the timers a group schedules, on top of a manual clock or of Vert.x's own timers. */
  private static final class CountingTimers implements Timers {
    final ManualTimers clock;
    final Timers base;
    final AtomicInteger scheduled = new AtomicInteger();
    final AtomicInteger clockReads = new AtomicInteger();

    /** On a manual clock ({@link #clock}). */
    CountingTimers() {
      this.clock = new ManualTimers();
      this.base = clock;
    }

    /** On {@link Timers#VERTX}, with its promise that no timer fires in the task that scheduled it. */
    CountingTimers(Timers vertx) {
      this.clock = null;
      this.base = vertx;
    }

    @Override
    public long nanoTime() {
      clockReads.incrementAndGet();
      return base.nanoTime();
    }

    @Override
    public long schedule(Context context, long delayMillis, io.vertx.core.Handler<Long> handler) {
      scheduled.incrementAndGet();
      return base.schedule(context, delayMillis, handler);
    }

    @Override
    public void cancel(Context context, long id) {
      base.cancel(context, id);
    }

    @Override
    public boolean firesInALaterTask() {
      return base.firesInALaterTask();
    }
  }

  @Test
  void queuesOfDistinctDurationsAreDroppedOnceIdle() {
    ManualTimers clock = new ManualTimers();
    Context context = vertx.getOrCreateContext();
    AtomicReference<TaskGroup> ref = new AtomicReference<>();
    await(call(context, () -> TaskGroup.run(vertx, clock.options(), g -> {
      ref.set(g);
      for (int i = 0; i < 200; i++) {
        g.sleep(Duration.ofNanos(1_000_000L + i));
      }
      return g.sleep(Duration.ofSeconds(1));
    })));
    int queuedAfterTheSleeps = await(call(context, () -> {
      clock.advance(Duration.ofMillis(2)); // the 200 distinct sleeps end; their queues go idle
      return ref.get().impl.deadlines.queueCount();
    }));
    assertThat(queuedAfterTheSleeps).as("the first duration's queue and the 1 s sleep's").isEqualTo(2);
    assertThat(clock.pending()).isLessThanOrEqualTo(2);
  }

  @Test
  void timedTasksRunningOneAfterAnotherShareOneTimer() {
    CountingTimers timers = new CountingTimers();
    await(TaskGroup.run(vertx, new TaskGroupOptions().setTimers(timers).setMaxConcurrency(1), g -> {
      for (int i = 0; i < 100; i++) {
        g.spawn(later("x").withTimeout(Duration.ofSeconds(1)));
      }
      return Future.succeededFuture();
    }));
    assertThat(timers.scheduled).hasValue(1);
    assertThat(timers.clock.pending()).isZero();
  }

  @Test
  void remainingIsZeroNotAbsentOnceTheDeadlineHasPassed() {
    ManualTimers clock = new ManualTimers();
    Context context = vertx.getOrCreateContext();
    AtomicReference<Optional<Duration>> seenOnCancel = new AtomicReference<>();
    Future<Void> group = await(call(context, () -> TaskGroup.run(vertx, clock.options().setTimeout(Duration.ofMillis(100)), g -> {
      g.spawn(scope -> {
        scope.onCancel(c -> seenOnCancel.set(scope.remaining()));
        return untilCancelled().run(scope);
      });
      return Future.succeededFuture();
    })));
    await(call(context, () -> {
      clock.advance(Duration.ofMillis(100));
      return null;
    }));
    awaitFailure(group);
    assertThat(seenOnCancel.get()).contains(Duration.ZERO);
  }

  @Test
  void aGroupWhoseBodyAnswersAtOnceSchedulesNoTimerForItsDeadline() {
    CountingTimers timers = new CountingTimers(Timers.VERTX);
    Context context = vertx.getOrCreateContext();
    String result = await(await(call(context, () -> TaskGroup.run(vertx,
        new TaskGroupOptions().setTimers(timers).setTimeout(Duration.ofSeconds(30)), g -> Future.succeededFuture("now")))));
    assertThat(result).isEqualTo("now");
    assertThat(timers.scheduled).hasValue(0);
  }

  @Test
  void aTimedTaskThatCompletesSynchronouslySchedulesNoTimer() {
    CountingTimers timers = new CountingTimers(Timers.VERTX);
    Context context = vertx.getOrCreateContext();
    await(await(call(context, () -> TaskGroup.run(vertx, new TaskGroupOptions().setTimers(timers), g -> {
      TaskFn<String> now = scope -> Future.succeededFuture("now");
      return g.spawn(now.withTimeout(Duration.ofSeconds(30))).future();
    }))));
    assertThat(timers.scheduled).hasValue(0);
  }

  @Test
  void aDeadlineQueuedInAFrameIsArmedAsTheFrameExitsAndFires() {
    CountingTimers timers = new CountingTimers(Timers.VERTX);
    Context context = vertx.getOrCreateContext();
    Throwable failure = awaitFailure(await(call(context, () -> TaskGroup.run(vertx,
        new TaskGroupOptions().setTimers(timers).setTimeout(Duration.ofMillis(50)), g -> g.sleep(Duration.ofSeconds(30))))));
    assertThat(failure).isInstanceOf(TaskGroupException.class);
    assertThat(((TaskGroupException) failure).exceptions()).singleElement().isInstanceOf(TaskTimeoutException.class);
    assertThat(timers.scheduled).as("the group's deadline and the sleep's").hasValue(2);
  }

  @Test
  void aDeadlineQueuedOnAWorkerContextIsArmedAtOnce() {
    CountingTimers timers = new CountingTimers(Timers.VERTX);
    AtomicInteger seenInTheBody = new AtomicInteger(-1);
    await(vertx.deployVerticle(new io.vertx.core.VerticleBase() {
      @Override
      public Future<?> start() {
        // A worker's frame may block in Future.await: its deadline must be armed before the body runs.
        return TaskGroup.run(vertx, new TaskGroupOptions().setTimers(timers).setTimeout(Duration.ofSeconds(30)), g -> {
          seenInTheBody.set(timers.scheduled.get());
          return Future.succeededFuture();
        });
      }
    }, new io.vertx.core.DeploymentOptions().setThreadingModel(io.vertx.core.ThreadingModel.WORKER)));
    assertThat(seenInTheBody).hasValue(1);
  }

  /** A pattern's spawn loop reads the clock once per Deadlines.STAMP_EVERY deadlines it adds (see Deadlines.batch). */
  @Nested
  class OneClockReadingPerSpawnLoop {
    private List<TaskFn<Integer>> timed(int n, TaskFn<Integer> each) {
      return IntStream.range(0, n).mapToObj(i -> each.withTimeout(Duration.ofSeconds(10))).toList();
    }

    @Test
    void aPatternOfAThousandTimedTasksReadsTheClockAFewTimesNotOncePerTask() {
      CountingTimers timers = new CountingTimers();
      Context context = vertx.getOrCreateContext();
      Future<List<Integer>> all = await(call(context, () -> {
        Future<List<Integer>> f = TaskGroup.all(vertx, new TaskGroupOptions().setTimers(timers), timed(1000, later(7)));
        assertThat(timers.clockReads.get()).as("clock reads by the time the spawn loop returned")
            .isLessThanOrEqualTo(2 + 1000 / Deadlines.STAMP_EVERY + 1);
        return f;
      }));
      assertThat(await(all)).hasSize(1000).containsOnly(7);
      assertThat(timers.scheduled).hasValue(1);
    }

    @Test
    void timedTasksThatSettleInsideTheLoopArmNoTimer() {
      CountingTimers timers = new CountingTimers();
      assertThat(await(TaskGroup.all(vertx, new TaskGroupOptions().setTimers(timers),
          timed(100, scope -> Future.succeededFuture(1))))).hasSize(100);
      assertThat(timers.scheduled).hasValue(0);
    }

    @Test
    void aDeadlineStampedAtTheLoopsEndIsNeverEarlierThanItsTasksStart() {
      ManualTimers clock = new ManualTimers();
      Context context = vertx.getOrCreateContext();
      TaskFn<Integer> slowToStart = scope -> {
        clock.advance(Duration.ofSeconds(5)); // the loop takes 5 s before the next task starts
        return VertxTest.<Integer>untilCancelled().run(scope);
      };
      List<TaskFn<Integer>> fns = List.of(slowToStart.withTimeout(Duration.ofSeconds(10)),
          VertxTest.<Integer>untilCancelled().withTimeout(Duration.ofSeconds(10)));
      Future<List<Outcome<Integer>>> gather = await(call(context, () -> TaskGroup.gather(vertx, clock.options(), fns)));
      await(call(context, () -> {
        clock.advance(Duration.ofMillis(9_999)); // to 10 s after the second task's start, less a millisecond
        return null;
      }));
      assertThat(gather.isComplete()).as("no timeout fired before its task had its full 10 s").isFalse();
      await(call(context, () -> {
        clock.advance(Duration.ofMillis(1));
        return null;
      }));
      assertThat(await(gather)).allSatisfy(o -> assertThat(o.cause()).isInstanceOf(TaskTimeoutException.class));
    }

    @Test
    void aTaskThatAsksForItsRemainingTimeInsideTheLoopGetsItsDeadlineThere() {
      ManualTimers clock = new ManualTimers();
      Context context = vertx.getOrCreateContext();
      AtomicReference<Optional<Duration>> seen = new AtomicReference<>();
      TaskFn<Integer> asks = scope -> {
        seen.set(scope.remaining());
        clock.advance(Duration.ofSeconds(3)); // the rest of the loop takes 3 s
        return VertxTest.<Integer>untilCancelled().run(scope);
      };
      List<TaskFn<Integer>> fns = List.of(asks.withTimeout(Duration.ofSeconds(10)), VertxTest.<Integer>untilCancelled().withTimeout(Duration.ofSeconds(10)));
      Future<List<Outcome<Integer>>> gather = await(call(context, () -> TaskGroup.gather(vertx, clock.options(), fns)));
      assertThat(seen.get()).contains(Duration.ofSeconds(10));
      await(call(context, () -> {
        clock.advance(Duration.ofSeconds(7)); // the first task's 10 s are up; the second's started 3 s later
        return null;
      }));
      assertThat(gather.isComplete()).isFalse();
      await(call(context, () -> {
        clock.advance(Duration.ofSeconds(3));
        return null;
      }));
      assertThat(await(gather)).allSatisfy(o -> assertThat(o.cause()).isInstanceOf(TaskTimeoutException.class));
    }
  }
}
