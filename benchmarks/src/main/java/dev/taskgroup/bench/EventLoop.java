package dev.taskgroup.bench;

import dev.taskgroup.TaskFn;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;

/**
 * One Vert.x instance with a single event loop, and the two things every benchmark needs from it:
 * the async task all variants share, and a way to run an operation on the loop and wait for it.
 *
 * <p>The measured operation starts on the event loop (one {@code runOnContext} hop) and ends when
 * its final future completes there; the benchmark thread waits for that, so the time includes
 * every task's completion, not just its scheduling, and the hand-off costs the same for every
 * variant. It spins for up to {@value #SPIN_NANOS} ns, then parks. Rejected: parking at once (a
 * wake-up of tens of microseconds would swamp N=10 and blur N=1000); spinning without end (on two
 * cores the spinner starves the event loop of the core it needs whenever anything else runs: GC,
 * the JIT, another process).
 */
public final class EventLoop implements AutoCloseable {
  public final Vertx vertx;
  public final Context context;

  public EventLoop() {
    vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(1).setWorkerPoolSize(1)
        .setInternalBlockingPoolSize(1).setBlockedThreadCheckInterval(1).setBlockedThreadCheckIntervalUnit(TimeUnit.HOURS));
    context = vertx.getOrCreateContext();
    vertx.exceptionHandler(e -> { // replaces Vert.x's logging of unhandled errors: keep the first, print it
      if (unhandled == null) {
        unhandled = e;
        System.err.println("unhandled error on the event loop (only the first is printed): " + e);
      }
    });
  }

  /** The first error that reached Vert.x's exception handler (an error no code handled), or null; written on the loop, read by the waiting thread. */
  private volatile Throwable unhandled;

  /**
   * The unit of async work every variant runs: a promise completed by a later event-loop turn
   * ({@code runOnContext}), like the reply of a fast I/O call. Call it on the event loop.
   */
  public Future<Integer> task(int i) {
    Promise<Integer> p = Promise.promise();
    context.runOnContext(v -> p.complete(i));
    return p.future();
  }

  /**
   * {@return {@code n} task functions, the i-th returning {@link #task(int) task(i)}} The fan-out's
   * task shape, built inside the measured operation by every benchmark that uses it (the caller's
   * lambda is part of what a user of the library pays).
   */
  public List<TaskFn<Integer>> taskFns(int n) {
    List<TaskFn<Integer>> fns = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      int k = i;
      fns.add(scope -> task(k));
    }
    return fns;
  }

  /**
   * {@return an iterator of {@code n} task functions, the i-th returning {@link #task(int) task(i)},
   * each made as it is pulled} {@code TaskGroup.forEach}'s input: a cursor that holds nothing ahead.
   */
  public Iterator<TaskFn<Integer>> taskIterator(int n) {
    return new Iterator<>() {
      private int next; // the group's context only

      @Override
      public boolean hasNext() {
        return next < n;
      }

      @Override
      public TaskFn<Integer> next() {
        int k = next++;
        return scope -> task(k);
      }
    };
  }

  /** Runs {@code op} on the event loop and {@return the value its future completed with} (rethrows a failure). */
  public <T> T await(Supplier<Future<T>> op) {
    return await(1, op);
  }

  /**
   * Runs {@code op} {@code reps} times in a row on the event loop (each starts when the previous
   * one has completed), all in one hop from the caller, and {@return the last value} (rethrows the
   * first failure). Batching small operations keeps the hand-off out of their time.
   */
  public <T> T await(int reps, Supplier<Future<T>> op) {
    CompletableFuture<T> done = new CompletableFuture<>();
    context.runOnContext(v -> chain(reps, op, done));
    return spinJoin(done);
  }

  /**
   * Like {@link #await(int, Supplier)}, but gives up after {@code timeout}: {@return the last value},
   * or, when the operations have not completed by then (a future that never completes, e.g. after
   * an error the code under test swallowed), closes this event loop and throws
   * {@link IllegalStateException} naming the timeout and the first unhandled error, if any reached
   * Vert.x. The benchmark then fails loudly instead of hanging, and its fork can exit (JMH skips the
   * trial's teardown after a failure, and the loop's thread would keep the JVM alive).
   */
  public <T> T await(int reps, Supplier<Future<T>> op, Duration timeout) {
    CompletableFuture<T> done = new CompletableFuture<>();
    context.runOnContext(v -> chain(reps, op, done));
    try {
      return spinJoin(done, timeout);
    } catch (IllegalStateException e) {
      Throwable seen = unhandled;
      IllegalStateException failure = new IllegalStateException(e.getMessage() + "; "
          + (seen == null ? "no error reached Vert.x's exception handler (swallowed on the way?)"
              : "first unhandled error on the loop: " + seen), seen);
      try {
        close();
      } catch (RuntimeException closing) {
        failure.addSuppressed(closing);
      }
      throw failure;
    }
  }

  private static <T> void chain(int reps, Supplier<Future<T>> op, CompletableFuture<T> done) {
    for (int left = reps; left > 0; left--) {
      Future<T> f;
      try {
        f = op.get();
      } catch (Throwable e) {
        done.completeExceptionally(e);
        return;
      }
      if (!f.isComplete()) { // the usual case: continue when it completes (iterative otherwise)
        int rest = left - 1;
        f.onComplete((value, error) -> {
          if (error != null) {
            done.completeExceptionally(error);
          } else if (rest == 0) {
            done.complete(value);
          } else {
            chain(rest, op, done);
          }
        });
        return;
      }
      if (f.failed()) {
        done.completeExceptionally(f.cause());
        return;
      }
      if (left == 1) {
        done.complete(f.result());
      }
    }
  }

  /** How long {@link #spinJoin} spins before it parks. */
  static final long SPIN_NANOS = 200_000;

  /** Waits for {@code f}, spinning first then parking, and {@return its value} (rethrows a failure). */
  public static <T> T spinJoin(CompletableFuture<T> f) {
    long until = System.nanoTime() + SPIN_NANOS;
    while (!f.isDone() && System.nanoTime() - until < 0) {
      Thread.onSpinWait();
    }
    return f.join();
  }

  /**
   * Waits for {@code f} like {@link #spinJoin(CompletableFuture)}, at most {@code timeout}, and
   * {@return its value} (rethrows a failure as a {@link java.util.concurrent.CompletionException});
   * throws {@link IllegalStateException} when it has not completed in time.
   */
  public static <T> T spinJoin(CompletableFuture<T> f, Duration timeout) {
    long start = System.nanoTime();
    long until = start + SPIN_NANOS;
    while (!f.isDone() && System.nanoTime() - until < 0) {
      Thread.onSpinWait();
    }
    try {
      return f.get(Math.max(0, timeout.toNanos() - (System.nanoTime() - start)), TimeUnit.NANOSECONDS);
    } catch (TimeoutException e) {
      throw new IllegalStateException("not completed within " + timeout.toMillis() + " ms: the future never completes");
    } catch (ExecutionException e) {
      return f.join(); // completed exceptionally: join rethrows it as CompletionException, as spinJoin does
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while waiting", e);
    }
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
