package dev.taskgroup.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.taskgroup.CancelReason;
import dev.taskgroup.TaskCancelledException;
import dev.taskgroup.TaskGroup;
import dev.taskgroup.TaskScope;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.junit5.VertxExtension;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Issue 11, item 5: one message per broken rule; "the scope has finished" is worded in one place. */
@ExtendWith(VertxExtension.class)
class ScopeClosedWordingTest {

  @Test
  void theHelpersRefuseAFinishedScopeWithTheCoresOwnWording(Vertx vertx) throws Exception {
    AtomicReference<TaskScope> done = new AtomicReference<>();
    TaskGroup.run(vertx, g -> g.spawn("done", s -> {
      done.set(s);
      return Future.succeededFuture();
    }).future()).await(10, TimeUnit.SECONDS);
    TaskScope scope = done.get();
    Future<TaskCancelledException[]> both = Future.future(p -> scope.context().runOnContext(v -> {
      TaskCancelledException helper = Scopes.refusal(scope);
      scope.sleep(Duration.ofMillis(1)).onComplete(ar ->
          p.complete(new TaskCancelledException[] {helper, (TaskCancelledException) ar.cause()}));
    }));
    TaskCancelledException[] refused = both.await(10, TimeUnit.SECONDS);
    assertThat(refused[0]).hasMessage("'done' has finished").hasMessage(refused[1].getMessage());
    assertThat(refused[0].reason()).isEqualTo(CancelReason.SCOPE_CLOSED);
  }
}
