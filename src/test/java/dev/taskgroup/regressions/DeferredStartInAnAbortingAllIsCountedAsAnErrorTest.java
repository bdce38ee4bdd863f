package dev.taskgroup.regressions;

import static org.assertj.core.api.Assertions.assertThat;

import dev.taskgroup.TaskFn;
import dev.taskgroup.TaskGroup;
import dev.taskgroup.TaskScope;
import dev.taskgroup.VertxTest;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/**
 * Bug (found in review): when a task's start is deferred by the trampoline (spawned 32 frames
 * deep) and its group is cancelled before the deferred start runs (the group's own propagation is
 * deferred behind it), {@code TaskImpl.runFunction} settles the task CANCELLED with the group's
 * cause but never marks the task's own {@code cancelCause}. The pattern sinks then read it as a
 * task that "ended with a cancellation of its own" ({@code ResultSink.ownCancellation}), and
 * {@code all} reports the group's cancellation as a real error: the enclosing scope's cancel makes
 * {@code all} fail with a TaskGroupException holding a TaskCancelledException (semantics: cancelled
 * tasks are never errors; an all cancelled by its enclosing scope fails with that cancellation).
 */
class DeferredStartInAnAbortingAllIsCountedAsAnErrorTest extends VertxTest {

  /** Runs {@code bottom} in the body of {@code levels} groups nested in one another (one trampoline frame each). */
  private static Future<Object> nest(TaskScope scope, int levels, Function<TaskGroup, Future<Object>> bottom) {
    return TaskGroup.run(scope, g -> levels == 1 ? bottom.apply(g) : nest(g, levels - 1, bottom));
  }

  @Test
  void allCancelledByItsEnclosingScopeFailsWithTheCancellationNotATaskGroupException() throws Exception {
    assertThat(allCancelledAtDepth(30)).isInstanceOf(CancellationException.class);
  }

  @Test
  void theSameShapeShallowIsTheControl() throws Exception {
    assertThat(allCancelledAtDepth(3)).isInstanceOf(CancellationException.class);
  }

  private Throwable allCancelledAtDepth(int levels) throws Exception {
    AtomicReference<Future<List<Object>>> all = new AtomicReference<>();
    TaskFn<Object> waits = s -> {
      Promise<Object> p = Promise.promise();
      s.onCancel(p::tryFail);
      return p.future();
    };
    Future<Object> top = TaskGroup.run(vertx, g0 -> {
      // the top body is frame 1; 30 nested bodies bring the innermost to frame 31, where all()'s
      // body runs as frame 32: its spawns are deferred
      nest(g0, levels, g -> {
        all.set(TaskGroup.all(g, List.of(waits, waits)));
        g.cancel(); // the all group is marked (ABORTING) at once, its propagation deferred behind the starts
        return Future.succeededFuture();
      });
      return Future.succeededFuture();
    });
    completion(top);
    return awaitFailure(all.get());
  }
}
