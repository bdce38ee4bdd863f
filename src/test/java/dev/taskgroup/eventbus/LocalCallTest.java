package dev.taskgroup.eventbus;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.taskgroup.CancelReason;
import dev.taskgroup.Task;
import dev.taskgroup.TaskGroup;
import dev.taskgroup.TaskGroupOptions;
import dev.taskgroup.VertxTest;
import dev.taskgroup.http.TestScopes;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Promise;
import io.vertx.core.VerticleBase;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/**
 * Scoped calls on a bus that is not clustered: the deadline and the call travel in the body to a
 * local service, never as headers; a plain consumer gets the bare request; the wire keeps its headers
 * ({@code ClusterCallsTest} checks a remote consumer).
 */
class LocalCallTest extends VertxTest {

  /** What reached the bus's consumers: address, headers, body type (an inbound interceptor sees the real message). */
  record Delivered(String address, MultiMap headers, Object body) {}

  private List<Delivered> watchDeliveries() {
    List<Delivered> seen = new CopyOnWriteArrayList<>();
    vertx.eventBus().addInboundInterceptor(dc -> {
      Message<?> m = dc.message();
      seen.add(new Delivered(m.address(), MultiMap.caseInsensitiveMultiMap().addAll(m.headers()), dc.body()));
      dc.next();
    });
    return seen;
  }

  private static <T> Future<Message<T>> scopedRequest(io.vertx.core.Vertx vertx, String address, Object body, Duration deadline) {
    return TaskGroup.run(vertx, new TaskGroupOptions().setTimeout(deadline),
        group -> ScopedEventBus.<T>request(group, vertx.eventBus(), address, body, null));
  }

  @Nested
  class ToALocalService {

    @Test
    void theDeadlineAndTheCallTravelInTheBodyNotInHeaders() {
      List<Delivered> seen = watchDeliveries();
      await(ScopedEventBus.serve(vertx, "fast", (scope, msg) -> Future.succeededFuture("re: " + msg.body())));
      assertThat(await(scopedRequest(vertx, "fast", "hi", Duration.ofSeconds(30))).body()).isEqualTo("re: hi");
      Delivered request = seen.get(0);
      assertThat(request.address()).isEqualTo("fast" + ScopedEventBus.LOCAL_SUFFIX);
      assertThat(request.headers().isEmpty()).isTrue();
      assertThat(request.body()).isInstanceOf(LocalCall.class);
    }

    @Test
    void theHandlerSeesTheCallersBodyAddressDeadlineAndTheProtocolHeaders() {
      Promise<Message<Object>> received = Promise.promise();
      Promise<Duration> remaining = Promise.promise();
      await(ScopedEventBus.serve(vertx, "seen", (scope, msg) -> {
        remaining.complete(scope.remaining().orElseThrow());
        received.complete(msg);
        return Future.succeededFuture("ok");
      }));
      await(TaskGroup.run(vertx, new TaskGroupOptions().setTimeout(Duration.ofSeconds(30)),
          group -> ScopedEventBus.request(group, vertx.eventBus(), "seen", "hi",
              new DeliveryOptions().addHeader("x-tenant", "t1"))));
      Message<Object> msg = await(received.future());
      assertThat(msg.body()).isEqualTo("hi");
      assertThat(msg.address()).isEqualTo("seen");
      assertThat(msg.isSend()).isTrue();
      assertThat(msg.headers().get("x-tenant")).isEqualTo("t1");
      assertThat(Long.parseLong(msg.headers().get(ScopedEventBus.DEADLINE_HEADER))).isBetween(20_000L, 30_000L);
      assertThat(msg.headers().get(ScopedEventBus.REQUEST_ID_HEADER)).matches("local/[0-9]+");
      assertThat(await(remaining.future())).isGreaterThan(Duration.ofSeconds(20)).isLessThanOrEqualTo(Duration.ofSeconds(30));
    }

    @Test
    void aCallerWithoutADeadlineSendsNoneAndTheLocalMaximumApplies() {
      Promise<Message<Object>> received = Promise.promise();
      Promise<Duration> remaining = Promise.promise();
      await(ScopedEventBus.serve(vertx, "no-deadline", new ServeOptions().setMaxTimeout(Duration.ofSeconds(5)), (scope, msg) -> {
        remaining.complete(scope.remaining().orElseThrow());
        received.complete(msg);
        return Future.succeededFuture("ok");
      }));
      await(TaskGroup.run(vertx, group -> ScopedEventBus.request(group, vertx.eventBus(), "no-deadline", "x", null)));
      assertThat(await(received.future()).headers().contains(ScopedEventBus.DEADLINE_HEADER)).isFalse();
      assertThat(await(remaining.future())).isGreaterThan(Duration.ofSeconds(4)).isLessThanOrEqualTo(Duration.ofSeconds(5));
    }

    @Test
    void theCallersCancelReachesTheLocalWorkAndIsAcknowledged() {
      ServeTest.Waiting handler = new ServeTest.Waiting();
      Service service = await(ScopedEventBus.serve(vertx, "cancel-local", handler));
      long droppedBefore = ScopedEventBus.droppedReplies();
      await(TaskGroup.run(vertx, group -> {
        Task<Message<Object>> asking = group.spawn(scope -> ScopedEventBus.request(scope, vertx.eventBus(),
            "cancel-local", "x", null));
        return TestScopes.on(group.context(), handler.started.future()).map(d -> asking.cancel());
      }));
      assertThat(await(handler.cancelled.future())).isEqualTo(CancelReason.EXPLICIT);
      Services.Leftovers left = leftovers(service);
      assertThat(left.droppedResults()).isEqualTo(1);
      assertThat(left.tracked()).isZero();
      assertThat(left.ignoredCancels()).isZero();
      assertThat(ScopedEventBus.droppedReplies()).isEqualTo(droppedBefore); // the acknowledgement is not a reply
    }

    @Test
    void ofTwoServicesOfOneAddressOnlyTheOneHoldingTheCallActsOnItsCancel() {
      ServeTest.Waiting first = new ServeTest.Waiting();
      ServeTest.Waiting second = new ServeTest.Waiting();
      // Off any Vert.x thread, each service gets a context of its own.
      Service one = await(ScopedEventBus.serve(vertx, "twice", first));
      Service two = await(ScopedEventBus.serve(vertx, "twice", second));
      await(TaskGroup.run(vertx, group -> {
        Task<Message<Object>> asking = group.spawn(scope -> ScopedEventBus.request(scope, vertx.eventBus(),
            "twice", "x", null));
        Future<Duration> started = Future.any(first.started.future(), second.started.future()).map(Duration.ZERO);
        return TestScopes.on(group.context(), started).map(d -> asking.cancel());
      }));
      Services.Leftovers a = leftovers(one);
      Services.Leftovers b = leftovers(two);
      assertThat(a.droppedResults() + b.droppedResults()).as("the holder dropped its result").isEqualTo(1);
      assertThat(a.ignoredCancels() + b.ignoredCancels()).as("the other ignored the signal").isEqualTo(1);
      assertThat(a.tracked() + b.tracked()).isZero();
    }

    @Test
    void aCallWhoseOptionsNameACodecKeepsItsBodyAndGoesWithTheHeaders() {
      vertx.eventBus().registerCodec(new UpperCase());
      List<Delivered> seen = watchDeliveries();
      Promise<Message<Object>> received = Promise.promise();
      await(ScopedEventBus.serve(vertx, "coded", (scope, msg) -> {
        received.complete(msg);
        return Future.succeededFuture("ok");
      }));
      await(TaskGroup.run(vertx, new TaskGroupOptions().setTimeout(Duration.ofSeconds(30)),
          group -> ScopedEventBus.request(group, vertx.eventBus(), "coded", "hi",
              new DeliveryOptions().setCodecName(UpperCase.NAME))));
      Message<Object> msg = await(received.future());
      assertThat(msg.body()).isEqualTo("HI"); // the caller's codec ran on the caller's body
      assertThat(seen.get(0).address()).isEqualTo("coded");
      assertThat(seen.get(0).headers().contains(ScopedEventBus.DEADLINE_HEADER)).isTrue();
    }

    @Test
    void aCallToAServiceWhoseVerticleWentIsAskedAgainWithHeadersAtTheServedAddress() {
      String id = await(vertx.deployVerticle(new VerticleBase() {
        @Override
        public Future<?> start() {
          return ScopedEventBus.serve(vertx, "taken-over", (scope, msg) -> Future.succeededFuture("service"));
        }
      }));
      await(vertx.undeploy(id)); // its consumers go with the verticle; the address is still listed
      Promise<MultiMap> headers = Promise.promise();
      vertx.eventBus().consumer("taken-over", msg -> {
        headers.tryComplete(msg.headers());
        msg.reply("plain");
      });
      assertThat(await(scopedRequest(vertx, "taken-over", "x", Duration.ofSeconds(30))).body()).isEqualTo("plain");
      assertThat(await(headers.future()).get(ScopedEventBus.REQUEST_ID_HEADER)).matches("local/[0-9]+");
    }
  }

  @Nested
  class ToAPlainConsumer {

    @Test
    void theRequestGoesBareToThePlainConsumer() {
      List<Delivered> seen = watchDeliveries();
      vertx.eventBus().<String>consumer("plain", msg -> msg.reply("re: " + msg.body()));
      assertThat(await(scopedRequest(vertx, "plain", "hi", Duration.ofSeconds(30))).body()).isEqualTo("re: hi");
      Delivered request = seen.get(0);
      assertThat(request.address()).isEqualTo("plain");
      assertThat(request.headers().isEmpty()).as("no service of this library reads them here").isTrue();
      assertThat(request.body()).isEqualTo("hi");
    }

    @Test
    void aCancelledBareRequestPublishesNoSignal() {
      List<Delivered> seen = watchDeliveries();
      Promise<Message<String>> arrived = Promise.promise();
      vertx.eventBus().<String>consumer("plain-slow", arrived::tryComplete);
      await(TaskGroup.run(vertx, group -> {
        Task<Message<String>> asking = group.spawn(scope -> ScopedEventBus.request(scope, vertx.eventBus(),
            "plain-slow", "x", null));
        return TestScopes.on(group.context(), arrived.future()).map(m -> asking.cancel());
      }));
      await(vertx.timer(20)); // a signal, had one been sent, is delivered by now
      assertThat(seen).extracting(Delivered::address).containsExactly("plain-slow");
    }
  }

  @Nested
  class BadInput {

    @Test
    void anAddressEndingWithTheLocalSuffixIsRefused() {
      assertThatThrownBy(() -> ScopedEventBus.serve(vertx, "x" + ScopedEventBus.LOCAL_SUFFIX,
          (scope, msg) -> Future.succeededFuture()))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessage("address must not end with ::taskgroup-local (the suffix of a service's local address), got 'x::taskgroup-local'");
    }

    @Test
    void aLocalCallNeverGoesOnTheWire() {
      LocalCall.Codec codec = new LocalCall.Codec();
      LocalCall call = new LocalCall("x", 100, 7);
      assertThatThrownBy(() -> codec.encodeToWire(Buffer.buffer(), call))
          .isInstanceOf(IllegalStateException.class)
          .hasMessage("a taskgroup-local-call message cannot leave the process (LocalCall{local/7, 100 ms})");
      assertThat(codec.transform(call)).isSameAs(call);
    }

    @Test
    void aPlainMessageToTheLocalAddressIsServedLikeOneToTheServedAddress() {
      await(ScopedEventBus.serve(vertx, "side-door", (scope, msg) -> Future.succeededFuture("re: " + msg.body())));
      assertThat(await(vertx.eventBus().request("side-door" + ScopedEventBus.LOCAL_SUFFIX, "hi")).body())
          .isEqualTo("re: hi");
    }
  }

  /** A caller's own codec: upper-cases a String on local delivery. */
  static final class UpperCase implements io.vertx.core.eventbus.MessageCodec<String, String> {
    static final String NAME = "test-upper-case";

    @Override
    public void encodeToWire(Buffer buffer, String s) {
      throw new UnsupportedOperationException();
    }

    @Override
    public String decodeFromWire(int pos, Buffer buffer) {
      throw new UnsupportedOperationException();
    }

    @Override
    public String transform(String s) {
      return s.toUpperCase(java.util.Locale.ROOT);
    }

    @Override
    public String name() {
      return NAME;
    }

    @Override
    public byte systemCodecID() {
      return -1;
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
