package dev.taskgroup.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.taskgroup.Registration;
import dev.taskgroup.TaskGroup;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Scope-bound timers stop with their scope. */
@ExtendWith(VertxExtension.class)
class ScopedTimersTest {

  @Nested
  class Periodic {

    @Test
    void periodicStopsWhenTheScopeIsCancelled(Vertx vertx, VertxTestContext ctx) {
      AtomicInteger ticks = new AtomicInteger();
      AtomicLong timerId = new AtomicLong(-1);
      TaskGroup.run(vertx, group -> {
        Promise<Void> thirdTick = Promise.promise();
        group.spawn("ticking", scope -> {
          ScopedTimers.periodic(scope, Duration.ofMillis(5), id -> {
            timerId.set(id);
            if (ticks.incrementAndGet() == 3) {
              thirdTick.tryComplete();
            }
          });
          return scope.sleep(Duration.ofHours(1));
        });
        return thirdTick.future().map(v -> {
          group.cancel();
          return (Void) null;
        });
      }).onComplete(ctx.succeeding(v -> ctx.verify(() -> {
        assertThat(ticks).hasValue(3);
        assertThat(vertx.cancelTimer(timerId.get())).as("the timer was already cancelled").isFalse();
        ctx.completeNow();
      })));
    }

    @Test
    void removingThePeriodicCancelsItsTimer(Vertx vertx, VertxTestContext ctx) {
      AtomicLong timerId = new AtomicLong(-1);
      TaskGroup.run(vertx, group -> group.spawn(scope -> {
        Promise<Boolean> removed = Promise.promise();
        Registration[] reg = new Registration[1];
        reg[0] = ScopedTimers.periodic(scope, Duration.ofMillis(5), id -> {
          timerId.set(id);
          removed.tryComplete(reg[0].remove());
        });
        return removed.future();
      }).future()).onComplete(ctx.succeeding(removed -> ctx.verify(() -> {
        assertThat(removed).isTrue();
        assertThat(vertx.cancelTimer(timerId.get())).isFalse();
        ctx.completeNow();
      })));
    }

    @Test
    void periodicStopsOnItsNextTickOnceTheTaskHasFinished(Vertx vertx, VertxTestContext ctx) {
      AtomicInteger ticks = new AtomicInteger();
      Registration[] reg = new Registration[1];
      TaskGroup.run(vertx, group -> group.spawn(scope -> {
        reg[0] = ScopedTimers.periodic(scope, Duration.ofMillis(20), id -> ticks.incrementAndGet());
        return Future.succeededFuture(); // ends without removing its timer
      }).future()).onComplete(ctx.succeeding(v -> {
        ScopedTimers.Periodic periodic = (ScopedTimers.Periodic) reg[0];
        // wait (on a Vert.x timer, not a sleep) until the periodic noticed the scope is gone
        vertx.setPeriodic(5, id -> {
          if (periodic.isStopped()) {
            vertx.cancelTimer(id);
            ctx.verify(() -> {
              assertThat(ticks).as("the handler never ran after the task finished").hasValue(0);
              assertThat(vertx.cancelTimer(periodic.timerId())).as("its timer is gone").isFalse();
              ctx.completeNow();
            });
          }
        });
      }));
    }

    @Test
    void timerIsTheScopesSleep(Vertx vertx, VertxTestContext ctx) {
      TaskGroup.run(vertx, group -> group.spawn(scope ->
              ScopedTimers.timer(scope, Duration.ofMillis(10)).map("woke")).future())
          .onComplete(ctx.succeeding(s -> ctx.verify(() -> {
            assertThat(s).isEqualTo("woke");
            ctx.completeNow();
          })));
    }
  }
}
