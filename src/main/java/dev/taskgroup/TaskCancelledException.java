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

  /**
   * Creates a cancellation with a reason and a message that says where it came from.
   *
   * @throws NullPointerException if {@code reason} is null
   */
  public TaskCancelledException(CancelReason reason, String message) {
    super(message);
    this.reason = Objects.requireNonNull(reason, "reason");
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
