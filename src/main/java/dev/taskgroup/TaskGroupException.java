package dev.taskgroup;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.Predicate;

/**
 * Every real error of a failed {@link TaskGroup}, kept in the order they happened; nothing is
 * dropped and cancellations are never included. (In {@code all} and {@code race}, a task that ends
 * with a cancellation of its own, which nothing of the library caused, failed: its exception is one
 * of the errors.)
 *
 * <pre>{@code
 * TaskGroup.all(vertx, calls).onFailure(err -> {
 *   if (err instanceof TaskGroupException group) {
 *     TaskGroupException timeouts = group.subgroup(e -> e instanceof TaskTimeoutException);
 *   }
 * });
 * }</pre>
 *
 * <p>The first error is the {@linkplain #getCause() cause} and the others are
 * {@linkplain #getSuppressed() suppressed}, so plain stack-trace printing shows them all. A nested
 * group's exception stays one element, keeping the tree. {@link #subgroup} and {@link #split}
 * select by predicate like Python's {@code ExceptionGroup}.
 */
public final class TaskGroupException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final transient List<Throwable> exceptions;
  private final String ownMessage; // the message given, before the summary of the errors

  /**
   * @param message what failed (the group's name is useful here)
   * @param exceptions the errors in completion order; at least one
   * @throws IllegalArgumentException if {@code exceptions} is empty
   */
  public TaskGroupException(String message, List<? extends Throwable> exceptions) {
    super(describe(message, exceptions), exceptions.isEmpty() ? null : exceptions.get(0));
    if (exceptions.isEmpty()) {
      throw new IllegalArgumentException("a TaskGroupException needs at least one exception");
    }
    for (int i = 0; i < exceptions.size(); i++) {
      Objects.requireNonNull(exceptions.get(i), () -> "exceptions contains null");
    }
    this.ownMessage = message;
    this.exceptions = List.copyOf(exceptions);
    for (int i = 1; i < this.exceptions.size(); i++) {
      addSuppressed(this.exceptions.get(i));
    }
  }

  /** Longest part of the first error's message repeated in this one's. */
  static final int FIRST_ERROR_CHARS = 200;

  /**
   * The message is a summary of bounded size whatever the depth and the number of errors (like
   * Python's {@code ExceptionGroup}): the own message, the count, and the first error cut to
   * {@value #FIRST_ERROR_CHARS} characters. The detail stays in {@link #exceptions()}. Embedding
   * every message below made a failure 1,000 groups deep 62,069 characters long.
   */
  private static String describe(String message, List<? extends Throwable> exceptions) {
    int n = exceptions.size();
    StringBuilder sb = new StringBuilder(message).append(" (").append(n).append(n == 1 ? " error)" : " errors)");
    if (n > 0) {
      Throwable first = exceptions.get(0);
      String m;
      try {
        m = first == null ? "null" : first.getClass().getSimpleName() + ": " + first.getMessage();
      } catch (RuntimeException broken) { // user code: a message must never stop a group from failing
        m = first.getClass().getSimpleName() + " (its getMessage() threw " + broken.getClass().getSimpleName() + ")";
      }
      sb.append(n == 1 ? ": " : ", first: ");
      if (m.length() > FIRST_ERROR_CHARS) {
        sb.append(m, 0, FIRST_ERROR_CHARS).append("...");
      } else {
        sb.append(m);
      }
    }
    return sb.toString();
  }


  /** {@return the errors, unmodifiable, in completion order} */
  public List<Throwable> exceptions() {
    return exceptions;
  }

  /**
   * {@return the errors that match, with nested groups filtered the same way and kept as groups,
   * or null if none match} If this group itself matches, it is returned whole.
   */
  public TaskGroupException subgroup(Predicate<? super Throwable> predicate) {
    return split(predicate).matched();
  }

  /**
   * {@return the errors split into those that match and the rest, nested groups split the same
   * way; either side is null when empty}
   */
  public Split split(Predicate<? super Throwable> predicate) {
    Objects.requireNonNull(predicate, "predicate");
    if (predicate.test(this)) {
      return new Split(this, null);
    }
    // A loop with its own stack, not a recursion: groups may be nested 100,000 deep.
    ArrayDeque<Splitting> stack = new ArrayDeque<>();
    stack.push(new Splitting(this));
    Split below = null; // the split of the nested group just finished, for its parent
    while (true) {
      Splitting s = stack.peek();
      if (below != null) {
        if (below.matched() != null) {
          s.matched.add(below.matched());
        }
        if (below.rest() != null) {
          s.rest.add(below.rest());
        }
        below = null;
      }
      if (s.next < s.group.exceptions.size()) {
        Throwable e = s.group.exceptions.get(s.next++);
        if (predicate.test(e)) {
          s.matched.add(e); // a nested group that matches is kept whole
        } else if (e instanceof TaskGroupException) {
          stack.push(new Splitting((TaskGroupException) e));
        } else {
          s.rest.add(e);
        }
        continue;
      }
      stack.pop();
      below = new Split(s.group.derive(s.matched), s.group.derive(s.rest));
      if (stack.isEmpty()) {
        return below;
      }
    }
  }

  /** One group being split: how far through its errors, and the two sides so far. */
  private static final class Splitting {
    final TaskGroupException group;
    final List<Throwable> matched = new ArrayList<>();
    final List<Throwable> rest = new ArrayList<>();
    int next;

    Splitting(TaskGroupException group) {
      this.group = group;
    }
  }

  private TaskGroupException derive(List<Throwable> kept) {
    if (kept.isEmpty()) {
      return null;
    }
    return kept.equals(exceptions) ? this : new TaskGroupException(ownMessage, kept);
  }

  /**
   * The two halves of {@link #split}.
   *
   * @param matched the errors that match, or null if none
   * @param rest the errors that do not, or null if none
   */
  public record Split(TaskGroupException matched, TaskGroupException rest) {}
}
