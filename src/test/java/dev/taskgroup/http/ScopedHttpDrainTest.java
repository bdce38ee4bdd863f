package dev.taskgroup.http;

import static dev.taskgroup.http.TestScopes.on;
import static org.assertj.core.api.Assertions.assertThat;

import dev.taskgroup.Task;
import dev.taskgroup.TaskFn;
import dev.taskgroup.TaskGroup;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxTestContext;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/**
 * What a cancellation costs an HTTP/1.1 connection: a call whose response head has arrived (the
 * upstream has answered) drains the rest and keeps its pooled connection; a call still waiting for
 * its head is reset, and the upstream sees its connection close; a call still queued for a
 * connection costs none. Pools of one connection, so that reuse is visible in the server's count.
 */
@Timeout(value = 20, timeUnit = TimeUnit.SECONDS)
class ScopedHttpDrainTest extends WithUpstream {

  /**
   * Starts {@code /halfbody?id=id&size=size} in a group, cancels it once the head and half the body
   * reached the client, and {@return the abort count right after the cancel}, then the call's end.
   */
  Future<Long> cancelAfterTheHead(Vertx vertx, Caller.Clients clients, String id, int size) {
    AtomicLong abortsAtCancel = new AtomicLong(-1);
    return TaskGroup.run(vertx, group -> {
      Task<Integer> download = group.spawn("download", scope -> clients.get(scope, "/halfbody?id=" + id + "&size=" + size));
      // The head and half the body are on the wire; give the client a moment to read them (a
      // scope sleep, not a thread sleep), then cancel mid-body.
      return on(group.context(), upstream.firstChunkWritten(id))
          .compose(v -> group.spawn("pause", scope -> scope.sleep(Duration.ofMillis(100))).future())
          .compose(v -> {
            download.cancel();
            abortsAtCancel.set(clients.scoped.abortedCount());
            return download.future().otherwiseEmpty();
          });
    }).map(v -> abortsAtCancel.get());
  }

  @Nested
  class AfterTheResponseHead {

    @Test
    void aCancelledCallWhoseHeadHasArrivedDrainsTheRestAndKeepsItsConnection(Vertx vertx, VertxTestContext ctx) {
      Caller.Clients clients = Caller.HTTP_CLIENT_H1.open(vertx, upstream.port(), 1);
      cancelAfterTheHead(vertx, clients, "drained", 2_000)
          .compose(abortsAtCancel -> {
            ctx.verify(() -> assertThat(abortsAtCancel).as("reset at the cancel").isZero());
            upstream.releaseRest("drained");
            // The pool has one connection: this call gets it once the drain has ended.
            return TaskGroup.run(vertx, group -> group.spawn(scope -> clients.get(scope, "/fast?id=after")).future());
          })
          .onComplete(ctx.succeeding(status -> ctx.verify(() -> {
            assertThat(status).isEqualTo(200);
            assertThat(upstream.answered("drained").succeeded()).as("the upstream wrote its whole answer").isTrue();
            assertThat(upstream.aborted("drained").isComplete()).as("the upstream saw an abort").isFalse();
            assertThat(upstream.connectionsOpened).hasValue(1);
            assertThat(upstream.connectionsClosed).hasValue(0);
            assertThat(clients.scoped.abortedCount()).isZero();
            ctx.completeNow();
          })));
    }

    @Test
    void aDrainThatOutlastsItsBoundIsResetAfterAll(Vertx vertx, VertxTestContext ctx) {
      Caller.Clients clients = Caller.HTTP_CLIENT_H1.open(vertx, upstream.port(), 1);
      long[] cancelledAt = {0};
      cancelAfterTheHead(vertx, clients, "stalled", 2_000) // the rest is never released
          .onComplete(ctx.succeeding(abortsAtCancel -> {
            cancelledAt[0] = System.nanoTime();
            ctx.verify(() -> assertThat(abortsAtCancel).as("reset at the cancel").isZero());
            upstream.aborted("stalled").onComplete(ctx.succeeding(abort -> ctx.verify(() -> {
              assertThat(abort.kind()).isEqualTo(Upstream.AbortKind.CONNECTION_CLOSED);
              assertThat(TimeUnit.NANOSECONDS.toMillis(abort.atNanos() - cancelledAt[0]))
                  .isLessThan(ScopedHttpClient.DRAIN_MAX_MS + ScopedHttpTest.ABORT_WITHIN_MS);
              assertThat(clients.scoped.abortedCount()).isEqualTo(1);
              ctx.completeNow();
            })));
          }));
    }

    @Test
    void aCancelledCallWithABodyLargerThanTheDrainBoundIsResetAtOnce(Vertx vertx, VertxTestContext ctx) {
      expectResetAtTheCancel(vertx, ctx, Caller.HTTP_CLIENT_H1, ScopedHttpClient.DRAIN_MAX_BYTES + 1);
    }

    @Test
    void onHttp2ACancelledCallIsResetEvenAfterItsHead(Vertx vertx, VertxTestContext ctx) {
      expectResetAtTheCancel(vertx, ctx, Caller.HTTP_CLIENT_H2, 2_000);
    }

    void expectResetAtTheCancel(Vertx vertx, VertxTestContext ctx, Caller caller, int size) {
      Caller.Clients clients = caller.open(vertx, upstream.port(), 1);
      cancelAfterTheHead(vertx, clients, "reset", size)
          .onComplete(ctx.succeeding(abortsAtCancel -> ctx.verify(() -> {
            assertThat(abortsAtCancel).as("reset at the cancel").isEqualTo(1);
            upstream.aborted("reset").onComplete(ctx.succeeding(abort -> ctx.verify(() -> {
              assertThat(abort.kind()).isEqualTo(caller.expectedAbort());
              ctx.completeNow();
            })));
          })));
    }
  }

  @Nested
  class BeforeTheResponseHead {

    @Test
    void aCancelledCallStillWaitingForItsHeadIsResetAndItsConnectionCloses(Vertx vertx, VertxTestContext ctx) {
      Caller.Clients clients = Caller.HTTP_CLIENT_H1.open(vertx, upstream.port(), 1);
      TaskGroup.run(vertx, group -> {
        Task<Integer> waiting = group.spawn("waiting", scope -> clients.get(scope, "/slow?id=headless"));
        return on(group.context(), upstream.received("headless")).compose(t -> {
          waiting.cancel();
          return waiting.future().otherwiseEmpty();
        });
      }).compose(v -> upstream.aborted("headless"))
          .compose(abort -> {
            ctx.verify(() -> assertThat(abort.kind()).isEqualTo(Upstream.AbortKind.CONNECTION_CLOSED));
            return TaskGroup.run(vertx, group -> group.spawn(scope -> clients.get(scope, "/fast?id=next")).future());
          })
          .onComplete(ctx.succeeding(status -> ctx.verify(() -> {
            assertThat(status).isEqualTo(200);
            assertThat(upstream.connectionsOpened).as("the next call needed a new connection").hasValue(2);
            assertThat(clients.scoped.abortedCount()).isEqualTo(1);
            ctx.completeNow();
          })));
    }

    @Test
    void aCallThatTimesOutWhileQueuedForAConnectionCostsNoConnection(Vertx vertx, VertxTestContext ctx) {
      Caller.Clients clients = Caller.HTTP_CLIENT_H1.open(vertx, upstream.port(), 1);
      TaskGroup.run(vertx, group -> {
        Task<Integer> holder = group.spawn("holder", scope -> clients.get(scope, "/delayed?id=holder&ms=300"));
        // Queued behind the holder for the one connection; its timeout passes while it waits.
        TaskFn<Integer> call = scope -> clients.get(scope, "/fast?id=queued");
        Task<Integer> queued = group.spawn("queued", call.withTimeout(Duration.ofMillis(50), -1));
        return Future.all(holder.future(), queued.future())
            .compose(v -> {
              ctx.verify(() -> assertThat(queued.future().result()).as("the timed-out call's fallback").isEqualTo(-1));
              return group.spawn("after", scope -> clients.get(scope, "/fast?id=after")).future();
            });
      }).onComplete(ctx.succeeding(status -> ctx.verify(() -> {
        assertThat(status).isEqualTo(200);
        assertThat(upstream.receivedIds).contains("holder", "after").doesNotContain("queued");
        assertThat(upstream.connectionsOpened).hasValue(1);
        assertThat(upstream.connectionsClosed).hasValue(0);
        ctx.completeNow();
      })));
    }
  }
}
