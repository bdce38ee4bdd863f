package dev.taskgroup;

import java.time.Duration;
import java.util.Objects;
import java.util.function.Predicate;

/**
 * Options of {@link TaskFn#hedged}: how many attempts at most, how long to wait before the next
 * one (fixed, or adaptive: a percentile of the hedge's own recent latencies, clamped), which
 * failures start the next attempt at once, and an optional shared {@link RetryBudget} for the
 * extra attempts. Vert.x-style fluent setters; every setter checks its argument at once.
 *
 * <pre>{@code
 * HedgeOptions options = new HedgeOptions().setMaxAttempts(2)
 *     .setAdaptiveDelay(95, Duration.ofMillis(10), Duration.ofMillis(200))  // hedge past the p95
 *     .setBudget(new RetryBudget(0.05, 10));                                 // at most 5% more calls
 * }</pre>
 *
 * <p>Not thread-safe; {@code hedged} copies the options, so changing them afterwards changes
 * nothing for functions already made.
 */
public final class HedgeOptions {
  private int maxAttempts = 2;
  private Duration delay = Duration.ofMillis(100);
  private double percentile; // 0: the delay is fixed
  private Duration minDelay;
  private Duration maxDelay;
  private Predicate<? super Throwable> handledOn = RetryOptions.EXCEPTIONS;
  private RetryBudget budget;
  /**
   * The options as {@code hedged} reads them, made once for all the functions hedged with these
   * options; every setter drops it. Written and read by whichever thread makes hedged functions: a
   * racy read sees null or a complete policy (its fields are final).
   */
  private HedgeFn.Policy policy;

  /** Defaults: 2 attempts, a fixed delay of 100 ms, every exception but a cancellation handled, no budget. */
  public HedgeOptions() {}

  /** A copy of {@code other}. */
  public HedgeOptions(HedgeOptions other) {
    this.maxAttempts = other.maxAttempts;
    this.delay = other.delay;
    this.percentile = other.percentile;
    this.minDelay = other.minDelay;
    this.maxDelay = other.maxDelay;
    this.handledOn = other.handledOn;
    this.budget = other.budget;
  }

  /** {@return how many attempts run at most, the first included} */
  public int getMaxAttempts() {
    return maxAttempts;
  }

  /**
   * Sets how many attempts run at most, the first included (1: no hedging).
   *
   * @throws IllegalArgumentException if {@code maxAttempts < 1}
   */
  public HedgeOptions setMaxAttempts(int maxAttempts) {
    if (maxAttempts < 1) {
      throw new IllegalArgumentException("maxAttempts must be at least 1, got " + maxAttempts);
    }
    this.maxAttempts = maxAttempts;
    policy = null;
    return this;
  }

  /** {@return the fixed delay before each further attempt (when no adaptive delay is set)} */
  public Duration getDelay() {
    return delay;
  }

  /**
   * Sets a fixed delay before each further attempt, measured from the start of the previous one
   * (zero: every attempt at once), and turns an adaptive delay off.
   *
   * @throws NullPointerException if {@code delay} is null
   * @throws IllegalArgumentException if it is negative
   */
  public HedgeOptions setDelay(Duration delay) {
    this.delay = Durations.requireNotNegative(delay, "delay");
    this.percentile = 0;
    this.minDelay = null;
    this.maxDelay = null;
    policy = null;
    return this;
  }

  /** {@return the percentile of an adaptive delay, or 0 when the delay is fixed} */
  public double getPercentile() {
    return percentile;
  }

  /** {@return the least adaptive delay, or null when the delay is fixed} */
  public Duration getMinDelay() {
    return minDelay;
  }

  /** {@return the largest adaptive delay, or null when the delay is fixed} */
  public Duration getMaxDelay() {
    return maxDelay;
  }

  /**
   * Makes the delay adaptive (Finagle's {@code BackupRequestFilter}, "The Tail at Scale"): the
   * {@code percentile} of the latencies of this hedged function's last
   * {@value HedgeFn#WINDOW} winning attempts, clamped to {@code [min, max]}; {@code max} until
   * {@value HedgeFn#MIN_SAMPLES} latencies are known.
   *
   * @throws NullPointerException if {@code min} or {@code max} is null
   * @throws IllegalArgumentException if {@code percentile} is not above 0 and at most 100, if
   *     {@code min} or {@code max} is negative, or if {@code max} is shorter than {@code min}
   */
  public HedgeOptions setAdaptiveDelay(double percentile, Duration min, Duration max) {
    if (!(percentile > 0 && percentile <= 100)) {
      throw new IllegalArgumentException("percentile must be above 0 and at most 100, got " + percentile);
    }
    Durations.requireNotNegative(min, "min");
    Durations.requireNotNegative(max, "max");
    if (max.compareTo(min) < 0) {
      throw new IllegalArgumentException("max (" + Durations.millis(max) + ") must not be shorter than min ("
          + Durations.millis(min) + ")");
    }
    this.percentile = percentile;
    this.minDelay = min;
    this.maxDelay = max;
    policy = null;
    return this;
  }

  /** {@return which failures start the next attempt at once} */
  public Predicate<? super Throwable> getHandledOn() {
    return handledOn;
  }

  /**
   * Sets which failures of an attempt start the next one at once (default
   * {@link RetryOptions#EXCEPTIONS}); any other failure ends the hedge with it, the other attempts
   * cancelled.
   *
   * @throws NullPointerException if {@code handledOn} is null
   */
  public HedgeOptions setHandledOn(Predicate<? super Throwable> handledOn) {
    this.handledOn = Objects.requireNonNull(handledOn, "handledOn");
    policy = null;
    return this;
  }

  /** {@return the shared budget extra attempts draw on, or null for none} */
  public RetryBudget getBudget() {
    return budget;
  }

  /** Shares a budget: every call fills it, every extra attempt takes a token, none starts when it is empty. Null removes it. */
  public HedgeOptions setBudget(RetryBudget budget) {
    this.budget = budget;
    policy = null;
    return this;
  }

  /** {@return the policy {@code hedged} uses: made on first use after a change, then shared} */
  HedgeFn.Policy policy() {
    HedgeFn.Policy p = policy;
    if (p == null) {
      p = new HedgeFn.Policy(this);
      policy = p;
    }
    return p;
  }

  @Override
  public String toString() {
    return "HedgeOptions[maxAttempts=" + maxAttempts + ", delay="
        + (percentile > 0 ? "p" + percentile + " in [" + minDelay + ", " + maxDelay + "]" : delay)
        + (budget != null ? ", " + budget : "") + "]";
  }
}
