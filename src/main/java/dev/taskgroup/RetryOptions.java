package dev.taskgroup;

import java.time.Duration;
import java.util.Objects;
import java.util.Random;
import java.util.concurrent.CancellationException;
import java.util.function.Predicate;

/**
 * Options of {@link TaskFn#retried}: how many attempts, how long to back off between them, which
 * errors are worth another attempt, how much time must be left for one, and an optional shared
 * {@link RetryBudget}. Vert.x-style fluent setters; every setter checks its argument at once.
 *
 * <pre>{@code
 * RetryOptions options = new RetryOptions().setMaxAttempts(4)
 *     .setInitialDelay(Duration.ofMillis(50)).setMaxDelay(Duration.ofSeconds(1))
 *     .setRetryOn(e -> e instanceof IOException);
 * }</pre>
 *
 * <p>Backoff is exponential with full jitter (Brooker, "Exponential Backoff And Jitter", 2015):
 * before attempt {@code n + 1} the retry sleeps a uniformly random time in
 * {@code [0, min(maxDelay, initialDelay * multiplier^(n-1)))}, in whole milliseconds.
 *
 * <p>Not thread-safe; {@code retried} copies the options, so changing them afterwards changes
 * nothing for functions already made.
 */
public final class RetryOptions {
  /** The default predicate: every {@link Exception} but a {@link CancellationException}; no {@link Error}. */
  public static final Predicate<Throwable> EXCEPTIONS =
      e -> e instanceof Exception && !(e instanceof CancellationException);

  private int maxAttempts = 3;
  private Duration initialDelay = Duration.ofMillis(100);
  private Duration maxDelay = Duration.ofSeconds(10);
  private double multiplier = 2;
  private Predicate<? super Throwable> retryOn = EXCEPTIONS;
  private Duration minRemaining = Duration.ZERO;
  private RetryBudget budget;
  private Random random; // null: ThreadLocalRandom
  /**
   * The options as {@code retried} reads them, made once for all the functions retried with these
   * options (a function retried per call then costs two references, not a copy of every field);
   * every setter drops it. Written and read by whichever thread makes retried functions: a racy
   * read sees null or a complete policy (its fields are final).
   */
  private RetryFn.Policy policy;

  /**
   * Defaults: 3 attempts, 100 ms initial delay doubling up to 10 s, retry on every exception but a
   * cancellation, no minimum remaining time, no budget.
   */
  public RetryOptions() {}

  /** A copy of {@code other}. */
  public RetryOptions(RetryOptions other) {
    this.maxAttempts = other.maxAttempts;
    this.initialDelay = other.initialDelay;
    this.maxDelay = other.maxDelay;
    this.multiplier = other.multiplier;
    this.retryOn = other.retryOn;
    this.minRemaining = other.minRemaining;
    this.budget = other.budget;
    this.random = other.random;
  }

  /** {@return how many attempts at most, the first included} */
  public int getMaxAttempts() {
    return maxAttempts;
  }

  /**
   * Sets how many attempts run at most, the first included (1: no retry).
   *
   * @throws IllegalArgumentException if {@code maxAttempts < 1}
   */
  public RetryOptions setMaxAttempts(int maxAttempts) {
    if (maxAttempts < 1) {
      throw new IllegalArgumentException("maxAttempts must be at least 1, got " + maxAttempts);
    }
    this.maxAttempts = maxAttempts;
    policy = null;
    return this;
  }

  /** {@return the upper bound of the first backoff} */
  public Duration getInitialDelay() {
    return initialDelay;
  }

  /**
   * Sets the upper bound of the first backoff (zero: retry at once, every time).
   *
   * @throws NullPointerException if {@code initialDelay} is null
   * @throws IllegalArgumentException if it is negative
   */
  public RetryOptions setInitialDelay(Duration initialDelay) {
    this.initialDelay = Durations.requireNotNegative(initialDelay, "initialDelay");
    policy = null;
    return this;
  }

  /** {@return the largest upper bound a backoff grows to} */
  public Duration getMaxDelay() {
    return maxDelay;
  }

  /**
   * Sets the largest upper bound a backoff grows to; {@code retried} checks that it is not shorter
   * than the initial delay.
   *
   * @throws NullPointerException if {@code maxDelay} is null
   * @throws IllegalArgumentException if it is negative
   */
  public RetryOptions setMaxDelay(Duration maxDelay) {
    this.maxDelay = Durations.requireNotNegative(maxDelay, "maxDelay");
    policy = null;
    return this;
  }

  /** {@return how much the backoff's bound grows per attempt} */
  public double getMultiplier() {
    return multiplier;
  }

  /**
   * Sets how much the backoff's bound grows per attempt (1: constant).
   *
   * @throws IllegalArgumentException if {@code multiplier} is below 1, infinite or not a number
   */
  public RetryOptions setMultiplier(double multiplier) {
    if (!(multiplier >= 1 && multiplier < Double.POSITIVE_INFINITY)) {
      throw new IllegalArgumentException("multiplier must be a finite number of at least 1, got " + multiplier);
    }
    this.multiplier = multiplier;
    policy = null;
    return this;
  }

  /** {@return which errors are worth another attempt} */
  public Predicate<? super Throwable> getRetryOn() {
    return retryOn;
  }

  /**
   * Sets which errors are worth another attempt (default {@link #EXCEPTIONS}). It is never asked
   * about an attempt that ended because the calling scope was cancelled: that ends the retry.
   *
   * @throws NullPointerException if {@code retryOn} is null
   */
  public RetryOptions setRetryOn(Predicate<? super Throwable> retryOn) {
    this.retryOn = Objects.requireNonNull(retryOn, "retryOn");
    policy = null;
    return this;
  }

  /** {@return the time an attempt needs left before the deadline to be started} */
  public Duration getMinRemaining() {
    return minRemaining;
  }

  /**
   * Sets the time a retry needs left before the scope's nearest deadline, once its backoff has
   * passed, to be started at all; with less, the retry gives up at once, without sleeping. With
   * zero (the default) a retry is skipped only when its backoff would reach the deadline. The first
   * attempt always starts: the deadline bounds it.
   *
   * @throws NullPointerException if {@code minRemaining} is null
   * @throws IllegalArgumentException if it is negative
   */
  public RetryOptions setMinRemaining(Duration minRemaining) {
    this.minRemaining = Durations.requireNotNegative(minRemaining, "minRemaining");
    policy = null;
    return this;
  }

  /** {@return the shared budget retries draw on, or null for none} */
  public RetryBudget getBudget() {
    return budget;
  }

  /** Shares a budget: every call fills it, every retry takes a token, none runs when it is empty. Null removes it. */
  public RetryOptions setBudget(RetryBudget budget) {
    this.budget = budget;
    policy = null;
    return this;
  }

  /** {@return the source of jitter, or null for {@link java.util.concurrent.ThreadLocalRandom}} */
  public Random getRandom() {
    return random;
  }

  /**
   * Sets the source of jitter: a seeded {@link Random} makes the backoffs reproducible (tests). Null
   * (the default) means {@link java.util.concurrent.ThreadLocalRandom}. A {@code Random} shared by
   * several event loops is thread-safe but contended.
   */
  public RetryOptions setRandom(Random random) {
    this.random = random;
    policy = null;
    return this;
  }

  /** {@return the policy {@code retried} uses: made on first use after a change, then shared} */
  RetryFn.Policy policy() {
    RetryFn.Policy p = policy;
    if (p == null) {
      p = new RetryFn.Policy(this); // throws, and keeps nothing, for inconsistent options
      policy = p;
    }
    return p;
  }

  @Override
  public String toString() {
    return "RetryOptions[maxAttempts=" + maxAttempts + ", initialDelay=" + initialDelay + ", maxDelay=" + maxDelay
        + ", multiplier=" + multiplier + ", minRemaining=" + minRemaining + (budget != null ? ", " + budget : "") + "]";
  }
}
