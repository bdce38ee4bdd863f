package dev.taskgroup;

import io.vertx.core.Completable;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.util.concurrent.CancellationException;

/**
 * The inner scope of a timeout that is not a task's own (see {@link TimeoutFn}): a child of the
 * calling scope, cancelled with it or by its own deadline. Group's context only.
 */
final class TimeoutScope<T> extends ScopeImpl implements Completable<T> {
  private final ScopeImpl parent;
  private final TimeoutFn<T> spec;
  private final Deadline deadline = new Deadline();
  private final Promise<T> promise;
  private Registration parentHook;
  private boolean timedOut;
  private boolean done;

  TimeoutScope(ScopeImpl parent, TimeoutFn<T> spec) {
    this.group = parent.group;
    this.parent = parent;
    this.spec = spec;
    this.promise = VertxContexts.promise(group.context);
  }

  @Override
  String scopeName() {
    return parent.scopeName();
  }

  @Override
  boolean closed() {
    return done;
  }

  @Override
  long deadlineNanos() {
    long own = deadline.deadlineNanos();
    return Math.min(own, parent.deadlineNanos());
  }

  Future<T> start() {
    group.checkOnContext("a timeout's run");
    TaskCancelledException cause = parent.cancelCause;
    if (cause != null) {
      return Future.failedFuture(cause);
    }
    if (parent.closed()) {
      return Future.failedFuture(parent.closedCause());
    }
    parentHook = parent.attachChild(this::cancel);
    group.attach(); // the group completes only after this work settles, awaited or not
    group.deadlines.add(deadline, spec.nanos);
    Future<T> work;
    try {
      work = spec.inner.run(this);
    } catch (Throwable e) {
      settle(null, e);
      return promise.future();
    }
    if (work == null) {
      settle(null, new NullPointerException("the function under a timeout in '" + scopeName()
          + "' returned null instead of a Future"));
    } else {
      work.onComplete(this);
    }
    return promise.future();
  }

  @Override
  public void complete(T value, Throwable error) {
    if (group.onContext()) {
      settle(value, error);
    } else {
      group.context.runOnContext(v -> settle(value, error));
    }
  }

  private void settle(T value, Throwable error) {
    if (done) {
      return;
    }
    done = true;
    Deadlines.remove(deadline);
    parentHook.remove();
    close();
    if (timedOut && error instanceof CancellationException) {
      spec.timedOut(scopeName()).onComplete(promise);
    } else if (error == null) {
      promise.complete(value);
    } else {
      promise.fail(error);
    }
    group.detach();
  }

  private final class Deadline extends Deadlines.Node {
    @Override
    void expire() {
      if (cancelCause == null && !closed()) {
        timedOut = true; // before cancel(): its hooks may settle the work synchronously
        cancel(spec.deadlineCancellation(scopeName()));
      }
    }

    @Override
    void close(TaskCancelledException cause) {
      cancel(cause); // the group completed while this timeout's work was not awaited
    }
  }
}
