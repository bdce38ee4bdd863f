package dev.taskgroup.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.taskgroup.TaskGroup;
import dev.taskgroup.TaskGroupOptions;
import dev.taskgroup.eventbus.ScopedEventBus;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.http.RequestOptions;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxTestContext;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/** A long-lived task that makes many calls holds hooks only for the calls in flight. */
class NoLeftoversTest extends WithUpstream {
  static final int CALLS = 10_000;
  static final int LANES = 8; // calls in flight at once


  /** Runs {@code op} {@code n} times, one after the other, without a compose chain as deep as n. */
  static Future<Void> repeat(int n, Supplier<Future<?>> op) {
    Promise<Void> done = Promise.promise();
    new Object() {
      int left = n;

      void next() {
        if (left-- == 0) {
          done.complete();
          return;
        }
        op.get().onComplete(ar -> {
          if (ar.failed()) {
            done.fail(ar.cause());
          } else {
            next();
          }
        });
      }
    }.next();
    return done.future();
  }

  /** {@code CALLS} calls of {@code op}, in {@code LANES} concurrent sequences. */
  static Future<Void> inLanes(Supplier<Future<?>> op) {
    List<Future<Void>> lanes = new ArrayList<>();
    for (int i = 0; i < LANES; i++) {
      lanes.add(repeat(CALLS / LANES, op));
    }
    return Future.all(lanes).mapEmpty();
  }

  @Nested
  class AfterTenThousandCalls {

    @Test
    @Timeout(value = 120, timeUnit = TimeUnit.SECONDS)
    void httpCallsInOneTaskLeaveNoHooks(Vertx vertx, VertxTestContext ctx) {
      Caller.Clients clients = Caller.HTTP_CLIENT_H2.open(vertx, upstream.port(), 1);
      TestScopes.Counting[] counting = new TestScopes.Counting[1];
      // a deadline, so each call also gets an I/O timeout bound to the scope
      TaskGroup.run(vertx, new TaskGroupOptions().setTimeout(Duration.ofSeconds(100)), group -> group.spawn(scope -> {
        counting[0] = new TestScopes.Counting(scope);
        return inLanes(() -> clients.scoped.send(counting[0], new RequestOptions().setURI("/fast")));
      }).future()).onComplete(ctx.succeeding(v -> ctx.verify(() -> {
        assertThat(counting[0].registered).isGreaterThanOrEqualTo(CALLS);
        assertThat(counting[0].maxLive).isLessThanOrEqualTo(LANES + 1); // + the start probe
        assertThat(counting[0].live).as("hooks still registered").isZero();
        ctx.completeNow();
      })));
    }

    @Test
    @Timeout(value = 120, timeUnit = TimeUnit.SECONDS)
    void webClientCallsInOneTaskLeaveNoHooksAndNothingParked(Vertx vertx, VertxTestContext ctx) {
      Caller.Clients clients = Caller.WEB_CLIENT_H2.open(vertx, upstream.port(), 1);
      TestScopes.Counting[] counting = new TestScopes.Counting[1];
      TaskGroup.run(vertx, group -> group.spawn(scope -> {
        counting[0] = new TestScopes.Counting(scope);
        return inLanes(() -> clients.get(counting[0], "/fast"));
      }).future()).onComplete(ctx.succeeding(v -> ctx.verify(() -> {
        assertThat(counting[0].registered).isGreaterThanOrEqualTo(CALLS);
        assertThat(counting[0].live).as("hooks still registered").isZero();
        assertThat(WebClientScopeAdapter.parkedCount()).as("calls parked for the interceptor").isZero();
        ctx.completeNow();
      })));
    }

    @Test
    @Timeout(value = 120, timeUnit = TimeUnit.SECONDS)
    void eventBusRequestsInOneTaskLeaveNoHooks(Vertx vertx, VertxTestContext ctx) {
      vertx.eventBus().consumer("echo", msg -> msg.reply(msg.body()));
      TestScopes.Counting[] counting = new TestScopes.Counting[1];
      TaskGroup.run(vertx, group -> group.spawn(scope -> {
        counting[0] = new TestScopes.Counting(scope);
        return inLanes(() -> ScopedEventBus.request(counting[0], vertx.eventBus(), "echo", "x", null));
      }).future()).onComplete(ctx.succeeding(v -> ctx.verify(() -> {
        assertThat(counting[0].registered).isGreaterThanOrEqualTo(CALLS);
        assertThat(counting[0].live).as("hooks still registered").isZero();
        ctx.completeNow();
      })));
    }

    @Test
    @Timeout(value = 120, timeUnit = TimeUnit.SECONDS)
    void periodicTimersRemovedInOneTaskLeaveNoHooksOrTimers(Vertx vertx, VertxTestContext ctx) {
      TestScopes.Counting[] counting = new TestScopes.Counting[1];
      List<ScopedTimers.Periodic> all = new ArrayList<>();
      TaskGroup.run(vertx, group -> group.spawn(scope -> {
        counting[0] = new TestScopes.Counting(scope);
        for (int i = 0; i < CALLS; i++) {
          ScopedTimers.Periodic p = (ScopedTimers.Periodic) ScopedTimers.periodic(counting[0], Duration.ofHours(1), id -> {});
          all.add(p);
          p.remove();
        }
        return Future.succeededFuture();
      }).future()).onComplete(ctx.succeeding(v -> ctx.verify(() -> {
        assertThat(counting[0].live).as("hooks still registered").isZero();
        assertThat(all).allSatisfy(p -> assertThat(p.isStopped()).isTrue());
        ctx.completeNow();
      })));
    }
  }
}
