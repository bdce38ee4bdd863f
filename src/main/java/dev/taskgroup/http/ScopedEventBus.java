package dev.taskgroup.http;

import dev.taskgroup.Registration;
import dev.taskgroup.TaskCancelledException;
import dev.taskgroup.TaskScope;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import java.util.Objects;
import java.util.concurrent.atomic.LongAdder;

/**
 * Event-bus requests bound to a {@link TaskScope}: the request never waits longer than the scope
 * lives, and a reply that arrives after the scope was cancelled is dropped, never delivered to a
 * dead task.
 *
 * <pre>{@code
 * TaskFn<JsonObject> price = scope -> ScopedEventBus
 *     .<JsonObject>request(scope, vertx.eventBus(), "prices", sku, new DeliveryOptions())
 *     .map(Message::body);
 * }</pre>
 *
 * <p>An event-bus request cannot be withdrawn once sent (the consumer may be on another node), so
 * cancellation here means: the returned future fails at once with the scope's
 * {@link TaskCancelledException}, the reply slot stays open until the reply or the send timeout,
 * and a reply that still arrives is dropped and counted in {@link #droppedReplies()}. The send
 * timeout is the tighter of the one in the options and the scope's remaining time (plus a small
 * grace so the scope's own deadline fires first). The cancel hook is removed when the request ends.
 *
 * <p>Thread safety: static, stateless except for the counter; call from any thread (the work runs
 * on the scope's context and the future completes there).
 */
public final class ScopedEventBus {
  /**
   * Replies (including {@code message.fail(...)} answers) that arrived after their scope was
   * cancelled, since the class was loaded, across every event bus of the process. Process-wide on
   * purpose: the helper is static; tests read it before and after.
   */
  private static final LongAdder DROPPED = new LongAdder();

  private ScopedEventBus() {}

  /**
   * Sends {@code body} to {@code address} and waits for the reply within the scope.
   *
   * @param options copied (the caller's instance is not modified); null means the defaults
   * @return the reply; or the scope's {@link TaskCancelledException} as soon as it is cancelled (a
   *     scope already cancelled sends nothing); or the event bus's {@link ReplyException}
   * @throws NullPointerException if {@code scope}, {@code bus} or {@code address} is null
   */
  public static <T> Future<Message<T>> request(TaskScope scope, EventBus bus, String address, Object body,
                                               DeliveryOptions options) {
    Objects.requireNonNull(scope, "scope");
    Objects.requireNonNull(bus, "bus");
    Objects.requireNonNull(address, "address");
    return Scopes.onScopeContext(scope, () -> start(scope, bus, address, body, options));
  }

  /** {@return how many replies were dropped because their scope had been cancelled (process-wide)} */
  public static long droppedReplies() {
    return DROPPED.sum();
  }

  /** On the scope's context. */
  private static <T> Future<Message<T>> start(TaskScope scope, EventBus bus, String address, Object body,
                                              DeliveryOptions options) {
    TaskCancelledException cancelled = Scopes.refusal(scope); // cancelled, or its task has finished
    if (cancelled != null) {
      return Future.failedFuture(cancelled);
    }
    DeliveryOptions opts = options == null ? new DeliveryOptions() : new DeliveryOptions(options);
    long bound = Scopes.ioTimeoutMillis(scope);
    if (bound > 0) {
      opts.setSendTimeout(Scopes.tighter(opts.getSendTimeout(), bound));
    }
    Promise<Message<T>> promise = Promise.promise();
    // The hook only fails the future: there is nothing to abort on the bus. The reply handler
    // below is the one place that notices the late reply, so it does the dropping.
    Registration hook = scope.bind(promise::tryFail);
    bus.<T>request(address, body, opts).onComplete(ar -> {
      hook.remove();
      if (promise.future().isComplete()) { // cancelled first
        if (ar.succeeded() || isRecipientFailure(ar.cause())) {
          DROPPED.increment();
        }
        return;
      }
      TaskCancelledException c = scope.cancellation();
      if (ar.failed() && c != null) {
        promise.fail(c);
      } else {
        promise.handle(ar);
      }
    });
    return promise.future();
  }

  private static boolean isRecipientFailure(Throwable cause) {
    return cause instanceof ReplyException && ((ReplyException) cause).failureType() == ReplyFailure.RECIPIENT_FAILURE;
  }
}
