package dev.taskgroup.eventbus;

import java.time.Duration;
import java.util.Objects;

/**
 * How {@link ScopedEventBus#serve} bounds the work of each message: its deadline is the caller's
 * remaining time, never longer than {@link #setMaxTimeout the local maximum}.
 *
 * <pre>{@code
 * ScopedEventBus.serve(vertx, "prices", new ServeOptions().setMaxTimeout(Duration.ofSeconds(2)), handler);
 * }</pre>
 *
 * <p>Fluent setters in the Vert.x style; validated when set. Not thread-safe: configure, then pass
 * to {@code serve}, which copies it.
 */
public final class ServeOptions {
  /** The default local maximum: {@value} ms, the event bus's own default send timeout. */
  public static final long DEFAULT_MAX_TIMEOUT_MS = 30_000;

  /** The default interval between checks that each remote caller's node is still a member: {@value} ms. */
  public static final long DEFAULT_NODE_CHECK_INTERVAL_MS = 500;

  private Duration maxTimeout = Duration.ofMillis(DEFAULT_MAX_TIMEOUT_MS);
  private Duration nodeCheckInterval = Duration.ofMillis(DEFAULT_NODE_CHECK_INTERVAL_MS);

  /** Options with the defaults. */
  public ServeOptions() {}

  /** A copy of {@code other}. */
  public ServeOptions(ServeOptions other) {
    this.maxTimeout = other.maxTimeout;
    this.nodeCheckInterval = other.nodeCheckInterval;
  }

  /** {@return the longest a message's work may run, whatever the caller sent} */
  public Duration getMaxTimeout() {
    return maxTimeout;
  }

  /**
   * Sets the longest a message's work may run: the deadline is the caller's remaining time (the
   * {@code x-taskgroup-deadline-ms} header), never longer than this; a message without the header
   * (a plain Vert.x caller, or a malformed value) gets this one.
   *
   * @return this
   * @throws NullPointerException if {@code maxTimeout} is null
   * @throws IllegalArgumentException if it is not positive, or longer than
   *     {@link dev.taskgroup.http.DeadlineHeader#MAX_MILLIS}
   */
  public ServeOptions setMaxTimeout(Duration maxTimeout) {
    this.maxTimeout = positive(maxTimeout, "maxTimeout");
    return this;
  }

  /** {@return how often a node checks that the nodes of its remote callers are still members} */
  public Duration getNodeCheckInterval() {
    return nodeCheckInterval;
  }

  /**
   * Sets how often, while it serves callers on other nodes, the service checks that their nodes
   * are still cluster members; work for a caller whose node has left is cancelled at the next
   * check (so within the cluster manager's own detection time plus this interval).
   *
   * @return this
   * @throws NullPointerException if {@code interval} is null
   * @throws IllegalArgumentException if it is not positive, or longer than
   *     {@link dev.taskgroup.http.DeadlineHeader#MAX_MILLIS}
   */
  public ServeOptions setNodeCheckInterval(Duration interval) {
    this.nodeCheckInterval = positive(interval, "nodeCheckInterval");
    return this;
  }

  private static Duration positive(Duration d, String name) {
    Objects.requireNonNull(d, name);
    if (d.isNegative() || d.isZero()) {
      throw new IllegalArgumentException(name + " must be positive, got " + d);
    }
    if (d.compareTo(Duration.ofMillis(dev.taskgroup.http.DeadlineHeader.MAX_MILLIS)) > 0) {
      throw new IllegalArgumentException(name + " must be at most " + dev.taskgroup.http.DeadlineHeader.MAX_MILLIS
          + " ms, got " + d);
    }
    if (d.toMillis() == 0) {
      throw new IllegalArgumentException(name + " must be at least 1 ms, got " + d);
    }
    return d;
  }

  @Override
  public String toString() {
    return "ServeOptions{maxTimeout=" + maxTimeout + ", nodeCheckInterval=" + nodeCheckInterval + "}";
  }
}
