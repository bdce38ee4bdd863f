package dev.taskgroup.regressions;

import static org.assertj.core.api.Assertions.assertThat;

import dev.taskgroup.Task;
import dev.taskgroup.TaskCancelledException;
import dev.taskgroup.TaskGroup;
import dev.taskgroup.TaskGroupException;
import dev.taskgroup.VertxTest;
import io.vertx.core.Future;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * Bug (found in review): a failing task completed its own future before the group recorded the
 * failure, so a body reacting to that future had its error recorded first: errors out of
 * completion order, and siblings cancelled as if the body had failed.
 */
class TaskErrorRecordedBeforeTheBodyErrorItCausedTest extends VertxTest {

  @Test
  void theTasksErrorComesFirstAndTheSiblingsCancellationNamesTheTask() throws Exception {
    RuntimeException taskError = new RuntimeException("task a failed");
    AtomicReference<TaskCancelledException> siblingSaw = new AtomicReference<>();
    Future<Object> group = TaskGroup.run(vertx, g -> {
      g.spawn("b", s -> s.sleep(Duration.ofSeconds(5)).onFailure(e -> siblingSaw.set(s.cancellation())));
      Task<Object> a = g.spawn("a", s -> s.sleep(Duration.ofMillis(10)).compose(v -> Future.failedFuture(taskError)));
      return a.future().recover(e -> Future.failedFuture(new IllegalStateException("body gave up: " + e.getMessage())));
    });
    Throwable error = awaitFailure(group);
    assertThat(((TaskGroupException) error).exceptions().get(0)).isSameAs(taskError);
    assertThat(siblingSaw.get()).hasMessageContaining("task 'a'");
  }
}
