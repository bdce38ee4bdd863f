package dev.taskgroup;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/** {@link TaskFn#retried}: backoff, giving up, cancellation, deadlines and the budget, on a manual clock. */
class RetryTest extends OnManualClock {
  /** When each attempt started (ms on the manual clock) and which number it saw. */
  final List<String> starts = new ArrayList<>();

  /** An attempt that notes its start, then fails with {@code boom-N} after {@code afterMs} (0: at once). */
  TaskFn<String> failing(long afterMs) {
    return scope -> {
      starts.add(scope.attempt() + "@" + nowMillis());
      IOException boom = new IOException("boom-" + scope.attempt());
      return afterMs == 0 ? Future.failedFuture(boom) : scope.sleep(ms(afterMs)).compose(v -> Future.failedFuture(boom));
    };
  }

  /** Fails its first {@code failures} attempts at once, then succeeds with "ok-N". */
  TaskFn<String> succeedingAfter(int failures) {
    return scope -> {
      starts.add(scope.attempt() + "@" + nowMillis());
      return scope.attempt() <= failures ? Future.failedFuture(new IOException("boom-" + scope.attempt()))
          : Future.succeededFuture("ok-" + scope.attempt());
    };
  }

  static RetryOptions retry(int attempts) {
    return new RetryOptions().setMaxAttempts(attempts).setInitialDelay(ms(100)).setRandom(always(0.5));
  }

  <T> Future<T> retriedTask(TaskFn<T> fn) {
    return group(g -> g.spawn("call", fn).future());
  }

  /** {@return the retry's own failure: the only error of the group its task ran in} */
  static TaskGroupException retryFailure(Future<?> result) {
    TaskGroupException group = (TaskGroupException) awaitFailure(result);
    assertThat(group.exceptions()).hasSize(1);
    return (TaskGroupException) group.exceptions().get(0);
  }

  static List<String> messages(Throwable error) {
    return ((TaskGroupException) error).exceptions().stream().map(Throwable::getMessage).toList();
  }

  @Nested
  class Backoff {
    @Test
    void theSecondAttemptStartsAfterTheJitteredShareOfTheInitialDelay() {
      Future<String> result = retriedTask(succeedingAfter(1).retried(retry(3)));
      advance(49);
      assertThat(starts).containsExactly("1@0");
      advance(1);
      assertThat(starts).containsExactly("1@0", "2@50");
      assertThat(await(result)).isEqualTo("ok-2");
    }

    @Test
    void theBoundGrowsByTheMultiplierUpToMaxDelay() {
      retriedTask(failing(0).retried(new RetryOptions().setMaxAttempts(5).setInitialDelay(ms(100))
          .setMultiplier(2).setMaxDelay(ms(300)).setRandom(always(0.999))));
      advance(2_000);
      assertThat(starts).containsExactly("1@0", "2@99", "3@298", "4@597", "5@896"); // +99, +199, +299, +299
    }

    @Test
    void aZeroInitialDelayRetriesAtOnce() {
      Future<String> result = retriedTask(succeedingAfter(2).retried(retry(3).setInitialDelay(ms(0)).setMaxDelay(ms(0))));
      assertThat(await(result)).isEqualTo("ok-3");
      assertThat(starts).containsExactly("1@0", "2@0", "3@0");
    }

    @Test
    void aLongChainOfAttemptsFailingSynchronouslyNeverOverflowsTheStack() {
      int n = 20_000;
      Future<String> result = retriedTask(((TaskFn<String>) scope -> Future.failedFuture(new IOException("no")))
          .retried(new RetryOptions().setMaxAttempts(n).setInitialDelay(ms(0)).setMaxDelay(ms(0))));
      assertThat(retryFailure(result).exceptions()).hasSize(n);
    }
  }

  @Nested
  class GivingUp {
    @Test
    void runningOutOfAttemptsFailsWithEveryAttemptsErrorInOrder() {
      Future<String> result = retriedTask(failing(0).retried(retry(3)));
      advance(1_000);
      Throwable error = retryFailure(result);
      assertThat(error).hasMessageStartingWith("'call' gave up after 3 attempts: no attempt left (maxAttempts 3)");
      assertThat(messages(error)).containsExactly("boom-1", "boom-2", "boom-3");
    }

    @Test
    void anErrorNotWorthRetryingEndsTheRetryAtOnce() {
      Future<String> result = retriedTask(failing(0).retried(retry(3).setRetryOn(e -> false)));
      Throwable error = retryFailure(result);
      assertThat(error).hasMessageStartingWith("'call' gave up after 1 attempt: attempt 1 failed with an error not worth retrying");
      assertThat(starts).containsExactly("1@0");
    }

    @Test
    void aRetryOnPredicateThatThrowsEndsTheRetryWithItsErrorAfterTheAttempts() {
      IllegalStateException bad = new IllegalStateException("predicate broke");
      Future<String> result = retriedTask(failing(0).retried(retry(3).setRetryOn(e -> {
        throw bad;
      })));
      assertThat(retryFailure(result).exceptions()).extracting(Throwable::getMessage).containsExactly("boom-1", "predicate broke");
    }

    @Test
    void anErrorIsNotRetriedByDefault() {
      Future<String> result = retriedTask(((TaskFn<String>) scope -> {
        starts.add("attempt");
        return Future.failedFuture(new AssertionError("bug"));
      }).retried(retry(3)));
      awaitFailure(result);
      assertThat(starts).hasSize(1);
    }
  }

  @Nested
  class Cancellation {
    @Test
    void cancellingDuringTheBackoffEndsTheSleepAtOnceAndStartsNoAttempt() {
      AtomicReference<Task<String>> task = new AtomicReference<>();
      Future<Void> result = group(g -> {
        task.set(g.spawn("call", failing(0).retried(retry(3))));
        return Future.succeededFuture();
      });
      advance(10);
      onContext(() -> Future.succeededFuture(task.get().cancel()));
      await(result);
      assertThat(task.get().state()).isEqualTo(TaskState.CANCELLED);
      assertThat(clock.pending()).as("no backoff timer left behind").isZero();
      advance(1_000);
      assertThat(starts).containsExactly("1@0");
    }

    @Test
    void cancellingDuringAnAttemptCancelsItsScopeAndEndsTheRetryWithTheCancellation() {
      List<TaskCancelledException> seen = new ArrayList<>();
      AtomicReference<Task<String>> task = new AtomicReference<>();
      Future<Void> result = group(g -> {
        task.set(g.spawn("call", ((TaskFn<String>) scope -> {
          Promise<String> p = Promise.promise();
          scope.onCancel(c -> {
            seen.add(c);
            p.fail(c);
          });
          return p.future();
        }).retried(retry(3))));
        return Future.succeededFuture();
      });
      onContext(() -> Future.succeededFuture(task.get().cancel()));
      await(result);
      assertThat(seen).singleElement().extracting(TaskCancelledException::reason).isEqualTo(CancelReason.EXPLICIT);
      assertThat(task.get().state()).isEqualTo(TaskState.CANCELLED);
    }
  }

  @Nested
  class Deadlines {
    @Test
    void noRetryStartsWhenLessThanMinRemainingWouldBeLeftAfterTheBackoff() {
      // attempts fail after 100 ms, backoffs are 50 ms, the deadline is at 400 ms: attempt 2 starts
      // at 150 with 250 ms left; attempt 3 would start at 300 with 100 ms left, under the minimum
      Future<String> result = retriedTask(failing(100).retried(retry(5).setMultiplier(1).setMinRemaining(ms(150)))
          .withTimeout(ms(400)));
      advance(1_000);
      Throwable error = retryFailure(result);
      assertThat(starts).containsExactly("1@0", "2@150");
      assertThat(error).hasMessageContaining("gave up after 2 attempts: after a backoff of 50 ms, 100 ms would be left before the deadline, less than the 150 ms an attempt needs (minRemaining)");
    }

    @Test
    void retriedThenTimedBoundsAllAttemptsAndBackoffsTogether() {
      Future<String> result = retriedTask(failing(100).retried(retry(5).setInitialDelay(ms(0)).setMaxDelay(ms(0)))
          .withTimeout(ms(250)));
      advance(1_000);
      Throwable error = awaitFailure(result);
      assertThat(starts).containsExactly("1@0", "2@100", "3@200");
      assertThat(((TaskGroupException) error).exceptions()).singleElement().isInstanceOf(TaskTimeoutException.class)
          .extracting(Throwable::getMessage).isEqualTo("task 'call' timed out after 250 ms");
    }

    @Test
    void timedThenRetriedBoundsEachAttemptAndRetriesItsTimeout() {
      Future<String> result = retriedTask(VertxTest.<String>untilCancelled().withTimeout(ms(100))
          .retried(retry(3).setInitialDelay(ms(0)).setMaxDelay(ms(0))));
      advance(1_000);
      assertThat(retryFailure(result).exceptions()).hasSize(3).allMatch(e -> e instanceof TaskTimeoutException);
      assertThat(nowMillis()).isEqualTo(1_000);
    }

    @Test
    void aRetryThatWouldStartAtTheDeadlineIsNotStarted() {
      Future<String> result = retriedTask(failing(0).retried(retry(3).setInitialDelay(ms(400)).setRandom(always(0.99)))
          .withTimeout(ms(300)));
      TaskGroupException error = retryFailure(result);
      assertThat(starts).containsExactly("1@0");
      assertThat(error).hasMessageContaining("after a backoff of 396 ms, 0 ms would be left");
    }
  }

  @Nested
  class Budget {
    @Test
    void anEmptyBudgetStopsTheRetries() {
      RetryBudget budget = new RetryBudget(0, 1);
      Future<String> result = retriedTask(failing(0).retried(retry(5).setBudget(budget)));
      advance(1_000);
      Throwable error = retryFailure(result);
      assertThat(starts).containsExactly("1@0", "2@50");
      assertThat(error).hasMessageContaining("gave up after 2 attempts: the retry budget is empty");
      assertThat(budget.available()).isZero();
    }

    @Test
    void callsRefillTheBudgetByTheirRatio() {
      RetryBudget budget = new RetryBudget(0.5, 0);
      TaskFn<String> fn = succeedingAfter(1).retried(retry(3).setBudget(budget));
      awaitFailure(group(g -> g.spawn("call", fn).future())); // 0.5 tokens: no retry
      assertThat(starts).containsExactly("1@0");
      Future<String> second = group(g -> g.spawn("call", fn).future()); // 1 token: one retry
      advance(100);
      assertThat(await(second)).isEqualTo("ok-2");
      assertThat(budget.available()).isZero();
    }
  }

  @Nested
  class Attempts {
    @Test
    void eachAttemptSeesItsNumberInsideNestedTimeoutsGroupsAndTasks() {
      List<Integer> seen = new ArrayList<>();
      TaskFn<String> fn = scope -> TaskGroup.run(scope, g -> g.spawn(((TaskFn<String>) s -> {
        seen.add(s.attempt());
        seen.add(g.attempt());
        return s.attempt() < 2 ? Future.failedFuture(new IOException("again")) : Future.succeededFuture("done");
      }).withTimeout(ms(1_000))).future());
      Future<String> result = retriedTask(fn.retried(retry(3)));
      advance(100);
      assertThat(await(result)).isEqualTo("done");
      assertThat(seen).containsExactly(1, 1, 2, 2);
    }

    @Test
    void aScopeOutsideAnyAttemptIsAttemptOne() {
      int seen = onContext(() -> TaskGroup.run(vertx, g -> g.spawn(s -> Future.succeededFuture(s.attempt() * 10 + g.attempt())).future()));
      assertThat(seen).isEqualTo(11);
    }
  }

  @Nested
  class Composition {
    @Test
    void aBackoffHoldsItsTasksSlotUnderMaxConcurrency() {
      List<String> order = new ArrayList<>();
      Future<Void> result = group(options().setMaxConcurrency(1), g -> {
        g.spawn("retried", succeedingAfter(1).retried(retry(2)));
        g.spawn("next", scope -> {
          order.add("next@" + nowMillis());
          return Future.succeededFuture("n");
        });
        return Future.succeededFuture();
      });
      advance(50);
      await(result);
      assertThat(starts).containsExactly("1@0", "2@50");
      assertThat(order).as("the queued task starts once the retried one, backoff included, settled").containsExactly("next@50");
    }

    @Test
    void aRetriedNestedGroupRunsAFreshGroupPerAttemptAndASiblingFailureCancelsTheBackoff() {
      List<Integer> groups = new ArrayList<>();
      TaskFn<String> nested = scope -> TaskGroup.run(scope, g -> {
        groups.add(g.attempt());
        return Future.failedFuture(new IOException("nested failed"));
      });
      AtomicReference<Task<String>> retried = new AtomicReference<>();
      Future<Void> result = group(g -> {
        retried.set(g.spawn("retried", nested.retried(retry(3))));
        g.spawn("sibling", failing(30));
        return Future.succeededFuture();
      });
      advance(100);
      TaskGroupException error = (TaskGroupException) awaitFailure(result);
      assertThat(groups).containsExactly(1);
      assertThat(retried.get().state()).as("its backoff was cut short by the sibling's failure").isEqualTo(TaskState.CANCELLED);
      assertThat(error.exceptions()).extracting(Throwable::getMessage).containsExactly("boom-1");
    }
  }
}
