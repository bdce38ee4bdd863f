package dev.taskgroup.regressions;

import static org.assertj.core.api.Assertions.assertThat;

import dev.taskgroup.Task;
import dev.taskgroup.TaskGroup;
import dev.taskgroup.TaskGroupOptions;
import dev.taskgroup.TaskState;
import dev.taskgroup.VertxTest;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * Bug (found in review): cancelling a task that is still queued ({@code maxConcurrency}) is not a
 * trampoline frame. {@code TaskImpl.cancelOnContext} -> {@code GroupImpl.cancelQueued} ->
 * {@code cancelWhileQueued} fails the task's future inline, so a listener of that future that
 * cancels the next queued task recurses: a chain of queued tasks each cancelled by the previous
 * one's future overflows the stack, the StackOverflowError is swallowed by the listener dispatch,
 * and the rest of the chain is never cancelled (its tasks later run although they were meant to
 * be cancelled). Issue 9 asks that every hook/cancel chain be iterative.
 */
class QueuedTasksCancelledInAChainThroughTheirFuturesRecurseTest extends VertxTest {
  static final int N = 100_000;

  @Test
  void everyQueuedTaskOfTheChainIsCancelledAndNoneRuns() throws Exception {
    AtomicInteger ran = new AtomicInteger();
    int[] cancelledAfterChain = {-1};
    List<Task<Object>> all = new ArrayList<>(N);
    Future<Object> group = TaskGroup.run(vertx, new TaskGroupOptions().setMaxConcurrency(1), g -> {
      Promise<Object> blocker = Promise.promise();
      g.spawn("blocker", s -> blocker.future());
      List<Task<Object>> queued = new ArrayList<>(N);
      for (int i = 0; i < N; i++) {
        queued.add(g.spawn(s -> {
          ran.incrementAndGet();
          return Future.succeededFuture();
        }));
      }
      for (int i = 0; i < N - 1; i++) {
        Task<Object> next = queued.get(i + 1);
        queued.get(i).future().onFailure(e -> next.cancel());
      }
      queued.get(0).cancel(); // past 32 frames the chain goes on as the body's frame unwinds
      blocker.complete("done"); // the queue (whatever is left of it) may run: the chain's cancels come first
      all.addAll(queued);
      return Future.succeededFuture();
    });
    completion(group);
    cancelledAfterChain[0] = (int) all.stream().filter(t -> t.state() == TaskState.CANCELLED).count();
    assertThat(cancelledAfterChain[0]).as("queued tasks cancelled by the chain").isEqualTo(N);
    assertThat(ran).as("cancelled queued tasks that ran anyway").hasValue(0);
  }
}
