package dev.taskgroup;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;
import net.jqwik.api.statistics.Statistics;

/**
 * Nothing hangs silently, whatever the shape's depth: random deep shapes (chains of dependent tasks,
 * tasks spawning the next, nested groups, hook chains, nested timeouts, cancel of a deep tree) of
 * 33 to 3,000 links, far past the trampoline's inline depth and past the sizes that used to hang,
 * with a failure or a cancel at a random link. Invariants of every try: the group completes; with
 * exactly the injected error (or none); no task left running or queued; nothing reached the
 * context's exception handler (an Error swallowed by a dispatch would land there); no blocked
 * event loop.
 */
class DeepShapesProperties {
  private static final List<String> blockedThreadEvents = new CopyOnWriteArrayList<>();
  private static final List<Throwable> unhandled = new CopyOnWriteArrayList<>();
  private static Vertx vertx;
  private static Context context;

  @BeforeContainer
  static void startVertx() {
    vertx = VertxTest.healthyVertx(blockedThreadEvents);
    vertx.exceptionHandler(unhandled::add);
    context = vertx.getOrCreateContext();
  }

  @AfterContainer
  static void stopVertx() throws Exception {
    vertx.close().await(10, java.util.concurrent.TimeUnit.SECONDS);
  }

  enum Kind { CHAIN, SPAWN_CHAIN, NESTING, HOOK_CHAIN, NESTED_TIMEOUTS, CANCEL_TREE }

  /** A shape: its kind, its number of links, and the link that fails ({@code -1}: none). */
  record Shape(Kind kind, int links, int failAt) {}

  @Provide
  Arbitrary<Shape> shapes() {
    Arbitrary<Integer> links = Arbitraries.frequencyOf(
        net.jqwik.api.Tuple.of(3, Arbitraries.integers().between(33, 200)),
        net.jqwik.api.Tuple.of(1, Arbitraries.integers().between(200, 3_000)));
    return Combinators.combine(Arbitraries.of(Kind.class), links, Arbitraries.integers().between(-1, 1_000))
        .as((kind, n, f) -> new Shape(kind, n, f < 0 || f >= n ? -1 : f));
  }

  @Property
  void aGroupOfAnyDepthCompletesWithExactlyTheInjectedErrorAndLeavesNothingBehind(@ForAll("shapes") Shape shape) throws Exception {
    unhandled.clear();
    IOException injected = new IOException("link " + shape.failAt + " failed");
    AtomicReference<TaskGroup> top = new AtomicReference<>();
    Shapes built = new Shapes(shape, injected);
    Future<Object> result = VertxTest.await(VertxTest.call(context, () -> TaskGroup.run(vertx, built.clock.options(), g -> {
      top.set(g);
      return built.body(g);
    })));
    VertxTest.await(VertxTest.call(context, () -> {
      built.afterStart(top.get());
      return null;
    }));
    Throwable failure;
    try {
      failure = result.transform(ar -> Future.succeededFuture(ar.cause())).await(10, java.util.concurrent.TimeUnit.SECONDS);
    } catch (java.util.concurrent.TimeoutException e) {
      throw new AssertionError("the group of " + shape + " did not complete within 10 s: it hangs");
    }
    if (built.expectsInjected()) {
      assertThat(failure).as("%s", shape).isInstanceOf(TaskGroupException.class);
      assertThat(deepest((TaskGroupException) failure)).as("%s", shape).containsExactly(injected);
    } else {
      assertThat(failure).as("%s", shape).isNull();
    }
    GroupImpl<?> g = top.get().impl;
    assertThat(VertxTest.await(VertxTest.call(context, () -> g.running() + g.queued()))).as("left running or queued").isZero();
    assertThat(unhandled).as("errors that reached the context's exception handler in %s", shape).isEmpty();
    assertThat(blockedThreadEvents).as("blocked event-loop events").isEmpty();
    if (shape.kind == Kind.HOOK_CHAIN) {
      assertThat(built.hooks).as("hooks run in %s", shape).hasValue(shape.links);
    }
    Statistics.label("kind").collect(shape.kind);
    Statistics.label("outcome").collect(failure == null ? "success" : "failure");
  }

  /** {@return the errors of the innermost group, following single nested groups down} */
  static List<Throwable> deepest(TaskGroupException e) {
    TaskGroupException g = e;
    while (g.exceptions().size() == 1 && g.exceptions().get(0) instanceof TaskGroupException) {
      g = (TaskGroupException) g.exceptions().get(0);
    }
    return g.exceptions();
  }

  /** Builds one shape in a group; call everything on {@link #context}. */
  static final class Shapes {
    final Shape shape;
    final IOException injected;
    final ManualTimers clock = new ManualTimers();
    final Promise<Integer> head = Promise.promise();
    final AtomicInteger hooks = new AtomicInteger();
    final List<Task<Void>> tasks = new ArrayList<>();

    Shapes(Shape shape, IOException injected) {
      this.shape = shape;
      this.injected = injected;
    }

    boolean expectsInjected() {
      switch (shape.kind) {
        case CHAIN:
          return shape.failAt >= 1; // link 0 is the head
        case SPAWN_CHAIN:
        case NESTING:
          return shape.failAt >= 0;
        default:
          return false; // cancellations and timeouts: see afterStart
      }
    }

    @SuppressWarnings("unchecked")
    Future<Object> body(TaskGroup g) {
      switch (shape.kind) {
        case CHAIN: {
          Task<Integer> last = g.spawn(s -> head.future());
          for (int i = 1; i < shape.links; i++) {
            Task<Integer> before = last;
            int k = i;
            last = g.spawn(s -> before.future().map(v -> {
              if (k == shape.failAt) {
                throw new WrappedFailure(injected);
              }
              return v + 1;
            }).recover(e -> Future.failedFuture(e instanceof WrappedFailure ? e.getCause() : e)));
          }
          return (Future<Object>) (Future<?>) last.future().otherwise(-1);
        }
        case SPAWN_CHAIN: {
          AtomicInteger n = new AtomicInteger();
          g.spawn(new TaskFn<Integer>() {
            @Override
            public Future<Integer> run(TaskScope scope) {
              int k = n.getAndIncrement();
              if (k + 1 < shape.links) {
                g.spawn(this);
              }
              return k == shape.failAt ? Future.failedFuture(injected) : Future.succeededFuture(k);
            }
          });
          return Future.succeededFuture();
        }
        case NESTING:
          return (Future<Object>) (Future<?>) g.spawn(nestedLevel(0)).future();
        case HOOK_CHAIN:
          for (int i = 0; i < shape.links; i++) {
            int k = i;
            tasks.add(g.spawn(s -> {
              s.onCancel(c -> {
                hooks.incrementAndGet();
                if (k + 1 < shape.links) {
                  tasks.get(k + 1).cancel();
                }
              });
              return VertxTest.<Void>untilCancelled().run(s);
            }));
          }
          return Future.succeededFuture();
        case NESTED_TIMEOUTS: {
          TaskFn<String> fn = VertxTest.untilCancelled();
          for (int i = 0; i < shape.links; i++) {
            fn = fn.withTimeout(Duration.ofMillis(5 + i % 5), "fallback");
          }
          return (Future<Object>) (Future<?>) g.spawn(fn).future();
        }
        case CANCEL_TREE:
          g.spawn(nestedLevel(0));
          return Future.succeededFuture();
        default:
          throw new AssertionError(shape.kind);
      }
    }

    private TaskFn<Integer> nestedLevel(int level) {
      return scope -> {
        if (level + 1 == shape.links) {
          if (shape.kind == Kind.CANCEL_TREE) {
            return VertxTest.<Integer>untilCancelled().run(scope);
          }
          return shape.failAt >= 0 ? Future.failedFuture(injected) : Future.succeededFuture(level);
        }
        return TaskGroup.run(scope, inner -> inner.spawn(nestedLevel(level + 1)).future());
      };
    }

    /** Whatever starts the shape moving once it is built. */
    void afterStart(TaskGroup g) {
      switch (shape.kind) {
        case CHAIN:
          head.complete(0);
          break;
        case HOOK_CHAIN:
          tasks.get(0).cancel();
          break;
        case NESTED_TIMEOUTS:
          clock.advance(Duration.ofMillis(10));
          break;
        case CANCEL_TREE:
          g.cancel();
          break;
        default:
          break;
      }
    }
  }

  /** Carries an IOException out of a mapper (which may only throw unchecked). */
  static final class WrappedFailure extends RuntimeException {
    WrappedFailure(IOException cause) {
      super(cause);
    }
  }
}
