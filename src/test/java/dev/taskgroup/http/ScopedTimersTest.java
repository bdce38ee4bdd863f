package dev.taskgroup.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.taskgroup.Registration;
import dev.taskgroup.TaskGroup;
import dev.taskgroup.TaskGroupOptions;
import dev.taskgroup.TestClock;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.junit5.VertxExtension;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Scope-bound timers stop with their scope and follow the scope's clock. */
@ExtendWith(VertxExtension.class)
class ScopedTimersTest {
  private static final Duration SECOND = Duration.ofSeconds(1);

  private final TestClock clock = new TestClock();
  private final List<Long> ticks = new CopyOnWriteArrayList<>();

  private <T> T await(Future<T> f) throws Exception {
    return f.await(10, TimeUnit.SECONDS);
  }

  @Nested
  class Periodic {

    @Test
    void periodicTicksOncePerPeriodOfTheScopesClockWithTheTickNumber(Vertx vertx) throws Exception {
      await(TaskGroup.run(vertx, new TaskGroupOptions().setClock(clock), group -> {
        group.spawn("ticking", scope -> {
          ScopedTimers.periodic(scope, SECOND, ticks::add);
          return scope.sleep(Duration.ofHours(1));
        });
        clock.advance(Duration.ofMillis(3500));
        group.cancel();
        return Future.succeededFuture();
      }));
      assertThat(ticks).containsExactly(1L, 2L, 3L);
      assertThat(clock.pendingTimers()).as("no timer left once the group completed").isZero();
    }

    @Test
    void periodicStopsWhenTheScopeIsCancelled(Vertx vertx) throws Exception {
      Registration[] reg = new Registration[1];
      await(TaskGroup.run(vertx, new TaskGroupOptions().setClock(clock), group -> {
        group.spawn("ticking", scope -> {
          reg[0] = ScopedTimers.periodic(scope, SECOND, ticks::add);
          return scope.sleep(Duration.ofHours(1));
        });
        clock.advance(SECOND);
        group.cancel();
        clock.advance(Duration.ofSeconds(5));
        return Future.succeededFuture();
      }));
      assertThat(ticks).containsExactly(1L);
      assertThat(((ScopedTimers.Periodic) reg[0]).isStopped()).isTrue();
      assertThat(reg[0].remove()).as("already stopped").isFalse();
    }

    @Test
    void removingThePeriodicStopsItsTicks(Vertx vertx) throws Exception {
      boolean removed = await(TaskGroup.run(vertx, new TaskGroupOptions().setClock(clock), group -> group.spawn(scope -> {
        Registration reg = ScopedTimers.periodic(scope, SECOND, ticks::add);
        clock.advance(Duration.ofSeconds(2));
        boolean first = reg.remove();
        clock.advance(Duration.ofSeconds(5));
        return Future.succeededFuture(first && !reg.remove());
      }).future()));
      assertThat(removed).as("remove() is true once, then false").isTrue();
      assertThat(ticks).containsExactly(1L, 2L);
    }

    @Test
    void periodicStopsWhenItsTaskFinishes(Vertx vertx) throws Exception {
      Registration[] reg = new Registration[1];
      await(TaskGroup.run(vertx, new TaskGroupOptions().setClock(clock), group -> group.spawn(scope -> {
        reg[0] = ScopedTimers.periodic(scope, SECOND, ticks::add);
        return Future.succeededFuture(); // ends without removing its timer
      }).future()));
      assertThat(((ScopedTimers.Periodic) reg[0]).isStopped()).isTrue();
      assertThat(ticks).isEmpty();
      assertThat(clock.pendingTimers()).isZero();
    }

    @Test
    void periodicTicksOnRealTimeWithoutATestClock(Vertx vertx) throws Exception {
      await(TaskGroup.run(vertx, group -> group.spawn(scope -> {
        Promise<Void> third = Promise.promise();
        ScopedTimers.periodic(scope, Duration.ofMillis(5), n -> {
          ticks.add(n);
          if (n == 3) {
            third.tryComplete();
          }
        });
        return third.future();
      }).future()));
      assertThat(ticks).startsWith(1L, 2L, 3L);
    }

    @Test
    void aPeriodOfCenturiesIsAcceptedAndAPeriodTooNegativeForMillisecondsIsRefused(Vertx vertx) throws Exception {
      boolean removed = await(TaskGroup.run(vertx, group -> group.spawn(scope ->
          Future.succeededFuture(ScopedTimers.periodic(scope, Duration.ofSeconds(Long.MAX_VALUE), ticks::add).remove())).future()));
      assertThat(removed).isTrue();
      Throwable refused = await(TaskGroup.run(vertx, group -> {
        try {
          ScopedTimers.periodic(group, Duration.ofSeconds(Long.MIN_VALUE), ticks::add);
          return Future.succeededFuture(null);
        } catch (IllegalArgumentException e) {
          return Future.succeededFuture(e);
        }
      }));
      assertThat(refused).hasMessage("period must be at least 1 ms, got " + Duration.ofSeconds(Long.MIN_VALUE));
      assertThatThrownBy(() -> ScopedTimers.periodic(null, SECOND, ticks::add)).isInstanceOf(NullPointerException.class);
    }

    @Test
    void timerIsTheScopesSleep(Vertx vertx) throws Exception {
      String woke = await(TaskGroup.run(vertx, new TaskGroupOptions().setClock(clock), group -> {
        Future<String> f = group.spawn(scope -> ScopedTimers.timer(scope, Duration.ofMillis(10)).map("woke")).future();
        clock.advance(Duration.ofMillis(10));
        return f;
      }));
      assertThat(woke).isEqualTo("woke");
    }
  }
}
