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
 * the delay a deadline node of the group (removed the moment the hedge ends, so a won hedge leaves
 * no timer behind). Immutable but for the latency window of an adaptive delay, which is guarded
 * by its own monitor: one hedged function may serve every event loop.
 */
final class HedgeFn<T> implements TaskFn<T> {
  /** How many recent latencies an adaptive delay is computed from. */
  static final int WINDOW = 100;
  /** How many latencies an adaptive delay needs before it uses them (until then: its maximum). */
  static final int MIN_SAMPLES = 10;

  private final TaskFn<T> inner;
  private final int maxAttempts;
  private final long fixedNanos;
  private final double percentile; // 0: fixed
  private final long minNanos;
  private final long maxNanos;
  private final Predicate<? super Throwable> handledOn;
  private final RetryBudget budget;
  private final long[] latencies; // ring of winning attempts' latencies; null when fixed; guarded by itself
  private int recorded; // how many latencies were ever recorded; guarded by latencies

  HedgeFn(TaskFn<T> inner, HedgeOptions options) {
    this.inner = Objects.requireNonNull(inner, "inner");
    Objects.requireNonNull(options, "options");
    this.maxAttempts = options.getMaxAttempts();
    this.fixedNanos = Durations.toNanos(options.getDelay());
    this.percentile = options.getPercentile();
    this.minNanos = percentile > 0 ? Durations.toNanos(options.getMinDelay()) : 0;
    this.maxNanos = percentile > 0 ? Durations.toNanos(options.getMaxDelay()) : 0;
    this.handledOn = options.getHandledOn();
    this.budget = options.getBudget();
    this.latencies = percentile > 0 ? new long[WINDOW] : null;
  }

  @Override
  public Future<T> run(TaskScope scope) {
    ScopeImpl parent = ScopeImpl.of(scope);
    TaskCancelledException refused = ChildScope.refusal(parent, "a hedge's run");
    if (refused != null) {
      return Future.failedFuture(refused);
    }
    if (budget != null) {
      budget.deposit();
    }
    Hedge<T> hedge = new Hedge<>(this, parent, delayNanos());
    hedge.begin();
    return hedge.promise.future();
  }

  /** {@return the delay before a further attempt: fixed, or the percentile of the window, clamped} */
  long delayNanos() {
    if (latencies == null) {
      return fixedNanos;
    }
    long[] sorted;
    synchronized (latencies) {
      if (recorded < MIN_SAMPLES) {
        return maxNanos;
      }
      sorted = Arrays.copyOf(latencies, Math.min(recorded, WINDOW));
    }
    Arrays.sort(sorted);
    int rank = (int) Math.ceil(percentile / 100 * sorted.length) - 1; // nearest-rank percentile
    return Math.max(minNanos, Math.min(maxNanos, sorted[Math.max(0, rank)]));
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
    return "HedgeFn[maxAttempts=" + maxAttempts + ", " + inner + "]";
  }

  /**
   * One call of a hedged function. Group's context only. It ends once: with the first success
   * (the others are cancelled with {@link CancelReason#RACE_LOST}), with a failure not handled
   * (the others are cancelled), or when no attempt runs and none may start; its future completes
   * when every attempt has settled.
   */
  private static final class Hedge<T> implements ChildScope.Listener<T> {
    private final HedgeFn<T> spec;
    private final ScopeImpl parent;
    private final long delayNanos;
    final Promise<T> promise;
    private final List<ChildScope<T>> running = new ArrayList<>(2);
    private final List<Throwable> errors = new ArrayList<>(2);
    private int started;
    private boolean ended; // decided: won, or failed with an error not handled; no attempt starts any more
    private boolean won;
    private T winner;
    private String why; // why the hedge failed, once ended without a winner
    private boolean completed;
    private Delay delay; // the armed delay, or null

    Hedge(HedgeFn<T> spec, ScopeImpl parent, long delayNanos) {
      this.spec = spec;
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
      running.add(attempt); // before it runs: it may settle before start returns
      attempt.start(spec.inner);
    }

    private void arm() {
      disarm();
      if (!stopped() && started < spec.maxAttempts) {
        delay = new Delay();
        parent.group.deadlines.add(delay, delayNanos);
      }
    }

    private void disarm() {
      if (delay != null) {
        Deadlines.remove(delay);
        delay = null;
      }
    }

    /** The delay passed with no success: the next attempt starts, if the budget allows. */
    private void delayPassed() {
      delay = null;
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
    public void childSettled(ChildScope<T> attempt, T value, Throwable error) {
      running.remove(attempt);
      if (!ended) {
        if (error == null) {
          ended = true;
          won = true;
          winner = value;
          spec.recordLatency(parent.group.timers.nanoTime() - attempt.startedNanos);
          cancelOthers(new TaskCancelledException(CancelReason.RACE_LOST,
              "attempt " + attempt.attempt + " of the hedge in '" + parent.scopeName() + "' succeeded first"));
        } else if (!(attempt.cancelCause != null && error instanceof CancellationException)) {
          failed(attempt, error); // an attempt cancelled by the hedge or the caller is no error
        }
      }
      maybeComplete();
    }

    private void failed(ChildScope<T> attempt, Throwable error) {
      errors.add(error);
      if (parent.cancelCause != null || parent.closed()) {
        return; // the caller's cancellation is ending every attempt
      }
      boolean handled;
      try {
        handled = spec.handledOn.test(error);
      } catch (Throwable e) {
        errors.add(e);
        handled = false;
      }
      if (!handled) {
        ended = true;
        why = "attempt " + attempt.attempt + " failed with an error not handled";
        cancelOthers(new TaskCancelledException(CancelReason.SIBLING_FAILED,
            "attempt " + attempt.attempt + " of the hedge in '" + parent.scopeName() + "' failed"));
      } else if (started < spec.maxAttempts) {
        if (mayStartAnother()) {
          launch(); // a handled failure starts the next attempt at once, and the delay anew
          arm();
        } else {
          why = "the budget allowed no further attempt";
        }
      }
    }

    private void cancelOthers(TaskCancelledException cause) {
      disarm();
      for (Object c : running.toArray()) { // a snapshot: a cancelled attempt may settle at once
        @SuppressWarnings("unchecked")
        ChildScope<T> other = (ChildScope<T>) c;
        other.cancel(cause);
      }
    }

    /** With no attempt running the hedge completes, even with attempts left that the budget refused. */
    private void maybeComplete() {
      if (completed || !running.isEmpty()) {
        return;
      }
      completed = true;
      disarm();
      if (won) {
        promise.complete(winner);
      } else if (errors.isEmpty() || (!ended && (parent.cancelCause != null || parent.closed()))) {
        TaskCancelledException cause = parent.cancelCause;
        promise.fail(cause != null ? cause : parent.closedCause());
      } else {
        String n = started == 1 ? "1 attempt" : started + " attempts";
        promise.fail(new TaskGroupException("the hedge in '" + parent.scopeName() + "' failed after " + n + ": "
            + (why != null ? why : "no attempt left (maxAttempts " + spec.maxAttempts + ")"), errors));
      }
    }

    private final class Delay extends Deadlines.Node {
      @Override
      void expire() {
        if (delay == this) {
          delayPassed();
        }
      }

      @Override
      void close(TaskCancelledException cause) {} // the group completed: the hedge had ended
    }
  }
}
