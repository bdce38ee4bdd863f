package dev.taskgroup;

import java.util.concurrent.atomic.AtomicLong;

/**
 * A budget that keeps extra attempts (retries, hedges) below a share of the calls made: a token
 * bucket that every call fills by {@code ratio} tokens and every extra attempt drains by one, so a
 * failing or slow upstream sees at most {@code ratio} extra attempts per call, plus a burst of
 * {@code reserve}. Share one budget between the retried or hedged functions that call one
 * upstream.
 *
 * <pre>{@code
 * RetryBudget budget = new RetryBudget(0.1, 10); // at most 10% extra load, bursts of 10
 * TaskFn<Buffer> call = fetch.retried(new RetryOptions().setBudget(budget));
 * }</pre>
 *
 * <p>The bucket starts with {@code reserve} tokens and never holds more (nor less than one token's
 * room, so that calls can earn an extra attempt with a reserve of zero). It counts calls, not
 * time (Finagle's {@code RetryBudget} with no time-to-live; gRPC's retry throttling drains on
 * failures instead): so it needs no clock and its decisions are the same under any load.
 *
 * <p>Thread-safe: one budget may serve groups on every event loop; it is one atomic counter.
 */
public final class RetryBudget {
  private static final long SCALE = 1_000; // thousandths of a token: ratios down to 0.001

  private final double ratio;
  private final int reserve;
  private final long deposit;
  private final long capacity;
  private final AtomicLong balance; // thousandths of a token

  /**
   * @param ratio extra attempts allowed per call: 0 (none past the reserve), or from 0.001 to 1000
   * @param reserve tokens the bucket starts with and holds at most (at least one): a burst of
   *     extra attempts allowed at once
   * @throws IllegalArgumentException if {@code ratio} is negative, between 0 and 0.001, above 1000
   *     or not a number, or {@code reserve} is negative
   */
  public RetryBudget(double ratio, int reserve) {
    if (!(ratio >= 0 && ratio <= 1000)) {
      throw new IllegalArgumentException("ratio must be between 0 and 1000 extra attempts per call, got " + ratio);
    }
    if (ratio > 0 && ratio < 1.0 / SCALE) { // would round to a deposit of nothing: a budget that never refills
      throw new IllegalArgumentException("ratio must be 0 or at least 0.001 extra attempts per call (the budget counts"
          + " thousandths of a token), got " + ratio);
    }
    if (reserve < 0) {
      throw new IllegalArgumentException("reserve must not be negative, got " + reserve);
    }
    this.ratio = ratio;
    this.reserve = reserve;
    this.deposit = Math.round(ratio * SCALE);
    this.capacity = Math.max(reserve, 1) * SCALE; // at least one token: else calls could never earn a retry
    this.balance = new AtomicLong((long) reserve * SCALE);
  }

  /** A call was made: it earns {@code ratio} tokens, up to the capacity. */
  void deposit() {
    if (deposit == 0) {
      return;
    }
    long b;
    do {
      b = balance.get();
      if (b >= capacity) {
        return;
      }
    } while (!balance.compareAndSet(b, Math.min(capacity, b + deposit)));
  }

  /** {@return true if an extra attempt may run: a whole token was taken} */
  boolean tryWithdraw() {
    long b;
    do {
      b = balance.get();
      if (b < SCALE) {
        return false;
      }
    } while (!balance.compareAndSet(b, b - SCALE));
    return true;
  }

  /** {@return the tokens left now (whole and partial): how many extra attempts may start at once} */
  public double available() {
    return balance.get() / (double) SCALE;
  }

  @Override
  public String toString() {
    return "RetryBudget[ratio=" + ratio + ", reserve=" + reserve + ", available=" + available() + "]";
  }
}
