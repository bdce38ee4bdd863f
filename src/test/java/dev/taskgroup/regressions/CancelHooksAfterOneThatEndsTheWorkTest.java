package dev.taskgroup.regressions;

import static org.assertj.core.api.Assertions.assertThat;

import dev.taskgroup.TaskFn;
import dev.taskgroup.TaskGroup;
import dev.taskgroup.VertxTest;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/**
 * Bug (found in review): a task's first cancel hook that failed its promise at once settled the
 * task inside the hook loop, and closing the settled scope dropped the hooks not yet run, so a
 * second hook (releasing a resource) never ran. Hooks registered with onCancel all run on cancel.
 */
class CancelHooksAfterOneThatEndsTheWorkTest extends VertxTest {

  private static TaskFn<String> twoHooks(AtomicBoolean secondRan) {
    return scope -> {
      Promise<String> p = Promise.promise();
      scope.onCancel(p::tryFail);
      scope.onCancel(c -> secondRan.set(true));
      return p.future();
    };
  }

  private static void settle(Future<?> f) throws Exception {
    completion(f);
  }

  @Test
  void everyHookOfATaskCancelledBecauseASiblingFailedRuns() throws Exception {
    AtomicBoolean secondRan = new AtomicBoolean();
    settle(TaskGroup.run(vertx, group -> {
      group.spawn(twoHooks(secondRan));
      group.spawn(scope -> Future.failedFuture(new RuntimeException("boom")));
      return Future.succeededFuture();
    }));
    assertThat(secondRan).isTrue();
  }

  @Test
  void everyHookOfWorkCancelledByAnInnerTimeoutRuns() throws Exception {
    AtomicBoolean secondRan = new AtomicBoolean();
    TaskFn<String> timed = twoHooks(secondRan).withTimeout(Duration.ofMillis(20)).withTimeout(Duration.ofSeconds(5));
    settle(TaskGroup.run(vertx, group -> group.spawn(timed).future()));
    assertThat(secondRan).isTrue();
  }
}
