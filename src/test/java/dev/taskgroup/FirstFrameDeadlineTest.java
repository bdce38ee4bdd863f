package dev.taskgroup;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.Test;

/**
 * A group's own deadline on an event loop is queued as the group's first frame ends, and only if
 * the group is still open then: one that completes in its first frame makes no deadline queue, and
 * one that stays open is bounded exactly as if it had been queued at the start.
 */
class FirstFrameDeadlineTest extends VertxTest {
  private static final TaskGroupOptions THIRTY_SECONDS = new TaskGroupOptions().setTimeout(Duration.ofSeconds(30));

  @Test
  void aGroupThatCompletesInItsFirstFrameMakesNoDeadlineQueue() {
    Context context = vertx.getOrCreateContext();
    AtomicReference<TaskGroup> group = new AtomicReference<>();
    AtomicInteger queuesInTheBody = new AtomicInteger(-1);
    String result = await(await(call(context, () -> TaskGroup.run(vertx, THIRTY_SECONDS, g -> {
      group.set(g);
      queuesInTheBody.set(g.impl.deadlines.queueCount());
      return Future.succeededFuture("now");
    }))));
    assertThat(result).isEqualTo("now");
    assertThat(queuesInTheBody).hasValue(0);
    assertThat(await(call(context, () -> group.get().impl.deadlines.queueCount()))).isZero();
  }

  @Test
  void theBodySeesItsDeadlineBeforeItIsQueued() {
    Context context = vertx.getOrCreateContext();
    AtomicReference<Optional<Duration>> seen = new AtomicReference<>();
    await(await(call(context, () -> TaskGroup.run(vertx, THIRTY_SECONDS, g -> {
      seen.set(g.remaining());
      return Future.succeededFuture();
    }))));
    assertThat(seen.get()).hasValueSatisfying(d -> assertThat(d).isBetween(Duration.ofSeconds(29), Duration.ofSeconds(30)));
  }

  @Test
  void aGroupThatCompletedInItsFirstFrameHasNoDeadlineLeft() {
    Context context = vertx.getOrCreateContext();
    AtomicReference<TaskGroup> group = new AtomicReference<>();
    await(await(call(context, () -> TaskGroup.run(vertx, THIRTY_SECONDS, g -> {
      group.set(g);
      return Future.succeededFuture();
    }))));
    assertThat(await(call(context, () -> group.get().remaining()))).isEmpty();
  }

  @Test
  void aGroupStillOpenAfterItsFirstFrameQueuesTheDeadlineItsBodySaw() {
    Context context = vertx.getOrCreateContext();
    AtomicReference<TaskGroup> group = new AtomicReference<>();
    AtomicLong seenInTheBody = new AtomicLong();
    Promise<String> work = Promise.promise();
    Future<String> result = await(call(context, () -> TaskGroup.run(vertx, THIRTY_SECONDS, g -> {
      group.set(g);
      seenInTheBody.set(g.impl.ownDeadlineNanos());
      return work.future();
    })));
    long queued = await(call(context, () -> {
      assertThat(group.get().impl.deadlines.size()).isEqualTo(1);
      return group.get().impl.ownDeadlineNanos();
    }));
    assertThat(queued).isEqualTo(seenInTheBody.get());
    await(call(context, () -> {
      work.complete("done");
      return null;
    }));
    assertThat(await(result)).isEqualTo("done");
  }

  @Test
  void aGroupStillOpenAfterItsFirstFrameTimesOut() {
    Context context = vertx.getOrCreateContext();
    Throwable failure = awaitFailure(await(call(context, () -> TaskGroup.run(vertx,
        new TaskGroupOptions().setTimeout(Duration.ofMillis(30)), g -> {
          Promise<Void> never = Promise.promise();
          g.onCancel(never::fail);
          return never.future();
        }))));
    assertThat(failure).isInstanceOf(TaskGroupException.class);
    assertThat(((TaskGroupException) failure).exceptions()).singleElement().isInstanceOf(TaskTimeoutException.class);
  }

  @RepeatedTest(5)
  void theGroupsDeadlineFiresBeforeASleepOfTheSameDurationStartedInItsBody() {
    Context context = vertx.getOrCreateContext();
    // The sleep's deadline is later than the group's (it starts after the group), in a queue of the
    // same duration: the group's deadline must still fire first, so the group times out.
    Throwable failure = awaitFailure(await(call(context, () -> TaskGroup.run(vertx,
        new TaskGroupOptions().setTimeout(Duration.ofMillis(30)), g -> g.sleep(Duration.ofMillis(30))))));
    assertThat(failure).isInstanceOf(TaskGroupException.class);
    assertThat(((TaskGroupException) failure).exceptions()).singleElement().isInstanceOf(TaskTimeoutException.class);
  }

  @Test
  void aNestedGroupThatCompletesInItsFirstFrameMakesNoDeadlineQueue() {
    Context context = vertx.getOrCreateContext();
    AtomicReference<TaskGroup> nested = new AtomicReference<>();
    await(await(call(context, () -> TaskGroup.run(vertx, g -> TaskGroup.run(g, THIRTY_SECONDS, n -> {
      nested.set(n);
      return Future.succeededFuture();
    })))));
    assertThat(await(call(context, () -> nested.get().impl.deadlines.queueCount()))).isZero();
  }
}
