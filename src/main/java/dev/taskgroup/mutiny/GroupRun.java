package dev.taskgroup.mutiny;

import dev.taskgroup.TaskGroup;
import dev.taskgroup.TaskGroupException;
import io.smallrye.mutiny.Uni;
import io.smallrye.mutiny.subscription.UniEmitter;
import io.vertx.core.AsyncResult;
import io.vertx.core.Future;
import java.util.function.Function;

/**
 * One subscription of a group-as-a-{@code Uni}: one run of the group. It opens the group when the
 * Uni is subscribed, cancels it when the subscription is cancelled, and emits its outcome unless
 * the subscription was cancelled first (the emitter drops anything after a cancel: the Uni never
 * emits after it).
 *
 * <p>The subscription may be cancelled on any thread, also before the group's body has run (the
 * group starts after a hop when subscribed off its context). Two volatile fields meet in the
 * middle: the cancel writes {@link #cancelled} then reads {@link #group}; the body writes
 * {@code group} then reads {@code cancelled}; at least one of them sees the other's write, so the
 * group is cancelled either way ({@link TaskGroup#cancel()} is idempotent and hops to the group's
 * context). A body that finds the subscription cancelled runs none of the user's code.
 */
final class GroupRun<R> {
  /** How a group is opened: {@code TaskGroup.run} with the Vert.x or the scope, and options. */
  interface Opener<R> {
    Future<R> open(Function<TaskGroup, Future<R>> body);
  }

  private final UniEmitter<? super R> emitter;
  /** Whether the outcome is being emitted: the termination callback that follows is not a cancel. Any thread. */
  private volatile boolean emitting;
  /** Set once the subscription is cancelled. Any thread. */
  private volatile boolean cancelled;
  /** The running group, once its body started. Written on the group's context, read by a cancel. */
  private volatile TaskGroup group;

  private GroupRun(UniEmitter<? super R> emitter) {
    this.emitter = emitter;
  }

  /**
   * {@return a cold Uni: each subscription opens a group with {@code opener} and runs {@code body}
   * in it} With {@code unwrap}, a failure of the opened group that only wraps its body's failure
   * (a {@link TaskGroupException} holding exactly that one error) is emitted as the body's failure:
   * the patterns run as a body nested in a group that exists to be cancellable, and their failure
   * must read as the core pattern's.
   */
  static <R> Uni<R> uni(Opener<R> opener, Function<TaskGroup, Future<R>> body, boolean unwrap) {
    return Uni.createFrom().emitter(emitter -> {
      GroupRun<R> run = new GroupRun<>(emitter);
      emitter.onTermination(run::terminated); // runs at once if the subscriber has cancelled already
      Future<R>[] inner = unwrap ? newFutureSlot() : null;
      opener.open(g -> {
        run.group = g;
        if (run.cancelled) {
          g.cancel();
          return Future.succeededFuture();
        }
        Future<R> f = body.apply(g);
        if (inner != null) {
          inner[0] = f;
        }
        return f;
      }).onComplete(ar -> run.settled(ar, inner == null ? null : inner[0]));
    });
  }

  @SuppressWarnings("unchecked")
  private static <R> Future<R>[] newFutureSlot() {
    return (Future<R>[]) new Future<?>[1];
  }

  private void settled(AsyncResult<R> outcome, Future<R> inner) {
    emitting = true;
    if (outcome.succeeded()) {
      emitter.complete(outcome.result());
    } else {
      emitter.fail(unwrapped(outcome.cause(), inner));
    }
  }

  private static Throwable unwrapped(Throwable failure, Future<?> inner) {
    if (inner != null && inner.failed() && failure instanceof TaskGroupException
        && ((TaskGroupException) failure).exceptions().size() == 1
        && ((TaskGroupException) failure).exceptions().get(0) == inner.cause()) {
      return inner.cause();
    }
    return failure;
  }

  /** The emitter terminated: after our own emission, or because the subscriber cancelled. Any thread. */
  private void terminated() {
    if (emitting) {
      return;
    }
    cancelled = true;
    TaskGroup g = group;
    if (g != null) {
      g.cancel();
    }
  }
}
