package dev.taskgroup.regressions;

import static org.assertj.core.api.Assertions.assertThat;

import dev.taskgroup.TaskFn;
import dev.taskgroup.TaskGroup;
import dev.taskgroup.TaskGroupException;
import dev.taskgroup.VertxTest;
import io.vertx.core.Future;
import java.io.IOException;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * Bug: the patterns spawn their tasks one by one in the group's body (TaskGroup.spawnAll); when a
 * task settles synchronously in a way that aborts the group (a race won, an all() task failing),
 * the next spawn throws "cannot spawn into task group ...: it is shutting down", the body fails
 * with that IllegalStateException, and it is reported as an error of the group. Found by
 * TaskTreeProperties.patternsKeepInputOrderAndReportExactlyTheRealErrors.
 */
class PatternSpawnsIntoAnAbortedGroupTest extends VertxTest {

  @Test
  void raceWonBySynchronousSuccessReturnsTheWinnerAndNeverStartsTheRest() throws Exception {
    AtomicInteger laterStarts = new AtomicInteger();
    Future<String> race = TaskGroup.race(vertx, List.<TaskFn<String>>of(
        scope -> Future.succeededFuture("first"),
        scope -> {
          laterStarts.incrementAndGet();
          return Future.succeededFuture("second");
        }));
    assertThat(await(race)).isEqualTo("first");
    assertThat(laterStarts).hasValue(0);
  }

  @Test
  void allWhoseFirstTaskFailsSynchronouslyReportsOnlyThatError() throws Exception {
    IOException boom = new IOException("boom");
    Future<List<String>> all = TaskGroup.all(vertx, List.<TaskFn<String>>of(
        scope -> Future.failedFuture(boom),
        scope -> Future.succeededFuture("second")));
    Throwable error = awaitFailure(all);
    assertThat(error).isInstanceOf(TaskGroupException.class);
    assertThat(((TaskGroupException) error).exceptions()).containsExactly(boom);
  }
}
