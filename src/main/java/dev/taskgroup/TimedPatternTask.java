package dev.taskgroup;

import io.vertx.core.Future;

/**
 * A pattern's task with a {@link TaskFn#withTimeout timeout} function: a {@link PatternTask} plus
 * the timeout and its {@link TaskDeadline} (32 bytes, and the node's 40, against a
 * {@link TimedTaskImpl}'s 56 and 40).
 */
final class TimedPatternTask<T> extends PatternTask<T> {
  private final TimeoutFn<T> spec;
  private final TaskDeadline<T> deadline = new TaskDeadline<>(this);

  TimedPatternTask(GroupImpl<?> group, int index, TimeoutFn<T> spec) {
    super(group, index);
    this.spec = spec;
  }

  @Override
  TimeoutFn<T> timeoutSpec() {
    return spec;
  }

  @Override
  Future<T> invoke(TaskFn<T> f) throws Exception {
    return deadline.start(spec);
  }

  @Override
  long ownDeadlineNanos() {
    return deadline.deadlineNanos();
  }

  @Override
  void settle(T value, Throwable error) {
    deadline.settle(value, error);
  }

}
