package dev.taskgroup.mutiny;

import static dev.taskgroup.mutiny.Unis.subscribed;
import static org.assertj.core.api.Assertions.assertThat;

import dev.taskgroup.ReadmeBlocks;
import dev.taskgroup.TaskFn;
import dev.taskgroup.TaskScope;
import dev.taskgroup.VertxTest;
import dev.taskgroup.http.ScopedHttpClient;
import dev.taskgroup.http.ScopedResponse;
import io.smallrye.mutiny.Uni;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The README's "With Mutiny" example, run as written against a loopback server. */
class ReadmeMutinyExampleTest extends MutinyTest {
  private static final String SOURCE = "src/test/java/dev/taskgroup/mutiny/ReadmeMutinyExampleTest.java";

  private ScopedHttpClient http;
  private int port;

  @BeforeEach
  void startServer() {
    HttpServer server = await(vertx.createHttpServer()
        .requestHandler(req -> req.response().putHeader("content-type", "application/json")
            .end(new JsonObject().put("path", req.path()).encode()))
        .listen(0, "127.0.0.1"));
    port = server.actualPort();
    http = ScopedHttpClient.wrap(vertx.createHttpClient());
    // warm the JVM's HTTP classes first: the example's 300 ms are for the call, not class loading
    await(http.client().request(get("/warm-up")).compose(r -> r.send()).compose(r -> r.body()));
  }

  private RequestOptions get(String path) {
    return new RequestOptions().setHost("127.0.0.1").setPort(port).setURI(path);
  }

  // readme-mutiny-fetch-start
  Uni<JsonObject> fetch(TaskScope scope, String path) {  // a call bound to the scope: reset when it is cancelled
    return Uni.createFrom().completionStage(() -> http.send(scope, get(path)).toCompletionStage())
        .map(ScopedResponse::bodyAsJsonObject);
  }
  // readme-mutiny-fetch-end

  private Uni<List<JsonObject>> example() {
    // readme-mutiny-start
    TaskFn<JsonObject> profile = UniTaskGroup.task(scope -> fetch(scope, "/profile/42"));
    TaskFn<JsonObject> orders = UniTaskGroup.task(scope -> fetch(scope, "/orders/42"));
    Uni<List<JsonObject>> page = UniTaskGroup.all(vertx, List.of(
            profile.withTimeout(Duration.ofMillis(300)), orders))  // nothing runs before a subscription
        .ifNoItem().after(Duration.ofSeconds(2)).fail();          // cancelling it cancels the group: both calls reset
    // readme-mutiny-end
    return page;
  }

  @Test
  void theReadmeShowsTheExampleAsCompiledHere() throws Exception {
    ReadmeBlocks.assertReadmeShows(SOURCE, "mutiny-fetch", "<!-- readme-mutiny-fetch:");
    ReadmeBlocks.assertReadmeShows(SOURCE, "mutiny", "<!-- readme-mutiny-example:");
  }

  @Test
  void theExampleRunsAsWritten() {
    List<JsonObject> page = await(subscribed(example()));
    assertThat(page).extracting(j -> j.getString("path")).containsExactly("/profile/42", "/orders/42");
  }
}
