package dev.taskgroup.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The simulated upstreams: latency, failure rate, JSON bodies and the caller's deadline. */
@ExtendWith(VertxExtension.class)
class UpstreamSimulatorTest {
  private Vertx vertx;
  private HttpClient client;
  private Context clientContext;

  @BeforeEach
  void setUp(Vertx vertx) {
    this.vertx = vertx;
    this.client = vertx.createHttpClient();
    this.clientContext = vertx.getOrCreateContext();
  }

  private int simulate(long minMs, long maxMs, double failureRate) {
    JsonObject config = new JsonObject("""
        { "upstreams": { "recs": { "url": "http://127.0.0.1:9103/recs/{userId}" } },
          "routes": [ { "path": "/r/:userId", "calls": [ { "upstream": "recs", "required": false, "fallback": [] } ] } ],
          "simulator": { "enabled": true, "upstreams": { "recs": { "port": 0 } } } }
        """);
    config.getJsonObject("simulator").getJsonObject("upstreams").getJsonObject("recs")
        .put("latencyMs", new JsonObject().put("min", minMs).put("max", maxMs)).put("failureRate", failureRate);
    UpstreamSimulator simulator = new UpstreamSimulator(GatewayConfig.parse(config));
    Await.result(vertx.deployVerticle(simulator));
    return simulator.actualPorts().get("recs");
  }

  private record Answer(int status, String body, long tookMs) {}

  private Answer get(int port, String deadlineMs) {
    RequestOptions options = new RequestOptions().setMethod(HttpMethod.GET).setHost("127.0.0.1").setPort(port).setURI("/recs/42");
    if (deadlineMs != null) {
      options.putHeader("x-taskgroup-deadline-ms", deadlineMs);
    }
    long start = System.nanoTime();
    // Started on a Vert.x context, never from the test thread (see GatewayTest.sendAsync).
    Future<Answer> answer = Future.future(p -> clientContext.runOnContext(v -> client.request(options)
        .compose(req -> req.send())
        .compose(resp -> resp.body().map(b -> new Answer(resp.statusCode(), b.toString(),
            TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start))))
        .onComplete(p)));
    return Await.result(answer);
  }

  @Test
  void answersJsonAfterALatencyWithinTheConfiguredRange() {
    int port = simulate(50, 80, 0.0);

    Answer answer = get(port, null);

    assertThat(answer.status()).isEqualTo(200);
    assertThat(answer.tookMs()).isGreaterThanOrEqualTo(50L);
    assertThat(new io.vertx.core.json.JsonArray(answer.body())).isNotEmpty(); // recs falls back to []: it answers arrays
  }

  @Test
  void failsWith503AtItsFailureRate() {
    int port = simulate(0, 0, 1.0);

    Answer answer = get(port, null);

    assertThat(answer.status()).isEqualTo(503);
    assertThat(new JsonObject(answer.body()).getString("error")).isEqualTo("simulated_failure");
  }

  @Test
  void holdsARequestNoLongerThanTheCallersDeadline() {
    int port = simulate(5_000, 5_000, 0.0);

    Answer answer = get(port, "50");

    assertThat(answer.status()).isEqualTo(504);
    assertThat(answer.tookMs()).isBetween(50L, 1_000L);
  }
}
