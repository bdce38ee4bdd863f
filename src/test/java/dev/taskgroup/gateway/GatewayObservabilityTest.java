package dev.taskgroup.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.SocketAddress;
import io.vertx.junit5.VertxExtension;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.util.Collections;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** What the gateway shows of what runs: {@code /admin/tasks} (a stuck request's group and task, and who may read them) and the library's meters on {@code /metrics}. */
@ExtendWith(VertxExtension.class)
class GatewayObservabilityTest {
  private static final String ROUTE = "/api/dashboard/:userId";

  private Vertx vertx;
  private HttpClient client;
  private Context clientContext;
  private TestUpstream fast;
  private TestUpstream stuck;
  private int port;

  /**
   * The first HTTP exchange of a JVM loads Vert.x's and Netty's HTTP classes on an event loop,
   * which on a loaded machine the blocked-thread check takes for a block: done once here, on a
   * throwaway Vert.x whose events nobody checks, so that the tests' own Vert.x sees warm classes.
   */
  @org.junit.jupiter.api.BeforeAll
  static void warmUp() {
    Vertx warm = new dev.taskgroup.HealthyVertxProvider().newInstance(null, null);
    try {
      io.vertx.core.http.HttpServer server = Await.result(warm.createHttpServer()
          .requestHandler(req -> req.response().end("warm")).listen(0, "127.0.0.1"));
      // body() attached in send's callback, on the event loop: from the test thread, Vert.x 5.0.7 could lose the end.
      // The client is held in a variable and closed after: Vert.x closes a client that nothing
      // references on the next collection, failing its request in flight with "Pool closed" (seen).
      io.vertx.core.http.HttpClient client = warm.createHttpClient();
      Await.result(client.request(HttpMethod.GET, server.actualPort(), "127.0.0.1", "/")
          .compose(req -> req.send().compose(resp -> resp.body())));
      Await.result(client.close());
    } finally {
      Await.result(warm.close());
    }
  }

  @BeforeEach
  void setUp(Vertx vertx) {
    this.vertx = vertx;
    this.client = vertx.createHttpClient();
    this.clientContext = vertx.getOrCreateContext();
    this.fast = TestUpstream.start(vertx, "profile");
    this.stuck = TestUpstream.start(vertx, "orders").hangs();
  }

  @AfterEach
  void tearDown() {
    Await.result(Future.join(fast.close(), stuck.close()));
  }

  private void startGateway(JsonObject admin, String host) {
    JsonObject config = new JsonObject()
        .put("http", new JsonObject().put("host", host).put("port", 0))
        .put("upstreams", new JsonObject()
            .put("profile", new JsonObject().put("url", fast.url()))
            .put("orders", new JsonObject().put("url", stuck.url()).put("timeoutMs", 30_000)))
        .put("routes", new JsonArray().add(new JsonObject().put("path", ROUTE).put("deadlineMs", 30_000)
            .put("calls", new JsonArray()
                .add(new JsonObject().put("upstream", "profile"))
                .add(new JsonObject().put("upstream", "orders")))));
    if (admin != null) {
      config.put("admin", admin);
    }
    port = Await.result(GatewayMain.start(vertx, GatewayConfig.parse(config))).gateway().actualPort();
  }

  private record Reply(int status, String contentType, String body) {}

  private Future<Reply> request(String host, String uri) {
    RequestOptions options = new RequestOptions().setMethod(HttpMethod.GET).setHost(host).setPort(port).setURI(uri);
    return Future.future(reply -> clientContext.runOnContext(v -> client.request(options)
        .compose(HttpClientRequest::send)
        .compose(resp -> resp.body().map(b -> new Reply(resp.statusCode(), resp.getHeader("content-type"), b.toString())))
        .onComplete(reply)));
  }

  /**
   * {@return {@code /admin/tasks} as soon as it no longer lists a task named {@code task}} Asked
   * again every 10 ms (a Vert.x timer, not a sleep); the caller's patience bounds it.
   */
  private Future<Reply> onceAnswered(String task) {
    return request("127.0.0.1", "/admin/tasks").compose(reply -> reply.status() == 200
        && reply.body().contains("\"name\":\"" + task + "\"")
        ? vertx.timer(10).compose(t -> onceAnswered(task)) : Future.succeededFuture(reply));
  }

  private Reply get(String uri) {
    return Await.result(request("127.0.0.1", uri));
  }

  @Test
  void aStuckRequestsGroupAndTaskAreReadFromTheEndpointWithTheirAges() {
    startGateway(new JsonObject().put("tasks", true), "127.0.0.1");
    Future<Reply> pending = request("127.0.0.1", "/api/dashboard/42"); // orders never answers
    Await.result(stuck.arrived);
    Reply reply = Await.result(onceAnswered("profile")); // on a busy machine its answer may still be on its way
    assertThat(reply.status()).isEqualTo(200);
    assertThat(reply.contentType()).startsWith("application/json");
    JsonObject group = new JsonObject(reply.body()).getJsonArray("groups").stream().map(JsonObject.class::cast)
        .filter(g -> g.getString("name").equals(ROUTE)).findFirst().orElseThrow();
    assertThat(group.getString("state")).isEqualTo("OPEN");
    assertThat(group.getLong("deadlineLeftMs")).isBetween(1L, 30_000L);
    JsonObject task = group.getJsonArray("children").stream().map(JsonObject.class::cast)
        .filter(t -> t.getString("name").equals("orders")).findFirst().orElseThrow();
    assertThat(task.getString("kind")).isEqualTo("task");
    assertThat(task.getString("state")).isEqualTo("RUNNING");
    assertThat(task.getLong("ageMs")).isNotNull().isGreaterThanOrEqualTo(0L).isLessThanOrEqualTo(group.getLong("ageMs"));
    assertThat(group.getJsonArray("children").stream().map(JsonObject.class::cast).map(t -> t.getString("name")))
        .doesNotContain("profile"); // it answered: a settled task leaves the tree
    Reply text = get("/admin/tasks?format=text");
    assertThat(text.contentType()).startsWith("text/plain");
    assertThat(text.body()).containsPattern("group '/api/dashboard/:userId' OPEN, age \\d+ ms, deadline in \\d+ ms, running 1")
        .containsPattern("task 'orders' RUNNING, age \\d+ ms");
    assertThat(pending.isComplete()).isFalse();
  }

  @Test
  void theEndpointIsAnUnknownPathUnlessTheConfigEnablesIt() {
    startGateway(null, "127.0.0.1");
    assertThat(get("/admin/tasks").status()).isEqualTo(404);
  }

  @Test
  void anUnknownFormatIsABadRequestNamingIt() {
    startGateway(new JsonObject().put("tasks", true), "127.0.0.1");
    Reply reply = get("/admin/tasks?format=xml");
    assertThat(reply.status()).isEqualTo(400);
    assertThat(new JsonObject(reply.body()).getString("message")).isEqualTo("format must be json or text, got 'xml'");
  }

  @Test
  void aClientOffLoopbackIsRefusedUnlessTheConfigAllowsRemoteClients() throws Exception {
    Optional<String> own = ownNonLoopbackAddress();
    assumeThat(own).as("a non-loopback IPv4 address on this machine").isPresent();
    startGateway(new JsonObject().put("tasks", true), "0.0.0.0");
    Reply refused = Await.result(request(own.get(), "/admin/tasks"));
    assertThat(refused.status()).isEqualTo(403);
    assertThat(new JsonObject(refused.body()).getString("error")).isEqualTo("forbidden");
    assertThat(get("/admin/tasks").status()).as("from loopback").isEqualTo(200);
  }

  @Test
  void remoteClientsAreAnsweredWhenTheConfigAllowsThem() throws Exception {
    Optional<String> own = ownNonLoopbackAddress();
    assumeThat(own).as("a non-loopback IPv4 address on this machine").isPresent();
    startGateway(new JsonObject().put("tasks", true).put("allowRemote", true), "0.0.0.0");
    assertThat(Await.result(request(own.get(), "/admin/tasks")).status()).isEqualTo(200);
  }

  @Test
  void theLibrarysTaskGroupMetersAreScrapedTaggedWithTheRoute() {
    startGateway(null, "127.0.0.1");
    stuck.answersJson(200, new JsonObject().put("from", "orders"));
    assertThat(get("/api/dashboard/7").status()).isEqualTo(200);
    String scrape = get("/metrics").body();
    assertThat(scrape).contains("taskgroup_tasks_started_total{group=\"/api/dashboard/:userId\"} 2.0")
        .contains("taskgroup_tasks_settled_total{group=\"/api/dashboard/:userId\",state=\"succeeded\"} 2.0")
        .contains("taskgroup_group_duration_seconds_count{group=\"/api/dashboard/:userId\",outcome=\"succeeded\"} 1");
  }

  @Test
  void onlyLoopbackAddressesCountAsLoopback() {
    assertThat(AdminTasks.loopback(SocketAddress.inetSocketAddress(1, "127.0.0.1"))).isTrue();
    assertThat(AdminTasks.loopback(SocketAddress.inetSocketAddress(1, "127.1.2.3"))).isTrue();
    assertThat(AdminTasks.loopback(SocketAddress.inetSocketAddress(1, "::1"))).isTrue();
    assertThat(AdminTasks.loopback(SocketAddress.inetSocketAddress(1, "10.0.0.1"))).isFalse();
    assertThat(AdminTasks.loopback(SocketAddress.domainSocketAddress("/tmp/gateway.sock"))).isFalse();
    assertThat(AdminTasks.loopback(null)).isFalse();
  }

  private static Optional<String> ownNonLoopbackAddress() throws Exception {
    for (NetworkInterface ni : Collections.list(NetworkInterface.getNetworkInterfaces())) {
      if (!ni.isUp() || ni.isLoopback()) {
        continue;
      }
      for (InetAddress a : Collections.list(ni.getInetAddresses())) {
        if (a instanceof Inet4Address && !a.isLoopbackAddress() && !a.isLinkLocalAddress()) {
          return Optional.of(a.getHostAddress());
        }
      }
    }
    return Optional.empty();
  }
}
