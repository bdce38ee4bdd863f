package dev.taskgroup;

import io.vertx.core.Future;
import java.util.concurrent.CancellationException;

/**
 * The deadline of a task whose function is a {@link TaskFn#withTimeout timeout} function
 * ({@link TimedTaskImpl}, {@link TimedPatternTask}): the task's own scope is what it cancels, so a
 * timed task costs this one node and no inner scope. 40 bytes with compressed references (the
 * node's fields, the task, and {@code timedOut} in the node's padding).
 *
 * <p>Group's context only, like every {@link Deadlines.Node}.
 */
final class TaskDeadline<T> extends Deadlines.Node {
  private final AbstractTask<T> task;
  private boolean timedOut; // the deadline fired and its cancellation was the first

  TaskDeadline(AbstractTask<T> task) {
    this.task = task;
  }

  /** Arms the deadline, then calls the timed function with the task's scope. */
  Future<T> start(TimeoutFn<T> spec) throws Exception {
    task.group.deadlines.add(this, spec.nanos);
    return spec.inner.run(task);
  }

  /**
   * The timed task's work ended: the deadline leaves its queue, and the task records the work's
   * outcome, or the timeout's (the fallback, or the timeout error) if the deadline cancelled the
   * work and the work ended with that cancellation.
   */
  void settle(T value, Throwable error) {
    if (task.stateBits() != AbstractTask.RUNNING) {
      return;
    }
    Deadlines.remove(this);
    if (timedOut && error instanceof CancellationException) {
      Future<T> replaced = task.timeoutSpec().timedOut(task.name()); // completed: the fallback or the timeout error
      task.record(replaced.result(), replaced.cause());
    } else {
      task.record(value, error);
    }
  }

  @Override
  void expire() {
    TaskCancelledException c = task.timeoutSpec().deadlineCancellation(task.name());
    // Mark first: a Task.cancel() on another thread may mark the task at the same moment, and
    // then its cancellation, not this deadline, is what the work ends with (CrossThreadStressTest).
    if (!task.closed() && task.markCancelled(c)) {
      timedOut = true; // before the hooks: they may settle the work synchronously
      Observation.timeoutFired(task.group);
      task.cancelled(c);
    }
  }

  @Override
  void close(TaskCancelledException cause) {
    task.cancel(cause); // unreachable while the task runs: the group waits for it
  }
}
