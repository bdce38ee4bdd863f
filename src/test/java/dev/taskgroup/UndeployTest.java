package dev.taskgroup;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Context;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.ThreadingModel;
import io.vertx.core.VerticleBase;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/**
 * A verticle's groups end with the verticle (issue 10, item 3): undeploying it (or closing Vert.x)
 * cancels them with {@link CancelReason#UNDEPLOYED}, and the undeploy completes only after they
 * have settled, or after {@link OwnerClose#GRACE} when a task ignores its cancellation.
 */
class UndeployTest extends VertxTest {
  private final List<String> events = new CopyOnWriteArrayList<>();

  /** A verticle whose start opens a group with {@code body} (its future kept in {@code group}). */
  private VerticleBase opening(TaskGroupOptions options, AtomicReference<Future<Void>> group, Function<TaskGroup, Future<Void>> body) {
    return new VerticleBase() {
      @Override
      public Future<?> start() {
        group.set(TaskGroup.run(vertx, options, body).andThen(ar -> events.add("group settled")));
        return Future.succeededFuture();
      }
    };
  }

  /** A task that waits for its cancellation, records its reason, and settles a turn later. */
  private TaskFn<Void> recordingCancellation() {
    return scope -> {
      Promise<Void> p = Promise.promise();
      scope.onCancel(c -> {
        events.add("cancelled: " + c.reason());
        scope.context().runOnContext(v -> p.fail(c));
      });
      return p.future();
    };
  }

  @Test
  void undeployingAVerticleCancelsTheGroupItOpenedAndWaitsForItToSettle() {
    AtomicReference<Future<Void>> group = new AtomicReference<>();
    String id = await(vertx.deployVerticle(opening(new TaskGroupOptions(), group, g -> {
      g.spawn(recordingCancellation());
      return Future.succeededFuture();
    })));
    await(vertx.undeploy(id).andThen(ar -> events.add("undeployed")));
    assertThat(events).containsExactly("cancelled: UNDEPLOYED", "group settled", "undeployed");
    Throwable failure = awaitFailure(group.get());
    assertThat(failure).isInstanceOf(TaskCancelledException.class);
    assertThat(((TaskCancelledException) failure).reason()).isEqualTo(CancelReason.UNDEPLOYED);
  }

  @Test
  void aGroupOpenedByAHandlerOfTheVerticleIsCancelledToo() {
    Promise<Future<Void>> opened = Promise.promise();
    String id = await(vertx.deployVerticle(new VerticleBase() {
      @Override
      public Future<?> start() {
        vertx.setTimer(1, t -> opened.complete(TaskGroup.run(vertx, g -> {
          g.spawn(recordingCancellation());
          return Future.succeededFuture();
        })));
        return Future.succeededFuture();
      }
    }));
    Future<Void> group = await(opened.future());
    await(vertx.undeploy(id));
    assertThat(events).containsExactly("cancelled: UNDEPLOYED");
    assertThat(group.failed()).isTrue();
  }

  @Test
  void aNestedGroupIsCancelledThroughItsEnclosingGroup() {
    AtomicReference<Future<Void>> group = new AtomicReference<>();
    String id = await(vertx.deployVerticle(opening(new TaskGroupOptions(), group, g -> {
      g.spawn(scope -> TaskGroup.run(scope, inner -> {
        inner.spawn(recordingCancellation());
        return Future.succeededFuture();
      }));
      return Future.succeededFuture();
    })));
    await(vertx.undeploy(id));
    assertThat(events).containsExactly("cancelled: PARENT_CANCELLED", "group settled");
  }

  @Test
  void aGroupOfAWorkerVerticleIsCancelledOnUndeploy() {
    AtomicReference<Future<Void>> group = new AtomicReference<>();
    String id = await(vertx.deployVerticle(opening(new TaskGroupOptions(), group, g -> {
      g.spawn(recordingCancellation());
      return Future.succeededFuture();
    }), new DeploymentOptions().setThreadingModel(ThreadingModel.WORKER)));
    await(vertx.undeploy(id));
    assertThat(events).containsExactly("cancelled: UNDEPLOYED", "group settled");
  }

  @Test
  void aTaskThatIgnoresItsCancellationHoldsTheUndeployOnlyForTheGraceAndIsReported() {
    ManualTimers clock = new ManualTimers();
    AtomicReference<Future<Void>> group = new AtomicReference<>();
    List<Throwable> reported = new CopyOnWriteArrayList<>();
    Promise<Void> ignoring = Promise.promise();
    AtomicReference<Context> context = new AtomicReference<>();
    String id = await(vertx.deployVerticle(opening(clock.options().setName("stubborn"), group, g -> {
      context.set(Vertx.currentContext());
      Vertx.currentContext().exceptionHandler(reported::add);
      g.spawn(s -> ignoring.future()); // never looks at its scope
      return Future.succeededFuture();
    })));
    Future<Void> undeploy = vertx.undeploy(id);
    for (int turns = 0; turns < 100_000 && clock.pending() == 0; turns++) {
      await(call(context.get(), () -> null)); // until the undeploy has reached the group and armed its grace
    }
    await(call(context.get(), () -> {
      clock.advance(OwnerClose.GRACE.minusMillis(1));
      return null;
    }));
    assertThat(undeploy.isComplete()).as("undeploy before the grace ran out").isFalse();
    await(call(context.get(), () -> {
      clock.advance(Duration.ofMillis(1));
      return null;
    }));
    await(undeploy);
    assertThat(reported).singleElement().asString()
        .contains("task group 'stubborn' did not settle within 10000 ms", "1 task(s) still ignore their cancellation");
    assertThat(group.get().isComplete()).isFalse();
    context.get().runOnContext(v -> ignoring.complete());
    assertThat(awaitFailure(group.get())).isInstanceOf(TaskCancelledException.class);
  }

  @Test
  void closingVertxCancelsTheGroupsOfItsVerticlesAndWaitsForThem() throws Exception {
    Vertx own = healthyVertx(blockedThreadEvents);
    AtomicReference<Future<Void>> group = new AtomicReference<>();
    await(own.deployVerticle(opening(new TaskGroupOptions(), group, g -> {
      g.spawn(recordingCancellation());
      return Future.succeededFuture();
    })));
    own.close().await(10, TimeUnit.SECONDS);
    assertThat(events).containsExactly("cancelled: UNDEPLOYED", "group settled");
  }

  @Test
  void aGroupOutsideAnyVerticleTakesNoCloseHook() {
    Context context = vertx.getOrCreateContext();
    await(on(context, () -> TaskGroup.all(vertx, List.of(later(1)))));
    Object registry = await(call(context, () -> context.get(OwnerClose.class)));
    assertThat(registry).isNull();
  }

  @Test
  void groupsThatCompletedLeaveTheirVerticlesList() {
    AtomicReference<Context> home = new AtomicReference<>();
    await(vertx.deployVerticle(new VerticleBase() {
      @Override
      public Future<?> start() {
        home.set(Vertx.currentContext());
        return Future.succeededFuture();
      }
    }));
    for (int i = 0; i < 100; i++) {
      await(on(home.get(), () -> TaskGroup.all(vertx, List.of(later(1)))));
    }
    OwnerClose registry = await(call(home.get(), () -> home.get().get(OwnerClose.class)));
    assertThat(await(call(home.get(), registry::size))).isZero();
  }
}
