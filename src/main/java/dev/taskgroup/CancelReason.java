package dev.taskgroup;

/** Why a scope was cancelled; carried by every {@link TaskCancelledException} the library raises. */
public enum CancelReason {
  /** {@link TaskGroup#cancel()} or {@link Task#cancel()} was called. */
  EXPLICIT,
  /** A sibling task, or the body of the group, failed, so the group is failing fast. */
  SIBLING_FAILED,
  /** A deadline passed: the task's own {@link TaskFn#withTimeout timeout} or the group's. */
  DEADLINE,
  /** The enclosing scope (the task a nested group runs in) was cancelled. */
  PARENT_CANCELLED,
  /**
   * Another task of a {@link TaskGroup#race race}, or another attempt of a
   * {@link TaskFn#hedged hedge}, succeeded first; or a {@link TaskGroup#quorum quorum} was reached.
   */
  RACE_LOST,
  /** The task or group owning the operation had already finished (an operation nobody awaited). */
  SCOPE_CLOSED,
  /**
   * The verticle whose context runs the group was undeployed, or Vert.x closed: the undeploy waits
   * for the group to settle (ten seconds at most) and the group fails with this cancellation.
   */
  UNDEPLOYED
}
