package dev.taskgroup;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Vertx;
import io.vertx.junit5.VertxExtension;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Every Vert.x the suite creates is health-checked: a short maximum event-loop execute time and a
 * blocked-thread listener that fails the test. These tests keep it that way.
 */
class VertxHealthTest {

  @Test
  void blockingAnEventLoopIsReportedByTheListener() throws Exception {
    CompletableFuture<String> firstEvent = new CompletableFuture<>();
    List<String> events = new CopyOnWriteArrayList<>() {
      @Override
      public boolean add(String event) {
        firstEvent.complete(event);
        return super.add(event);
      }
    };
    Vertx vertx = VertxTest.healthyVertx(events);
    try {
      vertx.getOrCreateContext().runOnContext(v -> {
        // busy until the listener reports it (the limit scales with the machine's load), at most 10 s
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!firstEvent.isDone() && System.nanoTime() < until) {
          Thread.onSpinWait(); // busy, as a blocking call would be
        }
      });
      assertThat(firstEvent.get(15, TimeUnit.SECONDS)).as("the first blocked-thread event").contains("vert.x-eventloop-thread");
    } finally {
      vertx.close().await(10, TimeUnit.SECONDS);
    }
  }

  @Test
  void aCollectorPauseIsCountedInTheWindowItFallsIn() {
    long[][] live = new long[64][];
    for (int i = 0; i < live.length; i++) {
      live[i] = new long[128 * 1024]; // 64 MiB the full collection below must move
    }
    long before = GcPauses.pausedInTheLast(60_000);
    System.gc(); // a stop-the-world full collection (the suite runs without ExplicitGCInvokesConcurrent)
    assertThat(GcPauses.pausedInTheLast(60_000)).isGreaterThan(before);
    assertThat(live[live.length - 1]).hasSize(128 * 1024); // kept alive until after the collection
  }

  @Test
  @ExtendWith(VertxExtension.class)
  void theVertxThatVertxExtensionInjectsIsHealthChecked(Vertx vertx) {
    assertThat(HealthyVertxProvider.isHealthChecked(vertx)).isTrue();
  }

  @Test
  void noTestCreatesAVertxAnyOtherWay() throws IOException {
    List<String> offenders;
    try (Stream<Path> files = Files.walk(Path.of("src/test/java"))) {
      offenders = files.filter(p -> p.toString().endsWith(".java"))
          .filter(p -> !p.endsWith(Path.of("dev/taskgroup/VertxTest.java")) && !p.endsWith(Path.of("dev/taskgroup/VertxHealthTest.java")))
          // the soak is a program, not a test: it counts blocked-thread events itself and reports them
          .filter(p -> !p.startsWith(Path.of("src/test/java/dev/taskgroup/soak")))
          .filter(p -> {
            try {
              String s = Files.readString(p);
              return s.contains("Vertx.vertx(") || s.contains("Vertx.builder(") || s.contains("Vertx.clusteredVertx(");
            } catch (IOException e) {
              throw new java.io.UncheckedIOException(e);
            }
          })
          .map(Path::toString).toList();
    }
    assertThat(offenders).as("tests that create a Vert.x without VertxTest.healthyVertx").isEmpty();
  }
}
