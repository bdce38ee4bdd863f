package dev.taskgroup;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.Test;

/**
 * The small task of the patterns ({@link PatternTask}, issue 15): kept in the pattern's array
 * instead of the group's live list, its hooks in a side array. Each test pins a behaviour that the
 * live list used to give for free.
 */
class PatternTaskTest extends VertxTest {

  /** A task that records its scope, then runs until cancelled. */
  private static <T> TaskFn<T> recording(List<TaskScope> scopes) {
    return scope -> {
      scopes.add(scope);
      return VertxTest.<T>untilCancelled().run(scope);
    };
  }

  @Nested
  class WhichKind {
    @Test
    void aPatternTaskThatCanStartAtOnceIsTheSmallKind() {
      List<TaskScope> scopes = new CopyOnWriteArrayList<>();
      TaskFn<String> record = scope -> {
        scopes.add(scope);
        return Future.succeededFuture("x");
      };
      assertThat(await(TaskGroup.all(vertx, List.of(record, record)))).containsExactly("x", "x");
      assertThat(scopes).allSatisfy(s -> assertThat(s).isInstanceOf(PatternTask.class));
    }

    @Test
    void aTaskThatWaitsForAFreeSlotIsAQueuedTaskAndTheResultsKeepInputOrder() {
      List<TaskScope> scopes = new CopyOnWriteArrayList<>();
      List<TaskFn<Integer>> fns = List.of(0, 1, 2, 3).stream().<TaskFn<Integer>>map(k -> scope -> {
        scopes.add(scope);
        return later(k).run(scope);
      }).toList();
      assertThat(await(TaskGroup.all(vertx, new TaskGroupOptions().setMaxConcurrency(2), fns))).containsExactly(0, 1, 2, 3);
      assertThat(scopes).hasSize(4);
      assertThat(scopes.subList(0, 2)).allSatisfy(s -> assertThat(s).isInstanceOf(PatternTask.class));
      assertThat(scopes.subList(2, 4)).allSatisfy(s -> assertThat(s).isExactlyInstanceOf(TaskImpl.class));
    }

    @Test
    void aTimedFunctionInAPatternIsATimedPatternTask() {
      AtomicReference<TaskScope> seen = new AtomicReference<>();
      TaskFn<String> timed = ((TaskFn<String>) scope -> {
        seen.set(scope);
        return Future.succeededFuture("t");
      }).withTimeout(Duration.ofSeconds(30));
      assertThat(await(TaskGroup.all(vertx, List.of(timed, later("p"))))).containsExactly("t", "p");
      assertThat(seen.get()).isInstanceOf(TimedPatternTask.class);
    }
  }

  @Nested
  class Hooks {
    @Test
    void aSettledPatternTaskHoldsNoHook() {
      AtomicReference<TaskScope> seen = new AtomicReference<>();
      TaskFn<String> hooked = scope -> {
        seen.set(scope);
        scope.onCancel(c -> {});
        scope.onCancel(c -> {});
        return later("a").run(scope);
      };
      assertThat(await(TaskGroup.gather(vertx, List.of(hooked, later("b"))))).hasSize(2);
      ScopeImpl scope = (ScopeImpl) seen.get();
      assertThat(scope.hookCount()).isZero();
      assertThat(scope.group.patternHooks).containsOnlyNulls();
    }

    @Test
    void aPatternWhoseTasksRegisterNoHookMakesNoSideArray() {
      AtomicReference<TaskScope> seen = new AtomicReference<>();
      TaskFn<String> plain = scope -> {
        seen.set(scope);
        return later("a").run(scope);
      };
      await(TaskGroup.all(vertx, List.of(plain, plain)));
      assertThat(((ScopeImpl) seen.get()).group.patternHooks).isNull();
    }

    @Test
    void theHooksOfEachPatternTaskRunInRegistrationOrderOnFailFast() {
      List<String> ran = new CopyOnWriteArrayList<>();
      TaskFn<String> first = scope -> {
        scope.onCancel(c -> ran.add("0a"));
        scope.onCancel(c -> ran.add("0b"));
        return VertxTest.<String>untilCancelled().run(scope);
      };
      TaskFn<String> second = scope -> {
        scope.onCancel(c -> ran.add("1a"));
        return VertxTest.<String>untilCancelled().run(scope);
      };
      awaitFailure(TaskGroup.all(vertx, List.of(first, second, failingLater(new IOException("boom")))));
      assertThat(ran).containsExactly("0a", "0b", "1a");
    }

    @Test
    void aHookRemovedByAnEarlierHookOfTheSameTaskNeverRuns() {
      List<String> ran = new CopyOnWriteArrayList<>();
      TaskFn<String> task = scope -> {
        AtomicReference<Registration> later = new AtomicReference<>();
        scope.onCancel(c -> {
          ran.add("first");
          later.get().remove();
        });
        later.set(scope.onCancel(c -> ran.add("second")));
        scope.onCancel(c -> ran.add("third"));
        return VertxTest.<String>untilCancelled().run(scope);
      };
      awaitFailure(TaskGroup.all(vertx, List.of(task, failingLater(new IOException("boom")))));
      assertThat(ran).containsExactly("first", "third");
    }
  }

  @Nested
  class Cancellation {
    @Test
    void failFastReachesPatternTasksTimedTasksAndQueuedTasksAlike() {
      List<CancelReason> reasons = new CopyOnWriteArrayList<>();
      TaskFn<String> watched = scope -> {
        scope.onCancel(c -> reasons.add(c.reason()));
        return VertxTest.<String>untilCancelled().run(scope);
      };
      IOException boom = new IOException("boom");
      List<TaskFn<String>> fns = List.of(watched, watched.withTimeout(Duration.ofSeconds(30)), failingLater(boom), watched, watched);
      Throwable error = awaitFailure(TaskGroup.all(vertx, new TaskGroupOptions().setMaxConcurrency(4), fns));
      assertThat(((TaskGroupException) error).exceptions()).containsExactly(boom);
      // the three that ran (two pattern tasks, one timed) were cancelled; the queued fifth never started
      assertThat(reasons).containsExactly(CancelReason.SIBLING_FAILED, CancelReason.SIBLING_FAILED, CancelReason.SIBLING_FAILED);
    }

    @Test
    void aCancelledPatternTaskReadsAsCancelledFromAnotherThread() {
      List<TaskScope> scopes = new CopyOnWriteArrayList<>();
      awaitFailure(TaskGroup.all(vertx, List.of(recording(scopes), failingLater(new IOException("boom")))));
      TaskScope scope = scopes.get(0);
      assertThat(scope.isCancelled()).isTrue();
      assertThat(scope.cancellation().reason()).isEqualTo(CancelReason.SIBLING_FAILED);
      assertThat(scope.isFinished()).isTrue();
    }

    @Test
    void aPatternTaskThatSettledBeforeTheFailureIsNotCancelled() {
      List<TaskScope> scopes = new CopyOnWriteArrayList<>();
      TaskFn<String> quick = scope -> {
        scopes.add(scope);
        return Future.succeededFuture("q");
      };
      awaitFailure(TaskGroup.all(vertx, List.of(quick, failingLater(new IOException("boom")))));
      assertThat(scopes.get(0).isCancelled()).isFalse();
    }

    @Test
    void aResultThatIsAnotherTasksScopeIsNotTakenForThatTask() {
      List<TaskScope> scopes = new CopyOnWriteArrayList<>();
      List<CancelReason> reasons = new CopyOnWriteArrayList<>();
      TaskFn<Object> waiting = scope -> {
        scopes.add(scope);
        scope.onCancel(c -> reasons.add(c.reason()));
        return untilCancelled().run(scope);
      };
      Promise<Void> started = Promise.promise();
      TaskFn<Object> returnsTheFirstScope = scope -> {
        started.complete();
        return Future.succeededFuture(scopes.get(0));
      };
      Context context = vertx.getOrCreateContext();
      Promise<Void> listed = Promise.promise();
      Future<List<Object>> all = on(context, () -> TaskGroup.all(vertx, new TaskGroupOptions().setName("mixed"),
          List.of(waiting, returnsTheFirstScope, scope -> listed.future().compose(v -> Future.failedFuture(new IOException("boom"))))));
      await(started.future());
      TaskTree tree = await(TaskTree.snapshot(vertx));
      TaskTree.Node group = tree.nodes().stream().filter(n -> n.name().equals("mixed")).findFirst().orElseThrow();
      assertThat(group.running()).isEqualTo(2);
      assertThat(group.children()).extracting(TaskTree.Node::name).containsExactly("task-0", "task-2");
      context.runOnContext(v -> listed.complete());
      awaitFailure(all);
      assertThat(reasons).containsExactly(CancelReason.SIBLING_FAILED); // once, though two slots held the task
    }
  }

  /** Found in review of the pattern tasks: each pins what the live list gave before. */
  @Nested
  class AfterReview {
    @Test
    void siblingsOfBothKindsAreCancelledInTheirStartOrder() {
      List<Integer> cancelled = new CopyOnWriteArrayList<>();
      Promise<Void> lastStarted = Promise.promise();
      List<TaskFn<String>> fns = List.of(later("done"), hooked(1, cancelled, null), hooked(2, cancelled, null),
          hooked(3, cancelled, lastStarted)); // the fourth waits for the first's slot: an ordinary task
      Future<Void> outer = TaskGroup.run(vertx, g -> {
        Future<List<String>> all = TaskGroup.all(g, new TaskGroupOptions().setMaxConcurrency(3), fns);
        lastStarted.future().onComplete(v -> g.cancel());
        return all.otherwiseEmpty().mapEmpty();
      });
      await(outer);
      assertThat(cancelled).containsExactly(1, 2, 3);
    }

    private TaskFn<String> hooked(int index, List<Integer> cancelled, Promise<Void> started) {
      return scope -> {
        scope.onCancel(c -> cancelled.add(index));
        if (started != null) {
          started.complete();
        }
        return VertxTest.<String>untilCancelled().run(scope);
      };
    }

    @RepeatedTest(5)
    void remainingReadOnAnotherThreadDuringTheSpawnLoopNeitherHangsNorExpiresEarly() throws Exception {
      int n = 20_000;
      java.util.concurrent.ExecutorService reader = java.util.concurrent.Executors.newSingleThreadExecutor();
      try {
        AtomicReference<TaskScope> first = new AtomicReference<>();
        java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
        java.util.concurrent.atomic.AtomicLong reads = new java.util.concurrent.atomic.AtomicLong();
        java.util.concurrent.CountDownLatch reading = new java.util.concurrent.CountDownLatch(1);
        List<TaskFn<Integer>> fns = new java.util.ArrayList<>();
        for (int i = 0; i < n; i++) {
          int k = i;
          fns.add(((TaskFn<Integer>) scope -> {
            if (k == 0) { // the first task's scope is read from another thread while the loop runs on
              first.set(scope);
              reader.execute(() -> {
                reading.countDown();
                while (!stop.get()) {
                  scope.remaining();
                  reads.incrementAndGet();
                }
              });
              try {
                reading.await();
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
              }
            }
            return later(k).run(scope);
          }).withTimeout(Duration.ofSeconds(30)));
        }
        List<Integer> results = await(TaskGroup.all(vertx, fns));
        stop.set(true);
        assertThat(results).hasSize(n).startsWith(0, 1, 2).endsWith(n - 1); // none timed out early
        assertThat(reads.get()).isPositive();
      } finally {
        stop(reader);
      }
    }

    private void stop(java.util.concurrent.ExecutorService reader) throws InterruptedException {
      reader.shutdownNow();
      assertThat(reader.awaitTermination(5, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
    }

    @Test
    void aRaceKeepsNoOutcomeOfALoserThatSucceededLate() {
      Context context = vertx.getOrCreateContext();
      Promise<Void> release = Promise.promise();
      AtomicReference<java.lang.ref.WeakReference<Object>> late = new AtomicReference<>();
      Promise<Void> lateSettled = Promise.promise();
      TaskFn<Object> winner = later("win");
      TaskFn<Object> lateLoser = scope -> { // ignores its cancellation, succeeds anyway
        Object big = new byte[1 << 20];
        late.set(new java.lang.ref.WeakReference<>(big));
        Promise<Object> p = Promise.promise();
        context.runOnContext(v -> context.runOnContext(w -> {
          p.complete(big);
          lateSettled.complete();
        }));
        return p.future();
      };
      TaskFn<Object> stubborn = scope -> release.future().map(v -> (Object) "never mind"); // keeps the group open
      Future<Object> race = on(context, () -> TaskGroup.race(vertx, List.of(winner, lateLoser, stubborn)));
      await(lateSettled.future());
      for (int i = 0; i < 20 && late.get().get() != null; i++) {
        System.gc();
      }
      assertThat(late.get().get()).as("the late loser's result, while the group still waits for a task").isNull();
      context.runOnContext(v -> release.complete());
      assertThat(await(race)).isEqualTo("win");
    }
  }

  @Nested
  class TheTree {
    @Test
    void aRunningPatternListsItsTasksByIndexWithTheirState() {
      Context context = vertx.getOrCreateContext();
      Promise<String> release = Promise.promise();
      TaskFn<String> waits = scope -> release.future();
      Promise<Void> started = Promise.promise();
      TaskFn<String> quick = scope -> {
        started.complete();
        return Future.succeededFuture("done");
      };
      Future<List<String>> all = on(context, () -> TaskGroup.all(vertx, new TaskGroupOptions().setName("fan"),
          List.of(waits, quick, waits)));
      await(started.future());
      TaskTree.Node group = await(TaskTree.snapshot(vertx)).nodes().stream().filter(n -> n.name().equals("fan")).findFirst().orElseThrow();
      assertThat(group.running()).isEqualTo(2);
      assertThat(group.children()).extracting(TaskTree.Node::name, TaskTree.Node::state)
          .containsExactly(org.assertj.core.groups.Tuple.tuple("task-0", "RUNNING"), org.assertj.core.groups.Tuple.tuple("task-2", "RUNNING"));
      context.runOnContext(v -> release.complete("r"));
      assertThat(await(all)).containsExactly("r", "done", "r");
    }
  }
}
