package dev.taskgroup;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.util.concurrent.CancellationException;

/**
 * A spawned task. It is its own scope and its own listener on the work's future, so a task costs
 * one object besides the work itself (40 bytes with compressed references: the header and seven
 * 4-byte fields, four of them here and three in {@link AbstractTask} and {@link ScopeImpl});
 * {@link #future()} is created only when asked for, and a name only when given ({@link Named}). The
 * tasks of the patterns that are never handed out are the smaller {@link PatternTask}.
 *
 * <p>Every field is written and read on the group's context, except {@code cancelCause}
 * (volatile, in {@link ScopeImpl}) and the state, which other threads may read as a snapshot.
 */
class TaskImpl<T> extends AbstractTask<T> implements Task<T> {
  /**
   * One field for what the task needs at each stage, since a task never needs two at once:
   * PENDING, the function; RUNNING, the promise of {@link #future()} if anyone asked (else null);
   * SUCCEEDED, the result; FAILED or CANCELLED, the Throwable. Dropping the function once started
   * also means a finished task holds no closure.
   */
  private Object slot;
  private Hook hooks; // the oldest pending hook (see ScopeImpl#hooks); group's context only
  TaskImpl<?> prev; // the group's live list while started, its queue while PENDING
  TaskImpl<?> next;

  TaskImpl(GroupImpl<?> group, TaskFn<T> fn, int seq) {
    super(group, seq, PENDING);
    this.slot = fn;
  }

  @Override
  final Hook hooks() {
    return hooks;
  }

  @Override
  final void hooks(Hook first) {
    hooks = first;
  }

  @Override
  @SuppressWarnings("unchecked")
  final T result() {
    return (T) slot;
  }

  @Override
  final Throwable failure() {
    return (Throwable) slot;
  }

  @Override
  @SuppressWarnings("unchecked")
  public Future<T> future() {
    if (!group.onContext()) { // any thread: the state is read at home
      Promise<T> p = VertxContexts.promise(group.context);
      VertxContexts.dispatch(group.context, () -> future().onComplete(p));
      return p.future();
    }
    switch (state()) {
      case SUCCEEDED:
        return Future.succeededFuture(result());
      case FAILED:
      case CANCELLED:
        return Future.failedFuture(failure());
      case RUNNING:
        if (slot == null) {
          slot = VertxContexts.promise(group.context);
        }
        return ((Promise<T>) slot).future();
      default: // PENDING: the slot holds the function; the group keeps the promise until start
        return group.queuedFuture(this).future();
    }
  }

  /**
   * On the group's context, cancels at once. From any other thread, exactly one caller wins the
   * compare-and-set of the cancellation and gets true; the cancellation then runs on the group's
   * context, where a result that arrived first still wins.
   */
  @Override
  public boolean cancel() {
    if (group.onContext()) {
      return cancelOnContext();
    }
    if (closed()) { // a snapshot: a late true is settled by the context's own order
      return false;
    }
    TaskCancelledException cause = explicitCancellation(true);
    if (!markCancelled(cause)) {
      return false;
    }
    VertxContexts.dispatch(group.context, () -> {
      cause.delivered = true;
      if (stateBits() == PENDING) {
        group.cancelQueuedInFrame(this, cause);
      } else if (stateBits() == RUNNING) {
        cancelled(cause);
      }
    });
    return true;
  }

  private TaskCancelledException explicitCancellation(boolean foreign) {
    return stateBits() == PENDING
        ? new TaskCancelledException(CancelReason.EXPLICIT, "task '" + name() + "' was cancelled before it started", foreign)
        : new TaskCancelledException(CancelReason.EXPLICIT, "task '" + name() + "' was cancelled", foreign);
  }

  private boolean cancelOnContext() {
    if (stateBits() == PENDING) {
      TaskCancelledException cause = explicitCancellation(false);
      if (!markCancelled(cause)) {
        return false;
      }
      group.cancelQueuedInFrame(this, cause);
      return true;
    }
    return stateBits() == RUNNING && cancel(explicitCancellation(false));
  }

  /**
   * Starts the task: the group has already counted it and put it in its live list, so it is
   * RUNNING from here on, even while its function waits to be called (see {@link #run}).
   */
  @SuppressWarnings("unchecked")
  final void start(boolean fresh) {
    TaskFn<T> f = (TaskFn<T>) slot;
    // null unless future() was asked for while queued; a fresh spawn was never queued
    slot = fresh ? null : group.takeQueuedFuture(this);
    setState(RUNNING);
    run(f, fresh);
  }

  @Override
  @SuppressWarnings("unchecked")
  final void record(T value, Throwable error) {
    if (stateBits() != RUNNING) {
      return;
    }
    Promise<T> p = (Promise<T>) slot;
    if (error == null) {
      slot = value;
      setState(SUCCEEDED);
    } else {
      slot = error;
      setState(error instanceof CancellationException ? CANCELLED : FAILED);
    }
    close();
    group.taskOutcome(this); // a failure is recorded (and the siblings cancelled) before anyone hears of it
    if (p != null) {
      completeWithOutcome(p);
    }
    group.taskLeft(this);
  }

  /** Never started: cancelled while queued. */
  final void cancelWhileQueued(TaskCancelledException cause) {
    markCancelled(cause); // unless a cancel from another thread marked it first: its cause stands
    Promise<T> p = group.takeQueuedFuture(this);
    slot = cancelCause;
    setState(CANCELLED);
    close();
    if (p != null) {
      completeWithOutcome(p);
    }
  }

  /** Completes {@code p} with this finished task's outcome. */
  final void completeWithOutcome(Promise<T> p) {
    if (stateBits() == SUCCEEDED) {
      p.complete(result());
    } else {
      p.fail(failure());
    }
  }

  /** A task spawned with a name: the name costs a field only where one was given. */
  static final class Named<T> extends TaskImpl<T> {
    private final String name;

    Named(GroupImpl<?> group, String name, TaskFn<T> fn, int seq) {
      super(group, fn, seq);
      this.name = name;
    }

    @Override
    public String name() {
      return name;
    }
  }
}
