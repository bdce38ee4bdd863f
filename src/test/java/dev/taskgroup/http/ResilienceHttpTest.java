package dev.taskgroup.http;

import static dev.taskgroup.http.TestScopes.on;
import static org.assertj.core.api.Assertions.assertThat;

import dev.taskgroup.HedgeOptions;
import dev.taskgroup.RetryOptions;
import dev.taskgroup.Task;
import dev.taskgroup.TaskFn;
import dev.taskgroup.TaskGroup;
import dev.taskgroup.TaskState;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxTestContext;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The resilience combinators against a real server on loopback: every attempt they give up on
 * (a hedge's loser, a timed-out attempt, the rest of a quorum) has its request reset, as the
 * server observes; a shielded request is not.
 */
@Timeout(value = 20, timeUnit = TimeUnit.SECONDS)
class ResilienceHttpTest extends WithUpstream {

  /** GETs {@code uri}; {@return "ok"} on a 200, else fails with the status. */
  static Future<String> get(Caller.Clients clients, dev.taskgroup.TaskScope scope, String uri) {
    return clients.get(scope, uri).compose(status -> status == 200 ? Future.succeededFuture("ok")
        : Future.failedFuture(new IOException("status " + status)));
  }

  @Nested
  class Hedge {
    @ParameterizedTest
    @EnumSource(value = Caller.class, names = {"HTTP_CLIENT_H1", "HTTP_CLIENT_H2"})
    void theLosingAttemptsRequestIsResetWhenTheHedgeWins(Caller caller, Vertx vertx, VertxTestContext ctx) {
      losingFirstAttemptIsReset(caller, vertx, ctx, "hedge", hedged -> TaskGroup.run(vertx, g -> g.spawn("read", hedged).future()));
    }

    /** A pattern's function runs attempt 1 in the pattern task's own scope: losing resets its request all the same. */
    @ParameterizedTest
    @EnumSource(value = Caller.class, names = {"HTTP_CLIENT_H1", "HTTP_CLIENT_H2"})
    void theLosingAttemptsRequestIsResetWhenAPatternsHedgeWins(Caller caller, Vertx vertx, VertxTestContext ctx) {
      losingFirstAttemptIsReset(caller, vertx, ctx, "pattern", hedged -> TaskGroup.all(vertx, List.of(hedged)).map(list -> list.get(0)));
    }

    /** Attempt 1 reads {@code /slow?id=ID-1}, attempt 2 (after 50 ms) {@code /fast?id=ID-2}; {@code run} runs the hedge. */
    private void losingFirstAttemptIsReset(Caller caller, Vertx vertx, VertxTestContext ctx, String id,
                                           Function<TaskFn<String>, Future<String>> run) {
      Caller.Clients clients = caller.open(vertx, upstream.port());
      TaskFn<String> read = scope -> get(clients, scope, scope.attempt() == 1 ? "/slow?id=" + id + "-1" : "/fast?id=" + id + "-2");
      Future<String> result = run.apply(read.hedged(new HedgeOptions().setDelay(Duration.ofMillis(50))));
      Future.all(result, upstream.aborted(id + "-1")).onComplete(ctx.succeeding(done -> ctx.verify(() -> {
        assertThat(result.result()).isEqualTo("ok");
        assertThat(upstream.aborted(id + "-1").result().kind()).isEqualTo(caller.expectedAbort());
        assertThat(upstream.receivedIds).contains(id + "-1", id + "-2");
        ctx.completeNow();
      })));
    }
  }

  @Nested
  class Retry {
    @ParameterizedTest
    @EnumSource(value = Caller.class, names = {"HTTP_CLIENT_H1", "HTTP_CLIENT_H2"})
    void anAttemptThatTimesOutHasItsRequestResetAndTheNextAttemptSucceeds(Caller caller, Vertx vertx, VertxTestContext ctx) {
      Caller.Clients clients = caller.open(vertx, upstream.port());
      TaskFn<String> call = scope -> get(clients, scope, scope.attempt() == 1 ? "/slow?id=retry-1" : "/fast?id=retry-2");
      TaskFn<String> retried = call.withTimeout(Duration.ofMillis(100))
          .retried(new RetryOptions().setInitialDelay(Duration.ofMillis(10)));
      Future<String> result = TaskGroup.run(vertx, g -> g.spawn("call", retried).future());
      Future.all(result, upstream.aborted("retry-1")).onComplete(ctx.succeeding(done -> ctx.verify(() -> {
        assertThat(result.result()).isEqualTo("ok");
        assertThat(upstream.aborted("retry-1").result().kind()).isEqualTo(caller.expectedAbort());
        ctx.completeNow();
      })));
    }

    @ParameterizedTest
    @EnumSource(value = Caller.class, names = {"HTTP_CLIENT_H1", "HTTP_CLIENT_H2"})
    void cancellingARetriedTaskResetsTheRunningAttemptsRequest(Caller caller, Vertx vertx, VertxTestContext ctx) {
      Caller.Clients clients = caller.open(vertx, upstream.port());
      TaskFn<String> call = scope -> get(clients, scope, scope.attempt() == 1 ? "/status/503?id=cancel-1" : "/slow?id=cancel-2");
      AtomicReference<Task<String>> task = new AtomicReference<>();
      Future<Void> group = TaskGroup.run(vertx, g -> {
        task.set(g.spawn("call", call.retried(new RetryOptions().setInitialDelay(Duration.ofMillis(10)))));
        g.spawn("canceller", scope -> on(scope.context(), upstream.received("cancel-2")).map(t -> task.get().cancel()));
        return Future.succeededFuture();
      });
      Future.all(group, upstream.aborted("cancel-2")).onComplete(ctx.succeeding(done -> ctx.verify(() -> {
        assertThat(task.get().state()).isEqualTo(TaskState.CANCELLED);
        assertThat(upstream.aborted("cancel-2").result().kind()).isEqualTo(caller.expectedAbort());
        ctx.completeNow();
      })));
    }
  }

  @Nested
  class Quorum {
    @ParameterizedTest
    @EnumSource(value = Caller.class, names = {"HTTP_CLIENT_H1", "HTTP_CLIENT_H2"})
    void theRequestNotNeededOnceTheQuorumIsReachedIsReset(Caller caller, Vertx vertx, VertxTestContext ctx) {
      Caller.Clients clients = caller.open(vertx, upstream.port());
      List<TaskFn<String>> replicas = List.of(
          scope -> get(clients, scope, "/fast?id=q-a"),
          scope -> get(clients, scope, "/slow?id=q-c"),
          scope -> get(clients, scope, "/fast?id=q-b"));
      Future<List<String>> result = TaskGroup.quorum(vertx, 2, replicas);
      Future.all(result, upstream.aborted("q-c")).onComplete(ctx.succeeding(done -> ctx.verify(() -> {
        assertThat(result.result()).containsExactly("ok", "ok");
        assertThat(upstream.aborted("q-c").result().kind()).isEqualTo(caller.expectedAbort());
        ctx.completeNow();
      })));
    }
  }

  @Nested
  class Shield {
    @ParameterizedTest
    @EnumSource(value = Caller.class, names = {"HTTP_CLIENT_H1", "HTTP_CLIENT_H2"})
    void aShieldedRequestCompletesWhileTheCancelledWorksRequestIsReset(Caller caller, Vertx vertx, VertxTestContext ctx) {
      Caller.Clients clients = caller.open(vertx, upstream.port());
      AtomicReference<String> cleanup = new AtomicReference<>();
      AtomicReference<Task<String>> task = new AtomicReference<>();
      Future<Void> group = TaskGroup.run(vertx, g -> {
        task.set(g.spawn("work", scope -> get(clients, scope, "/slow?id=work")
            .eventually(() -> TaskGroup.shield(scope, Duration.ofSeconds(5),
                s -> get(clients, s, "/delayed?ms=100&id=cleanup").onSuccess(cleanup::set)))));
        g.spawn("canceller", scope -> on(scope.context(), upstream.received("work")).map(t -> task.get().cancel()));
        return Future.succeededFuture();
      });
      Future.all(group, upstream.aborted("work")).onComplete(ctx.succeeding(done -> ctx.verify(() -> {
        assertThat(cleanup.get()).as("the shielded call completed before the group did").isEqualTo("ok");
        assertThat(upstream.aborted("work").result().kind()).isEqualTo(caller.expectedAbort());
        assertThat(upstream.aborted("cleanup").isComplete()).as("the shielded call was not reset").isFalse();
        ctx.completeNow();
      })));
    }

    @ParameterizedTest
    @EnumSource(value = Caller.class, names = {"HTTP_CLIENT_H1", "HTTP_CLIENT_H2"})
    void aShieldedRequestPastItsOwnTimeoutIsReset(Caller caller, Vertx vertx, VertxTestContext ctx) {
      Caller.Clients clients = caller.open(vertx, upstream.port());
      Future<String> result = TaskGroup.run(vertx, g -> TaskGroup.shield(g, Duration.ofMillis(100),
          s -> get(clients, s, "/slow?id=stuck")));
      upstream.aborted("stuck").onComplete(ctx.succeeding(abort -> ctx.verify(() -> {
        assertThat(abort.kind()).isEqualTo(caller.expectedAbort());
        result.onComplete(ctx.failing(e -> ctx.completeNow()));
      })));
    }
  }
}
