package dev.taskgroup.http;

import dev.taskgroup.Registration;
import dev.taskgroup.TaskScope;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.Objects;

/**
 * Timers bound to a {@link TaskScope}: they stop when the scope is cancelled, so a cancelled task
 * leaves no timer behind.
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
   * Calls {@code handler} every {@code period} (with the timer id) until the scope is cancelled or
   * the returned registration is removed, whichever comes first.
   *
   * <p>The scope's task finishing does not by itself signal anything to a periodic timer (the
   * scope drops its hooks without running them); the timer notices on its next tick that the scope
   * is gone and stops without calling the handler. Remove the registration when the task's work
   * ends to stop it at once.
   *
   * @return a registration whose {@code remove()} cancels the timer and the hook; true if the
   *     timer was still running
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
    Periodic p = new Periodic(scope, handler);
    p.hook = scope.bind(c -> p.stop());
    if (scope.isCancelled()) { // the hook ran at once
      return p;
    }
    p.timerId = scope.vertx().setPeriodic(period.toMillis(), p);
    return p;
  }

  /** One periodic timer. Fields are written and read on the scope's context only. */
  static final class Periodic implements Handler<Long>, Registration {
    final TaskScope scope;
    final Handler<Long> handler;
    Registration hook;
    long timerId = -1;
    boolean stopped;

    Periodic(TaskScope scope, Handler<Long> handler) {
      this.scope = scope;
      this.handler = handler;
    }

    @Override
    public void handle(Long id) {
      if (stopped) {
        return;
      }
      if (!scopeAlive()) {
        remove();
        return;
      }
      handler.handle(id);
    }

    /** Whether the scope is neither cancelled nor finished (see {@link Scopes#refusal}). */
    private boolean scopeAlive() {
      return Scopes.refusal(scope) == null;
    }

    /** The scope was cancelled: the hook ran, only the timer is left. */
    void stop() {
      stopped = true;
      hook = null;
      if (timerId >= 0) {
        scope.vertx().cancelTimer(timerId);
      }
    }

    /** {@return the Vert.x timer id, or -1 if none was started} (tests) */
    long timerId() {
      return timerId;
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
      if (hook != null) {
        hook.remove();
        hook = null;
      }
      return timerId >= 0 && scope.vertx().cancelTimer(timerId);
    }
  }
}
