package dev.taskgroup;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.tuple;

import io.vertx.core.AsyncResult;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Timer;
import io.vertx.core.Vertx;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BiFunction;
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
    void failsWithATasksOwnCancellationInsteadOfSucceedingWithANull() {
      Throwable error = awaitFailure(TaskGroup.all(vertx, List.of(PatternsTest.<String>cancelledOnItsOwn(), later("b"))));
      assertThat(((TaskGroupException) error).exceptions()).singleElement()
          .isInstanceOf(CancellationException.class).isNotInstanceOf(TaskCancelledException.class);
    }

    @Test
    void aTasksOwnCancellationCancelsTheRestLikeAFailure() {
      List<CancelReason> siblings = new CopyOnWriteArrayList<>();
      TaskFn<String> watched = scope -> {
        scope.onCancel(c -> siblings.add(c.reason()));
        return VertxTest.<String>untilCancelled().run(scope);
      };
      awaitFailure(TaskGroup.all(vertx, List.of(watched, cancelledOnItsOwn())));
      assertThat(siblings).containsExactly(CancelReason.SIBLING_FAILED);
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
    void reportsATaskThatEndedWithACancellationAsAFailedOutcomeThatIsCancelled() {
      CancellationException gaveUp = new CancellationException("gave up");
      List<Outcome<String>> outcomes = await(TaskGroup.gather(vertx, List.of(
          scope -> Future.failedFuture(gaveUp),
          later("x"))));
      assertThat(outcomes.get(0).cancelled()).isTrue();
      assertThat(outcomes.get(0).failed()).isTrue();
      assertThat(outcomes.get(0).cause()).isSameAs(gaveUp);
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
  class Outcomes {
    private final Outcome<String> success = Outcome.success("a");
    private final Outcome<String> error = Outcome.failure(new IOException("boom"));
    private final Outcome<String> cancellation = Outcome.failure(new CancellationException("gave up"));

    @Test
    void succeededAndFailedMeanWhatTheyMeanOnEveryAsyncResult() {
      assertThat(List.<AsyncResult<String>>of(success, error, cancellation))
          .extracting(AsyncResult::succeeded, AsyncResult::failed)
          .containsExactly(tuple(true, false), tuple(false, true), tuple(false, true));
    }

    @Test
    void cancelledTellsACancellationFromARealError() {
      assertThat(List.of(success, error, cancellation)).extracting(Outcome::cancelled).containsExactly(false, false, true);
    }

    @Test
    void anOutcomeCompletesAVertxPromiseAsItIs() {
      Promise<String> succeeded = Promise.promise();
      Promise<String> failed = Promise.promise();
      succeeded.handle(success);
      failed.handle(cancellation);
      assertThat(succeeded.future().result()).isEqualTo("a");
      assertThat(failed.future().cause()).isSameAs(cancellation.cause());
    }

    @Test
    void anOutcomeMapsLikeAnAsyncResult() {
      assertThat(success.map(String::length).result()).isEqualTo(1);
      assertThat(error.map(String::length).cause()).isSameAs(error.cause());
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

    @Test
    void listsATasksOwnCancellationAmongTheFailures() {
      Settled<String> settled = await(TaskGroup.settle(vertx, List.of(later("a"), cancelledOnItsOwn())));
      assertThat(settled.successes()).containsExactly("a");
      assertThat(settled.failures()).singleElement().satisfies(f -> {
        assertThat(f.index()).isEqualTo(1);
        assertThat(f.cause()).isInstanceOf(CancellationException.class);
      });
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
    void aTasksOwnCancellationIsAFailedAttemptAndTheRaceGoesOn() {
      String winner = await(TaskGroup.race(vertx, List.of(
          cancelledOnItsOwn(), scope -> scope.sleep(Duration.ofMillis(20)).map("slow success"))));
      assertThat(winner).isEqualTo("slow success");
    }

    @Test
    void whereEveryTaskEndsWithItsOwnCancellationFailsWithThoseCancellationsAsErrors() {
      Throwable error = awaitFailure(TaskGroup.race(vertx, List.of(
          PatternsTest.<String>cancelledOnItsOwn(), PatternsTest.<String>cancelledOnItsOwn())));
      assertThat(error).isInstanceOf(TaskGroupException.class);
      assertThat(((TaskGroupException) error).exceptions()).hasSize(2).allSatisfy(e -> assertThat(e).isInstanceOf(CancellationException.class));
    }

    @Test
    void ofNoTasksFailsAtOnce() {
      Future<String> race = TaskGroup.race(vertx, List.of());
      assertThat(race.failed()).isTrue();
      assertThat(race.cause()).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("no winner");
    }
  }

  /** The scope forms, which nest the pattern's group in the scope of the task that calls them. */
  @Nested
  class InATask {
    private final IOException boom = new IOException("boom");

    @Test
    void everyPatternInATaskIsCancelledWithThatTask() {
      for (ScopePattern pattern : ScopePattern.ALL) {
        List<CancelReason> reasons = new CopyOnWriteArrayList<>();
        TaskFn<String> watched = scope -> {
          scope.onCancel(c -> reasons.add(c.reason()));
          return VertxTest.<String>untilCancelled().run(scope);
        };
        Throwable error = awaitFailure(TaskGroup.run(vertx, g -> {
          g.spawn("outer", s -> pattern.run(s, List.of(watched, watched)));
          g.spawn(failingLater(boom));
          return Future.succeededFuture();
        }));
        assertThat(((TaskGroupException) error).exceptions()).as(pattern.name).containsExactly(boom);
        assertThat(reasons).as(pattern.name).containsExactly(CancelReason.PARENT_CANCELLED, CancelReason.PARENT_CANCELLED);
      }
    }

    @Test
    void aPatternInATaskRunsItsTasksOnTheEnclosingContext() {
      List<Context> seen = new CopyOnWriteArrayList<>();
      AtomicReference<Context> enclosing = new AtomicReference<>();
      await(TaskGroup.run(vertx, g -> {
        enclosing.set(g.context());
        return g.spawn(s -> TaskGroup.all(s, List.<TaskFn<String>>of(scope -> {
          seen.add(Vertx.currentContext());
          return later("x").run(scope);
        }))).future();
      }));
      assertThat(seen).containsExactly(enclosing.get());
    }

    @Test
    void theEnclosingDeadlineBoundsAPatternInATask() {
      Throwable error = awaitFailure(TaskGroup.run(vertx, new TaskGroupOptions().setTimeout(Duration.ofMillis(20)),
          g -> g.spawn(s -> TaskGroup.all(s, List.of(VertxTest.<String>untilCancelled()))).future()));
      assertThat(((TaskGroupException) error).exceptions()).singleElement().isInstanceOf(TaskTimeoutException.class);
    }

    @Test
    void aRaceWhoseTaskIsCancelledBeforeAnyoneWinsFailsWithParentCancelled() {
      AtomicReference<Throwable> raceError = new AtomicReference<>();
      await(TaskGroup.run(vertx, g -> {
        Task<String> t = g.spawn(s -> TaskGroup.race(s, List.of(VertxTest.<String>untilCancelled(), VertxTest.<String>untilCancelled()))
            .onFailure(raceError::set));
        g.context().runOnContext(v -> t.cancel());
        return Future.succeededFuture();
      }));
      assertThat(raceError.get()).isInstanceOf(TaskCancelledException.class);
      assertThat(((TaskCancelledException) raceError.get()).reason()).isEqualTo(CancelReason.PARENT_CANCELLED);
    }
  }

  /** A pattern's scope form, named for the assertions. */
  record ScopePattern(String name, BiFunction<TaskScope, List<TaskFn<String>>, Future<?>> form) {
    static final List<ScopePattern> ALL = List.of(
        new ScopePattern("all", TaskGroup::all), new ScopePattern("gather", TaskGroup::gather),
        new ScopePattern("settle", TaskGroup::settle), new ScopePattern("race", TaskGroup::race));

    Future<?> run(TaskScope scope, List<TaskFn<String>> tasks) {
      return form.apply(scope, tasks);
    }
  }

  /**
   * A task whose own work is cancelled, as a Vert.x {@code Timer} that someone else cancels:
   * nothing of the library cancelled its scope, so the CancellationException is the task's own.
   */
  static <T> TaskFn<T> cancelledOnItsOwn() {
    return scope -> {
      Timer timer = scope.vertx().timer(1, TimeUnit.HOURS);
      scope.context().runOnContext(v -> timer.cancel());
      return timer.map(v -> null);
    };
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
