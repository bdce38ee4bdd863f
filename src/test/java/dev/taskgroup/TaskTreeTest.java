package dev.taskgroup;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Context;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.ThreadingModel;
import io.vertx.core.VerticleBase;
import io.vertx.core.json.JsonObject;
import java.lang.ref.WeakReference;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.Test;

/** {@link TaskTree}: what a snapshot lists, how it reads each group, and its limits. */
class TaskTreeTest extends VertxTest {
  @org.junit.jupiter.api.BeforeEach
  @AfterEach
  void switchesOff() {
    Observability.trackTaskAges(false);
  }

  private TaskTree snapshot() {
    return await(TaskTree.snapshot(vertx));
  }

  private static TaskTree.Node only(TaskTree tree, TaskTree.Kind kind, String name) {
    List<TaskTree.Node> found = tree.nodes().stream().filter(n -> n.kind() == kind && n.name().equals(name)).toList();
    assertThat(found).as(kind + " '" + name + "' in\n" + tree.toText()).hasSize(1);
    return found.get(0);
  }

  @Nested
  class WhatItLists {
    @Test
    void anOpenGroupIsListedWithItsRunningTasksAndItsQueuedCount() {
      Context context = vertx.getOrCreateContext();
      Promise<Void> release = Promise.promise();
      Promise<Void> opened = Promise.promise();
      await(call(context, () -> TaskGroup.run(vertx, new TaskGroupOptions().setName("fan").setMaxConcurrency(1), g -> {
        g.spawn("first", untilCancelled());
        g.spawn("second", untilCancelled());
        g.spawn("third", untilCancelled());
        opened.complete();
        return release.future();
      })));
      await(opened.future());
      TaskTree.Node group = only(snapshot(), TaskTree.Kind.GROUP, "fan");
      assertThat(group.kind()).isEqualTo(TaskTree.Kind.GROUP);
      assertThat(group.name()).isEqualTo("fan");
      assertThat(group.state()).isEqualTo("OPEN");
      assertThat(group.running()).isEqualTo(1);
      assertThat(group.queued()).isEqualTo(2);
      assertThat(group.children()).extracting(TaskTree.Node::name).containsExactly("first");
      assertThat(group.children().get(0).state()).isEqualTo("RUNNING");
      context.runOnContext(v -> release.complete());
    }

    @Test
    void aGroupThatCompletedIsNoLongerListed() {
      await(TaskGroup.run(vertx, new TaskGroupOptions().setName("done"), g -> {
        g.spawn(later("x"));
        return Future.succeededFuture();
      }));
      assertThat(snapshot().groups()).isEmpty();
      assertThat(Observation.LIVE).noneMatch(g -> g.vertx == vertx);
    }

    @Test
    void theRegistryKeepsNoReferenceToAGroupThatCompleted() {
      AtomicReference<WeakReference<TaskGroup>> weak = new AtomicReference<>();
      await(TaskGroup.run(vertx, g -> {
        weak.set(new WeakReference<>(g));
        return Future.succeededFuture();
      }));
      for (int i = 0; i < 50 && weak.get().get() != null; i++) {
        System.gc();
      }
      assertThat(weak.get().get()).as("a completed group nobody references").isNull();
    }

    @Test
    void groupsOfAnotherVertxAreNotListed() {
      Vertx2 other = new Vertx2();
      try {
        Promise<Void> release = Promise.promise();
        Context ctx = other.vertx.getOrCreateContext();
        await(call(ctx, () -> TaskGroup.run(other.vertx, new TaskGroupOptions().setName("elsewhere"), g -> release.future())));
        assertThat(Observation.LIVE).anyMatch(g -> g.name.equals("elsewhere"));
        assertThat(snapshot().nodes()).noneMatch(n -> n.name().equals("elsewhere"));
        ctx.runOnContext(v -> release.complete());
      } finally {
        other.close();
      }
    }

    @Test
    void nestedGroupsTimeoutsAndAttemptsAppearBelowTheTaskThatOpenedThem() {
      Context context = vertx.getOrCreateContext();
      Promise<Void> release = Promise.promise();
      CountDownLatch ready = new CountDownLatch(3);
      await(call(context, () -> TaskGroup.run(vertx, new TaskGroupOptions().setName("outer"), g -> {
        g.spawn("opener", scope -> TaskGroup.run(scope, new TaskGroupOptions().setName("inner"), inner -> {
          inner.spawn("leaf", s -> {
            ready.countDown();
            return untilCancelled().run(s);
          });
          return release.future();
        }));
        g.spawn("timed-inside", scope -> {
          ready.countDown();
          return VertxTest.<String>untilCancelled().withTimeout(Duration.ofSeconds(30)).run(scope);
        });
        g.spawn("retrying", scope -> {
          ready.countDown();
          return VertxTest.<String>untilCancelled().retried(new RetryOptions().setMaxAttempts(3)).run(scope);
        });
        return release.future();
      })));
      assertThat(awaitLatch(ready)).isTrue();
      TaskTree tree = snapshot();
      TaskTree.Node opener = only(tree, TaskTree.Kind.TASK, "opener");
      assertThat(opener.children()).singleElement().satisfies(inner -> {
        assertThat(inner.kind()).isEqualTo(TaskTree.Kind.GROUP);
        assertThat(inner.name()).isEqualTo("inner");
        assertThat(inner.children()).extracting(TaskTree.Node::name).containsExactly("leaf");
      });
      TaskTree.Node timed = only(tree, TaskTree.Kind.TASK, "timed-inside");
      assertThat(timed.children()).singleElement().satisfies(t -> {
        assertThat(t.kind()).isEqualTo(TaskTree.Kind.TIMEOUT);
        assertThat(t.deadlineLeft()).isPositive().isLessThanOrEqualTo(Duration.ofSeconds(30));
        assertThat(t.age()).isNotNull();
      });
      TaskTree.Node retrying = only(tree, TaskTree.Kind.TASK, "retrying");
      assertThat(retrying.children()).singleElement().satisfies(a -> {
        assertThat(a.kind()).isEqualTo(TaskTree.Kind.STEP);
        assertThat(a.name()).isEqualTo("attempt 1 of 'retrying'");
      });
      context.runOnContext(v -> release.complete());
    }

    @Test
    void aSnapshotOfOneGroupListsItEvenWhenNested() {
      Context context = vertx.getOrCreateContext();
      Promise<Void> release = Promise.promise();
      Promise<TaskGroup> innerGroup = Promise.promise();
      await(call(context, () -> TaskGroup.run(vertx, new TaskGroupOptions().setName("outer"), g -> {
        g.spawn("opener", scope -> TaskGroup.run(scope, new TaskGroupOptions().setName("inner"), inner -> {
          inner.spawn("leaf", untilCancelled());
          innerGroup.complete(inner);
          return release.future();
        }));
        return release.future();
      })));
      TaskTree tree = await(TaskTree.snapshot(await(innerGroup.future())));
      assertThat(tree.groups()).singleElement().satisfies(n -> {
        assertThat(n.name()).isEqualTo("inner");
        assertThat(n.children()).extracting(TaskTree.Node::name).containsExactly("leaf");
      });
      context.runOnContext(v -> release.complete());
    }

    @Test
    void aCancellingGroupShowsItsReasonAndItsTasksStillSettling() {
      Context context = vertx.getOrCreateContext();
      Promise<TaskGroup> opened = Promise.promise();
      Promise<String> stubborn = Promise.promise();
      await(call(context, () -> TaskGroup.run(vertx, new TaskGroupOptions().setName("stopping"), g -> {
        g.spawn("ignores-cancel", scope -> stubborn.future()); // settles only when the test says so
        opened.complete(g);
        return Future.succeededFuture();
      })));
      await(opened.future()).cancel();
      TaskTree tree = snapshot();
      TaskTree.Node group = only(tree, TaskTree.Kind.GROUP, "stopping");
      assertThat(group.state()).isEqualTo("CANCELLING");
      assertThat(group.cancelReason()).isEqualTo(CancelReason.EXPLICIT);
      assertThat(group.cancelMessage()).isEqualTo("task group 'stopping' was cancelled");
      TaskTree.Node task = only(tree, TaskTree.Kind.TASK, "ignores-cancel");
      assertThat(task.state()).isEqualTo("CANCELLING");
      assertThat(task.cancelReason()).isEqualTo(CancelReason.EXPLICIT);
      context.runOnContext(v -> stubborn.complete("late"));
    }

    @Test
    void aTaskCanTakeASnapshotOfItsOwnGroup() {
      TaskTree tree = await(TaskGroup.run(vertx, new TaskGroupOptions().setName("self"), g ->
          g.spawn("looker", scope -> TaskTree.snapshot(scope.vertx())).future()));
      TaskTree.Node looker = only(tree, TaskTree.Kind.TASK, "looker");
      assertThat(looker.state()).isEqualTo("RUNNING");
    }
  }

  @Nested
  class AgesAndDeadlines {
    private final ManualTimers clock = new ManualTimers();

    private void advance(Context context, Duration by) {
      await(call(context, () -> {
        clock.advance(by);
        return null;
      }));
    }

    @Test
    void agesAndTheDeadlineLeftAreMeasuredOnTheGroupsClock() {
      Observability.trackTaskAges(true);
      Context context = vertx.getOrCreateContext();
      Promise<Void> release = Promise.promise();
      await(call(context, () -> TaskGroup.run(vertx, new TaskGroupOptions().setName("timed").setTimeout(Duration.ofSeconds(1)).setTimers(clock), g -> {
        g.spawn("early", untilCancelled());
        return release.future();
      })));
      advance(context, Duration.ofMillis(300));
      TaskTree.Node group = snapshot().groups().get(0);
      assertThat(group.age()).isEqualTo(Duration.ofMillis(300));
      assertThat(group.deadlineLeft()).isEqualTo(Duration.ofMillis(700));
      assertThat(group.children().get(0).age()).isEqualTo(Duration.ofMillis(300));
      context.runOnContext(v -> release.complete());
    }

    @Test
    void aTaskHasNoAgeUnlessAgesAreTrackedOrItHasATimeoutOfItsOwn() {
      Context context = vertx.getOrCreateContext();
      Promise<Void> release = Promise.promise();
      await(call(context, () -> TaskGroup.run(vertx, new TaskGroupOptions().setTimers(clock), g -> {
        g.spawn("plain", untilCancelled());
        g.spawn("bounded", VertxTest.<String>untilCancelled().withTimeout(Duration.ofSeconds(5)));
        return release.future();
      })));
      advance(context, Duration.ofMillis(250));
      TaskTree tree = snapshot();
      assertThat(only(tree, TaskTree.Kind.TASK, "plain").age()).isNull();
      TaskTree.Node bounded = only(tree, TaskTree.Kind.TASK, "bounded");
      assertThat(bounded.age()).isEqualTo(Duration.ofMillis(250));
      assertThat(bounded.deadlineLeft()).isEqualTo(Duration.ofMillis(4750));
      context.runOnContext(v -> release.complete());
    }
  }

  @Nested
  class Threads {
    @Test
    void aGroupWhoseContextIsBlockedIsListedUnresponsiveWithinTheTimeout() throws Exception {
      CountDownLatch unblock = new CountDownLatch(1);
      AtomicReference<Context> workerContext = new AtomicReference<>();
      await(vertx.deployVerticle(new VerticleBase() {
        @Override
        public Future<?> start() {
          workerContext.set(context);
          TaskGroup.run(vertx, new TaskGroupOptions().setName("on-a-worker"), g -> {
            g.spawn("waits", untilCancelled());
            return Future.succeededFuture();
          });
          return Future.succeededFuture();
        }
      }, new DeploymentOptions().setThreadingModel(ThreadingModel.WORKER)));
      Promise<Void> release = Promise.promise();
      Context healthy = vertx.getOrCreateContext();
      await(call(healthy, () -> TaskGroup.run(vertx, new TaskGroupOptions().setName("healthy"), g -> release.future())));
      CountDownLatch blocked = new CountDownLatch(1);
      workerContext.get().runOnContext(v -> {
        blocked.countDown();
        try {
          unblock.await(10, TimeUnit.SECONDS); // a worker blocked in user code
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      });
      assertThat(blocked.await(10, TimeUnit.SECONDS)).isTrue();
      try {
        long start = System.nanoTime();
        TaskTree tree = await(TaskTree.snapshot(vertx, Duration.ofMillis(200)));
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(2));
        TaskTree.Node stuck = only(tree, TaskTree.Kind.GROUP, "on-a-worker");
        assertThat(stuck.state()).isEqualTo("UNRESPONSIVE");
        assertThat(stuck.age()).isNotNull();
        assertThat(stuck.children()).isEmpty();
        assertThat(only(tree, TaskTree.Kind.GROUP, "healthy").state()).isEqualTo("OPEN");
        assertThat(tree.toText()).contains("group 'on-a-worker' UNRESPONSIVE");
      } finally {
        unblock.countDown();
        healthy.runOnContext(v -> release.complete());
      }
    }

    @RepeatedTest(5)
    void snapshotsTakenWhileGroupsComeAndGoOnTwoContextsListOnlyOpenGroups() {
      Context a = vertx.getOrCreateContext();
      Context b = vertx.getOrCreateContext();
      Promise<Void> stop = Promise.promise();
      for (Context c : List.of(a, b)) {
        c.runOnContext(v -> churn(c, stop.future()));
      }
      for (int i = 0; i < 20; i++) {
        TaskTree tree = snapshot();
        assertThat(tree.groups()).allSatisfy(g -> assertThat(g.state()).isIn("OPEN", "CANCELLING"));
      }
      stop.tryComplete();
    }

    /** Opens small groups one after another on {@code c} until {@code stop}. */
    private void churn(Context c, Future<Void> stop) {
      if (stop.isComplete()) {
        return;
      }
      TaskGroup.all(vertx, List.<TaskFn<Integer>>of(later(1), later(2), later(3)))
          .onComplete(ar -> c.runOnContext(v -> churn(c, stop)));
    }
  }

  @Nested
  class Limits {
    @Test
    void aGroupListsAtMostMaxChildrenTasksAndCountsTheRest() {
      Context context = vertx.getOrCreateContext();
      Promise<Void> release = Promise.promise();
      await(call(context, () -> TaskGroup.run(vertx, new TaskGroupOptions().setName("wide"), g -> {
        for (int i = 0; i < TaskTree.MAX_CHILDREN + 500; i++) {
          g.spawn(untilCancelled());
        }
        return release.future();
      })));
      TaskTree.Node wide = only(snapshot(), TaskTree.Kind.GROUP, "wide");
      assertThat(wide.children()).hasSize(TaskTree.MAX_CHILDREN);
      assertThat(wide.omitted()).isEqualTo(500);
      assertThat(wide.running()).isEqualTo(TaskTree.MAX_CHILDREN + 500);
      context.runOnContext(v -> release.complete());
    }

    @Test
    void aDeepTreeIsCutAtMaxDepthAndTheCutIsCounted() {
      Context context = vertx.getOrCreateContext();
      Promise<Void> release = Promise.promise();
      int levels = TaskTree.MAX_DEPTH + 10; // group, task, group, task, ...: two levels per nesting
      CountDownLatch deepest = new CountDownLatch(1);
      await(call(context, () -> TaskGroup.run(vertx, new TaskGroupOptions().setName("level-0"), g -> {
        nest(g, 1, levels / 2, release.future(), deepest);
        return release.future();
      })));
      assertThat(awaitLatch(deepest)).isTrue();
      TaskTree tree = snapshot();
      int depth = 0;
      TaskTree.Node n = tree.groups().get(0);
      while (!n.children().isEmpty()) {
        n = n.children().get(0);
        depth++;
      }
      assertThat(depth + 1).isEqualTo(TaskTree.MAX_DEPTH);
      assertThat(n.omitted()).isEqualTo(1);
      assertThat(tree.toText()).contains("… 1 more not listed");
      context.runOnContext(v -> release.complete());
    }

    private void nest(TaskGroup g, int level, int max, Future<Void> release, CountDownLatch deepest) {
      g.spawn("task-" + level, scope -> {
        if (level == max) {
          deepest.countDown();
          return release;
        }
        return TaskGroup.run(scope, new TaskGroupOptions().setName("level-" + level), inner -> {
          nest(inner, level + 1, max, release, deepest);
          return release;
        });
      });
    }
  }

  @Nested
  class Renderings {
    @Test
    void theTextFormIsAnIndentedTreeAndTheJsonKeepsEveryField() {
      Observability.trackTaskAges(true);
      Context context = vertx.getOrCreateContext();
      Promise<Void> release = Promise.promise();
      CountDownLatch ready = new CountDownLatch(1);
      await(call(context, () -> TaskGroup.run(vertx, new TaskGroupOptions().setName("api").setTimeout(Duration.ofSeconds(30)), g -> {
        g.spawn("profile", untilCancelled());
        g.spawn("orders", scope -> TaskGroup.run(scope, new TaskGroupOptions().setName("orders-pages"), inner -> {
          inner.spawn("page-1", untilCancelled());
          ready.countDown();
          return release.future();
        }));
        return release.future();
      })));
      assertThat(awaitLatch(ready)).isTrue();
      TaskTree tree = snapshot();
      String[] lines = tree.toText().split("\n");
      assertThat(lines[0]).startsWith("task tree at ").endsWith(": 1 group");
      assertThat(lines[1]).matches("└── group 'api' OPEN, age \\d+ ms, deadline in \\d+ ms, running 2");
      assertThat(lines[2]).matches("    ├── task 'profile' RUNNING, age \\d+ ms");
      assertThat(lines[3]).matches("    └── task 'orders' RUNNING, age \\d+ ms");
      assertThat(lines[4]).matches("        └── group 'orders-pages' OPEN, age \\d+ ms, running 1");
      assertThat(lines[5]).matches("            └── task 'page-1' RUNNING, age \\d+ ms");
      JsonObject json = tree.toJson();
      assertThat(json.getString("takenAt")).isEqualTo(tree.takenAt().toString());
      JsonObject api = json.getJsonArray("groups").getJsonObject(0);
      assertThat(api.getString("kind")).isEqualTo("group");
      assertThat(api.getString("name")).isEqualTo("api");
      assertThat(api.getInteger("running")).isEqualTo(2);
      assertThat(api.getLong("deadlineLeftMs")).isBetween(1L, 30_000L);
      JsonObject orders = api.getJsonArray("children").getJsonObject(1);
      assertThat(orders.getString("kind")).isEqualTo("task");
      assertThat(orders.containsKey("running")).isFalse();
      assertThat(orders.getJsonArray("children").getJsonObject(0).getString("name")).isEqualTo("orders-pages");
      context.runOnContext(v -> release.complete());
    }
  }

  private static boolean awaitLatch(CountDownLatch latch) {
    try {
      return latch.await(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  /** A second health-checked Vert.x, for the test that two instances see only their own groups. */
  private static final class Vertx2 {
    final io.vertx.core.Vertx vertx = healthyVertx(new java.util.concurrent.CopyOnWriteArrayList<>());

    void close() {
      await(vertx.close());
    }
  }
}
