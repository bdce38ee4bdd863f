package dev.taskgroup.mutiny;

import dev.taskgroup.VertxTest;
import io.smallrye.mutiny.Uni;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.BeforeAll;

/**
 * Base of the Mutiny tests: a health-checked Vert.x per test ({@link VertxTest}), and, once per
 * class, the classes of the Mutiny operators the tests use loaded on the test thread. Loading them
 * first on an event loop took over 400 ms on a loaded 2-core machine, which the health check
 * reports as a blocked loop; here it costs the test thread only.
 */
abstract class MutinyTest extends VertxTest {
  @BeforeAll
  static void warmMutinyAndNetty() {
    Unis.warmNettyBuffers();
    Uni<Integer> one = Uni.createFrom().emitter(em -> em.complete(1));
    Uni.join().all(List.of(one, Uni.createFrom().item(2))).andFailFast()
        .chain(l -> Uni.createFrom().completionStage(() -> CompletableFuture.completedFuture(l.size())))
        .onItem().delayIt().by(Duration.ofMillis(1))
        .ifNoItem().after(Duration.ofSeconds(5)).fail()
        .onFailure().recoverWithItem(0)
        .onCancellation().invoke(() -> { })
        .memoize().indefinitely()
        .await().atMost(Duration.ofSeconds(10));
    Uni.combine().all().unis(one, one).asTuple().await().atMost(Duration.ofSeconds(10));
  }
}
