package dev.taskgroup;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Context;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.ThreadingModel;
import io.vertx.core.VerticleBase;
import io.vertx.core.Vertx;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * A group keeps its promises on every Vert.x threading model it works on today: the body, task
 * functions, hooks and listeners run with {@code Vertx.currentContext()} being the group's
 * context, and fail fast, timeouts and cancel behave as on an event loop. (Virtual-thread
 * contexts have tests of their own.)
 */
class ThreadingModelsTest extends VertxTest {

  /** Records {@code what} ran, and on which context if it was not {@code home}. */
  private static void ran(List<String> seen, Context home, String what) {
    Context current = Vertx.currentContext();
    seen.add(current == home ? what : what + " on " + current + ", not the group's context");
  }

  /** Where a worker verticle opens the group. */
  enum OpenedIn { START, HANDLER }

  /** A group opened on a worker context: that context (the group's), and the group's outcome. */
  record Opened<T>(Context context, Future<T> result) {}

  /**
   * Deploys a worker verticle ({@link ThreadingModel#WORKER}) that runs {@code open} on its
   * context: in {@code start()}, or in an event-bus handler. A handler runs on a duplicate of the
   * verticle's context (one per message, as Vert.x dispatches every message), and a group opened
   * there lives on that duplicate: {@code open} receives the current context, the group's.
   * {@return once {@code open} returned: that context and what {@code open} produced}
   */
  private <T> Opened<T> inWorkerVerticle(OpenedIn where, Function<Context, Future<T>> open) {
    String address = "open-" + UUID.randomUUID();
    Promise<Context> opened = Promise.promise();
    Promise<T> result = Promise.promise();
    await(vertx.deployVerticle(new VerticleBase() {
      @Override
      public Future<?> start() {
        if (where == OpenedIn.START) {
          run();
          return Future.succeededFuture();
        }
        return vertx.eventBus().consumer(address, message -> run()).completion();
      }

      private void run() {
        try {
          Context current = Vertx.currentContext();
          Future<T> f = open.apply(current);
          opened.complete(current);
          f.onComplete(result);
        } catch (Throwable e) {
          opened.fail(e);
        }
      }
    }, new DeploymentOptions().setThreadingModel(ThreadingModel.WORKER)));
    if (where == OpenedIn.HANDLER) {
      vertx.eventBus().send(address, "open");
    }
    Context context = await(opened.future());
    assertThat(context.isWorkerContext()).as("the group's context is a worker context").isTrue();
    return new Opened<>(context, result.future());
  }

  @Nested
  class WorkerVerticle {
    @ParameterizedTest
    @EnumSource(OpenedIn.class)
    void theBodyTaskFunctionsHooksAndListenersRunOnTheGroupsWorkerContext(OpenedIn where) {
      List<String> seen = new CopyOnWriteArrayList<>();
      Opened<Void> opened = inWorkerVerticle(where, home -> TaskGroup.run(vertx, g -> {
        ran(seen, home, "body");
        Task<String> a = g.spawn(s -> {
          ran(seen, home, "task function");
          return later("a").run(s);
        });
        Task<String> b = g.spawn(s -> {
          s.onCancel(c -> ran(seen, home, "hook"));
          return VertxTest.<String>untilCancelled().run(s);
        });
        return a.future().onComplete(ar -> {
          ran(seen, home, "task future listener");
          b.cancel();
        }).<Void>mapEmpty();
      }).onComplete(ar -> ran(seen, home, "group future listener")));
      await(opened.result());
      assertThat(seen).containsExactlyInAnyOrder("body", "task function", "hook", "task future listener", "group future listener");
    }

    @ParameterizedTest
    @EnumSource(OpenedIn.class)
    void aFailingTaskCancelsItsSiblingsAndFailsTheGroupWithItsError(OpenedIn where) {
      IOException boom = new IOException("boom");
      List<CancelReason> reasons = new CopyOnWriteArrayList<>();
      Opened<Void> opened = inWorkerVerticle(where, home -> TaskGroup.run(vertx, g -> {
        g.spawn(s -> {
          s.onCancel(c -> reasons.add(c.reason()));
          return VertxTest.<String>untilCancelled().run(s);
        });
        g.spawn(failingLater(boom));
        return Future.succeededFuture();
      }));
      TaskGroupException error = (TaskGroupException) awaitFailure(opened.result());
      assertThat(error.exceptions()).containsExactly(boom);
      assertThat(reasons).containsExactly(CancelReason.SIBLING_FAILED);
    }

    @ParameterizedTest
    @EnumSource(OpenedIn.class)
    void aTaskTimeoutCancelsTheWorkAndFailsTheGroupWithTaskTimeoutException(OpenedIn where) {
      ManualTimers clock = new ManualTimers();
      List<String> seen = new CopyOnWriteArrayList<>();
      Opened<Void> opened = inWorkerVerticle(where, home -> TaskGroup.run(vertx, clock.options(), g -> {
        g.spawn("slow", ((TaskFn<String>) s -> {
          s.onCancel(c -> ran(seen, home, "cancelled for " + c.reason()));
          return VertxTest.<String>untilCancelled().run(s);
        }).withTimeout(Duration.ofMillis(150)));
        return Future.succeededFuture();
      }));
      advance(opened.context(), clock, Duration.ofMillis(150));
      TaskGroupException error = (TaskGroupException) awaitFailure(opened.result());
      assertThat(error.exceptions()).singleElement().isInstanceOf(TaskTimeoutException.class);
      assertThat(seen).containsExactly("cancelled for DEADLINE");
    }

    @ParameterizedTest
    @EnumSource(OpenedIn.class)
    void theGroupDeadlineCancelsEverythingAndFailsWithTaskTimeoutException(OpenedIn where) {
      ManualTimers clock = new ManualTimers();
      Opened<Void> opened = inWorkerVerticle(where, home ->
          TaskGroup.run(vertx, clock.options().setTimeout(Duration.ofMillis(200)), g -> {
            g.spawn(VertxTest.<String>untilCancelled());
            return g.sleep(Duration.ofHours(1));
          }));
      advance(opened.context(), clock, Duration.ofMillis(200));
      TaskGroupException error = (TaskGroupException) awaitFailure(opened.result());
      assertThat(error.exceptions()).singleElement().isInstanceOf(TaskTimeoutException.class);
    }

    @ParameterizedTest
    @EnumSource(OpenedIn.class)
    void cancelFromAnotherThreadEndsTheGroupCleanly(OpenedIn where) {
      AtomicReference<TaskGroup> group = new AtomicReference<>();
      List<CancelReason> reasons = new CopyOnWriteArrayList<>();
      Opened<Void> opened = inWorkerVerticle(where, home -> TaskGroup.run(vertx, g -> {
        group.set(g);
        g.spawn(s -> {
          s.onCancel(c -> reasons.add(c.reason()));
          return VertxTest.<String>untilCancelled().run(s);
        });
        return Future.succeededFuture();
      }));
      group.get().cancel(); // from the test thread
      await(opened.result());
      assertThat(reasons).containsExactly(CancelReason.EXPLICIT);
    }

    @ParameterizedTest
    @EnumSource(OpenedIn.class)
    void workCompletedOnAnEventLoopHopsBackToTheGroupsWorkerContext(OpenedIn where) {
      Context eventLoop = vertx.getOrCreateContext();
      List<String> seen = new CopyOnWriteArrayList<>();
      Opened<Void> opened = inWorkerVerticle(where, home ->
          TaskGroup.run(vertx, new TaskGroupOptions().setMaxConcurrency(1), g -> {
            Task<String> first = g.spawn(s -> {
              Promise<String> p = Promise.promise(); // no context: listeners run where it completes
              eventLoop.runOnContext(v -> p.complete("from the event loop"));
              return p.future();
            });
            first.future().onComplete(ar -> ran(seen, home, "task future listener"));
            g.spawn(s -> { // queued: starts when the first settles, on the group's context
              ran(seen, home, "queued task function");
              return Future.succeededFuture("second");
            });
            return Future.succeededFuture();
          }));
      await(opened.result());
      assertThat(seen).containsExactlyInAnyOrder("task future listener", "queued task function");
    }
  }

  @Nested
  class ExecuteBlocking {
    @Test
    void aTaskWhoseWorkRunsInExecuteBlockingSettlesOnTheGroupsContext() {
      Context home = vertx.getOrCreateContext();
      List<String> seen = new CopyOnWriteArrayList<>();
      String result = await(on(home, () -> TaskGroup.run(vertx, g -> {
        Task<String> blocking = g.spawn(s -> s.vertx().executeBlocking(() -> "done in a worker"));
        blocking.future().onComplete(ar -> ran(seen, home, "task future listener"));
        return blocking.future();
      })));
      assertThat(result).isEqualTo("done in a worker");
      assertThat(seen).containsExactly("task future listener");
    }

    @Test
    void aGroupOpenedInsideExecuteBlockingRunsOnTheContextThatCodeRunsFor() {
      Context home = vertx.getOrCreateContext();
      List<String> seen = new CopyOnWriteArrayList<>();
      Future<Future<String>> opened = on(home, () -> home.executeBlocking(() -> TaskGroup.run(vertx, g -> {
        ran(seen, home, "body");
        return g.spawn(s -> {
          ran(seen, home, "task function");
          return later("x").run(s);
        }).future();
      })));
      Future<String> group = opened.compose(f -> f);
      assertThat(await(group)).isEqualTo("x");
      assertThat(seen).containsExactly("body", "task function");
    }

    @Test
    void aTaskOfAWorkerVerticleUsingExecuteBlockingSettlesOnTheGroupsWorkerContext() {
      List<String> seen = new CopyOnWriteArrayList<>();
      Opened<String> opened = inWorkerVerticle(OpenedIn.START, home -> TaskGroup.run(vertx, g -> {
        Task<String> blocking = g.spawn(s -> s.vertx().executeBlocking(() -> "done in a worker", false));
        blocking.future().onComplete(ar -> ran(seen, home, "task future listener"));
        return blocking.future();
      }));
      assertThat(await(opened.result())).isEqualTo("done in a worker");
      assertThat(seen).containsExactly("task future listener");
    }
  }

  /** Moves {@code clock} on {@code context}, where the group's timers fire. */
  private static void advance(Context context, ManualTimers clock, Duration by) {
    await(call(context, () -> {
      clock.advance(by);
      return null;
    }));
  }
}
