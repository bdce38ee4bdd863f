package dev.taskgroup;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * A hedge's delay is a node of its group's deadline queues: the hedges of one group with one delay
 * share one timer, it fires on the group's clock, and a hedge that ends leaves no node behind.
 */
class HedgeDelayTest extends OnManualClock {
  static HedgeOptions hedge(long delayMs) {
    return new HedgeOptions().setMaxAttempts(2).setDelay(ms(delayMs));
  }

  @Test
  void theHedgesOfAGroupShareOneTimerThatFiresOnTheGroupsClock() {
    int n = 1_000;
    AtomicInteger seconds = new AtomicInteger();
    Promise<Void> release = Promise.promise();
    AtomicReference<TaskGroup> group = new AtomicReference<>();
    TaskFn<String> fn = scope -> {
      if (scope.attempt() == 1) {
        return release.future().map("first"); // not scope-bound: the hedge's cancellation cannot end it early
      }
      seconds.incrementAndGet();
      return Future.succeededFuture("second");
    };
    Future<Void> result = group(g -> {
      group.set(g);
      for (int i = 0; i < n; i++) {
        g.spawn(fn.hedged(hedge(100)));
      }
      return Future.succeededFuture();
    });
    int[] armed = onContext(() -> Future.succeededFuture(new int[] {
        group.get().impl.deadlines.size(), group.get().impl.deadlines.armedTimers(), clock.pending()}));
    assertThat(armed).as("delay nodes, armed timers, timers on the clock").containsExactly(n, 1, 1);
    advance(99);
    assertThat(seconds).hasValue(0);
    advance(1);
    assertThat(seconds).as("every hedge's delay passed at once, on one timer").hasValue(n);
    onContext(() -> {
      release.complete();
      return Future.succeededFuture();
    });
    await(result);
    assertThat(group.get().impl.deadlines.size()).isZero();
  }

  @Test
  void aHundredThousandHedgesWonByTheirFirstAttemptLeaveNoDeadlineNodeOrHookBehind() {
    int chunks = 400;
    int perChunk = 250;
    Promise<Void> fed = Promise.promise();
    AtomicReference<TaskGroup> group = new AtomicReference<>();
    TaskFn<Integer> fn = scope -> scope.sleep(ms(1)).map(scope.attempt());
    Future<Void> result = group(g -> {
      group.set(g);
      return fed.future();
    });
    for (int c = 0; c < chunks; c++) { // a chunk per turn of the loop, a millisecond apart
      onContext(() -> {
        for (int i = 0; i < perChunk; i++) {
          group.get().spawn(fn.hedged(hedge(60_000)));
        }
        return Future.succeededFuture();
      });
      advance(1);
    }
    advance(1);
    int[] after = onContext(() -> {
      fed.complete();
      return Future.succeededFuture(new int[] {
          group.get().impl.deadlines.size(), group.get().impl.hookCount(), group.get().impl.running()});
    });
    await(result);
    assertThat(after).as("deadline nodes, hooks and tasks left").containsExactly(0, 0, 0);
    assertThat(clock.pending()).as("timers left armed").isZero();
  }
}
