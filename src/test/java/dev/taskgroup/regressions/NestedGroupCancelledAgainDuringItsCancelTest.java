package dev.taskgroup.regressions;

import static org.assertj.core.api.Assertions.assertThat;

import dev.taskgroup.Task;
import dev.taskgroup.TaskGroup;
import dev.taskgroup.VertxTest;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * Bug (found in review): a second cancel() of a group arriving while its first was still running
 * (a task hook cancelling the enclosing task) cleared the guard that holds completion back, so the
 * group completed mid-cancel and dropped its own hooks unrun.
 */
class NestedGroupCancelledAgainDuringItsCancelTest extends VertxTest {

  @Test
  void theNestedGroupsOwnHookStillRuns() throws Exception {
    AtomicBoolean bodyHookRan = new AtomicBoolean();
    AtomicReference<Task<Object>> outer = new AtomicReference<>();
    Future<Object> group = TaskGroup.run(vertx, pg -> {
      outer.set(pg.spawn("outer", ts -> TaskGroup.run(ts, n -> {
        n.onCancel(c -> bodyHookRan.set(true));
        n.spawn("a", s -> {
          Promise<Object> p = Promise.promise();
          s.onCancel(c -> {
            outer.get().cancel();
            p.tryFail(c);
          });
          return p.future();
        });
        n.spawn("b", s -> {
          Promise<Object> p = Promise.promise();
          s.onCancel(p::tryFail);
          return p.future();
        });
        n.spawn("c", s -> s.sleep(Duration.ofMillis(10)).compose(v -> Future.failedFuture(new RuntimeException("boom"))));
        return Future.succeededFuture();
      })));
      return Future.succeededFuture();
    });
    completion(group);
    assertThat(bodyHookRan).isTrue();
  }
}
