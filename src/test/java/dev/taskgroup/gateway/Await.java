package dev.taskgroup.gateway;

import dev.taskgroup.VertxTest;
import io.vertx.core.AsyncResult;
import io.vertx.core.Future;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/** Waits on the test thread (never an event loop) for what the gateway and upstreams do. */
final class Await {
  /** How long a wait lasts before it fails: 10 s, scaled by the machine's load (see {@link VertxTest#loadFactor()}). */
  static final Duration PATIENCE = Duration.ofMillis(VertxTest.scaled(10_000));
  /**
   * The latest a timeout test accepts its cut, in ms: the wait's own patience. These tests check
   * that a connection is cut, and never before its timeout; how late a loaded machine runs the
   * timer is not theirs to bound (a 3 s bound failed at load averages of 5-8).
   */
  static final long WITHIN_MS = PATIENCE.toMillis();

  private Await() {}

  /** {@return the future's result} A failure fails the test with the future's own cause. */
  static <T> T result(Future<T> future) {
    AsyncResult<T> done = VertxTest.completion(future, PATIENCE);
    if (done.failed()) {
      throw new AssertionError("failed: " + done.cause(), done.cause());
    }
    return done.result();
  }

  /** For the test's own JDK futures (what a {@link TestUpstream} observed), which nothing cancels. */
  static <T> T result(CompletableFuture<T> future) {
    try {
      return future.get(PATIENCE.toMillis(), TimeUnit.MILLISECONDS);
    } catch (ExecutionException e) {
      throw new AssertionError("failed: " + e.getCause(), e.getCause());
    } catch (TimeoutException e) {
      throw new AssertionError("nothing happened within " + PATIENCE.toMillis() + " ms");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted", e);
    }
  }
}
