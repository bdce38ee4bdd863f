package dev.taskgroup;

import java.time.Duration;
import java.util.Objects;

/**
 * Options of a {@link TaskGroup}: a name for errors and debugging, a concurrency limit, a deadline.
 * Vert.x-style fluent setters; every setter checks its argument at once.
 *
 * <pre>{@code
 * TaskGroupOptions options = new TaskGroupOptions()
 *     .setName("dashboard").setMaxConcurrency(8).setTimeout(Duration.ofMillis(800));
 * }</pre>
 *
 * <p>Not thread-safe; a group copies its options when it starts, so changing them afterwards does
 * not affect it.
 */
public final class TaskGroupOptions {
  /** The default name of a group. */
  public static final String DEFAULT_NAME = "task-group";
  /** No limit on running tasks. */
  public static final int UNLIMITED = Integer.MAX_VALUE;

  private String name = DEFAULT_NAME;
  private int maxConcurrency = UNLIMITED;
  private int maxQueued = UNLIMITED;
  private Duration timeout;
  private Timers timers; // test hook: a clock driven by the test; null means the Vert.x timers

  /** Default options: named {@value #DEFAULT_NAME}, unlimited concurrency, no deadline. */
  public TaskGroupOptions() {}

  /** A copy of {@code other}. */
  public TaskGroupOptions(TaskGroupOptions other) {
    this.name = other.name;
    this.maxConcurrency = other.maxConcurrency;
    this.maxQueued = other.maxQueued;
    this.timeout = other.timeout;
    this.timers = other.timers;
  }

  /** {@return the group's name, used in error messages and {@code toString()}} */
  public String getName() {
    return name;
  }

  /**
   * Names the group.
   *
   * @throws NullPointerException if {@code name} is null
   */
  public TaskGroupOptions setName(String name) {
    this.name = Objects.requireNonNull(name, "name");
    return this;
  }

  /** {@return how many tasks may run at once ({@link #UNLIMITED} by default)} */
  public int getMaxConcurrency() {
    return maxConcurrency;
  }

  /**
   * Limits how many tasks run at once; spawns past the limit queue in FIFO order and start as slots
   * free. Nothing blocks.
   *
   * @throws IllegalArgumentException if {@code maxConcurrency < 1}
   */
  public TaskGroupOptions setMaxConcurrency(int maxConcurrency) {
    if (maxConcurrency < 1) {
      throw new IllegalArgumentException("maxConcurrency must be at least 1, got " + maxConcurrency);
    }
    this.maxConcurrency = maxConcurrency;
    return this;
  }

  /** {@return how many tasks may wait for a slot ({@link #UNLIMITED} by default)} */
  public int getMaxQueued() {
    return maxQueued;
  }

  /**
   * Bounds the queue of tasks waiting for a slot under {@code maxConcurrency} (Go errgroup's
   * {@code SetLimit} with {@code TryGo}, Vert.x's {@code maxWaitQueueSize}): a spawn past
   * {@code maxConcurrency + maxQueued} throws {@link TaskQueueFullException} and
   * {@link TaskGroup#trySpawn} returns empty; the refused function never runs. Zero: no queue at
   * all. Without a concurrency limit nothing queues, so this has no effect. A pattern
   * ({@code all}, {@code race}, ...) given more tasks than both limits fails with it.
   *
   * @throws IllegalArgumentException if {@code maxQueued < 0}
   */
  public TaskGroupOptions setMaxQueued(int maxQueued) {
    if (maxQueued < 0) {
      throw new IllegalArgumentException("maxQueued must not be negative, got " + maxQueued);
    }
    this.maxQueued = maxQueued;
    return this;
  }

  /** {@return the group's deadline, measured from its start, or null for none} */
  public Duration getTimeout() {
    return timeout;
  }

  /**
   * Sets the group's deadline: when it passes, everything in the group is cancelled and, once all
   * of it has settled, the group fails with a {@link TaskTimeoutException}. Null removes it.
   *
   * @throws IllegalArgumentException if {@code timeout} is zero or negative
   */
  public TaskGroupOptions setTimeout(Duration timeout) {
    this.timeout = timeout == null ? null : Durations.requirePositive(timeout, "timeout");
    return this;
  }

  Timers getTimers() {
    return timers;
  }

  /** Test hook: drives the group's deadlines and sleeps from a clock the test controls. */
  TaskGroupOptions setTimers(Timers timers) {
    this.timers = timers;
    return this;
  }

  @Override
  public String toString() {
    return "TaskGroupOptions[name=" + name + ", maxConcurrency="
        + (maxConcurrency == UNLIMITED ? "unlimited" : maxConcurrency)
        + (maxQueued == UNLIMITED ? "" : ", maxQueued=" + maxQueued) + ", timeout=" + timeout + "]";
  }
}
