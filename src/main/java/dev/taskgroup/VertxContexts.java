package dev.taskgroup;

import io.vertx.core.Context;
import io.vertx.core.Handler;
import io.vertx.core.Promise;
import io.vertx.core.internal.ContextInternal;

/**
 * The one place that touches Vert.x internal API ({@code io.vertx.core.internal}).
 *
 * <p>Why: the public API has no way to ask "is this thread running this context?" (the check that
 * lets a completion skip the hop when it is already home), no promise whose listeners are
 * dispatched onto a given context ({@code Promise.promise()} has none), and no timer bound to a
 * context other than the current one, and no way to report an error to a context's exception
 * handler. {@link ContextInternal} has all four. Keeping them here
 * means a Vert.x upgrade that moves them breaks one small class.
 */
final class VertxContexts {
  private VertxContexts() {}

  /** {@return whether the current thread is the one {@code context} runs on right now} */
  static boolean isOnContext(Context context) {
    return ((ContextInternal) context).inThread();
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
}
