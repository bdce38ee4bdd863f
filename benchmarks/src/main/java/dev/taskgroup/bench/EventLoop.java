package dev.taskgroup.bench;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;

/**
 * One Vert.x instance with a single event loop, and the two things every benchmark needs from it:
 * the async task all variants share, and a way to run an operation on the loop and wait for it.
 *
 * <p>The measured operation starts on the event loop (one {@code runOnContext} hop) and ends when
 * its final future completes there; the benchmark thread spin-waits for that (it owns the other
 * core), so the time includes every task's completion, not just its scheduling, and the hand-off
 * costs the same for every variant. Rejected: {@code CompletableFuture.join()} (parks the thread,
 * adding a wake-up of tens of microseconds that would swamp N=10 and blur N=1000).
 */
public final class EventLoop implements AutoCloseable {
  public final Vertx vertx;
  public final Context context;

  public EventLoop() {
    vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(1).setWorkerPoolSize(1)
        .setInternalBlockingPoolSize(1).setBlockedThreadCheckInterval(1).setBlockedThreadCheckIntervalUnit(TimeUnit.HOURS));
    context = vertx.getOrCreateContext();
  }

  /**
   * The unit of async work every variant runs: a promise completed by a later event-loop turn
   * ({@code runOnContext}), like the reply of a fast I/O call. Call it on the event loop.
   */
  public Future<Integer> task(int i) {
    Promise<Integer> p = Promise.promise();
    context.runOnContext(v -> p.complete(i));
    return p.future();
  }

  /** Runs {@code op} on the event loop and {@return the value its future completed with} (rethrows a failure). */
  public <T> T await(Supplier<Future<T>> op) {
    CompletableFuture<T> done = new CompletableFuture<>();
    context.runOnContext(v -> {
      Future<T> f;
      try {
        f = op.get();
      } catch (Throwable e) {
        done.completeExceptionally(e);
        return;
      }
      f.onComplete(done::complete, done::completeExceptionally);
    });
    return spinJoin(done);
  }

  /** Spin-waits (no park) for {@code f}, then {@return its value}. */
  public static <T> T spinJoin(CompletableFuture<T> f) {
    while (!f.isDone()) {
      Thread.onSpinWait();
    }
    return f.join();
  }

  @Override
  public void close() {
    try {
      vertx.close().await(30, TimeUnit.SECONDS);
    } catch (TimeoutException e) {
      throw new IllegalStateException("Vert.x did not close within 30 s", e);
    }
  }
}
