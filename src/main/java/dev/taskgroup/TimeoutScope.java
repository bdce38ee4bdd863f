package dev.taskgroup;

import io.vertx.core.Completable;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Promise;
import java.util.concurrent.CancellationException;

/**
 * The inner scope of a timeout that is not a task's own (see {@link TimeoutFn}): a child of the
 * calling scope, cancelled with it or by its own deadline. Timeouts nested in one another
 * ({@code fn.withTimeout(a).withTimeout(b)}, to any depth) are opened by a loop, never a recursion.
 * Group's context only.
 */
final class TimeoutScope<T> extends HookedScope implements Completable<T>, Handler<TaskCancelledException> {
  private final ScopeImpl parent;
  private final String name; // the parent's, taken once: asking up a deep chain would recurse
  private final TimeoutFn<T> spec;
  private final Deadline deadline = new Deadline();
  private final Promise<T> promise;
  private Registration parentHook;
  private boolean timedOut;
  private boolean done;

  private TimeoutScope(ScopeImpl parent, TimeoutFn<T> spec) {
    this.group = parent.group;
    this.parent = parent;
    this.name = parent.scopeName();
    this.spec = spec;
    this.promise = VertxContexts.promise(group.context);
  }

  @Override
  String scopeName() {
    return name;
  }

  @Override
  boolean closed() {
    return done;
  }

  @Override
  long ownDeadlineNanos() {
    return deadline.deadlineNanos();
  }

  @Override
  ScopeImpl enclosing() {
    return parent;
  }

  /**
   * Runs {@code spec} in {@code parent}: one scope per nested timeout, outermost first, each
   * awaiting the next; the innermost runs the function. {@return the outermost scope's future}
   */
  @SuppressWarnings("unchecked")
  static <T> Future<T> open(ScopeImpl parent, TimeoutFn<T> spec) {
    parent.group.checkOnContext("a timeout's run");
    TaskCancelledException cause = parent.cancelCause;
    if (cause != null) {
      return Future.failedFuture(cause);
    }
    if (parent.closed()) {
      return Future.failedFuture(parent.closedCause());
    }
    TimeoutScope<T> outermost = new TimeoutScope<>(parent, spec);
    outermost.attach();
    TimeoutScope<T> s = outermost;
    while (s.spec.inner instanceof TimeoutFn) {
      TimeoutScope<T> inner = new TimeoutScope<>(s, (TimeoutFn<T>) s.spec.inner);
      inner.attach();
      inner.promise.future().onComplete(s);
      s = inner;
    }
    TimeoutScope<T> innermost = s;
    Trampoline.frame(s.group, innermost::runInner); // a frame: the function may itself run a timed function, and so on
    return outermost.promise.future();
  }

  private void attach() {
    parentHook = parent.attachChild(this); // the scope itself: TaskTree finds it among the parent's hooks
    group.attach(); // the group completes only after this work settles, awaited or not
    group.deadlines.add(deadline, spec.nanos());
  }

  /** The enclosing scope was cancelled. */
  @Override
  public void handle(TaskCancelledException cause) {
    cancel(cause);
  }

  /** {@return the timeout's length} For {@link TaskTree}: the scope opened that long before its deadline. */
  long timeoutNanos() {
    return spec.nanos();
  }

  private void runInner() {
    Future<T> work;
    try {
      work = spec.inner.run(this);
    } catch (Throwable e) {
      settle(null, e);
      return;
    }
    if (work == null) {
      settle(null, new NullPointerException("the function under a timeout in '" + scopeName()
          + "' returned null instead of a Future"));
    } else {
      work.onComplete(this);
    }
  }

  /** The work (or the next inner timeout) completed, on whatever thread: settle at home, in a frame. */
  @Override
  public void complete(T value, Throwable error) {
    if (group.onContext()) {
      Trampoline.frame(group, () -> settle(value, error));
    } else {
      VertxContexts.dispatch(group.context, () -> Trampoline.frame(group, () -> settle(value, error)));
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
      TaskCancelledException c = spec.deadlineCancellation(scopeName());
      if (!closed() && markCancelled(c)) { // mark first, as TimedTaskImpl does
        timedOut = true; // before the hooks: they may settle the work synchronously
        Observation.timeoutFired(group);
        cancelled(c);
      }
    }

    @Override
    void close(TaskCancelledException cause) {
      cancel(cause); // the group completed while this timeout's work was not awaited
    }
  }
}
