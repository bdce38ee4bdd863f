package dev.taskgroup;

import java.util.Objects;
import java.util.concurrent.CancellationException;

/**
 * The {@link CancellationException} the library raises when it cancels a scope; it always carries
 * the {@link CancelReason}.
 *
 * <p>A cancelled task is not an error: it never appears in a {@link TaskGroupException}. Instances
 * carry no stack trace (one instance is shared by every task a single cancellation reaches, so that
 * cancelling 100,000 tasks allocates one exception, not 100,000).
 */
public final class TaskCancelledException extends CancellationException {
  private static final long serialVersionUID = 1L;

  private final CancelReason reason;
  private final String origin; // the message of the cancellation this one passes on, at the root
  /**
   * Made by {@link Task#cancel()} on another thread: it marks the task at once and reaches the
   * group's context later; {@code delivered} (context only) says it has. Until then the task's
   * hooks are not the cancellation's: a result that wins drops them, as for any finished task.
   */
  final transient boolean foreign;
  transient boolean delivered;

  /**
   * Creates a cancellation with a reason and a message that says where it came from.
   *
   * @throws NullPointerException if {@code reason} is null
   */
  public TaskCancelledException(CancelReason reason, String message) {
    this(reason, message, false);
  }

  TaskCancelledException(CancelReason reason, String message, boolean foreign) {
    super(message);
    this.reason = Objects.requireNonNull(reason, "reason");
    this.origin = message;
    this.foreign = foreign;
  }

  /** A cancellation passed down from {@code from}: it names the root's message, never the chain's. */
  TaskCancelledException(CancelReason reason, String message, TaskCancelledException from) {
    super(message + ": " + from.origin);
    this.reason = Objects.requireNonNull(reason, "reason");
    this.origin = from.origin;
    this.foreign = false;
  }

  /**
   * {@return the cancellation given to an operation started in, or outliving, a finished scope}
   * Reason {@link CancelReason#SCOPE_CLOSED}, message {@code '<task or group>' has finished}: the
   * one wording of this rule, used by the core (a sleep, a nested group, a timeout started in a
   * finished scope) and by the I/O helpers alike.
   *
   * @param scope the finished scope: a task's, a group, or a scope of another implementation
   *     (then named by its {@code toString()})
   * @throws NullPointerException if {@code scope} is null
   */
  public static TaskCancelledException scopeClosed(TaskScope scope) {
    Objects.requireNonNull(scope, "scope");
    String name = scope instanceof ScopeImpl ? ((ScopeImpl) scope).scopeName()
        : scope instanceof TaskGroup ? ((TaskGroup) scope).name() : String.valueOf(scope);
    return new TaskCancelledException(CancelReason.SCOPE_CLOSED, "'" + name + "' has finished");
  }

  /** {@return why the scope was cancelled} */
  public CancelReason reason() {
    return reason;
  }

  /** No stack trace: the reason and message say where a cancellation came from. */
  @Override
  public synchronized Throwable fillInStackTrace() {
    return this;
  }
}
