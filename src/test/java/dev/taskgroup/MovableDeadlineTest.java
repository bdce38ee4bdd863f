package dev.taskgroup;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Future;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BiFunction;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/** {@link TaskGroup#withDeadline}: a deadline the step pushes back, brings forward or removes, on a manual clock. */
class MovableDeadlineTest extends OnManualClock {
  final List<String> log = new ArrayList<>();

  /** Runs {@code step} under a 100 ms movable deadline in a task named "call"; logs its cancellation. */
  Future<String> call(BiFunction<TaskScope, MovableDeadline, Future<String>> step) {
    return group(g -> g.spawn("call", scope -> TaskGroup.withDeadline(scope, ms(100), (s, d) -> {
      s.onCancel(c -> log.add("cancelled " + c.reason() + "@" + nowMillis()));
      return step.apply(s, d);
    })).future());
  }

  static TaskTimeoutException timeout(Future<?> result) {
    TaskGroupException error = (TaskGroupException) awaitFailure(result);
    return (TaskTimeoutException) error.exceptions().get(0);
  }

  @Nested
  class Moving {
    @Test
    void aDeadlineNotMovedCancelsTheStepAtItsTimeWithATaskTimeoutException() {
      Future<String> result = call((s, d) -> s.sleep(ms(10_000)).map("late"));
      advance(100);
      assertThat(timeout(result)).hasMessage("task 'call' timed out after 100 ms");
      assertThat(log).containsExactly("cancelled DEADLINE@100");
    }

    @Test
    void pushingTheDeadlineBackOnEveryProgressMakesAnIdleTimeout() {
      Future<String> result = call((s, d) -> {
        Future<Void> progress = Future.succeededFuture();
        for (int i = 0; i < 3; i++) {
          progress = progress.compose(v -> s.sleep(ms(50))).andThen(ar -> d.reset(ms(100)));
        }
        return progress.compose(v -> s.sleep(ms(10_000))).map("late");
      });
      advance(249);
      assertThat(log).isEmpty();
      advance(1);
      assertThat(log).containsExactly("cancelled DEADLINE@250"); // 100 ms after the last progress, at 150
      assertThat(timeout(result).timeout()).isEqualTo(ms(100));
    }

    @Test
    void bringingTheDeadlineForwardCancelsSooner() {
      Future<String> result = call((s, d) -> s.sleep(ms(10)).andThen(ar -> d.reset(ms(20))).compose(v -> s.sleep(ms(10_000))).map("late"));
      advance(100);
      assertThat(log).containsExactly("cancelled DEADLINE@30");
      assertThat(timeout(result)).hasMessage("task 'call' timed out after 20 ms");
    }

    @Test
    void clearingTheDeadlineLetsTheStepRunToItsEnd() {
      Future<String> result = call((s, d) -> s.sleep(ms(10)).andThen(ar -> d.clear()).compose(v -> s.sleep(ms(490))).map("done"));
      advance(500);
      assertThat(await(result)).isEqualTo("done");
      assertThat(log).isEmpty();
    }

    @Test
    void remainingFollowsTheMovedDeadline() {
      List<Optional<Duration>> seen = new ArrayList<>();
      Future<String> result = call((s, d) -> {
        seen.add(s.remaining());
        d.reset(ms(300));
        seen.add(s.remaining());
        d.clear();
        seen.add(s.remaining());
        return Future.succeededFuture("ok");
      });
      assertThat(await(result)).isEqualTo("ok");
      assertThat(seen).containsExactly(Optional.of(ms(100)), Optional.of(ms(300)), Optional.empty());
    }
  }

  @Nested
  class Bounds {
    @Test
    void movingTheDeadlineAfterItPassedDoesNothing() {
      AtomicReference<MovableDeadline> handle = new AtomicReference<>();
      Future<String> result = call((s, d) -> {
        handle.set(d);
        return s.sleep(ms(10_000)).map("late");
      });
      advance(100);
      timeout(result);
      onContext(() -> {
        handle.get().reset(ms(1_000));
        handle.get().clear();
        return Future.succeededFuture();
      });
      assertThat(clock.pending()).isZero();
    }

    @Test
    void theEnclosingDeadlineStillBoundsTheStepWhateverItsOwn() {
      Future<String> result = group(g -> g.spawn("call", ((TaskFn<String>) scope -> TaskGroup.withDeadline(scope, ms(100), (s, d) -> {
        d.clear();
        return s.sleep(ms(10_000)).map("late");
      })).withTimeout(ms(50))).future());
      advance(50);
      assertThat(timeout(result)).hasMessage("task 'call' timed out after 50 ms");
    }

    @Test
    void aResultWinsOverTheDeadline() {
      Future<String> result = call((s, d) -> {
        Future<String> ignoring = Future.future(p -> s.onCancel(c -> p.complete("kept")));
        return ignoring;
      });
      advance(100);
      assertThat(await(result)).isEqualTo("kept");
    }
  }
}
