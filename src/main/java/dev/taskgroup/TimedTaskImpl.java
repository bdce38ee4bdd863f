package dev.taskgroup;

import io.vertx.core.Future;
import java.util.concurrent.CancellationException;

/**
 * A task spawned with a {@link TaskFn#withTimeout timeout} function: the task's own scope is the
 * one the deadline cancels, so a timed task costs one small deadline node and no inner scope.
 * Functions wrapped more deeply take the general path in {@link TimeoutFn#run}.
 */
final class TimedTaskImpl<T> extends TaskImpl<T> {
  private final TimeoutFn<T> spec;
  private final Deadline deadline = new Deadline();
  private final String name; // null: derived from the spawn number
  private boolean timedOut; // the deadline fired and its cancellation was the first

  TimedTaskImpl(GroupImpl<?> group, String name, TimeoutFn<T> spec, int seq) {
    super(group, spec, seq);
    this.spec = spec;
    this.name = name;
  }

  @Override
  public String name() {
    return name != null ? name : super.name();
  }

  @Override
  Future<T> invoke(TaskFn<T> f) throws Exception {
    group.deadlines.add(deadline, spec.nanos);
    return spec.inner.run(this);
  }

  /** {@return the timeout's length} For {@link TaskTree}: the task started that long before its deadline. */
  long timeoutNanos() {
    return spec.nanos;
  }

  @Override
  long ownDeadlineNanos() {
    return deadline.deadlineNanos();
  }

  @Override
  void settle(T value, Throwable error) {
    if (stateBits() != RUNNING) {
      return;
    }
    Deadlines.remove(deadline);
    if (timedOut && error instanceof CancellationException) {
      Future<T> replaced = spec.timedOut(name()); // completed: the fallback or the timeout error
      value = replaced.result();
      error = replaced.cause();
    }
    super.settle(value, error);
  }

  private final class Deadline extends Deadlines.Node {
    @Override
    void expire() {
      TaskCancelledException c = spec.deadlineCancellation(name());
      // Mark first: a Task.cancel() on another thread may mark the task at the same moment, and
      // then its cancellation, not this deadline, is what the work ends with (CrossThreadStressTest).
      if (!closed() && markCancelled(c)) {
        timedOut = true; // before the hooks: they may settle the work synchronously
        Observation.timeoutFired(group);
        cancelled(c);
      }
    }

    @Override
    void close(TaskCancelledException cause) {
      cancel(cause); // unreachable while the task runs: the group waits for it
    }
  }
}
