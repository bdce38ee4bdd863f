package dev.taskgroup.http;

import io.vertx.core.MultiMap;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * The opt-in header that carries a caller's remaining time to an upstream, in whole milliseconds,
 * so an upstream built on this library can adopt it as its own group deadline (what gRPC does with
 * {@code grpc-timeout}; plain HTTP stacks have nothing).
 *
 * <pre>{@code
 * // caller
 * ScopedHttpClient http = ScopedHttpClient.wrap(client).propagateDeadline(true);
 * // upstream
 * TaskGroupOptions options = new TaskGroupOptions();
 * DeadlineHeader.read(request).ifPresent(options::setTimeout);
 * }</pre>
 *
 * <p>The value is a relative time, not a wall-clock instant, so it needs no clock agreement
 * between hosts; it ignores the network time of the request itself, which errs on the safe side
 * only when the upstream subtracts its own margin. Stateless and thread-safe.
 */
public final class DeadlineHeader {
  /** The header name: {@value}. Its value is a non-negative integer of milliseconds. */
  public static final String NAME = "x-taskgroup-deadline-ms";
  /** {@link #NAME} as Vert.x's optimized header name, written on every scoped call that propagates its deadline. */
  private static final CharSequence OPTIMIZED_NAME = HttpHeaders.createOptimized(NAME);

  /**
   * The largest value {@link #write} sends: {@value} ms (eleven digits, about 3.2 years). A longer
   * remaining time is capped to it, as gRPC caps {@code grpc-timeout} (at most eight digits of its
   * unit): no request outlives it, the header stays short, and every value parses as a
   * {@code long} on the other side. Capping down errs on the safe side (the upstream believes it
   * has less time, never more).
   */
  public static final long MAX_MILLIS = 99_999_999_999L;
  private static final Duration MAX = Duration.ofMillis(MAX_MILLIS); // made once: millis() runs per call

  private DeadlineHeader() {}

  /**
   * {@return the remaining time the caller sent, or empty when the header is absent} A value that
   * is not a plain non-negative decimal integer (malformed, negative, fractional, or too large for
   * a {@code long}) is ignored and also gives empty: a bad header never fails the request, it just
   * carries no deadline. When the header repeats, the first value counts. Zero is kept: the caller
   * has no time left, and the upstream should answer at once (a zero timeout is not legal for
   * {@code TaskGroupOptions.setTimeout}, so check {@code isZero()} first).
   *
   * @throws NullPointerException if {@code request} is null
   */
  public static Optional<Duration> read(HttpServerRequest request) {
    Objects.requireNonNull(request, "request");
    return parse(request.getHeader(NAME));
  }

  /**
   * {@return the remaining time in {@code headers} (an event-bus message's, say), per the rules of
   * {@link #read(HttpServerRequest)}} The event-bus helpers ({@code dev.taskgroup.eventbus}) carry
   * the same header with the same format, so one parser serves both.
   *
   * @throws NullPointerException if {@code headers} is null
   */
  public static Optional<Duration> read(MultiMap headers) {
    Objects.requireNonNull(headers, "headers");
    return parse(headers.get(NAME));
  }

  /** {@return the parsed header value (null for an absent header), per the rules of {@link #read(HttpServerRequest)}} */
  public static Optional<Duration> parse(String value) {
    if (value == null) {
      return Optional.empty();
    }
    String v = value.trim();
    if (v.isEmpty() || v.length() > 18) { // 18 digits always fit in a long, and are 31 million years
      return Optional.empty();
    }
    for (int i = 0; i < v.length(); i++) {
      char c = v.charAt(i);
      if (c < '0' || c > '9') {
        return Optional.empty();
      }
    }
    return Optional.of(Duration.ofMillis(Long.parseLong(v)));
  }

  /**
   * Sets the header to {@code remaining} ({@link #format}), replacing any value already there.
   *
   * @throws NullPointerException if an argument is null
   * @throws IllegalArgumentException if {@code remaining} is negative
   */
  public static void write(MultiMap headers, Duration remaining) {
    Objects.requireNonNull(headers, "headers");
    headers.set(OPTIMIZED_NAME, format(remaining));
  }

  /**
   * {@return the header value for {@code remaining}: whole milliseconds, rounded down (an upstream
   * must not believe it has more time than the caller) and capped at {@link #MAX_MILLIS}} Any
   * non-negative duration works, however long.
   *
   * @throws NullPointerException if {@code remaining} is null
   * @throws IllegalArgumentException if {@code remaining} is negative
   */
  public static String format(Duration remaining) {
    Objects.requireNonNull(remaining, "remaining");
    if (remaining.isNegative()) {
      throw new IllegalArgumentException("remaining must not be negative, got " + remaining);
    }
    return Long.toString(millis(remaining));
  }

  /**
   * {@return the header's value for a non-negative {@code remaining}, as a number: whole
   * milliseconds, rounded down, capped at {@link #MAX_MILLIS}} What {@link #format} writes; the
   * event bus's local fast path carries the number itself.
   */
  public static long millis(Duration remaining) {
    return remaining.compareTo(MAX) >= 0 ? MAX_MILLIS : remaining.toMillis();
  }
}
