package dev.taskgroup;

import io.vertx.core.Context;
import io.vertx.core.Handler;
import java.time.Duration;
import java.util.Objects;
import java.util.TreeSet;

/**
 * Virtual time for tests: groups given this clock measure their deadlines, task timeouts, sleeps,
 * {@link TaskScope#remaining()} and {@code ScopedTimers} by it, and nothing fires until the test
 * {@link #advance advances} it. A test of a timeout then takes no real time and cannot be flaky.
 *
 * <pre>{@code
 * TestClock clock = new TestClock();
 * Future<String> reply = TaskGroup.run(vertx, new TaskGroupOptions().setClock(clock), group -> {
 *   Task<String> slow = group.spawn(slowService.withTimeout(Duration.ofSeconds(2), "fallback"));
 *   clock.advance(Duration.ofSeconds(2)); // on the group's context: the timeout fires now
 *   return slow.future();
 * });
 * }</pre>
 *
 * <p>Like Trio's {@code MockClock} or kotlinx-coroutines-test's virtual time, and unlike Reactor's
 * {@code withVirtualTime}, the clock is passed explicitly: {@link TaskGroupOptions#setClock}.
 * Nested groups inherit their parent's clock; the JSON form of the options cannot carry one. Time
 * starts at zero and moves only forward, by {@code advance}; it stops at {@link #MAX}.
 *
 * <h2>Threads</h2>
 * Thread-safe: {@link #now()} and {@link #pendingTimers()} may be read from any thread. Timers fire
 * inside {@code advance}, on the calling thread, in deadline order (then in the order they were
 * set), so call {@code advance} on the context of the groups it drives: from the body, a task, or
 * {@code context.runOnContext}. Called anywhere else while a timer of such a group is due, it
 * throws {@link IllegalStateException} and leaves that timer and the time before it untouched.
 * Work that has not yet set its timers (a group started from a test thread hops to its context
 * first) is not reached by an {@code advance} that runs before it: advance from the group's context.
 */
public final class TestClock {
  /** The latest time the clock shows: about 146 years; {@code advance} stops there. */
  public static final Duration MAX = Duration.ofNanos(Long.MAX_VALUE / 2);

  private record Entry(long due, long id, Context context, Handler<Long> handler) implements Comparable<Entry> {
    @Override
    public int compareTo(Entry o) {
      int byDue = Long.compare(due, o.due);
      return byDue != 0 ? byDue : Long.compare(id, o.id);
    }
  }

  private final Timers timers = new ClockTimers();
  private final TreeSet<Entry> pending = new TreeSet<>(); // guarded by this
  private long nowNanos; // guarded by this; never above MAX
  private long nextId = 1; // guarded by this

  /** A clock at time zero with no timers. */
  public TestClock() {}

  /** {@return the time elapsed on this clock since it was created: the sum of every advance, capped at {@link #MAX}} */
  public synchronized Duration now() {
    return Duration.ofNanos(nowNanos);
  }

  /** {@return how many timers are set and have neither fired nor been cancelled} */
  public synchronized int pendingTimers() {
    return pending.size();
  }

  /**
   * Moves the clock forward by {@code by}, firing every timer that falls due on the way, each at
   * its own time ({@link #now()} shows its deadline while it runs) and in deadline order; timers
   * set by those that fire are fired too when they fall due before the end.
   *
   * @throws NullPointerException if {@code by} is null
   * @throws IllegalArgumentException if {@code by} is negative
   * @throws IllegalStateException if a timer falls due whose context is not the caller's (see
   *     Threads above)
   */
  public void advance(Duration by) {
    Durations.requireNotNegative(by, "by");
    long target;
    synchronized (this) {
      long step = Durations.toNanos(by);
      target = step >= MAX.toNanos() - nowNanos ? MAX.toNanos() : nowNanos + step;
    }
    while (true) {
      Entry next;
      synchronized (this) {
        next = pending.isEmpty() ? null : pending.first();
        if (next == null || next.due > target) {
          nowNanos = Math.max(nowNanos, target);
          return;
        }
        if (!VertxContexts.isOnContext(next.context)) {
          throw new IllegalStateException("TestClock.advance was called on thread '" + Thread.currentThread().getName()
              + "', but a timer of another context is due at " + Duration.ofNanos(next.due)
              + "; call advance on the context of the groups it drives (from the body, a task, or context.runOnContext)");
        }
        pending.remove(next);
        nowNanos = Math.max(nowNanos, next.due);
      }
      next.handler.handle(next.id);
    }
  }

  /** {@return what the groups use: this clock as their timer source} */
  Timers timers() {
    return timers;
  }

  @Override
  public synchronized String toString() {
    return "TestClock[now=" + Duration.ofNanos(nowNanos) + ", pendingTimers=" + pending.size() + "]";
  }

  /** The package-private timer interface over this clock. */
  private final class ClockTimers implements Timers {
    @Override
    public long nanoTime() {
      synchronized (TestClock.this) {
        return nowNanos;
      }
    }

    @Override
    public long schedule(Context context, long delayMillis, Handler<Long> handler) {
      Objects.requireNonNull(context, "context");
      synchronized (TestClock.this) {
        long id = nextId++;
        long delayNanos = delayMillis >= Long.MAX_VALUE / 1_000_000L ? Long.MAX_VALUE / 4 : delayMillis * 1_000_000L;
        pending.add(new Entry(nowNanos + Math.min(delayNanos, Long.MAX_VALUE / 4), id, context, handler));
        return id;
      }
    }

    @Override
    public void cancel(Context context, long id) {
      synchronized (TestClock.this) {
        pending.removeIf(e -> e.id == id);
      }
    }

    @Override
    public String toString() {
      return TestClock.this.toString();
    }
  }
}
