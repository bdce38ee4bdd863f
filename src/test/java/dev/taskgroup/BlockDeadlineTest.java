package dev.taskgroup;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentSkipListSet;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.Test;

/**
 * The deadlines a pattern's timed tasks share, one per block of {@value BlockDeadline#SIZE}
 * indexes and duration ({@link BlockDeadline}, issue 15): each task still times out when its own
 * timeout says, never before, and nothing is left behind.
 */
class BlockDeadlineTest extends OnManualClock {
  private final AtomicReference<GroupImpl<?>> pattern = new AtomicReference<>();
  private final Set<Integer> timedOut = new ConcurrentSkipListSet<>(); // indexes whose deadline cancelled them

  /** A task that records the pattern's group, then runs until cancelled, noting a deadline's cancellation. */
  private <T> TaskFn<T> untilCancelledNoting(int index) {
    return scope -> {
      pattern.compareAndSet(null, ((AbstractTask<?>) scope).group);
      Promise<T> p = Promise.promise();
      scope.onCancel(c -> {
        if (c.reason() == CancelReason.DEADLINE) {
          timedOut.add(index);
        }
        p.fail(c);
      });
      return p.future();
    };
  }

  private TaskFn<Integer> noting(int index) {
    return untilCancelledNoting(index);
  }

  private List<TaskFn<Integer>> timed(int n, Duration timeout) {
    return IntStream.range(0, n).mapToObj(i -> noting(i).withTimeout(timeout)).toList();
  }

  private Future<List<Outcome<Integer>>> gather(TaskGroupOptions options, List<TaskFn<Integer>> fns) {
    return await(call(context, () -> TaskGroup.gather(vertx, options.setTimers(clock), fns)));
  }

  private static Set<Integer> range(int from, int to) {
    return IntStream.range(from, to).boxed().collect(Collectors.toSet());
  }

  /** {@return what the pattern's group still holds: queued deadlines, armed timers, block nodes, the clock's timers} */
  private String leftIn(GroupImpl<?> g) {
    return await(call(context, () -> g.deadlines.size() + " deadlines, " + g.deadlines.armedTimers() + " timers, "
        + BlockDeadline.chained(g) + " block nodes, " + clock.pending() + " clock timers"));
  }

  private static void assertTimedOut(Outcome<Integer> o, int index, Duration timeout) {
    assertThat(o.cause()).isInstanceOf(TaskTimeoutException.class)
        .hasMessage("task 'task-" + index + "' timed out after " + timeout.toMillis() + " ms");
    assertThat(((TaskTimeoutException) o.cause()).timeout()).isEqualTo(timeout);
  }

  @Nested
  class Sharing {
    @Test
    void aThousandTimedTasksOfOneDurationHoldFourDeadlinesAndOneTimer() {
      Future<List<Outcome<Integer>>> all = gather(options(), timed(1000, ms(10_000)));
      GroupImpl<?> g = pattern.get();
      assertThat(await(call(context, () -> g.deadlines.size()))).as("one per block of 256 indexes").isEqualTo(4);
      assertThat(clock.pending()).isEqualTo(1);
      advance(10_000);
      List<Outcome<Integer>> outcomes = await(all);
      for (int i = 0; i < outcomes.size(); i++) {
        assertTimedOut(outcomes.get(i), i, ms(10_000));
      }
      assertThat(leftIn(g)).isEqualTo("0 deadlines, 0 timers, 0 block nodes, 0 clock timers");
    }

    @Test
    void aPatternWhoseLengthIsNoMultipleOfTheBlockTimesOutEveryTaskAtItsDeadlineAndNotBefore() {
      Future<List<Outcome<Integer>>> all = gather(options(), timed(600, ms(10_000)));
      advance(9_999);
      assertThat(timedOut).isEmpty();
      assertThat(all.isComplete()).isFalse();
      advance(1);
      assertThat(await(all)).hasSize(600).allSatisfy(o -> assertThat(o.cause()).isInstanceOf(TaskTimeoutException.class));
      assertThat(timedOut).isEqualTo(range(0, 600));
    }

    @Test
    void aBlockIsStampedOnceItsLastIndexHasStartedNotWhenTheLoopEnds() {
      List<TaskFn<Integer>> fns = new ArrayList<>(timed(512, ms(10_000)));
      TaskFn<Integer> slow = untilCancelledNoting(300);
      fns.set(300, ((TaskFn<Integer>) scope -> {
        clock.advance(ms(5_000)); // the rest of the loop takes 5 s, from inside the second block
        return slow.run(scope);
      }).withTimeout(ms(10_000)));
      Future<List<Outcome<Integer>>> all = gather(options(), fns);
      advance(5_000); // 10 s after the first block started
      assertThat(timedOut).as("the first block, stamped before the slow start").isEqualTo(range(0, 256));
      advance(4_999);
      assertThat(timedOut).hasSize(256);
      advance(1); // 10 s after the second block's last start
      assertThat(await(all)).hasSize(512);
      assertThat(timedOut).isEqualTo(range(0, 512));
    }

    @Test
    void aBlocksDeadlineLeavesItsQueueAndChainOnceItsLastTaskSettlesWhileTheGroupRuns() {
      Promise<Integer> release = Promise.promise();
      Promise<Void> settled = Promise.promise();
      java.util.concurrent.atomic.AtomicInteger count = new java.util.concurrent.atomic.AtomicInteger();
      List<TaskFn<Integer>> fns = new ArrayList<>();
      for (int i = 0; i < 300; i++) {
        int k = i;
        fns.add(((TaskFn<Integer>) scope -> {
          pattern.compareAndSet(null, ((AbstractTask<?>) scope).group);
          return VertxTest.later(k).run(scope).onComplete(ar -> {
            if (count.incrementAndGet() == 300) {
              settled.complete();
            }
          });
        }).withTimeout(ms(1_000)));
      }
      fns.add(scope -> release.future()); // untimed: keeps the group open
      AtomicReference<String> atTheStart = new AtomicReference<>();
      Future<List<Outcome<Integer>>> all = await(call(context, () -> {
        Future<List<Outcome<Integer>>> f = TaskGroup.gather(vertx, options(), fns);
        GroupImpl<?> p = pattern.get(); // in the same turn: the tasks settle on the next ones
        atTheStart.set(p.deadlines.size() + " deadlines, " + BlockDeadline.chained(p) + " block nodes");
        return f;
      }));
      GroupImpl<?> g = pattern.get();
      assertThat(atTheStart).hasValue("2 deadlines, 2 block nodes");
      await(settled.future());
      assertThat(leftIn(g)).as("the first duration's queue keeps its idle timer until the group completes")
          .isEqualTo("0 deadlines, 1 timers, 0 block nodes, 1 clock timers");
      context.runOnContext(v -> release.complete(-1));
      assertThat(await(all)).hasSize(301);
      assertThat(leftIn(g)).isEqualTo("0 deadlines, 0 timers, 0 block nodes, 0 clock timers");
    }

    @Test
    void tasksWithAndWithoutAFallbackShareTheirBlocksDeadlineAndEachEndsItsOwnWay() {
      List<TaskFn<Integer>> fns = IntStream.range(0, 300).mapToObj(i -> {
        TaskFn<Integer> f = untilCancelledNoting(i);
        return i % 2 == 0 ? f.withTimeout(ms(1_000), -i) : f.withTimeout(ms(1_000));
      }).toList();
      Future<List<Outcome<Integer>>> all = gather(options(), fns);
      assertThat(await(call(context, () -> pattern.get().deadlines.size()))).isEqualTo(2);
      advance(1_000);
      List<Outcome<Integer>> outcomes = await(all);
      for (int i = 0; i < 300; i++) {
        if (i % 2 == 0) {
          assertThat(outcomes.get(i).result()).isEqualTo(-i);
        } else {
          assertTimedOut(outcomes.get(i), i, ms(1_000));
        }
      }
    }
  }

  @Nested
  class MixedShapes {
    @Test
    void mixedDurationsInOneBlockEachTimeOutAtTheirOwnDeadline() {
      List<TaskFn<Integer>> fns = IntStream.range(0, 300)
          .mapToObj(i -> noting(i).withTimeout(ms(1_000L * (1 + i % 3)))).toList();
      Future<List<Outcome<Integer>>> all = gather(options(), fns);
      for (int seconds = 1; seconds <= 3; seconds++) {
        advance(999);
        int s = seconds;
        assertThat(timedOut).as("just before %d s", s).allSatisfy(i -> assertThat(1 + i % 3).isLessThan(s));
        advance(1);
        assertThat(timedOut).as("at %d s", s).isEqualTo(range(0, 300).stream().filter(i -> 1 + i % 3 <= s).collect(Collectors.toSet()));
      }
      List<Outcome<Integer>> outcomes = await(all);
      for (int i = 0; i < 300; i++) {
        assertTimedOut(outcomes.get(i), i, ms(1_000L * (1 + i % 3)));
      }
      assertThat(leftIn(pattern.get())).isEqualTo("0 deadlines, 0 timers, 0 block nodes, 0 clock timers");
    }

    @Test
    void timedAndUntimedTasksInterleavedEachKeepTheirOwnOutcome() {
      List<TaskFn<Integer>> fns = IntStream.range(0, 700).mapToObj(i -> i % 2 == 0
          ? noting(i).withTimeout(ms(1_000))
          : VertxTest.later(i)).toList();
      Future<List<Outcome<Integer>>> all = gather(options(), fns);
      advance(1_000);
      List<Outcome<Integer>> outcomes = await(all);
      for (int i = 0; i < 700; i++) {
        if (i % 2 == 0) {
          assertTimedOut(outcomes.get(i), i, ms(1_000));
        } else {
          assertThat(outcomes.get(i).result()).isEqualTo(i);
        }
      }
      assertThat(leftIn(pattern.get())).isEqualTo("0 deadlines, 0 timers, 0 block nodes, 0 clock timers");
    }

    @Test
    void tasksThatWaitForAFreeSlotGetTheirFullTimeoutFromTheirOwnStart() {
      TaskFn<Integer> sleepsSix = scope -> scope.sleep(ms(6_000)).map(v -> 6);
      List<TaskFn<Integer>> fns = List.of(sleepsSix.withTimeout(ms(10_000)), sleepsSix.withTimeout(ms(10_000)),
          noting(2).withTimeout(ms(10_000)), noting(3).withTimeout(ms(10_000)));
      Future<List<Outcome<Integer>>> all = gather(options().setMaxConcurrency(2), fns);
      advance(6_000); // the first two end; the last two start now
      advance(9_999);
      assertThat(timedOut).isEmpty();
      advance(1);
      List<Outcome<Integer>> outcomes = await(all);
      assertThat(outcomes.subList(0, 2)).allSatisfy(o -> assertThat(o.result()).isEqualTo(6));
      assertTimedOut(outcomes.get(2), 2, ms(10_000));
      assertTimedOut(outcomes.get(3), 3, ms(10_000));
      assertThat(leftIn(pattern.get())).isEqualTo("0 deadlines, 0 timers, 0 block nodes, 0 clock timers");
    }
  }

  @Nested
  class SynchronousTasks {
    @Test
    void aBlockWhoseTasksAllSettleSynchronouslyArmsNoTimerAndKeepsNoNode() {
      Promise<Integer> release = Promise.promise();
      List<TaskFn<Integer>> fns = new ArrayList<>();
      for (int i = 0; i < 300; i++) {
        int k = i;
        fns.add(((TaskFn<Integer>) scope -> {
          pattern.compareAndSet(null, ((AbstractTask<?>) scope).group);
          return Future.succeededFuture(k);
        }).withTimeout(ms(1_000)));
      }
      fns.add(scope -> release.future()); // untimed: keeps the group open
      Future<List<Outcome<Integer>>> all = gather(options(), fns);
      GroupImpl<?> g = pattern.get();
      assertThat(leftIn(g)).isEqualTo("0 deadlines, 0 timers, 0 block nodes, 0 clock timers");
      context.runOnContext(v -> release.complete(-1));
      assertThat(await(all)).hasSize(301);
      assertThat(g.blockDeadlines).isNull();
      assertThat(leftIn(g)).isEqualTo("0 deadlines, 0 timers, 0 block nodes, 0 clock timers");
    }

    @Test
    void aTaskStartedAfterItsBlocksEarlierTasksSettledSynchronouslyStillGetsItsFullTimeout() {
      List<TaskFn<Integer>> fns = new ArrayList<>();
      for (int i = 0; i < 10; i++) {
        int k = i;
        fns.add(((TaskFn<Integer>) scope -> {
          if (k == 5) {
            clock.advance(ms(3_000)); // the loop takes 3 s after the block's node went idle
          }
          return Future.succeededFuture(k);
        }).withTimeout(ms(10_000)));
      }
      fns.add(noting(10).withTimeout(ms(10_000)));
      Future<List<Outcome<Integer>>> all = gather(options(), fns);
      advance(9_999);
      assertThat(all.isComplete()).isFalse();
      advance(1);
      List<Outcome<Integer>> outcomes = await(all);
      assertThat(outcomes.subList(0, 10)).extracting(Outcome::result).containsExactly(0, 1, 2, 3, 4, 5, 6, 7, 8, 9);
      assertTimedOut(outcomes.get(10), 10, ms(10_000));
    }
  }

  @Nested
  class DuringTheExpiryWalk {
    @RepeatedTest(3)
    void aMemberSettledByAnotherMembersTimeoutKeepsItsOwnResult() {
      Promise<Integer> second = Promise.promise();
      TaskFn<Integer> first = scope -> {
        pattern.compareAndSet(null, ((AbstractTask<?>) scope).group);
        Promise<Integer> p = Promise.promise();
        scope.onCancel(c -> {
          second.complete(42); // settles the next member inside the walk, before its turn
          p.fail(c);
        });
        return p.future();
      };
      List<TaskFn<Integer>> fns = new ArrayList<>(List.of(first.withTimeout(ms(1_000)),
          ((TaskFn<Integer>) scope -> second.future()).withTimeout(ms(1_000))));
      fns.addAll(timed(300, ms(1_000)).subList(2, 300));
      Future<List<Outcome<Integer>>> all = gather(options(), fns);
      advance(1_000);
      List<Outcome<Integer>> outcomes = await(all);
      assertTimedOut(outcomes.get(0), 0, ms(1_000));
      assertThat(outcomes.get(1).result()).isEqualTo(42);
      for (int i = 2; i < 300; i++) {
        assertTimedOut(outcomes.get(i), i, ms(1_000));
      }
      assertThat(leftIn(pattern.get())).isEqualTo("0 deadlines, 0 timers, 0 block nodes, 0 clock timers");
    }

    @Test
    void aTimeoutThatFailsAnAllCancelsTheRestOfItsBlockAsSiblingsNotAsTimeouts() {
      Future<List<Integer>> all = await(call(context, () -> TaskGroup.all(vertx, options(), timed(300, ms(1_000)))));
      advance(1_000);
      TaskGroupException error = (TaskGroupException) awaitFailure(all);
      assertThat(error.exceptions()).hasSize(1);
      assertThat(error.exceptions().get(0)).isInstanceOf(TaskTimeoutException.class)
          .hasMessage("task 'task-0' timed out after 1000 ms");
      assertThat(timedOut).containsExactly(0);
      assertThat(leftIn(pattern.get())).isEqualTo("0 deadlines, 0 timers, 0 block nodes, 0 clock timers");
    }
  }

  @Nested
  class Cancellation {
    @RepeatedTest(3)
    void cancellingTheGroupWhileItsBlocksAreArmedCancelsEveryTaskAndLeavesNoDeadlineOrTimer() {
      AtomicReference<TaskGroup> outer = new AtomicReference<>();
      Future<Void> run = group(g -> {
        outer.set(g);
        return TaskGroup.gather(g, timed(600, ms(1_000))).mapEmpty();
      });
      assertThat(await(call(context, () -> pattern.get().deadlines.size()))).isEqualTo(3);
      await(call(context, () -> {
        outer.get().cancel();
        return null;
      }));
      await(run);
      advance(1_000);
      assertThat(timedOut).isEmpty();
      assertThat(leftIn(pattern.get())).isEqualTo("0 deadlines, 0 timers, 0 block nodes, 0 clock timers");
    }

    @RepeatedTest(10)
    void aCancelFromAnotherThreadRacingTheBlocksRealTimersEndsEveryTaskOnceAndLeavesNothing() {
      Promise<TaskGroup> started = Promise.promise();
      AtomicReference<Future<List<Outcome<Integer>>>> inner = new AtomicReference<>();
      Future<Void> run = on(context, () -> TaskGroup.run(vertx, g -> { // Vert.x's own timers
        inner.set(TaskGroup.gather(g, timed(600, ms(2))));
        started.complete(g);
        return inner.get().otherwiseEmpty().mapEmpty();
      }));
      await(started.future()).cancel(); // from the test thread, while the 2 ms deadlines may be firing
      await(run);
      io.vertx.core.AsyncResult<List<Outcome<Integer>>> gather = completion(inner.get());
      if (gather.succeeded()) { // every deadline fired before the cancel came
        assertThat(gather.result()).allSatisfy(o -> assertThat(o.cause()).isInstanceOf(TaskTimeoutException.class));
      } else {
        assertThat(gather.cause()).isInstanceOf(java.util.concurrent.CancellationException.class);
      }
      GroupImpl<?> g = pattern.get();
      assertThat(leftIn(g)).isEqualTo("0 deadlines, 0 timers, 0 block nodes, 0 clock timers");
      assertThat(g.blockDeadlines).isNull();
      assertThat(g.running()).isZero();
    }

    @Test
    void aTimedTaskWhoseStartIsDeferredKeepsADeadlineOfItsOwnAndTimesOutLikeTheOthers() {
      List<TaskFn<Integer>> fns = new ArrayList<>(timed(300, ms(1_000)));
      TaskFn<Integer> first = untilCancelledNoting(0);
      fns.set(0, ((TaskFn<Integer>) scope -> {
        // a frame waiting in the trampoline: every later start of the loop queues behind it
        Trampoline.current().defer(new Trampoline.Deferred(((AbstractTask<?>) scope).group) {
          @Override
          void run() {}
        });
        return first.run(scope);
      }).withTimeout(ms(1_000)));
      Future<List<Outcome<Integer>>> all = gather(options(), fns);
      GroupImpl<?> g = pattern.get();
      assertThat(await(call(context, () -> g.patternDeadlines != null && g.patternDeadlines[299] != null))).isTrue();
      advance(999);
      assertThat(timedOut).isEmpty();
      advance(1);
      List<Outcome<Integer>> outcomes = await(all);
      for (int i = 0; i < 300; i++) {
        assertTimedOut(outcomes.get(i), i, ms(1_000));
      }
      assertThat(leftIn(g)).isEqualTo("0 deadlines, 0 timers, 0 block nodes, 0 clock timers");
      assertThat(g.patternDeadlines).containsOnlyNulls();
    }
  }
}
