package dev.taskgroup;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Context;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.ThreadingModel;
import io.vertx.core.VerticleBase;
import io.vertx.core.Vertx;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledForJreRange;
import org.junit.jupiter.api.condition.JRE;

/**
 * Groups opened on a Vert.x {@code VIRTUAL_THREAD} context (issue 10, item 4): each task function
 * runs as its own virtual-thread task of that context, so blocking-style {@code Future.await}
 * calls overlap, and fail fast wakes a sibling awaiting something bound to its scope.
 */
@EnabledForJreRange(min = JRE.JAVA_21, disabledReason = "Vert.x virtual-thread contexts need JDK 21+")
class VirtualThreadsTest extends VertxTest {

  /** {@code Thread.isVirtual()} by reflection: the tests compile for Java 17. */
  static boolean isVirtual(Thread thread) {
    try {
      return (Boolean) Thread.class.getMethod("isVirtual").invoke(thread);
    } catch (ReflectiveOperationException e) {
      return false;
    }
  }

  /** Runs {@code body} in the start of a verticle deployed on a virtual-thread context. */
  <T> T onVirtualThread(Callable<T> body) {
    Promise<T> result = Promise.promise();
    vertx.deployVerticle(new VerticleBase() {
      @Override
      public Future<?> start() {
        try {
          result.complete(body.call());
        } catch (Throwable e) {
          result.fail(e);
        }
        return Future.succeededFuture();
      }
    }, new DeploymentOptions().setThreadingModel(ThreadingModel.VIRTUAL_THREAD)).onFailure(result::tryFail);
    return await(result.future());
  }

  /** {@return how a group opened with {@code body} on a virtual thread failed, or null if it did not} */
  Throwable failureOnVirtualThread(java.util.function.Function<TaskGroup, Future<Void>> body) {
    return onVirtualThread(() -> {
      try {
        Future.await(TaskGroup.run(vertx, body));
        return null;
      } catch (Throwable e) {
        return e;
      }
    });
  }

  @Test
  void tasksThatEachAwaitTheOthersStartOverlapInsteadOfRunningOneByOne() {
    int n = 4;
    List<Integer> results = onVirtualThread(() -> {
      AtomicInteger started = new AtomicInteger();
      Promise<Void> allStarted = Promise.promise();
      TaskFn<Integer> waitForTheOthers = scope -> {
        if (started.incrementAndGet() == n) {
          allStarted.complete();
        }
        Future.await(allStarted.future()); // one by one, the first would wait for ever
        return Future.succeededFuture(started.get());
      };
      return Future.await(TaskGroup.all(vertx, new TaskGroupOptions().setTimeout(Duration.ofSeconds(5)),
          List.of(waitForTheOthers, waitForTheOthers, waitForTheOthers, waitForTheOthers)));
    });
    assertThat(results).containsOnly(n);
  }

  @Test
  void everyTaskFunctionRunsOnTheGroupsContextOnAVirtualThread() {
    List<String> wrong = new CopyOnWriteArrayList<>();
    onVirtualThread(() -> {
      Context home = Vertx.currentContext();
      return Future.await(TaskGroup.run(vertx, g -> {
        for (int i = 0; i < 8; i++) {
          g.spawn(scope -> {
            if (Vertx.currentContext() != home || !isVirtual(Thread.currentThread())) {
              wrong.add(Thread.currentThread() + " on " + Vertx.currentContext());
            }
            Future.await(vertx.timer(1));
            return Future.succeededFuture();
          });
        }
        return Future.succeededFuture();
      }));
    });
    assertThat(wrong).isEmpty();
  }

  @Test
  void aFailingTaskWakesASiblingSpawnedBeforeItThatAwaitsAScopeSleep() {
    AtomicReference<Throwable> woken = new AtomicReference<>();
    IOException broke = new IOException("broke after a short wait");
    Throwable error = failureOnVirtualThread(g -> {
      g.spawn(scope -> {
        try {
          Future.await(scope.sleep(Duration.ofHours(1)));
        } catch (CancellationException e) {
          woken.set(e);
          throw e;
        }
        return Future.succeededFuture();
      });
      g.spawn(scope -> {
        Future.await(vertx.timer(20));
        throw broke;
      });
      return Future.succeededFuture();
    });
    assertThat(error).isInstanceOf(TaskGroupException.class).hasCause(broke);
    assertThat(woken.get()).isInstanceOf(TaskCancelledException.class);
    assertThat(((TaskCancelledException) woken.get()).reason()).isEqualTo(CancelReason.SIBLING_FAILED);
  }

  @Test
  void aFailingTaskWakesASiblingAwaitingANestedGroup() {
    IOException broke = new IOException("broke");
    AtomicReference<Throwable> nestedEnded = new AtomicReference<>();
    Throwable error = failureOnVirtualThread(g -> {
      g.spawn(scope -> {
        try {
          return Future.succeededFuture(Future.await(TaskGroup.run(scope, inner -> inner.spawn(untilCancelled()).future())));
        } catch (CancellationException e) {
          nestedEnded.set(e);
          throw e;
        }
      });
      g.spawn(scope -> {
        Future.await(vertx.timer(20));
        throw broke;
      });
      return Future.succeededFuture();
    });
    assertThat(error).isInstanceOf(TaskGroupException.class).hasCause(broke);
    assertThat(nestedEnded.get()).isInstanceOf(TaskCancelledException.class);
  }

  @Test
  void theBodyAwaitsItsTasksBlockingStyle() {
    String page = onVirtualThread(() -> Future.await(TaskGroup.run(vertx, g -> {
      Task<String> user = g.spawn(scope -> {
        Future.await(scope.sleep(Duration.ofMillis(5)));
        return Future.succeededFuture("user");
      });
      Task<String> orders = g.spawn(scope -> Future.succeededFuture("orders"));
      return Future.succeededFuture(Future.await(user.future()) + "+" + Future.await(orders.future()));
    })));
    assertThat(page).isEqualTo("user+orders");
  }

  @Test
  void aPatternsTimedTasksEachKeepADeadlineOfTheirOwnAndTimeOut() {
    List<Boolean> ownDeadline = new CopyOnWriteArrayList<>();
    List<TaskFn<Integer>> fns = new java.util.ArrayList<>();
    for (int i = 0; i < 300; i++) {
      TaskFn<Integer> f = i % 3 == 2 ? later(i) : scope -> {
        // each task function runs as its own context task, after the spawn loop: no shared block deadline
        GroupImpl<?> g = ((AbstractTask<?>) scope).group;
        ownDeadline.add(g.patternDeadlines != null && g.patternDeadlines[((AbstractTask<?>) scope).seq()] != null);
        return VertxTest.<Integer>untilCancelled().run(scope);
      };
      fns.add(i % 3 == 2 ? f : f.withTimeout(Duration.ofMillis(50)));
    }
    List<Outcome<Integer>> outcomes = onVirtualThread(() -> Future.await(TaskGroup.gather(vertx, fns)));
    for (int i = 0; i < 300; i++) {
      if (i % 3 == 2) {
        assertThat(outcomes.get(i).result()).isEqualTo(i);
      } else {
        assertThat(outcomes.get(i).cause()).isInstanceOf(TaskTimeoutException.class)
            .hasMessage("task 'task-" + i + "' timed out after 50 ms");
      }
    }
    assertThat(ownDeadline).hasSize(200).containsOnly(true);
  }

  @Test
  void forEachPullsAnIteratorThatAwaitsOneCallAtATimeWhileItsTasksAwaitToo() {
    AtomicInteger running = new AtomicInteger();
    AtomicInteger peak = new AtomicInteger();
    AtomicInteger ran = new AtomicInteger();
    List<String> wrong = new CopyOnWriteArrayList<>();
    java.util.Iterator<TaskFn<Void>> cursor = new java.util.Iterator<>() {
      private int next;
      private boolean inCall;

      @Override
      public boolean hasNext() {
        if (inCall) {
          wrong.add("hasNext called while another call awaited");
        }
        inCall = true;
        Future.await(vertx.timer(1)); // a cursor's fetch, blocking-style: the tasks run meanwhile
        inCall = false;
        return next < 20;
      }

      @Override
      public TaskFn<Void> next() {
        next++;
        return scope -> {
          peak.accumulateAndGet(running.incrementAndGet(), Math::max);
          Future.await(scope.sleep(Duration.ofMillis(2)));
          running.decrementAndGet();
          ran.incrementAndGet();
          return Future.succeededFuture();
        };
      }
    };
    onVirtualThread(() -> Future.await(TaskGroup.forEach(vertx, new TaskGroupOptions().setMaxConcurrency(3), cursor)));
    assertThat(wrong).isEmpty();
    assertThat(ran).hasValue(20);
    assertThat(peak.get()).isBetween(1, 3);
  }
}
