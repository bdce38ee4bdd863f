package dev.taskgroup;

import java.util.List;
import java.util.Objects;

/**
 * The results of {@link TaskGroup#settle}: every success in input order, and every failure with the
 * index of the task that produced it. Immutable.
 *
 * <pre>{@code
 * TaskGroup.settle(vertx, calls).onSuccess(s -> {
 *   render(s.successes());
 *   s.failures().forEach(f -> log.warn("call {} failed", f.index(), f.cause()));
 * });
 * }</pre>
 *
 * <p>A task that was cancelled (by its own deadline with no fallback, say) is listed among the
 * failures with its {@link java.util.concurrent.CancellationException}.
 */
public final class Settled<T> {
  private final List<T> successes;
  private final List<Failure> failures;

  Settled(List<T> successes, List<Failure> failures) {
    this.successes = successes;
    this.failures = failures;
  }

  /** {@return the results of the tasks that succeeded, in input order; unmodifiable} */
  public List<T> successes() {
    return successes;
  }

  /** {@return the tasks that did not succeed, in input order; unmodifiable} */
  public List<Failure> failures() {
    return failures;
  }

  /** {@return whether every task succeeded} */
  public boolean allSucceeded() {
    return failures.isEmpty();
  }

  @Override
  public String toString() {
    return "Settled[successes=" + successes.size() + ", failures=" + failures + "]";
  }

  /**
   * One task that did not succeed.
   *
   * @param index its position in the input list
   * @param cause why it failed
   */
  public record Failure(int index, Throwable cause) {
    /** @throws NullPointerException if {@code cause} is null */
    public Failure {
      Objects.requireNonNull(cause, "cause");
    }
  }
}
