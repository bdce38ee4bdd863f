package dev.taskgroup.usage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.taskgroup.ReadmeBlocks;
import dev.taskgroup.Task;
import dev.taskgroup.TaskFn;
import dev.taskgroup.TaskGroup;
import dev.taskgroup.TaskGroupException;
import dev.taskgroup.TaskGroupOptions;
import dev.taskgroup.TaskTimeoutException;
import dev.taskgroup.TestClock;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.junit5.VertxExtension;
import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The public test clock, used exactly as a user's test would: from outside the library's package,
 * with vertx-junit5 and public API only. The first test is the README's example, word for word.
 */
@ExtendWith(VertxExtension.class)
class TestClockExampleTest {

  @Test
  void aTimeoutFiresWhenTheTestAdvancesTheClockWithoutWaiting(Vertx vertx) throws Exception {
    // readme-test-clock-start
    TestClock clock = new TestClock();
    TaskFn<String> slowService = scope -> scope.sleep(Duration.ofSeconds(10)).map("fresh");
    Future<String> reply = TaskGroup.run(vertx, new TaskGroupOptions().setClock(clock), group -> {
      Task<String> call = group.spawn(slowService.withTimeout(Duration.ofSeconds(2), "cached"));
      clock.advance(Duration.ofSeconds(2)); // on the group's context: the timeout fires now
      return call.future();
    });
    assertThat(reply.await(5, TimeUnit.SECONDS)).isEqualTo("cached");
    // readme-test-clock-end
    assertThat(clock.now()).isEqualTo(Duration.ofSeconds(2));
    assertThat(clock.pendingTimers()).isZero();
  }

  @Test
  void aGroupDeadlineAndTheRemainingTimeFollowTheClock(Vertx vertx) {
    TestClock clock = new TestClock();
    TaskGroupOptions options = new TaskGroupOptions().setName("page").setTimeout(Duration.ofSeconds(30)).setClock(clock);
    Future<Duration> run = TaskGroup.run(vertx, options, group -> {
      group.spawn(scope -> scope.sleep(Duration.ofMinutes(1)));
      clock.advance(Duration.ofSeconds(10));
      Duration left = group.remaining().orElseThrow();
      clock.advance(Duration.ofSeconds(20));
      return Future.succeededFuture(left);
    });
    assertThatThrownBy(() -> run.await(5, TimeUnit.SECONDS)).isInstanceOf(TaskGroupException.class)
        .cause().isInstanceOf(TaskTimeoutException.class).hasMessage("task group 'page' timed out after 30000 ms");
  }

  @Test
  void nestedGroupsRunOnTheirParentsClock(Vertx vertx) throws Exception {
    TestClock clock = new TestClock();
    Future<String> run = TaskGroup.run(vertx, new TaskGroupOptions().setClock(clock), group -> {
      Future<String> nested = group.spawn(scope -> TaskGroup.run(scope, inner ->
          inner.sleep(Duration.ofHours(1)).map("an hour later"))).future();
      clock.advance(Duration.ofHours(1));
      return nested;
    });
    assertThat(run.await(5, TimeUnit.SECONDS)).isEqualTo("an hour later");
  }

  @Test
  void advancingFromAnotherThreadWhileATimerIsDueIsRefused(Vertx vertx) throws Exception {
    TestClock clock = new TestClock();
    Promise<Void> sleeping = Promise.promise();
    Future<Void> run = TaskGroup.run(vertx, new TaskGroupOptions().setClock(clock), group -> {
      Future<Void> sleep = group.sleep(Duration.ofSeconds(1));
      sleeping.complete();
      return sleep;
    });
    sleeping.future().await(5, TimeUnit.SECONDS);
    assertThatThrownBy(() -> clock.advance(Duration.ofSeconds(1))).isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("call advance on the context of the groups it drives");
    assertThat(clock.now()).as("the clock stopped before the timer it could not fire").isZero();
    run.onComplete(ar -> {}); // the group stays open; the Vert.x instance closes it with the test
  }

  @Test
  void readmeShowsExactlyThisExample() throws IOException {
    ReadmeBlocks.assertReadmeShows("src/test/java/dev/taskgroup/usage/TestClockExampleTest.java", "test-clock",
        "readme-example: kept identical to src/test/java/dev/taskgroup/usage/TestClockExampleTest.java");
  }

}
