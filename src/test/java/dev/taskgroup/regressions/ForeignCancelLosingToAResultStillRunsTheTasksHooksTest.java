package dev.taskgroup.regressions;

import static org.assertj.core.api.Assertions.assertThat;

import dev.taskgroup.Task;
import dev.taskgroup.TaskGroup;
import dev.taskgroup.TaskState;
import dev.taskgroup.VertxTest;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * Bug (found in review): {@code Task.cancel()} from a foreign thread sets {@code cancelCause} by
 * CAS and hops to the context. If the work's result reaches the context first, the task settles
 * SUCCEEDED (the result wins, as the javadoc says), but {@code ScopeImpl.close()} sees the
 * foreign mark and runs every onCancel hook "with the real cancellation": the hooks of a task that
 * succeeded run (compensations, aborts), although the cancellation has not reached the context and
 * the hop then does nothing. The result won, so the hooks must not run (and the caller's
 * {@code true} is the only trace of the late cancel).
 */
class ForeignCancelLosingToAResultStillRunsTheTasksHooksTest extends VertxTest {

  @Test
  void aTaskWhoseResultWinsOverAForeignCancelNeverRunsItsCancelHooks() throws Exception {
    AtomicBoolean hookRan = new AtomicBoolean();
    AtomicReference<Task<String>> task = new AtomicReference<>();
    AtomicReference<Promise<String>> work = new AtomicReference<>();
    AtomicReference<Context> ctx = new AtomicReference<>();
    CountDownLatch started = new CountDownLatch(1);
    Future<Object> group = TaskGroup.run(vertx, g -> {
      ctx.set(g.context());
      task.set(g.spawn("t", s -> {
        Promise<String> p = Promise.promise();
        work.set(p);
        s.onCancel(c -> hookRan.set(true));
        return p.future();
      }));
      started.countDown();
      return Future.succeededFuture();
    });
    assertThat(started.await(5, TimeUnit.SECONDS)).isTrue();

    CountDownLatch onLoop = new CountDownLatch(1);
    CountDownLatch cancelCalled = new CountDownLatch(1);
    ctx.get().runOnContext(v -> {
      onLoop.countDown();
      try {
        cancelCalled.await(5, TimeUnit.SECONDS); // a few ms: the test thread cancels meanwhile
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      work.get().complete("result"); // reaches the context before the cancel's hop
    });
    assertThat(onLoop.await(5, TimeUnit.SECONDS)).isTrue();
    boolean cancelled = task.get().cancel(); // foreign: CAS, then hop behind the handler above
    cancelCalled.countDown();
    completion(group);

    assertThat(cancelled).isTrue();
    assertThat(task.get().state()).isEqualTo(TaskState.SUCCEEDED);
    assertThat(hookRan).as("onCancel hook of a task whose result won").isFalse();
  }
}
