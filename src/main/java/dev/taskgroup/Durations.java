package dev.taskgroup;

import java.time.Duration;
import java.util.Objects;

/** Argument checks and conversions for durations, with one message per broken rule. */
final class Durations {
  private Durations() {}

  static Duration requirePositive(Duration d, String what) {
    Objects.requireNonNull(d, what);
    if (d.isNegative() || d.isZero()) {
      throw new IllegalArgumentException(what + " must be positive, got " + d.toMillis() + " ms (" + d + ")");
    }
    return d;
  }

  static Duration requireNotNegative(Duration d, String what) {
    Objects.requireNonNull(d, what);
    if (d.isNegative()) {
      throw new IllegalArgumentException(what + " must not be negative, got " + d.toMillis() + " ms (" + d + ")");
    }
    return d;
  }

  /** Nanoseconds, saturated: a duration of centuries is "practically never", not an overflow. */
  static long toNanos(Duration d) {
    try {
      return d.toNanos();
    } catch (ArithmeticException tooLong) {
      return Long.MAX_VALUE / 4;
    }
  }
}
