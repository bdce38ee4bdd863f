package dev.taskgroup;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/** The group's contract: spawning, failing fast, lifecycle and bad input, and how it describes itself. */
class TaskGroupTest extends VertxTest {

  @Nested
  class Spawning {
    @Test
    void groupCompletesWithTheBodysResultOnceEveryTaskSettled() {
      List<String> order = new ArrayList<>();
      Future<String> result = TaskGroup.run(vertx, group -> {
        group.spawn(scope -> later("a").run(scope).onSuccess(order::add));
        group.spawn(scope -> later("b").run(scope).onSuccess(order::add));
        return Future.succeededFuture("body");
      }).onSuccess(order::add);

      assertThat(await(result)).isEqualTo("body");
      assertThat(order).containsExactly("a", "b", "body");
    }

    @Test
    void groupWaitsForATaskThatOutlivesTheBody() {
      Promise<String> slow = Promise.promise();
      Context context = vertx.getOrCreateContext();
      Future<String> result = await(call(context, () -> TaskGroup.run(vertx, group -> {
        group.spawn(scope -> slow.future());
        return Future.succeededFuture("body done");
      })));

      assertThat(await(call(context, result::isComplete))).isFalse();
      context.runOnContext(v -> slow.complete("late"));
      assertThat(await(result)).isEqualTo("body done");
    }

    @Test
    void taskCanSpawnIntoItsOwnGroupWhileItRuns() {
      List<String> seen = new ArrayList<>();
      await(TaskGroup.run(vertx, group -> {
        group.spawn(scope -> {
          group.spawn(inner -> later("child").run(inner).onSuccess(seen::add));
          return later("parent").run(scope).onSuccess(seen::add);
        });
        return Future.succeededFuture();
      }));
      assertThat(seen).containsExactlyInAnyOrder("parent", "child");
    }

    @Test
    void taskCanSpawnAfterTheBodyFinishedWhileTheGroupWaits() {
      AtomicBoolean bodyDone = new AtomicBoolean();
      AtomicBoolean spawnedLate = new AtomicBoolean();
      await(TaskGroup.run(vertx, group -> {
        group.spawn(scope -> later("x").run(scope).compose(x -> {
          assertThat(bodyDone).isTrue();
          return group.spawn(s -> later("late").run(s).onSuccess(v -> spawnedLate.set(true))).future();
        }));
        bodyDone.set(true);
        return Future.succeededFuture();
      }));
      assertThat(spawnedLate).isTrue();
    }

    @Test
    void taskThatCompletesSynchronouslyDoesNotFinishTheGroupEarly() {
      Promise<String> slow = Promise.promise();
      Context context = vertx.getOrCreateContext();
      Future<Void> result = await(call(context, () -> TaskGroup.run(vertx, group -> {
        group.spawn(scope -> Future.succeededFuture("sync"));
        group.spawn(scope -> slow.future());
        return Future.succeededFuture();
      })));
      assertThat(await(call(context, result::isComplete))).isFalse();
      context.runOnContext(v -> slow.complete("done"));
      await(result);
    }

    @Test
    void unnamedTasksAreNamedAfterTheirSpawnNumber() {
      List<String> names = await(TaskGroup.run(vertx, group -> {
        Task<Integer> first = group.spawn(scope -> Future.succeededFuture(1));
        Task<Integer> named = group.spawn("profile", scope -> Future.succeededFuture(2));
        Task<Integer> third = group.spawn(scope -> Future.succeededFuture(3));
        return Future.succeededFuture(List.of(first.name(), named.name(), third.name()));
      }));
      assertThat(names).containsExactly("task-0", "profile", "task-2");
    }

    @Test
    void taskFutureCarriesTheTaskResultAndStateEndsSucceeded() {
      AtomicReference<Task<String>> task = new AtomicReference<>();
      String value = await(TaskGroup.run(vertx, group -> {
        task.set(group.spawn(later("v")));
        return task.get().future();
      }));
      assertThat(value).isEqualTo("v");
      assertThat(task.get().state()).isEqualTo(TaskState.SUCCEEDED);
    }
  }

  @Nested
  class FailFast {
    @Test
    void failingTaskCancelsItsSiblingsAndTheGroupFailsWithItsError() {
      IOException boom = new IOException("boom");
      AtomicReference<Task<String>> sibling = new AtomicReference<>();
      Throwable error = awaitFailure(TaskGroup.run(vertx, group -> {
        sibling.set(group.spawn("sibling", untilCancelled()));
        group.spawn("failing", failingLater(boom));
        return Future.succeededFuture();
      }));

      assertThat(error).isInstanceOf(TaskGroupException.class);
      assertThat(((TaskGroupException) error).exceptions()).containsExactly(boom);
      assertThat(sibling.get().state()).isEqualTo(TaskState.CANCELLED);
    }

    @Test
    void siblingsSeeTheReasonSiblingFailed() {
      AtomicReference<CancelReason> reason = new AtomicReference<>();
      awaitFailure(TaskGroup.run(vertx, group -> {
        group.spawn(scope -> {
          scope.onCancel(c -> reason.set(c.reason()));
          return untilCancelled().run(scope);
        });
        group.spawn(failingLater(new IOException("boom")));
        return Future.succeededFuture();
      }));
      assertThat(reason.get()).isEqualTo(CancelReason.SIBLING_FAILED);
    }

    @Test
    void childFailingWhileTheBodyWaitsCancelsTheBody() {
      IOException boom = new IOException("boom");
      AtomicReference<Throwable> bodySaw = new AtomicReference<>();
      Throwable error = awaitFailure(TaskGroup.run(vertx, group -> {
        group.spawn(failingLater(boom));
        return group.sleep(java.time.Duration.ofSeconds(30)).onFailure(bodySaw::set);
      }));

      assertThat(bodySaw.get()).isInstanceOf(TaskCancelledException.class);
      assertThat(((TaskGroupException) error).exceptions()).containsExactly(boom);
    }

    @Test
    void severalChildrenFailingInOneTurnAreAllReportedInCompletionOrder() {
      IOException first = new IOException("first");
      IllegalStateException second = new IllegalStateException("second");
      Promise<String> a = Promise.promise();
      Promise<String> b = Promise.promise();
      Throwable error = awaitFailure(TaskGroup.run(vertx, group -> {
        group.spawn(scope -> a.future());
        group.spawn(scope -> b.future());
        group.context().runOnContext(v -> {
          a.fail(first);
          b.fail(second);
        });
        return Future.succeededFuture();
      }));
      assertThat(((TaskGroupException) error).exceptions()).containsExactly(first, second);
    }

    @Test
    void errorRaisedDuringCleanupAfterCancellationIsReported() {
      IOException boom = new IOException("boom");
      IOException cleanup = new IOException("cleanup failed");
      Throwable error = awaitFailure(TaskGroup.run(vertx, group -> {
        group.spawn(scope -> {
          Promise<String> p = Promise.promise();
          scope.onCancel(c -> scope.context().runOnContext(v -> p.fail(cleanup)));
          return p.future();
        });
        group.spawn(failingLater(boom));
        return Future.succeededFuture();
      }));
      assertThat(((TaskGroupException) error).exceptions()).containsExactly(boom, cleanup);
    }

    @Test
    void cancelledSiblingsAreNeverReportedAsErrors() {
      IOException boom = new IOException("boom");
      Throwable error = awaitFailure(TaskGroup.run(vertx, group -> {
        for (int i = 0; i < 5; i++) {
          group.spawn(untilCancelled());
        }
        group.spawn(failingLater(boom));
        return Future.succeededFuture();
      }));
      assertThat(((TaskGroupException) error).exceptions()).containsExactly(boom);
      assertThat(error.getCause()).isSameAs(boom);
      assertThat(error.getSuppressed()).isEmpty();
    }

    @Test
    void bodyErrorIsGroupedWithTheChildrensErrors() {
      IllegalStateException bodyError = new IllegalStateException("body");
      IOException cleanup = new IOException("cleanup");
      Throwable error = awaitFailure(TaskGroup.run(vertx, group -> {
        group.spawn(scope -> {
          Promise<String> p = Promise.promise();
          scope.onCancel(c -> p.fail(cleanup));
          return p.future();
        });
        return Future.failedFuture(bodyError);
      }));
      assertThat(((TaskGroupException) error).exceptions()).containsExactly(bodyError, cleanup);
    }

    @Test
    void bodyThatPassesOnATaskErrorReportsItOnce() {
      IOException boom = new IOException("boom");
      Throwable error = awaitFailure(TaskGroup.run(vertx, group -> group.spawn(failingLater(boom)).future()));
      assertThat(((TaskGroupException) error).exceptions()).containsExactly(boom);
    }

    @Test
    void nestedGroupErrorsFlowUpAsOneElement() {
      IOException deep = new IOException("deep");
      Throwable error = awaitFailure(TaskGroup.run(vertx, group -> {
        group.spawn("outer", scope -> TaskGroup.run(scope, new TaskGroupOptions().setName("inner"), inner -> {
          inner.spawn(failingLater(deep));
          return Future.succeededFuture();
        }));
        return Future.succeededFuture();
      }));
      List<Throwable> top = ((TaskGroupException) error).exceptions();
      assertThat(top).hasSize(1).first().isInstanceOf(TaskGroupException.class);
      assertThat(((TaskGroupException) top.get(0)).exceptions()).containsExactly(deep);
      assertThat(top.get(0)).hasMessageContaining("inner");
    }
  }

  @Nested
  class LifecycleAndBadInput {
    @Test
    void spawnAfterCompletionThrowsSayingSoAndTheTaskNeverRuns() {
      AtomicReference<TaskGroup> ref = new AtomicReference<>();
      await(TaskGroup.run(vertx, group -> {
        ref.set(group);
        return Future.succeededFuture();
      }));
      AtomicBoolean ran = new AtomicBoolean();
      Throwable error = awaitFailure(call(ref.get().context(), () -> ref.get().spawn(scope -> {
        ran.set(true);
        return Future.succeededFuture();
      })));
      assertThat(error).isInstanceOf(IllegalStateException.class).hasMessageContaining("has completed");
      assertThat(ran).isFalse();
    }

    @Test
    void spawnWhileTheGroupShutsDownThrowsSayingSoAndTheTaskNeverRuns() {
      AtomicReference<Throwable> rejected = new AtomicReference<>();
      AtomicBoolean ran = new AtomicBoolean();
      awaitFailure(TaskGroup.run(vertx, group -> {
        group.spawn(scope -> {
          scope.onCancel(c -> {
            try {
              group.spawn(s -> {
                ran.set(true);
                return Future.succeededFuture();
              });
            } catch (IllegalStateException e) {
              rejected.set(e);
            }
          });
          return untilCancelled().run(scope);
        });
        group.spawn(failingLater(new IOException("boom")));
        return Future.succeededFuture();
      }));
      assertThat(rejected.get()).hasMessageContaining("shutting down").hasMessageContaining("failed");
      assertThat(ran).isFalse();
    }

    @Test
    void nullTaskFunctionIsRejectedAndTheGroupGoesOn() {
      String result = await(TaskGroup.run(vertx, group -> {
        assertThatThrownBy(() -> group.spawn(null)).isInstanceOf(NullPointerException.class)
            .hasMessageContaining("task function");
        return group.spawn(later("still fine")).future();
      }));
      assertThat(result).isEqualTo("still fine");
    }

    @Test
    void taskThatThrowsSynchronouslyIsAFailedTaskNotACrash() {
      IllegalArgumentException thrown = new IllegalArgumentException("bad argument");
      AtomicReference<Task<String>> task = new AtomicReference<>();
      Throwable error = awaitFailure(TaskGroup.run(vertx, group -> {
        task.set(group.spawn("thrower", scope -> {
          throw thrown;
        }));
        return Future.succeededFuture();
      }));
      assertThat(((TaskGroupException) error).exceptions()).containsExactly(thrown);
      assertThat(task.get().state()).isEqualTo(TaskState.FAILED);
    }

    @Test
    void taskThatReturnsNullIsAFailedTaskWithAMessageNamingIt() {
      Throwable error = awaitFailure(TaskGroup.run(vertx, group -> {
        group.spawn("nully", scope -> null);
        return Future.succeededFuture();
      }));
      assertThat(((TaskGroupException) error).exceptions()).singleElement()
          .isInstanceOf(NullPointerException.class)
          .satisfies(e -> assertThat(e).hasMessageContaining("'nully' returned null"));
    }

    @Test
    void bodyThatThrowsFailsTheGroupAndCancelsItsTasks() {
      UncheckedIOException thrown = new UncheckedIOException(new IOException("body threw"));
      AtomicReference<Task<String>> task = new AtomicReference<>();
      Throwable error = awaitFailure(TaskGroup.run(vertx, group -> {
        task.set(group.spawn(untilCancelled()));
        throw thrown;
      }));
      assertThat(((TaskGroupException) error).exceptions()).containsExactly(thrown);
      assertThat(task.get().state()).isEqualTo(TaskState.CANCELLED);
    }

    @Test
    void bodyThatReturnsNullFailsTheGroupWithAMessageSayingSo() {
      Throwable error = awaitFailure(TaskGroup.run(vertx, new TaskGroupOptions().setName("g"), group -> null));
      assertThat(((TaskGroupException) error).exceptions()).singleElement()
          .satisfies(e -> assertThat(e).hasMessageContaining("body of task group 'g' returned null"));
    }

    @Test
    void spawnOffTheGroupsContextIsRejectedNamingTheThread() {
      Promise<Void> release = Promise.promise();
      TaskGroup group = openGroup(vertx.getOrCreateContext(), release);
      assertThatThrownBy(() -> group.spawn(later("x")))
          .isInstanceOf(IllegalStateException.class)
          .hasMessageContaining(Thread.currentThread().getName())
          .hasMessageContaining("outside the context");
      group.context().runOnContext(v -> release.complete());
    }

    @Test
    void nullArgumentsAreRejectedWithTheirNames() {
      assertThatThrownBy(() -> TaskGroup.run((io.vertx.core.Vertx) null, g -> Future.succeededFuture())).hasMessageContaining("vertx");
      assertThatThrownBy(() -> TaskGroup.run(vertx, null)).hasMessageContaining("body");
      assertThatThrownBy(() -> TaskGroup.run(vertx, null, g -> Future.succeededFuture())).hasMessageContaining("options");
    }

    @Test
    void aScopeFromAnotherLibraryIsRejectedAsParent() {
      TaskScope foreign = java.lang.reflect.Proxy.newProxyInstance(getClass().getClassLoader(),
          new Class<?>[] {TaskScope.class}, (p, m, a) -> null) instanceof TaskScope s ? s : null;
      assertThatThrownBy(() -> TaskGroup.run(foreign, g -> Future.succeededFuture()))
          .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("not a scope of this library");
    }
  }

  @Nested
  class Describing {
    @Test
    void groupToStringShowsNameStateRunningTasksErrorsAndCancellation() {
      AtomicReference<String> running = new AtomicReference<>();
      AtomicReference<String> aborting = new AtomicReference<>();
      awaitFailure(TaskGroup.run(vertx, new TaskGroupOptions().setName("dash"), group -> {
        group.spawn(untilCancelled());
        group.spawn(scope -> {
          scope.onCancel(c -> aborting.set(group.toString()));
          return untilCancelled().run(scope);
        });
        running.set(group.toString());
        group.spawn(failingLater(new IOException("x")));
        return Future.succeededFuture();
      }));
      assertThat(running.get()).isEqualTo("TaskGroup[dash, OPEN, running=2, queued=0, errors=0]");
      assertThat(aborting.get()).contains("dash", "ABORTING", "errors=1", "cancelled (SIBLING_FAILED)");
    }

    @Test
    void taskToStringShowsNameAndState() {
      AtomicReference<Task<String>> task = new AtomicReference<>();
      AtomicReference<String> whileRunning = new AtomicReference<>();
      await(TaskGroup.run(vertx, group -> {
        task.set(group.spawn("fetch", later("x")));
        whileRunning.set(task.get().toString());
        return Future.succeededFuture();
      }));
      assertThat(whileRunning.get()).isEqualTo("Task[fetch, RUNNING]");
      assertThat(task.get()).hasToString("Task[fetch, SUCCEEDED]");
    }
  }

  @Test
  void stateMovesFromRunningToAFinalStateOnce() {
    AtomicInteger completions = new AtomicInteger();
    Promise<String> p = Promise.promise();
    AtomicReference<Task<String>> task = new AtomicReference<>();
    await(TaskGroup.run(vertx, group -> {
      task.set(group.spawn(scope -> p.future()));
      task.get().future().onComplete(ar -> completions.incrementAndGet());
      assertThat(task.get().state()).isEqualTo(TaskState.RUNNING);
      p.complete("once");
      p.tryComplete("twice");
      return Future.succeededFuture();
    }));
    assertThat(task.get().state()).isEqualTo(TaskState.SUCCEEDED);
    assertThat(completions).hasValue(1);
    assertThat(await(task.get().future())).isEqualTo("once");
    assertThat(TaskState.CANCELLED.isDone()).isTrue();
    assertThat(TaskState.RUNNING.isDone()).isFalse();
    assertThat(new CancellationException()).isNotInstanceOf(TaskCancelledException.class);
  }
}
