package dev.taskgroup;

import io.vertx.core.Vertx;

/**
 * Hears what task groups do, to count it: the library's side of a metrics binding such as
 * {@code dev.taskgroup.micrometer.TaskGroupMetrics}. An observer is installed for the whole JVM
 * with {@link Observability#addObserver}; each group, as it opens, asks every installed observer
 * for a {@link GroupObserver} of its own, which then hears that group's events.
 *
 * <pre>{@code
 * Registration r = Observability.addObserver((vertx, name, nested) -> new TaskGroupObserver.GroupObserver() {
 *   public void taskStarted() { started.increment(); }
 * });
 * }</pre>
 *
 * <p>Cost: a group that no observer takes ({@link #groupOpened} returns null) costs nothing more
 * per task. A group opened before the observer was installed is never seen. Thread: every method
 * is called on the group's context, so one {@code GroupObserver} is never called concurrently
 * with itself; {@link #groupOpened} is called on the contexts of all groups, concurrently, and
 * must be thread-safe. An observer that throws an exception does not change what the group does;
 * the exception goes to the context's exception handler. One that throws an {@link Error} fails
 * the group with it, once the step of the group that called the observer is over (or, if the group
 * completed meanwhile, the Error goes to that handler): it is never lost, and never leaves the
 * group half-way through a step.
 */
@FunctionalInterface
public interface TaskGroupObserver {
  /**
   * A group is opening (its body is about to run). Keep this cheap: it runs once per group.
   *
   * @return the observer of this group's events, or null to ignore the group
   * @param vertx the group's Vert.x instance (an observer may count only its own)
   * @param name the group's name ({@link TaskGroupOptions#DEFAULT_NAME} when none was set); an
   *     observer that makes tags of names should bound how many it keeps
   * @param nested whether the group runs inside a task or another group's scope
   */
  GroupObserver groupOpened(Vertx vertx, String name, boolean nested);

  /** How a group completed. */
  enum GroupOutcome {
    /** Completed without error (an early, clean {@link TaskGroup#cancel()} included). */
    SUCCEEDED,
    /** Failed with an error ({@link TaskGroupException}, or a crash of its own dispatch). */
    FAILED,
    /** Failed with a {@link java.util.concurrent.CancellationException}: its enclosing scope, an undeploy, or its body passed one on. */
    CANCELLED
  }

  /**
   * The events of one group, each called on the group's context. Every method does nothing by
   * default.
   */
  interface GroupObserver {
    /** A task started running (a queued task when it leaves the queue). */
    default void taskStarted() {}

    /** A spawned task had to wait for a slot ({@link TaskGroupOptions#setMaxConcurrency}). */
    default void taskQueued() {}

    /**
     * A task that had started settled, in {@code state}: {@link TaskState#SUCCEEDED},
     * {@link TaskState#FAILED} or {@link TaskState#CANCELLED}. A queued task cancelled before it
     * started is not reported here: it never started.
     */
    default void taskSettled(TaskState state) {}

    /** A deadline in this group fired: the group's own, a task's or an inner timeout's. */
    default void timeoutFired() {}

    /** A retried function ({@link TaskFn#retried}) started an attempt after its first. */
    default void retried() {}

    /** A hedged function ({@link TaskFn#hedged}) started an attempt after its first. */
    default void hedged() {}

    /** The group was cancelled for {@code reason}, with {@code running} tasks still running. */
    default void cancelled(CancelReason reason, int running) {}

    /**
     * The group completed, {@code durationNanos} after it opened. {@code cancelledBy} is the
     * reason it was cancelled (null if it never was), and {@code cancelToSettledNanos} how long its
     * work took to settle after that cancellation (how long cooperative cancellation really took),
     * or -1 if it was never cancelled.
     */
    default void completed(GroupOutcome outcome, long durationNanos, CancelReason cancelledBy, long cancelToSettledNanos) {}
  }
}
