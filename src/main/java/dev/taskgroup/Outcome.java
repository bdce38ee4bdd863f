package dev.taskgroup;

import java.util.Objects;
import java.util.concurrent.CancellationException;

/**
 * How one task ended: succeeded with a result, failed with a cause, or cancelled. Immutable.
 *
 * <pre>{@code
 * TaskGroup.gather(vertx, calls).onSuccess(outcomes -> outcomes.forEach(o ->
 *     System.out.println(o.succeeded() ? o.result() : o.cause())));
 * }</pre>
 */
public final class Outcome<T> {
  private final T result;
  private final Throwable cause;

  private Outcome(T result, Throwable cause) {
    this.result = result;
    this.cause = cause;
  }

  /** {@return a success holding {@code result} (which may be null)} */
  public static <T> Outcome<T> success(T result) {
    return new Outcome<>(result, null);
  }

  /**
   * {@return a failure, or a cancellation when {@code cause} is a {@link CancellationException}}
   *
   * @throws NullPointerException if {@code cause} is null
   */
  public static <T> Outcome<T> failure(Throwable cause) {
    return new Outcome<>(null, Objects.requireNonNull(cause, "cause"));
  }

  /** {@return whether the task succeeded} */
  public boolean succeeded() {
    return cause == null;
  }

  /** {@return whether the task failed with a real error (not a cancellation)} */
  public boolean failed() {
    return cause != null && !(cause instanceof CancellationException);
  }

  /** {@return whether the task was cancelled} */
  public boolean cancelled() {
    return cause instanceof CancellationException;
  }

  /** {@return the result of a success, or null} */
  public T result() {
    return result;
  }

  /** {@return the cause of a failure or cancellation, or null for a success} */
  public Throwable cause() {
    return cause;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Outcome<?> other && Objects.equals(result, other.result) && Objects.equals(cause, other.cause);
  }

  @Override
  public int hashCode() {
    return Objects.hash(result, cause);
  }

  @Override
  public String toString() {
    return succeeded() ? "Success[" + result + "]" : (cancelled() ? "Cancelled[" : "Failure[") + cause + "]";
  }
}
