package dev.taskgroup;

import java.time.Duration;
import java.util.Objects;

/** Argument checks and conversions for durations, with one message per broken rule. */
final class Durations {
  private Durations() {}

  static Duration requirePositive(Duration d, String what) {
    Objects.requireNonNull(d, what);
    if (d.isNegative() || d.isZero()) {
      throw new IllegalArgumentException(what + " must be positive, got " + millis(d) + " (" + d + ")");
    }
    return d;
  }

  static Duration requireNotNegative(Duration d, String what) {
    Objects.requireNonNull(d, what);
    if (d.isNegative()) {
      throw new IllegalArgumentException(what + " must not be negative, got " + millis(d) + " (" + d + ")");
    }
    return d;
  }

  /**
   * {@return {@code d} as "N ms" for messages, never an overflow} {@link Duration#toMillis()}
   * throws {@link ArithmeticException} past about 292 million years; such a duration is written
   * as "more than 9223372036854775807 ms" (or "less than -9223372036854775808 ms").
   */
  static String millis(Duration d) {
    try {
      return d.toMillis() + " ms";
    } catch (ArithmeticException tooLong) {
      return (d.isNegative() ? "less than " + Long.MIN_VALUE : "more than " + Long.MAX_VALUE) + " ms";
    }
  }

  /** Milliseconds, saturated at {@link Long#MAX_VALUE} (and {@link Long#MIN_VALUE}). */
  static long toMillisSaturated(Duration d) {
    try {
      return d.toMillis();
    } catch (ArithmeticException tooLong) {
      return d.isNegative() ? Long.MIN_VALUE : Long.MAX_VALUE;
    }
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
