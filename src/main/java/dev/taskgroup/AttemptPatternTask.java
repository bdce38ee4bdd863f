package dev.taskgroup;

import io.vertx.core.Future;

/**
 * A pattern's task whose whole function is a retried or hedged function (see
 * {@link AttemptTask}): a {@link PatternTask} plus its role and what the role needs of the
 * function ({@link #kept}: the inner function of its retry or hedge), 32 bytes with
 * compressed references (the role alone would leave 4 bytes of padding), against an
 * {@link AttemptTaskImpl}'s 48 and its place in the group's live list.
 */
final class AttemptPatternTask<T> extends PatternTask<T> implements AttemptTask<T> {
  private Role<T> role; // null until the function runs; group's context only
  /**
   * What the role needs of the task's function to start attempt 2, in what would be padding (the
   * task stays 32 bytes): a retry's inner function under its policy's {@link RetryFn.PatternRole};
   * while the delay waits in a shared {@link HedgeFn.Block} (which keeps no slot per hedge), the
   * hedge's inner function, or the hedged function itself where the block's policy cannot rebuild
   * it (the rule is {@code HedgeFn.Block.keeps}, undone by {@code fnOf}); else null or stale. A
   * retry with a budget keeps nothing here: its role is its {@code RetryFn}, which stays alive.
   * Keeping the inner function rather than the retried or hedged one lets that one die as the task
   * starts: 24 bytes a task fewer live.
   */
  TaskFn<T> kept;

  AttemptPatternTask(GroupImpl<?> group, int index) {
    super(group, index);
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
