package dev.taskgroup;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Future;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/** {@link TaskFn#hedged}: delays, winners, losers, failures, budget and adaptive delays, on a manual clock. */
class HedgeTest extends OnManualClock {
  /** What each attempt does: succeed with "r-N" after {@code ms}, or fail with {@code error} after it. */
  record Step(long ms, Throwable error) {}

  static Step ok(long ms) {
    return new Step(ms, null);
  }

  static Step fail(long ms, String message) {
    return new Step(ms, new IOException(message));
  }

  static Step never() {
    return new Step(1_000_000, null);
  }

  /** Starts and cancellations as "start N@ms" and "cancel N@ms REASON", in order. */
  final List<String> log = new ArrayList<>();

  /** Attempt N follows {@code steps[N-1]} (the last step repeats), logging its start and cancellation. */
  TaskFn<String> script(Step... steps) {
    return scope -> {
      int n = scope.attempt();
      log.add("start " + n + "@" + nowMillis());
      scope.onCancel(c -> log.add("cancel " + n + "@" + nowMillis() + " " + c.reason()));
      Step step = steps[Math.min(n, steps.length) - 1];
      return scope.sleep(ms(step.ms())).compose(v -> step.error() == null
          ? Future.succeededFuture("r-" + n) : Future.failedFuture(step.error()));
    };
  }

  static HedgeOptions hedge(int attempts, long delayMs) {
    return new HedgeOptions().setMaxAttempts(attempts).setDelay(ms(delayMs));
  }

  /**
   * How {@link #task} runs the hedged function: as a spawned task's whole function, as a pattern's
   * (both run attempt 1 in the task's own scope, {@link AttemptTask}), or called from a lambda
   * (every attempt in a child scope). {@link HedgeCalledTest} and {@link HedgePatternTest} run
   * every test of this class their way.
   */
  enum Way { SPAWNED, PATTERN, CALLED }

  Way way() {
    return Way.SPAWNED;
  }

  /** {@return the name of the task {@link #task} runs} */
  String name() {
    return way() == Way.PATTERN ? "task-0" : "call";
  }

  <T> Future<T> task(TaskFn<T> fn) {
    switch (way()) {
      case PATTERN:
        return on(context, () -> TaskGroup.all(vertx, options(), List.of(fn))).map(list -> list.get(0));
      case CALLED:
        return group(g -> g.spawn("call", (TaskFn<T>) scope -> fn.run(scope)).future());
      default:
        return group(g -> g.spawn("call", fn).future());
    }
  }

  /** {@return the hedge's own failure: the only error of the group its task ran in} */
  static TaskGroupException hedgeFailure(Future<?> result) {
    TaskGroupException group = (TaskGroupException) awaitFailure(result);
    assertThat(group.exceptions()).hasSize(1);
    return (TaskGroupException) group.exceptions().get(0);
  }

  @Nested
  class Winning {
    @Test
    void aFastFirstAttemptStartsNoOtherAndLeavesNoTimer() {
      Future<String> result = task(script(ok(50)).hedged(hedge(2, 100)));
      advance(50);
      assertThat(await(result)).isEqualTo("r-1");
      advance(500);
      assertThat(log).containsExactly("start 1@0");
      assertThat(clock.pending()).isZero();
    }

    @Test
    void aSecondAttemptStartsAfterTheDelayAndTheFirstSuccessCancelsTheOther() {
      Future<String> result = task(script(ok(300), ok(50)).hedged(hedge(2, 100)));
      advance(99);
      assertThat(log).containsExactly("start 1@0");
      advance(100);
      assertThat(await(result)).isEqualTo("r-2");
      assertThat(log).containsExactly("start 1@0", "start 2@100", "cancel 1@150 RACE_LOST");
    }

    @Test
    void theFirstAttemptCanStillWinAndTheHedgeIsCancelled() {
      Future<String> result = task(script(ok(130), ok(100)).hedged(hedge(2, 100)));
      advance(200);
      assertThat(await(result)).isEqualTo("r-1");
      assertThat(log).containsExactly("start 1@0", "start 2@100", "cancel 2@130 RACE_LOST");
    }

    @Test
    void maxAttemptsBoundsHowManyStart() {
      task(script(never()).hedged(hedge(3, 100)));
      advance(1_000);
      assertThat(log).containsExactly("start 1@0", "start 2@100", "start 3@200");
    }

    @Test
    void aZeroDelayStartsEveryAttemptAtOnce() {
      Future<String> result = task(script(ok(30), ok(20), ok(10)).hedged(hedge(3, 0)));
      advance(10);
      assertThat(await(result)).isEqualTo("r-3");
      assertThat(log).containsExactly("start 1@0", "start 2@0", "start 3@0", "cancel 1@10 RACE_LOST", "cancel 2@10 RACE_LOST");
    }
  }

  @Nested
  class Failures {
    @Test
    void aHandledFailureStartsTheNextAttemptAtOnceAndTheDelayAnew() {
      Future<String> result = task(script(fail(20, "down"), never(), ok(10)).hedged(hedge(3, 100)));
      advance(119);
      assertThat(log).containsExactly("start 1@0", "start 2@20");
      advance(11);
      assertThat(await(result)).isEqualTo("r-3");
      assertThat(log).containsExactly("start 1@0", "start 2@20", "start 3@120", "cancel 2@130 RACE_LOST");
    }

    @Test
    void aFailureNotHandledEndsTheHedgeAndCancelsTheOthers() {
      Future<String> result = task(script(never(), fail(10, "404")).hedged(hedge(3, 100)
          .setHandledOn(e -> !e.getMessage().equals("404"))));
      advance(500);
      TaskGroupException error = hedgeFailure(result);
      assertThat(error).hasMessageStartingWith("the hedge in '" + name() + "' failed after 2 attempts: attempt 2 failed with an error not handled");
      assertThat(error.exceptions()).extracting(Throwable::getMessage).containsExactly("404");
      assertThat(log).containsExactly("start 1@0", "start 2@100", "cancel 1@110 SIBLING_FAILED");
    }

    @Test
    void everyAttemptFailingFailsWithEveryErrorInOrder() {
      Future<String> result = task(script(fail(150, "a"), fail(10, "b")).hedged(hedge(2, 100)));
      advance(500);
      TaskGroupException error = hedgeFailure(result);
      assertThat(error).hasMessageStartingWith("the hedge in '" + name() + "' failed after 2 attempts: no attempt left (maxAttempts 2)");
      assertThat(error.exceptions()).extracting(Throwable::getMessage).containsExactly("b", "a");
    }
  }

  @Nested
  class Cancellation {
    @Test
    void cancellingDuringTheDelayCancelsTheAttemptAndStartsNoOther() {
      AtomicReference<Task<String>> task = new AtomicReference<>();
      Future<Void> result = group(g -> {
        task.set(g.spawn("call", script(never()).hedged(hedge(3, 100))));
        return Future.succeededFuture();
      });
      advance(50);
      onContext(() -> Future.succeededFuture(task.get().cancel()));
      await(result);
      advance(500);
      assertThat(task.get().state()).isEqualTo(TaskState.CANCELLED);
      assertThat(log).containsExactly("start 1@0", "cancel 1@50 EXPLICIT");
      assertThat(clock.pending()).isZero();
    }

    @Test
    void hedgedThenTimedCancelsEveryAttemptAtTheDeadline() {
      Future<String> result = task(script(never()).hedged(hedge(2, 100)).withTimeout(ms(150)));
      advance(500);
      TaskGroupException error = (TaskGroupException) awaitFailure(result);
      assertThat(error.exceptions()).singleElement().isInstanceOf(TaskTimeoutException.class);
      assertThat(log).containsExactly("start 1@0", "start 2@100", "cancel 1@150 DEADLINE", "cancel 2@150 DEADLINE");
    }

    @Test
    void timedThenHedgedTreatsAnAttemptsTimeoutAsAHandledFailure() {
      Future<String> result = task(script(never(), ok(10)).withTimeout(ms(50)).hedged(hedge(2, 100)));
      advance(60);
      assertThat(await(result)).isEqualTo("r-2");
      assertThat(log).containsExactly("start 1@0", "cancel 1@50 DEADLINE", "start 2@50");
    }
  }

  @Nested
  class Budget {
    @Test
    void anEmptyBudgetStartsNoFurtherAttempt() {
      RetryBudget budget = new RetryBudget(0, 0);
      Future<String> result = task(script(ok(300)).hedged(hedge(2, 100).setBudget(budget)));
      advance(300);
      assertThat(await(result)).isEqualTo("r-1");
      assertThat(log).containsExactly("start 1@0");
    }

    @Test
    void theBudgetCapsExtraAttemptsToItsShareOfCalls() {
      RetryBudget budget = new RetryBudget(0.5, 0);
      TaskFn<String> fn = script(ok(150), ok(10)).hedged(hedge(2, 100).setBudget(budget));
      for (int i = 0; i < 4; i++) {
        Future<String> r = task(fn);
        advance(150);
        await(r);
      }
      assertThat(log.stream().filter(l -> l.startsWith("start 2"))).as("hedges in 4 calls at a ratio of 0.5").hasSize(2);
    }
  }

  @Nested
  class AdaptiveDelay {
    HedgeOptions adaptive() {
      return new HedgeOptions().setMaxAttempts(2).setAdaptiveDelay(90, ms(10), ms(200));
    }

    @Test
    void untilItKnowsEnoughLatenciesTheDelayIsTheMaximum() {
      task(script(never()).hedged(adaptive()));
      advance(199);
      assertThat(log).containsExactly("start 1@0");
      advance(1);
      assertThat(log).containsExactly("start 1@0", "start 2@200");
    }

    @Test
    void theDelayIsThePercentileOfRecentWinningLatencies() {
      TaskFn<String> fn = ((TaskFn<String>) scope -> scope.sleep(ms(40)).map("fast")).hedged(adaptive());
      for (int i = 0; i < HedgeFn.MIN_SAMPLES; i++) {
        Future<String> r = task(fn);
        advance(40);
        await(r);
      }
      HedgeFn<String> hedged = (HedgeFn<String>) fn;
      assertThat(hedged.delayNanos()).isEqualTo(ms(40).toNanos());
    }

    @Test
    void theDelayIsClampedToTheMinimum() {
      TaskFn<String> fn = ((TaskFn<String>) scope -> scope.sleep(ms(2)).map("fast")).hedged(adaptive());
      for (int i = 0; i < HedgeFn.MIN_SAMPLES; i++) {
        Future<String> r = task(fn);
        advance(2);
        await(r);
      }
      assertThat(((HedgeFn<String>) fn).delayNanos()).isEqualTo(ms(10).toNanos());
    }
  }

  @Nested
  class Composition {
    @Test
    void attemptsAreNotTasksMaxConcurrencyCountsTheHedgedTaskOnce() {
      Future<Void> result = group(options().setMaxConcurrency(1), g -> {
        g.spawn("hedged", script(ok(300), ok(50)).hedged(hedge(2, 100)));
        g.spawn("queued", scope -> {
          log.add("queued@" + nowMillis());
          return Future.succeededFuture("q");
        });
        return Future.succeededFuture();
      });
      advance(150);
      await(result);
      assertThat(log).containsExactly("start 1@0", "start 2@100", "cancel 1@150 RACE_LOST", "queued@150");
    }

    @Test
    void aHedgeInsideANestedGroupIsCancelledWithIt() {
      AtomicReference<TaskGroup> outer = new AtomicReference<>();
      Future<Void> result = group(g -> {
        outer.set(g);
        g.spawn("inner", scope -> TaskGroup.run(scope, inner -> inner.spawn("hedged", script(never()).hedged(hedge(3, 100))).future()));
        return Future.succeededFuture();
      });
      advance(150);
      outer.get().cancel();
      await(result);
      advance(500);
      assertThat(log).containsExactly("start 1@0", "start 2@100", "cancel 1@150 PARENT_CANCELLED", "cancel 2@150 PARENT_CANCELLED");
    }
  }
}
