package dev.taskgroup.eventbus;

import static org.assertj.core.api.Assertions.assertThat;

import dev.taskgroup.ReadmeBlocks;
import dev.taskgroup.TaskFn;
import dev.taskgroup.TaskGroup;
import dev.taskgroup.VertxTest;
import io.vertx.core.Future;
import io.vertx.core.eventbus.Message;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The README's "Across the cluster" example, run as written (on a local bus: the API is the same). */
class ReadmeClusterExampleTest extends VertxTest {

  @Test
  void readmeShowsTheCodeThisTestRuns() throws Exception {
    ReadmeBlocks.assertReadmeShows("src/test/java/dev/taskgroup/eventbus/ReadmeClusterExampleTest.java",
        "cluster", "<!-- readme-example: cluster -->");
  }

  @Test
  void readmeExampleRunsAsWritten() {
    TaskFn<JsonObject> stock = scope -> Future.succeededFuture(new JsonObject().put("stock", 3));
    // readme-cluster-start
    Future<Service> served = ScopedEventBus.<JsonObject, JsonObject>serve(vertx, "prices",
        new ServeOptions().setMaxTimeout(Duration.ofSeconds(2)),    // never longer, whatever the caller says
        (scope, msg) -> scope.sleep(Duration.ofMillis(20))           // the real lookup, bound to its scope
            .map(v -> new JsonObject().put("sku", msg.body().getString("sku")).put("price", 42)));

    TaskFn<JsonObject> price = scope -> ScopedEventBus
        .<JsonObject>request(scope, vertx.eventBus(), "prices", new JsonObject().put("sku", "A-1"), null)
        .map(Message::body);                                          // the remaining time travels along
    Future<List<JsonObject>> quote = served.compose(s -> TaskGroup.all(vertx, List.of(
        price.withTimeout(Duration.ofMillis(500)), stock)));          // stock failing withdraws the request
    // readme-cluster-end
    List<JsonObject> results = await(quote);
    assertThat(results.get(0)).isEqualTo(new JsonObject().put("sku", "A-1").put("price", 42));
    assertThat(results.get(1).getInteger("stock")).isEqualTo(3);
  }
}
