package dev.taskgroup;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.Test;

/**
 * A hedged function as a task's whole function ({@link AttemptTask}): attempt 1 runs in the task's
 * own scope, later attempts beside it, the delay a membership in a block shared by the hedges a
 * spawn loop starts together. What the task, its scope, its group and the task tree see at each stage.
 * The behaviours all three ways share are {@link HedgeTest}'s (run each way by its subclasses).
 */
class HedgedTaskTest extends OnManualClock {
  final List<String> log = new ArrayList<>();

  static HedgeOptions hedge(int attempts, long delayMs) {
    return new HedgeOptions().setMaxAttempts(attempts).setDelay(ms(delayMs));
  }

  /** Attempt 1 runs until cancelled (a bound sleep) and logs its cancellation; attempt 2 succeeds after 50 ms. */
  TaskFn<String> slowFirst(AtomicReference<TaskScope> firstScope) {
    return scope -> {
      int n = scope.attempt();
      log.add("start " + n + "@" + nowMillis());
      if (n == 1) {
        firstScope.set(scope);
        scope.onCancel(c -> log.add("cancel 1@" + nowMillis() + " " + c.reason() + " cancelled=" + scope.isCancelled()));
        return scope.sleep(ms(10_000)).map("r-1");
      }
      scope.onCancel(c -> log.add("cancel " + n + "@" + nowMillis() + " " + c.reason()));
      return scope.sleep(ms(50)).map("r-" + n);
    };
  }

  @Nested
  class TheLosingFirstAttempt {
    @Test
    void isCancelledAsAScopeWhenAnotherAttemptWinsItsHooksRunAndTheTaskSucceedsWithTheWinner() {
      AtomicReference<Task<String>> task = new AtomicReference<>();
      Future<Void> result = group(g -> {
        task.set(g.spawn("call", slowFirst(new AtomicReference<>()).hedged(hedge(2, 100))));
        return Future.succeededFuture();
      });
      advance(150);
      await(result);
      assertThat(log).containsExactly("start 1@0", "start 2@100", "cancel 1@150 RACE_LOST cancelled=true");
      assertThat(task.get().state()).isEqualTo(TaskState.SUCCEEDED);
      assertThat(await(task.get().future())).isEqualTo("r-2");
    }

    @Test
    void refusesWorkItBindsAfterItsCancellationAndTheTaskCannotBeCancelledAnyMore() {
      AtomicReference<Task<String>> task = new AtomicReference<>();
      TaskFn<String> fn = scope -> {
        if (scope.attempt() == 2) {
          return scope.sleep(ms(50)).map("r-2");
        }
        Promise<String> late = Promise.promise(); // settles only after the hook below has looked around
        scope.onCancel(c -> {
          scope.bind(abort -> log.add("bound after the cancellation: " + abort.reason()));
          log.add("task " + task.get().state() + ", cancel() " + task.get().cancel());
          late.fail(c);
        });
        return late.future();
      };
      Future<Void> result = group(g -> {
        task.set(g.spawn("call", fn.hedged(hedge(2, 100))));
        return Future.succeededFuture();
      });
      advance(150);
      await(result);
      assertThat(log).containsExactly("bound after the cancellation: RACE_LOST", "task RUNNING, cancel() false");
      assertThat(task.get().state()).isEqualTo(TaskState.SUCCEEDED);
    }

    @Test
    void takesTheGroupItOpenedDownWithIt() {
      TaskFn<String> fn = scope -> {
        if (scope.attempt() == 2) {
          return scope.sleep(ms(50)).map("r-2");
        }
        return TaskGroup.run(scope, inner -> inner.spawn("inner", s -> {
          s.onCancel(c -> log.add("inner cancelled@" + nowMillis() + " " + c.reason()));
          return s.sleep(ms(10_000)).map("r-1");
        }).future());
      };
      Future<String> result = group(g -> g.spawn("call", fn.hedged(hedge(2, 100))).future());
      advance(150);
      assertThat(await(result)).isEqualTo("r-2");
      assertThat(log).containsExactly("inner cancelled@150 PARENT_CANCELLED");
    }

    @Test
    void inAPatternLeavesTheWinnersResultInItsSlot() {
      Future<List<String>> result = on(context, () -> TaskGroup.all(vertx, options(),
          List.of(slowFirst(new AtomicReference<>()).hedged(hedge(2, 100)))));
      advance(150);
      assertThat(await(result)).containsExactly("r-2");
    }
  }

  @Nested
  class Races {
    /**
     * A {@link Task#cancel()} from a foreign thread and attempt 2's success completed from another
     * one: whichever the group's context hears first wins, the task settles once, and attempt 1's
     * hook runs once either way.
     */
    @RepeatedTest(30)
    void aForeignCancelRacingTheSecondAttemptsWinSettlesTheTaskOnceWithOneOfThem() throws Exception {
      AtomicReference<Task<String>> task = new AtomicReference<>();
      AtomicReference<Promise<String>> second = new AtomicReference<>();
      AtomicInteger firstHooks = new AtomicInteger();
      TaskFn<String> fn = scope -> {
        if (scope.attempt() == 2) {
          Promise<String> p = Promise.promise();
          second.set(p);
          return p.future();
        }
        Promise<String> p = Promise.promise();
        scope.onCancel(c -> {
          firstHooks.incrementAndGet();
          p.fail(c);
        });
        return p.future();
      };
      Future<Void> result = group(g -> {
        task.set(g.spawn("call", fn.hedged(hedge(2, 100))));
        return Future.succeededFuture();
      });
      advance(100);
      CyclicBarrier go = new CyclicBarrier(2);
      ExecutorService two = Executors.newFixedThreadPool(2); // the common pool may have one thread: the barrier needs two
      boolean cancelWon;
      try {
        CompletableFuture<Boolean> cancelled = CompletableFuture.supplyAsync(() -> {
          awaitBarrier(go);
          return task.get().cancel();
        }, two);
        CompletableFuture<Void> won = CompletableFuture.runAsync(() -> {
          awaitBarrier(go);
          second.get().complete("r-2");
        }, two);
        cancelWon = cancelled.get(10, TimeUnit.SECONDS);
        won.get(10, TimeUnit.SECONDS);
      } finally {
        two.shutdownNow();
      }
      await(result);
      TaskState state = task.get().state();
      assertThat(state).isIn(TaskState.SUCCEEDED, TaskState.CANCELLED);
      if (!cancelWon) {
        assertThat(state).as("the hedge cancelled attempt 1 first: the win stands").isEqualTo(TaskState.SUCCEEDED);
      }
      if (state == TaskState.SUCCEEDED) {
        assertThat(await(task.get().future())).isEqualTo("r-2");
      }
      assertThat(firstHooks).hasValue(1);
    }

    private void awaitBarrier(CyclicBarrier barrier) {
      try {
        barrier.await(10, TimeUnit.SECONDS);
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    }
  }

  @Nested
  class AttemptsBeside {
    @Test
    void aFirstAttemptFailingWhileTheSecondRunsHasItsLeftoversCancelledButNotTheSecond() {
      TaskFn<String> fn = scope -> {
        int n = scope.attempt();
        log.add("start " + n + "@" + nowMillis());
        if (n == 1) {
          scope.sleep(ms(10_000)).onFailure(e -> log.add("leftover of 1: " + ((TaskCancelledException) e).reason() + "@" + nowMillis()));
          return scope.sleep(ms(150)).compose(v -> Future.failedFuture(new IOException("down")));
        }
        scope.onCancel(c -> log.add("cancel 2"));
        return scope.sleep(ms(200)).map("r-2");
      };
      Future<String> result = group(g -> g.spawn("call", fn.hedged(hedge(2, 100))).future());
      advance(300);
      assertThat(await(result)).isEqualTo("r-2");
      assertThat(log).containsExactly("start 1@0", "start 2@100", "leftover of 1: SCOPE_CLOSED@150");
    }

    @Test
    void cancellingTheTaskWhileTwoAttemptsRunCancelsBothInStartOrder() {
      AtomicReference<Task<String>> task = new AtomicReference<>();
      TaskFn<String> fn = scope -> {
        int n = scope.attempt();
        scope.onCancel(c -> log.add("cancel " + n + "@" + nowMillis() + " " + c.reason()));
        return scope.sleep(ms(10_000)).map("r-" + n);
      };
      Future<Void> result = group(g -> {
        task.set(g.spawn("call", fn.hedged(hedge(3, 100))));
        return Future.succeededFuture();
      });
      advance(150);
      onContext(() -> Future.succeededFuture(task.get().cancel()));
      await(result);
      advance(500);
      assertThat(log).containsExactly("cancel 1@150 EXPLICIT", "cancel 2@150 EXPLICIT");
      assertThat(task.get().state()).isEqualTo(TaskState.CANCELLED);
      assertThat(clock.pending()).as("the delay of attempt 3 is gone").isZero();
    }

    @Test
    void appearInTheTaskTreeBelowTheTask() {
      Promise<Void> release = Promise.promise();
      TaskFn<String> fn = scope -> scope.sleep(ms(10_000)).map("r");
      Future<Void> result = group(g -> {
        g.spawn("call", fn.hedged(hedge(2, 100)));
        return release.future();
      });
      advance(100);
      TaskTree tree = await(TaskTree.snapshot(vertx));
      List<TaskTree.Node> calls = tree.nodes().stream().filter(n -> n.name().equals("call")).toList();
      assertThat(calls).singleElement().satisfies(call -> {
        assertThat(call.kind()).isEqualTo(TaskTree.Kind.TASK);
        assertThat(call.state()).isEqualTo("RUNNING");
        assertThat(call.children()).extracting(TaskTree.Node::name).containsExactly("attempt 2 of 'call'");
      });
      onContext(() -> {
        release.complete();
        return Future.succeededFuture();
      });
      advance(10_000);
      await(result);
    }

    @Test
    void aFirstAttemptNestedInAnOuterAttemptSeesNumberOne() {
      List<Integer> seen = new ArrayList<>();
      TaskFn<String> inner = scope -> {
        seen.add(scope.attempt());
        return Future.succeededFuture("ok");
      };
      TaskFn<String> outer = scope -> scope.attempt() == 1 ? Future.failedFuture(new IOException("boom"))
          : TaskGroup.run(scope, g -> g.spawn(inner.hedged(hedge(2, 100))).future()
              .compose(v -> g.spawn(inner.retried(new RetryOptions().setMaxAttempts(2))).future()));
      Future<String> result = group(g -> g.spawn("outer", outer.retried(new RetryOptions().setMaxAttempts(2)
          .setInitialDelay(ms(10)).setRandom(always(0.5)))).future());
      advance(10);
      assertThat(await(result)).isEqualTo("ok");
      assertThat(seen).as("the hedge's and the retry's attempt 1, inside the outer retry's attempt 2").containsExactly(1, 1);
    }
  }

  @Nested
  class SharedDelay {
    /** Runs {@code n} hedged functions as one {@code TaskGroup.all}; attempt 1 waits for {@code release}, attempt 2 succeeds. */
    Future<List<String>> hedgedAll(int n, Promise<Void> release, AtomicReference<GroupImpl<?>> group, AtomicInteger seconds) {
      TaskFn<String> fn = scope -> {
        group.set(ScopeImpl.of(scope).group);
        if (scope.attempt() == 1) {
          return release.future().map("first"); // not scope-bound: only the hedge's own bookkeeping ends it
        }
        seconds.incrementAndGet();
        return Future.succeededFuture("second");
      };
      List<TaskFn<String>> fns = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        fns.add(fn.hedged(hedge(2, 100)));
      }
      return on(context, () -> TaskGroup.all(vertx, options(), fns));
    }

    @Test
    void thePatternsHedgesShareOneDeadlineNodePerBlockAndFireTogether() {
      Promise<Void> release = Promise.promise();
      AtomicReference<GroupImpl<?>> group = new AtomicReference<>();
      AtomicInteger seconds = new AtomicInteger();
      int n = 2 * HedgeFn.BLOCK + 10;
      Future<List<String>> result = hedgedAll(n, release, group, seconds);
      int[] nodes = onContext(() -> Future.succeededFuture(new int[] {group.get().deadlines.size(), clock.pending()}));
      assertThat(nodes).as("deadline nodes, timers").containsExactly(3, 1);
      advance(99);
      assertThat(seconds).hasValue(0);
      advance(1);
      assertThat(seconds).hasValue(n);
      onContext(() -> {
        release.complete();
        return Future.succeededFuture();
      });
      assertThat(await(result)).hasSize(n).containsOnly("second");
    }

    @Test
    void aBlockLeavesItsQueueWhenItsLastHedgeEnds() {
      Promise<Void> release = Promise.promise();
      Promise<String> keepOpen = Promise.promise();
      AtomicReference<GroupImpl<?>> group = new AtomicReference<>();
      TaskFn<String> fn = scope -> {
        group.set(ScopeImpl.of(scope).group);
        return release.future().map("first");
      };
      List<TaskFn<String>> fns = new ArrayList<>();
      for (int i = 0; i < 300; i++) {
        fns.add(fn.hedged(hedge(2, 100)));
      }
      fns.add(scope -> keepOpen.future());
      Future<List<String>> result = on(context, () -> TaskGroup.all(vertx, options(), fns));
      int[] sizes = onContext(() -> {
        int before = group.get().deadlines.size();
        release.complete();
        return Future.succeededFuture(new int[] {before, group.get().deadlines.size()});
      });
      assertThat(sizes).as("deadline nodes before and after every first attempt won").containsExactly(2, 0);
      onContext(() -> {
        keepOpen.complete("last");
        return Future.succeededFuture();
      });
      assertThat(await(result)).hasSize(301);
    }

    /**
     * Runs {@code all} over three hedges of one block (delay 100 ms, two attempts), attempt 1 of
     * task k waiting for {@code firsts[k]}; attempt 2 of task 0 first does {@code atTask0} with
     * {@code firsts}, while the delay's walk is at task 0; attempt 2 of task 1 succeeds at once,
     * or, if {@code task1SecondWaits}, only after the walk. The clock reaches the delay; attempts 1
     * of tasks 0 and 2 end after it. {@return the all's results}
     */
    private List<String> threeHedgesWhoseWalkAtTask0Does(Consumer<List<Promise<String>>> atTask0, boolean task1SecondWaits) {
      List<Promise<String>> firsts = List.of(Promise.promise(), Promise.promise(), Promise.promise());
      Promise<String> secondOf1 = Promise.promise();
      List<TaskFn<String>> fns = new ArrayList<>();
      for (int i = 0; i < 3; i++) {
        int k = i;
        TaskFn<String> fn = scope -> {
          if (scope.attempt() == 1) {
            return firsts.get(k).future(); // not scope-bound: completed by the test
          }
          log.add("second of " + k);
          if (k == 0) {
            atTask0.accept(firsts);
          }
          return k == 1 && task1SecondWaits ? secondOf1.future() : Future.succeededFuture("second");
        };
        fns.add(fn.hedged(hedge(2, 100)));
      }
      Future<List<String>> result = on(context, () -> TaskGroup.all(vertx, options(), fns));
      advance(100);
      onContext(() -> {
        firsts.get(0).complete("late");
        firsts.get(2).complete("late");
        secondOf1.complete("second");
        return Future.succeededFuture();
      });
      return await(result);
    }

    @Test
    void aSecondAttemptThatEndsAnotherHedgeOfItsBlockLeavesThatHedgeWithoutASecondAttempt() {
      // task 1's attempt 1 wins while the walk is at task 0
      List<String> results = threeHedgesWhoseWalkAtTask0Does(firsts -> firsts.get(1).complete("first"), false);
      assertThat(log).containsExactly("second of 0", "second of 2");
      assertThat(results).containsExactly("second", "first", "second");
    }

    @Test
    void aSecondAttemptThatFailsAnotherHedgesFirstAttemptDuringTheWalkGivesThatHedgeOneSecondAttemptOnly() {
      // task 1's attempt 1 fails while the walk is at task 0: task 1 leaves the block and starts
      // its attempt 2 at once, which still runs when the walk reaches task 1: it must not take it
      List<String> results = threeHedgesWhoseWalkAtTask0Does(firsts -> firsts.get(1).fail(new IllegalStateException("attempt 1 of 1 failed")), true);
      assertThat(log).containsExactly("second of 0", "second of 1", "second of 2");
      assertThat(results).containsExactly("second", "second", "second");
    }

    @Test
    void hedgesWithDifferentDelaysInOnePatternEachFireAfterTheirOwn() {
      Promise<Void> release = Promise.promise();
      List<TaskFn<String>> fns = new ArrayList<>();
      for (int i = 0; i < 6; i++) {
        long delay = i % 2 == 0 ? 100 : 300;
        TaskFn<String> fn = scope -> {
          if (scope.attempt() == 1) {
            return release.future().map("first");
          }
          log.add("second after " + delay + "@" + nowMillis());
          return Future.succeededFuture("second");
        };
        fns.add(fn.hedged(hedge(2, delay)));
      }
      fns.add(scope -> Future.succeededFuture("plain"));
      Future<List<String>> result = on(context, () -> TaskGroup.all(vertx, options(), fns));
      advance(100);
      assertThat(log).containsExactly("second after 100@100", "second after 100@100", "second after 100@100");
      advance(200);
      assertThat(log).hasSize(6).endsWith("second after 300@300", "second after 300@300", "second after 300@300");
      onContext(() -> {
        release.complete();
        return Future.succeededFuture();
      });
      assertThat(await(result)).containsExactly("second", "second", "second", "second", "second", "second", "plain");
    }

    @Test
    void hedgesWithDifferentOptionsAndOneDelayInOneBlockEachStartTheAttemptsOfTheirOwnOptions() {
      HedgeOptions three = hedge(3, 100);
      HedgeOptions two = hedge(2, 100);
      List<TaskFn<String>> fns = new ArrayList<>();
      for (int i = 0; i < 6; i++) {
        int k = i;
        TaskFn<String> fn = scope -> {
          log.add(k + ":" + scope.attempt() + "@" + nowMillis());
          return scope.sleep(ms(10_000)).map("r");
        };
        fns.add(fn.hedged(k % 3 == 0 ? two : three)); // tasks 0 and 3 of two, the rest of three: one block
      }
      Future<List<String>> result = on(context, () -> TaskGroup.all(vertx, options(), fns));
      advance(200);
      assertThat(log).filteredOn(e -> e.endsWith("@200"))
          .containsExactly("1:3@200", "2:3@200", "4:3@200", "5:3@200");
      assertThat(log).filteredOn(e -> e.endsWith("@100")).hasSize(6);
      advance(10_000);
      assertThat(await(result)).hasSize(6).containsOnly("r");
    }

    @Test
    void aHedgeOfAHedgeInAPatternRunsTheInnerHedgeAsItsSecondAttempt() {
      TaskFn<String> fn = scope -> {
        log.add(scope.attempt() + "@" + nowMillis());
        return scope.sleep(ms(10_000)).map("r");
      };
      TaskFn<String> twice = fn.hedged(hedge(2, 1_000)).hedged(hedge(2, 100));
      Future<List<String>> result = on(context, () -> TaskGroup.all(vertx, options(), List.of(twice, twice)));
      advance(100);
      // the outer hedge's attempt 2 is the inner hedge, whose own attempt 1 runs the function
      assertThat(log).containsExactly("1@0", "1@0", "1@100", "1@100");
      advance(10_000);
      assertThat(await(result)).containsExactly("r", "r");
    }

    @Test
    void aPatternOverItsConcurrencyLimitHedgesEveryTask() {
      TaskFn<String> fn = scope -> scope.attempt() == 1 ? scope.sleep(ms(10_000)).map("first") : Future.succeededFuture("second");
      Future<List<String>> result = on(context, () -> TaskGroup.all(vertx, options().setMaxConcurrency(1),
          List.of(fn.hedged(hedge(2, 100)), fn.hedged(hedge(2, 100)))));
      advance(100);
      advance(100);
      assertThat(await(result)).containsExactly("second", "second");
    }

    @Test
    void cancellingAPatternDuringTheDelayStartsNoSecondAttemptAndLeavesNoTimer() {
      AtomicReference<Task<List<String>>> outer = new AtomicReference<>();
      TaskFn<String> fn = scope -> {
        log.add("start " + scope.attempt());
        return scope.sleep(ms(10_000)).map("r");
      };
      Future<Void> result = group(g -> {
        outer.set(g.spawn("outer", scope -> TaskGroup.all(scope, List.of(fn.hedged(hedge(2, 100)), fn.hedged(hedge(2, 100))))));
        return Future.succeededFuture();
      });
      advance(50);
      onContext(() -> Future.succeededFuture(outer.get().cancel()));
      await(result);
      advance(500);
      assertThat(log).containsExactly("start 1", "start 1");
      assertThat(clock.pending()).isZero();
    }

    @Test
    void aLoneHedgeAmongManyPlainTasksHasItsDelayStampedOnceItsBlockOfIndexesHasStarted() {
      TaskFn<String> hedged = ((TaskFn<String>) scope -> {
        log.add("start " + scope.attempt() + "@" + nowMillis());
        return scope.attempt() == 1 ? scope.sleep(ms(10_000)).map("first") : Future.succeededFuture("second");
      }).hedged(hedge(2, 1_000));
      List<TaskFn<String>> fns = new ArrayList<>();
      fns.add(hedged);
      for (int i = 1; i < 600; i++) {
        fns.add(scope -> { // each start takes 1 ms of the manual clock; nothing falls due meanwhile
          clock.advance(ms(1));
          return Future.succeededFuture("plain");
        });
      }
      Future<List<String>> result = on(context, () -> TaskGroup.all(vertx, options(), fns));
      long loopEnded = onContext(() -> Future.succeededFuture(nowMillis())); // queued behind the loop on the context
      assertThat(loopEnded).as("the spawn loop's time").isEqualTo(599);
      advance(1_255 - 599);
      assertThat(log).as("stamped after index 255 started (255 ms), not when the loop ended (599 ms)")
          .containsExactly("start 1@0", "start 2@1255");
      assertThat(await(result)).startsWith("second");
    }
  }

  @Nested
  class AZeroDelay {
    TaskFn<String> answeringAtOnce() {
      return scope -> {
        log.add("start " + scope.attempt());
        return Future.succeededFuture("r-" + scope.attempt());
      };
    }

    @Test
    void startsNoOtherAttemptWhenTheFirstSucceedsWithinItsCall() {
      AtomicReference<Task<String>> task = new AtomicReference<>();
      Future<Void> result = group(g -> {
        task.set(g.spawn("call", answeringAtOnce().hedged(hedge(3, 0))));
        return Future.succeededFuture();
      });
      await(result);
      assertThat(log).containsExactly("start 1");
      assertThat(await(task.get().future())).isEqualTo("r-1");
    }

    @Test
    void startsNoOtherAttemptInAPatternWhenTheFirstSucceedsWithinItsCall() {
      Future<List<String>> result = on(context, () -> TaskGroup.all(vertx, options(),
          List.of(answeringAtOnce().hedged(hedge(3, 0)), answeringAtOnce().hedged(hedge(3, 0)))));
      assertThat(await(result)).containsExactly("r-1", "r-1");
      assertThat(log).containsExactly("start 1", "start 1");
    }

    @Test
    void startsNoOtherAttemptWhenTheFirstFailsWithinItsCallWithAnErrorItDoesNotHandle() {
      IllegalStateException bad = new IllegalStateException("bad request");
      TaskFn<String> fn = scope -> {
        log.add("start " + scope.attempt());
        throw bad;
      };
      AtomicReference<Task<String>> task = new AtomicReference<>();
      Future<Void> result = group(g -> {
        task.set(g.spawn("call", fn.hedged(hedge(3, 0).setHandledOn(e -> e instanceof IOException))));
        return Future.succeededFuture();
      });
      awaitFailure(result);
      assertThat(log).containsExactly("start 1");
      Throwable failure = awaitFailure(task.get().future());
      assertThat(failure).isInstanceOf(TaskGroupException.class);
      assertThat(((TaskGroupException) failure).exceptions()).containsExactly(bad);
    }
  }
}
