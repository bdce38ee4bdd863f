package dev.taskgroup.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.taskgroup.TaskFn;
import dev.taskgroup.TaskGroup;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The README's "Cancellable HTTP calls" example, run as written against the loopback upstream. */
@ExtendWith(VertxExtension.class)
class ReadmeHttpExampleTest {

  @Test
  void readmeExampleRunsAsWritten(Vertx vertx, VertxTestContext ctx) {
    // warm the JVM's HTTP classes first: the example's 300 ms are for the call, not class loading
    Upstream.start(vertx).compose(u -> vertx.createHttpClient()
            .request(new RequestOptions().setPort(u.port()).setHost("127.0.0.1").setURI("/fast?id=warm-up"))
            .compose(req -> req.send()).compose(resp -> resp.body()).map(b -> u))
        .onComplete(ctx.succeeding(upstream -> runExample(vertx, ctx, "http://127.0.0.1:" + upstream.port() + "/users")));
  }

  private static void runExample(Vertx vertx, VertxTestContext ctx, String usersUrl) {
    TaskFn<JsonObject> orders = scope -> Future.succeededFuture(new JsonObject().put("orders", 0));

    ScopedHttpClient http = ScopedHttpClient.wrap(vertx.createHttpClient());
    TaskFn<JsonObject> user = scope -> http
        .send(scope, new RequestOptions().setAbsoluteURI(usersUrl + "/42"))
        .map(ScopedResponse::bodyAsJsonObject);                 // any status is a response
    Future<List<JsonObject>> both = TaskGroup.all(vertx, List.of(
        user.withTimeout(Duration.ofMillis(300)), orders));     // either failing resets the other's call

    both.onComplete(ctx.succeeding(results -> ctx.verify(() -> {
      assertThat(results).hasSize(2);
      assertThat(results.get(0).getString("user")).isEqualTo("42");
      assertThat(results.get(1).getInteger("orders")).isZero();
      ctx.completeNow();
    })));
  }
}
