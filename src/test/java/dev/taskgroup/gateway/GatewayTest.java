package dev.taskgroup.gateway;

import dev.taskgroup.gateway.GatewayClient.Reply;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.NetSocket;
import io.vertx.junit5.VertxExtension;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The gateway over real HTTP on loopback: a gateway on port 0 in front of upstreams the test
 * controls, which record what reaches them and when their requests are aborted.
 */
@ExtendWith(VertxExtension.class)
class GatewayTest {
  private static final String ROUTE = "/api/dashboard/:userId";

  private Vertx vertx;
  private HttpClient client;
  private Context clientContext; // where every test request starts
  private int port;
  private GatewayMain.Started started; // the last gateway started

  @BeforeEach
  void setUp(Vertx vertx) {
    this.vertx = vertx;
    this.client = vertx.createHttpClient(new HttpClientOptions().setMaxHeaderSize(64 * 1024));
    this.clientContext = vertx.getOrCreateContext();
  }

  // ---- fixtures -------------------------------------------------------------------------------

  private TestUpstream upstream(String name) {
    return TestUpstream.start(vertx, name);
  }

  private static JsonObject upstreamsOf(Object... upstreamAndTimeout) {
    JsonObject upstreams = new JsonObject();
    for (int i = 0; i < upstreamAndTimeout.length; i += 2) {
      TestUpstream u = (TestUpstream) upstreamAndTimeout[i];
      JsonObject conf = new JsonObject().put("url", u.url());
      if (upstreamAndTimeout[i + 1] != null) {
        conf.put("timeoutMs", upstreamAndTimeout[i + 1]);
      }
      upstreams.put(u.name, conf);
    }
    return upstreams;
  }

  private static JsonObject required(TestUpstream u) {
    return new JsonObject().put("upstream", u.name).put("required", true);
  }

  private static JsonObject optional(TestUpstream u, Object fallback) {
    return new JsonObject().put("upstream", u.name).put("required", false).put("fallback", fallback);
  }

  private static JsonObject route(Integer deadlineMs, JsonObject... calls) {
    JsonObject route = new JsonObject().put("path", ROUTE).put("calls", new JsonArray(Arrays.asList((Object[]) calls)));
    if (deadlineMs != null) {
      route.put("deadlineMs", deadlineMs);
    }
    return route;
  }

  private void startGateway(JsonObject upstreams, JsonObject... routes) {
    startGatewayWith(new JsonObject(), upstreams, routes);
  }

  /** A gateway with {@code http} (host and port added) in front of {@code upstreams}. */
  private void startGatewayWith(JsonObject http, JsonObject upstreams, JsonObject... routes) {
    JsonObject config = new JsonObject()
        .put("http", http.copy().put("host", "127.0.0.1").put("port", 0))
        .put("upstreams", upstreams)
        .put("routes", new JsonArray(Arrays.asList((Object[]) routes)));
    started = Await.result(GatewayMain.start(vertx, GatewayConfig.parse(config)));
    port = started.gateway().actualPort();
  }

  /** A gateway whose one route calls profile (required), orders (required), recs (optional, []). */
  private void startDashboard(TestUpstream profile, TestUpstream orders, TestUpstream recs, Integer recsTimeoutMs) {
    startGateway(upstreamsOf(profile, 1000, orders, 1000, recs, recsTimeoutMs),
        route(2000, required(profile), required(orders), optional(recs, new JsonArray())));
  }

  private Reply get(String uri) {
    return send(new RequestOptions().setMethod(HttpMethod.GET).setURI(uri), null);
  }

  private Reply send(RequestOptions options, Buffer body) {
    return Await.result(sendAsync(options, body));
  }

  private Future<Reply> sendAsync(RequestOptions options, Buffer body) {
    return GatewayClient.send(clientContext, client, port, options, body);
  }

  private static long millisBetween(long fromNanos, long toNanos) {
    return TimeUnit.NANOSECONDS.toMillis(toNanos - fromNanos);
  }

  private String scrape() {
    return get("/metrics").body();
  }

  private static double metric(String scrape, String series) {
    for (String line : scrape.split("\n")) {
      if (line.startsWith(series + " ")) {
        return Double.parseDouble(line.substring(series.length() + 1).trim());
      }
    }
    throw new AssertionError("no series " + series + " in:\n" + scrape);
  }

  /** What a raw client saw: every byte the gateway wrote, and how long until it closed the connection. */
  record Raw(String text, long closedAfterMs) {
    int responses() {
      return text.split("HTTP/1\\.1 ", -1).length - 1;
    }
  }

  /** Writes {@code bytes} on a fresh connection and waits until the gateway closes it. */
  private Raw raw(String bytes) {
    return raw(bytes, 0, null);
  }

  /** {@link #raw(String)}, writing {@code later} too, {@code laterMs} after {@code bytes} (a Vert.x timer). */
  private Raw raw(String bytes, long laterMs, String later) {
    NetSocket socket = Await.result(vertx.createNetClient().connect(port, "127.0.0.1"));
    StringBuffer text = new StringBuffer();
    CompletableFuture<Long> closed = new CompletableFuture<>();
    socket.handler(b -> text.append(b.toString()));
    socket.closeHandler(v -> closed.complete(System.nanoTime()));
    long start = System.nanoTime();
    socket.write(bytes);
    if (later != null) {
      vertx.setTimer(laterMs, id -> socket.write(later));
    }
    long closedAt = Await.result(closed);
    return new Raw(text.toString(), millisBetween(start, closedAt));
  }

  /** A connection that stays open (sending {@code bytes}), closed by the returned socket's owner. */
  private NetSocket openConnection(String bytes) {
    NetSocket socket = Await.result(vertx.createNetClient().connect(port, "127.0.0.1"));
    socket.handler(b -> {});
    socket.write(bytes);
    return socket;
  }

  /** Retries GET {@code uri} (Vert.x timers, 20 ms apart, up to 5 s) until it answers {@code status}. */
  private Reply eventually(String uri, int status) {
    return Await.result(GatewayClient.eventually(vertx, o -> sendAsync(o, null), uri, status, Duration.ofSeconds(5)));
  }

  // ---- behaviour ------------------------------------------------------------------------------

  @Nested
  class WhenEveryCallSucceeds {
    @Test
    void answers200WithOneFieldPerUpstreamAndNoErrors() {
      TestUpstream profile = upstream("profile").answersJson(200, new JsonObject().put("name", "Ada"));
      TestUpstream orders = upstream("orders");
      orders.answers(200, "[1,2]", 0);
      TestUpstream recs = upstream("recs");
      recs.answers(200, "[\"book\"]", 0);
      startDashboard(profile, orders, recs, 1000);

      Reply reply = get("/api/dashboard/42");

      assertThat(reply.status()).isEqualTo(200);
      assertThat(reply.headers().get("content-type")).isEqualTo("application/json");
      assertThat(reply.json()).isEqualTo(new JsonObject()
          .put("profile", new JsonObject().put("name", "Ada"))
          .put("orders", new JsonArray().add(1).add(2))
          .put("recs", new JsonArray().add("book")));
    }

    @Test
    void embedsEachBodyAsItsUpstreamWroteIt() {
      TestUpstream profile = upstream("profile");
      profile.answers(200, "{ \"name\" : \"\\u00c9mile\", \"n\": 1.50 }", 0);
      TestUpstream orders = upstream("orders");
      orders.answers(200, "[1, 2]\n", 0);
      TestUpstream recs = upstream("recs");
      recs.answers(200, "\"book\"", 0);
      startDashboard(profile, orders, recs, 1000);

      Reply reply = get("/api/dashboard/42");

      assertThat(reply.body()).isEqualTo(
          "{\"profile\":{ \"name\" : \"\\u00c9mile\", \"n\": 1.50 },\"orders\":[1, 2]\n,\"recs\":\"book\"}");
    }

    @Test
    void answersABodyWithCommentsWithoutTheComments() {
      TestUpstream profile = upstream("profile");
      profile.answers(200, "{\"name\": \"Ada\" /* cached */}", 0);
      startDashboard(profile, upstream("orders"), upstream("recs"), 1000);

      Reply reply = get("/api/dashboard/42");

      assertThat(reply.status()).isEqualTo(200);
      assertThat(reply.json().getJsonObject("profile")).isEqualTo(new JsonObject().put("name", "Ada"));
    }

    @Test
    void fillsUpstreamPlaceholdersWithPercentEncodedPathParametersAndDropsTheQuery() {
      TestUpstream profile = upstream("profile");
      TestUpstream orders = upstream("orders");
      TestUpstream recs = upstream("recs");
      startDashboard(profile, orders, recs, 1000);

      Reply reply = get("/api/dashboard/a%20b%2Fc%C3%A9~?admin=true");

      assertThat(reply.status()).isEqualTo(200);
      assertThat(profile.requests).extracting(TestUpstream.Seen::uri).containsExactly("/profile/a%20b%2Fc%C3%A9~");
      assertThat(recs.requests).extracting(TestUpstream.Seen::uri).containsExactly("/recs/a%20b%2Fc%C3%A9~");
    }

    @Test
    void sendsEachUpstreamTheTimeItHasLeftAsADeadlineHeader() {
      TestUpstream profile = upstream("profile");
      TestUpstream orders = upstream("orders");
      TestUpstream recs = upstream("recs");
      startDashboard(profile, orders, recs, 300);

      get("/api/dashboard/42");

      long recsLeft = Long.parseLong(recs.requests.get(0).deadlineHeader());
      long profileLeft = Long.parseLong(profile.requests.get(0).deadlineHeader());
      assertThat(recsLeft).isBetween(1L, 300L);
      assertThat(profileLeft).isBetween(301L, 1000L);
    }

    @Test
    void answersHeadWithTheStatusAndNoBody() {
      startDashboard(upstream("profile"), upstream("orders"), upstream("recs"), 1000);

      Reply reply = send(new RequestOptions().setMethod(HttpMethod.HEAD).setURI("/api/dashboard/42"), null);

      assertThat(reply.status()).isEqualTo(200);
      assertThat(reply.body()).isEmpty();
    }

    @Test
    void startsNoMoreCallsAtOnceThanMaxConcurrency() {
      TestUpstream profile = upstream("profile");
      profile.answers(200, "{}", 100);
      TestUpstream orders = upstream("orders");
      startGateway(upstreamsOf(profile, 1000, orders, 1000),
          route(2000, required(profile), required(orders)).put("maxConcurrency", 1));

      Reply reply = get("/api/dashboard/42");

      assertThat(reply.status()).isEqualTo(200);
      long profileAnswered = Await.result(profile.answered);
      long ordersArrived = Await.result(orders.arrived);
      assertThat(ordersArrived).isGreaterThan(profileAnswered);
    }
  }

  @Nested
  class ConnectionPools {
    @Test
    void maxConnectionsBoundsTheRequestsInFlightToOneUpstream() {
      TestUpstream profile = upstream("profile");
      profile.answers(200, "{}", 100);
      startGatewayWith(new JsonObject().put("instances", 1), // one pool: with two, each would hold one connection
          upstreamsOf(profile, 2000).put("profile", new JsonObject().put("url", profile.url()).put("maxConnections", 1)),
          route(3000, required(profile)));

      Future<Reply> first = sendAsync(new RequestOptions().setURI("/api/dashboard/1"), null);
      Future<Reply> second = sendAsync(new RequestOptions().setURI("/api/dashboard/2"), null);
      Await.result(Future.all(first, second));
      assertThat(List.of(first.result().status(), second.result().status())).containsExactly(200, 200);

      assertThat(profile.requests).hasSize(2);
      long firstAnswered = Await.result(profile.answered);
      assertThat(profile.requests.get(1).arrivedNanos()).isGreaterThan(firstAnswered);
    }
  }

  @Nested
  class WithTheSimulator {
    @Test
    void answersTheDashboardFromSimulatedUpstreamsStartedInTheSameProcess() throws Exception {
      int[] ports = freePorts(3);
      JsonObject config = new JsonObject(Files.readString(Path.of(GatewayMain.DEFAULT_CONF)));
      config.getJsonObject("http").put("port", 0);
      String[] names = {"profile", "orders", "recs"};
      for (int i = 0; i < names.length; i++) {
        JsonObject u = config.getJsonObject("upstreams").getJsonObject(names[i]);
        u.put("url", u.getString("url").replaceFirst(":\\d+/", ":" + ports[i] + "/")).put("timeoutMs", 2000);
        config.getJsonObject("simulator").getJsonObject("upstreams").getJsonObject(names[i])
            .put("port", ports[i]).put("failureRate", 0.0).put("latencyMs", new JsonObject().put("min", 0).put("max", 5));
      }
      config.getJsonArray("routes").getJsonObject(0).put("deadlineMs", 3000);
      GatewayMain.Started started = Await.result(GatewayMain.start(vertx, GatewayConfig.parse(config)));
      port = started.gateway().actualPort();

      assertThat(get("/health").status()).isEqualTo(200);
      Reply reply = get("/api/dashboard/42");

      assertThat(reply.status()).isEqualTo(200);
      assertThat(reply.json().fieldNames()).containsExactly("profile", "orders", "recs");
      assertThat(reply.json().getJsonObject("profile").getString("path")).isEqualTo("/profile/42");
      assertThat(reply.json().getJsonArray("recs")).isNotEmpty();
    }

    private int[] freePorts(int n) throws IOException {
      int[] ports = new int[n];
      for (int i = 0; i < n; i++) {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
          ports[i] = socket.getLocalPort();
        }
      }
      return ports;
    }
  }

  @Nested
  class WhenAnOptionalCallFails {
    @Test
    void answers200WithTheFallbackAndNamesTheFailureInErrors() {
      TestUpstream recs = upstream("recs").answersJson(503, new JsonObject());
      startDashboard(upstream("profile"), upstream("orders"), recs, 1000);

      Reply reply = get("/api/dashboard/42");

      assertThat(reply.status()).isEqualTo(200);
      assertThat(reply.json().getValue("recs")).isEqualTo(new JsonArray());
      assertThat(reply.json().getJsonObject("errors"))
          .isEqualTo(new JsonObject().put("recs", new JsonObject().put("reason", "status:503")));
      assertThat(reply.json().getJsonObject("profile")).isEqualTo(new JsonObject().put("from", "profile"));
    }

    @Test
    void reportsATimeoutAndAbortsTheUpstreamRequest() {
      TestUpstream recs = upstream("recs").hangs();
      startDashboard(upstream("profile"), upstream("orders"), recs, 100);

      Reply reply = get("/api/dashboard/42");

      assertThat(reply.status()).isEqualTo(200);
      assertThat(reply.json().getJsonObject("errors").getJsonObject("recs").getString("reason")).isEqualTo("timeout");
      assertThat(Await.result(recs.aborted)).isPositive();
    }

    @Test
    void reportsABodyThatIsNotJsonAsInvalidJson() {
      TestUpstream recs = upstream("recs");
      recs.answers(200, "<html>oops</html>", 0);
      startDashboard(upstream("profile"), upstream("orders"), recs, 1000);

      Reply reply = get("/api/dashboard/42");

      assertThat(reply.json().getJsonObject("errors").getJsonObject("recs").getString("reason")).isEqualTo("invalid_json");
    }

    @Test
    void reportsAnUpstreamThatClosesBeforeAnsweringAsReset() {
      TestUpstream recs = upstream("recs").closesConnection();
      startDashboard(upstream("profile"), upstream("orders"), recs, 1000);

      Reply reply = get("/api/dashboard/42");

      assertThat(reply.status()).isEqualTo(200);
      assertThat(reply.json().getJsonObject("errors").getJsonObject("recs").getString("reason")).isEqualTo("reset");
    }

    @Test
    void reportsAnUpstreamThatRefusesConnectionsAsConnect() {
      TestUpstream recs = upstream("recs");
      startDashboard(upstream("profile"), upstream("orders"), recs, 1000);
      Await.result(recs.close());

      Reply reply = get("/api/dashboard/42");

      assertThat(reply.status()).isEqualTo(200);
      assertThat(reply.json().getJsonObject("errors").getJsonObject("recs").getString("reason")).isEqualTo("connect");
    }

    @Test
    void usesNullWhenTheCallHasNoFallback() {
      TestUpstream profile = upstream("profile");
      TestUpstream recs = upstream("recs").answersJson(500, new JsonObject());
      startGateway(upstreamsOf(profile, 1000, recs, 1000),
          route(2000, required(profile), new JsonObject().put("upstream", "recs").put("required", false)));

      Reply reply = get("/api/dashboard/42");

      assertThat(reply.status()).isEqualTo(200);
      assertThat(reply.json().containsKey("recs")).isTrue();
      assertThat(reply.json().getValue("recs")).isNull();
    }
  }

  @Nested
  class WhenAnUpstreamIsRetriedOrHedged {
    private JsonObject withPolicy(TestUpstream u, int timeoutMs, String policy, JsonObject options) {
      return new JsonObject().put(u.name, new JsonObject().put("url", u.url()).put("timeoutMs", timeoutMs).put(policy, options));
    }

    private String extraAttempts(String upstream, String kind) {
      return get("/metrics").body().lines()
          .filter(l -> l.startsWith("gateway_upstream_attempts_extra_total{") && l.contains("kind=\"" + kind + "\"")
              && l.contains("upstream=\"" + upstream + "\""))
          .findFirst().orElseThrow();
    }

    @Test
    void aRetriedUpstreamThatFailsOnceWith503AnswersFromItsSecondAttempt() {
      TestUpstream orders = upstream("orders").firstAnswers(503);
      startGateway(withPolicy(orders, 500, "retry", new JsonObject().put("maxAttempts", 3).put("initialDelayMs", 1).put("maxDelayMs", 5)),
          route(2000, required(orders)));

      Reply reply = get("/api/dashboard/42");

      assertThat(reply.status()).isEqualTo(200);
      assertThat(orders.requests).hasSize(2);
      assertThat(extraAttempts("orders", "retry")).endsWith(" 1.0");
    }

    @Test
    void anAnswerThatNoRetryCanMendIsNotRetried() {
      TestUpstream orders = upstream("orders").answersJson(404, new JsonObject());
      startGateway(withPolicy(orders, 500, "retry", new JsonObject().put("maxAttempts", 3).put("initialDelayMs", 1)),
          route(2000, required(orders)));

      Reply reply = get("/api/dashboard/42");

      assertThat(reply.status()).isEqualTo(502);
      assertThat(reply.json().getJsonArray("failures")).containsExactly(
          new JsonObject().put("upstream", "orders").put("reason", "status:404"));
      assertThat(orders.requests).hasSize(1);
    }

    @Test
    void retriesThatRunOutReportTheLastAttemptsReason() {
      TestUpstream orders = upstream("orders").answersJson(503, new JsonObject());
      startGateway(withPolicy(orders, 500, "retry", new JsonObject().put("maxAttempts", 2).put("initialDelayMs", 1)),
          route(2000, required(orders)));

      Reply reply = get("/api/dashboard/42");

      assertThat(reply.status()).isEqualTo(502);
      assertThat(reply.json().getJsonArray("failures")).containsExactly(
          new JsonObject().put("upstream", "orders").put("reason", "status:503"));
      assertThat(orders.requests).hasSize(2);
    }

    @Test
    void retriesAreBoundedByTheRouteDeadline() {
      TestUpstream orders = upstream("orders").answersJson(503, new JsonObject());
      startGateway(withPolicy(orders, 500, "retry", new JsonObject().put("maxAttempts", 10).put("initialDelayMs", 60).put("maxDelayMs", 60)),
          route(100, required(orders)));

      Reply reply = get("/api/dashboard/42");

      assertThat(reply.status()).isIn(502, 504);
      assertThat(orders.requests.size()).isLessThan(10);
    }

    @Test
    void aHedgedUpstreamAnswersFromTheSecondAttemptAndResetsTheFirst() {
      TestUpstream orders = upstream("orders").firstHangs();
      startGateway(withPolicy(orders, 1000, "hedge", new JsonObject().put("delayMs", 20)), route(2000, required(orders)));

      Reply reply = get("/api/dashboard/42");

      assertThat(reply.status()).isEqualTo(200);
      assertThat(orders.requests).hasSize(2);
      assertThat(Await.result(orders.aborted)).as("the first attempt's request was reset").isPositive();
      assertThat(extraAttempts("orders", "hedge")).endsWith(" 1.0");
    }

    @Test
    void anAdaptiveHedgeWaitsForItsMaximumUntilItHasSeenEnoughCalls() {
      TestUpstream orders = upstream("orders").firstHangs();
      startGateway(withPolicy(orders, 1000, "hedge", new JsonObject().put("percentile", 90).put("minDelayMs", 1).put("maxDelayMs", 100)),
          route(2000, required(orders)));

      Reply reply = get("/api/dashboard/42");

      assertThat(reply.status()).isEqualTo(200);
      // 100 ms (the maximum), not 1 ms (the minimum): measured between the two arrivals at the
      // upstream, so the first one's connection set-up may eat into it; half the maximum tells them apart
      assertThat(millisBetween(orders.requests.get(0).arrivedNanos(), orders.requests.get(1).arrivedNanos())).isGreaterThanOrEqualTo(50);
    }
  }

  @Nested
  class WhenARequiredCallFails {
    @Test
    void answers502ListingTheFailureWithItsReason() {
      TestUpstream orders = upstream("orders").answersJson(503, new JsonObject());
      startDashboard(upstream("profile"), orders, upstream("recs"), 1000);

      Reply reply = get("/api/dashboard/42");

      assertThat(reply.status()).isEqualTo(502);
      assertThat(reply.json()).isEqualTo(new JsonObject().put("error", "upstream_failed").put("failures",
          new JsonArray().add(new JsonObject().put("upstream", "orders").put("reason", "status:503"))));
    }

    @Test
    void abortsTheSlowSiblingsUpstreamRequestAndDoesNotListItAsAFailure() {
      TestUpstream profile = upstream("profile").hangs();
      TestUpstream orders = upstream("orders");
      orders.answers(503, "{}", 50);
      TestUpstream recs = upstream("recs").hangs();
      startDashboard(profile, orders, recs, 1000);

      Reply reply = get("/api/dashboard/42");

      assertThat(reply.status()).isEqualTo(502);
      assertThat(reply.json().getJsonArray("failures")).containsExactly(
          new JsonObject().put("upstream", "orders").put("reason", "status:503"));
      assertThat(Await.result(profile.aborted)).isPositive();
      assertThat(Await.result(recs.aborted)).isPositive();
    }

    @Test
    void answers502WithReasonTimeoutWhenItTimesOut() {
      TestUpstream profile = upstream("profile").hangs();
      TestUpstream orders = upstream("orders");
      startGateway(upstreamsOf(profile, 100, orders, 1000), route(2000, required(profile), required(orders)));

      Reply reply = get("/api/dashboard/42");

      assertThat(reply.status()).isEqualTo(502);
      assertThat(reply.json().getJsonArray("failures")).containsExactly(
          new JsonObject().put("upstream", "profile").put("reason", "timeout"));
      assertThat(Await.result(profile.aborted)).isPositive();
    }
  }

  @Nested
  class WhenTheRouteDeadlinePasses {
    @Test
    void answers504AndAbortsEveryCall() {
      TestUpstream profile = upstream("profile").hangs();
      TestUpstream orders = upstream("orders").hangs();
      startGateway(upstreamsOf(profile, 5000, orders, null), route(150, required(profile), optional(orders, null)));

      long start = System.nanoTime();
      Reply reply = get("/api/dashboard/42");

      assertThat(reply.status()).isEqualTo(504);
      assertThat(reply.json()).isEqualTo(new JsonObject().put("error", "deadline_exceeded"));
      assertThat(millisBetween(start, System.nanoTime())).isBetween(140L, 2000L);
      assertThat(Await.result(profile.aborted)).isPositive();
      assertThat(Await.result(orders.aborted)).isPositive();
    }

    @Test
    void countsCallsEndedByTheDeadlineAsCancelled() {
      TestUpstream profile = upstream("profile").hangs();
      startGateway(upstreamsOf(profile, 5000), route(100, required(profile)));

      get("/api/dashboard/42");

      String scrape = scrape();
      assertThat(metric(scrape, "gateway_upstream_calls_total{outcome=\"cancelled\",upstream=\"profile\"}")).isEqualTo(1.0);
      assertThat(metric(scrape, "gateway_upstream_calls_total{outcome=\"timeout\",upstream=\"profile\"}")).isEqualTo(0.0);
      assertThat(metric(scrape, "gateway_requests_total{route=\"" + ROUTE + "\",status=\"504\"}")).isEqualTo(1.0);
    }
  }

  @Nested
  class WhenTheClientDisconnects {
    @Test
    void everyUpstreamRequestIsAbortedWithin200Milliseconds() {
      TestUpstream profile = upstream("profile").hangs();
      TestUpstream orders = upstream("orders").hangs();
      TestUpstream recs = upstream("recs").hangs();
      startDashboard(profile, orders, recs, null);
      NetSocket socket = Await.result(vertx.createNetClient().connect(port, "127.0.0.1"));
      socket.write("GET /api/dashboard/42 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
      Await.result(CompletableFuture.allOf(profile.arrived, orders.arrived, recs.arrived));

      long closedAt = System.nanoTime();
      Await.result(socket.close());

      for (TestUpstream u : List.of(profile, orders, recs)) {
        assertThat(millisBetween(closedAt, Await.result(u.aborted))).as(u.name).isLessThan(200L);
      }
    }

    @Test
    void theRequestIsCountedAs499AndItsCallsAsCancelled() {
      TestUpstream profile = upstream("profile").hangs();
      startGateway(upstreamsOf(profile, null), route(null, required(profile)));
      NetSocket socket = Await.result(vertx.createNetClient().connect(port, "127.0.0.1"));
      socket.write("GET /api/dashboard/42 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
      Await.result(profile.arrived);

      Await.result(socket.close());
      Await.result(profile.aborted);

      // The upstream may see the reset before the gateway's group has settled and counted the
      // request: scrape until it has (each scrape is a round trip; a bounded number of them).
      String series = "gateway_requests_total{route=\"" + ROUTE + "\",status=\"499\"} ";
      String scrape = scrape();
      for (int i = 0; i < 200 && !scrape.contains(series); i++) {
        scrape = scrape();
      }
      assertThat(metric(scrape, "gateway_requests_total{route=\"" + ROUTE + "\",status=\"499\"}")).isEqualTo(1.0);
      assertThat(metric(scrape, "gateway_upstream_calls_total{outcome=\"cancelled\",upstream=\"profile\"}")).isEqualTo(1.0);
      assertThat(metric(scrape, "gateway_upstream_aborted_total{upstream=\"profile\"}")).isEqualTo(1.0);
    }
  }

  @Nested
  class WhenTheRequestIsBad {
    @BeforeEach
    void start() {
      startDashboard(upstream("profile"), upstream("orders"), upstream("recs"), 1000);
    }

    private void assertStillServing() {
      assertThat(get("/health").status()).isEqualTo(200);
    }

    @Test
    void anUnknownPathAnswers404Json() {
      Reply reply = get("/api/nothing-here");

      assertThat(reply.status()).isEqualTo(404);
      assertThat(reply.json().getString("error")).isEqualTo("not_found");
    }

    @Test
    void aPostAnswers405WithAnAllowHeaderAndJson() {
      Reply reply = send(new RequestOptions().setMethod(HttpMethod.POST).setURI("/api/dashboard/42"), Buffer.buffer("{}"));

      assertThat(reply.status()).isEqualTo(405);
      assertThat(reply.headers().get("allow")).isEqualTo("GET, HEAD");
      assertThat(reply.json().getString("error")).isEqualTo("method_not_allowed");
    }

    @Test
    void aDotDotParameterAnswers400AndReachesNoUpstream() {
      assertThat(get("/api/dashboard/..").status()).isEqualTo(400);
      assertThat(get("/api/dashboard/%2E%2E").status()).isEqualTo(400);
      assertThat(get("/api/dashboard/.").status()).isEqualTo(400);
      assertThat(get("/api/dashboard/..").json().getString("error")).isEqualTo("bad_request");
    }

    @Test
    void aRequestLineOver8KiBAnswers414AndTheGatewayKeepsServing() {
      Reply reply = get("/api/dashboard/" + "x".repeat(9 * 1024));

      assertThat(reply.status()).isEqualTo(414);
      assertStillServing();
    }

    @Test
    void headersOver16KiBAnswer431AndTheGatewayKeepsServing() {
      Reply reply = send(new RequestOptions().setMethod(HttpMethod.GET).setURI("/api/dashboard/42")
          .putHeader("x-padding", "p".repeat(17 * 1024)), null);

      assertThat(reply.status()).isEqualTo(431);
      assertStillServing();
    }

    @Test
    void aBodyOver64KiBAnswers413AndTheGatewayKeepsServing() {
      Reply reply = send(new RequestOptions().setMethod(HttpMethod.GET).setURI("/api/dashboard/42"),
          Buffer.buffer("b".repeat(65 * 1024)));

      assertThat(reply.status()).isEqualTo(413);
      assertThat(reply.json().getString("error")).isEqualTo("payload_too_large");
      assertStillServing();
    }

    @Test
    void aSmallBodyOnAGetIsReadAndIgnored() {
      Reply reply = send(new RequestOptions().setMethod(HttpMethod.GET).setURI("/api/dashboard/42"), Buffer.buffer("hello"));

      assertThat(reply.status()).isEqualTo(200);
    }
  }

  @Nested
  class Health {
    @Test
    void answers200OnceTheGatewayListens() {
      startDashboard(upstream("profile"), upstream("orders"), upstream("recs"), 1000);

      Reply reply = get("/health");

      assertThat(reply.status()).isEqualTo(200);
      assertThat(reply.json()).isEqualTo(new JsonObject().put("status", "up"));
    }
  }

  @Nested
  class Metrics {
    @Test
    void countRequestsByRouteAndStatus() {
      startDashboard(upstream("profile"), upstream("orders"), upstream("recs"), 1000);
      String before = scrape();

      get("/api/dashboard/1");
      get("/api/dashboard/2");
      get("/nowhere");

      String after = scrape();
      String ok = "gateway_requests_total{route=\"" + ROUTE + "\",status=\"200\"}";
      assertThat(before).doesNotContain(ok);
      assertThat(metric(after, ok)).isEqualTo(2.0);
      assertThat(metric(after, "gateway_requests_total{route=\"unmatched\",status=\"404\"}")).isEqualTo(1.0);
      assertThat(get("/metrics").headers().get("content-type")).startsWith("text/plain");
    }

    @Test
    void countUpstreamCallsByOutcomeAndAbortedRequests() {
      TestUpstream recs = upstream("recs").hangs();
      TestUpstream orders = upstream("orders").answersJson(503, new JsonObject());
      TestUpstream profile = upstream("profile");
      startGateway(upstreamsOf(profile, 1000, orders, 1000, recs, 100),
          route(2000, required(profile), optional(orders, null), optional(recs, null)));
      assertThat(metric(scrape(), "gateway_upstream_calls_total{outcome=\"ok\",upstream=\"profile\"}")).isEqualTo(0.0);

      get("/api/dashboard/42");

      String scrape = scrape();
      assertThat(metric(scrape, "gateway_upstream_calls_total{outcome=\"ok\",upstream=\"profile\"}")).isEqualTo(1.0);
      assertThat(metric(scrape, "gateway_upstream_calls_total{outcome=\"error\",upstream=\"orders\"}")).isEqualTo(1.0);
      assertThat(metric(scrape, "gateway_upstream_calls_total{outcome=\"timeout\",upstream=\"recs\"}")).isEqualTo(1.0);
      assertThat(metric(scrape, "gateway_upstream_aborted_total{upstream=\"recs\"}")).isEqualTo(1.0);
      assertThat(metric(scrape, "gateway_upstream_aborted_total{upstream=\"profile\"}")).isEqualTo(0.0);
    }

    @Test
    void latencyHistogramsByRouteAndStatusAndByUpstreamAndOutcomeAndInFlightGauges() {
      TestUpstream profile = upstream("profile");
      startGateway(upstreamsOf(profile, 1000), route(2000, required(profile)));

      get("/api/dashboard/42");

      String scrape = scrape();
      assertThat(metric(scrape, "gateway_request_duration_seconds_count{route=\"" + ROUTE + "\",status=\"200\"}")).isEqualTo(1.0);
      assertThat(scrape).contains("gateway_request_duration_seconds_bucket{route=\"" + ROUTE + "\",status=\"200\",le=");
      assertThat(metric(scrape, "gateway_upstream_call_duration_seconds_count{outcome=\"ok\",upstream=\"profile\"}")).isEqualTo(1.0);
      assertThat(metric(scrape, "gateway_requests_in_flight")).isEqualTo(0.0);
      assertThat(metric(scrape, "gateway_upstream_calls_in_flight{upstream=\"profile\"}")).isEqualTo(0.0);
      assertThat(metric(scrape, "gateway_connections_open")).isPositive(); // the scrape's own
    }

    @Test
    void countTasksStartedAndHowTheyEnded() {
      TestUpstream profile = upstream("profile").hangs();
      TestUpstream orders = upstream("orders").answersJson(503, new JsonObject());
      TestUpstream recs = upstream("recs");
      startGateway(upstreamsOf(profile, 1000, orders, 1000, recs, 1000),
          route(2000, required(profile), required(orders), optional(recs, null)).put("maxConcurrency", 2));

      get("/api/dashboard/42");

      String scrape = scrape();
      assertThat(metric(scrape, "taskgroup_tasks_total{state=\"started\"}")).isEqualTo(3.0);
      assertThat(metric(scrape, "taskgroup_tasks_total{state=\"failed\"}")).isEqualTo(1.0);
      assertThat(metric(scrape, "taskgroup_tasks_total{state=\"cancelled\"}")).isEqualTo(2.0);
      assertThat(metric(scrape, "taskgroup_tasks_total{state=\"succeeded\"}")).isEqualTo(0.0);
    }
  }

  @Nested
  class AmbiguousFraming {
    @BeforeEach
    void start() {
      startDashboard(upstream("profile"), upstream("orders"), upstream("recs"), 1000);
    }

    @Test
    void contentLengthWithTransferEncodingAnswers400AndClosesSoASmuggledRequestIsNeverServed() {
      Raw raw = raw("GET /health HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n"
          + "0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n");

      assertThat(raw.text()).startsWith("HTTP/1.1 400").contains("bad_request");
      assertThat(raw.responses()).isEqualTo(1);
      assertThat(get("/health").status()).isEqualTo(200);
    }

    @Test
    void aTransferEncodingOtherThanPlainChunkedAnswers400AndCloses() {
      Raw raw = raw("GET /health HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, identity\r\n\r\n0\r\n\r\n");

      assertThat(raw.text()).startsWith("HTTP/1.1 400");
      assertThat(raw.responses()).isEqualTo(1);
    }
  }

  @Nested
  class DefaultDeadline {
    @Test
    void aRouteWithoutDeadlineAndAnUpstreamWithoutTimeoutStillAnswers504() {
      TestUpstream profile = upstream("profile").hangs();
      startGatewayWith(new JsonObject().put("defaultDeadlineMs", 200), upstreamsOf(profile, null), route(null, required(profile)));

      long start = System.nanoTime();
      Reply reply = get("/api/dashboard/42");

      assertThat(reply.status()).isEqualTo(504);
      assertThat(millisBetween(start, System.nanoTime())).isBetween(190L, Await.WITHIN_MS);
      assertThat(Await.result(profile.aborted)).isPositive();
    }
  }

  @Nested
  class ClientTimeouts {
    private void start(JsonObject http) {
      startGatewayWith(http, upstreamsOf(upstream("profile"), 1000), route(200, required(upstream("profile"))));
    }

    @Test
    void headersSentTooSlowlyAreCutAfterTheHeaderTimeout() {
      start(new JsonObject().put("headerTimeoutMs", 200));

      Raw raw = raw("GET /health HTTP/1.1\r\nHost: x\r\n"); // and never the blank line

      assertThat(raw.text()).isEmpty();
      assertThat(raw.closedAfterMs()).isBetween(150L, Await.WITHIN_MS);
    }

    @Test
    void aConnectionThatSendsNothingIsCutAfterTheHeaderTimeout() {
      start(new JsonObject().put("headerTimeoutMs", 200));

      Raw raw = raw("");

      assertThat(raw.closedAfterMs()).isBetween(150L, Await.WITHIN_MS);
    }

    @Test
    void aKeptAliveConnectionGetsAFreshHeaderTimeoutForItsNextRequest() {
      start(new JsonObject().put("headerTimeoutMs", 300));

      Raw raw = raw("GET /health HTTP/1.1\r\nHost: x\r\n\r\n");

      assertThat(raw.text()).startsWith("HTTP/1.1 200");
      assertThat(raw.closedAfterMs()).isBetween(250L, Await.WITHIN_MS);
    }

    @RepeatedTest(3)
    void aKeptAliveConnectionThatAsksAgainBeforeTheTimeoutIsCutOnlyATimeoutAfterItsLastAnswer() {
      start(new JsonObject().put("headerTimeoutMs", 400));
      String get = "GET /health HTTP/1.1\r\nHost: x\r\n\r\n";

      // the second request 250 ms in: the timer armed at the accept (due at 400 ms) must move on
      Raw raw = raw(get, 250, get);

      assertThat(raw.responses()).isEqualTo(2);
      assertThat(raw.closedAfterMs()).isBetween(600L, Await.WITHIN_MS);
    }

    @Test
    void aGetWithoutBodyIsAnsweredWithoutWaitingForTheBodyTimeout() {
      start(new JsonObject().put("bodyTimeoutMs", 60_000));

      Raw raw = raw("GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");

      assertThat(raw.text()).startsWith("HTTP/1.1 200");
      assertThat(raw.closedAfterMs()).isLessThan(Await.WITHIN_MS);
    }

    @Test
    void anIdleKeptAliveConnectionIsClosedAfterTheIdleTimeout() {
      start(new JsonObject().put("idleTimeoutMs", 400).put("defaultDeadlineMs", 300));

      Raw raw = raw("GET /health HTTP/1.1\r\nHost: x\r\n\r\n");

      assertThat(raw.text()).startsWith("HTTP/1.1 200");
      assertThat(raw.closedAfterMs()).isBetween(350L, Await.WITHIN_MS);
    }

    @Test
    void aBodySentTooSlowlyAnswers408AndCloses() {
      start(new JsonObject().put("bodyTimeoutMs", 200));

      Raw raw = raw("GET /health HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nab");

      assertThat(raw.text()).startsWith("HTTP/1.1 408").contains("request_timeout");
      assertThat(raw.closedAfterMs()).isBetween(150L, Await.WITHIN_MS);
    }
  }

  @Nested
  class ConnectionCap {
    @Test
    void aConnectionBeyondTheCapIsAnswered503AndTheGatewayAcceptsAgainOnceConnectionsClose() {
      startGatewayWith(new JsonObject().put("maxConnections", 2).put("instances", 1),
          upstreamsOf(upstream("profile"), 1000), route(200, required(upstream("profile"))));
      NetSocket first = openConnection("GET /health HTTP/1.1\r\nHost: x\r\n");
      NetSocket second = openConnection("GET /health HTTP/1.1\r\nHost: x\r\n");
      eventually("/metrics", 503); // the third connection (each try is one) is refused...

      Raw refused = raw("GET /health HTTP/1.1\r\nHost: x\r\n\r\n");
      assertThat(refused.text()).startsWith("HTTP/1.1 503").containsIgnoringCase("retry-after: 1")
          .contains("too_many_connections");

      Await.result(first.close());
      Await.result(second.close());
      assertThat(eventually("/health", 200).json().getString("status")).isEqualTo("up"); // ...until they close
    }
  }

  @Nested
  class UpstreamResponseSize {
    @Test
    void aBodyPastTheLimitFailsTheCallAsTooLargeAndResetsItsRequestAtOnce() {
      TestUpstream recs = upstream("recs").streams(64 * 1024, 10_000); // 640 MB if read to the end
      TestUpstream profile = upstream("profile");
      startGateway(upstreamsOf(profile, 1000, recs, 10_000)
              .put("recs", new JsonObject().put("url", recs.url()).put("maxResponseBytes", 256 * 1024)),
          route(20_000, required(profile), optional(recs, new JsonArray())));

      Reply reply = get("/api/dashboard/42");

      assertThat(reply.status()).isEqualTo(200);
      assertThat(reply.json().getJsonObject("errors").getJsonObject("recs").getString("reason")).isEqualTo("too_large");
      assertThat(Await.result(recs.aborted)).isPositive();
    }

    @Test
    void aDeclaredContentLengthPastTheDefaultMiBLimitFailsAsTooLarge() {
      TestUpstream recs = upstream("recs");
      recs.answers(200, "[" + "1,".repeat(600 * 1024) + "1]", 0);
      startDashboard(upstream("profile"), upstream("orders"), recs, 1000);

      Reply reply = get("/api/dashboard/42");

      assertThat(reply.json().getJsonObject("errors").getJsonObject("recs").getString("reason")).isEqualTo("too_large");
    }

    @Test
    void aBigBodyUnderTheLimitIsDecodedAndRelayed() {
      TestUpstream recs = upstream("recs");
      recs.answers(200, "[" + "1,".repeat(100 * 1024) + "1]", 0); // 200 KiB: decoded off the event loop
      startDashboard(upstream("profile"), upstream("orders"), recs, 1000);

      Reply reply = get("/api/dashboard/42");

      assertThat(reply.status()).isEqualTo(200);
      assertThat(reply.json().getJsonArray("recs")).hasSize(100 * 1024 + 1);
    }
  }

  @Nested
  class OverHttp2 {
    private HttpClient h2;

    @BeforeEach
    void start() {
      TestUpstream profile = upstream("profile");
      startGatewayWith(new JsonObject().put("h2c", true), upstreamsOf(profile, 1000), route(2000, required(profile)));
      h2 = vertx.createHttpClient(new HttpClientOptions().setProtocolVersion(HttpVersion.HTTP_2)
          .setHttp2ClearTextUpgrade(false).setMaxHeaderSize(64 * 1024));
    }

    private Reply h2(RequestOptions options) {
      options.setHost("127.0.0.1").setPort(port);
      return Await.result(Future.<Reply>future(reply -> clientContext.runOnContext(v -> h2.request(options)
          .compose(req -> req.send())
          .compose(resp -> resp.body().map(b -> new Reply(resp.statusCode(), resp.headers(), b.toString())))
          .onComplete(reply))));
    }

    @Test
    void headAnswersTheStatusAndTheGetsContentLengthWithNoBody() {
      Reply head = h2(new RequestOptions().setMethod(HttpMethod.HEAD).setURI("/api/dashboard/42"));
      Reply get = h2(new RequestOptions().setMethod(HttpMethod.GET).setURI("/api/dashboard/42"));

      assertThat(head.status()).isEqualTo(200);
      assertThat(head.body()).isEmpty();
      // Before the fix the stream ended in PROTOCOL_ERROR (curl) and carried no content-length.
      assertThat(head.headers().get("content-length")).isEqualTo(Integer.toString(get.body().length()));
    }

    @Test
    void aPathOver8KiBAnswers414AsOverHttp1() {
      Reply reply = h2(new RequestOptions().setURI("/api/dashboard/" + "x".repeat(9 * 1024)));

      assertThat(reply.status()).isEqualTo(414);
    }

    @Test
    void headersOver16KiBAnswer431AsOverHttp1() {
      Reply reply = h2(new RequestOptions().setURI("/api/dashboard/42").putHeader("x-padding", "p".repeat(17 * 1024)));

      assertThat(reply.status()).isEqualTo(431);
      assertThat(h2(new RequestOptions().setURI("/health")).status()).isEqualTo(200);
    }
  }

  @Nested
  class LoadShedding {
    @Test
    void aRequestBeyondMaxRequestsInFlightAnswers503WithRetryAfterAtOnce() {
      TestUpstream profile = upstream("profile").hangs();
      startGatewayWith(new JsonObject().put("maxRequestsInFlight", 1), upstreamsOf(profile, null), route(3000, required(profile)));
      Future<Reply> first = sendAsync(new RequestOptions().setURI("/api/dashboard/1"), null);
      Await.result(profile.arrived);

      long start = System.nanoTime();
      Reply shed = get("/api/dashboard/2");

      assertThat(shed.status()).isEqualTo(503);
      assertThat(shed.headers().get("retry-after")).isEqualTo("1");
      assertThat(shed.json().getString("error")).isEqualTo("overloaded");
      assertThat(millisBetween(start, System.nanoTime())).isLessThan(1000L);
      assertThat(get("/health/ready").json().getString("status")).isEqualTo("overloaded");
      assertThat(first.isComplete()).isFalse();
    }
  }

  @Nested
  class HealthEndpoints {
    @Test
    void liveAndReadyAnswer200WhileServing() {
      startDashboard(upstream("profile"), upstream("orders"), upstream("recs"), 1000);

      assertThat(get("/health/live").status()).isEqualTo(200);
      assertThat(get("/health/ready").json()).isEqualTo(new JsonObject().put("status", "up"));
    }

    @Test
    void readyAnswers503WhenAnUpstreamPoolIsSaturated() {
      TestUpstream profile = upstream("profile").hangs();
      startGatewayWith(new JsonObject().put("instances", 1),
          new JsonObject().put("profile", new JsonObject().put("url", profile.url()).put("maxConnections", 1)),
          route(3000, required(profile)));
      sendAsync(new RequestOptions().setURI("/api/dashboard/1"), null);
      Await.result(profile.arrived);

      Reply ready = get("/health/ready");

      assertThat(ready.status()).isEqualTo(503);
      assertThat(ready.json()).isEqualTo(new JsonObject().put("status", "saturated")
          .put("upstreams", new JsonArray().add("profile")));
      assertThat(get("/health/live").status()).isEqualTo(200);
    }
  }

  @Nested
  class RequestIds {
    @Test
    void aClientsRequestIdReachesEveryUpstreamAndComesBack() {
      TestUpstream profile = upstream("profile");
      TestUpstream orders = upstream("orders");
      startDashboard(profile, orders, upstream("recs"), 1000);

      Reply reply = send(new RequestOptions().setURI("/api/dashboard/42").putHeader("x-request-id", "abc-123"), null);

      assertThat(reply.headers().get("x-request-id")).isEqualTo("abc-123");
      assertThat(profile.requests.get(0).requestId()).isEqualTo("abc-123");
      assertThat(orders.requests.get(0).requestId()).isEqualTo("abc-123");
    }

    @Test
    void concurrentRequestsGetDistinctIdsAndEachUpstreamRequestCarriesItsOwn() {
      TestUpstream profile = upstream("profile");
      TestUpstream orders = upstream("orders");
      startDashboard(profile, orders, upstream("recs"), 1000);
      List<Future<Reply>> pending = new ArrayList<>();
      for (int user = 0; user < 20; user++) { // all in flight at once: the calls interleave on the loop
        pending.add(sendAsync(new RequestOptions().setURI("/api/dashboard/" + user), null));
      }

      Map<String, String> idOfUser = new HashMap<>();
      for (int user = 0; user < pending.size(); user++) {
        idOfUser.put(Integer.toString(user), Await.result(pending.get(user)).headers().get("x-request-id"));
      }

      assertThat(new HashSet<>(idOfUser.values())).hasSize(20).allMatch(id -> id.matches("[0-9a-f-]{36}"));
      for (TestUpstream u : List.of(profile, orders)) {
        assertThat(u.requests).hasSize(20).allSatisfy(seen -> assertThat(seen.requestId())
            .isEqualTo(idOfUser.get(seen.uri().substring(seen.uri().lastIndexOf('/') + 1))));
      }
    }

    @Test
    void everyUpstreamRequestAsksForJson() {
      TestUpstream profile = upstream("profile");
      TestUpstream orders = upstream("orders");
      startDashboard(profile, orders, upstream("recs"), 1000);

      get("/api/dashboard/42");
      get("/api/dashboard/43"); // the second reuses the instance's request options: the header stays one

      for (TestUpstream u : List.of(profile, orders)) {
        assertThat(u.requests).hasSize(2).allSatisfy(seen -> assertThat(seen.accept()).isEqualTo("application/json"));
      }
    }

    @Test
    void aMissingRequestIdIsGeneratedAndSentToTheUpstreams() {
      TestUpstream profile = upstream("profile");
      startDashboard(profile, upstream("orders"), upstream("recs"), 1000);

      Reply reply = get("/api/dashboard/42");

      String id = reply.headers().get("x-request-id");
      assertThat(id).matches("[0-9a-f-]{36}");
      assertThat(profile.requests.get(0).requestId()).isEqualTo(id);
    }
  }

  @Nested
  class EveryCore {
    @Test
    void severalInstancesShareOnePortAndOneMetricsRegistry() {
      TestUpstream profile = upstream("profile");
      JsonObject config = new JsonObject()
          .put("http", new JsonObject().put("host", "127.0.0.1").put("port", 0).put("instances", 3))
          .put("upstreams", upstreamsOf(profile, 1000))
          .put("routes", new JsonArray().add(route(2000, required(profile))));
      GatewayMain.Started started = Await.result(GatewayMain.start(vertx, GatewayConfig.parse(config)));
      port = started.gateway().actualPort();
      HttpClient fresh = vertx.createHttpClient(new HttpClientOptions().setKeepAlive(false));

      for (int i = 0; i < 6; i++) {
        // body() attached in send's callback, on the event loop (see sendAsync: from the test thread, the end could be lost)
        int status = Await.result(fresh.request(HttpMethod.GET, port, "127.0.0.1", "/api/dashboard/" + i)
            .compose(req -> req.send().compose(resp -> resp.body().map(b -> resp.statusCode()))));
        assertThat(status).isEqualTo(200);
      }

      assertThat(started.instances()).hasSize(3).allSatisfy(g -> assertThat(g.actualPort()).isEqualTo(port));
      assertThat(metric(scrape(), "gateway_requests_total{route=\"" + ROUTE + "\",status=\"200\"}")).isEqualTo(6.0);
    }
  }

  @Nested
  class AccessLog {
    private final List<String> lines = new java.util.concurrent.CopyOnWriteArrayList<>();
    private final java.util.logging.Handler handler = new java.util.logging.Handler() {
      @Override
      public void publish(java.util.logging.LogRecord record) {
        lines.add(record.getMessage());
      }

      @Override
      public void flush() {}

      @Override
      public void close() {}
    };
    private final java.util.logging.Logger logger = java.util.logging.Logger.getLogger("dev.taskgroup.gateway.access");

    @BeforeEach
    void listen() {
      logger.addHandler(handler);
    }

    @org.junit.jupiter.api.AfterEach
    void stopListening() {
      logger.removeHandler(handler);
    }

    @Test
    void whenEnabledEachRequestIsOneLineWithItsStatusAndRequestId() {
      TestUpstream profile = upstream("profile");
      startGatewayWith(new JsonObject().put("accessLog", true), upstreamsOf(profile, 1000), route(2000, required(profile)));

      send(new RequestOptions().setURI("/api/dashboard/42").putHeader("x-request-id", "r-1"), null);
      get("/nowhere");

      assertThat(lines).hasSize(2);
      assertThat(lines.get(0)).contains("GET /api/dashboard/42").contains(" 200 ").contains("id=r-1");
      assertThat(lines.get(1)).contains("GET /nowhere").contains(" 404 ").containsPattern("id=[0-9a-f-]{36}");
    }

    @Test
    void isOffByDefault() {
      TestUpstream profile = upstream("profile");
      startGateway(upstreamsOf(profile, 1000), route(2000, required(profile)));

      get("/api/dashboard/42");

      assertThat(lines).isEmpty();
    }
  }

  @Nested
  class Draining {
    @Test
    void whileDrainingHealthAnswers503AndTheRequestInFlightIsStillAnswered() {
      TestUpstream profile = upstream("profile");
      profile.answers(200, "{}", 300);
      startGatewayWith(new JsonObject().put("instances", 1), upstreamsOf(profile, 2000), route(3000, required(profile)));
      NetSocket socket = Await.result(vertx.createNetClient().connect(port, "127.0.0.1"));
      StringBuffer text = new StringBuffer();
      CompletableFuture<Void> closed = new CompletableFuture<>();
      socket.handler(b -> text.append(b.toString()));
      socket.closeHandler(v -> closed.complete(null));
      // Pipelined: /health is read after the route's answer, once the drain has begun.
      socket.write("GET /api/dashboard/1 HTTP/1.1\r\nHost: x\r\n\r\nGET /health/ready HTTP/1.1\r\nHost: x\r\n\r\n");
      Await.result(profile.arrived);

      Future<Void> drained = GatewayMain.drain(started, java.time.Duration.ofSeconds(3));
      Await.result(closed);

      assertThat(text.toString()).startsWith("HTTP/1.1 200");
      assertThat(text.toString()).contains("HTTP/1.1 503").contains("{\"status\":\"draining\"}");
      Await.result(drained);
    }
  }
}
