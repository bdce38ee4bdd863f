package dev.taskgroup.http;

import dev.taskgroup.Registration;
import dev.taskgroup.TaskCancelledException;
import dev.taskgroup.TaskScope;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Promise;

/**
 * One I/O operation bound to a scope, with one winner: the first of the scope's abort (through
 * {@link TaskScope#bind}) and the operation's own end; the loser is a no-op (a late response after
 * an abort is discarded). Fields are written and read on the scope's context only.
 */
abstract class ScopedCall<R> implements Handler<TaskCancelledException> {
  final TaskScope scope;
  final Promise<R> promise = Promise.promise();
  /** Set by the abort; work that arrives afterwards (a pooled connection, say) is reset unsent. */
  TaskCancelledException cancelled;
  private Registration hook;
  private boolean done;

  ScopedCall(TaskScope scope) {
    this.scope = scope;
  }

  /** Binds the call to its scope; once, before the operation starts. {@return the call's future} */
  final Future<R> bind() {
    hook = scope.bind(this);
    return promise.future();
  }

  /** The scope was cancelled, or its task finished: abort what is in flight, fail with the cause. */
  @Override
  public final void handle(TaskCancelledException cause) {
    if (done) {
      return;
    }
    done = true;
    cancelled = cause;
    hook = null; // it ran; nothing to remove
    try {
      abort(cause);
    } finally {
      promise.fail(cause); // the task settles even if the reset threw
    }
  }

  /** Resets whatever the operation holds; {@link #cancelled} is already set. */
  abstract void abort(TaskCancelledException cause);

  /** Drops references to what the operation held, once it ended. */
  void ended() {}

  /**
   * The operation ended on its own. A failure that surfaces once the scope is cancelled is the
   * abort's echo: the call fails with the scope's cancellation instead.
   */
  final void finish(Throwable failure, R result) {
    if (done) {
      return;
    }
    done = true;
    if (hook != null) {
      hook.remove();
      hook = null;
    }
    ended();
    if (failure == null) {
      promise.complete(result);
    } else {
      TaskCancelledException c = scope.cancellation();
      promise.fail(c != null ? c : failure);
    }
  }
}
