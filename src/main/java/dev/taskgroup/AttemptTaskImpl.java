package dev.taskgroup;

import io.vertx.core.Future;

/**
 * A spawned task whose whole function is a retried or hedged function (see {@link AttemptTask}):
 * a {@link TaskImpl} plus its role and optional name (48 bytes against a plain task's 40).
 */
final class AttemptTaskImpl<T> extends TaskImpl<T> implements AttemptTask<T> {
  private final String name; // null: derived from the spawn number
  private Role<T> role; // null until the function runs; group's context only

  AttemptTaskImpl(GroupImpl<?> group, String name, AttemptFn<T> fn, int seq) {
    super(group, fn, seq);
    this.name = name;
  }

  @Override
  public String name() {
    return name != null ? name : super.name();
  }

  @Override
  public Role<T> role() {
    return role;
  }

  @Override
  public void role(Role<T> role) {
    this.role = role;
  }

  @Override
  String returnedNull() { // only attempt 1's inner function, called through entry, reaches the task's own check
    return AttemptFn.firstReturnedNull(this);
  }

  @Override
  TaskFn<T> entry(TaskFn<T> f) {
    return ((AttemptFn<T>) f).firstCall(this);
  }

  @Override
  Future<T> invoke(TaskFn<T> f, boolean fresh) throws Exception {
    return ((AttemptFn<T>) f).runFirst(this);
  }

  @Override
  void settle(T value, Throwable error) {
    if (error == null && stateBits() == RUNNING && AttemptTask.settlesAlone(role)) {
      record(value, null); // a never-firing retry's or hedge's success: as a bare task's settle
    } else {
      firstSettled(value, error);
    }
  }

  @Override
  public void finish(T value, Throwable error) {
    record(value, error); // what the plain settle does, one call shallower: the hedge's success chain stays inlinable
  }

  @Override
  void runCancellation(TaskCancelledException cause) {
    super.runCancellation(cause);
    cancelAttemptsBeside(cause);
  }
}
