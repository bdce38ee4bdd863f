package dev.taskgroup;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Future;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/**
 * A retried function spawned as a task's whole function, or as one of a pattern's, runs attempt 1
 * in the task's own scope ({@link AttemptTask}); the same function called from inside a task runs
 * every attempt in a child scope ({@link RetryFn#run}). All must behave alike; each test runs
 * every way.
 */
class RetriedTaskTest extends OnManualClock {
  final List<String> log = new ArrayList<>();

  static RetryOptions retry(int attempts) {
    return new RetryOptions().setMaxAttempts(attempts).setInitialDelay(ms(100)).setRandom(always(0.5));
  }

  /** How the retried function is run: as the task's function, or called by a lambda that is. */
  enum Way {
    SPAWNED, PATTERN, CALLED;

    <T> TaskFn<T> apply(TaskFn<T> retried) {
      return this == CALLED ? scope -> retried.run(scope) : retried;
    }

    String taskName() {
      return this == PATTERN ? "task-0" : "call";
    }
  }

  /** Runs {@code retried} as a spawned task's function named "call", as a pattern's only function, or called from one. */
  <T> Future<T> spawned(Way way, TaskFn<T> retried) {
    if (way == Way.PATTERN) {
      return on(context, () -> TaskGroup.all(vertx, options(), List.of(retried))).map(list -> list.get(0));
    }
    return group(g -> g.spawn("call", way.apply(retried)).future());
  }

  /** Attempt 1 binds a long sleep and a hook to its scope and fails at once; attempt 2 succeeds. */
  TaskFn<String> firstLeavesWorkBehind() {
    return scope -> {
      int n = scope.attempt();
      log.add("start " + n + "@" + nowMillis());
      if (n == 1) {
        scope.sleep(ms(10_000)).onFailure(e -> log.add("leftover of 1: " + ((TaskCancelledException) e).reason()
            + "@" + nowMillis()));
        scope.onCancel(c -> log.add("hook of 1 ran"));
        return Future.failedFuture(new IOException("boom-1"));
      }
      return Future.succeededFuture("ok-" + n);
    };
  }

  @Nested
  class FirstAttempt {
    @Test
    void whatTheFirstAttemptLeftBoundIsCancelledBeforeTheSecondStartsAndItsHooksAreDropped() {
      for (Way way : Way.values()) {
        log.clear();
        Future<String> result = spawned(way, firstLeavesWorkBehind().retried(retry(2)));
        advance(50);
        assertThat(await(result)).as(way.name()).isEqualTo("ok-2");
        assertThat(log).as(way.name()).containsExactly("start 1@" + (nowMillis() - 50), "leftover of 1: SCOPE_CLOSED@"
            + (nowMillis() - 50), "start 2@" + nowMillis());
      }
    }

    @Test
    void theFirstAttemptSeesNumberOneAndTheSecondNumberTwo() {
      for (Way way : Way.values()) {
        List<Integer> seen = new ArrayList<>();
        TaskFn<String> fn = scope -> {
          seen.add(scope.attempt());
          return seen.size() == 1 ? Future.failedFuture(new IOException("boom")) : Future.succeededFuture("ok");
        };
        Future<String> result = spawned(way, fn.retried(retry(2)));
        advance(50);
        assertThat(await(result)).isEqualTo("ok");
        assertThat(seen).as(way.name()).containsExactly(1, 2);
      }
    }

    @Test
    void aFirstAttemptThatThrowsIsRetried() {
      for (Way way : Way.values()) {
        AtomicReference<Integer> calls = new AtomicReference<>(0);
        TaskFn<String> fn = scope -> {
          calls.set(calls.get() + 1);
          if (scope.attempt() == 1) {
            throw new IOException("thrown");
          }
          return Future.succeededFuture("ok");
        };
        Future<String> result = spawned(way, fn.retried(retry(2)));
        advance(50);
        assertThat(await(result)).as(way.name()).isEqualTo("ok");
        assertThat(calls.get()).isEqualTo(2);
      }
    }

    @Test
    void aFirstAttemptThatReturnsNullFailsWithAMessageNamingItAndIsRetried() {
      for (Way way : Way.values()) {
        TaskFn<String> fn = scope -> scope.attempt() == 1 ? null : Future.failedFuture(new IOException("boom-2"));
        Future<String> result = spawned(way, fn.retried(retry(2)));
        advance(50);
        TaskGroupException group = (TaskGroupException) awaitFailure(result);
        TaskGroupException retry = (TaskGroupException) group.exceptions().get(0);
        assertThat(retry.exceptions()).extracting(Throwable::getMessage).as(way.name()).containsExactly(
            "the function of attempt 1 of '" + way.taskName() + "' returned null instead of a Future", "boom-2");
      }
    }
  }

  @Nested
  class CancellationAndBudget {
    @Test
    void cancellingTheTaskDuringTheFirstAttemptCancelsItsWorkAndStartsNoOther() {
      for (Way way : Way.values()) {
        log.clear();
        AtomicReference<Task<String>> task = new AtomicReference<>();
        TaskFn<String> fn = scope -> {
          log.add("start " + scope.attempt());
          return scope.sleep(ms(1_000)).map("late");
        };
        Future<Void> result = group(g -> {
          task.set(g.spawn("call", way.apply(fn.retried(retry(3)))));
          return Future.succeededFuture();
        });
        onContext(() -> {
          task.get().cancel();
          return Future.succeededFuture();
        });
        advance(2_000);
        await(result);
        assertThat(task.get().state()).as(way.name()).isEqualTo(TaskState.CANCELLED);
        assertThat(log).as(way.name()).containsExactly("start 1");
      }
    }

    @Test
    void theBudgetCountsEveryCallOfATasksRetriedFunction() {
      for (Way way : Way.values()) {
        RetryBudget budget = new RetryBudget(0.2, 0);
        TaskFn<String> ok = scope -> Future.succeededFuture("ok");
        await(group(g -> {
          for (int i = 0; i < 4; i++) {
            g.spawn(way.apply(ok.retried(retry(2).setBudget(budget))));
          }
          return Future.succeededFuture();
        }));
        assertThat(budget.available()).as(way.name()).isEqualTo(0.8);
      }
    }

    @Test
    void aRetriedTaskCancelledWhileQueuedNeverRunsAndCountsNothing() {
      RetryBudget budget = new RetryBudget(0.5, 0);
      List<String> ran = new ArrayList<>();
      TaskFn<String> fn = scope -> {
        ran.add("ran");
        return Future.succeededFuture("ok");
      };
      AtomicReference<Task<String>> queued = new AtomicReference<>();
      Future<Void> result = group(options().setMaxConcurrency(1), g -> {
        g.spawn(scope -> scope.sleep(ms(10)).map("first"));
        queued.set(g.spawn(fn.retried(retry(2).setBudget(budget))));
        queued.get().cancel();
        return Future.succeededFuture();
      });
      advance(10);
      await(result);
      assertThat(ran).isEmpty();
      assertThat(queued.get().state()).isEqualTo(TaskState.CANCELLED);
      assertThat(budget.available()).isZero();
    }
  }

  @Nested
  class Memory {
    @Test
    void aHundredThousandRetriedTasksLeaveNoDeadlineNodeOrHookBehind() {
      int chunks = 400;
      int perChunk = 250;
      AtomicReference<TaskGroup> group = new AtomicReference<>();
      io.vertx.core.Promise<Void> fed = io.vertx.core.Promise.promise();
      TaskFn<Integer> fn = scope -> {
        if (scope.attempt() == 1) {
          scope.sleep(ms(60_000)); // left bound by attempt 1: cancelled before attempt 2
          return Future.failedFuture(new IOException("boom"));
        }
        return scope.sleep(ms(1)).map(scope.attempt());
      };
      Future<Void> result = group(g -> {
        group.set(g);
        return fed.future();
      });
      for (int c = 0; c < chunks; c++) { // a chunk per turn of the loop, a millisecond apart
        onContext(() -> {
          for (int i = 0; i < perChunk; i++) {
            group.get().spawn(fn.retried(retry(2)));
          }
          return Future.succeededFuture();
        });
        advance(1);
      }
      int[] live = onContext(() -> Future.succeededFuture(new int[] {
          group.get().impl.deadlines.size(), group.get().impl.hookCount()}));
      assertThat(live[0]).as("the backoffs and second attempts still running, none of attempt 1's sleeps")
          .isLessThanOrEqualTo(51 * perChunk);
      for (int t = 0; t < 60; t++) {
        advance(1);
      }
      int[] after = onContext(() -> {
        fed.complete();
        return Future.succeededFuture(new int[] {
            group.get().impl.deadlines.size(), group.get().impl.hookCount(), group.get().impl.running()});
      });
      await(result);
      assertThat(after).as("deadline nodes, hooks and tasks left").containsExactly(0, 0, 0);
      assertThat(clock.pending()).as("timers left armed").isZero();
    }
  }
}
