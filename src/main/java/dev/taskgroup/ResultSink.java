package dev.taskgroup;

/**
 * How a pattern ({@code all}, {@code gather}, {@code race}) collects what its tasks produce. Called
 * on the group's context once per task, when it settles or is dropped from the queue.
 */
@FunctionalInterface
interface ResultSink {
  /**
   * {@return the error that this task's end is for the group (recorded, and the group fails fast),
   * or null if none} A group without a sink takes a FAILED task's failure; a sink may take over a
   * failure (gather, race) or count a task's own cancellation as an error (all).
   */
  Throwable settled(AbstractTask<?> task);

  /**
   * {@return whether {@code t} ended with a cancellation of its own} That is, with a
   * CancellationException although nothing of the library cancelled its scope (a cancelled Vert.x
   * Timer, a cancelled upstream call). A task its group cancels always has a cancelCause: the
   * group's shutdown reaches the scope of every running task (and every queued one) first.
   * Comparing the failure with cancelCause by identity was rejected: work cancelled through a hook
   * often ends with a CancellationException of its own making (a Vert.x Timer's), and that is still
   * the group's cancellation.
   */
  /**
   * {@return the error fail-fast patterns ({@code all}, {@code forEach}) take from {@code t}: its
   * failure if it FAILED or ended with a cancellation of its own, else null}
   */
  static Throwable failFastError(AbstractTask<?> t) {
    return t.stateBits() == AbstractTask.FAILED || ownCancellation(t) ? t.failure() : null;
  }

  static boolean ownCancellation(AbstractTask<?> t) {
    return t.stateBits() == AbstractTask.CANCELLED && t.cancelCause == null;
  }
}
