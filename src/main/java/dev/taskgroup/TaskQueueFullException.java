package dev.taskgroup;

import java.util.concurrent.RejectedExecutionException;

/**
 * Thrown by {@link TaskGroup#spawn} when the group runs {@code maxConcurrency} tasks and holds
 * {@code maxQueued} more in its queue ({@link TaskGroupOptions#setMaxQueued}); the refused function
 * never runs. It names the group and both limits. {@link TaskGroup#trySpawn} returns empty instead.
 */
public final class TaskQueueFullException extends RejectedExecutionException {
  private static final long serialVersionUID = 1L;

  private final int maxConcurrency;
  private final int maxQueued;

  TaskQueueFullException(String group, int maxConcurrency, int maxQueued) {
    super("cannot spawn into task group '" + group + "': " + (maxConcurrency == 1 ? "1 task runs" : maxConcurrency + " tasks run")
        + " (maxConcurrency) and " + maxQueued + (maxQueued == 1 ? " waits" : " wait") + " (maxQueued)");
    this.maxConcurrency = maxConcurrency;
    this.maxQueued = maxQueued;
  }

  /** {@return the group's limit on running tasks} */
  public int maxConcurrency() {
    return maxConcurrency;
  }

  /** {@return the group's limit on queued tasks} */
  public int maxQueued() {
    return maxQueued;
  }
}
