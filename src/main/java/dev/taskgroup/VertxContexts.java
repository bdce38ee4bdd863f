package dev.taskgroup;

import io.vertx.core.Closeable;
import io.vertx.core.Context;
import io.vertx.core.Handler;
import io.vertx.core.Promise;
import io.vertx.core.ThreadingModel;
import io.vertx.core.internal.ContextInternal;
import java.util.function.Function;

/**
 * The one place that touches Vert.x internal API ({@code io.vertx.core.internal}).
 *
 * <p>Why: the public API cannot ask "is this thread running this very context right now?" (the
 * check that lets a completion skip the hop when it is already home: {@code Vertx.currentContext()}
 * alone is not enough, the thread must be the context's too), cannot run code inline on a context
 * that shares the current thread (switching the current context, as Vert.x's own future dispatch
 * does with {@code beginDispatch}/{@code endDispatch}), has no promise whose listeners are dispatched
 * onto a given context ({@code Promise.promise()} has none), no timer bound to a context other than
 * the current one, no way to report an error to a context's exception handler, and no close hook
 * that runs when a context's deployment is undeployed (or Vert.x closes).
 * {@link ContextInternal} has all of them. Keeping them here means a Vert.x upgrade that moves them
 * breaks one small class.
 */
final class VertxContexts {
  private VertxContexts() {}

  /**
   * {@return whether the current thread is running {@code context} itself right now} True only when
   * {@code Vertx.currentContext() == context} on the context's own thread: another context of the
   * same event loop is not enough (its context-locals, tracing and timers belong to someone else).
   */
  static boolean isOnContext(Context context) {
    return ((ContextInternal) context).isRunningOnContext();
  }

  /** {@return whether {@code context} is the current thread's current context (the thread not checked)} */
  static boolean isCurrent(Context context) {
    return ContextInternal.current() == context;
  }

  /** {@return whether the current thread may run {@code context}'s tasks (another context may be current)} */
  static boolean inThread(Context context) {
    return ((ContextInternal) context).inThread();
  }

  /** {@return whether {@code context} runs each of its tasks on a virtual thread} */
  static boolean isVirtual(Context context) {
    return context.threadingModel() == ThreadingModel.VIRTUAL_THREAD;
  }

  /**
   * Runs {@code task} on {@code context}: at once when already running it; at once with the context
   * switched in when the current thread is its thread (as Vert.x dispatches a future's listeners);
   * else on the context's thread, later. The task handles its own throws.
   */
  static void dispatch(Context context, Runnable task) {
    ContextInternal c = (ContextInternal) context;
    if (c.isRunningOnContext()) {
      task.run();
    } else if (c.inThread()) {
      ContextInternal previous = c.beginDispatch();
      try {
        task.run();
      } finally {
        c.endDispatch(previous);
      }
    } else {
      c.runOnContext(v -> task.run());
    }
  }

  /** {@return a promise whose future dispatches its listeners onto {@code context}} */
  static <T> Promise<T> promise(Context context) {
    return ((ContextInternal) context).promise();
  }

  /** Starts a one-shot timer that fires on {@code context}; {@return its id} */
  static long setTimer(Context context, long delayMillis, Handler<Long> handler) {
    return ((ContextInternal) context).setTimer(delayMillis, handler);
  }

  /** Hands an error nobody can receive any more to the context's exception handler (or its log). */
  static void reportException(Context context, Throwable error) {
    ((ContextInternal) context).reportException(error);
  }

  /**
   * {@return {@code context}'s base context's (duplicates share it) {@link OwnerClose}, made on first use}
   */
  static OwnerClose ownerClose(Context context, Function<Context, OwnerClose> make) {
    ContextInternal base = ((ContextInternal) context).unwrap();
    return (OwnerClose) base.contextData().computeIfAbsent(OwnerClose.class, k -> make.apply(base));
  }

  /**
   * Runs {@code hook} when {@code context}'s owner closes: its deployment is undeployed, or Vert.x
   * closes. {@return false if the owner is closed already (the hook will never run)}
   */
  static boolean addCloseHook(Context context, Closeable hook) {
    return ((ContextInternal) context).closeFuture().add(hook);
  }

  /** {@return whether {@code context} belongs to a deployment (a verticle)} */
  static boolean isDeployed(Context context) {
    return ((ContextInternal) context).deployment() != null;
  }

  /** Takes back a hook of {@link #addCloseHook}. */
  static void removeCloseHook(Context context, Closeable hook) {
    ((ContextInternal) context).removeCloseHook(hook);
  }
}
