package dev.taskgroup;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** {@code maxConcurrency}: a FIFO queue that never blocks, never recurses, and drops cancelled entries. */
class ConcurrencyLimitTest extends VertxTest {

  @Test
  void spawnsPastTheLimitQueueInOrderAndStartAsSlotsFree() {
    Context context = vertx.getOrCreateContext();
    List<Integer> started = new ArrayList<>();
    List<Promise<Integer>> works = new ArrayList<>();
    AtomicInteger running = new AtomicInteger();
    AtomicInteger peak = new AtomicInteger();
    Future<Void> result = await(call(context, () -> TaskGroup.run(vertx, new TaskGroupOptions().setMaxConcurrency(2), g -> {
      for (int i = 0; i < 5; i++) {
        int n = i;
        g.spawn(scope -> {
          started.add(n);
          peak.accumulateAndGet(running.incrementAndGet(), Math::max);
          Promise<Integer> p = Promise.promise();
          works.add(p);
          return p.future().onComplete(ar -> running.decrementAndGet());
        });
      }
      return Future.succeededFuture();
    })));
    assertThat(started).containsExactly(0, 1);
    for (int i = 0; i < 5; i++) {
      int n = i;
      await(call(context, () -> {
        works.get(n).complete(n);
        return null;
      }));
    }
    await(result);
    assertThat(started).containsExactly(0, 1, 2, 3, 4);
    assertThat(peak).hasValue(2);
  }

  @Test
  void queuedTaskIsPendingUntilItStarts() {
    List<TaskState> states = await(TaskGroup.run(vertx, new TaskGroupOptions().setMaxConcurrency(1), g -> {
      Task<String> first = g.spawn(later("a"));
      Task<String> second = g.spawn(later("b"));
      return Future.succeededFuture(List.of(first.state(), second.state()));
    }));
    assertThat(states).containsExactly(TaskState.RUNNING, TaskState.PENDING);
  }

  @Test
  void futureAskedOfAQueuedTaskCompletesWithItsResultOnceItRuns() {
    String result = await(TaskGroup.run(vertx, new TaskGroupOptions().setMaxConcurrency(1), g -> {
      g.spawn(later("first"));
      Task<String> queued = g.spawn(later("second"));
      assertThat(queued.state()).isEqualTo(TaskState.PENDING);
      Future<String> asked = queued.future();
      assertThat(queued.future()).isSameAs(asked);
      return asked;
    }));
    assertThat(result).isEqualTo("second");
  }

  @Test
  void futureAskedOfAQueuedTaskFailsWhenTheTaskIsCancelledBeforeItStarts() {
    Throwable error = await(TaskGroup.run(vertx, new TaskGroupOptions().setMaxConcurrency(1), g -> {
      g.spawn(later("first"));
      Task<String> queued = g.spawn(later("never"));
      Future<String> asked = queued.future();
      queued.cancel();
      return asked.transform(ar -> Future.succeededFuture(ar.cause()));
    }));
    assertThat(error).isInstanceOf(TaskCancelledException.class);
  }

  @Test
  void queuedTaskThatIsCancelledNeverStarts() {
    AtomicBoolean ran = new AtomicBoolean();
    AtomicReference<Task<String>> queued = new AtomicReference<>();
    String result = await(TaskGroup.run(vertx, new TaskGroupOptions().setMaxConcurrency(1), g -> {
      Task<String> first = g.spawn(later("first"));
      queued.set(g.spawn(scope -> {
        ran.set(true);
        return Future.succeededFuture("never");
      }));
      assertThat(queued.get().cancel()).isTrue();
      return first.future();
    }));
    assertThat(result).isEqualTo("first");
    assertThat(ran).isFalse();
    assertThat(queued.get().state()).isEqualTo(TaskState.CANCELLED);
    assertThat(awaitFailure(queued.get().future())).isInstanceOf(TaskCancelledException.class);
  }

  @Test
  void queuedTasksNeverStartOnceTheGroupFails() {
    AtomicInteger starts = new AtomicInteger();
    awaitFailure(TaskGroup.run(vertx, new TaskGroupOptions().setMaxConcurrency(1), g -> {
      g.spawn(failingLater(new IllegalStateException("first fails")));
      for (int i = 0; i < 10; i++) {
        g.spawn(scope -> {
          starts.incrementAndGet();
          return Future.succeededFuture();
        });
      }
      return Future.succeededFuture();
    }));
    assertThat(starts).hasValue(0);
  }

  @Test
  void maxConcurrencyBelowOneIsRejectedWithTheValue() {
    assertThatThrownBy(() -> new TaskGroupOptions().setMaxConcurrency(0))
        .isInstanceOf(IllegalArgumentException.class).hasMessage("maxConcurrency must be at least 1, got 0");
    assertThatThrownBy(() -> new TaskGroupOptions().setMaxConcurrency(-3)).hasMessageContaining("-3");
  }

  @Test
  void hundredThousandSynchronousTasksUnderALimitDoNotOverflowTheStack() {
    int n = 100_000;
    List<Integer> results = await(TaskGroup.all(vertx, new TaskGroupOptions().setMaxConcurrency(1),
        java.util.stream.IntStream.range(0, n).<TaskFn<Integer>>mapToObj(i -> scope -> Future.succeededFuture(i)).toList()));
    assertThat(results).hasSize(n).startsWith(0, 1, 2).endsWith(n - 1);
  }

  @Test
  void hundredThousandSynchronousTasksWithoutALimitDoNotOverflowTheStack() {
    AtomicInteger done = new AtomicInteger();
    await(TaskGroup.run(vertx, g -> {
      for (int i = 0; i < 100_000; i++) {
        g.spawn(scope -> Future.succeededFuture()).future().onSuccess(v -> done.incrementAndGet());
      }
      return Future.succeededFuture();
    }));
    assertThat(done).hasValue(100_000);
  }

  @Test
  void taskChainsSpawningTheirSuccessorSynchronouslyDoNotOverflowTheStack() {
    AtomicInteger count = new AtomicInteger();
    await(TaskGroup.run(vertx, new TaskGroupOptions().setMaxConcurrency(4), g -> {
      TaskFn<Void>[] step = new TaskFn[1];
      step[0] = scope -> {
        if (count.incrementAndGet() < 50_000) {
          g.spawn(step[0]);
        }
        return Future.succeededFuture();
      };
      g.spawn(step[0]);
      return Future.succeededFuture();
    }));
    assertThat(count).hasValue(50_000);
  }
}
