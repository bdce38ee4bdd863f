package dev.taskgroup;

import io.vertx.core.Future;
import java.util.concurrent.CancellationException;

/**
 * The deadline of a task whose function is a {@link TaskFn#withTimeout timeout} function, kept by
 * the task alone: every {@link TimedTaskImpl}, and a {@link TimedPatternTask} that did not start in
 * its pattern's spawn loop (those share a {@link BlockDeadline}). The task's own scope is what it
 * cancels, so a timed task costs this one node and no inner scope. 40 bytes with compressed
 * references (the node's fields, the task, and {@code timedOut} in the node's padding). The steps
 * both kinds of deadline take are the static methods here.
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
    task.group.deadlines.add(this, spec.nanos());
    return spec.inner.run(task);
  }

  /**
   * The timed task's work ended: the deadline leaves its queue, and the task records the work's
   * outcome, or the timeout's (see {@link #record}).
   */
  void settle(T value, Throwable error) {
    if (task.stateBits() != AbstractTask.RUNNING) {
      return;
    }
    Deadlines.remove(this);
    record(task, timedOut, value, error);
  }

  /**
   * Records the outcome of a timed task's work, or the timeout's (the fallback, or the timeout
   * error) if its deadline cancelled the work ({@code timedOut}) and the work ended with that
   * cancellation.
   */
  static <T> void record(AbstractTask<T> task, boolean timedOut, T value, Throwable error) {
    if (timedOut && error instanceof CancellationException) {
      Future<T> replaced = task.timeoutSpec().timedOut(task.name()); // completed: the fallback or the timeout error
      task.record(replaced.result(), replaced.cause());
    } else {
      task.record(value, error);
    }
  }

  @Override
  void expire() {
    TaskCancelledException c = markTimedOut(task);
    if (c != null) {
      timedOut = true; // before the hooks: they may settle the work synchronously
      runTimeout(task, c);
    }
  }

  /**
   * The deadline of {@code task}'s timeout passed: {@return the cancellation it marked the task
   * with, or null when the task was cancelled or settled first} Mark first: a Task.cancel() on
   * another thread may mark the task at the same moment, and then its cancellation, not this
   * deadline, is what the work ends with (CrossThreadStressTest). The caller then sets its
   * {@code timedOut} flag, before {@link #runTimeout} runs the hooks, which may settle the work
   * synchronously.
   */
  static TaskCancelledException markTimedOut(AbstractTask<?> task) {
    TaskCancelledException c = task.timeoutSpec().deadlineCancellation(task.name());
    return !task.closed() && task.markCancelled(c) ? c : null;
  }

  /** Runs the cancellation that {@link #markTimedOut} marked {@code task} with. */
  static void runTimeout(AbstractTask<?> task, TaskCancelledException c) {
    Observation.timeoutFired(task.group);
    task.cancelled(c);
  }

  @Override
  void close(TaskCancelledException cause) {
    task.cancel(cause); // unreachable while the task runs: the group waits for it
  }
}
