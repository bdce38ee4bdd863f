package dev.taskgroup;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Future;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/** Shielded steps: cancellation does not reach them, their own timeout does, the group waits for them. */
class ShieldTest extends OnManualClock {
  final List<String> log = new ArrayList<>();

  /** A step that takes {@code ms} on the manual clock, logging its end and any cancellation it sees. */
  TaskFn<String> step(String name, long ms) {
    return scope -> {
      scope.onCancel(c -> log.add(name + " cancelled " + c.reason() + "@" + nowMillis()));
      return scope.sleep(ms(ms)).map(v -> {
        log.add(name + " done@" + nowMillis());
        return name;
      });
    };
  }

  @Nested
  class Cancellation {
    @Test
    void aShieldedStepRunsToItsEndThoughItsScopeIsCancelled() {
      AtomicReference<Task<String>> task = new AtomicReference<>();
      Future<Void> result = group(g -> {
        task.set(g.spawn("work", scope -> step("work", 1_000).run(scope)
            .eventually(() -> TaskGroup.shield(scope, ms(500), step("release", 100)))));
        return Future.succeededFuture();
      });
      advance(10);
      onContext(() -> Future.succeededFuture(task.get().cancel()));
      assertThat(log).containsExactly("work cancelled EXPLICIT@10");
      advance(99);
      assertThat(result.isComplete()).as("the group waits for the shielded step").isFalse();
      advance(1);
      await(result);
      assertThat(log).containsExactly("work cancelled EXPLICIT@10", "release done@110");
    }

    @Test
    void aShieldedTaskOutlivesTheCancellationOfItsGroupAndTheGroupWaitsForIt() {
      AtomicReference<TaskGroup> group = new AtomicReference<>();
      Future<Void> result = group(g -> {
        group.set(g);
        g.spawn("audit", step("audit", 200).shielded(ms(1_000)));
        return Future.succeededFuture();
      });
      advance(50);
      group.get().cancel();
      advance(149);
      assertThat(result.isComplete()).isFalse();
      advance(1);
      await(result);
      assertThat(log).containsExactly("audit done@200");
    }

    @Test
    void aShieldedStepStartedByABodyThatDoesNotAwaitItIsStillAwaitedByTheGroup() {
      Future<String> result = group(g -> {
        TaskGroup.shield(g, ms(500), step("record", 300));
        return Future.succeededFuture("body");
      });
      advance(299);
      assertThat(result.isComplete()).isFalse();
      advance(1);
      assertThat(await(result)).isEqualTo("body");
    }
  }

  @Nested
  class Timeouts {
    @Test
    void aShieldedStepIsBoundedByItsOwnTimeout() {
      Future<String> result = group(g -> TaskGroup.shield(g, ms(100), step("stuck", 10_000)));
      advance(100);
      TaskGroupException error = (TaskGroupException) awaitFailure(result);
      assertThat(error.exceptions()).singleElement().isInstanceOf(TaskTimeoutException.class)
          .extracting(Throwable::getMessage).isEqualTo("shielded step of 'task-group' timed out after 100 ms");
      assertThat(log).containsExactly("stuck cancelled DEADLINE@100");
    }

    @Test
    void enclosingDeadlinesDoNotReachItOnlyItsOwnTimeoutBoundsIt() {
      AtomicReference<Optional<java.time.Duration>> remaining = new AtomicReference<>();
      Future<String> result = group(g -> g.spawn("work", ((TaskFn<String>) scope -> TaskGroup.shield(scope, ms(300), s -> {
        remaining.set(s.remaining());
        return step("cleanup", 200).run(s);
      })).withTimeout(ms(50))).future());
      advance(300);
      assertThat(await(result)).isEqualTo("cleanup");
      assertThat(remaining.get()).contains(ms(300));
      assertThat(log).containsExactly("cleanup done@200");
    }
  }

  @Nested
  class Composition {
    @Test
    void aRetriedStepCanBeShieldedAndRetriesAfterItsScopeWasCancelled() {
      List<Integer> attempts = new ArrayList<>();
      AtomicReference<Task<String>> task = new AtomicReference<>();
      TaskFn<String> flaky = s -> {
        attempts.add(s.attempt());
        return s.attempt() < 2 ? Future.failedFuture(new java.io.IOException("flaky")) : Future.succeededFuture("ok");
      };
      Future<Void> result = group(g -> {
        task.set(g.spawn("work", flaky.retried(new RetryOptions().setInitialDelay(ms(20)).setRandom(always(0.5)))
            .shielded(ms(100))));
        task.get().cancel();
        return Future.succeededFuture();
      });
      advance(10);
      await(result);
      assertThat(attempts).containsExactly(1, 2);
      assertThat(task.get().state()).isEqualTo(TaskState.SUCCEEDED);
    }
  }
}
