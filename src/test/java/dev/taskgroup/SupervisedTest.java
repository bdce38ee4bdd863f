package dev.taskgroup;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/** {@link TaskGroupOptions#setSupervisor}: failures go to the supervisor, not to the siblings. */
class SupervisedTest extends VertxTest {
  final List<String> supervised = new ArrayList<>();

  TaskGroupOptions supervisedOptions() {
    return new TaskGroupOptions().setName("workers").setSupervisor((task, error) -> supervised.add(task.name() + ": " + error.getMessage()));
  }

  <R> Future<R> group(TaskGroupOptions options, java.util.function.Function<TaskGroup, Future<R>> body) {
    return on(vertx.getOrCreateContext(), () -> TaskGroup.run(vertx, options, body));
  }

  @Nested
  class Failures {
    @Test
    void aFailingTaskCancelsNeitherItsSiblingsNorTheBodyAndTheGroupCompletesWithTheBodysResult() {
      AtomicReference<Task<String>> sibling = new AtomicReference<>();
      Future<String> result = group(supervisedOptions(), g -> {
        Task<String> failing = g.spawn("failing", failingLater(new IOException("boom")));
        sibling.set(g.spawn("sibling", scope -> failing.future().transform(ar -> scope.sleep(java.time.Duration.ofMillis(5)).map("s"))));
        return sibling.get().future().map(s -> "body saw " + s + ", cancelled=" + g.isCancelled());
      });
      assertThat(await(result)).isEqualTo("body saw s, cancelled=false");
      assertThat(supervised).containsExactly("failing: boom");
    }

    @Test
    void eachFailureReachesTheSupervisorAsItHappensAndTheTasksFutureStillFails() {
      List<String> order = new ArrayList<>();
      await(group(new TaskGroupOptions().setSupervisor((t, e) -> order.add("supervisor " + t.name())), g -> {
        Task<String> a = g.spawn("a", failingLater(new IOException("a")));
        a.future().onFailure(e -> order.add("future " + e.getMessage()));
        return a.future().transform(ar -> Future.succeededFuture());
      }));
      assertThat(order).containsExactly("supervisor a", "future a");
    }
  }

  @Nested
  class WhatStillFailsTheGroup {
    @Test
    void theBodyFailingFailsTheGroupAndCancelsTheTasks() {
      List<TaskCancelledException> cancelled = new ArrayList<>();
      IOException bodyError = new IOException("body gave up");
      Throwable error = awaitFailure(group(supervisedOptions(), g -> {
        g.spawn("worker", scope -> {
          Promise<String> p = Promise.promise();
          scope.onCancel(c -> {
            cancelled.add(c);
            p.fail(c);
          });
          return p.future();
        });
        return Future.failedFuture(bodyError);
      }));
      assertThat(((TaskGroupException) error).exceptions()).containsExactly(bodyError);
      assertThat(cancelled).hasSize(1);
    }

    @Test
    void aSupervisorThatThrowsFailsTheGroupFastWithItsError() {
      IllegalStateException broken = new IllegalStateException("supervisor broke");
      Throwable error = awaitFailure(group(new TaskGroupOptions().setSupervisor((t, e) -> {
        throw broken;
      }), g -> {
        g.spawn("failing", failingLater(new IOException("boom")));
        g.spawn("forever", untilCancelled());
        return Future.succeededFuture();
      }));
      assertThat(((TaskGroupException) error).exceptions()).containsExactly(broken);
    }

    @Test
    void thePatternsIgnoreTheSupervisorAndStillFailFast() {
      IOException boom = new IOException("boom");
      Throwable error = awaitFailure(TaskGroup.all(vertx, supervisedOptions(), List.<TaskFn<String>>of(failingLater(boom), untilCancelled())));
      assertThat(((TaskGroupException) error).exceptions()).containsExactly(boom);
      assertThat(supervised).isEmpty();
    }
  }
}
