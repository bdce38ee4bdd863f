package dev.taskgroup.regressions;

import static org.assertj.core.api.Assertions.assertThat;

import dev.taskgroup.TaskGroup;
import dev.taskgroup.VertxTest;
import io.vertx.core.AsyncResult;
import io.vertx.core.Future;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * Bug (found in review): {@code GroupImpl.maybeComplete} sets {@code state = COMPLETED} before it
 * builds the outcome and completes the promise. If anything throws in between (here: the
 * {@code TaskGroupException} constructor calls the first error's {@code getMessage()}, user code,
 * which throws; an OutOfMemoryError building the exception is the same path), the frame's catch
 * calls {@code crash(e)}, which sees COMPLETED, only reports the error to the context and returns:
 * the group's future never completes. Semantics 10: nothing hangs silently.
 */
class GroupHangsWhenItsCompletionThrowsAfterItIsMarkedCompletedTest extends VertxTest {

  /** An error whose message cannot be read (a lazily built message that fails, say). */
  static final class UnreadableMessage extends RuntimeException {
    @Override
    public String getMessage() {
      throw new IllegalStateException("message not available");
    }
  }

  @Test
  void aFailedTaskWhoseMessageThrowsStillCompletesTheGroup() throws Exception {
    Future<Object> group = TaskGroup.run(vertx, g -> {
      g.spawn("bad", s -> Future.failedFuture(new UnreadableMessage()));
      return Future.succeededFuture();
    });
    AsyncResult<Object> done = completion(group, Duration.ofSeconds(3));
    assertThat(done.failed()).isTrue();
  }
}
