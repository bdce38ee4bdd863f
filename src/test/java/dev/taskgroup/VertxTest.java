package dev.taskgroup;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.internal.VertxInternal;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;

/**
 * Base of the tests that need a Vert.x: a fresh instance per test with a short maximum event-loop
 * execute time, and a check after each test that no event loop was ever reported blocked.
 *
 * <p>The blocked-thread listener is Vert.x internal API ({@code VertxInternal}): Vert.x only logs
 * these events otherwise, and a test needs to count them.
 */
public abstract class VertxTest {
  /** Longer than any single event-loop turn a test makes, short enough to catch real blocking. */
  static final long MAX_EVENT_LOOP_MILLIS = 400;
  /** Worker tasks in tests are short too: a stuck worker is a bug, not a slow test. */
  static final long MAX_WORKER_MILLIS = 2_000;

  protected Vertx vertx;
  protected final List<String> blockedThreadEvents = new CopyOnWriteArrayList<>();

  @BeforeEach
  void startVertx() {
    vertx = healthyVertx(blockedThreadEvents);
  }

  /**
   * {@return a Vert.x with a short maximum event-loop execute time whose blocked-thread events are
   * added to {@code events}} The one way tests create a Vert.x (jqwik properties too, which have no
   * {@code @BeforeEach}); {@code VertxHealthTest} fails the build if another appears.
   */
  static Vertx healthyVertx(List<String> events) {
    Vertx v = Vertx.vertx(new VertxOptions()
        .setMaxEventLoopExecuteTime(MAX_EVENT_LOOP_MILLIS).setMaxEventLoopExecuteTimeUnit(TimeUnit.MILLISECONDS)
        .setMaxWorkerExecuteTime(MAX_WORKER_MILLIS).setMaxWorkerExecuteTimeUnit(TimeUnit.MILLISECONDS)
        .setBlockedThreadCheckInterval(50).setBlockedThreadCheckIntervalUnit(TimeUnit.MILLISECONDS));
    ((VertxInternal) v).blockedThreadChecker().setThreadBlockedHandler(event ->
        events.add(event.thread().getName() + " blocked for " + event.duration() / 1_000_000 + " ms"));
    return v;
  }

  @AfterEach
  void stopVertx() throws Exception {
    try {
      assertThat(blockedThreadEvents).as("blocked event-loop events").isEmpty();
    } finally {
      vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }
  }

  /** Waits on the test thread (never on an event loop) for a success. */
  static <T> T await(Future<T> future) {
    try {
      return future.toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    } catch (CancellationException e) {
      throw new AssertionError("expected success, got " + e, e);
    } catch (ExecutionException e) {
      throw new AssertionError("expected success, got " + e.getCause(), e.getCause());
    } catch (InterruptedException | TimeoutException e) {
      throw new AssertionError("future did not complete within 10 s: " + future, e);
    }
  }

  /** Waits on the test thread for a failure and returns its cause. */
  static Throwable awaitFailure(Future<?> future) {
    try {
      Object value = future.toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
      return fail("expected a failure, got success: " + value);
    } catch (CancellationException e) { // CompletableFuture.get() throws these unwrapped
      return e;
    } catch (ExecutionException e) {
      return e.getCause();
    } catch (InterruptedException | TimeoutException e) {
      throw new AssertionError("future did not complete within 10 s: " + future, e);
    }
  }

  /** Runs {@code action} on {@code context} and returns the future it produces. */
  static <T> Future<T> on(Context context, Supplier<Future<T>> action) {
    Promise<T> promise = Promise.promise();
    context.runOnContext(v -> {
      try {
        action.get().onComplete(promise);
      } catch (Throwable e) {
        promise.fail(e);
      }
    });
    return promise.future();
  }

  /** Runs {@code action} on {@code context} and returns its value. */
  static <T> Future<T> call(Context context, Callable<T> action) {
    return on(context, () -> {
      try {
        return Future.succeededFuture(action.call());
      } catch (Exception e) {
        return Future.failedFuture(e);
      }
    });
  }

  /** {@return a group named "g", started on {@code context}, that stays open until {@code release} completes} */
  TaskGroup openGroup(Context context, Promise<Void> release) {
    Promise<TaskGroup> started = Promise.promise();
    on(context, () -> TaskGroup.run(vertx, new TaskGroupOptions().setName("g"), g -> {
      started.complete(g);
      return release.future();
    }));
    return await(started.future());
  }

  /** A task that runs until its scope is cancelled, then ends with the cancellation. */
  static <T> TaskFn<T> untilCancelled() {
    return scope -> {
      Promise<T> p = Promise.promise();
      scope.onCancel(p::fail);
      return p.future();
    };
  }

  /** A task that succeeds with {@code value} on a later turn of its context. */
  static <T> TaskFn<T> later(T value) {
    return scope -> {
      Promise<T> p = Promise.promise();
      scope.context().runOnContext(v -> p.complete(value));
      return p.future();
    };
  }

  /** A task that fails with {@code error} on a later turn of its context. */
  static <T> TaskFn<T> failingLater(Throwable error) {
    return scope -> {
      Promise<T> p = Promise.promise();
      scope.context().runOnContext(v -> p.fail(error));
      return p.future();
    };
  }
}
