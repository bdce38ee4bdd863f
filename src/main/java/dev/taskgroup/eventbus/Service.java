package dev.taskgroup.eventbus;

import io.vertx.core.Future;

/**
 * A registered {@link ScopedEventBus#serve service}: it answers its address until closed, or until
 * the verticle that registered it is undeployed.
 *
 * <pre>{@code
 * Service prices = ScopedEventBus.serve(vertx, "prices", handler).await();
 * ...
 * prices.close(); // work in flight is cancelled and answered FAILURE_UNAVAILABLE
 * }</pre>
 *
 * <p>Thread safety: every method may be called from any thread; {@link #inFlight()} is exact on
 * the service's context and a snapshot elsewhere.
 */
public interface Service {
  /** {@return the address served} */
  String address();

  /** {@return how many messages are being worked on} */
  int inFlight();

  /**
   * Unregisters the address and its control address, and cancels the work in flight (each answered
   * with {@link ScopedEventBus#FAILURE_UNAVAILABLE}). Idempotent.
   *
   * @return a future that completes once both addresses are unregistered
   */
  Future<Void> close();
}
