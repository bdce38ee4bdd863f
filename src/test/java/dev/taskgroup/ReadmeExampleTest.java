package dev.taskgroup;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.time.Duration;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/** The README's example compiles, runs, and stays word for word what the README shows. */
class ReadmeExampleTest extends VertxTest {

  private Future<JsonObject> fetch(TaskScope scope, String path) {
    return scope.sleep(Duration.ofMillis(5)).map(v -> new JsonObject().put("path", path));
  }

  private Future<List<JsonObject>> example() {
    // readme-example-start
    TaskFn<JsonObject> profile = scope -> fetch(scope, "/profile/42");
    TaskFn<JsonObject> orders = scope -> fetch(scope, "/orders/42");
    Future<List<JsonObject>> page = TaskGroup.all(vertx, List.of(
        profile.withTimeout(Duration.ofMillis(300)),   // a timeout cancels the call itself
        orders.withTimeout(Duration.ofMillis(500))));  // a failure cancels the other call
    // readme-example-end
    return page;
  }

  private final List<Integer> ids = IntStream.range(0, 1000).boxed().collect(Collectors.toList());
  private final Set<Integer> uploaded = ConcurrentHashMap.newKeySet();

  private Future<Void> upload(TaskScope scope, int id) {
    return scope.sleep(Duration.ofMillis(1)).onSuccess(v -> uploaded.add(id));
  }

  private Future<Void> forEach() {
    // readme-foreach-start
    Iterator<TaskFn<Void>> uploads = ids.stream()        // a cursor, a file of ids: read as slots free up
        .map(id -> (TaskFn<Void>) scope -> upload(scope, id))
        .iterator();
    Future<Void> done = TaskGroup.forEach(vertx, new TaskGroupOptions().setMaxConcurrency(100), uploads);
    // readme-foreach-end
    return done;
  }

  @Test
  void readmeForEachExampleRunsEveryTask() {
    await(forEach());
    assertThat(uploaded).hasSize(1000);
  }

  @Test
  void readmeShowsExactlyTheForEachExampleThisTestCompiles() throws IOException {
    ReadmeBlocks.assertReadmeShows("src/test/java/dev/taskgroup/ReadmeExampleTest.java", "foreach", "readme-foreach-example:");
  }

  @Test
  void readmeExampleRunsAndReturnsBothResultsInOrder() {
    assertThat(await(example())).extracting(json -> json.getString("path")).containsExactly("/profile/42", "/orders/42");
  }

  @Test
  void readmeShowsExactlyTheExampleThisTestCompiles() throws IOException {
    ReadmeBlocks.assertReadmeShows("src/test/java/dev/taskgroup/ReadmeExampleTest.java", "example", "readme-example:");
  }

}
