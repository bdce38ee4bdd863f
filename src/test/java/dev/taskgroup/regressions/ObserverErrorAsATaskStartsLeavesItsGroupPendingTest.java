package dev.taskgroup.regressions;

import static org.assertj.core.api.Assertions.assertThat;

import dev.taskgroup.Observability;
import dev.taskgroup.Registration;
import dev.taskgroup.TaskFn;
import dev.taskgroup.TaskGroup;
import dev.taskgroup.TaskGroupObserver;
import dev.taskgroup.TaskGroupOptions;
import dev.taskgroup.VertxTest;
import io.vertx.core.Future;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Bug (found in review of forEach): an observer whose {@code taskStarted} throws an Error (an
 * AssertionError in a test's observer) as the second task starts leaves the group pending for
 * ever. {@code GroupImpl.startTask} / {@code startPatternTask} count the task as running before the
 * observer is called; the Error skips the task's start (for startTask also its live-list link), so
 * {@code running} never goes back to 0. The first pulls of forEach (and all's spawn loop) run in
 * the group's body, where {@code runBody} takes the Error for the body's own failure instead of a
 * crash of the dispatch: the group aborts, but waits for a task that never runs.
 */
class ObserverErrorAsATaskStartsLeavesItsGroupPendingTest extends VertxTest {
  private Registration observer;

  @BeforeEach
  void anObserverThatThrowsAnErrorAsTheSecondTaskStarts() {
    AtomicInteger started = new AtomicInteger();
    observer = Observability.addObserver((v, name, nested) -> v != vertx || !name.equals("observed") ? null
        : new TaskGroupObserver.GroupObserver() {
          @Override
          public void taskStarted() {
            if (started.incrementAndGet() == 2) {
              throw new AssertionError("observer bug");
            }
          }
        });
  }

  @AfterEach
  void removeIt() {
    observer.remove();
  }

  private static List<TaskFn<Void>> sleepers() {
    List<TaskFn<Void>> fns = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      fns.add(scope -> scope.sleep(Duration.ofMillis(5)));
    }
    return fns;
  }

  private static TaskGroupOptions observed() {
    return new TaskGroupOptions().setName("observed").setMaxConcurrency(2);
  }

  private void assertCompletes(Future<?> f) {
    assertThat(completion(f, Duration.ofSeconds(3)).failed()).as("completed, failed with the observer's Error").isTrue();
  }

  @Test
  void forEachCompletesWhenAnObserverThrowsAnErrorAsATaskStarts() {
    assertCompletes(TaskGroup.forEach(vertx, observed(), sleepers().iterator()));
  }

  @Test
  void allCompletesWhenAnObserverThrowsAnErrorAsATaskStarts() {
    assertCompletes(TaskGroup.all(vertx, observed(), sleepers()));
  }

  @Test
  void runCompletesWhenAnObserverThrowsAnErrorAsASpawnedTaskStarts() {
    Function<TaskGroup, Future<Void>> body = group -> {
      sleepers().forEach(group::spawn); // the Error leaves spawn and the body
      return Future.succeededFuture();
    };
    assertCompletes(TaskGroup.run(vertx, observed(), body));
  }
}
