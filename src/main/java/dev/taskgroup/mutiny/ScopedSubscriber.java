package dev.taskgroup.mutiny;

import dev.taskgroup.Registration;
import dev.taskgroup.TaskCancelledException;
import dev.taskgroup.TaskScope;
import io.smallrye.mutiny.Uni;
import io.smallrye.mutiny.subscription.UniSubscriber;
import io.smallrye.mutiny.subscription.UniSubscription;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Promise;
import java.util.concurrent.atomic.AtomicReference;

/**
 * One subscription to a {@code Uni} bound to a {@link TaskScope}: the Uni's item or failure
 * completes the future {@link #subscribe} returns; the scope's cancellation (or its close) cancels the subscription and
 * fails the future with the scope's {@link TaskCancelledException} at once, since a cancelled Mutiny
 * subscription never signals again and there is nothing left to wait for.
 *
 * <p>Three parties race to end it, each on its own thread: the Uni's item or failure (on whatever
 * thread the Uni emits), the scope's abort (on the group's context), and {@code onSubscribe} (on
 * the thread the Uni subscribes on: another one under {@code runSubscriptionOn}). One winner: the
 * first to complete the promise; the others are no-ops. The upstream subscription is handed over
 * through this object's own reference (it extends {@link AtomicReference} to save an object per
 * task): null until {@code onSubscribe}, then the upstream's subscription, and {@link #CANCELLED}
 * for good once the scope aborted, so that a subscription arriving after the abort is cancelled
 * at once.
 */
final class ScopedSubscriber<T> extends AtomicReference<UniSubscription>
    implements UniSubscriber<T>, Handler<TaskCancelledException> {
  private static final long serialVersionUID = 1L;

  /** Stands for "aborted": whatever subscription arrives after it is cancelled on arrival. */
  private static final UniSubscription CANCELLED = () -> { };

  /** No context: completed from the Uni's thread, the group hops back to its own. */
  private final transient Promise<T> promise = Promise.promise();
  /** Written on the group's context before the subscription starts; read by whoever ends it. */
  private transient volatile Registration binding;

  private ScopedSubscriber() {}

  /**
   * Subscribes to {@code uni} under {@code scope}, on the scope's context. {@return the future of
   * its item or failure} If the scope is already cancelled or finished, {@code uni} is never
   * subscribed and the future fails with that cancellation. Binds before subscribing (register
   * before running user code): a Uni that emits during {@code subscribe} finds the binding there.
   */
  static <T> Future<T> subscribe(TaskScope scope, Uni<T> uni) {
    ScopedSubscriber<T> s = new ScopedSubscriber<>();
    s.binding = scope.bind(s); // itself the abort handler: no method reference per task
    if (!s.promise.future().isComplete()) { // bind runs the abort at once in a cancelled or finished scope
      uni.subscribe().withSubscriber(s);
    }
    return s.promise.future();
  }

  @Override
  public void onSubscribe(UniSubscription subscription) {
    if (!compareAndSet(null, subscription)) {
      subscription.cancel(); // aborted before the upstream got here (or a second onSubscribe: refused)
    }
  }

  @Override
  public void onItem(T item) {
    if (promise.tryComplete(item)) { // a null item is a result like any other
      unbind();
    } // else: the scope aborted first; a late item is ignored
  }

  @Override
  public void onFailure(Throwable failure) {
    if (promise.tryFail(failure)) {
      unbind();
    }
  }

  /** The scope is cancelled or closed (on its context): cancel the subscription, end with the cause. */
  @Override
  public void handle(TaskCancelledException cause) {
    UniSubscription upstream = getAndSet(CANCELLED);
    if (upstream != null && upstream != CANCELLED) {
      upstream.cancel();
    }
    promise.tryFail(cause);
  }

  private void unbind() {
    Registration r = binding;
    if (r != null) { // null only while bind itself runs the abort, which then won
      r.remove();    // any thread: hops to the group's context when needed
    }
  }
}
