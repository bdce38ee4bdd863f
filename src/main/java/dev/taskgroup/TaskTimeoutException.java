package dev.taskgroup;

import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.TimeoutException;

/**
 * Raised when a task's {@link TaskFn#withTimeout timeout} or a group's
 * {@link TaskGroupOptions#setTimeout deadline} passed; by the time it is raised, the work it
 * bounded has been cancelled and has settled. It names what timed out and the duration. A group
 * reports it as one of the errors of its {@link TaskGroupException}, whichever timed out: a task
 * or the group itself.
 */
public final class TaskTimeoutException extends TimeoutException {
  private static final long serialVersionUID = 1L;

  private final String name;
  private final transient Duration timeout;

  /**
   * @param what "task" or "task group"
   * @param name the name of the task or group
   * @param timeout the duration that passed
   */
  public TaskTimeoutException(String what, String name, Duration timeout) {
    super(what + " '" + name + "' timed out after " + Durations.millis(Objects.requireNonNull(timeout, "timeout")));
    this.name = name;
    this.timeout = timeout;
  }

  /** {@return the name of the task or group that timed out} */
  public String name() {
    return name;
  }

  /** {@return the duration that passed} */
  public Duration timeout() {
    return timeout;
  }
}
