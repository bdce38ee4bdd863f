package dev.taskgroup;

/**
 * How a pattern ({@code all}, {@code gather}, {@code race}) collects what its tasks produce. Called
 * on the group's context once per task, when it settles or is dropped from the queue.
 */
@FunctionalInterface
interface ResultSink {
  /** {@return true if the sink takes over a failure, so that it is not an error of the group} */
  boolean settled(TaskImpl<?> task);
}
