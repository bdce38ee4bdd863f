package dev.taskgroup;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Future;
import io.vertx.core.Timer;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/** {@link TaskGroup#quorum}: the first k successes, or a failure as soon as k became impossible. */
class QuorumTest extends OnManualClock {
  /** Cancellations seen, as "name REASON". */
  final List<String> cancelled = new ArrayList<>();

  /** Succeeds with {@code name} after {@code ms} (on the manual clock), noting its cancellation. */
  TaskFn<String> ok(String name, long ms) {
    return scope -> {
      scope.onCancel(c -> cancelled.add(name + " " + c.reason()));
      return scope.sleep(ms(ms)).map(name);
    };
  }

  TaskFn<String> failing(String name, long ms) {
    return scope -> {
      scope.onCancel(c -> cancelled.add(name + " " + c.reason()));
      return scope.sleep(ms(ms)).compose(v -> Future.failedFuture(new IOException(name)));
    };
  }

  <T> Future<List<T>> quorum(int k, List<TaskFn<T>> tasks) {
    return on(context, () -> TaskGroup.quorum(vertx, options(), k, tasks));
  }

  @Nested
  class Reached {
    @Test
    void succeedsWithTheFirstKSuccessesInCompletionOrderAndCancelsTheRest() {
      Future<List<String>> result = quorum(2, List.of(ok("a", 300), ok("b", 20), ok("c", 10)));
      advance(20);
      assertThat(await(result)).containsExactly("c", "b");
      assertThat(cancelled).containsExactly("a RACE_LOST");
    }

    @Test
    void failuresBelowTheLimitDoNotEndIt() {
      Future<List<String>> result = quorum(2, List.of(failing("a", 10), ok("b", 20), ok("c", 30)));
      advance(30);
      assertThat(await(result)).containsExactly("b", "c");
    }

    @Test
    void aQuorumOfAllNeedsEverySuccess() {
      Future<List<String>> result = quorum(3, List.of(ok("a", 30), ok("b", 20), ok("c", 10)));
      advance(30);
      assertThat(await(result)).containsExactly("c", "b", "a");
    }
  }

  @Nested
  class Impossible {
    @Test
    void failsAsSoonAsKBecameImpossibleWithEveryErrorAndCancelsTheRest() {
      Future<List<String>> result = quorum(2, List.of(failing("a", 10), failing("b", 20), ok("c", 500)));
      advance(20);
      Throwable error = awaitFailure(result);
      assertThat(error).isInstanceOf(TaskGroupException.class)
          .hasMessageStartingWith("quorum of 2 of 3 tasks of 'task-group' became impossible: 2 failed");
      assertThat(((TaskGroupException) error).exceptions()).extracting(Throwable::getMessage).containsExactly("a", "b");
      assertThat(cancelled).containsExactly("c SIBLING_FAILED");
    }

    @Test
    void aTasksOwnCancellationCountsAsAFailure() {
      TaskFn<String> ownCancel = scope -> {
        Timer t = scope.vertx().timer(1_000);
        t.cancel();
        return t.map("never");
      };
      Future<List<String>> result = on(context, () -> TaskGroup.quorum(vertx, 1, List.of(ownCancel)));
      TaskGroupException error = (TaskGroupException) awaitFailure(result);
      assertThat(error.exceptions()).singleElement().isInstanceOf(java.util.concurrent.CancellationException.class);
    }
  }

  @Nested
  class Scopes {
    @Test
    void aQuorumInAScopeEndsWithTheScopesCancellation() {
      Future<Void> outer = group(g -> {
        Future<List<String>> q = TaskGroup.quorum(g, 1, List.of(ok("a", 100)));
        g.spawn("failing", failing("x", 10));
        return q.transform(ar -> {
          assertThat(ar.cause()).isInstanceOf(TaskCancelledException.class);
          assertThat(((TaskCancelledException) ar.cause()).reason()).isEqualTo(CancelReason.PARENT_CANCELLED);
          return Future.succeededFuture();
        });
      });
      advance(10);
      assertThat(((TaskGroupException) awaitFailure(outer)).exceptions()).extracting(Throwable::getMessage).containsExactly("x");
      assertThat(cancelled).containsExactly("a PARENT_CANCELLED");
    }

    @Test
    void aQuorumPastItsDeadlineFailsWithItsTaskTimeoutException() {
      Future<List<String>> result = on(context, () -> TaskGroup.quorum(vertx, options().setTimeout(ms(50)), 2,
          List.of(ok("a", 10), ok("b", 100))));
      advance(50);
      assertThat(((TaskGroupException) awaitFailure(result)).exceptions()).singleElement().isInstanceOf(TaskTimeoutException.class);
      assertThat(cancelled).containsExactly("b DEADLINE");
    }
  }
}
