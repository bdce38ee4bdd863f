package dev.taskgroup;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.IntFunction;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** {@code TaskGroup.forEach}: the iterator is the queue, pulled on the group's context, fail fast, never recursive. */
class ForEachTest extends VertxTest {
  Context context;

  @BeforeEach
  void oneContext() {
    context = vertx.getOrCreateContext();
  }

  /**
   * An iterator of {@code n} functions (endless for a negative {@code n}) made as they are pulled,
   * counting its calls and noting each one made off a Vert.x context, or while another was running.
   */
  static final class Source implements Iterator<TaskFn<Integer>> {
    final int n;
    final IntFunction<TaskFn<Integer>> make;
    final AtomicInteger nexts = new AtomicInteger();
    final AtomicInteger hasNexts = new AtomicInteger();
    final java.util.Set<Context> contexts = java.util.concurrent.ConcurrentHashMap.newKeySet();
    final AtomicInteger calls = new AtomicInteger();
    final List<String> misuse = new CopyOnWriteArrayList<>();
    volatile int hasNextThrowsAt = -1;
    volatile int nextThrowsAt = -1;
    private boolean inCall;

    Source(int n, IntFunction<TaskFn<Integer>> make) {
      this.n = n;
      this.make = make;
    }

    @Override
    public boolean hasNext() {
      enter();
      try {
        hasNexts.incrementAndGet();
        if (nexts.get() == hasNextThrowsAt) {
          throw new IllegalStateException("cursor lost at " + hasNextThrowsAt);
        }
        return n < 0 || nexts.get() < n;
      } finally {
        inCall = false;
      }
    }

    @Override
    public TaskFn<Integer> next() {
      enter();
      try {
        int k = nexts.getAndIncrement();
        if (k == nextThrowsAt) {
          throw new IllegalStateException("bad row " + k);
        }
        return make.apply(k);
      } finally {
        inCall = false;
      }
    }

    private void enter() {
      Context c = Vertx.currentContext();
      if (c == null) {
        misuse.add("called off any context on " + Thread.currentThread().getName());
      } else {
        contexts.add(c);
      }
      calls.incrementAndGet();
      if (inCall) {
        misuse.add("called while another call ran");
      }
      inCall = true;
    }
  }

  static TaskGroupOptions limit(int n) {
    return new TaskGroupOptions().setName("each").setMaxConcurrency(n);
  }

  /** Runs {@code action} on the test's context and waits until it returned. */
  void onContext(Runnable action) {
    await(call(context, () -> {
      action.run();
      return null;
    }));
  }

  /** Functions whose work waits for the test to complete it: {@code held.get(k)} is element k's. */
  static IntFunction<TaskFn<Integer>> held(List<Promise<Integer>> held) {
    return k -> scope -> {
      Promise<Integer> p = Promise.promise();
      held.add(p);
      return p.future();
    };
  }

  /** A function that runs until cancelled and notes the reason in {@code cancelled}. */
  static TaskFn<Integer> noting(List<CancelReason> cancelled) {
    return scope -> {
      scope.onCancel(c -> cancelled.add(c.reason()));
      return VertxTest.<Integer>untilCancelled().run(scope);
    };
  }

  @Nested
  class Pulling {
    @Test
    void startsTheFunctionsInTheIteratorsOrderAndSucceedsOnceAllHaveSucceeded() {
      List<Integer> started = new CopyOnWriteArrayList<>();
      Source source = new Source(20, k -> scope -> {
        started.add(k);
        return k % 3 == 0 ? Future.succeededFuture(k) : VertxTest.<Integer>later(k).run(scope);
      });
      assertThat(await(on(context, () -> TaskGroup.forEach(vertx, limit(4), source)))).isNull();
      assertThat(started).isSortedAccordingTo(Integer::compare).hasSize(20);
      assertThat(source.misuse).isEmpty();
    }

    @Test
    void neverRunsMoreThanMaxConcurrencyTasksAtOnce() {
      AtomicInteger running = new AtomicInteger();
      AtomicInteger peak = new AtomicInteger();
      Source source = new Source(200, k -> scope -> {
        peak.accumulateAndGet(running.incrementAndGet(), Math::max);
        Promise<Integer> p = Promise.promise();
        scope.context().runOnContext(v -> {
          running.decrementAndGet();
          p.complete(k);
        });
        return p.future();
      });
      await(on(context, () -> TaskGroup.forEach(vertx, limit(7), source)));
      assertThat(peak).hasValue(7);
      assertThat(source.nexts).hasValue(200);
    }

    @Test
    void pullsTheNextFunctionOnlyWhenARunningTaskSettles() {
      List<Promise<Integer>> held = new CopyOnWriteArrayList<>();
      Source source = new Source(10, held(held));
      Future<Void> done = on(context, () -> TaskGroup.forEach(vertx, limit(3), source));
      onContext(() -> {});
      assertThat(source.nexts).hasValue(3);
      onContext(() -> held.get(1).complete(1));
      assertThat(source.nexts).hasValue(4);
      for (int k = 2; k < 11; k++) { // element 1 settled, then 0, 2, 3, ...: each frees one slot, filled at once
        int n = k == 2 ? 0 : k - 1;
        onContext(() -> held.get(n).complete(n));
        assertThat(source.nexts).hasValue(Math.min(10, k + 3));
      }
      assertThat(await(done)).isNull();
    }

    @Test
    void withoutAMaxConcurrencyPullsEveryFunctionAtOnce() {
      List<Promise<Integer>> held = new CopyOnWriteArrayList<>();
      Source source = new Source(50, held(held));
      Future<Void> done = on(context, () -> TaskGroup.forEach(vertx, source));
      onContext(() -> {});
      assertThat(source.nexts).hasValue(50);
      onContext(() -> held.forEach(p -> p.complete(0)));
      assertThat(await(done)).isNull();
    }

    @Test
    void anEmptyIteratorSucceedsAtOnce() {
      assertThat(await(TaskGroup.forEach(vertx, Collections.<TaskFn<Integer>>emptyIterator()))).isNull();
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 1000, Integer.MAX_VALUE})
    void twoHundredThousandSynchronousTasksFinishWithoutRecursion(int maxConcurrency) {
      AtomicInteger ran = new AtomicInteger();
      Source source = new Source(200_000, k -> scope -> {
        ran.incrementAndGet();
        return Future.succeededFuture(k);
      });
      await(on(context, () -> TaskGroup.forEach(vertx, limit(maxConcurrency), source)));
      assertThat(ran).hasValue(200_000);
    }

    @Test
    void callsTheIteratorOnlyOnTheGroupsContextWhenCalledFromAnotherThread() {
      List<Context> taskContexts = new CopyOnWriteArrayList<>();
      Source source = new Source(30, k -> scope -> {
        taskContexts.add(Vertx.currentContext());
        return VertxTest.<Integer>later(k).run(scope);
      });
      await(TaskGroup.forEach(vertx, limit(5), source)); // from the test thread: the group makes its context
      assertThat(source.misuse).isEmpty();
      assertThat(source.calls).hasValue(61);
      assertThat(source.contexts).containsExactly(taskContexts.get(0));
      assertThat(taskContexts).hasSize(30);
    }

    @Test
    void keepsNoResultOfAFinishedTask() {
      List<java.lang.ref.WeakReference<Object>> results = new CopyOnWriteArrayList<>();
      List<Promise<Integer>> held = new CopyOnWriteArrayList<>();
      Source source = new Source(101, k -> scope -> {
        if (k == 100) { // the last one holds the group open while the others' results are collected
          Promise<Integer> p = Promise.promise();
          held.add(p);
          return p.future();
        }
        Object result = new byte[1024];
        results.add(new java.lang.ref.WeakReference<>(result));
        return Future.succeededFuture(k).map(result).map(r -> k);
      });
      Future<Void> done = on(context, () -> TaskGroup.forEach(vertx, limit(10), source));
      onContext(() -> {});
      for (int i = 0; i < 20 && results.stream().anyMatch(r -> r.get() != null); i++) {
        System.gc();
      }
      assertThat(results).hasSize(100).allMatch(r -> r.get() == null);
      onContext(() -> held.get(0).complete(100));
      await(done);
    }
  }

  @Nested
  class FailFast {
    @Test
    void aFailureCancelsTheRunningTasksStopsPullingAndFailsWithTaskGroupException() {
      IOException boom = new IOException("boom");
      List<CancelReason> cancelled = new CopyOnWriteArrayList<>();
      Source source = new Source(1000, k -> k == 2 ? failingLater(boom) : noting(cancelled));
      Throwable error = awaitFailure(on(context, () -> TaskGroup.forEach(vertx, limit(3), source)));
      assertThat(((TaskGroupException) error).exceptions()).containsExactly(boom);
      assertThat(cancelled).containsExactly(CancelReason.SIBLING_FAILED, CancelReason.SIBLING_FAILED);
      onContext(() -> {});
      assertThat(source.nexts).hasValue(3);
      assertThat(source.hasNexts).hasValue(3);
    }

    @Test
    void aTasksOwnCancellationFailsItAsInAll() {
      CancellationException gaveUp = new CancellationException("gave up");
      Source source = new Source(5, k -> k == 1 ? scope -> Future.failedFuture(gaveUp) : later(k));
      Throwable error = awaitFailure(on(context, () -> TaskGroup.forEach(vertx, limit(2), source)));
      assertThat(((TaskGroupException) error).exceptions()).containsExactly(gaveUp);
      assertThat(source.nexts).hasValue(2);
    }

    @Test
    void aFunctionThatThrowsIsAFailedTaskThatStopsThePulling() {
      IllegalArgumentException bad = new IllegalArgumentException("bad id");
      Source source = new Source(100, k -> k == 4 ? scope -> {
        throw bad;
      } : scope -> Future.succeededFuture(k));
      Throwable error = awaitFailure(on(context, () -> TaskGroup.forEach(vertx, limit(10), source)));
      assertThat(((TaskGroupException) error).exceptions()).containsExactly(bad);
      assertThat(source.nexts).hasValue(5);
    }

    @Test
    void hasNextThrowingFailsTheGroupWithThatErrorAndCancelsTheRunningTasks() {
      List<CancelReason> cancelled = new CopyOnWriteArrayList<>();
      List<Promise<Integer>> held = new CopyOnWriteArrayList<>();
      Source source = new Source(100, k -> k == 0 ? held(held).apply(k) : noting(cancelled));
      source.hasNextThrowsAt = 3;
      Future<Void> done = on(context, () -> TaskGroup.forEach(vertx, limit(3), source));
      onContext(() -> held.get(0).complete(0)); // the slot it frees asks hasNext, which throws
      Throwable error = awaitFailure(done);
      assertThat(((TaskGroupException) error).exceptions()).singleElement()
          .satisfies(e -> assertThat(e).isInstanceOf(IllegalStateException.class).hasMessage("cursor lost at 3"));
      assertThat(cancelled).containsExactly(CancelReason.SIBLING_FAILED, CancelReason.SIBLING_FAILED);
      assertThat(source.hasNexts).hasValue(4);
      assertThat(source.nexts).hasValue(3);
    }

    @Test
    void nextThrowingFailsTheGroupWithThatErrorAndCancelsTheRunningTasks() {
      List<CancelReason> cancelled = new CopyOnWriteArrayList<>();
      Source source = new Source(100, k -> noting(cancelled));
      source.nextThrowsAt = 2;
      Throwable error = awaitFailure(on(context, () -> TaskGroup.forEach(vertx, limit(5), source)));
      assertThat(((TaskGroupException) error).exceptions()).singleElement()
          .satisfies(e -> assertThat(e).isInstanceOf(IllegalStateException.class).hasMessage("bad row 2"));
      assertThat(cancelled).containsExactly(CancelReason.SIBLING_FAILED, CancelReason.SIBLING_FAILED);
      assertThat(source.nexts).hasValue(3);
      assertThat(source.hasNexts).hasValue(3);
    }

    @Test
    void anErrorThrownByTheIteratorIsAnErrorOfTheGroupNotLost() {
      StackOverflowError deep = new StackOverflowError("the cursor's own recursion");
      Iterator<TaskFn<Integer>> source = new Iterator<>() {
        @Override
        public boolean hasNext() {
          throw deep;
        }

        @Override
        public TaskFn<Integer> next() {
          throw new AssertionError("never called");
        }
      };
      Throwable error = awaitFailure(on(context, () -> TaskGroup.forEach(vertx, source)));
      assertThat(error).isInstanceOf(TaskGroupException.class).cause().isSameAs(deep);
    }
  }

  @Nested
  class Scopes {
    @Test
    void cancellingTheEnclosingScopeFromAnotherThreadCancelsTheTasksAndStopsPulling() {
      List<CancelReason> cancelled = new CopyOnWriteArrayList<>();
      Source source = new Source(-1, k -> noting(cancelled));
      AtomicReference<Future<Void>> each = new AtomicReference<>();
      Promise<Void> release = Promise.promise();
      TaskGroup outer = openGroup(context, release);
      onContext(() -> each.set(TaskGroup.forEach(outer, limit(4), source)));
      outer.cancel(); // the test thread
      Throwable error = awaitFailure(each.get());
      assertThat(error).isInstanceOf(TaskCancelledException.class);
      assertThat(((TaskCancelledException) error).reason()).isEqualTo(CancelReason.PARENT_CANCELLED);
      assertThat(cancelled).hasSize(4).containsOnly(CancelReason.PARENT_CANCELLED);
      onContext(release::complete);
      onContext(() -> {});
      assertThat(source.nexts).hasValue(4);
    }

    @Test
    void theEnclosingGroupCompletesOnlyAfterTheForEachsTasksSettled() {
      List<String> events = new CopyOnWriteArrayList<>();
      List<Promise<Integer>> held = new CopyOnWriteArrayList<>();
      Future<Void> outer = on(context, () -> TaskGroup.<Void>run(vertx, g -> {
        TaskGroup.forEach(g, limit(2), new Source(3, held(held))).onComplete(ar -> events.add("forEach"));
        return Future.succeededFuture();
      }).onComplete(ar -> events.add("outer")));
      onContext(() -> {});
      assertThat(events).isEmpty();
      onContext(() -> held.forEach(p -> p.complete(0)));
      onContext(() -> held.get(2).complete(2));
      await(outer);
      assertThat(events).containsExactly("forEach", "outer");
    }

    @Test
    void inACancelledScopeTheIteratorIsNeverCalled() {
      Source source = new Source(10, k -> later(k));
      AtomicReference<Future<Void>> each = new AtomicReference<>();
      await(on(context, () -> TaskGroup.run(vertx, g -> {
        g.cancel();
        each.set(TaskGroup.forEach(g, source));
        return each.get().otherwiseEmpty();
      })));
      Throwable error = awaitFailure(each.get());
      assertThat(error).isInstanceOf(TaskCancelledException.class);
      assertThat(source.hasNexts).hasValue(0);
    }

    @Test
    void aFunctionWhoseNextCancelledTheEnclosingScopeNeverRuns() {
      AtomicInteger ran = new AtomicInteger();
      AtomicReference<Future<Void>> each = new AtomicReference<>();
      await(on(context, () -> TaskGroup.run(vertx, g -> {
        Iterator<TaskFn<Integer>> source = new Iterator<>() {
          @Override
          public boolean hasNext() {
            return true;
          }

          @Override
          public TaskFn<Integer> next() {
            g.cancel(); // the iterator's own code ends the group while it pulls
            return scope -> {
              ran.incrementAndGet();
              return Future.succeededFuture(1);
            };
          }
        };
        each.set(TaskGroup.forEach(g, source));
        return each.get().otherwiseEmpty();
      })));
      assertThat(awaitFailure(each.get())).isInstanceOf(TaskCancelledException.class);
      assertThat(ran).hasValue(0);
    }

    @Test
    void anEndlessIteratorOfSynchronousTasksYieldsSoThatACancelFromAnotherThreadArrives() {
      Source source = new Source(-1, k -> scope -> Future.succeededFuture(k));
      AtomicReference<Future<Void>> each = new AtomicReference<>();
      Promise<Void> release = Promise.promise();
      TaskGroup outer = openGroup(context, release);
      onContext(() -> each.set(TaskGroup.forEach(outer, limit(100), source)));
      outer.cancel();
      assertThat(awaitFailure(each.get())).isInstanceOf(TaskCancelledException.class);
      int pulled = source.nexts.get();
      onContext(release::complete);
      onContext(() -> {});
      assertThat(source.nexts).hasValue(pulled);
      assertThat(source.misuse).isEmpty();
    }

    @RepeatedTest(50)
    void aCancelFromAnotherThreadRacingThePullsEndsItAndNoPullFollowsIt() throws InterruptedException {
      CountDownLatch pulling = new CountDownLatch(1);
      List<String> late = new CopyOnWriteArrayList<>();
      Promise<Void> release = Promise.promise();
      TaskGroup outer = openGroup(context, release);
      Source source = new Source(-1, k -> {
        if (outer.isCancelled()) {
          late.add("element " + k + " pulled after the cancel");
        }
        if (k == 20) {
          pulling.countDown();
        }
        return k % 2 == 0 ? scope -> Future.succeededFuture(k) : later(k);
      });
      AtomicReference<Future<Void>> each = new AtomicReference<>();
      onContext(() -> each.set(TaskGroup.forEach(outer, limit(3), source)));
      assertThat(pulling.await(10, TimeUnit.SECONDS)).isTrue();
      outer.cancel();
      assertThat(awaitFailure(each.get())).isInstanceOf(TaskCancelledException.class);
      onContext(release::complete);
      assertThat(late).isEmpty();
      assertThat(source.misuse).isEmpty();
    }
  }

  @Nested
  class Options {
    @Test
    void theDeadlineCancelsTheRunningTasksStopsPullingAndFailsWithATimeout() {
      TestClock clock = new TestClock();
      List<CancelReason> cancelled = new CopyOnWriteArrayList<>();
      Source source = new Source(100, k -> scope -> {
        scope.onCancel(c -> cancelled.add(c.reason()));
        return scope.sleep(Duration.ofSeconds(10)).map(k);
      });
      TaskGroupOptions options = limit(2).setTimeout(Duration.ofSeconds(1)).setClock(clock);
      Future<Void> done = on(context, () -> TaskGroup.forEach(vertx, options, source));
      onContext(() -> clock.advance(Duration.ofMillis(999)));
      assertThat(done.isComplete()).isFalse();
      onContext(() -> clock.advance(Duration.ofMillis(1)));
      Throwable error = awaitFailure(done);
      assertThat(((TaskGroupException) error).exceptions()).singleElement().isInstanceOf(TaskTimeoutException.class);
      assertThat(cancelled).containsExactly(CancelReason.DEADLINE, CancelReason.DEADLINE);
      assertThat(source.nexts).hasValue(2);
    }

    @Test
    void aTimedFunctionFromTheIteratorTimesOutAsASpawnedOneDoes() {
      TestClock clock = new TestClock();
      Source source = new Source(3, k -> k == 1
          ? VertxTest.<Integer>untilCancelled().withTimeout(Duration.ofMillis(50))
          : scope -> scope.sleep(Duration.ofMillis(10)).map(k));
      Future<Void> done = on(context, () -> TaskGroup.forEach(vertx, limit(3).setClock(clock), source));
      onContext(() -> clock.advance(Duration.ofMillis(50)));
      Throwable error = awaitFailure(done);
      assertThat(((TaskGroupException) error).exceptions()).singleElement().isInstanceOf(TaskTimeoutException.class)
          .satisfies(e -> assertThat(e).hasMessageContaining("task-1"));
    }

    @Test
    void theTaskTreeListsTheGroupWithItsRunningTasksOnly() {
      List<Promise<Integer>> held = new CopyOnWriteArrayList<>();
      Future<Void> done = on(context, () -> TaskGroup.forEach(vertx, limit(2), new Source(5, held(held))));
      onContext(() -> {});
      TaskTree.Node group = await(TaskTree.snapshot(vertx)).groups().stream()
          .filter(g -> g.name().equals("each")).findFirst().orElseThrow();
      assertThat(group.running()).isEqualTo(2);
      assertThat(group.queued()).isZero();
      assertThat(group.children()).extracting(TaskTree.Node::name).containsExactly("task-0", "task-1");
      for (int i = 0; i < 5; i++) {
        int k = i;
        onContext(() -> held.get(k).complete(k));
      }
      await(done);
    }

    @Test
    void anObserverSeesEveryTaskStartAndSettle() {
      List<String> seen = new CopyOnWriteArrayList<>();
      Registration r = Observability.addObserver((v, name, nested) -> v != vertx || !name.equals("each") ? null
          : new TaskGroupObserver.GroupObserver() {
            @Override
            public void taskStarted() {
              seen.add("started");
            }

            @Override
            public void taskQueued() {
              seen.add("queued");
            }

            @Override
            public void taskSettled(TaskState state) {
              seen.add(state.name());
            }
          });
      try {
        await(on(context, () -> TaskGroup.forEach(vertx, limit(1), new Source(2, k -> later(k)))));
      } finally {
        r.remove();
      }
      assertThat(seen).containsExactly("started", "SUCCEEDED", "started", "SUCCEEDED");
    }
  }

  /**
   * A plain pulled task lives in a slot of the group's ring, which the next function pulled takes
   * once it settles ({@link PullRing}): nothing of a previous occupant reaches the next one.
   */
  @Nested
  class Slots {
    /** Functions whose work waits until the test completes it or the task is cancelled (noted in {@code cancelled}). */
    IntFunction<TaskFn<Integer>> cancellable(List<Promise<Integer>> held, List<TaskScope> scopes, List<Integer> cancelled) {
      return k -> scope -> {
        Promise<Integer> p = Promise.promise();
        held.add(p);
        scopes.add(scope);
        scope.onCancel(c -> {
          cancelled.add(k);
          p.tryFail(c);
        });
        return p.future();
      };
    }

    @Test
    void aLateCompletionOfAPreviousOccupantLeavesTheNextOneRunningInItsSlot() {
      List<Promise<Integer>> held = new CopyOnWriteArrayList<>();
      List<TaskScope> scopes = new CopyOnWriteArrayList<>();
      List<Integer> cancelled = new CopyOnWriteArrayList<>();
      Future<Void> done = on(context, () -> TaskGroup.forEach(vertx, limit(1), new Source(3, cancellable(held, scopes, cancelled))));
      onContext(() -> held.get(0).complete(0));
      onContext(() -> held.get(1).complete(1)); // task-2 takes the slot task-0, then task-1 had
      assertThat(scopes).hasSize(3);
      @SuppressWarnings("unchecked")
      AbstractTask<Integer> previous = (AbstractTask<Integer>) scopes.get(1);
      onContext(() -> previous.complete(null, new IOException("late"))); // the work of task-1 completing again
      onContext(() -> {});
      assertThat(done.isComplete()).isFalse();
      assertThat(scopes.get(2).isFinished()).isFalse();
      assertThat(scopes.get(2).isCancelled()).isFalse();
      assertThat(previous.name()).isEqualTo("task-1"); // its own name, not its slot's or the next occupant's
      assertThat(((AbstractTask<?>) scopes.get(2)).name()).isEqualTo("task-2");
      onContext(() -> held.get(2).complete(2));
      assertThat(await(done)).isNull();
      assertThat(cancelled).isEmpty();
    }

    @Test
    void hooksOfAPreviousOccupantNeverRunForTheNextOne() {
      List<String> ran = new CopyOnWriteArrayList<>();
      List<Registration> first = new CopyOnWriteArrayList<>();
      List<TaskScope> scopes = new CopyOnWriteArrayList<>();
      Promise<Void> release = Promise.promise();
      TaskGroup outer = openGroup(context, release);
      AtomicReference<Future<Void>> each = new AtomicReference<>();
      Source source = new Source(2, k -> scope -> {
        scopes.add(scope);
        if (k == 0) {
          first.add(scope.onCancel(c -> ran.add("hook of task-0")));
          first.add(scope.onCancel(c -> ran.add("second hook of task-0")));
          return Future.succeededFuture(0);
        }
        scope.onCancel(c -> ran.add("hook of task-1"));
        return VertxTest.<Integer>untilCancelled().run(scope);
      });
      onContext(() -> each.set(TaskGroup.forEach(outer, limit(1), source)));
      onContext(() -> {
        assertThat(first.get(1).remove()).isFalse(); // dropped as task-0 closed: it cannot unlink task-1's
        assertThat(scopes.get(0).onCancel(c -> ran.add("late hook of task-0")).remove()).isFalse();
        assertThat(((ScopeImpl) scopes.get(1)).hookCount()).isEqualTo(2); // task-1's own and untilCancelled's
      });
      outer.cancel();
      awaitFailure(each.get());
      assertThat(ran).containsExactly("hook of task-1");
      onContext(release::complete);
    }

    @Test
    void theGroupsCancellationReachesEveryRunningTaskInStartOrderWhateverItsSlot() {
      List<Promise<Integer>> held = new CopyOnWriteArrayList<>();
      List<TaskScope> scopes = new CopyOnWriteArrayList<>();
      List<Integer> cancelled = new CopyOnWriteArrayList<>();
      IntFunction<TaskFn<Integer>> plain = cancellable(held, scopes, cancelled);
      // element 4 is timed: a TaskImpl in the live list, merged with the ring's tasks by start
      Source source = new Source(-1, k -> k == 4 ? plain.apply(k).withTimeout(Duration.ofHours(1)) : plain.apply(k));
      Promise<Void> release = Promise.promise();
      TaskGroup outer = openGroup(context, release);
      AtomicReference<Future<Void>> each = new AtomicReference<>();
      onContext(() -> each.set(TaskGroup.forEach(outer, limit(4), source)));
      onContext(() -> held.get(2).complete(2)); // task-4 starts (live list)
      onContext(() -> held.get(0).complete(0)); // task-5 takes slot 0
      onContext(() -> held.get(3).complete(3)); // task-6 takes slot 3
      onContext(() -> held.get(5).complete(5)); // task-7 takes slot 0 again
      outer.cancel();
      Throwable error = awaitFailure(each.get());
      assertThat(((TaskCancelledException) error).reason()).isEqualTo(CancelReason.PARENT_CANCELLED);
      assertThat(cancelled).containsExactly(1, 4, 6, 7);
      assertThat(source.nexts).hasValue(8);
      onContext(release::complete);
    }

    @Test
    void aNestedGroupInAPulledTaskRunsAndIsCancelledWithIt() {
      List<Future<Integer>> nested = new CopyOnWriteArrayList<>();
      List<CancelReason> reasons = new CopyOnWriteArrayList<>();
      Promise<Void> release = Promise.promise();
      TaskGroup outer = openGroup(context, release);
      AtomicReference<Future<Void>> each = new AtomicReference<>();
      Source source = new Source(-1, k -> scope -> {
        Future<Integer> inner = TaskGroup.run(scope, g -> k % 2 == 0
            ? g.spawn(s -> Future.succeededFuture(k)).future() // settles: the task ends, its slot is reused
            : g.spawn(s -> {
              s.onCancel(c -> reasons.add(c.reason()));
              return VertxTest.<Integer>untilCancelled().run(s);
            }).future());
        nested.add(inner);
        return inner;
      });
      onContext(() -> each.set(TaskGroup.forEach(outer, limit(3), source)));
      onContext(() -> {});
      outer.cancel();
      awaitFailure(each.get());
      // 0, 2, 4 succeeded in slots then taken by 1, 3, 5, which held them until the cancellation
      assertThat(nested).hasSize(6);
      for (int k = 0; k < 6; k += 2) {
        assertThat(await(nested.get(k))).isEqualTo(k);
        assertThat(awaitFailure(nested.get(k + 1))).isInstanceOf(TaskCancelledException.class);
      }
      assertThat(reasons).containsExactly(CancelReason.PARENT_CANCELLED, CancelReason.PARENT_CANCELLED, CancelReason.PARENT_CANCELLED);
      onContext(release::complete);
    }

    @Test
    void aNestedGroupThatOutlivesItsPulledTaskIsClosedWithItWhileTheNextTaskKeepsItsSlot() {
      List<String> reasons = new CopyOnWriteArrayList<>();
      List<TaskScope> scopes = new CopyOnWriteArrayList<>();
      List<Promise<Integer>> held = new CopyOnWriteArrayList<>();
      AtomicReference<Future<Void>> nested = new AtomicReference<>();
      Source source = new Source(2, k -> scope -> {
        scopes.add(scope);
        if (k == 0) { // opens a nested group and does not await it
          nested.set(TaskGroup.run(scope, g -> {
            g.onCancel(c -> reasons.add(c.reason() + ": " + c.getMessage()));
            return Future.<Void>future(p -> g.onCancel(p::fail));
          }));
          return Future.succeededFuture(0);
        }
        Promise<Integer> p = Promise.promise();
        held.add(p);
        return p.future();
      });
      Future<Void> done = on(context, () -> TaskGroup.forEach(vertx, limit(1), source));
      onContext(() -> {});
      assertThat(reasons).singleElement().asString().startsWith("PARENT_CANCELLED").endsWith("'task-0' has finished");
      assertThat(awaitFailure(nested.get())).isInstanceOf(TaskCancelledException.class);
      assertThat(scopes).hasSize(2);
      assertThat(scopes.get(1).isCancelled()).isFalse();
      assertThat(done.isComplete()).isFalse();
      onContext(() -> held.get(0).complete(1));
      assertThat(await(done)).isNull();
    }

    @Test
    void withoutAMaxConcurrencyTheRingGrowsToEveryRunningTask() {
      List<Promise<Integer>> held = new CopyOnWriteArrayList<>();
      List<TaskScope> scopes = new CopyOnWriteArrayList<>();
      List<Integer> cancelled = new CopyOnWriteArrayList<>();
      Source source = new Source(300, cancellable(held, scopes, cancelled));
      Future<Void> done = on(context, () -> TaskGroup.forEach(vertx, source));
      onContext(() -> {});
      assertThat(source.nexts).hasValue(300);
      assertThat(scopes).extracting(s -> ((AbstractTask<?>) s).name()).doesNotHaveDuplicates().contains("task-0", "task-299");
      onContext(() -> held.forEach(p -> p.complete(0)));
      assertThat(await(done)).isNull();
      assertThat(cancelled).isEmpty();
    }
  
    @Test
    void aFailureAfterTheRingGrewCancelsEveryOtherRunningTaskAndFailsTheGroupWithIt() {
      List<Promise<Integer>> held = new CopyOnWriteArrayList<>();
      List<TaskScope> scopes = new CopyOnWriteArrayList<>();
      List<Integer> cancelled = new CopyOnWriteArrayList<>();
      Source source = new Source(200, cancellable(held, scopes, cancelled));
      Future<Void> done = on(context, () -> TaskGroup.forEach(vertx, source));
      onContext(() -> {});
      assertThat(held).hasSize(200); // the ring grew from 64 slots to 256 while the first ones ran
      IOException boom = new IOException("boom");
      onContext(() -> held.get(150).fail(boom));
      assertThat(awaitFailure(done)).isInstanceOf(TaskGroupException.class).hasRootCauseMessage("boom");
      assertThat(cancelled).hasSize(199).doesNotContain(150);
      assertThat(cancelled.subList(0, 3)).containsExactly(0, 1, 2); // in start order
      assertThat(scopes).allMatch(TaskScope::isFinished);
    }

    @Test
    void spawnNumbersCompareAcrossTheirWrapAtMaxSeq() {
      int max = AbstractTask.MAX_SEQ;
      assertThat(PullRing.before(max, 0)).isTrue(); // 0 is the number after MAX_SEQ
      assertThat(PullRing.before(0, max)).isFalse();
      assertThat(PullRing.before(max - 5, 3)).isTrue();
      assertThat(PullRing.before(3, 4)).isTrue();
      assertThat(PullRing.before(4, 4)).isFalse();
      assertThat(PullRing.before(0, 1 << 27)).isTrue();
    }

    @Test
    void aCompletedGroupDropsItsRingAndAScopeKeptPastItStillKnowsItsNameAndRegistersNothing() {
      List<Promise<Integer>> held = new CopyOnWriteArrayList<>();
      List<TaskScope> scopes = new CopyOnWriteArrayList<>();
      List<Integer> cancelled = new CopyOnWriteArrayList<>();
      Source source = new Source(100, cancellable(held, scopes, cancelled));
      Future<Void> done = on(context, () -> TaskGroup.forEach(vertx, source));
      onContext(() -> held.forEach(p -> p.complete(0)));
      assertThat(await(done)).isNull();
      AbstractTask<?> kept = (AbstractTask<?>) scopes.get(99);
      // the ring had 128 slots: kept past completion through any scope a caller holds, it would stay
      // as large as the peak ever running
      assertThat(kept.group.ring).isNull();
      assertThat(kept.name()).isEqualTo("task-99");
      onContext(() -> {
        assertThat(kept.onCancel(c -> cancelled.add(-1)).remove()).isFalse();
        assertThat(kept.hookCount()).isZero();
        assertThat(kept.failure()).isNull();
      });
      assertThat(cancelled).isEmpty();
    }
}
}
