package dev.taskgroup;

import io.vertx.core.AsyncResult;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Promise;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Random;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Predicate;

/**
 * A retried function (see {@link TaskFn#retried}): each attempt in its own {@link ChildScope} of
 * the calling scope, the backoff a sleep of that scope. Immutable (the options are copied);
 * reusable across tasks and threads.
 */
final class RetryFn<T> implements TaskFn<T> {
  private final TaskFn<T> inner;
  private final int maxAttempts;
  private final long initialNanos;
  private final long maxNanos;
  private final double multiplier;
  private final Predicate<? super Throwable> retryOn;
  private final long minRemainingNanos;
  private final RetryBudget budget;
  private final Random random;

  RetryFn(TaskFn<T> inner, RetryOptions options) {
    this.inner = Objects.requireNonNull(inner, "inner");
    Objects.requireNonNull(options, "options");
    if (options.getMaxDelay().compareTo(options.getInitialDelay()) < 0) {
      throw new IllegalArgumentException("maxDelay (" + Durations.millis(options.getMaxDelay())
          + ") must not be shorter than initialDelay (" + Durations.millis(options.getInitialDelay()) + ")");
    }
    this.maxAttempts = options.getMaxAttempts();
    this.initialNanos = Durations.toNanos(options.getInitialDelay());
    this.maxNanos = Durations.toNanos(options.getMaxDelay());
    this.multiplier = options.getMultiplier();
    this.retryOn = options.getRetryOn();
    this.minRemainingNanos = Durations.toNanos(options.getMinRemaining());
    this.budget = options.getBudget();
    this.random = options.getRandom();
  }

  @Override
  public Future<T> run(TaskScope scope) {
    ScopeImpl parent = ScopeImpl.of(scope);
    TaskCancelledException refused = ChildScope.refusal(parent, "a retry's run");
    if (refused != null) {
      return Future.failedFuture(refused);
    }
    if (budget != null) {
      budget.deposit();
    }
    Retry<T> retry = new Retry<>(this, parent);
    retry.next();
    return retry.promise.future();
  }

  /** {@return the backoff before the retry that follows {@code failed} failed attempts, in whole ms} */
  long backoffMillis(int failed) {
    double bound = Math.min((double) maxNanos, initialNanos * Math.pow(multiplier, failed - 1));
    Random r = random != null ? random : ThreadLocalRandom.current();
    return (long) (bound * r.nextDouble() / 1_000_000);
  }

  @Override
  public String toString() {
    return "RetryFn[maxAttempts=" + maxAttempts + ", " + inner + "]";
  }

  /** One call of a retried function. Group's context only. */
  private static final class Retry<T> implements ChildScope.Listener<T>, Handler<AsyncResult<Void>> {
    private final RetryFn<T> spec;
    private final ScopeImpl parent;
    final Promise<T> promise;
    private final List<Throwable> errors = new ArrayList<>(2);
    private int attempts;

    Retry(RetryFn<T> spec, ScopeImpl parent) {
      this.spec = spec;
      this.parent = parent;
      this.promise = VertxContexts.promise(parent.group.context);
    }

    void next() {
      attempts++;
      if (attempts > 1) {
        Observation.retried(parent.group);
      }
      ChildScope.attempt(parent, attempts, this).start(spec.inner);
    }

    @Override
    public void childSettled(ChildScope<T> attempt, T value, Throwable error) {
      if (error == null) {
        promise.complete(value);
        return;
      }
      if (parent.cancelCause != null || parent.closed()) { // the caller's cancellation ends the retry
        if (error instanceof CancellationException) {
          promise.fail(error);
        } else {
          errors.add(error); // a real error wins over the cancellation, as a result would
          giveUp("was cancelled after attempt " + attempts + " failed");
        }
        return;
      }
      errors.add(error);
      boolean retryable;
      try {
        retryable = spec.retryOn.test(error);
      } catch (Throwable e) {
        errors.add(e);
        giveUp("its retryOn predicate threw");
        return;
      }
      if (!retryable) {
        giveUp("attempt " + attempts + " failed with an error not worth retrying");
      } else if (attempts >= spec.maxAttempts) {
        giveUp("no attempt left (maxAttempts " + spec.maxAttempts + ")");
      } else {
        backOff();
      }
    }

    private void backOff() {
      long delayMillis = spec.backoffMillis(attempts);
      long deadline = parent.deadlineNanos();
      if (deadline != ScopeImpl.NO_DEADLINE) {
        long left = deadline - parent.group.timers.nanoTime() - delayMillis * 1_000_000;
        if (left <= 0 || left < spec.minRemainingNanos) {
          giveUp("after a backoff of " + delayMillis + " ms, " + Math.max(0, left / 1_000_000)
              + " ms would be left before the deadline, less than the " + spec.minRemainingNanos / 1_000_000
              + " ms an attempt needs (minRemaining)");
          return;
        }
      }
      if (spec.budget != null && !spec.budget.tryWithdraw()) {
        giveUp("the retry budget is empty (" + spec.budget + ")");
        return;
      }
      parent.sleep(Duration.ofMillis(delayMillis)).onComplete(this);
    }

    /** The backoff ended: at its time (the next attempt starts), or early by the scope's cancellation. */
    @Override
    public void handle(AsyncResult<Void> slept) {
      if (slept.failed()) {
        promise.fail(slept.cause());
      } else {
        next();
      }
    }

    private void giveUp(String why) {
      String n = attempts == 1 ? "1 attempt" : attempts + " attempts";
      promise.fail(new TaskGroupException("'" + parent.scopeName() + "' gave up after " + n + ": " + why, errors));
    }
  }
}
