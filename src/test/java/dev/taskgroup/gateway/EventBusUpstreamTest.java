package dev.taskgroup.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.taskgroup.CancelReason;
import dev.taskgroup.TaskScope;
import dev.taskgroup.VertxTest;
import dev.taskgroup.eventbus.ScopedEventBus;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.NetSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/**
 * Upstreams on the event bus ({@code "url": "eventbus:ADDRESS"}, issue 17 item 4): the path
 * parameters go as a JSON message, and fail fast, deadlines and aborts reach the service as they
 * reach an HTTP upstream. The services here are {@link ScopedEventBus#serve} ones the test controls.
 */
class EventBusUpstreamTest extends VertxTest {
  static {
    warmNettyAllocatorEvents();
  }

  private HttpClient client;
  private Context clientContext;
  private int port;

  @BeforeEach
  void setUp() {
    client = vertx.createHttpClient();
    clientContext = vertx.getOrCreateContext();
  }

  /** A service that records when it starts and when (and why) it is cancelled, and never answers by itself. */
  static final class Hanging {
    final Promise<Duration> started = Promise.promise();
    final Promise<CancelReason> cancelled = Promise.promise();
    volatile long cancelledAt;
    volatile long startedAt;

    Future<Object> handle(TaskScope scope) {
      Promise<Object> work = Promise.promise();
      scope.onCancel(c -> {
        cancelledAt = System.nanoTime();
        cancelled.tryComplete(c.reason());
        work.tryFail(c);
      });
      startedAt = System.nanoTime();
      started.tryComplete(scope.remaining().orElse(Duration.ZERO));
      return work.future();
    }
  }

  private void serve(String address, dev.taskgroup.eventbus.ServeHandler<Object, Object> handler) {
    await(ScopedEventBus.serve(vertx, address, handler));
  }

  private static JsonObject upstream(String address, Integer timeoutMs) {
    JsonObject u = new JsonObject().put("url", "eventbus:" + address);
    return timeoutMs == null ? u : u.put("timeoutMs", timeoutMs);
  }

  private static JsonObject call(String name, boolean required) {
    JsonObject c = new JsonObject().put("upstream", name).put("required", required);
    return required ? c : c.put("fallback", new JsonArray());
  }

  private void startGateway(JsonObject upstreams, Integer deadlineMs, JsonObject... calls) {
    JsonObject route = new JsonObject().put("path", "/api/:userId").put("calls", new JsonArray(Arrays.asList((Object[]) calls)));
    if (deadlineMs != null) {
      route.put("deadlineMs", deadlineMs);
    }
    start(new JsonObject().put("http", new JsonObject().put("host", "127.0.0.1").put("port", 0))
        .put("upstreams", upstreams).put("routes", new JsonArray().add(route)));
  }

  private void start(JsonObject config) {
    port = await(GatewayMain.start(vertx, GatewayConfig.parse(config))).gateway().actualPort();
  }

  record Reply(int status, String body) {
    JsonObject json() {
      return new JsonObject(body);
    }
  }

  private Reply get(String uri) {
    return await(Future.future(reply -> clientContext.runOnContext(v -> client.request(
            new RequestOptions().setMethod(HttpMethod.GET).setHost("127.0.0.1").setPort(port).setURI(uri))
        .compose(req -> req.send())
        .compose(resp -> resp.body().map(b -> new Reply(resp.statusCode(), b.toString())))
        .onComplete(reply))));
  }


  @Nested
  class Calls {

    @Test
    void thePathParametersAreSentAsAJsonMessageAndTheReplyIsTheValue() {
      serve("profile", (scope, msg) -> Future.succeededFuture(new JsonObject().put("got", msg.body())));
      startGateway(new JsonObject().put("profile", upstream("profile", 500)), 1000, call("profile", true));
      Reply reply = get("/api/a%20b");
      assertThat(reply.status()).isEqualTo(200);
      assertThat(reply.json().getJsonObject("profile")).isEqualTo(
          new JsonObject().put("got", new JsonObject().put("userId", "a b")));
    }

    @Test
    void aReplyThatIsNotJsonIsInvalidJson() {
      vertx.eventBus().consumer("text", msg -> msg.reply("not json"));
      startGateway(new JsonObject().put("text", upstream("text", 500)), 1000, call("text", true));
      Reply reply = get("/api/1");
      assertThat(reply.status()).isEqualTo(502);
      assertThat(reply.json().getJsonArray("failures").getJsonObject(0).getString("reason")).isEqualTo("invalid_json");
    }

    @Test
    void anAddressNobodyServesIsAConnectFailure() {
      startGateway(new JsonObject().put("nobody", upstream("nobody", 500)), 1000, call("nobody", true));
      Reply reply = get("/api/1");
      assertThat(reply.status()).isEqualTo(502);
      assertThat(reply.json().getJsonArray("failures").getJsonObject(0).getString("reason")).isEqualTo("connect");
    }

    @Test
    void aFailureReplyIsItsStatus() {
      serve("failing", (scope, msg) -> Future.failedFuture(new ReplyException(ReplyFailure.RECIPIENT_FAILURE, 503, "down")));
      startGateway(new JsonObject().put("failing", upstream("failing", 500)), 1000, call("failing", true));
      assertThat(get("/api/1").json().getJsonArray("failures").getJsonObject(0).getString("reason")).isEqualTo("status:503");
    }
  }

  @Nested
  class Guarantees {

    @Test
    void aRequiredFailureCancelsTheSlowSiblingsServiceAndCountsTheAbort() {
      Hanging slow = new Hanging();
      serve("slow", (scope, msg) -> slow.handle(scope));
      serve("failing", (scope, msg) -> slow.started.future().compose(d -> Future.failedFuture(new IllegalStateException("boom"))));
      startGateway(new JsonObject().put("slow", upstream("slow", 5000)).put("failing", upstream("failing", 5000)),
          5000, call("slow", true), call("failing", true));
      long start = System.nanoTime();
      Reply reply = get("/api/1");
      assertThat(reply.status()).isEqualTo(502);
      assertThat(reply.json().getJsonArray("failures")).hasSize(1); // the cancelled sibling is no failure
      assertThat(await(slow.cancelled.future())).isEqualTo(CancelReason.EXPLICIT); // the caller's signal
      assertThat(TimeUnit.NANOSECONDS.toMillis(slow.cancelledAt - start)).isLessThan(1000);
      assertThat(get("/metrics").body()).contains("gateway_upstream_aborted_total{upstream=\"slow\"} 1.0");
    }

    @Test
    void theRouteDeadlineReachesTheServiceAndEndsItsWork() {
      Hanging slow = new Hanging();
      serve("slow", (scope, msg) -> slow.handle(scope));
      startGateway(new JsonObject().put("slow", upstream("slow", null)), 300, call("slow", true));
      Reply reply = get("/api/1");
      assertThat(reply.status()).isEqualTo(504);
      Duration remaining = await(slow.started.future());
      assertThat(remaining).isPositive().isLessThanOrEqualTo(Duration.ofMillis(300));
      await(slow.cancelled.future());
      assertThat(TimeUnit.NANOSECONDS.toMillis(slow.cancelledAt - slow.startedAt)).isLessThan(remaining.toMillis() + 200);
    }

    @Test
    void anOptionalCallsTimeoutDegradesToItsFallbackAndEndsTheServicesWork() {
      Hanging slow = new Hanging();
      serve("slow", (scope, msg) -> slow.handle(scope));
      serve("fast", (scope, msg) -> Future.succeededFuture(new JsonObject().put("ok", true)));
      startGateway(new JsonObject().put("slow", upstream("slow", 100)).put("fast", upstream("fast", 1000)),
          2000, call("fast", true), call("slow", false));
      Reply reply = get("/api/1");
      assertThat(reply.status()).isEqualTo(200);
      assertThat(reply.json().getJsonObject("errors").getJsonObject("slow").getString("reason")).isEqualTo("timeout");
      assertThat(reply.json().getJsonArray("slow")).isEmpty();
      assertThat(await(slow.started.future())).isLessThanOrEqualTo(Duration.ofMillis(100));
      await(slow.cancelled.future());
    }
  }

  @Nested
  class ClientDisconnect {

    @Test
    void aClientThatLeavesCancelsTheServicesWork() {
      Hanging slow = new Hanging();
      serve("slow", (scope, msg) -> slow.handle(scope));
      startGateway(new JsonObject().put("slow", upstream("slow", null)), 5000, call("slow", true));
      NetSocket socket = await(vertx.createNetClient().connect(port, "127.0.0.1"));
      socket.handler(b -> {});
      socket.write("GET /api/1 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
      await(slow.started.future());
      long leftAt = System.nanoTime();
      await(socket.close());
      assertThat(await(slow.cancelled.future())).isEqualTo(CancelReason.EXPLICIT); // the gateway's cancel signal
      assertThat(TimeUnit.NANOSECONDS.toMillis(slow.cancelledAt - leftAt)).isLessThan(1000);
    }
  }

  @Nested
  class Simulator {

    @Test
    void theEventBusExampleConfigServesItsUpstreamsOnTheBus() throws Exception {
      JsonObject config = new JsonObject(Files.readString(Path.of("conf/gateway-eventbus.json")));
      config.getJsonObject("http").put("port", 0);
      // no failures, and quick enough for every timeout: the answer is the simulator's, not a fallback
      config.getJsonObject("simulator").getJsonObject("upstreams").forEach(e -> ((JsonObject) e.getValue())
          .put("failureRate", 0).put("latencyMs", new JsonObject().put("min", 0).put("max", 5)));
      start(config);
      Reply reply = get("/api/dashboard/42");
      assertThat(reply.status()).isEqualTo(200);
      assertThat(reply.json().getJsonObject("profile").getString("upstream")).isEqualTo("profile");
      assertThat(reply.json().getJsonObject("profile").getString("path")).isEqualTo("eventbus:profile {\"userId\":\"42\"}");
      assertThat(reply.json().getJsonArray("recs")).isNotEmpty(); // an array, like its fallback
    }
  }

  @Nested
  class BadConfig {

    private void refused(String url, String field, String message) {
      JsonObject config = new JsonObject()
          .put("upstreams", new JsonObject().put("u", new JsonObject().put("url", url)))
          .put("routes", new JsonArray().add(new JsonObject().put("path", "/x/:id")
              .put("calls", new JsonArray().add(new JsonObject().put("upstream", "u")))));
      assertThatThrownBy(() -> GatewayConfig.parse(config)).isInstanceOf(ConfigException.class)
          .hasMessageContaining(field).hasMessageContaining(message);
    }

    @Test
    void anEmptyEventBusAddressIsRefused() {
      refused("eventbus:", "upstreams.u.url", "needs an address after 'eventbus:'");
    }

    @Test
    void anEventBusAddressWithAPlaceholderIsRefused() {
      refused("eventbus:users/{id}", "upstreams.u.url", "takes no placeholders");
    }

    @Test
    void anEventBusAddressEndingWithTheControlSuffixIsRefused() {
      refused("eventbus:u" + ScopedEventBus.CONTROL_SUFFIX, "upstreams.u.url", "suffix of control addresses");
    }

    @Test
    void aSimulatedEventBusUpstreamWithAPortIsRefused() {
      JsonObject config = new JsonObject()
          .put("upstreams", new JsonObject().put("u", new JsonObject().put("url", "eventbus:u")))
          .put("routes", new JsonArray().add(new JsonObject().put("path", "/x")
              .put("calls", new JsonArray().add(new JsonObject().put("upstream", "u")))))
          .put("simulator", new JsonObject().put("upstreams", new JsonObject().put("u", new JsonObject().put("port", 9000))));
      assertThatThrownBy(() -> GatewayConfig.parse(config)).isInstanceOf(ConfigException.class)
          .hasMessageContaining("simulator.upstreams.u.port").hasMessageContaining("has no port");
    }
  }
}
