package dev.taskgroup;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/** {@link TaskGroupOptions#setMaxQueued}: spawns past the running and queued limits are refused; trySpawn returns empty. */
class BoundedQueueTest extends VertxTest {
  final List<String> ran = new ArrayList<>();

  TaskFn<String> pending(String name, Promise<String> release) {
    return scope -> {
      ran.add(name);
      return release.future();
    };
  }

  @Nested
  class Refusing {
    @Test
    void aSpawnPastMaxConcurrencyPlusMaxQueuedThrowsNamingTheLimitsAndTheFunctionNeverRuns() {
      Context context = vertx.getOrCreateContext();
      Promise<String> release = Promise.promise();
      List<Throwable> refused = new ArrayList<>();
      Future<Void> result = on(context, () -> TaskGroup.run(vertx, new TaskGroupOptions().setName("g").setMaxConcurrency(1).setMaxQueued(1), g -> {
        g.spawn(pending("a", release));
        g.spawn(pending("b", release));
        try {
          g.spawn(pending("c", release));
        } catch (TaskQueueFullException e) {
          refused.add(e);
        }
        release.complete("done");
        return Future.succeededFuture();
      }));
      await(result);
      assertThat(ran).containsExactly("a", "b");
      assertThat(refused).singleElement().isInstanceOf(TaskQueueFullException.class)
          .extracting(Throwable::getMessage)
          .isEqualTo("cannot spawn into task group 'g': 1 task runs (maxConcurrency) and 1 waits (maxQueued)");
      assertThat(((TaskQueueFullException) refused.get(0)).maxQueued()).isEqualTo(1);
    }

    @Test
    void trySpawnReturnsEmptyInsteadAndTheFunctionNeverRuns() {
      Promise<String> release = Promise.promise();
      List<Boolean> present = new ArrayList<>();
      await(on(vertx.getOrCreateContext(), () -> TaskGroup.run(vertx, new TaskGroupOptions().setMaxConcurrency(2).setMaxQueued(0), g -> {
        for (String name : List.of("a", "b", "c")) {
          present.add(g.trySpawn(name, pending(name, release)).isPresent());
        }
        release.complete("done");
        return Future.succeededFuture();
      })));
      assertThat(present).containsExactly(true, true, false);
      assertThat(ran).containsExactly("a", "b");
    }

    @Test
    void aFreedSlotMakesRoomAgain() {
      Promise<String> first = Promise.promise();
      List<Optional<Task<String>>> tries = new ArrayList<>();
      await(on(vertx.getOrCreateContext(), () -> TaskGroup.run(vertx, new TaskGroupOptions().setMaxConcurrency(1).setMaxQueued(0), g -> {
        Task<String> a = g.spawn(pending("a", first));
        tries.add(g.trySpawn(pending("b", Promise.promise())));
        first.complete("a");
        return a.future().compose(v -> {
          tries.add(g.trySpawn(scope -> Future.succeededFuture("c")));
          return Future.succeededFuture();
        });
      })));
      assertThat(tries).extracting(Optional::isPresent).containsExactly(false, true);
    }
  }

  @Nested
  class Limits {
    @Test
    void withoutAConcurrencyLimitNothingQueuesSoNothingIsRefused() {
      await(on(vertx.getOrCreateContext(), () -> TaskGroup.run(vertx, new TaskGroupOptions().setMaxQueued(0), g -> {
        for (int i = 0; i < 100; i++) {
          g.spawn(scope -> Future.succeededFuture("x"));
        }
        return Future.succeededFuture();
      })));
    }

    @Test
    void trySpawnStillThrowsWhenTheGroupIsShuttingDown() {
      List<Throwable> thrown = new ArrayList<>();
      await(on(vertx.getOrCreateContext(), () -> TaskGroup.run(vertx, new TaskGroupOptions().setMaxConcurrency(1).setMaxQueued(0), g -> {
        g.cancel();
        try {
          g.trySpawn(scope -> Future.succeededFuture("x"));
        } catch (IllegalStateException e) {
          thrown.add(e);
        }
        return Future.succeededFuture();
      })));
      assertThat(thrown).singleElement().extracting(Throwable::getMessage).asString().contains("it is shutting down");
    }
  }
}
