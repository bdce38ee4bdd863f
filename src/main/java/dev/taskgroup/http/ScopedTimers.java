package dev.taskgroup.http;

import dev.taskgroup.Registration;
import dev.taskgroup.TaskScope;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import java.time.Duration;
import java.util.Objects;

/**
 * Timers bound to a {@link TaskScope}: they stop when the scope is cancelled, so a cancelled task
 * leaves no timer behind, and they run on the scope's clock (a test clock, if the group has one).
 *
 * <pre>{@code
 * Registration heartbeat = ScopedTimers.periodic(scope, Duration.ofSeconds(1), id -> ping());
 * return work(scope).andThen(ar -> heartbeat.remove());
 * }</pre>
 *
 * <p>Thread safety: call on the scope's context (where {@link TaskScope#bind} may be called);
 * handlers run there.
 */
public final class ScopedTimers {
  private ScopedTimers() {}

  /**
   * {@return a future that succeeds after {@code delay}, or fails with the scope's
   * {@code TaskCancelledException} as soon as the scope is cancelled} This is
   * {@link TaskScope#sleep}, named for symmetry with {@link #periodic}.
   *
   * @throws IllegalArgumentException if {@code delay} is negative
   * @throws IllegalStateException if called off the scope's context
   */
  public static Future<Void> timer(TaskScope scope, Duration delay) {
    return Objects.requireNonNull(scope, "scope").sleep(delay);
  }

  /**
   * Calls {@code handler} every {@code period} (with the tick's number: 1, 2, ...) until the scope
   * is cancelled, its task finishes, or the returned registration is removed, whichever comes
   * first.
   *
   * <p>Each period is one {@link TaskScope#sleep} of the scope, measured from the previous tick
   * (fixed delay), so the ticks follow the scope's clock: a group's
   * {@link dev.taskgroup.TaskGroupOptions#setClock test clock} drives them too, and periodics of
   * one period share one timer. A cancelled or finished scope ends the pending sleep at once, so
   * the timer stops then without calling the handler. {@code remove()} stops the ticks at once;
   * the one sleep already pending stays queued until its time (or the scope's end) and then does
   * nothing. Rejected: a Vert.x periodic timer, which a test clock cannot drive. A handler that
   * throws does not stop the timer: its exception goes to the context's exception handler.
   *
   * @param scope the scope that bounds the timer
   * @param period the time between ticks, at least 1 ms; however long
   * @param handler called on the scope's context with the tick's number
   * @return a registration whose {@code remove()} stops the timer; true if it was still running
   * @throws IllegalArgumentException if {@code period} is shorter than 1 ms
   * @throws IllegalStateException if called off the scope's context
   */
  public static Registration periodic(TaskScope scope, Duration period, Handler<Long> handler) {
    Objects.requireNonNull(scope, "scope");
    Objects.requireNonNull(period, "period");
    Objects.requireNonNull(handler, "handler");
    if (period.compareTo(Duration.ofMillis(1)) < 0) { // not toMillis(): it overflows past 292 million years
      throw new IllegalArgumentException("period must be at least 1 ms, got " + period);
    }
    Periodic p = new Periodic(scope, period, handler);
    p.next();
    return p;
  }

  /** One periodic timer: a chain of sleeps. Fields are written and read on the scope's context only. */
  static final class Periodic implements Registration {
    final TaskScope scope;
    final Duration period;
    final Handler<Long> handler;
    long ticks;
    boolean stopped;

    Periodic(TaskScope scope, Duration period, Handler<Long> handler) {
      this.scope = scope;
      this.period = period;
      this.handler = handler;
    }

    /** Sleeps one period; a failed sleep (the scope was cancelled or finished) stops the timer. */
    void next() {
      scope.sleep(period).onComplete(ar -> {
        if (stopped) {
          return;
        }
        if (ar.failed()) {
          stopped = true;
          return;
        }
        Scopes.callUser(scope, handler, ++ticks);
        if (!stopped) {
          next();
        }
      });
    }

    /** {@return whether the timer was stopped, by cancellation, removal, or the scope closing} (tests) */
    boolean isStopped() {
      return stopped;
    }

    @Override
    public boolean remove() {
      if (stopped) {
        return false;
      }
      stopped = true;
      return true;
    }
  }
}
