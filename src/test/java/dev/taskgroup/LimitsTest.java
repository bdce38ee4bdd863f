package dev.taskgroup;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.io.IOException;
import java.lang.ref.WeakReference;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/**
 * No size breaks a group (issue 9): depth is bounded by memory, never by the thread stack; cost is
 * linear in the number of errors; memory follows what is alive; a fatal error is never buried.
 * Every shape here hung silently before (a StackOverflowError swallowed by Vert.x's dispatch).
 */
class LimitsTest extends VertxTest {
  static final int LINKS = 1_000_000;
  static final int LEVELS = Integer.getInteger("limits.levels", 100_000);
  /**
   * Spawns per event-loop turn when a test builds a huge shape: a turn (a few ms idle) stays far
   * below the health limit even on a machine ten times slower or busier.
   */
  static final int PER_TURN = 5_000;

  /** {@return a group named "g" on {@code context} whose body is {@code body}} */
  <R> Future<R> runOn(Context context, Function<TaskGroup, Future<R>> body) {
    return on(context, () -> TaskGroup.run(vertx, new TaskGroupOptions().setName("g"), body));
  }

  /** Calls {@code build} for 0..n-1 on {@code context}, {@link #PER_TURN} calls per turn; {@return when done} */
  static Future<Void> inTurns(Context context, int n, java.util.function.IntConsumer build) {
    Promise<Void> done = Promise.promise();
    int[] next = {0};
    Runnable[] turn = new Runnable[1];
    turn[0] = () -> context.runOnContext(v -> {
      int end = Math.min(n, next[0] + PER_TURN);
      for (; next[0] < end; next[0]++) {
        build.accept(next[0]);
      }
      if (next[0] == n) {
        done.complete();
      } else {
        turn[0].run();
      }
    });
    turn[0].run();
    return done.future();
  }

  @Nested
  class Depth {
    @Test
    void aMillionTasksEachAwaitingThePreviousComplete() {
      Context context = vertx.getOrCreateContext();
      Promise<Integer> head = Promise.promise();
      Promise<Void> built = Promise.promise();
      AtomicReference<Task<Integer>> last = new AtomicReference<>();
      AtomicInteger spawned = new AtomicInteger();
      AtomicInteger linked = new AtomicInteger();
      Future<Integer> result = runOn(context, g -> {
        Task<Integer> first = g.spawn(s -> head.future());
        last.set(first);
        inTurns(context, LINKS - 1, i -> {
          spawned.incrementAndGet();
          Task<Integer> before = last.get();
          last.set(g.spawn(s -> before.future().map(v -> {
            linked.incrementAndGet();
            return v + 1;
          })));
        }).onComplete(built);
        return built.future().compose(v -> last.get().future());
      });
      awaitProgressing(built.future(), spawned::get);
      context.runOnContext(v -> head.complete(1));
      assertThat(awaitProgressing(result, linked::get)).isEqualTo(LINKS);
    }

    @Test
    void aMillionTasksEachSpawningTheNextFromItsFunctionComplete() {
      Context context = vertx.getOrCreateContext();
      AtomicInteger ran = new AtomicInteger();
      Future<Void> result = runOn(context, g -> {
        g.spawn(new TaskFn<Integer>() {
          @Override
          public Future<Integer> run(TaskScope scope) {
            if (ran.incrementAndGet() < LINKS) {
              g.spawn(this);
            }
            return Future.succeededFuture(1);
          }
        });
        return Future.succeededFuture();
      });
      awaitProgressing(result, ran::get);
      assertThat(ran).hasValue(LINKS);
    }

    @Test
    void aMillionTasksEachSpawningTheNextAsItSettlesComplete() {
      Context context = vertx.getOrCreateContext();
      AtomicInteger ran = new AtomicInteger();
      Future<Void> result = runOn(context, g -> {
        TaskFn<Integer> link = new TaskFn<>() {
          @Override
          public Future<Integer> run(TaskScope scope) {
            Promise<Integer> p = Promise.promise();
            if (ran.incrementAndGet() == 1) {
              context.runOnContext(v -> p.complete(1)); // the first settles later: the rest unwinds at once
            } else {
              p.complete(1);
            }
            return p.future().andThen(ar -> {
              if (ran.get() < LINKS) {
                g.spawn(this);
              }
            });
          }
        };
        g.spawn(link);
        return Future.succeededFuture();
      });
      awaitProgressing(result, ran::get);
      assertThat(ran).hasValue(LINKS);
    }

    /** Each level opens a group in its task's function; {@return the future of level {@code level}} */
    Future<Integer> nest(TaskScope scope, int level, int levels, Promise<Void> leafRelease) {
      return TaskGroup.run(scope, g -> {
        Task<Integer> t = g.spawn(s -> level == levels ? leafRelease.future().map(levels) : nest(s, level + 1, levels, leafRelease));
        return t.future();
      });
    }

    @Test
    void groupsNestedAHundredThousandLevelsDeepComplete() {
      Context context = vertx.getOrCreateContext();
      Promise<Void> leaf = Promise.promise();
      Future<Integer> result = runOn(context, g -> g.spawn(s -> nest(s, 1, LEVELS, leaf)).future());
      context.runOnContext(v -> leaf.complete());
      assertThat(await(result)).isEqualTo(LEVELS);
    }

    @Test
    void cancellingATreeAHundredThousandGroupsDeepReachesTheLeafAndCompletesCleanly() {
      Context context = vertx.getOrCreateContext();
      AtomicReference<CancelReason> leafReason = new AtomicReference<>();
      AtomicReference<TaskGroup> top = new AtomicReference<>();
      Promise<Void> leafStarted = Promise.promise();
      TaskFn<Integer> leaf = s -> {
        s.onCancel(c -> leafReason.set(c.reason()));
        leafStarted.tryComplete();
        return VertxTest.<Integer>untilCancelled().run(s);
      };
      Future<Integer> result = runOn(context, g -> {
        top.set(g);
        return g.spawn(new TaskFn<Integer>() {
          int level;

          @Override
          public Future<Integer> run(TaskScope scope) {
            return TaskGroup.run(scope, inner -> inner.spawn(++level < LEVELS ? this : leaf).future());
          }
        }).future().otherwise(0);
      });
      await(leafStarted.future());
      context.runOnContext(v -> top.get().cancel());
      assertThat(await(result)).isZero();
      assertThat(leafReason.get()).isEqualTo(CancelReason.PARENT_CANCELLED);
    }

    @Test
    void aMillionHooksEachCancellingTheNextTaskCancelEveryTask() {
      Context context = vertx.getOrCreateContext();
      int n = LINKS;
      List<Task<Void>> tasks = new ArrayList<>(n);
      AtomicInteger spawned = new AtomicInteger();
      AtomicInteger hooksRun = new AtomicInteger();
      Promise<Void> built = Promise.promise();
      Future<Void> result = runOn(context, g -> {
        inTurns(context, n, i -> tasks.add(g.<Void>spawn(s -> {
          spawned.incrementAndGet();
          s.onCancel(c -> {
            hooksRun.incrementAndGet();
            if (i + 1 < n) {
              tasks.get(i + 1).cancel();
            }
          });
          return VertxTest.<Void>untilCancelled().run(s);
        }))).onComplete(built);
        return built.future();
      });
      awaitProgressing(built.future(), spawned::get);
      context.runOnContext(v -> tasks.get(0).cancel());
      awaitProgressing(result, hooksRun::get);
      assertThat(hooksRun).hasValue(n);
      assertThat(tasks).allMatch(t -> t.state() == TaskState.CANCELLED);
    }

    @Test
    void aHundredThousandNestedTimeoutsExpireAndFailWithTheOutermostTimeout() {
      ManualTimers clock = new ManualTimers();
      Context context = vertx.getOrCreateContext();
      TaskFn<String> fn = untilCancelled();
      for (int i = 0; i < LEVELS; i++) {
        fn = fn.withTimeout(Duration.ofMillis(10 + i % 7));
      }
      TaskFn<String> nested = fn;
      Future<String> result = on(context, () -> TaskGroup.run(vertx, clock.options(), g -> g.spawn(nested).future()));
      await(call(context, () -> {
        clock.advance(Duration.ofMillis(100));
        return null;
      }));
      Throwable error = awaitFailure(result);
      assertThat(error).isInstanceOf(TaskGroupException.class);
      assertThat(((TaskGroupException) error).exceptions()).singleElement().isInstanceOf(TaskTimeoutException.class);
    }

    @Test
    void aHundredThousandNestedTimeoutsPrintInBoundedSpace() {
      TaskFn<String> fn = s -> Future.succeededFuture("x");
      for (int i = 0; i < LEVELS; i++) {
        fn = fn.withTimeout(Duration.ofSeconds(Long.MAX_VALUE));
      }
      assertThat(fn.toString()).hasSizeLessThan(1_000).contains("99997 more timeouts");
    }

    @Test
    void remainingTimeAHundredThousandLevelsDeepIsTheNearestDeadline() {
      Context context = vertx.getOrCreateContext();
      TaskGroupOptions deadline = new TaskGroupOptions().setTimeout(Duration.ofHours(1));
      Future<Boolean> result = on(context, () -> TaskGroup.run(vertx, deadline, g -> g.spawn(new TaskFn<Boolean>() {
        int level;

        @Override
        public Future<Boolean> run(TaskScope scope) {
          if (++level == LEVELS) {
            return Future.succeededFuture(scope.remaining().orElseThrow().compareTo(Duration.ofHours(1)) <= 0);
          }
          return TaskGroup.run(scope, inner -> inner.spawn(this).future());
        }
      }).future()));
      assertThat(await(result)).isTrue();
    }
  }

  @Nested
  class Errors {
    @Test
    void aHundredThousandFailingTasksAreEachRecordedOnce() {
      Context context = vertx.getOrCreateContext();
      int n = 100_000;
      // Made here, not on the event loop: filling in 100,000 stack traces is the test's cost, not the library's.
      List<IOException> cleanups = new ArrayList<>(n);
      for (int i = 0; i < n; i++) {
        cleanups.add(new IOException("cleanup " + i));
      }
      IOException first = new IOException("first");
      Promise<Void> built = Promise.promise();
      Future<Void> result = runOn(context, g -> {
        inTurns(context, n, k -> g.spawn(s -> {
          Promise<Void> p = Promise.promise();
          s.onCancel(c -> p.fail(cleanups.get(k))); // every sibling fails in its cleanup
          if (k == n - 1) {
            context.runOnContext(v -> p.tryFail(first));
          }
          return p.future();
        })).onComplete(built);
        return built.future();
      });
      TaskGroupException error = (TaskGroupException) awaitFailure(result);
      assertThat(error.exceptions()).hasSize(n);
      assertThat(error.getMessage()).isEqualTo("task group 'g' failed (100000 errors), first: IOException: first");
    }

    @Test
    void theSameErrorPassedOnByTheBodyIsRecordedOnceAmongMany() {
      Context context = vertx.getOrCreateContext();
      IOException shared = new IOException("shared");
      Future<Void> result = runOn(context, g -> {
        List<Future<Void>> all = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
          int k = i;
          all.add(g.<Void>spawn(failingLater(k == 19 ? shared : new IOException("e" + k))).future());
        }
        return Future.join(all).transform(ar -> Future.failedFuture(shared));
      });
      TaskGroupException error = (TaskGroupException) awaitFailure(result);
      assertThat(error.exceptions()).filteredOn(e -> e == shared).hasSize(1);
    }

    @Test
    void errorsNestedThirtyThousandGroupsDeepSplitAndSelectWithoutOverflowing() {
      IOException leaf = new IOException("leaf");
      IllegalStateException other = new IllegalStateException("other");
      TaskGroupException e = new TaskGroupException("level 0", List.of(leaf, other));
      // 30,000: three times what a recursive split survives on a default stack, and each level
      // of each side is a new exception with its stack trace (100,000 took 7 s on a busy machine).
      for (int i = 1; i < 30_000; i++) {
        e = new TaskGroupException("level " + i, List.of(e));
      }
      TaskGroupException.Split split = e.split(x -> x instanceof IOException);
      assertThat(DeepShapesProperties.deepest(split.matched())).containsExactly(leaf);
      assertThat(DeepShapesProperties.deepest(split.rest())).containsExactly(other);
      assertThat(DeepShapesProperties.deepest(e.subgroup(x -> x instanceof IllegalStateException))).containsExactly(other);
    }

    @Test
    void aFailureAThousandGroupsDeepHasAMessageOfBoundedSize() {
      Context context = vertx.getOrCreateContext();
      int levels = 1_000;
      Future<Void> result = runOn(context, g -> g.<Void>spawn(new TaskFn<>() {
        int level;

        @Override
        public Future<Void> run(TaskScope scope) {
          if (++level == levels) {
            return Future.failedFuture(new IOException("leaf broke"));
          }
          return TaskGroup.run(scope, new TaskGroupOptions().setName("level-" + level), inner -> inner.spawn(this).future());
        }
      }).future());
      Throwable error = awaitFailure(result);
      assertThat(error.getMessage()).hasSizeLessThan(500);
      long retained = 0;
      for (Throwable e = error; e != null; e = e.getCause()) {
        retained += e.getMessage().length();
      }
      assertThat(retained).as("characters of every message down the chain").isLessThan(levels * 500L);
    }

    @Test
    void aCancellationPassedDownAHundredThousandLevelsNamesTheRootNotTheChain() {
      Context context = vertx.getOrCreateContext();
      AtomicReference<TaskCancelledException> atLeaf = new AtomicReference<>();
      Promise<Void> leafStarted = Promise.promise();
      AtomicReference<TaskGroup> top = new AtomicReference<>();
      Future<Void> result = runOn(context, g -> {
        top.set(g);
        g.spawn(new TaskFn<Void>() {
          int level;

          @Override
          public Future<Void> run(TaskScope scope) throws Exception {
            if (++level == LEVELS) {
              scope.onCancel(atLeaf::set);
              leafStarted.complete();
              return VertxTest.<Void>untilCancelled().run(scope);
            }
            return TaskGroup.run(scope, inner -> inner.<Void>spawn(this).future());
          }
        });
        return Future.succeededFuture();
      });
      await(leafStarted.future());
      context.runOnContext(v -> top.get().cancel());
      await(result);
      assertThat(atLeaf.get().getMessage()).hasSizeLessThan(300).endsWith("task group 'g' was cancelled");
    }
  }

  @Nested
  class Memory {
    @Test
    void queuedTasksCancelledWhileTheGroupLivesLeaveItAtOnce() {
      Context context = vertx.getOrCreateContext();
      int n = 200_000;
      Promise<Void> release = Promise.promise();
      AtomicReference<TaskGroup> group = new AtomicReference<>();
      List<WeakReference<Task<Integer>>> handles = new ArrayList<>();
      Promise<Void> built = Promise.promise();
      Future<Void> result = on(context, () -> TaskGroup.run(vertx, new TaskGroupOptions().setMaxConcurrency(1), g -> {
        group.set(g);
        g.spawn(s -> release.future().map(0)); // the one long task
        inTurns(context, n, i -> {
          Task<Integer> t = g.spawn(s -> Future.succeededFuture(1));
          handles.add(new WeakReference<>(t));
          t.cancel();
        }).onComplete(built);
        return Future.succeededFuture();
      }));
      await(built.future());
      assertThat(await(call(context, () -> group.get().impl.queued()))).isZero();
      for (int i = 0; i < 20 && handles.stream().anyMatch(h -> h.get() != null); i++) {
        System.gc();
      }
      assertThat(handles).as("handles of cancelled queued tasks").allMatch(h -> h.get() == null);
      context.runOnContext(v -> release.complete());
      await(result);
    }

    @Test
    void sequentialTasksWithDistinctLongTimeoutsHoldNoDeadlineOnceFinished() {
      ManualTimers clock = new ManualTimers();
      Context context = vertx.getOrCreateContext();
      int n = 100_000;
      Promise<Void> release = Promise.promise();
      AtomicReference<TaskGroup> group = new AtomicReference<>();
      Promise<Void> lastRan = Promise.promise();
      Future<Void> result = on(context, () -> TaskGroup.run(vertx, clock.options(), g -> {
        group.set(g);
        TaskFn<Integer> next = new TaskFn<>() {
          int i;

          @Override
          public Future<Integer> run(TaskScope scope) {
            if (++i < n) { // the next one starts on a later turn, after this one finished
              context.runOnContext(v -> g.spawn(withDistinctTimeout(this, i)));
            } else {
              context.runOnContext(v -> lastRan.complete());
            }
            return Future.succeededFuture(i);
          }
        };
        g.spawn(withDistinctTimeout(next, 0));
        return release.future();
      }));
      await(lastRan.future());
      Deadlines deadlines = await(call(context, () -> group.get().impl.deadlines));
      assertThat(await(call(context, deadlines::size))).isZero();
      assertThat(await(call(context, deadlines::queueCount))).isLessThanOrEqualTo(1);
      assertThat(clock.pending()).isLessThanOrEqualTo(1);
      context.runOnContext(v -> release.complete());
      await(result);
    }

    private TaskFn<Integer> withDistinctTimeout(TaskFn<Integer> fn, int i) {
      return fn.withTimeout(Duration.ofMinutes(10).plusMillis(i));
    }
  }

  @Nested
  class FatalErrors {
    @Test
    void anOutOfMemoryErrorInASiblingsCleanupBecomesTheCauseAheadOfTheOrdinaryError() {
      Context context = vertx.getOrCreateContext();
      IOException ordinary = new IOException("ordinary");
      OutOfMemoryError fatal = new OutOfMemoryError("cleanup ran out of memory");
      Future<Void> result = runOn(context, g -> {
        g.spawn(s -> {
          Promise<Void> p = Promise.promise();
          s.onCancel(c -> p.fail(fatal));
          return p.future();
        });
        g.spawn(s -> failingLater(ordinary).run(s));
        return Future.succeededFuture();
      });
      TaskGroupException error = (TaskGroupException) awaitFailure(result);
      assertThat(error.getCause()).isSameAs(fatal);
      assertThat(error.exceptions()).containsExactly(fatal, ordinary);
    }

    @Test
    void aStackOverflowThrownByATaskFunctionFailsTheTaskAndBecomesTheCause() {
      Context context = vertx.getOrCreateContext();
      StackOverflowError overflow = new StackOverflowError("user recursion");
      Future<Void> result = runOn(context, g -> {
        g.spawn(failingLater(new IOException("first")));
        g.spawn(s -> {
          throw overflow;
        });
        return Future.succeededFuture();
      });
      TaskGroupException error = (TaskGroupException) awaitFailure(result);
      assertThat(error.getCause()).isSameAs(overflow);
    }

    @Test
    void anErrorInTheLibrarysOwnDispatchFailsTheGroupInsteadOfLeavingItPending() {
      Context context = vertx.getOrCreateContext();
      Error broken = new InternalError("dispatch broke");
      ResultSink throwing = t -> {
        throw broken;
      };
      Promise<Void> running = Promise.promise();
      Future<Void> result = on(context, () -> GroupImpl.launch(vertx, context, new TaskGroupOptions().setName("g"), null, throwing, g -> {
        g.spawn(later(1));
        g.spawn(s -> {
          running.complete();
          return untilCancelled().<Void>run(s);
        });
        return Future.succeededFuture();
      }));
      Throwable error = awaitFailure(result);
      assertThat(error).isInstanceOf(TaskGroupException.class).hasCause(broken);
    }
  }
}
