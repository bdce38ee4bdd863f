package dev.taskgroup;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.CancellationException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.Test;

/**
 * Shapes the per-pattern tests do not try: compositions of the resilience patterns, edge values,
 * cancellation at each stage and {@link Error}s from user code. Each checks that the group
 * completes, with the right error, and that no timer is left on the manual clock.
 */
class AdversarialResilienceTest extends OnManualClock {
  /** Starts and cancellations, as "start NAME-N@ms" and "cancel NAME-N@ms REASON". */
  final List<String> log = new ArrayList<>();

  /** Attempt N of {@code name}: succeeds with "NAME-N" after {@code okMs[N-1]} ms (the last repeats); a negative value fails after its absolute. */
  TaskFn<String> script(String name, long... ms) {
    return scope -> {
      int n = scope.attempt();
      log.add("start " + name + "-" + n + "@" + nowMillis());
      scope.onCancel(c -> log.add("cancel " + name + "-" + n + "@" + nowMillis() + " " + c.reason()));
      long step = ms[Math.min(n, ms.length) - 1];
      return scope.sleep(ms(Math.abs(step))).compose(v -> step >= 0 ? Future.succeededFuture(name + "-" + n)
          : Future.failedFuture(new IOException(name + "-" + n + " failed")));
    };
  }

  static RetryOptions retry(int attempts, long delayMs) {
    return new RetryOptions().setMaxAttempts(attempts).setInitialDelay(ms(delayMs)).setMaxDelay(ms(Math.max(delayMs, 1)))
        .setRandom(always(0.5));
  }

  static HedgeOptions hedge(int attempts, long delayMs) {
    return new HedgeOptions().setMaxAttempts(attempts).setDelay(ms(delayMs));
  }

  <T> Future<T> task(TaskFn<T> fn) {
    return group(g -> g.spawn("call", fn).future());
  }

  /** {@return the only error of the group {@code result} is the future of} */
  static Throwable onlyError(Future<?> result) {
    Throwable e = awaitFailure(result);
    assertThat(e).isInstanceOf(TaskGroupException.class);
    assertThat(((TaskGroupException) e).exceptions()).hasSize(1);
    return ((TaskGroupException) e).exceptions().get(0);
  }

  void assertNothingScheduled() {
    assertThat(clock.pending()).as("timers left on the clock").isZero();
  }

  /** A deadline at 50 starts a shielded "cleanup" of {@code cleanupMs}: the future fails with the timeout only once it ended. */
  void assertACleanupFrom50OutlivesTheDeadline(Future<?> result, long cleanupMs) {
    advance(50);
    assertThat(log).containsExactly("start cleanup-1@50");
    advance(cleanupMs - 1);
    assertThat(result.isComplete()).as("the shielded cleanup is awaited").isFalse();
    advance(1);
    assertThat(onlyError(result)).isInstanceOf(TaskTimeoutException.class);
    assertThat(log).containsExactly("start cleanup-1@50");
    assertNothingScheduled();
  }

  @Nested
  class Compositions {
    @Test
    void aTimeoutAroundARetryGivesUpAtOnceWhenTheBackoffWouldOutlastIt() {
      // attempt 1 fails at 10, backoff 50 (0.5 of 100): the 40 ms timeout would pass during the backoff
      Future<String> result = task(script("a", -10).retried(retry(3, 100)).withTimeout(ms(40)));
      advance(10);
      assertThat(onlyError(result)).isInstanceOf(TaskGroupException.class)
          .hasMessageContaining("gave up after 1 attempt: after a backoff of 50 ms");
      assertThat(log).containsExactly("start a-1@0");
      advance(1_000);
      assertThat(log).containsExactly("start a-1@0");
      assertNothingScheduled();
    }

    @Test
    void aRetryAroundATimeoutRetriesEachTimedOutAttemptAndReportsEveryTimeout() {
      Future<String> result = task(script("a", 100).withTimeout(ms(20)).retried(retry(3, 10)));
      advance(1_000);
      Throwable error = onlyError(result);
      assertThat(error).isInstanceOf(TaskGroupException.class).hasMessageContaining("gave up after 3 attempts");
      assertThat(((TaskGroupException) error).exceptions()).hasSize(3).allMatch(e -> e instanceof TaskTimeoutException);
      assertNothingScheduled();
    }

    @Test
    void aRetryAroundATimeoutSucceedsWhenALaterAttemptIsFastEnough() {
      Future<String> result = task(script("a", 100, 100, 5).withTimeout(ms(20)).retried(retry(3, 10)));
      advance(1_000);
      assertThat(await(result)).isEqualTo("a-3");
      assertNothingScheduled();
    }

    @Test
    void aHedgeInsideARetryHedgesEachRetryAndTheLosersAreCancelled() {
      // every hedged attempt fails: the whole hedge fails, then the retry runs it again
      AtomicInteger calls = new AtomicInteger();
      TaskFn<String> inner = scope -> {
        int c = calls.incrementAndGet();
        return c <= 2 ? scope.sleep(ms(10)).compose(v -> Future.failedFuture(new IOException("no-" + c)))
            : c == 3 ? scope.sleep(ms(500)).map("slow") : scope.sleep(ms(5)).map("fast");
      };
      Future<String> result = task(inner.hedged(hedge(2, 100)).retried(retry(2, 10)));
      advance(1_000);
      assertThat(await(result)).isEqualTo("fast");
      assertThat(calls).hasValue(4);
      assertNothingScheduled();
    }

    @Test
    void aRetryInsideAHedgeIsCancelledDuringItsBackoffWhenTheOtherAttemptWins() {
      AtomicInteger calls = new AtomicInteger();
      List<String> cancels = new ArrayList<>();
      TaskFn<String> inner = scope -> {
        int c = calls.incrementAndGet();
        scope.onCancel(x -> cancels.add(c + " " + x.reason()));
        return c == 1 ? scope.sleep(ms(10)).compose(v -> Future.failedFuture(new IOException("no")))
            : scope.sleep(ms(50)).map("win-" + c);
      };
      // hedge attempt 1 = retry: its first call fails at 10 (IOException is a handled error for
      // the hedge only once the retry gives up), backoff 500 ms; hedge attempt 2 starts at 20
      Future<String> result = task(inner.retried(retry(3, 1_000)).hedged(hedge(2, 20)));
      advance(2_000);
      assertThat(await(result)).isEqualTo("win-2");
      assertThat(calls).as("no retry after the hedge was won").hasValue(2);
      assertNothingScheduled();
    }

    @Test
    void aQuorumOfHedgedFunctionsCancelsEveryLosingAttempt() {
      List<TaskFn<String>> replicas = List.of(
          script("a", 300, 300).hedged(hedge(2, 100)),
          script("b", 50).hedged(hedge(2, 100)),
          script("c", 300, 30).hedged(hedge(2, 100)));
      Future<List<String>> result = on(context, () -> TaskGroup.quorum(vertx, options(), 2, replicas));
      advance(1_000);
      assertThat(await(result)).containsExactly("b-1", "c-2");
      assertThat(log).contains("cancel a-1@130 RACE_LOST", "cancel a-2@130 RACE_LOST", "cancel c-1@130 RACE_LOST");
      assertThat(log.stream().filter(l -> l.startsWith("start"))).hasSize(5);
      assertNothingScheduled();
    }

    @Test
    void aShieldInsideACancelledSupervisedGroupRunsToItsEndAndTheGroupWaitsForIt() {
      List<String> supervised = new ArrayList<>();
      AtomicReference<TaskGroup> group = new AtomicReference<>();
      Future<String> result = group(options().setSupervisor((t, e) -> supervised.add(t.name())), g -> {
        group.set(g);
        g.spawn("work", scope -> scope.sleep(ms(1_000)).map("w")
            .eventually(() -> TaskGroup.shield(scope, ms(500), script("release", 100))));
        g.spawn("flaky", scope -> Future.failedFuture(new IOException("flaky")));
        return Future.succeededFuture("body");
      });
      advance(10);
      onContext(() -> {
        group.get().cancel();
        return Future.succeededFuture();
      });
      advance(99);
      assertThat(result.isComplete()).as("the group waits for the shield").isFalse();
      advance(1);
      await(result);
      assertThat(log).containsExactly("start release-1@10");
      assertThat(supervised).containsExactly("flaky");
      assertNothingScheduled();
    }

    @Test
    void aSupervisorThatRestartsTheFailedTaskKeepsTheGroupOpenUntilTheRestartSucceeds() {
      AtomicInteger runs = new AtomicInteger();
      AtomicReference<TaskGroup> group = new AtomicReference<>();
      TaskFn<String> flaky = scope -> {
        int n = runs.incrementAndGet();
        return scope.sleep(ms(10)).compose(v -> n < 3 ? Future.failedFuture(new IOException("run " + n)) : Future.succeededFuture("ok"));
      };
      List<String> supervised = new ArrayList<>();
      Future<String> result = group(options().setSupervisor((t, e) -> {
        supervised.add(t.name() + " " + t.state() + " " + e.getMessage());
        group.get().spawn("worker", flaky);
      }), g -> {
        group.set(g);
        g.spawn("worker", flaky);
        return Future.succeededFuture("body");
      });
      advance(9);
      assertThat(result.isComplete()).isFalse();
      advance(30);
      assertThat(await(result)).isEqualTo("body");
      assertThat(runs).hasValue(3);
      assertThat(supervised).containsExactly("worker FAILED run 1", "worker FAILED run 2");
      assertNothingScheduled();
    }

    @Test
    void aSupervisorThatRestartsASynchronouslyFailingTaskOnlyAFewTimesEnds() {
      AtomicInteger runs = new AtomicInteger();
      AtomicReference<TaskGroup> group = new AtomicReference<>();
      TaskFn<String> flaky = scope -> runs.incrementAndGet() < 10_000 ? Future.failedFuture(new IOException("no"))
          : Future.succeededFuture("ok");
      Future<String> result = group(options().setSupervisor((t, e) -> group.get().spawn("worker", flaky)), g -> {
        group.set(g);
        g.spawn("worker", flaky);
        return Future.succeededFuture("body");
      });
      assertThat(await(result)).isEqualTo("body");
      assertThat(runs).hasValue(10_000);
    }

    @Test
    void aShieldedTaskInAFailingAllKeepsRunningAndTheAllFailsWithTheRealErrorOnly() {
      Future<List<String>> result = on(context, () -> TaskGroup.all(vertx, options(), List.of(
          script("audit", 100).shielded(ms(1_000)), script("bad", -10))));
      advance(10);
      assertThat(result.isComplete()).as("all waits for the shielded task").isFalse();
      advance(90);
      Throwable error = awaitFailure(result);
      assertThat(((TaskGroupException) error).exceptions()).extracting(Throwable::getMessage).containsExactly("bad-1 failed");
      assertThat(log).containsExactly("start audit-1@0", "start bad-1@0");
      assertNothingScheduled();
    }

    @Test
    void aShieldStartedAfterTheGroupDeadlinePassedStillRunsAndTheGroupFailsWithItsTimeout() {
      Future<String> result = group(options().setTimeout(ms(50)), g -> {
        g.spawn("work", scope -> scope.sleep(ms(1_000)).map("w")
            .eventually(() -> TaskGroup.shield(scope, ms(500), script("cleanup", 100))));
        return Future.succeededFuture("body");
      });
      assertACleanupFrom50OutlivesTheDeadline(result, 100);
    }

    @Test
    void aShieldTwoGroupsDownOutlivesTheCancellationOfTheOutermostGroup() {
      AtomicReference<TaskGroup> outer = new AtomicReference<>();
      Future<String> result = group(g -> {
        outer.set(g);
        g.spawn("mid", scope -> TaskGroup.run(scope, inner -> {
          inner.spawn("leaf", s -> s.sleep(ms(1_000)).map("x").eventually(() -> TaskGroup.shield(s, ms(500), script("cleanup", 100))));
          return Future.succeededFuture("inner");
        }));
        return Future.succeededFuture("outer");
      });
      advance(10);
      onContext(() -> {
        outer.get().cancel();
        return Future.succeededFuture();
      });
      assertThat(log).containsExactly("start cleanup-1@10");
      advance(99);
      assertThat(result.isComplete()).as("every enclosing group waits for the shield").isFalse();
      advance(1);
      await(result);
      assertNothingScheduled();
    }

    @Test
    void aPatternGivenMoreTasksThanBothLimitsFailsWithTaskQueueFullException() {
      Future<List<String>> result = on(context, () -> TaskGroup.all(vertx, options().setMaxConcurrency(1).setMaxQueued(0),
          List.of(script("a", 10), script("b", 10), script("c", 10))));
      advance(100);
      assertThat(onlyError(result)).isInstanceOf(TaskQueueFullException.class);
      assertNothingScheduled();
    }

    @Test
    void aBoundedQueueOfANestedGroupRefusesPastItsOwnLimitsNotItsParents() {
      List<Boolean> accepted = new ArrayList<>();
      Future<Integer> result = group(options().setMaxConcurrency(1).setMaxQueued(0), g -> {
        Task<Integer> outer = g.spawn("outer", scope -> TaskGroup.run(scope, new TaskGroupOptions().setMaxConcurrency(1).setMaxQueued(1), inner -> {
          for (int i = 0; i < 4; i++) {
            accepted.add(inner.trySpawn(script("n" + i, 10)).isPresent());
          }
          return Future.succeededFuture(accepted.size());
        }));
        accepted.add(g.trySpawn(script("o", 10)).isPresent());
        return outer.future();
      });
      advance(100);
      assertThat(await(result)).isEqualTo(4);
      assertThat(accepted).containsExactly(true, true, false, false, false);
      assertNothingScheduled();
    }

    @Test
    void aQueuedTaskCancelledWhileQueuedFreesItsQueueSlot() {
      AtomicReference<Optional<Task<String>>> third = new AtomicReference<>();
      Future<String> result = group(options().setMaxConcurrency(1).setMaxQueued(1), g -> {
        g.spawn(script("a", 10));
        Task<String> queued = g.spawn(script("b", 10));
        queued.cancel();
        third.set(g.trySpawn(script("c", 10)));
        return Future.succeededFuture("done");
      });
      advance(100);
      assertThat(await(result)).isEqualTo("done");
      assertThat(third.get()).as("the cancelled queued task left the queue").isPresent();
      assertNothingScheduled();
    }
  }

  @Nested
  class EdgeValues {
    @Test
    void aQuorumOfAllFailsAtTheFirstFailure() {
      Future<List<String>> result = on(context, () -> TaskGroup.quorum(vertx, options(), 3,
          List.of(script("a", 100), script("b", -10), script("c", 100))));
      advance(10);
      assertThat(awaitFailure(result)).isInstanceOf(TaskGroupException.class).hasMessageContaining("became impossible");
      assertNothingScheduled();
    }

    @Test
    void aQuorumOfOneAmongSynchronousSuccessesKeepsOnlyTheFirst() {
      List<TaskFn<String>> tasks = List.of(s -> Future.succeededFuture("a"), s -> Future.succeededFuture("b"),
          s -> Future.succeededFuture("c"));
      assertThat(onContext(() -> TaskGroup.quorum(vertx, options(), 1, tasks))).containsExactly("a");
    }

    @Test
    void aQuorumOfAllSynchronousFailuresFailsWithEveryError() {
      List<TaskFn<String>> tasks = List.of(s -> Future.failedFuture(new IOException("a")), s -> {
        throw new IOException("b");
      }, s -> null);
      Throwable error = awaitFailure(on(context, () -> TaskGroup.quorum(vertx, options(), 1, tasks)));
      assertThat(((TaskGroupException) error).exceptions()).hasSize(3);
    }

    @Test
    void aRetryOfOneAttemptGivesUpAtOnceSayingNoAttemptIsLeft() {
      Future<String> result = task(script("a", -10).retried(retry(1, 100)));
      advance(10);
      assertThat(onlyError(result)).hasMessageContaining("gave up after 1 attempt: no attempt left (maxAttempts 1)");
      assertNothingScheduled();
    }

    @Test
    void aHedgeOfOneAttemptIsTheBareCall() {
      Future<String> result = task(script("a", 500).hedged(hedge(1, 10)));
      advance(500);
      assertThat(await(result)).isEqualTo("a-1");
      assertThat(log).containsExactly("start a-1@0");
      assertNothingScheduled();
    }

    @Test
    void aHedgeWithZeroDelayWhoseAttemptsAllFailSynchronouslyFailsWithEveryError() {
      TaskFn<String> fails = s -> Future.failedFuture(new IOException("no-" + s.attempt()));
      Future<String> result = task(fails.hedged(hedge(3, 0)));
      Throwable error = onlyError(result);
      assertThat(((TaskGroupException) error).exceptions()).extracting(Throwable::getMessage).containsExactly("no-1", "no-2", "no-3");
      assertNothingScheduled();
    }

    @Test
    void aHugeMovableDeadlineMeansPracticallyNever() {
      Future<String> result = task(scope -> TaskGroup.withDeadline(scope, Duration.ofSeconds(Long.MAX_VALUE),
          (s, d) -> s.sleep(ms(10_000)).map("done")));
      advance(10_000);
      assertThat(await(result)).isEqualTo("done");
      assertNothingScheduled();
    }

    @Test
    void aTimeoutOfLongMaxValueNanosecondsOnTheManualClockMeansPracticallyNever() {
      Future<String> result = task(script("a", 10).withTimeout(Duration.ofNanos(Long.MAX_VALUE)));
      advance(10);
      assertThat(await(result)).isEqualTo("a-1");
      assertNothingScheduled();
    }

    @Test
    void aDeadlineResetToAHugeDurationMeansPracticallyNever() {
      Future<String> result = task(scope -> TaskGroup.withDeadline(scope, ms(10), (s, d) -> {
        d.reset(Duration.ofSeconds(Long.MAX_VALUE));
        return s.sleep(ms(10_000)).map("done");
      }));
      advance(10_000);
      assertThat(await(result)).isEqualTo("done");
      assertNothingScheduled();
    }

    @Test
    void aDeadlineResetToOneNanosecondPassesAtOnce() {
      Future<String> result = task(scope -> TaskGroup.withDeadline(scope, ms(1_000), (s, d) -> {
        d.reset(Duration.ofNanos(1));
        return s.sleep(ms(10_000)).map("done");
      }));
      advance(1);
      assertThat(onlyError(result)).isInstanceOf(TaskTimeoutException.class);
      assertNothingScheduled();
    }

    @Test
    void aDeadlineMovedToZeroOrBelowIsRefusedAndTheOldOneStands() {
      AtomicReference<Throwable> refused = new AtomicReference<>();
      Future<String> result = task(scope -> TaskGroup.withDeadline(scope, ms(100), (s, d) -> {
        try {
          d.reset(Duration.ofMillis(-5));
        } catch (IllegalArgumentException e) {
          refused.set(e);
        }
        return s.sleep(ms(10_000)).map("done");
      }));
      advance(100);
      assertThat(refused.get()).isInstanceOf(IllegalArgumentException.class);
      assertThat(onlyError(result)).isInstanceOf(TaskTimeoutException.class);
      assertNothingScheduled();
    }

    @Test
    void aDeadlineRemovedThenAddedAgainFiresAtItsNewTime() {
      Future<String> result = task(scope -> TaskGroup.withDeadline(scope, ms(50), (s, d) -> {
        d.clear();
        return s.sleep(ms(100)).compose(v -> {
          d.reset(ms(30));
          return s.sleep(ms(10_000)).map("done");
        });
      }));
      advance(129);
      assertThat(result.isComplete()).isFalse();
      advance(1);
      Throwable error = onlyError(result);
      assertThat(error).isInstanceOf(TaskTimeoutException.class).hasMessageContaining("30");
      assertNothingScheduled();
    }

    @Test
    void aDeadlineClearedTwiceAndResetTwiceKeepsOnlyTheLastTimer() {
      Future<String> result = task(scope -> TaskGroup.withDeadline(scope, ms(50), (s, d) -> {
        d.clear();
        d.clear();
        d.reset(ms(200));
        d.reset(ms(70));
        return s.sleep(ms(10_000)).map("done");
      }));
      advance(69);
      assertThat(result.isComplete()).isFalse();
      advance(1);
      assertThat(onlyError(result)).isInstanceOf(TaskTimeoutException.class);
      assertNothingScheduled();
    }

    @Test
    void movingADeadlineAfterTheStepSucceededDoesNothingAndSchedulesNothing() {
      AtomicReference<MovableDeadline> handle = new AtomicReference<>();
      Future<String> result = task(scope -> TaskGroup.withDeadline(scope, ms(50), (s, d) -> {
        handle.set(d);
        return Future.succeededFuture("done");
      }).compose(v -> {
        handle.get().reset(ms(10));
        handle.get().clear();
        handle.get().reset(ms(10));
        return Future.succeededFuture(v);
      }));
      assertThat(await(result)).isEqualTo("done");
      assertNothingScheduled();
    }

    @Test
    void aDeadlineMovedToAThousandDifferentDurationsLeavesOneTimerWhileItRunsAndNoneAfter() {
      AtomicInteger pendingWhileRunning = new AtomicInteger();
      Promise<String> release = Promise.promise();
      Future<String> result = task(scope -> TaskGroup.withDeadline(scope, ms(50), (s, d) -> {
        for (int i = 1; i <= 1_000; i++) {
          d.reset(ms(10_000 + i));
        }
        pendingWhileRunning.set(clock.pending());
        return release.future();
      }));
      onContext(() -> {
        release.complete("done");
        return Future.succeededFuture();
      });
      assertThat(await(result)).isEqualTo("done");
      assertThat(pendingWhileRunning.get()).as("timers while the step runs").isLessThanOrEqualTo(2);
      assertNothingScheduled();
    }

    @Test
    void anInnerDeadlineClearedStillEndsAtTheOuterOneWithATimeout() {
      Future<String> result = task(scope -> TaskGroup.withDeadline(scope, ms(100), (outer, od) ->
          TaskGroup.withDeadline(outer, ms(50), (inner, id) -> {
            id.clear();
            return inner.sleep(ms(10_000)).map("done");
          })));
      advance(99);
      assertThat(result.isComplete()).isFalse();
      advance(1);
      assertThat(onlyError(result)).isInstanceOf(TaskTimeoutException.class).hasMessageContaining("100 ms");
      assertNothingScheduled();
    }

    @Test
    void anInnerDeadlinePushedPastTheOuterOneEndsAtTheOuterOne() {
      Future<String> result = task(scope -> TaskGroup.withDeadline(scope, ms(100), (outer, od) ->
          TaskGroup.withDeadline(outer, ms(50), (inner, id) -> {
            id.reset(ms(1_000));
            return inner.sleep(ms(10_000)).map("done");
          })));
      advance(100);
      assertThat(onlyError(result)).isInstanceOf(TaskTimeoutException.class).hasMessageContaining("100 ms");
      assertNothingScheduled();
    }

    /** Attempts that each fail synchronously, as many as the tests below allow. */
    static final int MANY = 20_000;
    final TaskFn<String> failsAtOnce = s -> Future.failedFuture(new IOException("no"));

    /** Runs {@code fn} as a task: it must fail with all {@link #MANY} attempts' errors, no frame per attempt on the stack, nothing left. */
    void failsWithEveryAttemptsError(TaskFn<String> fn) {
      Future<String> result = task(fn);
      assertThat(((TaskGroupException) onlyError(result)).exceptions()).hasSize(MANY);
      assertNothingScheduled();
    }

    @Test
    void aHedgeOfManyAttemptsFailingSynchronouslyNeverOverflowsTheStack() {
      failsWithEveryAttemptsError(failsAtOnce.hedged(hedge(MANY, 100)));
    }

    @Test
    void aHedgeOfManyAttemptsWithoutDelayFailingSynchronouslyNeverOverflowsTheStack() {
      failsWithEveryAttemptsError(failsAtOnce.hedged(hedge(MANY, 0)));
    }

    @Test
    void aCalledHedgeOfManyAttemptsFailingSynchronouslyNeverOverflowsTheStack() {
      TaskFn<String> hedged = failsAtOnce.hedged(hedge(MANY, 100));
      failsWithEveryAttemptsError(scope -> hedged.run(scope));
    }

    @Test
    void aCalledRetryOfManyAttemptsFailingSynchronouslyNeverOverflowsTheStack() {
      TaskFn<String> retried = failsAtOnce.retried(new RetryOptions().setMaxAttempts(MANY).setInitialDelay(ms(0)).setMaxDelay(ms(0)));
      failsWithEveryAttemptsError(scope -> retried.run(scope));
    }

    @Test
    void aRetryBudgetSharedByTwoRetriesIsDrainedByBoth() {
      RetryBudget budget = new RetryBudget(0.0, 1);
      RetryOptions shared = retry(5, 10).setBudget(budget);
      Future<List<String>> result = on(context, () -> TaskGroup.gather(vertx, options(),
          List.of(script("a", -5).retried(shared), script("b", -5).retried(shared))))
          .map(list -> list.stream().map(o -> o.succeeded() ? "ok" : o.cause().getMessage()).toList());
      advance(1_000);
      List<String> outcomes = await(result);
      assertThat(log.stream().filter(l -> l.startsWith("start"))).as("one retry in all").hasSize(3);
      assertThat(outcomes).anyMatch(m -> m.contains("retry budget is empty"));
      assertNothingScheduled();
    }
  }

  /**
   * Durations of {@code Long.MAX_VALUE} nanoseconds, just below what {@link Duration#toNanos} refuses, on the
   * library's own {@link TestClock} (whose timers saturate, unlike the test's {@link ManualTimers}).
   */
  @Nested
  class LongMaxValueNanoseconds {
    final Duration longest = Duration.ofNanos(Long.MAX_VALUE);
    final TestClock testClock = new TestClock();

    <T> Future<T> onTestClock(TaskGroupOptions o, TaskFn<T> fn) {
      advanceTestClock(1_000); // a clock not at zero, as System.nanoTime() never is: now + the duration overflows
      return on(context, () -> TaskGroup.run(vertx, o.setClock(testClock), g -> g.spawn("call", fn).future()));
    }

    <T> Future<T> onTestClock(TaskFn<T> fn) {
      return onTestClock(new TaskGroupOptions(), fn);
    }

    void advanceTestClock(long millis) {
      onContext(() -> {
        testClock.advance(ms(millis));
        return Future.succeededFuture();
      });
    }

    TaskFn<String> after10(String value) {
      return scope -> scope.sleep(ms(10)).map(value);
    }

    void assertSucceedsAt10With(Future<String> result, String value) {
      assertThat(result.isComplete()).as("not ended at once: " + result).isFalse();
      advanceTestClock(10);
      assertThat(await(result)).isEqualTo(value);
    }

    @Test
    void aTaskTimeoutMeansPracticallyNever() {
      assertSucceedsAt10With(onTestClock(after10("a").withTimeout(longest)), "a");
    }

    @Test
    void aGroupDeadlineMeansPracticallyNever() {
      assertSucceedsAt10With(onTestClock(new TaskGroupOptions().setTimeout(longest), after10("a")), "a");
    }

    @Test
    void aHedgeDelayStartsNoSecondAttempt() {
      AtomicInteger attempts = new AtomicInteger();
      TaskFn<String> fn = scope -> {
        attempts.incrementAndGet();
        return scope.sleep(ms(10)).map("a");
      };
      assertSucceedsAt10With(onTestClock(fn.hedged(new HedgeOptions().setMaxAttempts(2).setDelay(longest))), "a");
      assertThat(attempts).hasValue(1);
    }

    @Test
    void aMovableDeadlineMeansPracticallyNever() {
      assertSucceedsAt10With(onTestClock(scope -> TaskGroup.withDeadline(scope, longest, (s, d) -> s.sleep(ms(10)).map("a"))), "a");
    }

    @Test
    void aDeadlineResetToItMeansPracticallyNever() {
      assertSucceedsAt10With(onTestClock(scope -> TaskGroup.withDeadline(scope, ms(5), (s, d) -> {
        d.reset(longest);
        return s.sleep(ms(10)).map("a");
      })), "a");
    }

    @Test
    void aShieldTimeoutMeansPracticallyNever() {
      assertSucceedsAt10With(onTestClock(scope -> TaskGroup.shield(scope, longest, after10("a"))), "a");
    }

    @Test
    void aSleepDoesNotEndAtOnce() {
      TaskFn<String> sleeper = scope -> scope.sleep(longest).map("woke");
      assertSucceedsAt10With(onTestClock(sleeper.withTimeout(ms(10), "timed out")), "timed out");
    }
  }

  @Nested
  class CancellationAtEveryStage {
    @Test
    void cancellingDuringABackoffEndsTheRetryAtOnceWithNoTimerLeft() {
      AtomicReference<Task<String>> task = new AtomicReference<>();
      Future<Void> result = group(g -> {
        task.set(g.spawn("call", script("a", -10).retried(retry(3, 1_000))));
        return Future.succeededFuture();
      });
      advance(20); // in the backoff (500 ms)
      onContext(() -> Future.succeededFuture(task.get().cancel()));
      await(result);
      assertThat(task.get().state()).isEqualTo(TaskState.CANCELLED);
      assertThat(log).containsExactly("start a-1@0");
      assertNothingScheduled();
    }

    @Test
    void cancellingACalledRetryDuringItsBackoffEndsItAtOnce() {
      AtomicReference<Task<String>> task = new AtomicReference<>();
      TaskFn<String> retried = script("a", -10).retried(retry(3, 1_000));
      Future<Void> result = group(g -> {
        task.set(g.spawn("call", scope -> retried.run(scope).map(v -> v + "!")));
        return Future.succeededFuture();
      });
      advance(20);
      onContext(() -> Future.succeededFuture(task.get().cancel()));
      await(result);
      assertThat(task.get().state()).isEqualTo(TaskState.CANCELLED);
      assertNothingScheduled();
    }

    @Test
    void cancellingWhileEveryHedgeRunsCancelsThemAll() {
      AtomicReference<Task<String>> task = new AtomicReference<>();
      Future<Void> result = group(g -> {
        task.set(g.spawn("call", script("a", 1_000).hedged(hedge(3, 10))));
        return Future.succeededFuture();
      });
      advance(25);
      onContext(() -> Future.succeededFuture(task.get().cancel()));
      await(result);
      assertThat(log).containsExactly("start a-1@0", "start a-2@10", "start a-3@20",
          "cancel a-1@25 EXPLICIT", "cancel a-2@25 EXPLICIT", "cancel a-3@25 EXPLICIT");
      assertNothingScheduled();
    }

    @RepeatedTest(3)
    void aCancellationDueAtTheSameTickAsTheHedgeDelayLeavesNoAttemptRunning() {
      AtomicReference<Task<String>> task = new AtomicReference<>();
      Future<Void> result = group(g -> {
        task.set(g.spawn("call", script("a", 1_000).hedged(hedge(2, 100))));
        g.spawn("canceller", scope -> scope.sleep(ms(100)).map(v -> task.get().cancel()).map(b -> "c"));
        return Future.succeededFuture();
      });
      advance(100);
      await(result);
      assertThat(task.get().state()).isEqualTo(TaskState.CANCELLED);
      long starts = log.stream().filter(l -> l.startsWith("start")).count();
      long cancels = log.stream().filter(l -> l.startsWith("cancel")).count();
      assertThat(cancels).as("every attempt started was cancelled: " + log).isEqualTo(starts);
      assertNothingScheduled();
    }

    @RepeatedTest(3)
    void aCancellationDueAtTheSameTickAsTheRetryBackoffStartsNoFurtherAttempt() {
      AtomicReference<Task<String>> task = new AtomicReference<>();
      Future<Void> result = group(g -> {
        task.set(g.spawn("call", script("a", -10).retried(retry(3, 100)))); // backoff 50: attempt 2 due at 60
        g.spawn("canceller", scope -> scope.sleep(ms(60)).map(v -> task.get().cancel()).map(b -> "c"));
        return Future.succeededFuture();
      });
      advance(60);
      await(result);
      long starts = log.stream().filter(l -> l.startsWith("start")).count();
      long cancels = log.stream().filter(l -> l.startsWith("cancel")).count();
      assertThat(starts - cancels).as("no attempt left running: " + log).isEqualTo(1);
      assertNothingScheduled();
    }

    @Test
    void aShieldStartedUnderAMovableDeadlineOutlivesIt() {
      Future<String> result = task(scope -> TaskGroup.withDeadline(scope, ms(50), (s, d) ->
          s.sleep(ms(1_000)).map("x").eventually(() -> TaskGroup.shield(s, ms(500), script("cleanup", 200)))));
      assertACleanupFrom50OutlivesTheDeadline(result, 200);
    }

    @Test
    void aShieldPastItsOwnTimeoutIsCancelledAndFailsItsTaskThoughItsGroupWasCancelled() {
      AtomicReference<TaskGroup> group = new AtomicReference<>();
      Future<String> result = group(g -> {
        group.set(g);
        g.spawn("audit", script("audit", 1_000).shielded(ms(100)));
        return Future.succeededFuture("body");
      });
      advance(10);
      group.get().cancel();
      advance(90);
      assertThat(onlyError(result)).isInstanceOf(TaskTimeoutException.class).hasMessageContaining("shielded step of 'audit' timed out after 100 ms");
      assertThat(log).containsExactly("start audit-1@0", "cancel audit-1@100 DEADLINE");
      assertNothingScheduled();
    }

    @RepeatedTest(5)
    void anAttemptThatSucceedsInsideTheCancelHookOfItsScopeEndsTheTaskOnce() {
      AtomicReference<Task<String>> task = new AtomicReference<>();
      TaskFn<String> succeedsOnCancel = scope -> {
        Promise<String> p = Promise.promise();
        scope.onCancel(c -> p.tryComplete("late-" + scope.attempt()));
        return p.future();
      };
      Future<Void> result = group(g -> {
        task.set(g.spawn("call", succeedsOnCancel.hedged(hedge(2, 10)).retried(retry(2, 10))));
        return Future.succeededFuture();
      });
      advance(15);
      onContext(() -> Future.succeededFuture(task.get().cancel()));
      await(result);
      assertThat(task.get().state()).isIn(TaskState.SUCCEEDED, TaskState.CANCELLED);
      assertThat(completion(task.get().future()).succeeded() ? task.get().state() : TaskState.CANCELLED).isEqualTo(task.get().state());
      assertNothingScheduled();
    }

    @Test
    void aQuorumInACancelledTaskFailsWithACancellationNotAnUndecidedQuorum() {
      AtomicReference<Task<List<String>>> task = new AtomicReference<>();
      Future<Void> result = group(g -> {
        task.set(g.spawn("call", scope -> TaskGroup.quorum(scope, 2, List.of(script("a", 100), script("b", 100), script("c", 100)))));
        return Future.succeededFuture();
      });
      advance(10);
      onContext(() -> Future.succeededFuture(task.get().cancel()));
      await(result);
      assertThat(task.get().state()).isEqualTo(TaskState.CANCELLED);
      assertThat(awaitFailure(task.get().future())).isInstanceOf(CancellationException.class);
      assertNothingScheduled();
    }

    @Test
    void aQuorumWhoseScopeIsCancelledBeforeItStartsNeverRunsItsTasks() {
      AtomicReference<Throwable> seen = new AtomicReference<>();
      Future<Void> result = group(g -> {
        g.spawn("call", scope -> {
          g.cancel();
          return TaskGroup.quorum(scope, 1, List.of(script("a", 100))).onFailure(seen::set);
        });
        return Future.succeededFuture();
      });
      await(result);
      assertThat(seen.get()).isInstanceOf(CancellationException.class);
      assertThat(log).isEmpty();
    }

    @Test
    void aQuorumWithAnOptionsDeadlineFailsWithTaskTimeoutException() {
      Future<List<String>> result = on(context, () -> TaskGroup.quorum(vertx, options().setTimeout(ms(50)), 2,
          List.of(script("a", 100), script("b", 100), script("c", 10))));
      advance(50);
      assertThat(onlyError(result)).isInstanceOf(TaskTimeoutException.class);
      assertNothingScheduled();
    }

    @Test
    void aSupervisedQuorumStillDecidesOnFailures() {
      List<String> supervised = new ArrayList<>();
      Future<List<String>> result = on(context, () -> TaskGroup.quorum(vertx,
          options().setSupervisor((t, e) -> supervised.add(t.name())), 2,
          List.of(script("a", -10), script("b", -20), script("c", 100))));
      advance(100);
      assertThat(awaitFailure(result)).isInstanceOf(TaskGroupException.class).hasMessageContaining("became impossible");
      assertNothingScheduled();
    }
  }

  @Nested
  class ErrorsFromUserCode {
    @Test
    void aRetriedAttemptThrowingStackOverflowErrorFailsTheTaskAndTheGroupEnds() {
      TaskFn<String> overflow = scope -> {
        throw new StackOverflowError("deep");
      };
      Future<String> result = task(overflow.retried(retry(3, 10)));
      advance(1_000);
      Throwable error = onlyError(result);
      assertThat(error).hasMessageContaining("gave up after 1 attempt: attempt 1 failed with an error not worth retrying");
      assertThat(((TaskGroupException) error).exceptions()).singleElement().isInstanceOf(StackOverflowError.class);
      assertNothingScheduled();
    }

    @Test
    void aHedgedAttemptThrowingOutOfMemoryErrorFailsTheTaskAndCancelsTheOthers() {
      TaskFn<String> fn = scope -> {
        log.add("start " + scope.attempt());
        scope.onCancel(c -> log.add("cancel " + scope.attempt()));
        if (scope.attempt() == 2) {
          throw new OutOfMemoryError("heap");
        }
        return scope.sleep(ms(1_000)).map("x");
      };
      Future<String> result = task(fn.hedged(hedge(3, 10)));
      advance(2_000);
      Throwable error = onlyError(result);
      assertThat(error).hasMessageContaining("attempt 2 failed with an error not handled");
      assertThat(((TaskGroupException) error).exceptions()).singleElement().isInstanceOf(OutOfMemoryError.class);
      assertThat(log).contains("cancel 1").doesNotContain("start 3");
      assertNothingScheduled();
    }

    @Test
    void aRetryOnPredicateThrowingStackOverflowErrorGivesUpWithIt() {
      Future<String> result = task(script("a", -10).retried(retry(3, 10).setRetryOn(e -> {
        throw new StackOverflowError("pred");
      })));
      advance(100);
      assertThat(((TaskGroupException) onlyError(result)).exceptions()).extracting(Throwable::getMessage)
          .containsExactly("a-1 failed", "pred");
      assertNothingScheduled();
    }

    @Test
    void aHandledOnPredicateThrowingOutOfMemoryErrorEndsTheHedgeWithIt() {
      Future<String> result = task(script("a", -10, 1_000).hedged(hedge(2, 100).setHandledOn(e -> {
        throw new OutOfMemoryError("pred");
      })));
      advance(2_000);
      Throwable error = onlyError(result);
      assertThat(error).hasMessageContaining("attempt 1 failed with an error not handled");
      assertThat(((TaskGroupException) error).exceptions()).extracting(Throwable::getMessage).containsExactly("a-1 failed", "pred");
      assertNothingScheduled();
    }

    /** {@return a random source whose every draw is {@code next}'s} */
    Random drawing(java.util.function.DoubleSupplier next) {
      return new Random() {
        @Override
        public double nextDouble() {
          return next.getAsDouble();
        }
      };
    }

    @Test
    void aRandomWhoseDrawThrowsGivesUpWithItAndKeepsTheAttemptsError() {
      Random broken = drawing(() -> {
        throw new StackOverflowError("random");
      });
      Future<String> result = task(script("a", -10).retried(retry(3, 10).setRandom(broken)));
      advance(1_000);
      assertThat(result.isComplete()).as("the group completed").isTrue();
      Throwable error = onlyError(result);
      assertThat(error).hasMessageContaining("gave up after 1 attempt: its random source threw");
      assertThat(((TaskGroupException) error).exceptions()).extracting(Throwable::getMessage).containsExactly("a-1 failed", "random");
      assertNothingScheduled();
    }

    @Test
    void aRandomDrawingOutsideZeroToOneStillEndsTheRetry() {
      Random broken = drawing(() -> -1);
      Future<String> result = task(script("a", -10).retried(retry(3, 10).setRandom(broken)));
      advance(1_000);
      assertThat(result.isComplete()).as("the group completed").isTrue();
      assertThat(onlyError(result)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("must not be negative");
      assertThat(log).containsExactly("start a-1@0");
      assertNothingScheduled();
    }

    @Test
    void aSupervisorThrowingStackOverflowErrorFailsTheGroupWithIt() {
      Future<String> result = group(options().setSupervisor((t, e) -> {
        throw new StackOverflowError("supervisor");
      }), g -> {
        g.spawn("flaky", scope -> Future.failedFuture(new IOException("x")));
        g.spawn("long", script("long", 1_000));
        return g.spawn("body", script("body", 2_000)).future();
      });
      advance(1);
      Throwable error = awaitFailure(result);
      assertThat(error).isInstanceOf(TaskGroupException.class);
      assertThat(((TaskGroupException) error).exceptions()).anyMatch(e -> e instanceof StackOverflowError);
      assertNothingScheduled();
    }

    @Test
    void aMovableDeadlineStepThrowingAnErrorFailsTheStep() {
      Future<String> result = task(scope -> TaskGroup.withDeadline(scope, ms(50), (s, d) -> {
        throw new StackOverflowError("step");
      }));
      Throwable error = onlyError(result);
      assertThat(error).isInstanceOf(StackOverflowError.class);
      assertNothingScheduled();
    }

    @Test
    void aShieldedStepThrowingAnErrorFailsTheShield() {
      Future<String> result = task(scope -> TaskGroup.shield(scope, ms(50), s -> {
        throw new OutOfMemoryError("shield");
      }));
      assertThat(onlyError(result)).isInstanceOf(OutOfMemoryError.class);
      assertNothingScheduled();
    }

    @Test
    void aCancelHookThrowingAnErrorWhileAQuorumCancelsItsLosersStillEndsTheQuorum() {
      TaskFn<String> bad = scope -> {
        scope.onCancel(c -> {
          throw new StackOverflowError("hook");
        });
        return scope.sleep(ms(1_000)).map("slow");
      };
      Future<List<String>> result = on(context, () -> TaskGroup.quorum(vertx, options(), 1, List.of(script("a", 10), bad)));
      advance(2_000);
      assertThat(onlyError(result)).isInstanceOf(StackOverflowError.class).hasMessage("hook");
      assertNothingScheduled();
    }

    @Test
    void aCancelHookThrowingAnErrorWhileTimeoutsSharingATimerExpireStillEndsEveryTask() {
      TaskFn<String> bad = scope -> {
        scope.onCancel(c -> {
          throw new StackOverflowError("hook");
        });
        return scope.sleep(ms(1_000)).map("slow");
      };
      List<Task<String>> tasks = new ArrayList<>();
      Future<String> result = group(g -> {
        tasks.add(g.spawn("bad", bad.withTimeout(ms(50))));
        tasks.add(g.spawn("plain", script("plain", 1_000).withTimeout(ms(50))));
        tasks.add(g.spawn("other", script("other", 1_000).withTimeout(ms(50))));
        return Future.succeededFuture("body");
      });
      advance(50);
      Throwable error = awaitFailure(result);
      assertThat(((TaskGroupException) error).exceptions()).anyMatch(e -> e instanceof StackOverflowError);
      assertThat(tasks).allMatch(t -> t.state() != TaskState.RUNNING && t.state() != TaskState.PENDING);
      assertNothingScheduled();
    }

    @Test
    void aLosersCancelHookThrowingAnErrorInsideAPatternsHedgeBlockStillEndsEveryHedge() {
      TaskFn<String> fn = scope -> {
        if (scope.attempt() == 1) {
          scope.onCancel(c -> {
            throw new StackOverflowError("hook");
          });
          return scope.sleep(ms(1_000)).map("slow");
        }
        return Future.succeededFuture("fast-" + scope.attempt());
      };
      Future<List<String>> result = on(context, () -> TaskGroup.all(vertx, options(),
          List.of(fn.hedged(hedge(2, 100)), fn.hedged(hedge(2, 100)), fn.hedged(hedge(2, 100)))));
      advance(100);
      assertThat(result.isComplete()).isTrue();
      assertThat(result.failed()).isTrue();
      assertThat(((TaskGroupException) result.cause()).exceptions()).anyMatch(e -> e instanceof StackOverflowError);
      advance(2_000);
      assertNothingScheduled();
    }

    @Test
    void aRetriedAttemptThrowingOutOfMemoryErrorFromItsBackoffTimerFailsTheTask() {
      TaskFn<String> fn = scope -> {
        if (scope.attempt() == 2) {
          throw new OutOfMemoryError("heap");
        }
        return Future.failedFuture(new IOException("first"));
      };
      Future<String> result = task(fn.retried(retry(3, 100)));
      advance(50);
      Throwable error = onlyError(result);
      assertThat(((TaskGroupException) error).exceptions()).extracting(Throwable::getMessage).containsExactly("first", "heap");
      assertNothingScheduled();
    }

    @Test
    void aStepThatMovesItsDeadlineFromACancelHookEndsNormally() {
      Future<String> result = task(scope -> TaskGroup.withDeadline(scope, ms(50), (s, d) -> {
        s.onCancel(c -> d.reset(ms(1_000)));
        return s.sleep(ms(10_000)).map("done");
      }));
      advance(50);
      assertThat(onlyError(result)).isInstanceOf(TaskTimeoutException.class);
      advance(2_000);
      assertNothingScheduled();
    }
  }
}
