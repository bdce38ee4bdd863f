package dev.taskgroup.mutiny;

import io.smallrye.mutiny.Uni;
import io.smallrye.mutiny.subscription.UniEmitter;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/** What the Mutiny tests share: subscribing a Uni as a Future, and a Uni that records its life. */
final class Unis {
  private Unis() {}

  /**
   * Runs, on the calling test thread, the one-time initialisation that Netty's pooled buffers
   * trigger: each of its buffer events ({@code AllocateChunkEvent}, {@code AllocateBufferEvent},
   * ...) registers with JFR as its class initialises, and the first one initialises JFR's metadata
   * repository. That took over 400 ms on an event loop of a loaded 2-core machine, which the
   * health check reports as a blocked loop (a test run alone, before any other test has sent an
   * HTTP request). Harmless when done already, or with a Netty without these classes.
   */
  static void warmNettyBuffers() {
    for (String event : List.of("AllocateChunkEvent", "AllocateBufferEvent", "FreeBufferEvent", "FreeChunkEvent",
        "ReallocateBufferEvent", "ReturnChunkEvent")) {
      try {
        Class.forName("io.netty.buffer." + event, true, Unis.class.getClassLoader());
      } catch (ClassNotFoundException | LinkageError e) {
        // another Netty: nothing to warm
      }
    }
  }

  /** {@return the future of {@code uni}'s outcome} Subscribes on the calling thread. */
  static <T> Future<T> subscribed(Uni<T> uni) {
    Promise<T> p = Promise.promise();
    uni.subscribe().with(p::complete, p::fail);
    return p.future();
  }

  /** {@return the future of {@code uni}'s outcome} Subscribes on {@code context}. */
  static <T> Future<T> subscribedOn(Context context, Uni<T> uni) {
    return on(context, () -> subscribed(uni));
  }

  /** Runs {@code action} on {@code context}; {@return the future it produces} */
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

  /**
   * A source of Unis that records each subscription: how many were subscribed, how many are
   * still live (neither emitted nor cancelled), how many were cancelled, and the context current
   * where each cancel ran. {@link #hanging()} never emits by itself; {@link #emitters} lets a
   * test emit.
   */
  static final class Probe<T> {
    final AtomicInteger subscribed = new AtomicInteger();
    final AtomicInteger live = new AtomicInteger();
    final AtomicInteger cancelled = new AtomicInteger();
    final List<UniEmitter<? super T>> emitters = new CopyOnWriteArrayList<>();
    final List<Context> cancelledOn = new CopyOnWriteArrayList<>();
    private final java.util.Set<Object> completed = java.util.concurrent.ConcurrentHashMap.newKeySet();
    private final Promise<Void> firstCancel = Promise.promise();
    private final Promise<Void> firstSubscription = Promise.promise();

    /** {@return a Uni that never emits by itself and records its subscription and cancellation} */
    Uni<T> hanging() {
      return Uni.createFrom().emitter(em -> {
        subscribed.incrementAndGet();
        live.incrementAndGet();
        emitters.add(em);
        em.onTermination(() -> {
          live.decrementAndGet();
          if (!completed.contains(em)) {
            cancelled.incrementAndGet();
            cancelledOn.add(Vertx.currentContext());
            firstCancel.tryComplete();
            checkCancelled();
          }
        });
        firstSubscription.tryComplete();
      });
    }

    /** Emits {@code item} through the emitter of subscription {@code i} (not counted as a cancel). Any thread. */
    void complete(int i, T item) {
      UniEmitter<? super T> em = emitters.get(i);
      completed.add(em);
      em.complete(item);
    }

    /** {@return a future that completes once {@code n} subscriptions have been cancelled} One waiter at a time. */
    Future<Void> whenCancelled(int n) {
      Promise<Void> p = Promise.promise();
      cancelTarget = n;
      cancelWaiter = p;
      checkCancelled();
      return p.future();
    }

    private volatile int cancelTarget;
    private volatile Promise<Void> cancelWaiter;

    private void checkCancelled() {
      Promise<Void> p = cancelWaiter;
      if (p != null && cancelled.get() >= cancelTarget) {
        p.tryComplete();
      }
    }

    Future<Void> firstCancel() {
      return firstCancel.future();
    }

    Future<Void> firstSubscription() {
      return firstSubscription.future();
    }
  }

  /** {@return a Uni that emits {@code item} on a later turn of the context it is subscribed on} */
  static <T> Uni<T> later(T item) {
    return Uni.createFrom().emitter(em -> Vertx.currentContext().runOnContext(v -> em.complete(item)));
  }

  /** {@return a Uni that fails with {@code error} on a later turn of the context it is subscribed on} */
  static <T> Uni<T> failingLater(Throwable error) {
    return Uni.createFrom().emitter(em -> Vertx.currentContext().runOnContext(v -> em.fail(error)));
  }
}
