package dev.taskgroup;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.ThreadingModel;
import io.vertx.core.VerticleBase;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledForJreRange;
import org.junit.jupiter.api.condition.JRE;

/** The README's blocking-style example compiles, runs on a virtual-thread verticle, and is what the README shows. */
class ReadmeVirtualThreadExampleTest extends VertxTest {

  private Future<JsonObject> fetch(TaskScope scope, String path) {
    return scope.sleep(Duration.ofMillis(5)).map(v -> new JsonObject().put("path", path));
  }

  /** Called on a virtual thread of a {@code VIRTUAL_THREAD} verticle. */
  private String example() {
    // readme-example-start
    String page = Future.await(TaskGroup.run(vertx, group -> {
      Task<JsonObject> user = group.spawn(scope -> {
        JsonObject u = Future.await(fetch(scope, "/users/42"));   // blocks this task's virtual thread only
        return Future.succeededFuture(u);
      });
      Task<JsonObject> orders = group.spawn(scope ->                // runs alongside, on a virtual thread of its own
          Future.succeededFuture(Future.await(fetch(scope, "/orders/42"))));
      return Future.succeededFuture(Future.await(user.future()).getString("path")   // a failure of either task
          + " " + Future.await(orders.future()).getString("path"));                  // cancels the other's fetch
    }));
    // readme-example-end
    return page;
  }

  @Test
  @EnabledForJreRange(min = JRE.JAVA_21, disabledReason = "Vert.x virtual-thread contexts need JDK 21+")
  void readmeExampleRunsOnAVirtualThreadVerticle() {
    Promise<String> page = Promise.promise();
    vertx.deployVerticle(new VerticleBase() {
      @Override
      public Future<?> start() {
        page.complete(example());
        return Future.succeededFuture();
      }
    }, new DeploymentOptions().setThreadingModel(ThreadingModel.VIRTUAL_THREAD)).onFailure(page::tryFail);
    assertThat(await(page.future())).isEqualTo("/users/42 /orders/42");
  }

  @Test
  void readmeShowsExactlyTheExampleThisTestCompiles() throws IOException {
    ReadmeBlocks.assertReadmeShows("src/test/java/dev/taskgroup/ReadmeVirtualThreadExampleTest.java", "example", "readme-vt-example:");
  }
}
