package dev.taskgroup.eventbus;

import static org.assertj.core.api.Assertions.assertThat;

import dev.taskgroup.Task;
import dev.taskgroup.TaskCancelledException;
import dev.taskgroup.TaskGroup;
import dev.taskgroup.http.TestScopes;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Event-bus requests bound to a scope: bounded by its deadline, late replies dropped. */
@ExtendWith(VertxExtension.class)
class ScopedEventBusTest {

  @Nested
  class Replies {

    @Test
    void replyWithinTheScopeIsDelivered(Vertx vertx, VertxTestContext ctx) {
      vertx.eventBus().<String>consumer("echo", msg -> msg.reply("re: " + msg.body()));
      TaskGroup.run(vertx, group -> group.spawn(scope ->
              ScopedEventBus.<String>request(scope, vertx.eventBus(), "echo", "hi", null).map(Message::body)).future())
          .onComplete(ctx.succeeding(body -> ctx.verify(() -> {
            assertThat(body).isEqualTo("re: hi");
            ctx.completeNow();
          })));
    }

    @Test
    void lateReplyIsDroppedAndCounted(Vertx vertx, VertxTestContext ctx) {
      long droppedBefore = ScopedEventBus.droppedReplies();
      Promise<Void> replied = Promise.promise();
      Promise<Message<String>> arrived = Promise.promise();
      // The consumer answers only after the task was cancelled.
      vertx.eventBus().<String>consumer("slow-echo", arrived::tryComplete);
      AtomicReference<Throwable> taskFailure = new AtomicReference<>();
      TaskGroup.run(vertx, group -> {
        Task<String> asking = group.spawn("asking", scope ->
            ScopedEventBus.<String>request(scope, vertx.eventBus(), "slow-echo", "hi", new DeliveryOptions())
                .map(Message::body));
        return TestScopes.on(group.context(), arrived.future()).compose(msg -> {
          asking.cancel();
          return asking.future().onFailure(taskFailure::set).otherwiseEmpty()
              .andThen(ar -> msg.reply("too late")) // the reply is sent after the task settled
              .mapEmpty();
        });
      }).onComplete(ctx.succeeding(v -> ctx.verify(() -> {
        assertThat(taskFailure.get()).isInstanceOf(TaskCancelledException.class);
        // The dropped reply is counted when the reply handler runs; poll with a Vert.x timer, not a sleep.
        long timer = vertx.setPeriodic(5, id -> {
          if (ScopedEventBus.droppedReplies() > droppedBefore) {
            vertx.cancelTimer(id);
            replied.tryComplete();
          }
        });
        replied.future().onComplete(ctx.succeeding(x -> ctx.verify(() -> {
          assertThat(ScopedEventBus.droppedReplies()).isEqualTo(droppedBefore + 1);
          ctx.completeNow();
        })));
        assertThat(timer).isNotNegative();
      })));
    }

    @Test
    void sendTimeoutIsTheScopesRemainingTime(Vertx vertx, VertxTestContext ctx) {
      vertx.eventBus().consumer("silent", msg -> {}); // never answers
      io.vertx.core.Context context = vertx.getOrCreateContext();
      context.runOnContext(v -> {
        TestScopes.DeadlineOnly scope = new TestScopes.DeadlineOnly(vertx, context, Duration.ofMillis(150));
        long start = System.nanoTime();
        // the options ask for 30 s; the scope has 150 ms left
        ScopedEventBus.request(scope, vertx.eventBus(), "silent", "hi", new DeliveryOptions().setSendTimeout(30_000))
            .onComplete(ctx.failing(err -> ctx.verify(() -> {
              assertThat(err).isInstanceOfSatisfying(ReplyException.class,
                  e -> assertThat(e.failureType()).isEqualTo(ReplyFailure.TIMEOUT));
              assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start)).isBetween(150L, 150L + dev.taskgroup.ScopedIo.DEADLINE_GRACE_MS + 1_000);
              ctx.completeNow();
            })));
      });
    }

    @Test
    void alreadyCancelledScopeSendsNothing(Vertx vertx, VertxTestContext ctx) {
      vertx.eventBus().consumer("never", msg -> ctx.failNow(new AssertionError("message was sent")));
      TaskGroup.run(vertx, group -> {
        group.spawn(scope -> {
          group.cancel();
          return ScopedEventBus.request(scope, vertx.eventBus(), "never", "hi", null);
        });
        return Future.<Void>succeededFuture();
      }).compose(v -> vertx.eventBus().request("never-check", "x").otherwiseEmpty())
          .onComplete(ctx.succeedingThenComplete());
    }
  }
}
