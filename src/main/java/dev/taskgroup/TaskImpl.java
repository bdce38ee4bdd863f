package dev.taskgroup;

import io.vertx.core.Completable;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.util.concurrent.CancellationException;

/**
 * A spawned task. It is its own scope and its own listener on the work's future, so a task costs
 * one object besides the work itself (48 bytes with compressed references); {@link #future()} is
 * created only when asked for.
 *
 * <p>Every field is written and read on the group's context, except {@code cancelCause}
 * (volatile, in {@link ScopeImpl}) and {@code state}, which other threads may read as a snapshot.
 */
class TaskImpl<T> extends ScopeImpl implements Task<T>, Completable<T> {
  private final String name; // null: derived from seq on demand
  final int seq; // spawn number in the group: the input index for the patterns
  TaskState state;
  /**
   * One field for what the task needs at each stage, since a task never needs two at once:
   * PENDING, the function; RUNNING, the promise of {@link #future()} if anyone asked (else null);
   * SUCCEEDED, the result; FAILED or CANCELLED, the Throwable. Dropping the function once started
   * also means a finished task holds no closure.
   */
  private Object slot;
  TaskImpl<?> prevLive; // the group's live list
  TaskImpl<?> nextLive;

  TaskImpl(GroupImpl<?> group, String name, TaskFn<T> fn, int seq) {
    this.group = group;
    this.name = name;
    this.slot = fn;
    this.seq = seq;
    this.state = TaskState.PENDING;
  }

  @Override
  public String name() {
    return name != null ? name : "task-" + seq;
  }

  @Override
  String scopeName() {
    return name();
  }

  @Override
  boolean closed() {
    return state.isDone();
  }

  @Override
  public TaskState state() {
    return state;
  }

  /** {@return the result of a task that SUCCEEDED} */
  @SuppressWarnings("unchecked")
  final T result() {
    return (T) slot;
  }

  /** {@return the error of a task that FAILED or was CANCELLED} */
  final Throwable failure() {
    return (Throwable) slot;
  }

  @Override
  long deadlineNanos() {
    return group.deadlineNanos();
  }

  @Override
  @SuppressWarnings("unchecked")
  public Future<T> future() {
    if (!group.onContext()) {
      Promise<T> p = VertxContexts.promise(group.context);
      group.context.runOnContext(v -> future().onComplete(p));
      return p.future();
    }
    switch (state) {
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

  @Override
  public boolean cancel() {
    if (!group.onContext()) {
      boolean unfinished = !state.isDone() && cancelCause == null;
      group.context.runOnContext(v -> cancelOnContext());
      return unfinished;
    }
    return cancelOnContext();
  }

  private boolean cancelOnContext() {
    if (state == TaskState.PENDING) {
      group.cancelQueued(this, new TaskCancelledException(CancelReason.EXPLICIT,
          "task '" + name() + "' was cancelled before it started"));
      return true;
    }
    return state == TaskState.RUNNING
        && cancel(new TaskCancelledException(CancelReason.EXPLICIT, "task '" + name() + "' was cancelled"));
  }

  /** Runs the function; the group has already counted the task and put it in its live list. */
  @SuppressWarnings("unchecked")
  final void start() {
    TaskFn<T> f = (TaskFn<T>) slot;
    slot = group.takeQueuedFuture(this); // null unless future() was asked for while queued
    state = TaskState.RUNNING;
    Future<T> work;
    try {
      work = invoke(f);
    } catch (Throwable e) {
      settle(null, e);
      return;
    }
    if (work == null) {
      settle(null, new NullPointerException("task '" + name() + "' returned null instead of a Future"));
      return;
    }
    work.onComplete(this);
  }

  Future<T> invoke(TaskFn<T> f) throws Exception {
    return f.run(this);
  }

  /** The work's future completed, on whatever thread completed it: hop home if needed. */
  @Override
  public final void complete(T value, Throwable error) {
    if (group.onContext()) {
      settle(value, error);
    } else {
      group.context.runOnContext(v -> settle(value, error));
    }
  }

  /** Records the outcome once; a work future completing twice is ignored. */
  @SuppressWarnings("unchecked")
  void settle(T value, Throwable error) {
    if (state != TaskState.RUNNING) {
      return;
    }
    Promise<T> p = (Promise<T>) slot;
    if (error == null) {
      slot = value;
      state = TaskState.SUCCEEDED;
    } else {
      slot = error;
      state = error instanceof CancellationException ? TaskState.CANCELLED : TaskState.FAILED;
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
    Promise<T> p = group.takeQueuedFuture(this);
    slot = cause;
    state = TaskState.CANCELLED;
    cancelCause = cause;
    close();
    if (p != null) {
      completeWithOutcome(p);
    }
  }

  /** Completes {@code p} with this finished task's outcome. */
  final void completeWithOutcome(Promise<T> p) {
    if (state == TaskState.SUCCEEDED) {
      p.complete(result());
    } else {
      p.fail(failure());
    }
  }

  @Override
  public String toString() {
    return "Task[" + name() + ", " + state + (cancelCause != null && !state.isDone() ? ", cancelling" : "") + "]";
  }
}
