package dev.taskgroup;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CancellationException;
import java.util.function.Predicate;

/**
 * A hedged function (see {@link TaskFn#hedged}): attempts in child scopes of the calling scope,
 * the delay a deadline node of the group (one queue, and one timer, for all the hedges of a group
 * with the same delay; the node leaves its queue the moment the hedge ends, so a won hedge leaves
 * nothing behind). Immutable but for the latency window of an adaptive delay, which is guarded by
 * its own monitor: one hedged function may serve every event loop. The options are read once per
 * change of the options into a {@link Policy} that every function hedged with them shares; the
 * window is this function's own (it learns the latencies of the function it hedges).
 */
final class HedgeFn<T> implements TaskFn<T> {
  /** How many recent latencies an adaptive delay is computed from. */
  static final int WINDOW = 100;
  /** How many latencies an adaptive delay needs before it uses them (until then: its maximum). */
  static final int MIN_SAMPLES = 10;

  private final TaskFn<T> inner;
  private final Policy spec;
  private final long[] latencies; // ring of winning attempts' latencies; null when fixed; guarded by itself
  private int recorded; // how many latencies were ever recorded; guarded by latencies

  HedgeFn(TaskFn<T> inner, HedgeOptions options) {
    this.inner = Objects.requireNonNull(inner, "inner");
    this.spec = Objects.requireNonNull(options, "options").policy();
    this.latencies = spec.percentile > 0 ? new long[WINDOW] : null;
  }

  /** What a hedge reads of its options, immutable: shared by all functions hedged with the same unchanged options. */
  static final class Policy {
    final int maxAttempts;
    final long fixedNanos;
    final double percentile; // 0: fixed
    final long minNanos;
    final long maxNanos;
    final Predicate<? super Throwable> handledOn;
    final RetryBudget budget;

    Policy(HedgeOptions options) {
      this.maxAttempts = options.getMaxAttempts();
      this.fixedNanos = Durations.toNanos(options.getDelay());
      this.percentile = options.getPercentile();
      this.minNanos = percentile > 0 ? Durations.toNanos(options.getMinDelay()) : 0;
      this.maxNanos = percentile > 0 ? Durations.toNanos(options.getMaxDelay()) : 0;
      this.handledOn = options.getHandledOn();
      this.budget = options.getBudget();
    }
  }

  @Override
  public Future<T> run(TaskScope scope) {
    ScopeImpl parent = ScopeImpl.of(scope);
    TaskCancelledException refused = ChildScope.refusal(parent, "a hedge's run");
    if (refused != null) {
      return Future.failedFuture(refused);
    }
    if (spec.budget != null) {
      spec.budget.deposit();
    }
    Hedge<T> hedge = new Hedge<>(this, parent, delayNanos());
    hedge.begin();
    return hedge.promise.future();
  }

  /** {@return the delay before a further attempt: fixed, or the percentile of the window, clamped} */
  long delayNanos() {
    if (latencies == null) {
      return spec.fixedNanos;
    }
    long[] sorted;
    synchronized (latencies) {
      if (recorded < MIN_SAMPLES) {
        return spec.maxNanos;
      }
      sorted = Arrays.copyOf(latencies, Math.min(recorded, WINDOW));
    }
    Arrays.sort(sorted);
    int rank = (int) Math.ceil(spec.percentile / 100 * sorted.length) - 1; // nearest-rank percentile
    return Math.max(spec.minNanos, Math.min(spec.maxNanos, sorted[Math.max(0, rank)]));
  }

  void recordLatency(long nanos) {
    if (latencies != null) {
      synchronized (latencies) {
        latencies[recorded++ % WINDOW] = nanos;
        if (recorded == 2 * WINDOW) {
          recorded = WINDOW; // keeps the index from overflowing; the ring stays full
        }
      }
    }
  }

  @Override
  public String toString() {
    return "HedgeFn[maxAttempts=" + spec.maxAttempts + ", " + inner + "]";
  }

  /**
   * One call of a hedged function. Group's context only. It ends once: with the first success
   * (the others are cancelled with {@link CancelReason#RACE_LOST}), with a failure not handled
   * (the others are cancelled), or when no attempt runs and none may start; its future completes
   * when every attempt has settled. It is its own delay node: queued while the delay runs, out of
   * the queue otherwise.
   */
  private static final class Hedge<T> extends Deadlines.Node implements ChildScope.Listener<T> {
    private final HedgeFn<T> fn;
    private final Policy spec;
    private final ScopeImpl parent;
    private final long delayNanos;
    final Promise<T> promise;
    private ChildScope<T> first; // attempt 1
    private List<ChildScope<T>> more; // attempts 2 and on, made when the first of them starts
    private int live; // attempts started and not settled
    private List<Throwable> errors; // made by the first failure
    private int started;
    private boolean ended; // decided: won, or failed with an error not handled; no attempt starts any more
    private boolean won;
    private T winner;
    private String why; // why the hedge failed, once ended without a winner
    private boolean completed;

    Hedge(HedgeFn<T> fn, ScopeImpl parent, long delayNanos) {
      this.fn = fn;
      this.spec = fn.spec;
      this.parent = parent;
      this.delayNanos = delayNanos;
      this.promise = VertxContexts.promise(parent.group.context);
    }

    void begin() {
      launch();
      if (delayNanos == 0) { // every attempt at once, as far as the budget allows
        while (!stopped() && started < spec.maxAttempts && mayStartAnother()) {
          launch();
        }
      } else {
        arm();
      }
      maybeComplete();
    }

    private boolean stopped() {
      return ended || completed || parent.cancelCause != null || parent.closed();
    }

    private boolean mayStartAnother() {
      return spec.budget == null || spec.budget.tryWithdraw();
    }

    private void launch() {
      started++;
      if (started > 1) {
        Observation.hedged(parent.group);
      }
      ChildScope<T> attempt = ChildScope.attempt(parent, started, this);
      if (fn.latencies != null) {
        attempt.startedNanos = parent.group.timers.nanoTime(); // only an adaptive delay reads the clock for it
      }
      if (first == null) {
        first = attempt;
      } else {
        if (more == null) {
          more = new ArrayList<>(2);
        }
        more.add(attempt);
      }
      live++; // before it runs: it may settle before start returns
      attempt.start(fn.inner);
    }

    /** (Re)starts the delay, unless no further attempt may start. */
    private void arm() {
      Deadlines.remove(this);
      if (!stopped() && started < spec.maxAttempts) {
        expired = false;
        parent.group.deadlines.add(this, delayNanos);
      }
    }

    /** The delay passed with no success (the node is out of its queue): the next attempt starts, if the budget allows. */
    @Override
    void expire() {
      if (stopped() || started >= spec.maxAttempts) {
        return;
      }
      if (mayStartAnother()) {
        launch();
        arm();
      } else if (why == null) {
        why = "the budget allowed no further attempt";
      }
    }

    @Override
    void close(TaskCancelledException cause) {} // the group completed: the hedge had ended

    @Override
    public void childSettled(ChildScope<T> attempt, T value, Throwable error) {
      live--;
      if (!ended) {
        if (error == null) {
          ended = true;
          won = true;
          winner = value;
          if (fn.latencies != null) {
            fn.recordLatency(parent.group.timers.nanoTime() - attempt.startedNanos);
          }
          cancelOthers(CancelReason.RACE_LOST, attempt, "succeeded first");
        } else if (!(attempt.cancelCause != null && error instanceof CancellationException)) {
          failed(attempt, error); // an attempt cancelled by the hedge or the caller is no error
        }
      }
      maybeComplete();
    }

    private void failed(ChildScope<T> attempt, Throwable error) {
      record(error);
      if (parent.cancelCause != null || parent.closed()) {
        return; // the caller's cancellation is ending every attempt
      }
      boolean handled;
      try {
        handled = spec.handledOn.test(error);
      } catch (Throwable e) {
        record(e);
        handled = false;
      }
      if (!handled) {
        ended = true;
        why = "attempt " + attempt.attempt + " failed with an error not handled";
        cancelOthers(CancelReason.SIBLING_FAILED, attempt, "failed");
      } else if (started < spec.maxAttempts) {
        if (mayStartAnother()) {
          launch(); // a handled failure starts the next attempt at once, and the delay anew
          arm();
        } else {
          why = "the budget allowed no further attempt";
        }
      }
    }

    private void record(Throwable error) {
      if (errors == null) {
        errors = new ArrayList<>(2);
      }
      errors.add(error);
    }

    /**
     * Stops the delay and cancels every attempt still running; the cancellation (and its message)
     * is made only if one runs, so a hedge won by its only attempt allocates none.
     */
    private void cancelOthers(CancelReason reason, ChildScope<T> by, String what) {
      Deadlines.remove(this);
      if (live == 0) {
        return;
      }
      TaskCancelledException cause = new TaskCancelledException(reason,
          "attempt " + by.attempt + " of the hedge in '" + parent.scopeName() + "' " + what);
      first.cancel(cause); // a no-op once it has settled
      if (more != null) {
        for (Object c : more.toArray()) { // a snapshot: a cancelled attempt may settle at once
          @SuppressWarnings("unchecked")
          ChildScope<T> other = (ChildScope<T>) c;
          other.cancel(cause);
        }
      }
    }

    /** With no attempt running the hedge completes, even with attempts left that the budget refused. */
    private void maybeComplete() {
      if (completed || live > 0) {
        return;
      }
      completed = true;
      Deadlines.remove(this);
      if (won) {
        promise.complete(winner);
      } else if (errors == null || (!ended && (parent.cancelCause != null || parent.closed()))) {
        TaskCancelledException cause = parent.cancelCause;
        promise.fail(cause != null ? cause : parent.closedCause());
      } else {
        String n = started == 1 ? "1 attempt" : started + " attempts";
        promise.fail(new TaskGroupException("the hedge in '" + parent.scopeName() + "' failed after " + n + ": "
            + (why != null ? why : "no attempt left (maxAttempts " + spec.maxAttempts + ")"), errors));
      }
    }
  }
}
