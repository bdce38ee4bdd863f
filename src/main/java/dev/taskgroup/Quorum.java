package dev.taskgroup;

import io.vertx.core.Future;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * The sink of {@link TaskGroup#quorum}: keeps the first k successes in completion order, then
 * cancels the rest ({@link CancelReason#RACE_LOST}); or, as soon as more than n - k tasks have
 * failed, cancels the rest ({@link CancelReason#SIBLING_FAILED}) and keeps every error. Group's
 * context only, like every sink.
 */
final class Quorum<T> implements ResultSink {
  private final int k;
  private final int n;
  private final List<T> successes;
  private final List<Throwable> errors = new ArrayList<>();
  private boolean reached;
  private boolean impossible;

  Quorum(int k, int n) {
    this.k = k;
    this.n = n;
    this.successes = new ArrayList<>(k);
  }

  @Override
  public Throwable settled(AbstractTask<?> t) {
    try {
      return keep(t);
    } finally {
      t.group.forgetSlot(t); // read: the outcome need not stay in the array
    }
  }

  @SuppressWarnings("unchecked")
  private Throwable keep(AbstractTask<?> t) {
    boolean failed = t.stateBits() == TaskImpl.FAILED || ResultSink.ownCancellation(t);
    if (reached) {
      return null; // successes past the k-th, and failures of the cancelled rest, are not asked for
    }
    if (t.stateBits() == TaskImpl.SUCCEEDED && !impossible) {
      successes.add((T) t.result());
      if (successes.size() == k) {
        reached = true;
        t.group.cancel(new TaskCancelledException(CancelReason.RACE_LOST,
            "the quorum of " + k + " of " + n + " of task group '" + t.group.name + "' was reached"));
      }
    } else if (failed) {
      errors.add(t.failure()); // every error, also one that arrives after the quorum became impossible
      if (!impossible && errors.size() > n - k) {
        impossible = true;
        t.group.cancel(new TaskCancelledException(CancelReason.SIBLING_FAILED,
            "the quorum of " + k + " of " + n + " of task group '" + t.group.name + "' became impossible"));
      }
    }
    return null; // a failed task is the quorum's to report, not an error of the group
  }

  Future<List<T>> outcome(String name) {
    if (reached) {
      return Future.succeededFuture(Collections.unmodifiableList(successes));
    }
    if (impossible) {
      return Future.failedFuture(new TaskGroupException("quorum of " + k + " of " + n + " tasks of '" + name
          + "' became impossible: " + errors.size() + " failed", errors));
    }
    // Unreachable: a group that neither reached nor lost its quorum was cancelled from outside
    // (its deadline, the enclosing scope), and then its own future failed and nobody asks.
    return Future.failedFuture(new IllegalStateException("quorum '" + name + "' ended undecided"));
  }
}
