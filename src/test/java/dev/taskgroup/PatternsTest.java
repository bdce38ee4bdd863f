package dev.taskgroup;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vertx.core.Future;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/** all, gather, settle and race: thin compositions of a group. */
class PatternsTest extends VertxTest {

  @Nested
  class All {
    @Test
    void returnsResultsInInputOrderWhateverTheCompletionOrder() {
      List<String> results = await(TaskGroup.all(vertx, List.<TaskFn<String>>of(
          scope -> scope.sleep(Duration.ofMillis(30)).map("slow"),
          scope -> Future.succeededFuture("sync"),
          later("later"))));
      assertThat(results).containsExactly("slow", "sync", "later");
    }

    @Test
    void keepsNullResults() {
      assertThat(await(TaskGroup.all(vertx, List.<TaskFn<String>>of(scope -> Future.succeededFuture(null), later("x")))))
          .containsExactly(null, "x");
    }

    @Test
    void failsFastAndCancelsTheRest() {
      IOException boom = new IOException("boom");
      List<Throwable> siblings = new ArrayList<>();
      TaskFn<String> watched = scope -> {
        scope.onCancel(siblings::add);
        return VertxTest.<String>untilCancelled().run(scope);
      };
      Throwable error = awaitFailure(TaskGroup.all(vertx, List.of(watched, watched, failingLater(boom))));
      assertThat(((TaskGroupException) error).exceptions()).containsExactly(boom);
      assertThat(siblings).hasSize(2);
    }

    @Test
    void ofNoTasksIsAnEmptyList() {
      assertThat(await(TaskGroup.<String>all(vertx, List.of()))).isEmpty();
    }

    @Test
    void resultListIsUnmodifiable() {
      List<String> results = await(TaskGroup.all(vertx, List.<TaskFn<String>>of(later("a"))));
      assertThatThrownBy(() -> results.set(0, "b")).isInstanceOf(UnsupportedOperationException.class);
    }

    @Test
    void honoursTheOptionsDeadline() {
      Throwable error = awaitFailure(TaskGroup.all(vertx, new TaskGroupOptions().setTimeout(Duration.ofMillis(20)),
          List.of(VertxTest.<String>untilCancelled())));
      assertThat(error).isInstanceOf(TaskGroupException.class).cause().isInstanceOf(TaskTimeoutException.class);
    }
  }

  @Nested
  class Gather {
    @Test
    void returnsEveryOutcomeInInputOrderWithoutCancellingOnFailure() {
      IOException boom = new IOException("boom");
      List<Outcome<String>> outcomes = await(TaskGroup.gather(vertx, List.of(
          failingLater(boom),
          scope -> scope.sleep(Duration.ofMillis(20)).map("survived the failure"),
          later("fast"))));
      assertThat(outcomes).extracting(Outcome::succeeded).containsExactly(false, true, true);
      assertThat(outcomes.get(0).cause()).isSameAs(boom);
      assertThat(outcomes.get(0).failed()).isTrue();
      assertThat(outcomes.get(1).result()).isEqualTo("survived the failure");
      assertThat(outcomes.get(2).result()).isEqualTo("fast");
    }

    @Test
    void reportsATaskThatEndedWithACancellationAsCancelledNotFailed() {
      List<Outcome<String>> outcomes = await(TaskGroup.gather(vertx, List.of(
          scope -> Future.failedFuture(new java.util.concurrent.CancellationException("gave up")),
          later("x"))));
      assertThat(outcomes.get(0).cancelled()).isTrue();
      assertThat(outcomes.get(0).failed()).isFalse();
      assertThat(outcomes.get(1).result()).isEqualTo("x");
    }

    @Test
    void reportsATimedOutTaskAsFailedWithTheTimeout() {
      List<Outcome<String>> outcomes = await(TaskGroup.gather(vertx, List.of(
          VertxTest.<String>untilCancelled().withTimeout(Duration.ofMillis(5)), later("x"))));
      assertThat(outcomes.get(0).failed()).isTrue();
      assertThat(outcomes.get(0).cause()).isInstanceOf(TaskTimeoutException.class);
    }
  }

  @Nested
  class Settle {
    @Test
    void splitsSuccessesInInputOrderAndFailuresWithTheirIndexes() {
      IOException first = new IOException("first");
      IllegalStateException second = new IllegalStateException("second");
      Settled<String> settled = await(TaskGroup.settle(vertx, List.of(
          later("a"), failingLater(first), later("c"), failingLater(second))));
      assertThat(settled.successes()).containsExactly("a", "c");
      assertThat(settled.failures()).containsExactly(new Settled.Failure(1, first), new Settled.Failure(3, second));
      assertThat(settled.allSucceeded()).isFalse();
    }
  }

  @Nested
  class Race {
    @Test
    void returnsTheFirstSuccessAndCancelsTheLosersWithReasonRaceLost() {
      List<CancelReason> losers = new ArrayList<>();
      TaskFn<String> loser = scope -> {
        scope.onCancel(c -> losers.add(c.reason()));
        return VertxTest.<String>untilCancelled().run(scope);
      };
      String winner = await(TaskGroup.race(vertx, List.of(loser, later("winner"), loser)));
      assertThat(winner).isEqualTo("winner");
      assertThat(losers).containsExactly(CancelReason.RACE_LOST, CancelReason.RACE_LOST);
    }

    @Test
    void failuresDoNotEndTheRace() {
      String winner = await(TaskGroup.race(vertx, List.of(
          failingLater(new IOException("fast failure")),
          scope -> scope.sleep(Duration.ofMillis(20)).map("slow success"))));
      assertThat(winner).isEqualTo("slow success");
    }

    @Test
    void whereEveryTaskFailsReportsEveryError() {
      IOException a = new IOException("a");
      IOException b = new IOException("b");
      Throwable error = awaitFailure(TaskGroup.race(vertx, List.<TaskFn<String>>of(failingLater(a), failingLater(b))));
      assertThat(((TaskGroupException) error).exceptions()).containsExactlyInAnyOrder(a, b);
    }

    @Test
    void ofNoTasksFailsAtOnce() {
      Future<String> race = TaskGroup.race(vertx, List.of());
      assertThat(race.failed()).isTrue();
      assertThat(race.cause()).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("no winner");
    }
  }

  @Test
  void aNullTaskInTheListIsRejectedNamingItsIndexAndNothingRuns() {
    List<TaskFn<String>> tasks = Arrays.asList(later("a"), null);
    assertThatThrownBy(() -> TaskGroup.all(vertx, tasks)).isInstanceOf(NullPointerException.class).hasMessage("tasks[1] is null");
    assertThatThrownBy(() -> TaskGroup.gather(vertx, tasks)).hasMessage("tasks[1] is null");
    assertThatThrownBy(() -> TaskGroup.settle(vertx, tasks)).hasMessage("tasks[1] is null");
    assertThatThrownBy(() -> TaskGroup.race(vertx, tasks)).hasMessage("tasks[1] is null");
    assertThatThrownBy(() -> TaskGroup.all(vertx, null)).hasMessage("tasks");
  }
}
