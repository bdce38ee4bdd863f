package dev.taskgroup;

/**
 * The deadline of a step run by {@link TaskGroup#withDeadline}, which the step may move while it
 * runs: push it back, bring it forward, or remove it (asyncio's {@code Timeout.reschedule}, Trio's
 * {@code CancelScope.deadline}). An idle timeout is a deadline pushed back on every sign of
 * progress.
 *
 * <pre>{@code
 * TaskGroup.withDeadline(scope, Duration.ofSeconds(5), (s, deadline) ->
 *     stream.read(s, chunk -> deadline.reset(Duration.ofSeconds(5))));  // no progress for 5 s: cancelled
 * }</pre>
 *
 * <p>When the deadline passes, the step's scope is cancelled (reason {@link CancelReason#DEADLINE})
 * and, once the step has settled with a cancellation, it fails with a {@link TaskTimeoutException}
 * naming the duration last set. Moving it after it passed, or after the step settled, does
 * nothing. Group's context only: every method throws {@link IllegalStateException} elsewhere.
 */
public interface MovableDeadline {
  /**
   * Moves the deadline to {@code timeout} from now, sooner or later than before.
   *
   * @throws NullPointerException if {@code timeout} is null
   * @throws IllegalArgumentException if {@code timeout} is zero or negative
   * @throws IllegalStateException if called off the group's context
   */
  void reset(java.time.Duration timeout);

  /**
   * Removes the deadline: the step then runs under the enclosing deadlines only.
   *
   * @throws IllegalStateException if called off the group's context
   */
  void clear();
}
