package dev.taskgroup;

import io.vertx.core.AsyncResult;
import java.util.Objects;
import java.util.concurrent.CancellationException;

/**
 * How one task ended, as a Vert.x {@link AsyncResult}: succeeded with a result, or failed with a
 * cause, which may be a cancellation. Immutable.
 *
 * <pre>{@code
 * TaskGroup.gather(vertx, calls).onSuccess(outcomes -> outcomes.forEach(o ->
 *     System.out.println(o.succeeded() ? o.result() : o.cancelled() ? "cancelled" : o.cause())));
 * }</pre>
 *
 * <p>{@link #succeeded()}, {@link #failed()}, {@link #result()} and {@link #cause()} mean what they
 * mean on every {@code AsyncResult}: {@code failed()} is {@code !succeeded()}, so a cancellation is
 * also failed. {@link #cancelled()} tells a cancellation ({@code cause()} is a
 * {@link CancellationException}) from a real error.
 */
public final class Outcome<T> implements AsyncResult<T> {
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
  @Override
  public boolean succeeded() {
    return cause == null;
  }

  /** {@return whether the task did not succeed: a real error or a cancellation} */
  @Override
  public boolean failed() {
    return cause != null;
  }

  /** {@return whether the task ended with a cancellation (then {@link #failed()} is true as well)} */
  public boolean cancelled() {
    return cause instanceof CancellationException;
  }

  /** {@return the result of a success, or null} */
  @Override
  public T result() {
    return result;
  }

  /** {@return the cause of a failure or cancellation, or null for a success} */
  @Override
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
