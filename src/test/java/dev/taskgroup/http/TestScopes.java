package dev.taskgroup.http;

import dev.taskgroup.Registration;
import dev.taskgroup.TaskCancelledException;
import dev.taskgroup.TaskScope;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.Optional;

/** Scopes for tests: one that counts its live hooks, one whose deadline never cancels it. */
public final class TestScopes {
  private TestScopes() {}

  /** {@return a future completed with {@code f}'s outcome on {@code context}} */
  public static <T> Future<T> on(Context context, Future<T> f) {
    Promise<T> p = Promise.promise();
    f.onComplete(ar -> context.runOnContext(v -> p.handle(ar)));
    return p.future();
  }

  /**
   * Wraps a real scope and counts the hooks registered through it that neither ran nor were
   * removed. Only on the scope's context, like the scope.
   */
  public static final class Counting implements TaskScope {
    public final TaskScope delegate;
    public int live;
    public int maxLive;
    public long registered;

    public Counting(TaskScope delegate) {
      this.delegate = delegate;
    }

    @Override
    public Registration onCancel(Handler<TaskCancelledException> hook) {
      return count(hook, false);
    }

    @Override
    public Registration bind(Handler<TaskCancelledException> abort) {
      return count(abort, true);
    }

    private Registration count(Handler<TaskCancelledException> hook, boolean bound) {
      boolean[] gone = new boolean[1];
      live++;
      registered++;
      maxLive = Math.max(maxLive, live);
      Handler<TaskCancelledException> counted = c -> {
        if (!gone[0]) {
          gone[0] = true;
          live--;
        }
        hook.handle(c);
      };
      Registration r = bound ? delegate.bind(counted) : delegate.onCancel(counted);
      return () -> {
        boolean removed = r.remove();
        if (removed && !gone[0]) {
          gone[0] = true;
          live--;
        }
        return removed;
      };
    }

    @Override public Vertx vertx() { return delegate.vertx(); }
    @Override public Context context() { return delegate.context(); }
    @Override public boolean isOnContext() { return delegate.isOnContext(); }
    @Override public boolean isCancelled() { return delegate.isCancelled(); }
    @Override public TaskCancelledException cancellation() { return delegate.cancellation(); }
    @Override public boolean isFinished() { return delegate.isFinished(); }
    @Override public Future<Void> sleep(Duration delay) { return delegate.sleep(delay); }
    @Override public Optional<Duration> remaining() { return delegate.remaining(); }
  }

  /**
   * A scope that reports a deadline but is never cancelled: it stands for a hook that was missed,
   * to show that the I/O timeouts alone end the operation.
   */
  public static final class DeadlineOnly implements TaskScope {
    final Vertx vertx;
    final Context context;
    final long deadlineNanos;

    public DeadlineOnly(Vertx vertx, Context context, Duration remaining) {
      this.vertx = vertx;
      this.context = context;
      this.deadlineNanos = System.nanoTime() + remaining.toNanos();
    }

    @Override public Vertx vertx() { return vertx; }
    @Override public Context context() { return context; }
    @Override public boolean isOnContext() { return Vertx.currentContext() == context && Context.isOnEventLoopThread(); }
    @Override public boolean isCancelled() { return false; }
    @Override public TaskCancelledException cancellation() { return null; }
    @Override public Registration onCancel(Handler<TaskCancelledException> hook) { return () -> true; }
    @Override public Registration bind(Handler<TaskCancelledException> abort) { return () -> true; }
    @Override public boolean isFinished() { return false; }
    @Override public Future<Void> sleep(Duration delay) { return vertx.timer(delay.toMillis()); }

    @Override
    public Optional<Duration> remaining() {
      return Optional.of(Duration.ofNanos(Math.max(0, deadlineNanos - System.nanoTime())));
    }
  }
}
