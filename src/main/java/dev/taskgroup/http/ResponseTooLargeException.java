package dev.taskgroup.http;

/**
 * A response body grew past the limit set with {@link ScopedHttpClient#maxResponseBytes(int)}; the
 * request was reset the moment the limit was crossed, so no more of the body was read.
 */
public final class ResponseTooLargeException extends RuntimeException {
  private static final long serialVersionUID = 1L;
  private final int limit;

  /** A body over {@code limit} bytes; {@code declared} is the Content-Length, or -1 if it streamed past. */
  public ResponseTooLargeException(int limit, long declared) {
    super(declared >= 0
        ? "response body of " + declared + " bytes (Content-Length) exceeds the limit of " + limit + " bytes"
        : "response body exceeds the limit of " + limit + " bytes");
    this.limit = limit;
  }

  /** {@return the limit, in bytes} */
  public int limit() {
    return limit;
  }
}
