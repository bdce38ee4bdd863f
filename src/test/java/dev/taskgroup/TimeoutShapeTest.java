package dev.taskgroup;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Future;
import java.time.Duration;
import java.util.List;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/**
 * Issue 11, item 5: one failure shape for timeouts. Whatever timed out (a task's timeout, the
 * group's deadline, a nested group's deadline) and however the group was run ({@code run},
 * {@code run(scope)}, a pattern with {@code setTimeout}), a group that fails with errors fails with
 * a {@link TaskGroupException}; a timeout is one of its errors, a {@link TaskTimeoutException}.
 */
class TimeoutShapeTest extends VertxTest {
  private static final Duration DEADLINE = Duration.ofSeconds(2);

  private final TestClock clock = new TestClock();

  /** A task that makes the clock pass {@code d} on its group's next turn, then waits to be cancelled. */
  private TaskFn<String> advancingBy(Duration d) {
    return s -> {
      s.context().runOnContext(v -> clock.advance(d));
      return s.sleep(Duration.ofDays(1)).map("never");
    };
  }

  private static void assertTimedOut(Throwable failure, String name) {
    assertThat(failure).isInstanceOf(TaskGroupException.class);
    TaskGroupException group = (TaskGroupException) failure;
    assertThat(group.exceptions()).singleElement().isInstanceOf(TaskTimeoutException.class)
        .satisfies(e -> assertThat(((TaskTimeoutException) e).name()).isEqualTo(name));
    assertThat(group.getCause()).isSameAs(group.exceptions().get(0));
  }

  @Test
  void aGroupDeadlineFailsTheGroupWithATaskGroupExceptionHoldingTheTimeout() {
    TaskGroupOptions options = new TaskGroupOptions().setName("dash").setTimeout(DEADLINE).setClock(clock);
    Throwable failure = awaitFailure(TaskGroup.run(vertx, options, g -> g.spawn(advancingBy(DEADLINE)).future()));
    assertTimedOut(failure, "dash");
  }

  @Test
  void aTaskTimeoutFailsTheGroupWithATaskGroupExceptionHoldingTheTimeout() {
    TaskGroupOptions options = new TaskGroupOptions().setClock(clock);
    Throwable failure = awaitFailure(TaskGroup.run(vertx, options,
        g -> g.spawn("slow", advancingBy(DEADLINE).withTimeout(DEADLINE)).future()));
    assertTimedOut(failure, "slow");
  }

  @Test
  void aNestedGroupsDeadlineFailsItWithATaskGroupExceptionKeptWholeInTheParents() {
    TaskGroupOptions options = new TaskGroupOptions().setName("outer").setClock(clock);
    Throwable failure = awaitFailure(TaskGroup.run(vertx, options, g -> g.spawn("opener", s ->
        TaskGroup.run(s, new TaskGroupOptions().setName("inner").setTimeout(DEADLINE), inner ->
            inner.spawn(advancingBy(DEADLINE)).future())).future()));
    assertThat(failure).isInstanceOf(TaskGroupException.class);
    assertTimedOut(((TaskGroupException) failure).exceptions().get(0), "inner");
  }

  @Test
  void everyPatternWithADeadlineFailsWithATaskGroupExceptionHoldingTheTimeout() {
    List<TaskFn<String>> tasks = List.of(advancingBy(DEADLINE));
    List<Function<TaskGroupOptions, Future<?>>> patterns = List.of(
        o -> TaskGroup.all(vertx, o.setName("all"), tasks),
        o -> TaskGroup.gather(vertx, o.setName("gather"), tasks),
        o -> TaskGroup.settle(vertx, o.setName("settle"), tasks),
        o -> TaskGroup.race(vertx, o.setName("race"), tasks));
    for (Function<TaskGroupOptions, Future<?>> pattern : patterns) {
      TaskGroupOptions options = new TaskGroupOptions().setTimeout(DEADLINE).setClock(clock);
      assertTimedOut(awaitFailure(pattern.apply(options)), options.getName());
    }
  }
}
