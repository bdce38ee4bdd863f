package dev.taskgroup;

import io.vertx.core.Completable;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.util.concurrent.CancellationException;

/**
 * A spawned task. It is its own scope and its own listener on the work's future, so a task costs
 * one object besides the work itself; {@link #future()} is created only when asked for.
 *
 * <p>Every field is written and read on the group's context, except {@code cancelCause}
 * (volatile, in {@link ScopeImpl}) and {@code state}, which other threads may read as a snapshot.
 */
class TaskImpl<T> extends ScopeImpl implements Task<T>, Completable<T> {
  private final String name; // null: derived from seq on demand
  final int seq; // spawn number in the group: the input index for the patterns
  private TaskFn<T> fn; // dropped once started, so a finished task holds no closure
  TaskState state;
  T result;
  Throwable failure;
  TaskImpl<?> prevLive; // the group's live list
  TaskImpl<?> nextLive;
  private Promise<T> promise; // created by future() while the task is unfinished

  TaskImpl(GroupImpl<?> group, String name, TaskFn<T> fn, int seq) {
    this.group = group;
    this.name = name;
    this.fn = fn;
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
  public TaskState state() {
    return state;
  }

  @Override
  long deadlineNanos() {
    return group.deadlineNanos();
  }

  @Override
  public Future<T> future() {
    if (!group.onContext()) {
      Promise<T> p = VertxContexts.promise(group.context);
      group.context.runOnContext(v -> future().onComplete(p));
      return p.future();
    }
    switch (state) {
      case SUCCEEDED:
        return Future.succeededFuture(result);
      case FAILED:
      case CANCELLED:
        return Future.failedFuture(failure);
      default:
        if (promise == null) {
          promise = VertxContexts.promise(group.context);
        }
        return promise.future();
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
  final void start() {
    state = TaskState.RUNNING;
    TaskFn<T> f = fn;
    fn = null;
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
  void settle(T value, Throwable error) {
    if (state != TaskState.RUNNING) {
      return;
    }
    if (error == null) {
      result = value;
      state = TaskState.SUCCEEDED;
    } else {
      failure = error;
      state = error instanceof CancellationException ? TaskState.CANCELLED : TaskState.FAILED;
    }
    close();
    finish();
    group.taskSettled(this);
  }

  /** Never started: cancelled while queued. */
  final void cancelWhileQueued(TaskCancelledException cause) {
    fn = null;
    failure = cause;
    state = TaskState.CANCELLED;
    cancelCause = cause;
    close();
    finish();
  }

  private void finish() {
    Promise<T> p = promise;
    if (p != null) {
      promise = null;
      if (state == TaskState.SUCCEEDED) {
        p.complete(result);
      } else {
        p.fail(failure);
      }
    }
  }

  @Override
  public String toString() {
    return "Task[" + name() + ", " + state + (cancelCause != null && !state.isDone() ? ", cancelling" : "") + "]";
  }
}
