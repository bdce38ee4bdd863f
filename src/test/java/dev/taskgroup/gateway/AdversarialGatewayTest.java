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
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Hostile inputs against a real gateway on loopback (port 0): framing tricks, limits at their
 * boundaries, caps that must be given back, request ids, HTTP/2. Each checks the answer and that
 * the gateway keeps serving.
 */
@ExtendWith(VertxExtension.class)
class AdversarialGatewayTest {
  private static final String ROUTE = "/api/dashboard/:userId";

  private Vertx vertx;
  private HttpClient client;
  private Context clientContext;
  private int port;
  private GatewayMain.Started started;

  @BeforeEach
  void setUp(Vertx vertx) {
    this.vertx = vertx;
    this.client = vertx.createHttpClient(new HttpClientOptions().setMaxHeaderSize(64 * 1024));
    this.clientContext = vertx.getOrCreateContext();
  }

  private void start(JsonObject http, TestUpstream profile, JsonObject profileConf, Integer deadlineMs) {
    JsonObject route = new JsonObject().put("path", ROUTE)
        .put("calls", new JsonArray().add(new JsonObject().put("upstream", profile.name).put("required", true)));
    if (deadlineMs != null) {
      route.put("deadlineMs", deadlineMs);
    }
    JsonObject config = new JsonObject()
        .put("http", http.copy().put("host", "127.0.0.1").put("port", 0))
        .put("upstreams", new JsonObject().put(profile.name, profileConf.copy().put("url", profile.url())))
        .put("routes", new JsonArray().add(route));
    started = Await.result(GatewayMain.start(vertx, GatewayConfig.parse(config)));
    port = started.gateway().actualPort();
  }

  private void start(TestUpstream profile) {
    start(new JsonObject(), profile, new JsonObject().put("timeoutMs", 1000), 2000);
  }

  private Future<Reply> sendAsync(HttpClient via, RequestOptions options, Buffer body) {
    return GatewayClient.send(clientContext, via, port, options, body);
  }

  private Reply get(String uri) {
    return Await.result(sendAsync(client, new RequestOptions().setURI(uri), null));
  }

  private Reply send(RequestOptions options) {
    return Await.result(sendAsync(client, options, null));
  }

  /** Writes {@code bytes} on a fresh connection; {@return every byte answered until the gateway closed it} */
  private String raw(String bytes) {
    NetSocket socket = Await.result(vertx.createNetClient().connect(port, "127.0.0.1"));
    StringBuffer text = new StringBuffer();
    CompletableFuture<Void> closed = new CompletableFuture<>();
    socket.handler(b -> text.append(b.toString()));
    socket.closeHandler(v -> closed.complete(null));
    socket.write(bytes);
    Await.result(closed);
    return text.toString();
  }

  private static int responses(String text) {
    return text.split("HTTP/1\\.1 ", -1).length - 1;
  }

  /** {@code head} then {@code body} then a pipelined GET /smuggled: one 400 answer, nothing after it. */
  private void assertRefusedWith400AndNothingSmuggled(String head, String body) {
    String text = raw(head + body + "GET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n");

    assertThat(text).startsWith("HTTP/1.1 400").contains("bad_request");
    assertThat(responses(text)).isEqualTo(1);
  }

  private void assertStillServing() {
    assertThat(get("/health/live").status()).isEqualTo(200);
  }

  @Nested
  class AmbiguousFraming {
    @BeforeEach
    void start() {
      AdversarialGatewayTest.this.start(TestUpstream.start(vertx, "profile"));
    }

    @Test
    void twoDifferentContentLengthsAnswer400AndTheSmuggledRequestIsNeverServed() {
      assertRefusedWith400AndNothingSmuggled("GET /health HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nContent-Length: 41\r\n\r\n", "");
      assertStillServing();
    }

    @Test
    void transferEncodingInCapitalsWithContentLengthAnswers400AndCloses() {
      assertRefusedWith400AndNothingSmuggled("GET /health HTTP/1.1\r\nHost: x\r\nCONTENT-LENGTH: 5\r\nTRANSFER-ENCODING: CHUNKED\r\n\r\n", "0\r\n\r\n");
    }

    @Test
    void twoTransferEncodingHeadersAnswer400AndClose() {
      assertRefusedWith400AndNothingSmuggled("GET /health HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: identity\r\n\r\n", "0\r\n\r\n");
    }

    @Test
    void aTransferEncodingOnAnHttp10RequestAnswers400AndCloses() {
      String text = raw("GET /health HTTP/1.0\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n0\r\n\r\n");

      assertThat(text).startsWith("HTTP/1.").contains(" 400 ");
      assertThat(responses(text) + text.split("HTTP/1\\.0 ", -1).length - 1).isEqualTo(1);
    }

    @Test
    void whitespaceBeforeTheColonOfAFramingHeaderAnswers400AndCloses() {
      assertRefusedWith400AndNothingSmuggled("GET /health HTTP/1.1\r\nHost: x\r\nTransfer-Encoding : chunked\r\nContent-Length: 5\r\n\r\n", "0\r\n\r\n");
    }

    @Test
    void aChunkedBodyOver64KiBIsRefusedAs400FramingBeforeItsSizeIsMeasured() {
      String chunk = Integer.toHexString(70 * 1024) + "\r\n" + "b".repeat(70 * 1024) + "\r\n";
      String text = raw("GET /health HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n" + chunk + "0\r\n\r\n");

      assertThat(text).startsWith("HTTP/1.1 400").contains("bad_request");
      assertStillServing();
    }

    @Test
    void aNonNumericContentLengthAnswers400AndCloses() {
      String text = raw("GET /health HTTP/1.1\r\nHost: x\r\nContent-Length: 5x\r\n\r\nhelloGET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n");

      assertThat(text).startsWith("HTTP/1.1 400");
      assertThat(responses(text)).isEqualTo(1);
      assertStillServing();
    }

    @Test
    void twoPipelinedPlainRequestsAreBothAnsweredInOrder() {
      NetSocket socket = Await.result(vertx.createNetClient().connect(port, "127.0.0.1"));
      StringBuffer text = new StringBuffer();
      CompletableFuture<Void> two = new CompletableFuture<>();
      socket.handler(b -> {
        text.append(b.toString());
        if (responses(text.toString()) == 2 && text.toString().endsWith("}")) {
          two.complete(null);
        }
      });
      socket.write("GET /health/live HTTP/1.1\r\nHost: x\r\n\r\nGET /nothing HTTP/1.1\r\nHost: x\r\n\r\n");
      Await.result(two);
      socket.close();

      assertThat(text.toString()).startsWith("HTTP/1.1 200");
      assertThat(text.toString().indexOf("HTTP/1.1 404")).isPositive();
    }
  }

  @Nested
  class LimitsAtTheirBoundaries {
    @BeforeEach
    void start() {
      AdversarialGatewayTest.this.start(new JsonObject().put("h2c", true), TestUpstream.start(vertx, "profile"),
          new JsonObject().put("timeoutMs", 1000), 2000);
    }

    /** {@return an unknown path (404) whose HTTP/1.1 request line "GET PATH HTTP/1.1" is {@code lineLength} long} */
    private String pathForLine(int lineLength) {
      String prefix = "/nothing/";
      return prefix + "x".repeat(lineLength - "GET ".length() - " HTTP/1.1".length() - prefix.length());
    }

    @Test
    void aRequestLineOfExactly8KiBIsServedAndOneByteMoreIs414() {
      assertThat(get(pathForLine(8 * 1024)).status()).isEqualTo(404);
      assertThat(get(pathForLine(8 * 1024 + 1)).status()).isEqualTo(414);
      assertStillServing();
    }

    @Test
    void overHttp2ThePathLimitFallsAtTheSameByteAsOverHttp1() {
      HttpClient h2 = vertx.createHttpClient(new HttpClientOptions().setProtocolVersion(HttpVersion.HTTP_2)
          .setHttp2ClearTextUpgrade(false).setMaxHeaderSize(64 * 1024));
      assertThat(Await.result(sendAsync(h2, new RequestOptions().setURI(pathForLine(8 * 1024)), null)).status()).isEqualTo(404);
      assertThat(Await.result(sendAsync(h2, new RequestOptions().setURI(pathForLine(8 * 1024 + 1)), null)).status()).isEqualTo(414);
      assertThat(Await.result(sendAsync(h2, new RequestOptions().setURI("/health/live"), null)).status()).isEqualTo(200);
    }

    /** {@return the x-padding length that makes the headers the Vert.x client sends (host and x-padding) exactly {@code bytes} long, as Netty counts them} */
    private int paddingForHeaders(int bytes) {
      return bytes - "x-padding: ".length() - ("host: 127.0.0.1:" + port).length();
    }

    @Test
    void headersOfExactly16KiBAreServedAndOneByteMoreIs431OverHttp1() {
      assertThat(send(new RequestOptions().setURI("/health/live").putHeader("x-padding", "p".repeat(paddingForHeaders(16 * 1024)))).status())
          .isEqualTo(200);
      assertThat(send(new RequestOptions().setURI("/health/live").putHeader("x-padding", "p".repeat(paddingForHeaders(16 * 1024 + 1)))).status())
          .isEqualTo(431);
    }

    @Test
    void overHttp2TheHeaderLimitFallsAtTheSameByteAsOverHttp1CountingTheAuthorityAsTheHostLine() {
      HttpClient h2 = vertx.createHttpClient(new HttpClientOptions().setProtocolVersion(HttpVersion.HTTP_2)
          .setHttp2ClearTextUpgrade(false).setMaxHeaderSize(64 * 1024));
      RequestOptions fits = new RequestOptions().setURI("/health/live").putHeader("x-padding", "p".repeat(paddingForHeaders(16 * 1024)));
      RequestOptions over = new RequestOptions().setURI("/health/live").putHeader("x-padding", "p".repeat(paddingForHeaders(16 * 1024 + 1)));
      assertThat(Await.result(sendAsync(h2, fits, null)).status()).isEqualTo(200);
      // Before the fix the :authority was not counted, so 21 bytes more passed than over HTTP/1.1.
      assertThat(Await.result(sendAsync(h2, over, null)).status()).isEqualTo(431);
    }

    @Test
    void aDeclaredBodyOfExactly64KiBIsServedAndOneByteMoreIs413() {
      RequestOptions get = new RequestOptions().setMethod(HttpMethod.GET).setURI("/api/dashboard/1");
      assertThat(Await.result(sendAsync(client, get, Buffer.buffer("b".repeat(64 * 1024)))).status()).isEqualTo(200);
      assertThat(Await.result(sendAsync(client, new RequestOptions(get), Buffer.buffer("b".repeat(64 * 1024 + 1)))).status()).isEqualTo(413);
      assertStillServing();
    }

    @Test
    void overHttp2ABodyPast64KiBWithoutContentLengthIs413AndTheConnectionServesOn() {
      HttpClient h2 = vertx.createHttpClient(new HttpClientOptions().setProtocolVersion(HttpVersion.HTTP_2)
          .setHttp2ClearTextUpgrade(false));
      Future<Reply> big = Future.future(reply -> clientContext.runOnContext(v -> h2.request(new RequestOptions()
              .setHost("127.0.0.1").setPort(port).setURI("/api/dashboard/1"))
          .compose(req -> {
            req.setChunked(true); // HTTP/2: no content-length sent
            req.write("b".repeat(40 * 1024));
            return req.end("b".repeat(40 * 1024)).compose(x -> req.response());
          })
          .compose(resp -> resp.body().map(b -> new Reply(resp.statusCode(), resp.headers(), b.toString())))
          .onComplete(reply)));
      assertThat(Await.result(big).status()).isEqualTo(413);
      assertThat(Await.result(sendAsync(h2, new RequestOptions().setURI("/health/live"), null)).status()).isEqualTo(200);
    }

    @Test
    void headOverHttp2OfAnUnknownPathAnswers404WithNoBody() {
      HttpClient h2 = vertx.createHttpClient(new HttpClientOptions().setProtocolVersion(HttpVersion.HTTP_2)
          .setHttp2ClearTextUpgrade(false));
      Reply head = Await.result(sendAsync(h2, new RequestOptions().setMethod(HttpMethod.HEAD).setURI("/nothing"), null));
      Reply live = Await.result(sendAsync(h2, new RequestOptions().setMethod(HttpMethod.HEAD).setURI("/health/live"), null));

      assertThat(head.status()).isEqualTo(404);
      assertThat(head.body()).isEmpty();
      assertThat(live.status()).isEqualTo(200);
      assertThat(live.body()).isEmpty();
    }
  }

  @Nested
  class UpstreamSizeAtItsBoundary {
    @Test
    void aDeclaredBodyOfExactlyMaxResponseBytesIsAccepted() {
      String body = "[" + "1,".repeat(500) + "1]"; // 1,003 bytes
      TestUpstream exact = TestUpstream.start(vertx, "profile").answers(200, body, 0);
      start(new JsonObject(), exact, new JsonObject().put("timeoutMs", 1000).put("maxResponseBytes", body.length()), 2000);
      assertThat(get("/api/dashboard/1").status()).isEqualTo(200);
    }

    @Test
    void aDeclaredBodyOneByteOverMaxResponseBytesIsTooLarge() {
      String body = "[" + "1,".repeat(500) + "1]";
      TestUpstream over = TestUpstream.start(vertx, "profile").answers(200, body, 0);
      start(new JsonObject(), over, new JsonObject().put("timeoutMs", 1000).put("maxResponseBytes", body.length() - 1), 2000);
      Reply reply = get("/api/dashboard/1");
      assertThat(reply.status()).isEqualTo(502);
      assertThat(reply.json().getJsonArray("failures").getJsonObject(0).getString("reason")).isEqualTo("too_large");
    }

    @Test
    void aStreamedBodyOfExactlyMaxResponseBytesIsAccepted() {
      TestUpstream streamed = TestUpstream.start(vertx, "profile").streams(1000, 3); // "[0" + 3 x 1000 + "]"
      start(new JsonObject(), streamed, new JsonObject().put("timeoutMs", 1000).put("maxResponseBytes", 3003), 2000);
      assertThat(get("/api/dashboard/1").status()).isEqualTo(200);
    }

    @Test
    void aStreamedBodyOneByteOverMaxResponseBytesIsTooLarge() {
      TestUpstream streamed = TestUpstream.start(vertx, "profile").streams(1000, 3);
      start(new JsonObject(), streamed, new JsonObject().put("timeoutMs", 1000).put("maxResponseBytes", 3002), 2000);
      Reply reply = get("/api/dashboard/1");
      assertThat(reply.status()).isEqualTo(502);
      assertThat(reply.json().getJsonArray("failures").getJsonObject(0).getString("reason")).isEqualTo("too_large");
    }
  }

  @Nested
  class CapsAreGivenBack {
    @Test
    void aConnectionCutByTheHeaderTimeoutGivesItsPlaceUnderTheCapBack() {
      start(new JsonObject().put("maxConnections", 1).put("instances", 1).put("headerTimeoutMs", 200),
          TestUpstream.start(vertx, "profile"), new JsonObject().put("timeoutMs", 1000), 2000);
      raw("GET /health HTTP/1.1\r\nHost: x\r\n"); // never finishes its headers: cut after 200 ms

      assertThat(Await.result(eventually("/health/ready", 200))).isNotNull();
    }

    @Test
    void aRefusedConnectionGivesItsPlaceBack() {
      start(new JsonObject().put("maxConnections", 1).put("instances", 1).put("headerTimeoutMs", 2000),
          TestUpstream.start(vertx, "profile"), new JsonObject().put("timeoutMs", 1000), 2000);
      NetSocket held = Await.result(vertx.createNetClient().connect(port, "127.0.0.1"));
      held.handler(b -> {});
      String refused = raw("GET /health HTTP/1.1\r\nHost: x\r\n\r\n");
      assertThat(refused).startsWith("HTTP/1.1 503").contains("too_many_connections");
      Await.result(held.close());

      assertThat(Await.result(eventually("/health/ready", 200))).isNotNull();
    }

    @RepeatedTest(3)
    void aClientThatDisconnectsGivesItsRequestInFlightBack() {
      TestUpstream profile = TestUpstream.start(vertx, "profile").firstHangs();
      start(new JsonObject().put("maxRequestsInFlight", 1), profile, new JsonObject(), 3000);
      NetSocket first = Await.result(vertx.createNetClient().connect(port, "127.0.0.1"));
      first.handler(b -> {});
      first.write("GET /api/dashboard/1 HTTP/1.1\r\nHost: x\r\n\r\n");
      Await.result(profile.arrived);
      assertThat(get("/api/dashboard/2").status()).isEqualTo(503);
      Await.result(first.close());
      Await.result(profile.aborted);

      assertThat(Await.result(eventually("/api/dashboard/3", 200)).json().getJsonObject("profile")).isNotNull();
    }

    @Test
    void refusedRequestsDoNotHoldARequestInFlight() {
      start(new JsonObject().put("maxRequestsInFlight", 1), TestUpstream.start(vertx, "profile"), new JsonObject(), 3000);
      assertThat(get("/api/dashboard/..").status()).isEqualTo(400);
      assertThat(send(new RequestOptions().setMethod(HttpMethod.DELETE).setURI("/api/dashboard/1")).status()).isEqualTo(405);
      assertThat(send(new RequestOptions().setMethod(HttpMethod.HEAD).setURI("/api/dashboard/1")).status()).isEqualTo(200);
      assertThat(get("/api/dashboard/" + "x".repeat(9 * 1024)).status()).isEqualTo(414);
      assertThat(get("/api/dashboard/1").status()).isEqualTo(200);
      assertThat(get("/health/ready").json().getString("status")).isEqualTo("up");
    }

    private Future<Reply> eventually(String uri, int status) {
      return GatewayClient.eventually(vertx, o -> sendAsync(client, o, null), uri, status, java.time.Duration.ofSeconds(4));
    }
  }

  @Nested
  class RequestIds {
    @BeforeEach
    void start() {
      AdversarialGatewayTest.this.start(TestUpstream.start(vertx, "profile"));
    }

    private String idAnswered(String id) {
      return send(new RequestOptions().setURI("/api/dashboard/1").putHeader("x-request-id", id)).headers().get("x-request-id");
    }

    @Test
    void anIdOf128VisibleCharactersIsKept() {
      String id = "a".repeat(127) + "~";
      assertThat(idAnswered(id)).isEqualTo(id);
    }

    @Test
    void anIdOf129CharactersOrWithASpaceOrATabIsReplaced() {
      assertThat(idAnswered("a".repeat(129))).isNotEqualTo("a".repeat(129)).isNotEmpty();
      assertThat(idAnswered("a b")).isNotEqualTo("a b").doesNotContain(" ");
      assertThat(idAnswered("a\tb")).isNotEqualTo("a\tb").doesNotContain("\t");
    }

    @Test
    void anIdWithNonAsciiBytesIsReplaced() {
      String text = raw("GET /health/live HTTP/1.1\r\nHost: x\r\nConnection: close\r\nx-request-id: caf\u00e9\r\n\r\n");
      assertThat(text).startsWith("HTTP/1.1 200").containsIgnoringCase("x-request-id: ").doesNotContain("caf\u00e9");
    }

    @Test
    void answers404And405StillCarryARequestId() {
      assertThat(get("/nothing").headers().get("x-request-id")).isNotEmpty();
      assertThat(send(new RequestOptions().setMethod(HttpMethod.POST).setURI("/api/dashboard/1")).headers().get("x-request-id"))
          .isNotEmpty();
    }
  }

  @Nested
  class OddButLegalRequests {
    @Test
    void malformedPercentEncodingsInAParameterAnswer400JsonAndReachNoUpstream() {
      TestUpstream profile = TestUpstream.start(vertx, "profile");
      start(profile);
      for (String bad : new String[] {"%zz", "%C3", "%", "a%2", "%C3%28", "%ED%A0%80"}) {
        Reply reply = get("/api/dashboard/" + bad);
        assertThat(reply.status()).as(bad).isEqualTo(400);
        assertThat(reply.json().getString("error")).as(bad).isEqualTo("bad_request");
      }
      assertThat(profile.requests).isEmpty();
      assertStillServing();
    }

    @Test
    void anEncodedSlashInAParameterReachesTheUpstreamAsOneSegment() {
      TestUpstream profile = TestUpstream.start(vertx, "profile");
      start(profile);
      assertThat(get("/api/dashboard/a%2Fb").status()).isEqualTo(200);
      assertThat(profile.requests.get(0).uri()).isEqualTo("/profile/a%2Fb");
    }

    @Test
    void anAbsoluteFormRequestTargetIsRoutedByItsPath() {
      start(TestUpstream.start(vertx, "profile"));
      String text = raw("GET http://127.0.0.1/health/live HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
      assertThat(text).startsWith("HTTP/1.1 200");
    }

    @Test
    void aRequestExpecting100ContinueIsSent100ContinueAtOnceInsteadOfA408AtItsBodyTimeout() {
      start(new JsonObject().put("bodyTimeoutMs", 3000), TestUpstream.start(vertx, "profile"),
          new JsonObject().put("timeoutMs", 1000), 2000);
      NetSocket socket = Await.result(vertx.createNetClient().connect(port, "127.0.0.1"));
      CompletableFuture<String> first = new CompletableFuture<>();
      socket.handler(b -> first.complete(b.toString()));
      long t0 = System.nanoTime();
      socket.write("GET /health/live HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n");
      String answer = Await.result(first);
      socket.close();
      assertThat(answer).startsWith("HTTP/1.1 100");
      assertThat((System.nanoTime() - t0) / 1_000_000).isLessThan(2_000);
    }

    @Test
    void aRequestExpecting100ContinueWhoseBodyIsDeclaredTooLongGets413WithoutAContinue() {
      start(TestUpstream.start(vertx, "profile"));
      String text = raw("GET /health/live HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 70000\r\n\r\n");
      assertThat(text).startsWith("HTTP/1.1 413").doesNotContain("100 Continue");
    }

    @Test
    void aRequestExpecting100ContinueIsServedOnceItsBodyFollowsTheContinue() {
      start(TestUpstream.start(vertx, "profile"));
      NetSocket socket = Await.result(vertx.createNetClient().connect(port, "127.0.0.1"));
      StringBuffer text = new StringBuffer();
      CompletableFuture<Void> closed = new CompletableFuture<>();
      socket.handler(b -> {
        text.append(b.toString());
        if (text.toString().startsWith("HTTP/1.1 100") && !text.toString().contains("hello-sent")) {
          text.append("hello-sent");
          socket.write("hello");
        }
      });
      socket.closeHandler(v -> closed.complete(null));
      socket.write("GET /health/live HTTP/1.1\r\nHost: x\r\nConnection: close\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n");
      Await.result(closed);
      assertThat(text.toString()).contains("HTTP/1.1 200");
    }

    @Test
    void aStreamResetByAnHttp2ClientAbortsItsUpstreamCall() {
      TestUpstream profile = TestUpstream.start(vertx, "profile").hangs();
      start(new JsonObject().put("h2c", true), profile, new JsonObject(), 5000);
      HttpClient h2 = vertx.createHttpClient(new HttpClientOptions().setProtocolVersion(HttpVersion.HTTP_2)
          .setHttp2ClearTextUpgrade(false));
      clientContext.runOnContext(v -> h2.request(new RequestOptions().setHost("127.0.0.1").setPort(port).setURI("/api/dashboard/1"))
          .onSuccess(req -> {
            req.end();
            profile.arrived.thenRun(() -> clientContext.runOnContext(x -> req.reset()));
          }));
      Await.result(profile.arrived);
      long t0 = System.nanoTime();
      long abortedAt = Await.result(profile.aborted);
      assertThat((abortedAt - t0) / 1_000_000).isLessThan(2_000);
      assertThat(Await.result(sendAsync(h2, new RequestOptions().setURI("/health/live"), null)).status()).isEqualTo(200);
    }
  }

  @Nested
  class Draining {
    @Test
    void aDrainWithOnlyIdleKeptAliveConnectionsEndsWithoutWaitingOutTheGrace() {
      start(new JsonObject().put("instances", 1), TestUpstream.start(vertx, "profile"), new JsonObject().put("timeoutMs", 1000), 2000);
      NetSocket idle = Await.result(vertx.createNetClient().connect(port, "127.0.0.1"));
      CompletableFuture<String> answered = new CompletableFuture<>();
      CompletableFuture<Void> closed = new CompletableFuture<>();
      idle.handler(b -> answered.complete(b.toString()));
      idle.closeHandler(v -> closed.complete(null));
      idle.write("GET /health/live HTTP/1.1\r\nHost: x\r\n\r\n"); // answered, then kept alive
      assertThat(Await.result(answered)).startsWith("HTTP/1.1 200");

      long t0 = System.nanoTime();
      Await.result(GatewayMain.drain(started, java.time.Duration.ofSeconds(4)));
      assertThat((System.nanoTime() - t0) / 1_000_000).as("ms the drain took").isLessThan(2_000);
      Await.result(closed);
    }

    @Test
    void aRequestOnAKeptAliveConnectionDuringTheDrainIsAnsweredAndTheConnectionThenCloses() {
      TestUpstream profile = TestUpstream.start(vertx, "profile").answers(200, "{}", 300);
      start(new JsonObject().put("instances", 1), profile, new JsonObject().put("timeoutMs", 2000), 3000);
      NetSocket socket = Await.result(vertx.createNetClient().connect(port, "127.0.0.1"));
      StringBuffer text = new StringBuffer();
      CompletableFuture<Void> closed = new CompletableFuture<>();
      socket.handler(b -> text.append(b.toString()));
      socket.closeHandler(v -> closed.complete(null));
      socket.write("GET /api/dashboard/1 HTTP/1.1\r\nHost: x\r\n\r\n");
      Await.result(profile.arrived);
      Future<Void> drained = GatewayMain.drain(started, java.time.Duration.ofSeconds(3));
      Await.result(closed);
      Await.result(drained);
      assertThat(text.toString()).startsWith("HTTP/1.1 200");
    }
  }

  @Nested
  class ConfiguredResilience {
    @Test
    void aRetriedUpstreamAnsweringA503ThenA200Answers200() {
      TestUpstream profile = TestUpstream.start(vertx, "profile").firstAnswers(503);
      start(new JsonObject(), profile, new JsonObject().put("timeoutMs", 1000)
          .put("retry", new JsonObject().put("maxAttempts", 2).put("initialDelayMs", 1).put("maxDelayMs", 1)), 2000);
      assertThat(get("/api/dashboard/1").status()).isEqualTo(200);
      assertThat(profile.requests).hasSize(2);
    }

    @Test
    void aHedgedAndRetriedUpstreamWhoseFirstCallHangsAnswersFromAnotherAttempt() {
      TestUpstream profile = TestUpstream.start(vertx, "profile").firstHangs();
      start(new JsonObject(), profile, new JsonObject().put("timeoutMs", 1000)
          .put("hedge", new JsonObject().put("maxAttempts", 2).put("delayMs", 50))
          .put("retry", new JsonObject().put("maxAttempts", 2).put("initialDelayMs", 1).put("maxDelayMs", 1)), 2000);
      assertThat(get("/api/dashboard/1").status()).isEqualTo(200);
      assertThat(Await.result(profile.aborted)).isPositive();
    }

    @Test
    void aRetryThatCannotFitBeforeTheRouteDeadlineAnswers502Or504InTime() {
      TestUpstream profile = TestUpstream.start(vertx, "profile").answers(503, "{}", 0);
      start(new JsonObject(), profile, new JsonObject().put("timeoutMs", 1000)
          .put("retry", new JsonObject().put("maxAttempts", 10).put("initialDelayMs", 200).put("maxDelayMs", 200)), 300);
      long t0 = System.nanoTime();
      Reply reply = get("/api/dashboard/1");
      assertThat(reply.status()).isIn(502, 504);
      assertThat((System.nanoTime() - t0) / 1_000_000).isLessThan(2_000);
      if (reply.status() == 502) {
        assertThat(reply.json().getJsonArray("failures").getJsonObject(0).getString("reason")).isEqualTo("status:503");
      }
    }
  }
}
