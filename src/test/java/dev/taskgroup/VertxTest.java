package dev.taskgroup;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import io.vertx.core.AsyncResult;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.eventbus.EventBusOptions;
import io.vertx.core.internal.VertxInternal;
import io.vertx.core.spi.cluster.ClusterManager;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CopyOnWriteArrayList;
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
  /**
   * Longer than any single event-loop turn a test makes, short enough to catch real blocking; on a
   * machine busier than its cores, times {@link #loadFactor()}.
   */
  static final long MAX_EVENT_LOOP_MILLIS = 400;
  /** Worker tasks in tests are short too: a stuck worker is a bug, not a slow test. */
  static final long MAX_WORKER_MILLIS = 2_000;
  /** How long a test waits for a future before it fails (times {@link #loadFactor()}, see there). */
  static final Duration PATIENCE = Duration.ofSeconds(10);

  /**
   * {@return how many runnable threads the machine has per core right now, at least 1} The health
   * limits above are wall-clock times: on a machine running other builds (a load average of 16 on
   * 2 cores was seen), a thread gets a fraction of a core, and a 10 ms turn or a garbage
   * collection stretches past 400 ms without the library blocking anything. Scaling the limits by
   * this factor keeps them exact on an idle machine (CI) and fair on a busy one; a real block, or a
   * real hang, still fails (it lasts whatever the limit).
   */
  public static double loadFactor() {
    double load = java.lang.management.ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
    return Math.max(1, load / Runtime.getRuntime().availableProcessors());
  }

  /** {@return {@code limit} scaled by the current {@link #loadFactor()}} */
  public static long scaled(long limit) {
    return (long) (limit * loadFactor());
  }

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
    return healthyVertx(events, null);
  }

  /** {@link #healthyVertx(List)} with {@code tracer} installed (Vert.x's tracing SPI), when not null. */
  static Vertx healthyVertx(List<String> events, io.vertx.core.spi.VertxTracerFactory tracer) {
    Vertx v = tracer == null ? Vertx.vertx(healthyOptions())
        : Vertx.builder().with(healthyOptions().setTracingOptions(new io.vertx.core.tracing.TracingOptions())).withTracer(tracer).build();
    return watched(v, events);
  }

  /**
   * {@return a clustered Vert.x with {@code manager} and {@code eventBus}, health-checked like
   * {@link #healthyVertx}, once it has joined} Its blocked-thread events go to {@code events}:
   * joining a cluster runs on worker threads for seconds, so callers check the event loops' only.
   */
  public static Future<Vertx> healthyClusteredVertx(ClusterManager manager, EventBusOptions eventBus, List<String> events) {
    return Vertx.builder().with(healthyOptions().setEventBusOptions(eventBus)).withClusterManager(manager)
        .buildClustered().map(v -> watched(v, events));
  }

  /**
   * Netty registers its buffer allocator's JFR event on the first allocation of the JVM, on whichever
   * event loop allocates first: hundreds of ms on a busy machine, reported as a blocked loop by
   * whichever test comes first. A test class that may be the first to do network I/O calls this
   * from its static initializer, so that it happens on the test thread. Idempotent.
   */
  public static void warmNettyAllocatorEvents() {
    try {
      Class.forName("io.netty.buffer.AllocateChunkEvent", true, VertxTest.class.getClassLoader());
    } catch (ClassNotFoundException | LinkageError absent) {
      // another Netty: nothing to warm
    }
  }

  private static VertxOptions healthyOptions() {
    return new VertxOptions()
        .setMaxEventLoopExecuteTime(scaled(MAX_EVENT_LOOP_MILLIS)).setMaxEventLoopExecuteTimeUnit(TimeUnit.MILLISECONDS)
        .setMaxWorkerExecuteTime(scaled(MAX_WORKER_MILLIS)).setMaxWorkerExecuteTimeUnit(TimeUnit.MILLISECONDS)
        .setBlockedThreadCheckInterval(50).setBlockedThreadCheckIntervalUnit(TimeUnit.MILLISECONDS);
  }

  /**
   * Reports each blocked-loop event to {@code events}, unless the collector's pauses inside it
   * explain it: a loop whose own time (the event's duration less the pauses in it) stayed within
   * the limit was stopped by the JVM, not blocked by code (see {@link GcPauses}); such an event is
   * printed to stderr only.
   */
  private static Vertx watched(Vertx v, List<String> events) {
    GcPauses.watch();
    ((VertxInternal) v).blockedThreadChecker().setThreadBlockedHandler(event -> {
      long ms = event.duration() / 1_000_000;
      long paused = GcPauses.pausedInTheLast(ms);
      String what = event.thread().getName() + " blocked for " + ms + " ms";
      if (ms - paused <= event.maxExecTime() / 1_000_000) {
        System.err.println(what + ", " + paused + " ms of it in garbage-collection pauses: not counted");
      } else {
        events.add(what + (paused > 0 ? " (" + paused + " ms of it in garbage-collection pauses)" : ""));
      }
    });
    return v;
  }

  @AfterEach
  void stopVertx() throws Exception {
    try {
      assertThat(blockedThreadEvents).as("blocked event-loop events").isEmpty();
    } finally {
      vertx.close().await(10, TimeUnit.SECONDS);
    }
  }

  /**
   * Waits on the test thread (never on an event loop) until {@code future} completes. {@return its
   * completion, holding the future's own result or cause} Through Vert.x's {@code Future.await},
   * not {@code CompletableFuture.get()}: on JDK 23+ {@code get()} replaces a cancellation with a
   * fresh {@code CancellationException("get")}, which would hide the library's reasons.
   */
  public static <T> AsyncResult<T> completion(Future<T> future, Duration patience) {
    try {
      // transformed so that only the wait itself can throw: a future failing with a
      // TimeoutException (a TaskTimeoutException is one) must not read as "did not complete"
      return future.<AsyncResult<T>>transform(Future::succeededFuture).await(patience.toMillis(), TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      throw new AssertionError("future did not complete within " + patience.toMillis() + " ms: " + future
          + "; " + diagnoseLate(future), e);
    }
  }

  /** How much longer a test waits, after its patience ran out, to tell a slow future from a hung one. */
  static final Duration GRACE = Duration.ofSeconds(20);

  /**
   * Dumps every thread (stacks, held locks) to stderr, then waits up to {@link #GRACE} more. {@return
   * whether the future completed late, and after how long} A test that times out fails either way;
   * this only makes a rare CI timeout diagnosable: a hang (nothing moves) and starvation (it
   * completes late on a loaded machine) read differently, with the threads as they were.
   */
  static String diagnoseLate(Future<?> future) {
    StringBuilder dump = new StringBuilder("==== threads when a future did not complete in time ====\n");
    for (java.lang.management.ThreadInfo t
        : java.lang.management.ManagementFactory.getThreadMXBean().dumpAllThreads(true, true)) {
      dump.append('"').append(t.getThreadName()).append("\" ").append(t.getThreadState());
      if (t.getLockName() != null) {
        dump.append(" on ").append(t.getLockName());
      }
      if (t.getLockOwnerName() != null) {
        dump.append(" owned by \"").append(t.getLockOwnerName()).append('"');
      }
      dump.append('\n');
      for (StackTraceElement frame : t.getStackTrace()) {
        dump.append("\tat ").append(frame).append('\n');
      }
      for (java.lang.management.MonitorInfo m : t.getLockedMonitors()) {
        dump.append("\t- locked ").append(m).append('\n');
      }
    }
    System.err.print(dump);
    long start = System.nanoTime();
    try {
      future.transform(ar -> Future.succeededFuture()).await(GRACE.toMillis(), TimeUnit.MILLISECONDS);
      return "it completed " + TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start) + " ms later (slow, not hung); threads on stderr";
    } catch (TimeoutException again) {
      return "still not complete " + GRACE.toMillis() + " ms later (hung); threads on stderr";
    }
  }

  /** {@link #completion(Future, Duration)} with the suite's patience, 10 s (scaled by the load). */
  protected static <T> AsyncResult<T> completion(Future<T> future) {
    return completion(future, Duration.ofMillis(scaled(PATIENCE.toMillis())));
  }

  /** Waits on the test thread (never on an event loop) for a success. */
  protected static <T> T await(Future<T> future) {
    AsyncResult<T> done = completion(future);
    if (done.failed()) {
      throw new AssertionError("expected success, got " + done.cause(), done.cause());
    }
    return done.result();
  }

  /**
   * Waits on the test thread for a success of a huge shape (a million tasks), for as long as
   * {@code progress} keeps moving. {@return the result} It fails only once a whole patience (10 s,
   * scaled by the load) passed with the future pending and {@code progress} unchanged: a million
   * tasks on a slow or busy machine may take longer than one patience, a hang makes no progress.
   */
  protected static <T> T awaitProgressing(Future<T> future, java.util.function.LongSupplier progress) {
    Future<AsyncResult<T>> done = future.transform(Future::succeededFuture);
    long seen = progress.getAsLong();
    while (true) {
      long patience = scaled(PATIENCE.toMillis());
      try {
        AsyncResult<T> result = done.await(patience, TimeUnit.MILLISECONDS);
        if (result.failed()) {
          throw new AssertionError("expected success, got " + result.cause(), result.cause());
        }
        return result.result();
      } catch (TimeoutException e) {
        long now = progress.getAsLong();
        if (now == seen) {
          throw new AssertionError("future made no progress within " + patience + " ms (at " + now + "): "
              + future + "; " + diagnoseLate(future), e);
        }
        seen = now;
      }
    }
  }

  /** Waits on the test thread for a failure and returns its cause, exactly as the future holds it. */
  protected static Throwable awaitFailure(Future<?> future) {
    AsyncResult<?> done = completion(future);
    if (done.succeeded()) {
      return fail("expected a failure, got success: " + done.result());
    }
    return done.cause();
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
