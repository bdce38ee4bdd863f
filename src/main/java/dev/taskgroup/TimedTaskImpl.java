package dev.taskgroup;

import io.vertx.core.Future;

/**
 * A spawned task with a {@link TaskFn#withTimeout timeout} function: the task's own scope is the
 * one the deadline ({@link TaskDeadline}) cancels. Functions wrapped more deeply take the general
 * path in {@link TimeoutFn#run}. A pattern's timed task is the smaller {@link TimedPatternTask}.
 */
final class TimedTaskImpl<T> extends TaskImpl<T> {
  private final TimeoutFn<T> spec;
  private final TaskDeadline<T> deadline = new TaskDeadline<>(this);
  private final String name; // null: derived from the spawn number

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
  TimeoutFn<T> timeoutSpec() {
    return spec;
  }

  @Override
  TaskFn<T> entry(TaskFn<T> f) {
    return null; // invoke arms the timeout first
  }

  @Override
  Future<T> invoke(TaskFn<T> f, boolean fresh) throws Exception {
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
