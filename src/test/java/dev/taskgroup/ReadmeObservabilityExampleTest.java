package dev.taskgroup;

import static org.assertj.core.api.Assertions.assertThat;

import dev.taskgroup.micrometer.TaskGroupMetrics;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Logger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The README's "Seeing what runs" examples compile, run, and stay word for word what the README shows. */
class ReadmeObservabilityExampleTest extends VertxTest {
  private static final Logger log = Logger.getLogger("readme");
  private final List<JsonObject> served = new CopyOnWriteArrayList<>();
  private TaskGroupMetrics metrics;

  @org.junit.jupiter.api.BeforeEach
  void quietAndWarm() {
    log.setLevel(java.util.logging.Level.WARNING); // the example logs at INFO: kept out of the test's output
    new TaskTree(java.time.Instant.now(), List.of()).toJson().encode(); // Jackson's first use, off the event loop
  }

  @AfterEach
  void switchOff() {
    if (metrics != null) {
      metrics.close();
    }
    Observability.trackTaskAges(false);
  }

  private Future<TaskTree> snapshot() {
    Promise<TaskTree> seen = Promise.promise();
    // readme-snapshot-start
    TaskTree.snapshot(vertx).onSuccess(tree -> {
      log.info(tree.toText());          // the indented dump shown below
      JsonObject json = tree.toJson();  // the same tree, for an admin endpoint
      served.add(json);
      seen.complete(tree);
    });
    // readme-snapshot-end
    return seen.future();
  }

  private void bind(MeterRegistry registry) {
    // readme-metrics-start
    TaskGroupMetrics metrics = new TaskGroupMetrics(vertx, 100);  // at most 100 group names as tags
    metrics.bindTo(registry);                                     // any Micrometer MeterRegistry
    Observability.trackTaskAges(true);                            // tasks get an age in snapshots
    // readme-metrics-end
    this.metrics = metrics;
  }

  @Test
  void theSnapshotExampleListsAnOpenGroup() throws IOException {
    Promise<Void> release = Promise.promise();
    await(call(vertx.getOrCreateContext(), () -> TaskGroup.run(vertx, new TaskGroupOptions().setName("shown"), g -> {
      g.spawn("waiting", untilCancelled());
      return release.future();
    })));
    TaskTree tree = await(snapshot());
    assertThat(tree.toText()).contains("group 'shown' OPEN");
    assertThat(served).singleElement().satisfies(j -> assertThat(j.encode()).contains("\"name\":\"waiting\""));
    vertx.getOrCreateContext().runOnContext(v -> release.complete());
    ReadmeBlocks.assertReadmeShows("src/test/java/dev/taskgroup/ReadmeObservabilityExampleTest.java", "snapshot", "<!-- readme-snapshot -->");
  }

  @Test
  void theMetricsExampleCountsTasksByGroup() throws IOException {
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    bind(registry);
    await(TaskGroup.run(vertx, new TaskGroupOptions().setName("counted"), g -> g.spawn(later("x")).future()));
    assertThat(registry.get("taskgroup.tasks.started").tag("group", "counted").counter().count()).isEqualTo(1);
    assertThat(Observability.tracksTaskAges()).isTrue();
    ReadmeBlocks.assertReadmeShows("src/test/java/dev/taskgroup/ReadmeObservabilityExampleTest.java", "metrics", "<!-- readme-metrics -->");
  }
}
