package dev.taskgroup;

import java.time.Duration;
import java.util.Objects;
import java.util.function.BiConsumer;

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
  private BiConsumer<? super Task<?>, ? super Throwable> supervisor; // null: not supervised
  private Timers timers; // test hook: a clock driven by the test; null means the Vert.x timers

  /** Default options: named {@value #DEFAULT_NAME}, unlimited concurrency, no deadline. */
  public TaskGroupOptions() {}

  /** A copy of {@code other}. */
  public TaskGroupOptions(TaskGroupOptions other) {
    this.name = other.name;
    this.maxConcurrency = other.maxConcurrency;
    this.maxQueued = other.maxQueued;
    this.timeout = other.timeout;
    this.supervisor = other.supervisor;
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

  /** {@return the supervisor of a supervised group, or null for an ordinary one} */
  public BiConsumer<? super Task<?>, ? super Throwable> getSupervisor() {
    return supervisor;
  }

  /**
   * Makes the group supervised (Kotlin's {@code supervisorScope}, the JDK's {@code awaitAll}): a
   * task's failure cancels neither its siblings nor the body, and is not an error of the group;
   * it is handed to {@code supervisor}, on the group's context, as it happens (the task's own
   * future fails with it too). The group completes with the body's result; it fails only if the
   * body does (which also cancels the tasks, as in any group), if its deadline passes, or if the
   * supervisor throws (that error fails the group fast). For long-lived groups: a verticle's
   * handlers, a pool of workers. Pass {@code (task, error) -> {}} to watch only the tasks'
   * futures. The patterns ({@code all}, {@code race}, ...) decide failures themselves and ignore
   * it. Null makes the group ordinary again.
   *
   * <pre>{@code
   * new TaskGroupOptions().setSupervisor((task, error) -> log.warn("{} failed", task.name(), error));
   * }</pre>
   */
  public TaskGroupOptions setSupervisor(BiConsumer<? super Task<?>, ? super Throwable> supervisor) {
    this.supervisor = supervisor;
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
        + (maxQueued == UNLIMITED ? "" : ", maxQueued=" + maxQueued) + (supervisor != null ? ", supervised" : "") + ", timeout=" + timeout + "]";
  }
}
