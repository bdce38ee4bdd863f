package dev.taskgroup.gateway;

/**
 * A failed upstream call: which upstream and why, as the reason a client sees in a 502's
 * {@code failures} or a partial 200's {@code errors}. No stack trace: the reason says it all and a
 * busy gateway makes many of these.
 */
final class UpstreamCallException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final String upstream;
  private final String reason;

  /**
   * @param upstream the upstream's name
   * @param reason {@code timeout}, {@code status:NNN}, {@code connect}, {@code invalid_json},
   *     {@code reset} or {@code error}
   * @param cause the underlying error, or null
   */
  UpstreamCallException(String upstream, String reason, Throwable cause) {
    super("upstream '" + upstream + "' failed: " + reason, cause, false, false);
    this.upstream = upstream;
    this.reason = reason;
  }

  /** {@return the upstream's name} */
  String upstream() {
    return upstream;
  }

  /** {@return the reason, as clients see it} */
  String reason() {
    return reason;
  }
}
