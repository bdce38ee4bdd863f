package dev.taskgroup;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.Optional;

/**
 * What a running task sees of its place in the tree: whether it has been asked to stop, hooks to
 * stop its I/O when it is, and the time it has left.
 *
 * <pre>{@code
 * TaskFn<Buffer> fetch = scope -> {
 *   HttpClientRequest[] req = new HttpClientRequest[1];
 *   Registration hook = scope.onCancel(c -> { if (req[0] != null) req[0].reset(0, c); });
 *   return client.request(options)
 *       .compose(r -> { req[0] = r; return r.send(); })
 *       .compose(HttpClientResponse::body)
 *       .andThen(ar -> hook.remove());
 * };
 * }</pre>
 *
 * <p>Cancellation is cooperative: it never interrupts a thread. A cancelled scope runs its
 * {@link #onCancel} hooks, ends its {@link #sleep}s, and expects the task to settle soon; the group
 * waits until it does. Cancellation flows down at once: cancelling a group cancels every task
 * scope in it, and a nested group's scope with it.
 *
 * <p>Thread safety: {@link #isCancelled()}, {@link #cancellation()}, {@link #vertx()} and
 * {@link #context()} may be called from any thread (a worker can poll {@code isCancelled()});
 * {@link #isFinished()} and {@link #remaining()} are exact on the group's context and a snapshot
 * elsewhere. {@link #onCancel}, {@link #bind} and {@link #sleep} must be called on the group's
 * context (the context itself: another context of the same event loop does not count), else they
 * throw {@link IllegalStateException}. A {@link Registration} may be removed from any thread.
 */
public interface TaskScope {

  /** {@return the Vert.x instance the group runs on} */
  Vertx vertx();

  /** {@return the context that owns the group's state; hooks and completions run on it} */
  Context context();

  /**
   * {@return whether the calling code runs on this scope's context itself} True only on the
   * context's own thread with {@code Vertx.currentContext()} being that context: another context
   * of the same event loop, or code inside {@code executeBlocking}, is not on it. The operations
   * that must run on the context ({@link #onCancel}, {@link #bind}, {@link #sleep}, spawning)
   * check exactly this; I/O helpers use it to decide whether to hop. Any thread.
   */
  boolean isOnContext();

  /** {@return whether this scope has been asked to stop} */
  boolean isCancelled();

  /** {@return the cancellation with its reason, or null while the scope is not cancelled} */
  TaskCancelledException cancellation();

  /**
   * Registers a hook that runs once, on the group's context, when this scope is cancelled, or at
   * once if it already is. Remove the hook when the operation it guards ends. Hooks are dropped,
   * without running, when the scope's task finishes; a hook that throws is reported as an error of
   * the group.
   *
   * @throws NullPointerException if {@code hook} is null
   * @throws IllegalStateException if called off the group's context
   */
  Registration onCancel(Handler<TaskCancelledException> hook);

  /**
   * Binds an operation to this scope: {@code abort} runs once, on the group's context, when the
   * scope is cancelled, or when its task or group finishes while the operation is still bound
   * (then with reason {@link CancelReason#SCOPE_CLOSED}): nothing started in a scope outlives it.
   * It runs at once if the scope is already cancelled or finished. Remove the registration when
   * the operation ends. This is what I/O helpers use; {@link #onCancel} is for cleanup that should
   * run only on cancellation.
   *
   * @throws NullPointerException if {@code abort} is null
   * @throws IllegalStateException if called off the group's context
   */
  Registration bind(Handler<TaskCancelledException> abort);

  /**
   * {@return whether the task or group that owns this scope has finished} Nothing can be started
   * in a finished scope: a sleep, a nested group or a bound operation fails at once with reason
   * {@link CancelReason#SCOPE_CLOSED}. Exact on the group's context.
   */
  boolean isFinished();

  /**
   * {@return a future that succeeds after {@code delay}, or fails with the scope's
   * {@link TaskCancelledException} as soon as the scope is cancelled}
   *
   * <p>Sleeps of the same duration share one timer.
   *
   * @throws NullPointerException if {@code delay} is null
   * @throws IllegalArgumentException if {@code delay} is negative
   * @throws IllegalStateException if called off the group's context
   */
  Future<Void> sleep(Duration delay);

  /**
   * {@return the time left before the nearest deadline of this scope or any enclosing one (never
   * negative), or empty when no deadline applies} I/O helpers use it as a request timeout so that
   * nothing outlives the scope.
   */
  Optional<Duration> remaining();

  /**
   * {@return the number of the attempt this scope runs in, from 1} That of the nearest enclosing
   * attempt of a {@link TaskFn#retried retried} or {@link TaskFn#hedged hedged} function (nested
   * timeouts, groups and tasks inside an attempt see its number); 1 outside any.
   */
  default int attempt() {
    return 1;
  }
}
