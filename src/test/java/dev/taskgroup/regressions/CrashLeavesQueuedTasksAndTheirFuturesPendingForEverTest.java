package dev.taskgroup.regressions;

import static org.assertj.core.api.Assertions.assertThat;

import dev.taskgroup.Task;
import dev.taskgroup.TaskGroup;
import dev.taskgroup.TaskGroupOptions;
import dev.taskgroup.TaskState;
import dev.taskgroup.VertxTest;
import io.vertx.core.AsyncResult;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * Bug (found in review), two parts:
 * <ol>
 * <li>{@code GroupImpl.runHook} catches a hook's throw and then builds the abort message with
 * {@code "... threw " + e}, which calls the error's {@code getMessage()} (user code) outside any
 * guard: if that throws, the throw escapes the hook handling and crashes the whole group (it
 * should have been recorded as the hook's error).</li>
 * <li>{@code GroupImpl.crash()} drops the queue ({@code queued = 0; queueHead = null}) without
 * cancelling the queued tasks: they stay PENDING for ever, and a {@code future()} asked of one
 * while it was queued (kept in {@code queuedFutures}) never completes; the map keeps it too.</li>
 * </ol>
 * Semantics 10: nothing hangs silently.
 */
class CrashLeavesQueuedTasksAndTheirFuturesPendingForEverTest extends VertxTest {

  static final class UnreadableMessage extends RuntimeException {
    @Override
    public String getMessage() {
      throw new IllegalStateException("message not available");
    }
  }

  private final AtomicReference<Future<Object>> groupFuture = new AtomicReference<>();

  @Test
  void aHookErrorWhoseMessageThrowsIsRecordedNotACrash() throws Exception {
    try {
      aQueuedTasksFutureCompletesWhenTheGroupEnds();
    } catch (AssertionError ignored) { // the other test's subject
    }
    Throwable failure = awaitFailure(groupFuture.get());
    assertThat(failure).isInstanceOf(dev.taskgroup.TaskGroupException.class);
    assertThat(((dev.taskgroup.TaskGroupException) failure).exceptions()).singleElement().isInstanceOf(UnreadableMessage.class);
  }

  @Test
  void aQueuedTasksFutureCompletesWhenTheGroupEnds() throws Exception {
    AtomicReference<Task<Object>> queued = new AtomicReference<>();
    AtomicReference<Future<Object>> queuedFuture = new AtomicReference<>();
    Future<Object> group = TaskGroup.run(vertx, new TaskGroupOptions().setMaxConcurrency(1), g -> {
      Task<Object> blocker = g.spawn("blocker", s -> {
        Promise<Object> p = Promise.promise();
        s.onCancel(c -> {
          throw new UnreadableMessage();
        });
        s.onCancel(p::tryFail);
        return p.future();
      });
      queued.set(g.spawn("queued", s -> Future.succeededFuture("ran")));
      queuedFuture.set(queued.get().future());
      blocker.cancel();
      return Future.succeededFuture();
    });
    groupFuture.set(group);
    completion(group, Duration.ofSeconds(3));
    AsyncResult<Object> q = completion(queuedFuture.get(), Duration.ofSeconds(3));
    assertThat(q.failed()).isTrue();
    assertThat(queued.get().state()).isEqualTo(TaskState.CANCELLED);
  }
}
