package dev.taskgroup.eventbus;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.taskgroup.Task;
import dev.taskgroup.TaskCancelledException;
import dev.taskgroup.TaskFn;
import dev.taskgroup.TaskGroup;
import dev.taskgroup.TaskGroupException;
import dev.taskgroup.TaskGroupOptions;
import dev.taskgroup.TaskTimeoutException;
import dev.taskgroup.gateway.GatewayConfig;
import dev.taskgroup.gateway.GatewayMain;
import dev.taskgroup.gateway.UpstreamSimulator;
import dev.taskgroup.http.TestScopes;
import io.vertx.core.Context;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;

/**
 * Scoped calls across a real three-node Hazelcast cluster on loopback ({@link LoopbackCluster}):
 * the caller's fail-fast, timeout, cancel and deadline reach the remote group, and so does the
 * loss of the caller's node. One cluster for the class; each test serves an address of its own.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ClusterCallsTest {
  /** How soon after the caller gives up the serving side must see its own cancellation. */
  static final long REACTION_MS = 200;

  LoopbackCluster cluster;
  Vertx a;
  Vertx b;
  Vertx c;
  final AtomicInteger addresses = new AtomicInteger();

  @BeforeAll
  void startCluster() throws Exception {
    cluster = LoopbackCluster.start(3);
    a = cluster.node(0);
    b = cluster.node(1);
    c = cluster.node(2);
  }

  @AfterAll
  void stopCluster() throws Exception {
    if (cluster != null) {
      try {
        assertThat(cluster.blockedEventLoops()).as("blocked event-loop events").isEmpty();
      } finally {
        cluster.close();
      }
    }
  }

  /** What the serving side saw of one call. */
  static final class Observed {
    final Promise<Duration> started = Promise.promise(); // with the scope's remaining time (or ZERO)
    final Promise<Long> cancelledAt = Promise.promise(); // nanoTime of the remote group's cancellation
    volatile long startedAt; // nanoTime the handler started

    /**
     * A handler that records, then waits for its cancellation (it never answers by itself) and
     * ends with it, as work bound to its scope does.
     */
    <T> ServeHandler<T, String> hanging() {
      return (scope, msg) -> {
        Promise<String> work = Promise.promise();
        scope.onCancel(cause -> {
          cancelledAt.tryComplete(System.nanoTime());
          work.tryFail(cause);
        });
        startedAt = System.nanoTime();
        started.tryComplete(scope.remaining().orElse(Duration.ZERO));
        return work.future();
      };
    }
  }

  String address() {
    return "cluster-test-" + addresses.incrementAndGet();
  }

  Service serve(Vertx node, String address, ServeOptions options, ServeHandler<String, String> handler) throws Exception {
    return ScopedEventBus.serve(node, address, options, handler).await(10, TimeUnit.SECONDS);
  }

  static TaskFn<String> call(Vertx node, String address) {
    return scope -> ScopedEventBus.<String>request(scope, node.eventBus(), address, "x", new DeliveryOptions())
        .map(Message::body);
  }


  @Nested
  class RemoteWorkStops {

    @Test
    void whenTheCallersSiblingFails() throws Exception {
      String address = address();
      Observed remote = new Observed();
      Service service = serve(b, address, new ServeOptions(), remote.hanging());
      long[] failedAt = new long[1];
      Future<List<String>> all = TaskGroup.all(a, List.of(call(a, address), scope ->
          TestScopes.on(scope.context(), remote.started.future()).compose(started -> {
            failedAt[0] = System.nanoTime();
            return Future.failedFuture(new IllegalStateException("sibling failed"));
          })));
      assertThatThrownBy(() -> all.await(10, TimeUnit.SECONDS)).isInstanceOf(TaskGroupException.class)
          .hasRootCauseMessage("sibling failed");
      long cancelled = remote.cancelledAt.future().await(5, TimeUnit.SECONDS);
      assertThat(TimeUnit.NANOSECONDS.toMillis(cancelled - failedAt[0])).isLessThan(REACTION_MS);
      service.close().await(10, TimeUnit.SECONDS);
    }

    @Test
    void whenTheCallerTimesOut() throws Exception {
      String address = address();
      Observed remote = new Observed();
      Service service = serve(b, address, new ServeOptions(), remote.hanging());
      long start = System.nanoTime();
      Future<List<String>> all = TaskGroup.all(a, List.of(call(a, address).withTimeout(Duration.ofMillis(300))));
      assertThatThrownBy(() -> all.await(10, TimeUnit.SECONDS)).isInstanceOf(TaskGroupException.class)
          .satisfies(e -> assertThat(((TaskGroupException) e).exceptions()).singleElement()
              .isInstanceOf(TaskTimeoutException.class));
      long cancelled = remote.cancelledAt.future().await(5, TimeUnit.SECONDS);
      assertThat(TimeUnit.NANOSECONDS.toMillis(cancelled - start)).isLessThan(300 + REACTION_MS);
      service.close().await(10, TimeUnit.SECONDS);
    }

    @Test
    void whenTheCallerCancels() throws Exception {
      String address = address();
      Observed remote = new Observed();
      Service service = serve(b, address, new ServeOptions(), remote.hanging());
      long[] cancelledAt = new long[1];
      long droppedBefore = ScopedEventBus.droppedReplies();
      TaskGroup.run(a, group -> {
        Task<String> asking = group.spawn(call(a, address));
        return TestScopes.on(group.context(), remote.started.future()).map(started -> {
          cancelledAt[0] = System.nanoTime();
          asking.cancel();
          return null;
        });
      }).await(10, TimeUnit.SECONDS);
      long cancelled = remote.cancelledAt.future().await(5, TimeUnit.SECONDS);
      assertThat(TimeUnit.NANOSECONDS.toMillis(cancelled - cancelledAt[0])).isLessThan(REACTION_MS);
      assertThat(ScopedEventBus.droppedReplies()).isEqualTo(droppedBefore); // no late reply reached the caller
      // The handler ended with its cancellation; that result was not sent, only the acknowledgement.
      assertThat(Services.leftovers(service).droppedResults()).isEqualTo(1);
      service.close().await(10, TimeUnit.SECONDS);
    }
  }

  @Nested
  class Deadlines {

    @Test
    void theCallersDeadlineReachesTheRemoteGroup() throws Exception {
      String address = address();
      Observed remote = new Observed();
      Service service = serve(b, address, new ServeOptions(), remote.hanging());
      Future<String> run = TaskGroup.run(a, new TaskGroupOptions().setTimeout(Duration.ofMillis(400)),
          group -> group.spawn(call(a, address)).future());
      Duration remaining = remote.started.future().await(5, TimeUnit.SECONDS);
      assertThat(remaining).isPositive().isLessThanOrEqualTo(Duration.ofMillis(400));
      assertThatThrownBy(() -> run.await(10, TimeUnit.SECONDS)).isInstanceOf(TaskGroupException.class);
      service.close().await(10, TimeUnit.SECONDS);
    }

    @Test
    void aPlainConsumerOnAnotherNodeGetsTheProtocolHeaders() throws Exception {
      String address = address();
      Promise<io.vertx.core.MultiMap> headers = Promise.promise();
      b.eventBus().consumer(address, msg -> {
        headers.tryComplete(msg.headers());
        msg.reply("plain");
      }).completion().await(10, TimeUnit.SECONDS);
      Future<Message<String>> reply = TaskGroup.run(a, new TaskGroupOptions().setTimeout(Duration.ofSeconds(5)),
          group -> ScopedEventBus.request(group, a.eventBus(), address, "x", null));
      assertThat(reply.await(10, TimeUnit.SECONDS).body()).isEqualTo("plain");
      io.vertx.core.MultiMap seen = headers.future().await(5, TimeUnit.SECONDS);
      // A clustered bus keeps the wire format: no LocalCall, whatever the consumer is.
      assertThat(Long.parseLong(seen.get(ScopedEventBus.DEADLINE_HEADER))).isPositive().isLessThanOrEqualTo(5_000);
      assertThat(ScopedEventBus.callerNode(seen.get(ScopedEventBus.REQUEST_ID_HEADER))).isEqualTo(ClusterView.nodeId(a));
    }

    @Test
    void theDeadlineHeaderAloneBoundsTheRemoteGroup() throws Exception {
      String address = address();
      Observed remote = new Observed();
      Service service = serve(b, address, new ServeOptions(), remote.hanging());
      // A plain request: no cancel signal will ever come, only the header says when to stop.
      Future<Message<Object>> reply = a.eventBus().request(address, "x",
          new DeliveryOptions().addHeader(ScopedEventBus.DEADLINE_HEADER, "250").setSendTimeout(10_000));
      assertThatThrownBy(() -> reply.await(10, TimeUnit.SECONDS)).isInstanceOfSatisfying(ReplyException.class, e -> {
        assertThat(e.failureType()).isEqualTo(ReplyFailure.RECIPIENT_FAILURE);
        assertThat(e.failureCode()).isEqualTo(ScopedEventBus.FAILURE_TIMEOUT);
      });
      long cancelled = remote.cancelledAt.future().await(5, TimeUnit.SECONDS);
      // 250 ms from the message's arrival (the header is a relative time: the transit is not counted)
      assertThat(TimeUnit.NANOSECONDS.toMillis(cancelled - remote.startedAt)).isBetween(240L, 250L + REACTION_MS);
      service.close().await(10, TimeUnit.SECONDS);
    }

    @Test
    void aChainOfThreeNodesSharesOneDeadline() throws Exception {
      String first = address();
      String second = address();
      Observed last = new Observed();
      Service onC = serve(c, second, new ServeOptions(), last.hanging());
      Service onB = serve(b, first, new ServeOptions(), (scope, msg) -> scope.sleep(Duration.ofMillis(100))
          .compose(v -> ScopedEventBus.<String>request(scope, b.eventBus(), second, msg.body(), null))
          .map(Message::body));
      long start = System.nanoTime();
      Future<String> run = TaskGroup.run(a, new TaskGroupOptions().setTimeout(Duration.ofMillis(500)),
          group -> group.spawn(call(a, first)).future());
      Duration remainingAtC = last.started.future().await(5, TimeUnit.SECONDS);
      // A's 500 ms less B's 100 ms of work, less the hops: one deadline, not a fresh one per hop.
      assertThat(remainingAtC).isPositive().isLessThanOrEqualTo(Duration.ofMillis(400));
      assertThatThrownBy(() -> run.await(10, TimeUnit.SECONDS)).isInstanceOf(TaskGroupException.class);
      long cancelled = last.cancelledAt.future().await(5, TimeUnit.SECONDS);
      assertThat(TimeUnit.NANOSECONDS.toMillis(cancelled - start)).isLessThan(500 + REACTION_MS);
      onB.close().await(10, TimeUnit.SECONDS);
      onC.close().await(10, TimeUnit.SECONDS);
    }
  }

  @Nested
  class CallerNodeLost {

    @Test
    void aCallerNodeKilledMidCallHasItsRemoteWorkCancelled() throws Exception {
      String address = address();
      Observed remote = new Observed();
      Service service = serve(b, address, new ServeOptions().setNodeCheckInterval(Duration.ofMillis(100)),
          remote.hanging());
      Vertx doomed = cluster.addNode();
      int doomedIndex = 3;
      TaskGroup.run(doomed, group -> group.spawn(call(doomed, address)).future()); // never settles: its node dies
      remote.started.future().await(10, TimeUnit.SECONDS);
      assertThat(Services.leftovers(service).remote()).isEqualTo(1);
      long killedAt = System.nanoTime();
      cluster.kill(doomedIndex);
      long cancelled = remote.cancelledAt.future().await(20, TimeUnit.SECONDS);
      // Bounded by Hazelcast noticing the loss (seconds: max.no.heartbeat is 4 s here) plus one check.
      assertThat(TimeUnit.NANOSECONDS.toMillis(cancelled - killedAt)).isLessThan(10_000);
      assertThat(Services.leftovers(service)).satisfies(left -> {
        assertThat(left.tracked()).isZero();
        assertThat(left.watching()).isFalse();
        assertThat(left.droppedResults()).isEqualTo(1);
        assertThat(left.callersLost()).isEqualTo(1); // its node's loss, not a cancel signal, stopped it
      });
      service.close().await(10, TimeUnit.SECONDS);
    }
  }

  @Nested
  class Gateway {

    @Test
    void aGatewayNodeFansOutToEventBusUpstreamsSimulatedOnAnotherNode() throws Exception {
      String prefix = address();
      JsonObject conf = new JsonObject(Files.readString(Path.of("conf/gateway-eventbus.json")));
      conf.getJsonObject("http").put("port", 0);
      JsonObject upstreams = conf.getJsonObject("upstreams");
      for (String name : upstreams.fieldNames()) { // addresses of this test's own
        upstreams.getJsonObject(name).put("url", "eventbus:" + prefix + "-" + name);
      }
      conf.getJsonObject("simulator").put("enabled", false); // not with the gateway: on node B
      conf.getJsonObject("simulator").getJsonObject("upstreams").forEach(e -> ((JsonObject) e.getValue())
          .put("failureRate", 0).put("latencyMs", new JsonObject().put("min", 0).put("max", 5)));
      GatewayConfig config = GatewayConfig.parse(conf);
      String simulator = b.deployVerticle(new UpstreamSimulator(config)).await(10, TimeUnit.SECONDS);
      GatewayMain.Started gateway = GatewayMain.start(a, config).await(10, TimeUnit.SECONDS);
      HttpClient http = a.createHttpClient();
      try {
        Context context = a.getOrCreateContext();
        Promise<JsonObject> body = Promise.promise();
        context.runOnContext(v -> http.request(HttpMethod.GET, gateway.gateway().actualPort(), "127.0.0.1", "/api/dashboard/7")
            .compose(req -> req.send())
            .compose(resp -> resp.statusCode() == 200 ? resp.body() : Future.failedFuture("status " + resp.statusCode()))
            .map(Buffer::toJsonObject)
            .onComplete(body));
        JsonObject answer = body.future().await(10, TimeUnit.SECONDS);
        assertThat(answer.getJsonObject("orders").getString("path")).isEqualTo("eventbus:" + prefix + "-orders {\"userId\":\"7\"}");
        assertThat(answer.containsKey("errors")).isFalse();
      } finally {
        http.close();
        for (String id : a.deploymentIDs()) {
          a.undeploy(id).await(10, TimeUnit.SECONDS);
        }
        b.undeploy(simulator).await(10, TimeUnit.SECONDS);
      }
    }
  }

  @Nested
  class NothingLeftBehind {
    final AtomicInteger innerLive = new AtomicInteger();

    @Test
    void tenThousandCallsLeaveNoHookTimerOrPendingEntryOnEitherSide() throws Exception {
      String address = address();
      // Every tenth call hangs until its caller cancels it; the others answer at once.
      Service service = serve(b, address, new ServeOptions(), (scope, msg) ->
          msg.body().endsWith("0") ? scope.sleep(Duration.ofMinutes(1)).map("late") : Future.succeededFuture("ok"));
      long droppedBefore = ScopedEventBus.droppedReplies();
      int calls = 10_000;
      int lanes = 64;
      TestScopes.Counting[] counting = new TestScopes.Counting[1];
      AtomicInteger ok = new AtomicInteger();
      AtomicInteger cancelled = new AtomicInteger();
      TaskGroup.run(a, group -> group.spawn(scope -> {
        counting[0] = new TestScopes.Counting(scope);
        AtomicInteger next = new AtomicInteger();
        List<Future<Void>> laneFutures = new ArrayList<>();
        for (int l = 0; l < lanes; l++) {
          laneFutures.add(lane(group, counting[0], address, next, calls, ok, cancelled));
        }
        return Future.all(laneFutures).mapEmpty();
      }).future()).await(60, TimeUnit.SECONDS);
      assertThat(ok.get()).isEqualTo(calls - calls / 10);
      assertThat(cancelled.get()).isEqualTo(calls / 10);
      assertThat(counting[0].live).isZero();
      assertThat(innerLive.get()).isZero();
      // The caller's side ends at each cancel; the service ends its calls when the signal arrives.
      Services.Leftovers left = Services.leftovers(service);
      for (long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(5); left.tracked() > 0 && System.nanoTime() < until; ) {
        a.timer(10).await(5, TimeUnit.SECONDS); // poll with a Vert.x timer, not a sleep
        left = Services.leftovers(service);
      }
      assertThat(left.tracked()).isZero();
      assertThat(left.remote()).isZero();
      assertThat(left.watching()).isFalse();
      assertThat(left.ignoredCancels()).isZero(); // every cancel found its call
      // every cancelled call was acknowledged, never answered late
      assertThat(ScopedEventBus.droppedReplies()).isEqualTo(droppedBefore);
      service.close().await(10, TimeUnit.SECONDS);
    }

    /** One lane: calls one after another; a call numbered ...0 is cancelled by its caller. */
    private Future<Void> lane(TaskGroup group, TestScopes.Counting scope, String address, AtomicInteger next,
                              int calls, AtomicInteger ok, AtomicInteger cancelled) {
      int i = next.getAndIncrement();
      if (i >= calls) {
        return Future.succeededFuture();
      }
      String body = Integer.toString(i);
      Future<String> one;
      if (body.endsWith("0")) {
        // Cancelled by its caller 5 ms in, with no deadline anywhere: only the cancel signal stops it.
        one = TaskGroup.run(scope.delegate, inner -> {
          inner.spawn(task -> {
            TestScopes.Counting counted = new TestScopes.Counting(task);
            return ScopedEventBus.<String>request(counted, a.eventBus(), address, body, null).map(Message::body)
                .andThen(ar -> innerLive.addAndGet(counted.live)); // a hook left behind shows up
          });
          return inner.sleep(Duration.ofMillis(5)).map(v -> {
            inner.cancel();
            cancelled.incrementAndGet();
            return "cancelled";
          });
        });
      } else {
        one = ScopedEventBus.<String>request(scope, a.eventBus(), address, body, null).map(Message::body)
            .andThen(ar -> ok.incrementAndGet());
      }
      return one.compose(v -> lane(group, scope, address, next, calls, ok, cancelled));
    }
  }
}
