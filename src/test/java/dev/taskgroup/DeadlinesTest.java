package dev.taskgroup;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Context;
import io.vertx.core.Future;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** The shared deadline queues: bounded by live durations, cheap for tasks that run one by one. */
class DeadlinesTest extends VertxTest {

  /** Counts the timers a group schedules, on top of a manual clock. */
  private static final class CountingTimers implements Timers {
    final ManualTimers clock = new ManualTimers();
    final AtomicInteger scheduled = new AtomicInteger();

    @Override
    public long nanoTime() {
      return clock.nanoTime();
    }

    @Override
    public long schedule(Context context, long delayMillis, io.vertx.core.Handler<Long> handler) {
      scheduled.incrementAndGet();
      return clock.schedule(context, delayMillis, handler);
    }

    @Override
    public void cancel(Context context, long id) {
      clock.cancel(context, id);
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
}
