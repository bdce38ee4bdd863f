package dev.taskgroup;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.IntStream;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.Test;

/** Group state stays on the group's context whichever thread completes the work. */
class ThreadsTest extends VertxTest {
  private static final int TASKS = 200;

  private void assertGroupStaysHome(java.util.function.Consumer<Runnable> elsewhere) {
    Context context = vertx.getOrCreateContext();
    Thread[] groupThread = new Thread[1];
    List<String> wrongThreads = new CopyOnWriteArrayList<>();
    List<Integer> results = await(call(context, () -> {
      groupThread[0] = Thread.currentThread();
      return TaskGroup.all(vertx, IntStream.range(0, TASKS).mapToObj(i -> (TaskFn<Integer>) scope -> {
        Promise<Integer> p = Promise.promise();
        elsewhere.accept(() -> p.complete(i));
        return p.future();
      }).toList()).onComplete(ar -> {
        if (Thread.currentThread() != groupThread[0]) {
          wrongThreads.add(Thread.currentThread().getName());
        }
      });
    }).compose(f -> f));
    assertThat(results).hasSize(TASKS).startsWith(0, 1).endsWith(TASKS - 1);
    assertThat(wrongThreads).isEmpty();
  }

  @RepeatedTest(20)
  void tasksCompletedOnWorkerThreadsHopBackToTheGroupsContext() {
    assertGroupStaysHome(r -> vertx.executeBlocking(() -> {
      r.run();
      return null;
    }, false));
  }

  @RepeatedTest(20)
  void tasksCompletedOnForeignThreadsHopBackToTheGroupsContext() {
    assertGroupStaysHome(r -> new Thread(r, "foreign").start());
  }

  @RepeatedTest(20)
  void tasksCompletedOnAnotherEventLoopHopBackToTheGroupsContext() {
    Context other = vertx.getOrCreateContext();
    assertGroupStaysHome(r -> other.runOnContext(v -> r.run()));
  }

  @RepeatedTest(20)
  void cancellationFromAForeignThreadRacingWithCompletionsFromWorkersSettlesEveryTaskOnce() {
    Promise<TaskGroup> started = Promise.promise();
    List<String> wrongThreads = new CopyOnWriteArrayList<>();
    Thread[] home = new Thread[1];
    Future<Void> result = TaskGroup.run(vertx, g -> {
      home[0] = Thread.currentThread();
      for (int i = 0; i < TASKS; i++) {
        g.spawn(scope -> {
          Promise<Integer> p = Promise.promise();
          scope.onCancel(c -> {
            if (Thread.currentThread() != home[0]) {
              wrongThreads.add(Thread.currentThread().getName());
            }
            p.tryFail(c);
          });
          vertx.executeBlocking(() -> p.tryComplete(1), false);
          return p.future();
        });
      }
      started.complete(g);
      return Future.succeededFuture();
    });
    TaskGroup group = await(started.future());
    new Thread(group::cancel, "canceller").start();
    await(result);
    assertThat(wrongThreads).isEmpty();
    assertThat(await(call(group.context(), () -> group.impl.running()))).isZero();
  }

  @Test
  void taskFutureAskedForOffTheContextStillCompletes() {
    Promise<TaskGroup> started = Promise.promise();
    Promise<String> work = Promise.promise();
    Promise<Task<String>> task = Promise.promise();
    Future<Void> result = TaskGroup.run(vertx, g -> {
      task.complete(g.spawn(scope -> work.future()));
      started.complete(g);
      return Future.succeededFuture();
    });
    Future<String> fromTestThread = await(task.future()).future();
    await(started.future()).context().runOnContext(v -> work.complete("done"));
    assertThat(await(fromTestThread)).isEqualTo("done");
    await(result);
  }
}
