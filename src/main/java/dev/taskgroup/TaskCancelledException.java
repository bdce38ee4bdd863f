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
   * Creates a cancellation with a reason and a message that says where it came from.
   *
   * @throws NullPointerException if {@code reason} is null
   */
  public TaskCancelledException(CancelReason reason, String message) {
    super(message);
    this.reason = Objects.requireNonNull(reason, "reason");
    this.origin = message;
  }

  /** A cancellation passed down from {@code from}: it names the root's message, never the chain's. */
  TaskCancelledException(CancelReason reason, String message, TaskCancelledException from) {
    super(message + ": " + from.origin);
    this.reason = Objects.requireNonNull(reason, "reason");
    this.origin = from.origin;
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
