package dev.taskgroup;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.RepeatedTest;

/**
 * The methods documented as callable from any thread never corrupt a group (issue 10, item 2):
 * racing callers see one consistent answer and the group's own lists are only touched on its
 * context.
 */
class ForeignThreadsTest extends VertxTest {
  static final int THREADS = 8;

  /** Runs {@code action} on {@link #THREADS} threads released together; waits for them. */
  static void together(Runnable action) throws Exception {
    CyclicBarrier start = new CyclicBarrier(THREADS);
    CountDownLatch done = new CountDownLatch(THREADS);
    for (int i = 0; i < THREADS; i++) {
      new Thread(() -> {
        try {
          start.await();
          action.run();
        } catch (Exception e) {
          throw new IllegalStateException(e);
        } finally {
          done.countDown();
        }
      }, "foreign-" + i).start();
    }
    done.await();
  }

  @RepeatedTest(50)
  void taskCancelledByEightThreadsAtOnceReportsTrueToExactlyOne() throws Exception {
    Context context = vertx.getOrCreateContext();
    Promise<Task<String>> spawned = Promise.promise();
    Future<Void> result = on(context, () -> TaskGroup.run(vertx, g -> {
      spawned.complete(g.spawn(untilCancelled()));
      return Future.succeededFuture();
    }));
    Task<String> task = await(spawned.future());
    AtomicInteger winners = new AtomicInteger();
    together(() -> {
      if (task.cancel()) {
        winners.incrementAndGet();
      }
    });
    await(result);
    assertThat(winners).hasValue(1);
    assertThat(task.state()).isEqualTo(TaskState.CANCELLED);
  }

  @RepeatedTest(50)
  void aQueuedTaskCancelledByEightThreadsAtOnceReportsTrueToExactlyOneAndNeverStarts() throws Exception {
    Context context = vertx.getOrCreateContext();
    Promise<Void> release = Promise.promise();
    Promise<Task<String>> spawned = Promise.promise();
    AtomicInteger started = new AtomicInteger();
    Future<Void> result = on(context, () -> TaskGroup.run(vertx, new TaskGroupOptions().setMaxConcurrency(1), g -> {
      g.spawn(s -> release.future());
      spawned.complete(g.spawn(s -> {
        started.incrementAndGet();
        return Future.succeededFuture("ran");
      }));
      return Future.succeededFuture();
    }));
    Task<String> queued = await(spawned.future());
    AtomicInteger winners = new AtomicInteger();
    together(() -> {
      if (queued.cancel()) {
        winners.incrementAndGet();
      }
    });
    context.runOnContext(v -> release.complete());
    await(result);
    assertThat(winners).hasValue(1);
    assertThat(started).hasValue(0);
    assertThat(queued.state()).isEqualTo(TaskState.CANCELLED);
  }

  @RepeatedTest(20)
  void registrationsRemovedFromForeignThreadsWhileHooksAreAddedLeaveTheGroupIntact() throws Exception {
    Context context = vertx.getOrCreateContext();
    Promise<Void> release = Promise.promise();
    TaskGroup g = openGroup(context, release);
    int perThread = 200;
    List<Registration> hooks = await(call(context, () -> {
      List<Registration> list = new ArrayList<>();
      for (int i = 0; i < THREADS * perThread; i++) {
        list.add(g.onCancel(c -> { }));
      }
      return list;
    }));
    AtomicInteger next = new AtomicInteger();
    together(() -> {
      for (int i = 0; i < perThread; i++) {
        hooks.get(next.getAndIncrement()).remove();
        context.runOnContext(v -> g.onCancel(c -> { }).remove()); // the context keeps using the list meanwhile
      }
    });
    assertThat(await(call(context, () -> g.impl.hookCount()))).isZero();
    context.runOnContext(v -> release.complete());
  }
}
