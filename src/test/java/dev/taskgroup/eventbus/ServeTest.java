package dev.taskgroup.eventbus;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.taskgroup.CancelReason;
import dev.taskgroup.Task;
import dev.taskgroup.TaskCancelledException;
import dev.taskgroup.TaskGroup;
import dev.taskgroup.TaskGroupOptions;
import dev.taskgroup.VertxTest;
import dev.taskgroup.http.TestScopes;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.Test;

/** The serving side on a local bus: replies and failure codes, deadlines, cancel signals, bad input, lifecycle. */
class ServeTest extends VertxTest {

  /** A handler that waits for its cancellation, records its reason and ends with it. */
  static final class Waiting implements ServeHandler<Object, String> {
    final Promise<Duration> started = Promise.promise();
    final Promise<CancelReason> cancelled = Promise.promise();

    @Override
    public Future<String> handle(dev.taskgroup.TaskScope scope, Message<Object> message) {
      Promise<String> work = Promise.promise();
      scope.onCancel(c -> {
        cancelled.tryComplete(c.reason());
        work.tryFail(c);
      });
      started.tryComplete(scope.remaining().orElse(Duration.ZERO));
      return work.future();
    }
  }

  private Service serve(String address, ServeOptions options, ServeHandler<Object, ?> handler) {
    return await(ScopedEventBus.serve(vertx, address, options, handler));
  }

  private ReplyException failureOf(Future<?> reply) {
    Throwable t = awaitFailure(reply);
    assertThat(t).isInstanceOf(ReplyException.class);
    return (ReplyException) t;
  }

  @Nested
  class Replies {

    @Test
    void theHandlersResultIsTheReply() {
      serve("echo", null, (scope, msg) -> Future.succeededFuture("re: " + msg.body()));
      assertThat(await(vertx.eventBus().request("echo", "hi")).body()).isEqualTo("re: hi");
    }

    @Test
    void aFailingHandlerIsAnErrorReplyWithItsMessage() {
      serve("failing", null, (scope, msg) -> Future.failedFuture(new IllegalStateException("no stock")));
      ReplyException e = failureOf(vertx.eventBus().request("failing", "x"));
      assertThat(e.failureType()).isEqualTo(ReplyFailure.RECIPIENT_FAILURE);
      assertThat(e.failureCode()).isEqualTo(ScopedEventBus.FAILURE_ERROR);
      assertThat(e.getMessage()).contains("no stock");
    }

    @Test
    void aHandlerThatThrowsOrReturnsNullIsAnErrorReply() {
      serve("throwing", null, (scope, msg) -> {
        throw new Exception("thrown");
      });
      serve("null", null, (scope, msg) -> null);
      assertThat(failureOf(vertx.eventBus().request("throwing", "x")).failureCode()).isEqualTo(ScopedEventBus.FAILURE_ERROR);
      assertThat(failureOf(vertx.eventBus().request("null", "x")).getMessage()).contains("returned null");
    }

    @Test
    void aRecipientFailureOfTheHandlerKeepsItsCode() {
      serve("not-found", null, (scope, msg) -> Future.failedFuture(
          new ReplyException(ReplyFailure.RECIPIENT_FAILURE, 404, "no such sku")));
      ReplyException e = failureOf(vertx.eventBus().request("not-found", "x"));
      assertThat(e.failureCode()).isEqualTo(404);
      assertThat(e.getMessage()).isEqualTo("no such sku");
    }

    @Test
    void aScopedRequestGetsTheReplyOfAService() {
      serve("json", null, (scope, msg) -> Future.succeededFuture(new JsonObject().put("got", msg.body())));
      JsonObject reply = await(TaskGroup.run(vertx, group -> ScopedEventBus.<JsonObject>request(group, vertx.eventBus(),
          "json", "x", null).map(Message::body)));
      assertThat(reply).isEqualTo(new JsonObject().put("got", "x"));
    }
  }

  @Nested
  class Deadlines {

    @Test
    void theLocalMaximumBoundsAPlainRequest() {
      Waiting handler = new Waiting();
      serve("bounded", new ServeOptions().setMaxTimeout(Duration.ofMillis(100)), handler);
      ReplyException e = failureOf(vertx.eventBus().request("bounded", "x"));
      assertThat(e.failureCode()).isEqualTo(ScopedEventBus.FAILURE_TIMEOUT);
      assertThat(await(handler.cancelled.future())).isEqualTo(CancelReason.DEADLINE);
    }

    @Test
    void aCallerDeadlineLongerThanTheLocalMaximumIsCutToIt() {
      Waiting handler = new Waiting();
      serve("cut", new ServeOptions().setMaxTimeout(Duration.ofMillis(200)), handler);
      Future<Message<Object>> reply = vertx.eventBus().request("cut", "x",
          new DeliveryOptions().addHeader(ScopedEventBus.DEADLINE_HEADER, "60000"));
      assertThat(await(handler.started.future())).isLessThanOrEqualTo(Duration.ofMillis(200));
      assertThat(failureOf(reply).failureCode()).isEqualTo(ScopedEventBus.FAILURE_TIMEOUT);
    }

    @Test
    void eachCallGetsItsOwnCallersRemainingTimeWhetherOrNotItRepeatsThePreviousOne() {
      List<Duration> seen = new java.util.concurrent.CopyOnWriteArrayList<>();
      serve("remaining", new ServeOptions().setMaxTimeout(Duration.ofSeconds(10)), (scope, msg) -> {
        seen.add(scope.remaining().orElseThrow());
        return Future.succeededFuture("ok");
      });
      for (String ms : List.of("5000", "5000", "60000", "3000")) { // the same twice, above the maximum, below again
        await(vertx.eventBus().request("remaining", "x", new DeliveryOptions().addHeader(ScopedEventBus.DEADLINE_HEADER, ms)));
      }
      assertThat(seen).hasSize(4);
      assertThat(seen.get(0)).isBetween(Duration.ofMillis(4000), Duration.ofMillis(5000));
      assertThat(seen.get(1)).isBetween(Duration.ofMillis(4000), Duration.ofMillis(5000));
      assertThat(seen.get(2)).as("cut to the maximum").isBetween(Duration.ofSeconds(9), Duration.ofSeconds(10));
      assertThat(seen.get(3)).isBetween(Duration.ofMillis(2000), Duration.ofMillis(3000));
    }

    @Test
    void aDeadlineOfZeroIsATimeoutReplyWithoutRunningTheHandler() {
      AtomicInteger runs = new AtomicInteger();
      serve("late", null, (scope, msg) -> {
        runs.incrementAndGet();
        return Future.succeededFuture("ran");
      });
      ReplyException e = failureOf(vertx.eventBus().request("late", "x",
          new DeliveryOptions().addHeader(ScopedEventBus.DEADLINE_HEADER, "0")));
      assertThat(e.failureCode()).isEqualTo(ScopedEventBus.FAILURE_TIMEOUT);
      assertThat(e.getMessage()).contains("no time left");
      assertThat(runs).hasValue(0);
    }

    @Test
    void aMalformedDeadlineHeaderIsIgnoredAndTheLocalMaximumApplies() {
      Waiting handler = new Waiting();
      serve("malformed-deadline", new ServeOptions().setMaxTimeout(Duration.ofMillis(300)), handler);
      vertx.eventBus().request("malformed-deadline", "x",
          new DeliveryOptions().addHeader(ScopedEventBus.DEADLINE_HEADER, "-5"));
      assertThat(await(handler.started.future())).isGreaterThan(Duration.ofMillis(200))
          .isLessThanOrEqualTo(Duration.ofMillis(300));
    }

    @RepeatedTest(5)
    void aScopedCallerWhoseDeadlinePassesSeesItsOwnTimeoutNotTheServicesReply() {
      Waiting handler = new Waiting();
      Service service = serve("both-deadlines", null, handler);
      Throwable failure = awaitFailure(TaskGroup.run(vertx, new TaskGroupOptions().setTimeout(Duration.ofMillis(150)),
          group -> ScopedEventBus.request(group, vertx.eventBus(), "both-deadlines", "x", null)));
      // The service's deadline is the same instant; its timeout reply is held back for the caller's
      // cancel signal, so the caller's group fails with its own TaskTimeoutException.
      assertThat(failure).isInstanceOf(dev.taskgroup.TaskGroupException.class);
      assertThat(((dev.taskgroup.TaskGroupException) failure).exceptions()).singleElement()
          .isInstanceOf(dev.taskgroup.TaskTimeoutException.class);
      // Both deadlines are the same instant: the service's own timer or the caller's cancel signal,
      // whichever comes first on a busy machine, ends the work.
      assertThat(await(handler.cancelled.future())).isIn(CancelReason.DEADLINE, CancelReason.EXPLICIT);
      await(vertx.timer(2 * dev.taskgroup.ScopedIo.DEADLINE_GRACE_MS)); // the held reply's timer, had it been kept
      assertThat(leftovers(service).tracked()).isZero();
    }

    @Test
    void aNestedCallCarriesTheRemainingTimeOn() {
      Waiting last = new Waiting();
      serve("inner", null, last);
      serve("outer", null, (scope, msg) -> scope.sleep(Duration.ofMillis(50))
          .compose(v -> ScopedEventBus.request(scope, vertx.eventBus(), "inner", "x", null)).map(Message::body));
      TaskGroup.run(vertx, new TaskGroupOptions().setTimeout(Duration.ofMillis(300)),
          group -> ScopedEventBus.request(group, vertx.eventBus(), "outer", "x", null));
      assertThat(await(last.started.future())).isPositive().isLessThanOrEqualTo(Duration.ofMillis(250));
    }
  }

  @Nested
  class CancelSignals {

    @Test
    void theCallersCancelStopsTheWorkAndNoLateReplyIsSent() {
      Waiting handler = new Waiting();
      Service service = serve("cancellable", null, handler);
      long droppedBefore = ScopedEventBus.droppedReplies();
      await(TaskGroup.run(vertx, group -> {
        Task<Message<Object>> asking = group.spawn(scope -> ScopedEventBus.request(scope, vertx.eventBus(),
            "cancellable", "x", null));
        return TestScopes.on(group.context(), handler.started.future()).map(d -> asking.cancel());
      }));
      assertThat(await(handler.cancelled.future())).isEqualTo(CancelReason.EXPLICIT);
      assertThat(leftovers(service).droppedResults()).isEqualTo(1);
      assertThat(leftovers(service).tracked()).isZero();
      assertThat(ScopedEventBus.droppedReplies()).isEqualTo(droppedBefore); // the acknowledgement is not a reply
    }

    @Test
    void aCancelSignalThatIsNotAStringOrNamesNoCallIsIgnored() {
      Service service = serve("ignoring", null, (scope, msg) -> Future.succeededFuture("ok"));
      String control = "ignoring" + ScopedEventBus.CONTROL_SUFFIX;
      vertx.eventBus().publish(control, 42);
      vertx.eventBus().publish(control, "local/999999999");
      vertx.eventBus().publish(control, null);
      assertThat(await(vertx.eventBus().request("ignoring", "x")).body()).isEqualTo("ok"); // after the signals
      assertThat(leftovers(service).ignoredCancels()).isEqualTo(3);
    }

    @Test
    void aMalformedRequestIdIsServedButCannotBeCancelledBySignal() {
      Waiting handler = new Waiting();
      Service service = serve("bad-id", new ServeOptions().setMaxTimeout(Duration.ofMillis(200)), handler);
      Future<Message<Object>> reply = vertx.eventBus().request("bad-id", "x",
          new DeliveryOptions().addHeader(ScopedEventBus.REQUEST_ID_HEADER, "no-slash"));
      await(handler.started.future());
      vertx.eventBus().publish("bad-id" + ScopedEventBus.CONTROL_SUFFIX, "no-slash");
      assertThat(failureOf(reply).failureCode()).isEqualTo(ScopedEventBus.FAILURE_TIMEOUT); // its deadline ended it
      assertThat(await(handler.cancelled.future())).isEqualTo(CancelReason.DEADLINE);
      assertThat(leftovers(service).ignoredCancels()).isEqualTo(1);
    }

    @Test
    void requestIdsNameTheCallersNodeOrAreRefused() {
      assertThat(ScopedEventBus.callerNode("local/17")).isEqualTo("local");
      assertThat(ScopedEventBus.callerNode("a/b/17")).isEqualTo("a/b");
      assertThat(ScopedEventBus.callerNode(null)).isNull();
      assertThat(ScopedEventBus.callerNode("17")).isNull();
      assertThat(ScopedEventBus.callerNode("/17")).isNull();
      assertThat(ScopedEventBus.callerNode("node/")).isNull();
      assertThat(ScopedEventBus.callerNode("n".repeat(ScopedEventBus.MAX_ID_LENGTH) + "/1")).isNull();
    }
  }

  @Nested
  class Lifecycle {

    @Test
    void closingTheServiceCancelsItsWorkAndAnswersUnavailable() {
      Waiting handler = new Waiting();
      Service service = serve("closing", null, handler);
      Future<Message<Object>> reply = vertx.eventBus().request("closing", "x");
      await(handler.started.future());
      await(service.close());
      ReplyException e = failureOf(reply);
      assertThat(e.failureCode()).isEqualTo(ScopedEventBus.FAILURE_UNAVAILABLE);
      assertThat(await(handler.cancelled.future())).isEqualTo(CancelReason.EXPLICIT);
      assertThat(failureOf(vertx.eventBus().request("closing", "x")).failureType()).isEqualTo(ReplyFailure.NO_HANDLERS);
    }

    @Test
    void undeployingTheServingVerticleCancelsItsWorkAndAnswersUnavailable() {
      Waiting handler = new Waiting();
      String id = await(vertx.deployVerticle(new VerticleBase() {
        @Override
        public Future<?> start() {
          return ScopedEventBus.serve(vertx, "deployed", handler);
        }
      }));
      Future<Message<Object>> reply = vertx.eventBus().request("deployed", "x");
      await(handler.started.future());
      await(vertx.undeploy(id));
      assertThat(await(handler.cancelled.future())).isEqualTo(CancelReason.UNDEPLOYED);
      assertThat(failureOf(reply).failureCode()).isEqualTo(ScopedEventBus.FAILURE_UNAVAILABLE);
    }

    @Test
    void aServiceLivesOnTheContextThatRegisteredIt() {
      AtomicReference<io.vertx.core.Context> seen = new AtomicReference<>();
      io.vertx.core.Context context = vertx.getOrCreateContext();
      Promise<Service> served = Promise.promise();
      context.runOnContext(v -> ScopedEventBus.serve(vertx, "where", (scope, msg) -> {
        seen.set(io.vertx.core.Vertx.currentContext());
        return Future.succeededFuture("here");
      }).onComplete(served));
      await(served.future());
      await(vertx.eventBus().request("where", "x"));
      // The bus hands each message a duplicate of the consumer's context (Vert.x 5), of the same context.
      assertThat(((io.vertx.core.internal.ContextInternal) seen.get()).unwrap()).isSameAs(context);
    }
  }

  @Nested
  class BadInput {

    @Test
    void anEmptyAddressIsRefused() {
      assertThatThrownBy(() -> ScopedEventBus.serve(vertx, "", (scope, msg) -> Future.succeededFuture()))
          .isInstanceOf(IllegalArgumentException.class).hasMessage("address must not be empty");
    }

    @Test
    void anAddressEndingWithTheControlSuffixIsRefused() {
      assertThatThrownBy(() -> ScopedEventBus.serve(vertx, "x" + ScopedEventBus.CONTROL_SUFFIX,
          (scope, msg) -> Future.succeededFuture()))
          .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'x::taskgroup-cancel'");
    }

    @Test
    void aNonPositiveMaxTimeoutIsRefusedWithItsValue() {
      assertThatThrownBy(() -> new ServeOptions().setMaxTimeout(Duration.ZERO))
          .isInstanceOf(IllegalArgumentException.class).hasMessage("maxTimeout must be positive, got PT0S");
      assertThatThrownBy(() -> new ServeOptions().setMaxTimeout(Duration.ofMillis(-1)))
          .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("PT-0.001S");
      assertThatThrownBy(() -> new ServeOptions().setMaxTimeout(Duration.ofNanos(10)))
          .isInstanceOf(IllegalArgumentException.class).hasMessage("maxTimeout must be at least 1 ms, got PT0.00000001S");
    }

    @Test
    void aMaxTimeoutPastTheHeadersCapIsRefused() {
      assertThatThrownBy(() -> new ServeOptions().setMaxTimeout(Duration.ofDays(365 * 5)))
          .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("maxTimeout must be at most 99999999999 ms");
    }

    @Test
    void aNonPositiveNodeCheckIntervalIsRefusedWithItsValue() {
      assertThatThrownBy(() -> new ServeOptions().setNodeCheckInterval(Duration.ofSeconds(-2)))
          .isInstanceOf(IllegalArgumentException.class).hasMessage("nodeCheckInterval must be positive, got PT-2S");
    }
  }

  private static Services.Leftovers leftovers(Service service) {
    try {
      return Services.leftovers(service);
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }
}
