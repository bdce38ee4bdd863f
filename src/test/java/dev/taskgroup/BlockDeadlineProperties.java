package dev.taskgroup;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;

/**
 * The shared deadlines of a pattern's timed tasks ({@link BlockDeadline}) against a model of one
 * deadline per task: whatever the mix of durations, of timed and untimed tasks, of tasks that
 * settle at once, before or after their deadline, and whatever the pattern's length against the
 * block size, each task ends as its own timeout says, its deadline's cancellation reaches it
 * exactly at start + timeout on the manual clock, and the group keeps no deadline or timer after.
 */
class BlockDeadlineProperties extends OneContextProperties {
  /** What task {@code i} of shape {@code s} does: {@code s % 4} says how it ends, {@code 1 + s / 4} its timeout in seconds. */
  private enum Kind { UNTIMED_LATER, TIMED_UNTIL_CANCELLED, TIMED_AT_ONCE, TIMED_SLEEPS_2500_MS }

  private static final long SLEEP_MS = 2_500; // between the 2 s and 3 s timeouts: some end before, some after

  @Property(tries = 40)
  void everyTaskEndsAsItsOwnTimeoutSaysAtTheMomentItSays(
      @ForAll @Size(min = 1, max = 700) List<@IntRange(min = 0, max = 11) Integer> shapes) throws Exception {
    ManualTimers clock = new ManualTimers();
    long start = clock.nanoTime();
    Map<Integer, Long> cancelledAt = new ConcurrentHashMap<>(); // index -> ms after the start, by a deadline
    List<TaskFn<Integer>> fns = new ArrayList<>();
    for (int i = 0; i < shapes.size(); i++) {
      int k = i;
      Kind kind = Kind.values()[shapes.get(i) % 4];
      Duration timeout = Duration.ofSeconds(1 + shapes.get(i) / 4);
      TaskFn<Integer> work = switch (kind) {
        case UNTIMED_LATER -> VertxTest.later(k);
        case TIMED_UNTIL_CANCELLED -> scope -> {
          Promise<Integer> p = Promise.promise();
          scope.onCancel(c -> {
            note(cancelledAt, k, c, clock, start);
            p.fail(c);
          });
          return p.future();
        };
        case TIMED_AT_ONCE -> scope -> Future.succeededFuture(k);
        case TIMED_SLEEPS_2500_MS -> scope -> {
          scope.onCancel(c -> note(cancelledAt, k, c, clock, start));
          return scope.sleep(Duration.ofMillis(SLEEP_MS)).map(v -> k);
        };
      };
      fns.add(kind == Kind.UNTIMED_LATER ? work : work.withTimeout(timeout));
    }
    List<GroupImpl<?>> group = new CopyOnWriteArrayList<>();
    fns.set(0, recordingGroup(fns.get(0), group));
    Future<List<Outcome<Integer>>> gather = VertxTest.call(context,
        () -> TaskGroup.gather(vertx, clock.options(), fns)).await(10, TimeUnit.SECONDS);
    for (int ms = 0; ms < 3_000; ms += 250) {
      VertxTest.call(context, () -> {
        clock.advance(Duration.ofMillis(250));
        return null;
      }).await(10, TimeUnit.SECONDS);
    }
    List<Outcome<Integer>> outcomes = gather.await(10, TimeUnit.SECONDS);
    for (int i = 0; i < shapes.size(); i++) {
      Kind kind = Kind.values()[shapes.get(i) % 4];
      long timeoutMs = 1_000L * (1 + shapes.get(i) / 4);
      boolean timesOut = kind == Kind.TIMED_UNTIL_CANCELLED || kind == Kind.TIMED_SLEEPS_2500_MS && timeoutMs < SLEEP_MS;
      Outcome<Integer> o = outcomes.get(i);
      if (timesOut) {
        assertThat(o.cause()).as("task %d (%s, %d ms)", i, kind, timeoutMs).isInstanceOf(TaskTimeoutException.class);
        assertThat(cancelledAt.get(i)).as("when task %d's deadline cancelled it", i).isEqualTo(timeoutMs);
      } else {
        assertThat(o.result()).as("task %d (%s, %d ms)", i, kind, timeoutMs).isEqualTo(i);
        assertThat(cancelledAt).doesNotContainKey(i);
      }
    }
    GroupImpl<?> g = group.get(0);
    String left = VertxTest.call(context, () -> g.deadlines.size() + " deadlines, " + g.deadlines.armedTimers()
        + " timers, " + BlockDeadline.chained(g) + " block nodes, " + clock.pending() + " clock timers").await(10, TimeUnit.SECONDS);
    assertThat(left).isEqualTo("0 deadlines, 0 timers, 0 block nodes, 0 clock timers");
    assertThat(blockedThreadEvents).isEmpty();
  }

  private static void note(Map<Integer, Long> at, int index, TaskCancelledException c, ManualTimers clock, long start) {
    if (c.reason() == CancelReason.DEADLINE) {
      at.put(index, (clock.nanoTime() - start) / 1_000_000);
    }
  }

  /** {@code fn}, noting the group of the scope it runs in (the pattern's). */
  private static TaskFn<Integer> recordingGroup(TaskFn<Integer> fn, List<GroupImpl<?>> into) {
    if (fn instanceof TimeoutFn) {
      TimeoutFn<Integer> t = (TimeoutFn<Integer>) fn;
      TaskFn<Integer> inner = t.inner;
      TaskFn<Integer> noting = scope -> {
        into.add(((AbstractTask<?>) scope).group);
        return inner.run(scope);
      };
      return t.hasFallback() ? noting.withTimeout(t.timeout, null) : noting.withTimeout(t.timeout);
    }
    return scope -> {
      into.add(((AbstractTask<?>) scope).group);
      return fn.run(scope);
    };
  }
}
