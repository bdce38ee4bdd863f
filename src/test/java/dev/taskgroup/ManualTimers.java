package dev.taskgroup;

import io.vertx.core.Context;
import io.vertx.core.Handler;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * A clock the test moves by hand: deadlines and sleeps fire exactly when {@link #advance} passes
 * them, in deadline order, on the calling thread (call it on the group's context).
 */
final class ManualTimers implements Timers {
  private record Entry(long due, long id, Handler<Long> handler) {}

  private long now = 1_000_000_000L;
  private long nextId = 1;
  private final List<Entry> entries = new ArrayList<>();

  @Override
  public synchronized long nanoTime() {
    return now;
  }

  @Override
  public synchronized long schedule(Context context, long delayMillis, Handler<Long> handler) {
    long id = nextId++;
    // Saturated as TestClock's are: now + a delay of centuries would overflow and fall due at once, forever.
    long delayNanos = delayMillis >= Long.MAX_VALUE / 4 / 1_000_000L ? Long.MAX_VALUE / 4 : delayMillis * 1_000_000L;
    entries.add(new Entry(now + delayNanos, id, handler));
    return id;
  }

  @Override
  public synchronized void cancel(Context context, long id) {
    entries.removeIf(e -> e.id == id);
  }

  /** Moves the clock forward, firing every timer that falls due on the way. */
  void advance(Duration by) {
    long target;
    synchronized (this) {
      target = now + by.toNanos();
    }
    while (true) {
      Entry next;
      synchronized (this) {
        next = entries.stream().filter(e -> e.due <= target).min(Comparator.comparingLong(Entry::due)).orElse(null);
        if (next == null) {
          now = target;
          return;
        }
        entries.remove(next);
        now = Math.max(now, next.due);
      }
      next.handler.handle(next.id);
    }
  }

  /**
   * Moves the clock forward without firing anything, as a task's synchronous work takes time: what
   * falls due fires at the next {@link #advance}, late, as a busy event loop fires it.
   */
  synchronized void elapse(Duration by) {
    now += by.toNanos();
  }

  /** {@return how many timers are scheduled and not fired or cancelled} */
  synchronized int pending() {
    return entries.size();
  }

  /** {@return options that drive a group from this clock} */
  TaskGroupOptions options() {
    return new TaskGroupOptions().setTimers(this);
  }
}
