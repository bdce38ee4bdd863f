package dev.taskgroup;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/** Task timeouts and group deadlines, driven by a manual clock so every race has one answer. */
class TimeoutTest extends VertxTest {
  private ManualTimers clock;
  private Context context;

  @BeforeEach
  void manualClock() {
    clock = new ManualTimers();
    context = vertx.getOrCreateContext();
  }

  /** Starts a group on the test's context, driven by the manual clock. */
  private <R> Future<R> group(TaskGroupOptions options, java.util.function.Function<TaskGroup, Future<R>> body) {
    return await(call(context, () -> TaskGroup.run(vertx, options.setTimers(clock), body)));
  }

  private void advance(Duration by) {
    await(call(context, () -> {
      clock.advance(by);
      return null;
    }));
  }

  @Nested
  class TaskTimeouts {
    @Test
    void timedOutTaskFailsWithTaskTimeoutExceptionNamingTheTaskAndDuration() {
      Future<Void> result = group(new TaskGroupOptions(), g -> {
        g.spawn("slow", VertxTest.<String>untilCancelled().withTimeout(Duration.ofMillis(150)));
        return Future.succeededFuture();
      });
      advance(Duration.ofMillis(150));
      TaskGroupException error = (TaskGroupException) awaitFailure(result);
      assertThat(error.exceptions()).singleElement().isInstanceOf(TaskTimeoutException.class)
          .satisfies(e -> {
            TaskTimeoutException t = (TaskTimeoutException) e;
            assertThat(t.name()).isEqualTo("slow");
            assertThat(t.timeout()).isEqualTo(Duration.ofMillis(150));
            assertThat(t).hasMessage("task 'slow' timed out after 150 ms");
          });
    }

    @Test
    void taskDoesNotTimeOutBeforeItsDeadline() {
      AtomicReference<Task<String>> task = new AtomicReference<>();
      group(new TaskGroupOptions(), g -> {
        task.set(g.spawn(VertxTest.<String>untilCancelled().withTimeout(Duration.ofMillis(150))));
        return Future.succeededFuture();
      });
      advance(Duration.ofMillis(149));
      assertThat(task.get().state()).isEqualTo(TaskState.RUNNING);
    }

    @Test
    void timeoutCancelsTheWorkAndWaitsForItToSettle() {
      Promise<String> work = Promise.promise();
      AtomicReference<TaskCancelledException> seen = new AtomicReference<>();
      AtomicReference<Task<String>> task = new AtomicReference<>();
      Future<Void> result = group(new TaskGroupOptions(), g -> {
        task.set(g.spawn(((TaskFn<String>) scope -> {
          scope.onCancel(seen::set);
          return work.future();
        }).withTimeout(Duration.ofMillis(100))));
        return Future.succeededFuture();
      });
      advance(Duration.ofMillis(100));
      assertThat(seen.get().reason()).isEqualTo(CancelReason.DEADLINE);
      assertThat(task.get().state()).as("still settling").isEqualTo(TaskState.RUNNING);
      context.runOnContext(v -> work.fail(seen.get()));
      assertThat(((TaskGroupException) awaitFailure(result)).exceptions()).singleElement()
          .isInstanceOf(TaskTimeoutException.class);
    }

    @Test
    void timeoutWithFallbackYieldsTheFallback() {
      Future<String> result = group(new TaskGroupOptions(), g ->
          g.spawn(VertxTest.<String>untilCancelled().withTimeout(Duration.ofMillis(100), "fallback")).future());
      advance(Duration.ofMillis(100));
      assertThat(await(result)).isEqualTo("fallback");
    }

    @Test
    void resultArrivingInTheSameTurnAsTheDeadlineWins() {
      Promise<String> work = Promise.promise();
      Future<String> result = group(new TaskGroupOptions(), g ->
          g.spawn(((TaskFn<String>) scope -> work.future()).withTimeout(Duration.ofMillis(100))).future());
      await(call(context, () -> {
        clock.advance(Duration.ofMillis(100)); // the deadline fires and cancels the scope...
        work.complete("just in time"); // ...and the result lands in the same turn
        return null;
      }));
      assertThat(await(result)).isEqualTo("just in time");
    }

    @Test
    void otherFailureAfterTheDeadlineIsKeptNotTurnedIntoATimeout() {
      IOException cleanup = new IOException("cleanup failed");
      Future<Void> result = group(new TaskGroupOptions(), g -> {
        g.spawn(((TaskFn<String>) scope -> {
          Promise<String> p = Promise.promise();
          scope.onCancel(c -> p.fail(cleanup));
          return p.future();
        }).withTimeout(Duration.ofMillis(100)));
        return Future.succeededFuture();
      });
      advance(Duration.ofMillis(100));
      assertThat(((TaskGroupException) awaitFailure(result)).exceptions()).containsExactly(cleanup);
    }

    @Test
    void cancellationFromTheGroupIsNotTurnedIntoATimeout() {
      AtomicReference<Task<String>> timed = new AtomicReference<>();
      Future<Void> result = group(new TaskGroupOptions(), g -> {
        timed.set(g.spawn(VertxTest.<String>untilCancelled().withTimeout(Duration.ofMillis(100))));
        g.spawn(failingLater(new IOException("boom")));
        return Future.succeededFuture();
      });
      assertThat(((TaskGroupException) awaitFailure(result)).exceptions()).singleElement().isInstanceOf(IOException.class);
      assertThat(timed.get().state()).isEqualTo(TaskState.CANCELLED);
    }

    @Test
    void timeoutAppliedByUserCodeOpensAnInnerScope() {
      AtomicReference<Boolean> outerCancelled = new AtomicReference<>();
      Future<String> result = group(new TaskGroupOptions(), g -> g.spawn(scope ->
          VertxTest.<String>untilCancelled().withTimeout(Duration.ofMillis(50), "inner fallback").run(scope)
              .onComplete(ar -> outerCancelled.set(scope.isCancelled()))).future());
      advance(Duration.ofMillis(50));
      assertThat(await(result)).isEqualTo("inner fallback");
      assertThat(outerCancelled.get()).as("only the inner scope was cancelled").isFalse();
    }

    @Test
    void nestedTimeoutsEachBoundTheirOwnScope() {
      Future<String> result = group(new TaskGroupOptions(), g -> g.spawn(
          VertxTest.<String>untilCancelled().withTimeout(Duration.ofMillis(50))
              .withTimeout(Duration.ofMillis(500), "outer fallback")).future());
      advance(Duration.ofMillis(50));
      TaskGroupException error = (TaskGroupException) awaitFailure(result);
      assertThat(error.exceptions()).singleElement().isInstanceOf(TaskTimeoutException.class)
          .satisfies(e -> assertThat(((TaskTimeoutException) e).timeout()).isEqualTo(Duration.ofMillis(50)));
    }

    @Test
    void zeroOrNegativeTimeoutsAreRejectedWithTheValue() {
      TaskFn<String> fn = scope -> Future.succeededFuture("x");
      assertThatThrownBy(() -> fn.withTimeout(Duration.ZERO)).isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("timeout must be positive, got 0 ms");
      assertThatThrownBy(() -> fn.withTimeout(Duration.ofMillis(-5), "f")).isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("-5 ms");
      assertThatThrownBy(() -> fn.withTimeout(null)).isInstanceOf(NullPointerException.class);
      assertThatThrownBy(() -> new TaskGroupOptions().setTimeout(Duration.ofSeconds(-1)))
          .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("timeout must be positive");
    }
  }

  @Nested
  class SharedTimers {
    @Test
    void timeoutsOfTheSameDurationShareOneTimer() {
      AtomicReference<TaskGroup> ref = new AtomicReference<>();
      group(new TaskGroupOptions(), g -> {
        ref.set(g);
        for (int i = 0; i < 1000; i++) {
          g.spawn(VertxTest.<String>untilCancelled().withTimeout(Duration.ofMillis(100)));
        }
        return Future.succeededFuture();
      });
      assertThat(await(call(context, () -> ref.get().impl.deadlines.armedTimers()))).isEqualTo(1);
      assertThat(clock.pending()).isEqualTo(1);
    }

    @Test
    void noTimerOrDeadlineRemainsOnceTimedTasksFinishEarly() {
      AtomicReference<TaskGroup> ref = new AtomicReference<>();
      List<Promise<String>> works = new ArrayList<>();
      Future<Void> result = group(new TaskGroupOptions(), g -> {
        ref.set(g);
        for (int i = 0; i < 100; i++) {
          Promise<String> p = Promise.promise();
          works.add(p);
          g.spawn(((TaskFn<String>) scope -> p.future()).withTimeout(Duration.ofMillis(100 + i % 3)));
        }
        return Future.succeededFuture();
      });
      assertThat(clock.pending()).isEqualTo(3);
      await(call(context, () -> {
        works.forEach(p -> p.complete("done"));
        return null;
      }));
      await(result);
      assertThat(clock.pending()).isZero();
      assertThat(ref.get().impl.deadlines.size()).isZero();
    }

    @Test
    void timerFiringAfterTheHeadLeftReArmsForTheNextDeadline() {
      Promise<String> first = Promise.promise();
      AtomicReference<TaskGroup> ref = new AtomicReference<>();
      Future<Void> result = group(new TaskGroupOptions(), g -> {
        ref.set(g);
        g.spawn(((TaskFn<String>) scope -> first.future()).withTimeout(Duration.ofMillis(100)));
        return Future.succeededFuture();
      });
      advance(Duration.ofMillis(40));
      Task<String> second = await(call(context, () ->
          ref.get().spawn(VertxTest.<String>untilCancelled().withTimeout(Duration.ofMillis(100)))));
      context.runOnContext(v -> first.complete("early"));
      advance(Duration.ofMillis(60)); // the timer armed for the first deadline fires: nothing is due
      assertThat(second.state()).isEqualTo(TaskState.RUNNING);
      assertThat(clock.pending()).as("re-armed for the second deadline").isEqualTo(1);
      advance(Duration.ofMillis(40));
      assertThat(((TaskGroupException) awaitFailure(result)).exceptions()).singleElement()
          .isInstanceOf(TaskTimeoutException.class);
    }

    @Test
    void remainingReportsTheNearestDeadlineOfTheScopeOrItsGroup() {
      AtomicReference<Optional<Duration>> inTask = new AtomicReference<>();
      AtomicReference<Optional<Duration>> inGroup = new AtomicReference<>();
      AtomicReference<Optional<Duration>> unbounded = new AtomicReference<>();
      group(new TaskGroupOptions().setTimeout(Duration.ofMillis(800)), g -> {
        inGroup.set(g.remaining());
        g.spawn(((TaskFn<String>) scope -> {
          inTask.set(scope.remaining());
          return Future.succeededFuture("x");
        }).withTimeout(Duration.ofMillis(300)));
        return Future.succeededFuture();
      });
      await(TaskGroup.run(vertx, g -> {
        unbounded.set(g.remaining());
        return Future.succeededFuture();
      }));
      assertThat(inGroup.get()).contains(Duration.ofMillis(800));
      assertThat(inTask.get()).contains(Duration.ofMillis(300));
      assertThat(unbounded.get()).isEmpty();
    }
  }

  @Nested
  class GroupDeadline {
    @Test
    void deadlineCancelsEverythingAndTheGroupFailsWithTaskGroupExceptionHoldingTheTimeout() {
      List<CancelReason> reasons = new ArrayList<>();
      Future<Void> result = group(new TaskGroupOptions().setName("dash").setTimeout(Duration.ofMillis(800)), g -> {
        for (int i = 0; i < 3; i++) {
          g.spawn(scope -> {
            scope.onCancel(c -> reasons.add(c.reason()));
            return untilCancelled().run(scope);
          });
        }
        return Future.succeededFuture();
      });
      advance(Duration.ofMillis(800));
      Throwable error = awaitFailure(result);
      assertThat(((TaskGroupException) error).exceptions()).singleElement().isInstanceOf(TaskTimeoutException.class)
          .satisfies(e -> assertThat(e).hasMessage("task group 'dash' timed out after 800 ms"));
      assertThat(reasons).containsExactly(CancelReason.DEADLINE, CancelReason.DEADLINE, CancelReason.DEADLINE);
    }

    @Test
    void errorsDuringCleanupAfterTheDeadlineAreReportedWithTheTimeout() {
      IOException cleanup = new IOException("cleanup");
      Future<Void> result = group(new TaskGroupOptions().setTimeout(Duration.ofMillis(100)), g -> {
        g.spawn(scope -> {
          Promise<String> p = Promise.promise();
          scope.onCancel(c -> p.fail(cleanup));
          return p.future();
        });
        return Future.succeededFuture();
      });
      advance(Duration.ofMillis(100));
      TaskGroupException error = (TaskGroupException) awaitFailure(result);
      assertThat(error.exceptions()).hasSize(2);
      assertThat(error.exceptions().get(0)).isInstanceOf(TaskTimeoutException.class);
      assertThat(error.exceptions().get(1)).isSameAs(cleanup);
    }

    @Test
    void taskTimeoutInsideAGroupWithItsOwnDeadlineFiresFirstWhenShorter() {
      Future<Void> result = group(new TaskGroupOptions().setTimeout(Duration.ofMillis(800)), g -> {
        g.spawn("inner", VertxTest.<String>untilCancelled().withTimeout(Duration.ofMillis(300)));
        return Future.succeededFuture();
      });
      advance(Duration.ofMillis(300));
      TaskGroupException error = (TaskGroupException) awaitFailure(result);
      assertThat(error.exceptions()).singleElement().isInstanceOf(TaskTimeoutException.class)
          .satisfies(e -> assertThat(((TaskTimeoutException) e).name()).isEqualTo("inner"));
    }

    @Test
    void groupDeadlineWinsOverALongerTaskTimeout() {
      Future<Void> result = group(new TaskGroupOptions().setName("g").setTimeout(Duration.ofMillis(200)), g -> {
        g.spawn("inner", VertxTest.<String>untilCancelled().withTimeout(Duration.ofMillis(300)));
        return Future.succeededFuture();
      });
      advance(Duration.ofMillis(200));
      assertThat(((TaskGroupException) awaitFailure(result)).exceptions()).singleElement().isInstanceOf(TaskTimeoutException.class)
          .satisfies(e -> assertThat(((TaskTimeoutException) e).name()).isEqualTo("g"));
      assertThat(clock.pending()).isZero();
    }

    @Test
    void nestedGroupIsCancelledByItsParentsDeadline() {
      AtomicReference<CancelReason> grandchild = new AtomicReference<>();
      Future<Void> result = group(new TaskGroupOptions().setTimeout(Duration.ofMillis(200)), g -> {
        g.spawn(scope -> TaskGroup.run(scope, inner -> {
          inner.spawn(s -> {
            s.onCancel(c -> grandchild.set(c.reason()));
            return untilCancelled().run(s);
          });
          return Future.succeededFuture();
        }));
        return Future.succeededFuture();
      });
      advance(Duration.ofMillis(200));
      assertThat(awaitFailure(result)).isInstanceOf(TaskGroupException.class).cause().isInstanceOf(TaskTimeoutException.class);
      assertThat(grandchild.get()).isEqualTo(CancelReason.PARENT_CANCELLED);
    }

    @Test
    void groupThatFinishesBeforeItsDeadlineLeavesNoTimer() {
      Future<String> result = group(new TaskGroupOptions().setTimeout(Duration.ofSeconds(5)), g ->
          g.spawn(later("fast")).future());
      assertThat(await(result)).isEqualTo("fast");
      assertThat(clock.pending()).isZero();
    }
  }

  @Test
  void realVertxTimersFireTheDeadline() {
    Throwable error = awaitFailure(TaskGroup.run(vertx, g -> {
      g.spawn(VertxTest.<String>untilCancelled().withTimeout(Duration.ofMillis(20)));
      return Future.succeededFuture();
    }));
    assertThat(((TaskGroupException) error).exceptions()).singleElement().isInstanceOf(TaskTimeoutException.class);
  }
}
