package dev.taskgroup.mutiny;

import static dev.taskgroup.mutiny.Unis.on;
import static org.assertj.core.api.Assertions.assertThat;

import dev.taskgroup.CancelReason;
import dev.taskgroup.HedgeOptions;
import dev.taskgroup.RetryOptions;
import dev.taskgroup.Task;
import dev.taskgroup.TaskCancelledException;
import dev.taskgroup.TaskFn;
import dev.taskgroup.TaskGroup;
import dev.taskgroup.TaskGroupException;
import dev.taskgroup.TaskScope;
import dev.taskgroup.TaskState;
import dev.taskgroup.TaskTimeoutException;
import dev.taskgroup.VertxTest;
import io.smallrye.mutiny.Uni;
import io.smallrye.mutiny.operators.AbstractUni;
import io.smallrye.mutiny.subscription.UniSubscriber;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.Test;

/** Issue 16, item 1: a {@code Uni} as a task ({@link UniTaskGroup#task}). */
class UniTaskTest extends MutinyTest {
  private final ExecutorService pool = Executors.newFixedThreadPool(2);

  @AfterEach
  void stopPool() {
    pool.shutdownNow();
  }

  @Nested
  class Outcomes {
    @Test
    void theItemOfTheUniIsTheTasksResult() {
      TaskFn<String> fn = UniTaskGroup.task(scope -> Unis.later("a"));
      assertThat(await(TaskGroup.all(vertx, List.of(fn, UniTaskGroup.task(scope -> Uni.createFrom().item("b"))))))
          .containsExactly("a", "b");
    }

    @Test
    void aNullItemIsAResult() {
      TaskFn<String> fn = UniTaskGroup.task(scope -> Uni.createFrom().nullItem());
      assertThat(await(TaskGroup.all(vertx, List.of(fn, UniTaskGroup.task(scope -> Unis.later(null))))))
          .containsExactly(null, null);
    }

    @Test
    void theFailureOfTheUniIsTheTasksFailure() {
      IOException boom = new IOException("boom");
      Throwable failure = awaitFailure(TaskGroup.all(vertx, List.of(UniTaskGroup.<String>task(scope -> Unis.failingLater(boom)))));
      assertThat(failure).isInstanceOf(TaskGroupException.class);
      assertThat(((TaskGroupException) failure).exceptions()).containsExactly(boom);
    }

    @Test
    void aSupplierThatThrowsIsAFailedTaskWithThatException() {
      IllegalStateException thrown = new IllegalStateException("no Uni today");
      Throwable failure = awaitFailure(TaskGroup.all(vertx, List.of(UniTaskGroup.<String>task(scope -> {
        throw thrown;
      }))));
      assertThat(((TaskGroupException) failure).exceptions()).containsExactly(thrown);
    }

    @Test
    void aUniThatEmitsOnAnotherThreadHandsItsItemBackToTheGroupsContext() {
      Context context = vertx.getOrCreateContext();
      AtomicReference<Thread> emittedOn = new AtomicReference<>();
      AtomicReference<Context> listenerOn = new AtomicReference<>();
      TaskFn<String> fn = UniTaskGroup.task(scope -> Uni.createFrom().item("x").emitOn(pool)
          .invoke(x -> emittedOn.set(Thread.currentThread())));
      String result = await(on(context, () -> TaskGroup.run(vertx, g -> {
        Task<String> t = g.spawn(fn);
        return t.future().andThen(ar -> listenerOn.set(Vertx.currentContext()));
      })));
      assertThat(result).isEqualTo("x");
      assertThat(emittedOn.get().getName()).startsWith("pool-");
      assertThat(listenerOn.get()).isSameAs(context);
    }
  }

  @Nested
  class TheSupplier {
    @Test
    void isCalledOnTheGroupsContextWithTheTasksScopeEachTimeTheFunctionRuns() {
      Context context = vertx.getOrCreateContext();
      List<Context> calledOn = new CopyOnWriteArrayList<>();
      List<TaskScope> scopes = new CopyOnWriteArrayList<>();
      TaskFn<Integer> fn = UniTaskGroup.task(scope -> {
        calledOn.add(Vertx.currentContext());
        scopes.add(scope);
        return Uni.createFrom().item(scopes.size());
      });
      assertThat(calledOn).isEmpty(); // made, not run
      await(on(context, () -> TaskGroup.all(vertx, List.of(fn, fn))));
      assertThat(calledOn).containsExactly(context, context);
      assertThat(scopes).hasSize(2).doesNotHaveDuplicates();
    }

    @Test
    void ofARetriedTaskSubscribesAfreshForEveryAttempt() {
      AtomicInteger attempts = new AtomicInteger();
      TaskFn<Integer> flaky = UniTaskGroup.task(scope -> attempts.incrementAndGet() < 3
          ? Uni.createFrom().failure(new IOException("attempt " + scope.attempt()))
          : Uni.createFrom().item(scope.attempt()));
      TaskFn<Integer> retried = flaky.retried(new RetryOptions().setMaxAttempts(3).setInitialDelay(Duration.ofMillis(1))
          .setMaxDelay(Duration.ofMillis(1)));
      assertThat(await(TaskGroup.all(vertx, List.of(retried)))).containsExactly(3);
      assertThat(attempts).hasValue(3);
    }
  }

  @Nested
  class ResiliencePatterns {
    @Test
    void aHedgedUniTaskCancelsTheLosingAttemptsSubscription() {
      Unis.Probe<String> first = new Unis.Probe<>();
      TaskFn<String> read = UniTaskGroup.task(scope -> scope.attempt() == 1 ? first.hanging() : Unis.later("attempt 2"));
      TaskFn<String> hedged = read.hedged(new HedgeOptions().setMaxAttempts(2).setDelay(Duration.ofMillis(5)));
      assertThat(await(TaskGroup.all(vertx, List.of(hedged)))).containsExactly("attempt 2");
      assertThat(first.cancelled).hasValue(1);
      assertThat(first.live).hasValue(0);
    }
  }

  @Nested
  class Cancellation {
    @Test
    void cancellingTheScopeCancelsTheSubscriptionAndEndsTheTaskWithTheCancellation() {
      Unis.Probe<String> probe = new Unis.Probe<>();
      AtomicReference<Task<String>> task = new AtomicReference<>();
      await(TaskGroup.run(vertx, g -> {
        task.set(g.spawn(UniTaskGroup.task(scope -> probe.hanging())));
        g.cancel();
        return Future.succeededFuture();
      }));
      assertThat(probe.cancelled).hasValue(1);
      assertThat(probe.live).hasValue(0);
      assertThat(task.get().state()).isEqualTo(TaskState.CANCELLED);
      Throwable cause = awaitFailure(task.get().future());
      assertThat(cause).isInstanceOf(TaskCancelledException.class);
      assertThat(((TaskCancelledException) cause).reason()).isEqualTo(CancelReason.EXPLICIT);
    }

    @Test
    void anItemOrFailureEmittedAfterTheCancellationIsIgnored() {
      // a Uni that ignores its cancellation and emits anyway (Mutiny's own emitters drop it; this one does not)
      List<UniSubscriber<? super String>> subscribers = new CopyOnWriteArrayList<>();
      AtomicBoolean cancelSeen = new AtomicBoolean();
      Uni<String> stubborn = new AbstractUni<>() {
        @Override
        public void subscribe(UniSubscriber<? super String> subscriber) {
          subscribers.add(subscriber);
          subscriber.onSubscribe(() -> cancelSeen.set(true));
        }
      };
      List<Throwable> reported = new CopyOnWriteArrayList<>();
      Context context = vertx.getOrCreateContext();
      context.exceptionHandler(reported::add);
      AtomicReference<Task<String>> task = new AtomicReference<>();
      await(on(context, () -> TaskGroup.run(vertx, g -> {
        task.set(g.spawn(UniTaskGroup.task(scope -> stubborn)));
        g.cancel();
        subscribers.get(0).onItem("late");
        subscribers.get(0).onFailure(new IOException("later"));
        return Future.succeededFuture();
      })));
      assertThat(cancelSeen).isTrue();
      assertThat(task.get().state()).isEqualTo(TaskState.CANCELLED);
      assertThat(reported).isEmpty();
    }

    @Test
    void inAScopeAlreadyCancelledTheUniIsNeverSubscribed() {
      Unis.Probe<String> probe = new Unis.Probe<>();
      AtomicReference<Future<String>> ran = new AtomicReference<>();
      await(TaskGroup.run(vertx, g -> {
        g.cancel();
        try {
          ran.set(UniTaskGroup.task(scope -> probe.hanging()).run(g)); // run by hand in the cancelled group's scope
        } catch (Exception e) {
          ran.set(Future.failedFuture(e));
        }
        return Future.succeededFuture();
      }));
      assertThat(awaitFailure(ran.get())).isInstanceOf(TaskCancelledException.class);
      assertThat(probe.subscribed).hasValue(0);
    }

    @Test
    void aTimeoutCancelsTheSubscriptionAndFailsWithTaskTimeoutException() {
      Unis.Probe<String> probe = new Unis.Probe<>();
      TaskFn<String> bounded = UniTaskGroup.task(scope -> probe.hanging()).withTimeout(Duration.ofMillis(20));
      Throwable failure = awaitFailure(TaskGroup.all(vertx, List.of(bounded)));
      assertThat(((TaskGroupException) failure).exceptions()).singleElement().isInstanceOf(TaskTimeoutException.class);
      assertThat(probe.cancelled).hasValue(1);
      assertThat(probe.live).hasValue(0);
    }

    @RepeatedTest(50)
    void anItemRacingTheCancellationFromAnotherThreadEndsTheTaskExactlyOnce() throws Exception {
      Unis.Probe<String> probe = new Unis.Probe<>();
      Promise<TaskGroup> opened = Promise.promise();
      AtomicReference<Task<String>> task = new AtomicReference<>();
      Future<Void> group = TaskGroup.run(vertx, g -> {
        task.set(g.spawn(UniTaskGroup.task(scope -> probe.hanging())));
        opened.complete(g);
        return Future.succeededFuture();
      });
      TaskGroup g = await(opened.future());
      await(probe.firstSubscription());
      CountDownLatch start = new CountDownLatch(1);
      java.util.concurrent.Future<?> item = pool.submit(() -> {
        start.await();
        probe.complete(0, "item");
        return null;
      });
      java.util.concurrent.Future<?> cancel = pool.submit(() -> {
        start.await();
        g.cancel();
        return null;
      });
      start.countDown();
      item.get(10, TimeUnit.SECONDS);
      cancel.get(10, TimeUnit.SECONDS);
      await(group);
      assertThat(task.get().state()).isIn(TaskState.SUCCEEDED, TaskState.CANCELLED);
      if (task.get().state() == TaskState.SUCCEEDED) {
        assertThat(await(task.get().future())).isEqualTo("item");
      }
      assertThat(probe.live).hasValue(0);
      assertThat(probe.cancelled.get()).isBetween(0, 1);
    }
  }
}
