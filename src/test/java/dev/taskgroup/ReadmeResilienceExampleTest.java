package dev.taskgroup;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/** The README's "Resilience" examples compile, run, and stay word for word what the README shows. */
class ReadmeResilienceExampleTest extends VertxTest {
  private final RetryBudget budget = new RetryBudget(0.1, 10);
  private final List<String> fetched = new CopyOnWriteArrayList<>();

  private Future<JsonObject> fetch(TaskScope scope, String path) {
    fetched.add(path);
    return scope.sleep(Duration.ofMillis(5)).map(v -> new JsonObject().put("path", path));
  }

  private Future<JsonObject> retry() {
    // readme-retry-start
    TaskFn<JsonObject> quote = scope -> fetch(scope, "/quote");
    TaskFn<JsonObject> robust = quote
        .withTimeout(Duration.ofMillis(200))           // each attempt: 200 ms
        .retried(new RetryOptions().setMaxAttempts(3)  // backoff with full jitter
            .setBudget(budget))                        // retries: at most 10% more calls
        .withTimeout(Duration.ofMillis(600));          // all attempts and backoffs: 600 ms
    // readme-retry-end
    return TaskGroup.all(vertx, List.of(robust)).map(l -> l.get(0));
  }

  private Future<JsonObject> hedge() {
    // readme-hedge-start
    TaskFn<JsonObject> item = scope -> fetch(scope, "/item/7");
    TaskFn<JsonObject> fast = item.hedged(new HedgeOptions().setMaxAttempts(2)
        .setAdaptiveDelay(95, Duration.ofMillis(5), Duration.ofMillis(100)));  // a 2nd call past the p95
    // readme-hedge-end
    return TaskGroup.all(vertx, List.of(fast)).map(l -> l.get(0));
  }

  private Future<List<JsonObject>> quorum() {
    // readme-quorum-start
    Future<List<JsonObject>> two = TaskGroup.quorum(vertx, 2, List.<TaskFn<JsonObject>>of(
        scope -> fetch(scope, "/replica/a"),
        scope -> fetch(scope, "/replica/b"),
        scope -> fetch(scope, "/replica/c")));  // the first 2 answers; the third call is reset
    // readme-quorum-end
    return two;
  }

  private Future<JsonObject> shield() {
    // readme-shield-start
    TaskFn<JsonObject> update = scope -> fetch(scope, "/lock")
        .compose(lock -> fetch(scope, "/update"))
        .eventually(() -> TaskGroup.shield(scope, Duration.ofSeconds(1),  // runs even when cancelled
            s -> fetch(s, "/unlock")));
    // readme-shield-end
    return TaskGroup.all(vertx, List.of(update)).map(l -> l.get(0));
  }

  private Future<String> supervise() {
    List<String> failures = this.failures;
    // readme-supervise-start
    Future<String> server = TaskGroup.run(vertx, new TaskGroupOptions().setSupervisor(
        (task, error) -> failures.add(task.name())), group -> {        // a failure cancels no sibling
      group.spawn("flaky", scope -> fetch(scope, "/flaky").compose(j -> Future.failedFuture(new IOException("boom"))));
      Task<JsonObject> steady = group.spawn("steady", scope -> fetch(scope, "/steady"));
      return steady.future().map(j -> j.getString("path"));
    });
    // readme-supervise-end
    return server;
  }

  private Future<Integer> bounded() {
    // readme-bounded-start
    TaskGroupOptions bounded = new TaskGroupOptions().setMaxConcurrency(2).setMaxQueued(1);
    Future<Integer> accepted = TaskGroup.run(vertx, bounded, group -> {
      int n = 0;
      for (int i = 0; i < 5; i++) {
        if (group.trySpawn(scope -> fetch(scope, "/job")).isPresent()) {  // 2 run, 1 waits, 2 refused
          n++;
        }
      }
      return Future.succeededFuture(n);
    });
    // readme-bounded-end
    return accepted;
  }

  private Future<Integer> deadline() {
    // readme-deadline-start
    TaskFn<Integer> download = scope -> TaskGroup.withDeadline(scope, Duration.ofMillis(100), (s, deadline) ->
        fetch(s, "/chunk/1").compose(chunk -> {
          deadline.reset(Duration.ofMillis(100));  // progress: another 100 ms from now (an idle timeout)
          return fetch(s, "/chunk/2");
        }).map(chunk -> 2));
    // readme-deadline-end
    return TaskGroup.all(vertx, List.of(download)).map(l -> l.get(0));
  }

  private final List<String> failures = new CopyOnWriteArrayList<>();

  @Test
  void theSuperviseExampleKeepsTheSteadyTaskAndHandsOverTheFailure() {
    assertThat(await(supervise())).isEqualTo("/steady");
    assertThat(failures).containsExactly("flaky");
  }

  @Test
  void theBoundedExampleAcceptsTwoRunningAndOneQueued() {
    assertThat(await(bounded())).isEqualTo(3);
  }

  @Test
  void theDeadlineExampleDownloadsBothChunks() {
    assertThat(await(deadline())).isEqualTo(2);
    assertThat(fetched).containsExactly("/chunk/1", "/chunk/2");
  }

  @Test
  void theRetryExampleReturnsTheQuote() {
    assertThat(await(retry()).getString("path")).isEqualTo("/quote");
  }

  @Test
  void theHedgeExampleReturnsTheItem() {
    assertThat(await(hedge()).getString("path")).isEqualTo("/item/7");
  }

  @Test
  void theQuorumExampleReturnsTwoAnswers() {
    assertThat(await(quorum())).hasSize(2);
  }

  @Test
  void theShieldExampleUnlocksAfterTheUpdate() {
    assertThat(await(shield()).getString("path")).isEqualTo("/update");
    assertThat(fetched).containsExactly("/lock", "/update", "/unlock");
  }

  @ParameterizedTest
  @ValueSource(strings = {"retry", "hedge", "quorum", "shield", "supervise", "bounded", "deadline"})
  void readmeShowsExactlyTheExampleThisTestCompiles(String example) throws IOException {
    ReadmeBlocks.assertReadmeShows("src/test/java/dev/taskgroup/ReadmeResilienceExampleTest.java", example,
        "<!-- readme-" + example + "-example:");
  }

}
