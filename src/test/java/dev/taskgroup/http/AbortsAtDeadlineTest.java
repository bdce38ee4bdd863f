package dev.taskgroup.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.taskgroup.ScopedIo;
import dev.taskgroup.TaskFn;
import dev.taskgroup.TaskGroup;
import dev.taskgroup.TaskGroupOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Which scopes get Vert.x connect and idle timeouts derived from their deadline: only those the
 * library does not cancel at their deadline itself ({@link ScopedIo#abortsAtDeadline}).
 */
@ExtendWith(VertxExtension.class)
class AbortsAtDeadlineTest {

  @Test
  void theLibrarysOwnScopesAbortAtTheirDeadline(Vertx vertx, VertxTestContext ctx) {
    List<Boolean> seen = new ArrayList<>();
    TaskFn<Void> note = scope -> {
      seen.add(ScopedIo.abortsAtDeadline(scope));
      return Future.succeededFuture();
    };
    TaskGroup.run(vertx, new TaskGroupOptions().setTimeout(Duration.ofSeconds(5)), group -> {
      seen.add(ScopedIo.abortsAtDeadline(group));
      return Future.all(group.spawn("task", note).future(),
          group.spawn("timed", note.withTimeout(Duration.ofSeconds(1))).future(),
          group.spawn("nested", scope -> TaskGroup.run(scope, inner -> inner.spawn(note).future())).future());
    }).onComplete(ctx.succeeding(v -> ctx.verify(() -> {
      assertThat(seen).hasSize(4).containsOnly(true);
      ctx.completeNow();
    })));
  }

  @Test
  void aScopeOfAnotherImplementationDoesNot(Vertx vertx) {
    TestScopes.DeadlineOnly foreign = new TestScopes.DeadlineOnly(vertx, vertx.getOrCreateContext(), Duration.ofSeconds(1));
    assertThat(ScopedIo.abortsAtDeadline(foreign)).isFalse();
  }
}
