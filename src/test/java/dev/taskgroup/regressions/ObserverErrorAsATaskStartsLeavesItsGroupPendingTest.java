package dev.taskgroup.regressions;

import static org.assertj.core.api.Assertions.assertThat;

import dev.taskgroup.Observability;
import dev.taskgroup.Registration;
import dev.taskgroup.Task;
import dev.taskgroup.TaskGroupException;
import dev.taskgroup.TaskFn;
import dev.taskgroup.TaskGroup;
import dev.taskgroup.TaskGroupObserver;
import dev.taskgroup.TaskGroupOptions;
import dev.taskgroup.VertxTest;
import io.vertx.core.AsyncResult;
import io.vertx.core.Future;
import io.vertx.core.Promise;
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
 * crash of the dispatch: the group aborts, but waits for a task that never runs. Fixed: an Error
 * from an observer crashes the group with it once the step that called the observer is over (the
 * start completes first; see dev.taskgroup.ObserverErrorTest for every other callback).
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
    AsyncResult<?> done = completion(f, Duration.ofSeconds(3));
    assertThat(done.failed()).as("completed, failed").isTrue();
    Throwable cause = done.cause();
    List<Throwable> errors = cause instanceof TaskGroupException ? ((TaskGroupException) cause).exceptions() : List.of(cause);
    assertThat(errors).as("the observer's Error is the group's failure, not lost")
        .anySatisfy(e -> assertThat(e).isInstanceOf(AssertionError.class).hasMessage("observer bug"));
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
      group.spawn(sleepers().get(0));
      group.spawn(sleepers().get(1)); // the observer's Error: the group crashes with it right after
      return Future.succeededFuture();
    };
    assertCompletes(TaskGroup.run(vertx, observed(), body));
  }

  @Test
  void theTaskWhoseStartTheObserverFailedStillSettlesAndTheGroupFailsWithTheError() {
    Promise<Task<Void>> second = Promise.promise(); // handed over once spawn returned it
    Future<Void> run = TaskGroup.run(vertx, observed(), group -> {
      group.spawn(scope -> scope.sleep(Duration.ofMillis(5)));
      second.complete(group.spawn(scope -> scope.sleep(Duration.ofMillis(5))));
      return Future.succeededFuture();
    });
    assertCompletes(run);
    Task<Void> handle = completion(second.future(), Duration.ofSeconds(3)).result();
    assertThat(completion(handle.future(), Duration.ofSeconds(3)).failed()).as("cancelled as the group crashed").isTrue();
  }
}
