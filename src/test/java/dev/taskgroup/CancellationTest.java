package dev.taskgroup;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/** Cooperative cancellation: of a group, of one task, of nested groups; hooks, sleeps, reasons. */
class CancellationTest extends VertxTest {

  @Nested
  class GroupCancel {
    @Test
    void cancelEndsTheGroupWithoutErrorAndCancelsEveryTask() {
      List<Task<String>> tasks = new ArrayList<>();
      String result = await(TaskGroup.run(vertx, group -> {
        tasks.add(group.spawn(untilCancelled()));
        tasks.add(group.spawn(untilCancelled()));
        group.cancel();
        return Future.succeededFuture("body result");
      }));
      assertThat(result).isEqualTo("body result");
      assertThat(tasks).extracting(Task::state).containsOnly(TaskState.CANCELLED);
    }

    @Test
    void cancelledTasksSeeTheReasonExplicit() {
      AtomicReference<CancelReason> reason = new AtomicReference<>();
      await(TaskGroup.run(vertx, group -> {
        group.spawn(scope -> {
          scope.onCancel(c -> reason.set(c.reason()));
          return untilCancelled().run(scope);
        });
        group.cancel();
        return Future.succeededFuture();
      }));
      assertThat(reason.get()).isEqualTo(CancelReason.EXPLICIT);
    }

    @Test
    void cancelIsIdempotent() {
      AtomicInteger hookRuns = new AtomicInteger();
      await(TaskGroup.run(vertx, group -> {
        group.onCancel(c -> hookRuns.incrementAndGet());
        group.spawn(untilCancelled());
        group.cancel();
        group.cancel();
        return Future.succeededFuture();
      }));
      assertThat(hookRuns).hasValue(1);
    }

    @Test
    void cancelAfterCompletionIsANoOp() {
      AtomicReference<TaskGroup> ref = new AtomicReference<>();
      String result = await(TaskGroup.run(vertx, group -> {
        ref.set(group);
        return Future.succeededFuture("done");
      }));
      ref.get().cancel();
      assertThat(result).isEqualTo("done");
      assertThat(await(call(ref.get().context(), () -> ref.get().isCancelled()))).isFalse();
    }

    @Test
    void cancelFromAForeignThreadHopsToTheGroupsContext() {
      Promise<TaskGroup> started = Promise.promise();
      AtomicReference<Thread> hookThread = new AtomicReference<>();
      AtomicReference<Thread> groupThread = new AtomicReference<>();
      Future<Void> result = TaskGroup.run(vertx, group -> {
        groupThread.set(Thread.currentThread());
        group.onCancel(c -> hookThread.set(Thread.currentThread()));
        group.spawn(untilCancelled());
        started.complete(group);
        return Future.succeededFuture();
      });
      TaskGroup group = await(started.future());
      group.cancel(); // from the test thread
      await(result);
      assertThat(hookThread.get()).isSameAs(groupThread.get());
    }

    @Test
    void errorsDuringCleanupAfterAnExplicitCancelStillFailTheGroup() {
      IOException cleanup = new IOException("cleanup");
      Throwable error = awaitFailure(TaskGroup.run(vertx, group -> {
        group.spawn(scope -> {
          Promise<String> p = Promise.promise();
          scope.onCancel(c -> p.fail(cleanup));
          return p.future();
        });
        group.cancel();
        return Future.succeededFuture();
      }));
      assertThat(((TaskGroupException) error).exceptions()).containsExactly(cleanup);
    }

    @Test
    void hookThatThrowsIsReportedAsAnErrorOfTheGroup() {
      IllegalStateException broken = new IllegalStateException("hook broke");
      Throwable error = awaitFailure(TaskGroup.run(vertx, group -> {
        group.spawn(scope -> {
          scope.onCancel(c -> {
            throw broken;
          });
          return untilCancelled().run(scope);
        });
        group.cancel();
        return Future.succeededFuture();
      }));
      assertThat(((TaskGroupException) error).exceptions()).containsExactly(broken);
    }
  }

  @Nested
  class TaskCancel {
    @Test
    void cancellingOneTaskIsNotAnErrorAndSparesItsSiblings() {
      AtomicReference<Task<String>> victim = new AtomicReference<>();
      String result = await(TaskGroup.run(vertx, group -> {
        victim.set(group.spawn(untilCancelled()));
        Task<String> sibling = group.spawn(later("sibling"));
        assertThat(victim.get().cancel()).isTrue();
        return sibling.future();
      }));
      assertThat(result).isEqualTo("sibling");
      assertThat(victim.get().state()).isEqualTo(TaskState.CANCELLED);
      assertThat(awaitFailure(victim.get().future())).isInstanceOf(TaskCancelledException.class)
          .satisfies(e -> assertThat(((TaskCancelledException) e).reason()).isEqualTo(CancelReason.EXPLICIT));
    }

    @Test
    void cancelReturnsTrueOnlyForTheCallThatCancelled() {
      List<Boolean> answers = await(TaskGroup.run(vertx, group -> {
        Task<String> task = group.spawn(untilCancelled());
        Task<String> done = group.spawn(scope -> Future.succeededFuture("done"));
        return Future.succeededFuture(List.of(task.cancel(), task.cancel(), done.cancel()));
      }));
      assertThat(answers).containsExactly(true, false, false);
    }

    @Test
    void taskThatReturnsAResultDespiteCancellationSucceeds() {
      AtomicReference<Task<String>> task = new AtomicReference<>();
      await(TaskGroup.run(vertx, group -> {
        task.set(group.spawn(scope -> {
          Promise<String> p = Promise.promise();
          scope.onCancel(c -> p.complete("finished anyway"));
          return p.future();
        }));
        task.get().cancel();
        return Future.succeededFuture();
      }));
      assertThat(task.get().state()).isEqualTo(TaskState.SUCCEEDED);
      assertThat(await(task.get().future())).isEqualTo("finished anyway");
    }

    @Test
    void taskFutureSettlesWhenTheWorkStopsNotWhenCancelIsRequested() {
      Context context = vertx.getOrCreateContext();
      Promise<String> work = Promise.promise();
      AtomicReference<Task<String>> task = new AtomicReference<>();
      Future<Void> group = await(call(context, () -> TaskGroup.run(vertx, g -> {
        task.set(g.spawn(scope -> work.future()));
        task.get().cancel();
        return Future.succeededFuture();
      })));
      assertThat(await(call(context, () -> task.get().future().isComplete()))).isFalse();
      assertThat(task.get().state()).isEqualTo(TaskState.RUNNING);
      context.runOnContext(v -> work.fail(new java.util.concurrent.CancellationException("stopped")));
      await(group);
      assertThat(task.get().state()).isEqualTo(TaskState.CANCELLED);
    }
  }

  @Nested
  class Hooks {
    @Test
    void hookRunsOnceOnTheGroupsContext() {
      AtomicInteger runs = new AtomicInteger();
      AtomicReference<Context> hookContext = new AtomicReference<>();
      AtomicReference<Context> groupContext = new AtomicReference<>();
      await(TaskGroup.run(vertx, group -> {
        groupContext.set(group.context());
        group.spawn(scope -> {
          scope.onCancel(c -> {
            runs.incrementAndGet();
            hookContext.set(vertx.getOrCreateContext());
          });
          return untilCancelled().run(scope);
        });
        group.cancel();
        group.cancel();
        return Future.succeededFuture();
      }));
      assertThat(runs).hasValue(1);
      assertThat(hookContext.get()).isSameAs(groupContext.get());
    }

    @Test
    void hookRunsAtOnceWhenTheScopeIsAlreadyCancelled() {
      List<String> events = new ArrayList<>();
      await(TaskGroup.run(vertx, group -> {
        group.cancel();
        group.onCancel(c -> events.add("hook"));
        events.add("after onCancel");
        return Future.succeededFuture();
      }));
      assertThat(events).containsExactly("hook", "after onCancel");
    }

    @Test
    void removedHookNeverRuns() {
      AtomicBoolean ran = new AtomicBoolean();
      await(TaskGroup.run(vertx, group -> {
        Registration r = group.onCancel(c -> ran.set(true));
        assertThat(r.remove()).isTrue();
        assertThat(r.remove()).isFalse();
        group.cancel();
        return Future.succeededFuture();
      }));
      assertThat(ran).isFalse();
    }

    @Test
    void hooksRunInRegistrationOrderAndMayRemoveLaterOnes() {
      List<String> order = new ArrayList<>();
      await(TaskGroup.run(vertx, group -> {
        Registration[] third = new Registration[1];
        group.onCancel(c -> order.add("first"));
        group.onCancel(c -> {
          order.add("second");
          third[0].remove();
        });
        third[0] = group.onCancel(c -> order.add("third"));
        group.cancel();
        return Future.succeededFuture();
      }));
      assertThat(order).containsExactly("first", "second");
    }

    @Test
    void aTaskThatRegistersAndRemovesManyHooksKeepsNone() {
      int left = await(TaskGroup.run(vertx, group -> group.spawn(scope -> {
        for (int i = 0; i < 100_000; i++) {
          scope.onCancel(c -> {}).remove();
        }
        return Future.succeededFuture(((ScopeImpl) scope).hookCount());
      }).future()));
      assertThat(left).isZero();
    }

    @Test
    void hooksOfAFinishedTaskAreDroppedWithoutRunning() {
      AtomicBoolean ran = new AtomicBoolean();
      AtomicReference<TaskScope> scopeRef = new AtomicReference<>();
      await(TaskGroup.run(vertx, group -> {
        group.spawn(scope -> {
          scopeRef.set(scope);
          scope.onCancel(c -> ran.set(true));
          return Future.succeededFuture("done");
        });
        group.cancel();
        return Future.succeededFuture();
      }));
      assertThat(ran).isFalse();
      assertThat(((ScopeImpl) scopeRef.get()).hookCount()).isZero();
    }

    @Test
    void onCancelOffTheContextIsRejected() {
      Promise<Void> release = Promise.promise();
      TaskGroup group = openGroup(vertx.getOrCreateContext(), release);
      assertThatThrownBy(() -> group.onCancel(c -> {})).isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("onCancel");
      group.context().runOnContext(v -> release.complete());
    }
  }

  @Nested
  class BoundOperations {
    @Test
    void boundOperationIsAbortedWhenTheScopeIsCancelled() {
      AtomicReference<CancelReason> reason = new AtomicReference<>();
      await(TaskGroup.run(vertx, group -> {
        group.spawn(scope -> {
          scope.bind(c -> reason.set(c.reason()));
          return untilCancelled().run(scope);
        });
        group.cancel();
        return Future.succeededFuture();
      }));
      assertThat(reason.get()).isEqualTo(CancelReason.EXPLICIT);
    }

    @Test
    void boundOperationNobodyAwaitsIsAbortedWhenItsTaskFinishes() {
      AtomicReference<CancelReason> reason = new AtomicReference<>();
      await(TaskGroup.run(vertx, group -> group.spawn(scope -> {
        scope.bind(c -> reason.set(c.reason()));
        return Future.succeededFuture("finished without awaiting the operation");
      }).future()));
      assertThat(reason.get()).isEqualTo(CancelReason.SCOPE_CLOSED);
    }

    @Test
    void removedBindingIsNeverAborted() {
      AtomicBoolean aborted = new AtomicBoolean();
      await(TaskGroup.run(vertx, group -> group.spawn(scope -> {
        assertThat(scope.bind(c -> aborted.set(true)).remove()).isTrue();
        return Future.succeededFuture();
      }).future()));
      assertThat(aborted).isFalse();
    }

    @Test
    void bindingToAFinishedScopeAbortsAtOnce() {
      AtomicReference<TaskScope> finished = new AtomicReference<>();
      AtomicReference<CancelReason> reason = new AtomicReference<>();
      await(TaskGroup.run(vertx, group -> group.spawn(scope -> {
        finished.set(scope);
        return Future.succeededFuture();
      }).future().map(v -> {
        assertThat(finished.get().isFinished()).isTrue();
        finished.get().bind(c -> reason.set(c.reason()));
        return v;
      })));
      assertThat(reason.get()).isEqualTo(CancelReason.SCOPE_CLOSED);
    }

    @Test
    void scopeIsNotFinishedWhileItsTaskRuns() {
      boolean finishedWhileRunning = await(TaskGroup.run(vertx, group ->
          group.spawn(scope -> Future.succeededFuture(scope.isFinished())).future()));
      assertThat(finishedWhileRunning).isFalse();
    }
  }

  @Nested
  class Sleeping {
    @Test
    void sleepEndsEarlyWithTheCancellationWhenTheScopeIsCancelled() {
      AtomicReference<Throwable> woke = new AtomicReference<>();
      long start = System.nanoTime();
      await(TaskGroup.run(vertx, group -> {
        group.spawn(scope -> scope.sleep(Duration.ofSeconds(30)).onFailure(woke::set));
        group.spawn(scope -> scope.sleep(Duration.ofMillis(1)).onSuccess(v -> group.cancel()));
        return Future.succeededFuture();
      }));
      assertThat(woke.get()).isInstanceOf(TaskCancelledException.class);
      assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(10));
    }

    @Test
    void sleepOnACancelledScopeFailsAtOnce() {
      Future<Void> sleep = await(TaskGroup.run(vertx, group -> {
        group.cancel();
        return Future.succeededFuture(group.sleep(Duration.ofSeconds(30)));
      }));
      assertThat(sleep.failed()).isTrue();
      assertThat(sleep.cause()).isInstanceOf(TaskCancelledException.class);
    }

    @Test
    void sleepSucceedsAfterItsDelay() {
      ManualTimers clock = new ManualTimers();
      Context context = vertx.getOrCreateContext();
      AtomicReference<Future<Void>> sleep = new AtomicReference<>();
      Future<Void> group = await(call(context, () -> TaskGroup.run(vertx, clock.options(), g -> {
        sleep.set(g.sleep(Duration.ofMillis(100)));
        return sleep.get();
      })));
      await(call(context, () -> {
        clock.advance(Duration.ofMillis(99));
        assertThat(sleep.get().isComplete()).isFalse();
        clock.advance(Duration.ofMillis(1));
        return null;
      }));
      await(group);
      assertThat(sleep.get().succeeded()).isTrue();
      assertThat(clock.pending()).isZero();
    }

    @Test
    void negativeSleepIsRejected() {
      Throwable error = awaitFailure(TaskGroup.run(vertx, group -> group.sleep(Duration.ofMillis(-1))));
      assertThat(((TaskGroupException) error).exceptions()).singleElement()
          .isInstanceOf(IllegalArgumentException.class)
          .satisfies(e -> assertThat(e).hasMessageContaining("delay must not be negative"));
    }

    @Test
    void sleepNobodyAwaitsEndsWhenItsTaskFinishes() {
      ManualTimers clock = new ManualTimers();
      AtomicReference<Future<Void>> sleep = new AtomicReference<>();
      AtomicReference<Boolean> endedWithTheTask = new AtomicReference<>();
      await(TaskGroup.run(vertx, clock.options(), group -> group.spawn(scope -> {
        sleep.set(scope.sleep(Duration.ofHours(1)));
        return Future.succeededFuture("done");
      }).future().onSuccess(v -> endedWithTheTask.set(sleep.get().failed()))));
      assertThat(endedWithTheTask.get()).isTrue();
      assertThat(clock.pending()).isZero();
    }

    @Test
    void sleepOnAFinishedTasksScopeFailsAtOnce() {
      AtomicReference<TaskScope> finished = new AtomicReference<>();
      Future<Void> sleep = await(TaskGroup.run(vertx, group -> group.spawn(scope -> {
        finished.set(scope);
        return Future.succeededFuture();
      }).future().map(v -> finished.get().sleep(Duration.ofSeconds(1)))));
      assertThat(sleep.failed()).isTrue();
      assertThat(sleep.cause()).isInstanceOf(TaskCancelledException.class).hasMessageContaining("has finished");
    }

    @Test
    void unawaitedSleepEndsWhenItsGroupCompletes() {
      ManualTimers clock = new ManualTimers();
      AtomicReference<Future<Void>> sleep = new AtomicReference<>();
      await(TaskGroup.run(vertx, clock.options(), group -> {
        sleep.set(group.sleep(Duration.ofHours(1)));
        return Future.succeededFuture();
      }));
      assertThat(awaitFailure(sleep.get())).isInstanceOf(TaskCancelledException.class)
          .satisfies(e -> assertThat(((TaskCancelledException) e).reason()).isEqualTo(CancelReason.SCOPE_CLOSED));
      assertThat(clock.pending()).isZero();
    }
  }

  @Nested
  class Nesting {
    @Test
    void cancellationReachesANestedGroupsChildrenInTheSameTurn() {
      List<String> events = new ArrayList<>();
      await(TaskGroup.run(vertx, outer -> {
        outer.spawn(scope -> TaskGroup.run(scope, inner -> {
          inner.spawn(grandchild -> {
            grandchild.onCancel(c -> events.add("grandchild cancelled: " + c.reason()));
            return untilCancelled().run(grandchild);
          });
          return Future.succeededFuture();
        }));
        Promise<Void> cancelled = Promise.promise();
        outer.context().runOnContext(v -> {
          outer.cancel();
          events.add("cancel returned");
          cancelled.complete();
        });
        return cancelled.future(); // the group completes only once the body has seen cancel() return
      }));
      assertThat(events).containsExactly("grandchild cancelled: PARENT_CANCELLED", "cancel returned");
    }

    @Test
    void nestedGroupCancelledByItsParentFailsWithParentCancelled() {
      AtomicReference<Throwable> nested = new AtomicReference<>();
      await(TaskGroup.run(vertx, outer -> {
        outer.spawn(scope -> TaskGroup.run(scope, inner -> {
          inner.spawn(untilCancelled());
          return Future.succeededFuture();
        }).onFailure(nested::set));
        outer.context().runOnContext(v -> outer.cancel());
        return Future.succeededFuture();
      }));
      assertThat(nested.get()).isInstanceOf(TaskCancelledException.class)
          .satisfies(e -> assertThat(((TaskCancelledException) e).reason()).isEqualTo(CancelReason.PARENT_CANCELLED));
    }

    @Test
    void nestedGroupInAnAlreadyCancelledScopeNeverRunsItsBody() {
      AtomicBoolean bodyRan = new AtomicBoolean();
      AtomicReference<Throwable> nested = new AtomicReference<>();
      await(TaskGroup.run(vertx, outer -> {
        outer.cancel();
        return TaskGroup.run(outer, inner -> {
          bodyRan.set(true);
          return Future.succeededFuture();
        }).onFailure(nested::set).otherwiseEmpty();
      }));
      assertThat(bodyRan).isFalse();
      assertThat(nested.get()).isInstanceOf(TaskCancelledException.class);
    }

    @Test
    void nestedGroupFailureCancelsTheOuterSiblings() {
      AtomicReference<Task<String>> outerSibling = new AtomicReference<>();
      awaitFailure(TaskGroup.run(vertx, outer -> {
        outerSibling.set(outer.spawn(untilCancelled()));
        outer.spawn(scope -> TaskGroup.run(scope, inner -> {
          inner.spawn(failingLater(new IOException("deep")));
          return Future.succeededFuture();
        }));
        return Future.succeededFuture();
      }));
      assertThat(outerSibling.get().state()).isEqualTo(TaskState.CANCELLED);
    }

    @Test
    void nestedGroupNobodyAwaitsStillHoldsItsEnclosingGroupOpen() {
      List<String> order = new ArrayList<>();
      await(TaskGroup.run(vertx, outer -> {
        TaskGroup.run(outer, inner -> inner.spawn(s -> s.sleep(Duration.ofMillis(20)).map("inner done")).future())
            .onSuccess(order::add);
        return Future.succeededFuture();
      }).onSuccess(v -> order.add("outer done")));
      assertThat(order).containsExactly("inner done", "outer done");
    }

    @Test
    void nestedGroupLeftRunningByAFinishedTaskIsCancelledAsScopeClosed() {
      AtomicReference<CancelReason> reason = new AtomicReference<>();
      AtomicReference<Throwable> nested = new AtomicReference<>();
      await(TaskGroup.run(vertx, outer -> {
        outer.spawn(scope -> {
          TaskGroup.run(scope, inner -> {
            inner.spawn(s -> {
              s.onCancel(c -> reason.set(c.reason()));
              return untilCancelled().run(s);
            });
            return Future.succeededFuture();
          }).onFailure(nested::set);
          return Future.succeededFuture("returned without awaiting its nested group");
        });
        return Future.succeededFuture();
      }));
      assertThat(reason.get()).isEqualTo(CancelReason.PARENT_CANCELLED);
      assertThat(nested.get()).isInstanceOf(TaskCancelledException.class)
          .hasMessageContaining("has finished");
    }

    @Test
    void errorOfANestedGroupThatOutlivedItsTaskBecomesAnErrorOfTheEnclosingGroup() {
      IOException cleanup = new IOException("nested cleanup failed");
      Throwable error = awaitFailure(TaskGroup.run(vertx, outer -> {
        outer.spawn(scope -> {
          TaskGroup.run(scope, inner -> {
            inner.spawn(s -> {
              Promise<String> p = Promise.promise();
              s.onCancel(c -> p.fail(cleanup));
              return p.future();
            });
            return Future.succeededFuture();
          });
          return Future.succeededFuture("returned without awaiting its nested group");
        });
        return Future.succeededFuture();
      }));
      TaskGroupException group = (TaskGroupException) error;
      assertThat(group.exceptions()).singleElement().isInstanceOf(TaskGroupException.class);
      assertThat(((TaskGroupException) group.exceptions().get(0)).exceptions()).containsExactly(cleanup);
    }

    @Test
    void errorOfAnAwaitedNestedGroupIsLeftToItsCaller() {
      String result = await(TaskGroup.run(vertx, outer -> outer.spawn(scope ->
          TaskGroup.<String>run(scope, inner -> inner.spawn(VertxTest.<String>failingLater(new IOException("handled"))).future())
              .otherwise("recovered by the caller")).future()));
      assertThat(result).isEqualTo("recovered by the caller");
    }

    @Test
    void innerTimeoutNobodyAwaitsStillHoldsTheGroupOpenUntilItSettles() {
      List<String> order = new ArrayList<>();
      TaskFn<String> bounded = ((TaskFn<String>) s -> s.sleep(Duration.ofMillis(20)).map("inner"))
          .withTimeout(Duration.ofSeconds(5));
      await(TaskGroup.run(vertx, group -> {
        try {
          bounded.run(group).onSuccess(order::add); // started in the group's scope, not awaited
        } catch (Exception e) {
          return Future.failedFuture(e);
        }
        return Future.succeededFuture();
      }).onSuccess(v -> order.add("group")));
      assertThat(order).containsExactly("inner", "group");
    }

    @Test
    void nestedGroupStartedInAFinishedTasksScopeNeverRunsItsBody() {
      AtomicReference<TaskScope> finished = new AtomicReference<>();
      AtomicBoolean bodyRan = new AtomicBoolean();
      Throwable error = await(TaskGroup.run(vertx, outer -> outer.spawn(scope -> {
        finished.set(scope);
        return Future.succeededFuture();
      }).future().compose(v -> TaskGroup.run(finished.get(), inner -> {
        bodyRan.set(true);
        return Future.succeededFuture();
      }).transform(ar -> Future.succeededFuture(ar.cause())))));
      assertThat(bodyRan).isFalse();
      assertThat(error).isInstanceOf(TaskCancelledException.class)
          .satisfies(e -> assertThat(((TaskCancelledException) e).reason()).isEqualTo(CancelReason.SCOPE_CLOSED));
    }

    @Test
    void nestedGroupDoesNotKeepAHookOnItsParentAfterItCompletes() {
      int hooks = await(TaskGroup.run(vertx, outer -> outer.spawn(scope -> {
        Future<Void> chain = Future.succeededFuture();
        for (int i = 0; i < 1000; i++) {
          chain = chain.compose(v -> TaskGroup.run(scope, inner -> Future.succeededFuture()));
        }
        return chain.map(v -> ((ScopeImpl) scope).hookCount());
      }).future()));
      assertThat(hooks).isZero();
    }
  }
}
