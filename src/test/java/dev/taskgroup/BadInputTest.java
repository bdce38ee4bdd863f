package dev.taskgroup;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/**
 * Every misuse of the library's API and what it produces: the exception type and the shape of its
 * message. One test per row of the "Bad input" table in README.md, which names these tests.
 */
class BadInputTest extends VertxTest {
  private static final TaskFn<String> OK = scope -> Future.succeededFuture("ok");

  /** A scope of a task that has finished, taken out of it. */
  private TaskScope finishedTaskScope(Context context) {
    AtomicReference<TaskScope> scope = new AtomicReference<>();
    await(on(context, () -> TaskGroup.run(vertx, g -> g.spawn("done", s -> {
      scope.set(s);
      return Future.succeededFuture("x");
    }).future())));
    return scope.get();
  }

  /** A group that stays open until {@code release} completes. */
  @Nested
  class Running {
    @Test
    void nullVertxBodyOrOptionsThrowNullPointerExceptionNamingTheArgument() {
      assertThatThrownBy(() -> TaskGroup.run((io.vertx.core.Vertx) null, g -> Future.succeededFuture()))
          .isInstanceOf(NullPointerException.class).hasMessage("vertx");
      assertThatThrownBy(() -> TaskGroup.run(vertx, null)).isInstanceOf(NullPointerException.class).hasMessage("body");
      assertThatThrownBy(() -> TaskGroup.run(vertx, null, g -> Future.succeededFuture()))
          .isInstanceOf(NullPointerException.class).hasMessage("options");
      assertThatThrownBy(() -> TaskGroup.run((TaskScope) null, g -> Future.succeededFuture()))
          .isInstanceOf(NullPointerException.class).hasMessage("scope");
    }

    @Test
    void aParentScopeNotFromThisLibraryThrowsIllegalArgumentException() {
      TaskScope foreign = (TaskScope) java.lang.reflect.Proxy.newProxyInstance(getClass().getClassLoader(),
          new Class<?>[] {TaskScope.class}, (p, m, a) -> null);
      assertThatThrownBy(() -> TaskGroup.run(foreign, g -> Future.succeededFuture()))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageStartingWith("not a scope of this library: ")
          .hasMessageEndingWith("(pass the TaskScope a task received, or a TaskGroup)");
    }

    @Test
    void aNestedGroupInACancelledScopeNeverRunsItsBodyAndFailsWithThatCancellation() {
      AtomicBoolean ran = new AtomicBoolean();
      AtomicReference<Throwable> nested = new AtomicReference<>();
      AtomicReference<TaskCancelledException> parentCause = new AtomicReference<>();
      await(TaskGroup.run(vertx, g -> {
        g.cancel();
        parentCause.set(g.cancellation());
        return TaskGroup.run(g, inner -> {
          ran.set(true);
          return Future.succeededFuture();
        }).otherwise(e -> {
          nested.set(e);
          return null;
        });
      }));
      assertThat(ran).isFalse();
      assertThat(nested.get()).isSameAs(parentCause.get());
    }

    @Test
    void aNestedGroupInTheScopeOfAFinishedTaskFailsWithScopeClosed() {
      Context context = vertx.getOrCreateContext();
      TaskScope finished = finishedTaskScope(context);
      AtomicBoolean ran = new AtomicBoolean();
      Throwable error = awaitFailure(on(context, () -> TaskGroup.run(finished, g -> {
        ran.set(true);
        return Future.succeededFuture();
      })));
      assertThat(ran).isFalse();
      assertThat(error).isInstanceOf(TaskCancelledException.class).hasMessage("'done' has finished");
      assertThat(((TaskCancelledException) error).reason()).isEqualTo(CancelReason.SCOPE_CLOSED);
    }

    @Test
    void aBodyThatThrowsFailsTheGroupWithTaskGroupExceptionHoldingIt() {
      IllegalStateException thrown = new IllegalStateException("body broke");
      Throwable error = awaitFailure(TaskGroup.run(vertx, new TaskGroupOptions().setName("g"), g -> {
        throw thrown;
      }));
      assertThat(error).isInstanceOf(TaskGroupException.class)
          .hasMessage("task group 'g' failed (1 error): IllegalStateException: body broke");
      assertThat(((TaskGroupException) error).exceptions()).containsExactly(thrown);
    }

    @Test
    void aBodyThatReturnsNullFailsTheGroupWithANullPointerExceptionSayingSo() {
      Throwable error = awaitFailure(TaskGroup.run(vertx, new TaskGroupOptions().setName("g"), g -> null));
      assertThat(((TaskGroupException) error).exceptions()).singleElement()
          .isInstanceOf(NullPointerException.class)
          .satisfies(e -> assertThat(e).hasMessage("the body of task group 'g' returned null instead of a Future"));
    }
  }

  @Nested
  class Spawning {
    @Test
    void aNullFunctionOrNameThrowsNullPointerExceptionAndTheGroupGoesOn() {
      String result = await(TaskGroup.run(vertx, g -> {
        assertThatThrownBy(() -> g.spawn(null)).isInstanceOf(NullPointerException.class)
            .hasMessage("the task function passed to spawn is null");
        assertThatThrownBy(() -> g.spawn(null, OK)).isInstanceOf(NullPointerException.class).hasMessage("name");
        return g.spawn(OK).future();
      }));
      assertThat(result).isEqualTo("ok");
    }

    @Test
    void spawnOffTheGroupsContextThrowsIllegalStateExceptionNamingTheThread() {
      Promise<Void> release = Promise.promise();
      TaskGroup g = openGroup(vertx.getOrCreateContext(), release);
      assertThatThrownBy(() -> g.spawn(OK)).isInstanceOf(IllegalStateException.class)
          .hasMessage("spawn was called on thread '" + Thread.currentThread().getName()
              + "', outside the context of task group 'g'; call it from a task, from the body, or through context().runOnContext(...)");
      g.context().runOnContext(v -> release.complete());
    }

    @Test
    void spawnFromAnotherContextOfTheGroupsEventLoopThrowsIllegalStateExceptionSayingSo() {
      Context home = vertx.getOrCreateContext();
      Thread thread = await(call(home, Thread::currentThread));
      Context other = null;
      for (int i = 0; i < 64 && other == null; i++) { // new contexts go round the event loops
        Context c = vertx.getOrCreateContext();
        if (await(call(c, Thread::currentThread)) == thread) {
          other = c;
        }
      }
      Promise<Void> release = Promise.promise();
      TaskGroup g = openGroup(home, release);
      Throwable refused = await(call(other, () -> {
        try {
          g.spawn(OK);
          return null;
        } catch (IllegalStateException e) {
          return e;
        }
      }));
      assertThat(refused).isInstanceOf(IllegalStateException.class).hasMessage("spawn was called in another Vert.x context than"
          + " task group 'g' (on its thread '" + thread.getName() + "'); call it from a task, from the body, or through context().runOnContext(...)");
      home.runOnContext(v -> release.complete());
    }

    @Test
    void spawnWhileTheGroupShutsDownThrowsIllegalStateExceptionWithTheCauseAndTheTaskNeverRuns() {
      AtomicBoolean ran = new AtomicBoolean();
      AtomicReference<Throwable> rejected = new AtomicReference<>();
      await(TaskGroup.run(vertx, new TaskGroupOptions().setName("g"), g -> {
        g.cancel();
        try {
          g.spawn(s -> {
            ran.set(true);
            return Future.succeededFuture();
          });
        } catch (IllegalStateException e) {
          rejected.set(e);
        }
        return Future.succeededFuture();
      }));
      assertThat(rejected.get()).isInstanceOf(IllegalStateException.class)
          .hasMessage("cannot spawn into task group 'g': it is shutting down (task group 'g' was cancelled)");
      assertThat(ran).isFalse();
    }

    @Test
    void spawnAfterTheGroupCompletedThrowsIllegalStateExceptionAndTheTaskNeverRuns() {
      Context context = vertx.getOrCreateContext();
      AtomicReference<TaskGroup> group = new AtomicReference<>();
      await(on(context, () -> TaskGroup.run(vertx, new TaskGroupOptions().setName("g"), g -> {
        group.set(g);
        return Future.succeededFuture();
      })));
      AtomicBoolean ran = new AtomicBoolean();
      Throwable error = awaitFailure(call(context, () -> group.get().spawn(s -> {
        ran.set(true);
        return Future.succeededFuture();
      })));
      assertThat(error).isInstanceOf(IllegalStateException.class)
          .hasMessage("cannot spawn into task group 'g': it has completed");
      assertThat(ran).isFalse();
    }

    @Test
    void aTaskFunctionThatThrowsIsAFailedTaskWithThatException() {
      IOException thrown = new IOException("no route");
      AtomicReference<Task<String>> task = new AtomicReference<>();
      Throwable error = awaitFailure(TaskGroup.run(vertx, g -> {
        task.set(g.spawn("thrower", s -> {
          throw thrown;
        }));
        return Future.succeededFuture();
      }));
      assertThat(((TaskGroupException) error).exceptions()).containsExactly(thrown);
      assertThat(task.get().state()).isEqualTo(TaskState.FAILED);
    }

    @Test
    void aTaskFunctionThatReturnsNullIsAFailedTaskWithANullPointerExceptionNamingIt() {
      Throwable error = awaitFailure(TaskGroup.run(vertx, g -> {
        g.spawn("nully", s -> null);
        return Future.succeededFuture();
      }));
      assertThat(((TaskGroupException) error).exceptions()).singleElement()
          .isInstanceOf(NullPointerException.class)
          .satisfies(e -> assertThat(e).hasMessage("task 'nully' returned null instead of a Future"));
    }
  }

  @Nested
  class Patterns {
    @Test
    void aNullListOrVertxOrOptionsThrowsNullPointerExceptionNamingIt() {
      for (var pattern : patterns()) {
        assertThatThrownBy(() -> pattern.run(vertx, new TaskGroupOptions(), null)).isInstanceOf(NullPointerException.class).hasMessage("tasks");
        assertThatThrownBy(() -> pattern.run(null, new TaskGroupOptions(), List.of(OK))).isInstanceOf(NullPointerException.class).hasMessage("vertx");
        assertThatThrownBy(() -> pattern.run(vertx, null, List.of(OK))).isInstanceOf(NullPointerException.class).hasMessage("options");
      }
    }

    @Test
    void aNullTaskInTheListThrowsNullPointerExceptionNamingItsIndexAndNothingRuns() {
      AtomicBoolean ran = new AtomicBoolean();
      List<TaskFn<String>> tasks = Arrays.asList(s -> {
        ran.set(true);
        return Future.succeededFuture("a");
      }, null);
      for (var pattern : patterns()) {
        assertThatThrownBy(() -> pattern.run(vertx, new TaskGroupOptions(), tasks))
            .isInstanceOf(NullPointerException.class).hasMessage("tasks[1] is null");
      }
      assertThat(ran).isFalse();
    }

    @Test
    void aListOfMoreThanTwoToThe29TasksThrowsIllegalArgumentExceptionAndNothingRuns() {
      AtomicBoolean read = new AtomicBoolean();
      List<TaskFn<String>> huge = new java.util.AbstractList<>() { // never materialised: only its size is asked
        @Override
        public TaskFn<String> get(int index) {
          read.set(true);
          return OK;
        }

        @Override
        public int size() {
          return (1 << 29) + 1;
        }
      };
      for (var pattern : patterns()) {
        assertThatThrownBy(() -> pattern.run(vertx, new TaskGroupOptions(), huge))
            .isInstanceOf(IllegalArgumentException.class)
            .hasMessage("a pattern takes at most 536870912 tasks (a task's index has 29 bits), got 536870913");
      }
      assertThat(read).isFalse();
    }

    @Test
    void aRaceOfNoTasksFailsAtOnceWithIllegalArgumentException() {
      Future<String> race = TaskGroup.race(vertx, List.of());
      assertThat(race.failed()).isTrue();
      assertThat(race.cause()).isInstanceOf(IllegalArgumentException.class)
          .hasMessage("race needs at least one task: with none there is no winner");
    }

    @Test
    void theResultListOfAllCannotBeModified() {
      List<String> results = await(TaskGroup.all(vertx, List.of(OK)));
      assertThatThrownBy(() -> results.add("x")).isInstanceOf(UnsupportedOperationException.class);
    }

    @Test
    void aNullOrForeignScopeThrowsLikeRun() {
      TaskScope foreign = (TaskScope) java.lang.reflect.Proxy.newProxyInstance(getClass().getClassLoader(),
          new Class<?>[] {TaskScope.class}, (p, m, a) -> null);
      for (PatternsTest.ScopePattern pattern : PatternsTest.ScopePattern.ALL) {
        assertThatThrownBy(() -> pattern.run(null, List.of(OK))).as(pattern.name())
            .isInstanceOf(NullPointerException.class).hasMessage("scope");
        assertThatThrownBy(() -> pattern.run(foreign, List.of(OK))).as(pattern.name())
            .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("not a scope of this library: ");
      }
    }

    @Test
    void aPatternInACancelledScopeRunsNoTaskAndFailsWithThatCancellation() {
      AtomicBoolean ran = new AtomicBoolean();
      TaskFn<String> watched = s -> {
        ran.set(true);
        return Future.succeededFuture("a");
      };
      for (PatternsTest.ScopePattern pattern : PatternsTest.ScopePattern.ALL) {
        AtomicReference<Throwable> error = new AtomicReference<>();
        AtomicReference<TaskCancelledException> cause = new AtomicReference<>();
        await(TaskGroup.run(vertx, g -> {
          g.cancel();
          cause.set(g.cancellation());
          return pattern.run(g, List.of(watched)).otherwise(e -> {
            error.set(e);
            return null;
          }).mapEmpty();
        }));
        assertThat(error.get()).as(pattern.name()).isSameAs(cause.get());
      }
      assertThat(ran).isFalse();
    }

    @Test
    void aPatternInTheScopeOfAFinishedTaskFailsWithScopeClosed() {
      Context context = vertx.getOrCreateContext();
      TaskScope finished = finishedTaskScope(context);
      for (PatternsTest.ScopePattern pattern : PatternsTest.ScopePattern.ALL) {
        Throwable error = awaitFailure(on(context, () -> pattern.run(finished, List.of(OK))));
        assertThat(error).as(pattern.name()).isInstanceOf(TaskCancelledException.class).hasMessage("'done' has finished");
        assertThat(((TaskCancelledException) error).reason()).isEqualTo(CancelReason.SCOPE_CLOSED);
      }
    }

    @Test
    void aListClearedAfterTheCallChangesNothing() {
      assertThat(runThenChange(TaskGroup::all, List::clear)).isEqualTo(List.of("a", "b"));
      assertThat(runThenChange(TaskGroup::gather, List::clear)).asList().extracting("result").containsExactly("a", "b");
      assertThat(runThenChange(TaskGroup::settle, List::clear)).extracting("successes").isEqualTo(List.of("a", "b"));
      assertThat(runThenChange(TaskGroup::race, List::clear)).isEqualTo("a");
    }

    @Test
    void aListGrownAfterTheCallChangesNothing() {
      Consumer<List<TaskFn<String>>> grow = tasks -> tasks.add(OK);
      assertThat(runThenChange(TaskGroup::all, grow)).isEqualTo(List.of("a", "b"));
      assertThat(runThenChange(TaskGroup::gather, grow)).asList().extracting("result").containsExactly("a", "b");
      assertThat(runThenChange(TaskGroup::settle, grow)).extracting("successes").isEqualTo(List.of("a", "b"));
    }

    /**
     * Calls {@code pattern} off any Vert.x thread, so that its group starts after a hop, and holds
     * that event loop (this thread's sticky one, which the pattern's new context shares) until
     * {@code change} has changed the list. {@return the pattern's result}
     */
    private Object runThenChange(Pattern pattern, Consumer<List<TaskFn<String>>> change) {
      Context home = vertx.getOrCreateContext();
      CountDownLatch changed = new CountDownLatch(1);
      AtomicReference<Thread> held = new AtomicReference<>();
      AtomicReference<Thread> ranOn = new AtomicReference<>();
      home.runOnContext(v -> {
        held.set(Thread.currentThread());
        try {
          changed.await(1, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      });
      TaskFn<String> a = s -> {
        ranOn.set(Thread.currentThread());
        return later("a").run(s);
      };
      List<TaskFn<String>> tasks = new ArrayList<>(List.of(a, later("b")));
      Future<?> result = pattern.run(vertx, new TaskGroupOptions(), tasks);
      change.accept(tasks);
      changed.countDown();
      Object value = await(result);
      assertThat(ranOn.get()).as("the group started on the held event loop, after the change").isSameAs(held.get());
      return value;
    }

    private List<Pattern> patterns() {
      return List.of(TaskGroup::all, TaskGroup::gather, TaskGroup::settle, TaskGroup::race);
    }

    @Test
    void forEachWithANullIteratorVertxScopeOrOptionsThrowsNullPointerExceptionNamingIt() {
      Iterator<TaskFn<String>> tasks = List.of(OK).iterator();
      assertThatThrownBy(() -> TaskGroup.forEach(vertx, null)).isInstanceOf(NullPointerException.class).hasMessage("tasks");
      assertThatThrownBy(() -> TaskGroup.forEach((io.vertx.core.Vertx) null, tasks)).isInstanceOf(NullPointerException.class).hasMessage("vertx");
      assertThatThrownBy(() -> TaskGroup.forEach(vertx, null, tasks)).isInstanceOf(NullPointerException.class).hasMessage("options");
      assertThatThrownBy(() -> TaskGroup.forEach((TaskScope) null, tasks)).isInstanceOf(NullPointerException.class).hasMessage("scope");
      assertThat(tasks.hasNext()).as("the iterator was never read").isTrue();
    }

    @Test
    void forEachInAForeignScopeThrowsIllegalArgumentException() {
      TaskScope foreign = (TaskScope) java.lang.reflect.Proxy.newProxyInstance(getClass().getClassLoader(),
          new Class<?>[] {TaskScope.class}, (p, m, a) -> null);
      assertThatThrownBy(() -> TaskGroup.forEach(foreign, List.of(OK).iterator()))
          .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("not a scope of this library: ");
    }

    @Test
    void aNullElementOfForEachsIteratorFailsItWithANullPointerExceptionNamingItsPosition() {
      Iterator<TaskFn<String>> tasks = Arrays.asList(OK, OK, null, OK).iterator();
      Throwable error = awaitFailure(TaskGroup.forEach(vertx, new TaskGroupOptions().setName("ids"), tasks));
      assertThat(((TaskGroupException) error).exceptions()).singleElement().isInstanceOf(NullPointerException.class)
          .satisfies(e -> assertThat(e).hasMessage("forEach 'ids': element 2 of the iterator is null (the first is element 0)"));
      assertThat(tasks.hasNext()).as("nothing was pulled after the null").isTrue();
    }

    @Test
    void anIteratorThatThrowsFailsForEachWithThatErrorAndIsNotCalledAgain() {
      IllegalStateException lost = new IllegalStateException("cursor lost");
      int[] calls = {0};
      Iterator<TaskFn<String>> tasks = new Iterator<>() {
        @Override
        public boolean hasNext() {
          calls[0]++;
          return true;
        }

        @Override
        public TaskFn<String> next() {
          throw lost;
        }
      };
      Throwable error = awaitFailure(TaskGroup.forEach(vertx, tasks));
      assertThat(((TaskGroupException) error).exceptions()).containsExactly(lost);
      assertThat(calls[0]).isEqualTo(1);
    }
  }

  @FunctionalInterface
  private interface Pattern {
    Future<?> run(io.vertx.core.Vertx vertx, TaskGroupOptions options, List<TaskFn<String>> tasks);
  }

  @Nested
  class Timeouts {
    @Test
    void aNullTimeoutThrowsNullPointerException() {
      assertThatThrownBy(() -> OK.withTimeout(null)).isInstanceOf(NullPointerException.class).hasMessage("timeout");
      assertThatThrownBy(() -> OK.withTimeout(null, "fallback")).isInstanceOf(NullPointerException.class).hasMessage("timeout");
    }

    @Test
    void aZeroOrNegativeTimeoutThrowsIllegalArgumentExceptionWithTheValue() {
      assertThatThrownBy(() -> OK.withTimeout(Duration.ZERO)).isInstanceOf(IllegalArgumentException.class)
          .hasMessage("timeout must be positive, got 0 ms (PT0S)");
      assertThatThrownBy(() -> OK.withTimeout(Duration.ofMillis(-5), "fallback")).isInstanceOf(IllegalArgumentException.class)
          .hasMessage("timeout must be positive, got -5 ms (PT-0.005S)");
    }

    @Test
    void runningATimedFunctionOffTheContextThrowsIllegalStateException() {
      Promise<Void> release = Promise.promise();
      TaskGroup g = openGroup(vertx.getOrCreateContext(), release);
      assertThatThrownBy(() -> OK.withTimeout(Duration.ofSeconds(1)).run(g)).isInstanceOf(IllegalStateException.class)
          .hasMessageStartingWith("a timeout's run was called on thread '" + Thread.currentThread().getName() + "'");
      g.context().runOnContext(v -> release.complete());
    }

    @Test
    void runningATimedFunctionWithANullOrForeignScopeThrows() {
      TaskFn<String> timed = OK.withTimeout(Duration.ofSeconds(1));
      assertThatThrownBy(() -> timed.run(null)).isInstanceOf(NullPointerException.class).hasMessage("scope");
      TaskScope foreign = (TaskScope) java.lang.reflect.Proxy.newProxyInstance(getClass().getClassLoader(),
          new Class<?>[] {TaskScope.class}, (p, m, a) -> null);
      assertThatThrownBy(() -> timed.run(foreign)).isInstanceOf(IllegalArgumentException.class)
          .hasMessageStartingWith("not a scope of this library");
    }

    @Test
    void runningATimedFunctionInAFinishedScopeFailsWithScopeClosed() {
      Context context = vertx.getOrCreateContext();
      TaskScope finished = finishedTaskScope(context);
      AtomicBoolean ran = new AtomicBoolean();
      TaskFn<String> timed = ((TaskFn<String>) s -> {
        ran.set(true);
        return Future.succeededFuture("x");
      }).withTimeout(Duration.ofSeconds(1));
      Throwable error = awaitFailure(on(context, () -> {
        try {
          return timed.run(finished);
        } catch (Exception e) {
          return Future.failedFuture(e);
        }
      }));
      assertThat(ran).isFalse();
      assertThat(error).isInstanceOf(TaskCancelledException.class).hasMessage("'done' has finished");
    }
  }

  @Nested
  class Scopes {
    @Test
    void nullHooksAndDelaysThrowNullPointerExceptionNamingThem() {
      await(TaskGroup.run(vertx, g -> {
        assertThatThrownBy(() -> g.onCancel(null)).isInstanceOf(NullPointerException.class).hasMessage("hook");
        assertThatThrownBy(() -> g.bind(null)).isInstanceOf(NullPointerException.class).hasMessage("abort");
        assertThatThrownBy(() -> g.sleep(null)).isInstanceOf(NullPointerException.class).hasMessage("delay");
        return Future.succeededFuture();
      }));
    }

    @Test
    void aNullScopeForScopedIoThrowsNullPointerExceptionNamingIt() {
      assertThatThrownBy(() -> ScopedIo.abortsAtDeadline(null)).isInstanceOf(NullPointerException.class).hasMessage("scope");
      assertThatThrownBy(() -> ScopedIo.onContext(null, Future::succeededFuture))
          .isInstanceOf(NullPointerException.class).hasMessage("scope");
    }

    @Test
    void aNegativeSleepThrowsIllegalArgumentExceptionWithTheValue() {
      await(TaskGroup.run(vertx, g -> {
        assertThatThrownBy(() -> g.sleep(Duration.ofMillis(-1))).isInstanceOf(IllegalArgumentException.class)
            .hasMessage("delay must not be negative, got -1 ms (PT-0.001S)");
        return Future.succeededFuture();
      }));
    }

    @Test
    void onCancelBindAndSleepOffTheContextThrowIllegalStateExceptionNamingTheOperation() {
      Promise<Void> release = Promise.promise();
      TaskGroup g = openGroup(vertx.getOrCreateContext(), release);
      String thread = Thread.currentThread().getName();
      assertThatThrownBy(() -> g.onCancel(c -> { })).isInstanceOf(IllegalStateException.class)
          .hasMessageStartingWith("onCancel was called on thread '" + thread + "', outside the context of task group 'g'");
      assertThatThrownBy(() -> g.bind(c -> { })).isInstanceOf(IllegalStateException.class)
          .hasMessageStartingWith("bind was called on thread '" + thread + "'");
      assertThatThrownBy(() -> g.sleep(Duration.ofMillis(1))).isInstanceOf(IllegalStateException.class)
          .hasMessageStartingWith("sleep was called on thread '" + thread + "'");
      g.context().runOnContext(v -> release.complete());
    }

    @Test
    void sleepAndBindOnAFinishedScopeEndAtOnceWithScopeClosed() {
      Context context = vertx.getOrCreateContext();
      TaskScope finished = finishedTaskScope(context);
      Throwable sleep = awaitFailure(on(context, () -> finished.sleep(Duration.ofMillis(10))));
      assertThat(sleep).isInstanceOf(TaskCancelledException.class).hasMessage("'done' has finished");
      List<TaskCancelledException> aborts = new CopyOnWriteArrayList<>();
      boolean removed = await(call(context, () -> finished.bind(aborts::add).remove()));
      assertThat(aborts).singleElement().satisfies(c -> assertThat(c.reason()).isEqualTo(CancelReason.SCOPE_CLOSED));
      assertThat(removed).isFalse();
    }

    @Test
    void onCancelOnAFinishedScopeNeverRunsTheHook() {
      Context context = vertx.getOrCreateContext();
      TaskScope finished = finishedTaskScope(context);
      AtomicBoolean ran = new AtomicBoolean();
      boolean removed = await(call(context, () -> finished.onCancel(c -> ran.set(true)).remove()));
      assertThat(ran).isFalse();
      assertThat(removed).as("nothing was registered").isFalse();
      assertThat(await(call(context, finished::isFinished))).isTrue();
    }

    @Test
    void aHookThatThrowsIsReportedAsAnErrorOfTheGroup() {
      IllegalStateException broken = new IllegalStateException("hook broke");
      Throwable error = awaitFailure(TaskGroup.run(vertx, g -> {
        g.spawn(s -> {
          s.onCancel(c -> {
            throw broken;
          });
          return VertxTest.<String>untilCancelled().run(s);
        });
        g.cancel();
        return Future.succeededFuture();
      }));
      assertThat(((TaskGroupException) error).exceptions()).containsExactly(broken);
    }
  }

  @Nested
  class CancellingTooLate {
    @Test
    void cancellingAFinishedTaskReturnsFalseAndChangesNothing() {
      AtomicReference<Task<String>> task = new AtomicReference<>();
      String result = await(TaskGroup.run(vertx, g -> {
        task.set(g.spawn(OK));
        return task.get().future().map(r -> {
          assertThat(task.get().cancel()).isFalse();
          return r;
        });
      }));
      assertThat(result).isEqualTo("ok");
      assertThat(task.get().state()).isEqualTo(TaskState.SUCCEEDED);
      assertThat(task.get().cancel()).isFalse();
    }

    @Test
    void cancellingACompletedGroupIsANoOp() {
      AtomicReference<TaskGroup> group = new AtomicReference<>();
      String result = await(TaskGroup.run(vertx, g -> {
        group.set(g);
        return Future.succeededFuture("done");
      }));
      group.get().cancel();
      assertThat(result).isEqualTo("done");
      assertThat(await(call(group.get().context(), () -> group.get().isCancelled()))).isFalse();
    }
  }

  @Nested
  class Options {
    @Test
    void aMaxConcurrencyBelowOneThrowsIllegalArgumentExceptionWithTheValue() {
      assertThatThrownBy(() -> new TaskGroupOptions().setMaxConcurrency(0)).isInstanceOf(IllegalArgumentException.class)
          .hasMessage("maxConcurrency must be at least 1, got 0");
      assertThatThrownBy(() -> new TaskGroupOptions().setMaxConcurrency(-3)).hasMessage("maxConcurrency must be at least 1, got -3");
    }

    @Test
    void aNegativeMaxQueuedThrowsIllegalArgumentExceptionWithTheValue() {
      assertThatThrownBy(() -> new TaskGroupOptions().setMaxQueued(-1)).isInstanceOf(IllegalArgumentException.class)
          .hasMessage("maxQueued must not be negative, got -1");
    }

    @Test
    void aZeroOrNegativeGroupTimeoutThrowsIllegalArgumentExceptionAndNullRemovesIt() {
      assertThatThrownBy(() -> new TaskGroupOptions().setTimeout(Duration.ZERO)).isInstanceOf(IllegalArgumentException.class)
          .hasMessage("timeout must be positive, got 0 ms (PT0S)");
      assertThat(new TaskGroupOptions().setTimeout(Duration.ofSeconds(1)).setTimeout(null).getTimeout()).isNull();
    }

    @Test
    void aNullNameOrNullOptionsToCopyThrowNullPointerException() {
      assertThatThrownBy(() -> new TaskGroupOptions().setName(null)).isInstanceOf(NullPointerException.class).hasMessage("name");
      assertThatThrownBy(() -> new TaskGroupOptions((TaskGroupOptions) null)).isInstanceOf(NullPointerException.class);
      assertThatThrownBy(() -> new TaskGroupOptions((JsonObject) null)).isInstanceOf(NullPointerException.class).hasMessage("json");
    }

    @Test
    void optionsChangedAfterTheGroupStartedDoNotReachIt() {
      TaskGroupOptions options = new TaskGroupOptions().setName("before").setMaxConcurrency(1);
      List<String> seen = new ArrayList<>();
      await(TaskGroup.run(vertx, options, g -> {
        options.setName("after").setMaxConcurrency(5);
        g.spawn(VertxTest.<String>later("a"));
        seen.add(g.name() + " " + g.spawn(VertxTest.<String>later("b")).state());
        return Future.succeededFuture();
      }));
      assertThat(seen).containsExactly("before PENDING");
    }
  }

  /** Issue 9 item 3: no Duration the API accepts ends in an ArithmeticException. */
  @Nested
  class HugeDurations {
    private final Duration longAgo = Duration.ofSeconds(Long.MIN_VALUE);
    private final Duration practicallyNever = Duration.ofSeconds(Long.MAX_VALUE);

    @Test
    void aDurationTooNegativeForMillisecondsIsRefusedWithIllegalArgumentExceptionNamingIt() {
      String value = "less than -9223372036854775808 ms (" + longAgo + ")";
      assertThatThrownBy(() -> OK.withTimeout(longAgo)).isInstanceOf(IllegalArgumentException.class)
          .hasMessage("timeout must be positive, got " + value);
      assertThatThrownBy(() -> new TaskGroupOptions().setTimeout(longAgo)).isInstanceOf(IllegalArgumentException.class)
          .hasMessage("timeout must be positive, got " + value);
      Throwable sleep = await(on(vertx.getOrCreateContext(), () -> TaskGroup.run(vertx, g -> {
        try {
          g.sleep(longAgo);
          return Future.succeededFuture((Throwable) null);
        } catch (RuntimeException e) {
          return Future.succeededFuture((Throwable) e);
        }
      })));
      assertThat(sleep).isInstanceOf(IllegalArgumentException.class).hasMessage("delay must not be negative, got " + value);
    }

    @Test
    void aTimeoutTooLongForMillisecondsDescribesItselfWithoutOverflow() {
      TaskFn<String> fn = OK.withTimeout(practicallyNever);
      assertThat(fn.toString()).startsWith("TimeoutFn[more than 9223372036854775807 ms, ");
      assertThat(((TimeoutFn<String>) fn).deadlineCancellation("t"))
          .hasMessage("'t' passed its timeout of more than 9223372036854775807 ms");
      assertThat(new TaskTimeoutException("task", "t", practicallyNever))
          .hasMessage("task 't' timed out after more than 9223372036854775807 ms");
    }

    @Test
    void hugePositiveTimeoutsDeadlinesAndSleepsMeanPracticallyNever() {
      String result = await(on(vertx.getOrCreateContext(), () -> TaskGroup.run(vertx,
          new TaskGroupOptions().setTimeout(practicallyNever), g -> {
            Task<Void> sleeper = g.spawn("sleeper", s -> s.sleep(practicallyNever));
            Task<String> timed = g.spawn("timed", OK.withTimeout(practicallyNever));
            return timed.future().map(r -> {
              sleeper.cancel();
              return r + ", " + g.remaining().orElseThrow().toDays() / 365 + " years left";
            });
          })));
      assertThat(result).matches("ok, \\d{2,} years left");
    }

    @Test
    void aGroupDeadlineOfCenturiesFiresOnATestClockAndSaysSoWithoutOverflow() {
      TestClock clock = new TestClock();
      List<String> cancellations = new ArrayList<>();
      Throwable failure = awaitFailure(TaskGroup.run(vertx, new TaskGroupOptions().setName("g").setTimeout(practicallyNever).setClock(clock), g -> {
        g.spawn(s -> {
          s.onCancel(c -> cancellations.add(c.getMessage()));
          return s.sleep(practicallyNever);
        });
        clock.advance(practicallyNever); // stops at TestClock.MAX, past the saturated deadline
        return Future.succeededFuture();
      }));
      assertThat(((TaskGroupException) failure).exceptions()).singleElement()
          .satisfies(e -> assertThat(e).hasMessage("task group 'g' timed out after more than 9223372036854775807 ms"));
      assertThat(cancellations).containsExactly("task group 'g' passed its deadline of more than 9223372036854775807 ms");
    }
  }

  @Nested
  class Values {
    @Test
    void aTaskGroupExceptionNeedsAtLeastOneNonNullError() {
      assertThatThrownBy(() -> new TaskGroupException("m", List.of())).isInstanceOf(IllegalArgumentException.class)
          .hasMessage("a TaskGroupException needs at least one exception");
      assertThatThrownBy(() -> new TaskGroupException("m", Arrays.asList(new IOException(), null)))
          .isInstanceOf(NullPointerException.class).hasMessage("exceptions contains null");
      assertThatThrownBy(() -> new TaskGroupException("m", null)).isInstanceOf(NullPointerException.class);
    }

    @Test
    void nullPredicatesCausesAndReasonsThrowNullPointerExceptionNamingThem() {
      TaskGroupException e = new TaskGroupException("m", List.of(new IOException()));
      assertThatThrownBy(() -> e.split(null)).isInstanceOf(NullPointerException.class).hasMessage("predicate");
      assertThatThrownBy(() -> e.subgroup(null)).isInstanceOf(NullPointerException.class).hasMessage("predicate");
      assertThatThrownBy(() -> Outcome.failure(null)).isInstanceOf(NullPointerException.class).hasMessage("cause");
      assertThatThrownBy(() -> new Settled.Failure(0, null)).isInstanceOf(NullPointerException.class).hasMessage("cause");
      assertThatThrownBy(() -> new TaskCancelledException(null, "m")).isInstanceOf(NullPointerException.class).hasMessage("reason");
      assertThatThrownBy(() -> new TaskTimeoutException("task", "t", null)).isInstanceOf(NullPointerException.class).hasMessage("timeout");
    }

    @Test
    void theErrorsOfATaskGroupExceptionCannotBeModified() {
      TaskGroupException e = new TaskGroupException("m", List.of(new IOException()));
      assertThatThrownBy(() -> e.exceptions().add(new IOException())).isInstanceOf(UnsupportedOperationException.class);
    }
  }

  /** Retry, hedge, quorum and shield: every option and argument checked at once, naming the value. */
  @Nested
  class Resilience {
    private Future<String> runOn(TaskScope scope, TaskFn<String> fn) {
      return on(scope.context(), () -> {
        try {
          return fn.run(scope);
        } catch (Exception e) {
          return Future.failedFuture(e);
        }
      });
    }

    @Test
    void badRetryOptionsThrowNamingTheValue() {
      RetryOptions o = new RetryOptions();
      assertThatThrownBy(() -> o.setMaxAttempts(0)).isInstanceOf(IllegalArgumentException.class)
          .hasMessage("maxAttempts must be at least 1, got 0");
      assertThatThrownBy(() -> o.setInitialDelay(Duration.ofMillis(-1))).isInstanceOf(IllegalArgumentException.class)
          .hasMessage("initialDelay must not be negative, got -1 ms (PT-0.001S)");
      assertThatThrownBy(() -> o.setMaxDelay(Duration.ofMillis(-5))).hasMessage("maxDelay must not be negative, got -5 ms (PT-0.005S)");
      assertThatThrownBy(() -> o.setMinRemaining(Duration.ofMillis(-5))).hasMessage("minRemaining must not be negative, got -5 ms (PT-0.005S)");
      for (double bad : new double[] {0.5, Double.NaN, Double.POSITIVE_INFINITY}) {
        assertThatThrownBy(() -> o.setMultiplier(bad)).isInstanceOf(IllegalArgumentException.class)
            .hasMessage("multiplier must be a finite number of at least 1, got " + bad);
      }
      assertThatThrownBy(() -> o.setInitialDelay(null)).isInstanceOf(NullPointerException.class).hasMessage("initialDelay");
      assertThatThrownBy(() -> o.setMaxDelay(null)).isInstanceOf(NullPointerException.class).hasMessage("maxDelay");
      assertThatThrownBy(() -> o.setMinRemaining(null)).isInstanceOf(NullPointerException.class).hasMessage("minRemaining");
      assertThatThrownBy(() -> o.setRetryOn(null)).isInstanceOf(NullPointerException.class).hasMessage("retryOn");
    }

    @Test
    void aMaxDelayShorterThanTheInitialDelayIsRefusedByRetriedNamingBoth() {
      RetryOptions o = new RetryOptions().setInitialDelay(Duration.ofMillis(200)).setMaxDelay(Duration.ofMillis(50));
      assertThatThrownBy(() -> OK.retried(o)).isInstanceOf(IllegalArgumentException.class)
          .hasMessage("maxDelay (50 ms) must not be shorter than initialDelay (200 ms)");
    }

    @Test
    void nullOptionsToRetriedOrHedgedThrowNullPointerException() {
      assertThatThrownBy(() -> OK.retried(null)).isInstanceOf(NullPointerException.class).hasMessage("options");
      assertThatThrownBy(() -> OK.hedged(null)).isInstanceOf(NullPointerException.class).hasMessage("options");
    }

    @Test
    void badHedgeOptionsThrowNamingTheValue() {
      HedgeOptions o = new HedgeOptions();
      assertThatThrownBy(() -> o.setMaxAttempts(0)).isInstanceOf(IllegalArgumentException.class)
          .hasMessage("maxAttempts must be at least 1, got 0");
      assertThatThrownBy(() -> o.setDelay(Duration.ofMillis(-1))).isInstanceOf(IllegalArgumentException.class)
          .hasMessage("delay must not be negative, got -1 ms (PT-0.001S)");
      assertThatThrownBy(() -> o.setDelay(null)).isInstanceOf(NullPointerException.class).hasMessage("delay");
      for (double bad : new double[] {0, 100.5, Double.NaN}) {
        assertThatThrownBy(() -> o.setAdaptiveDelay(bad, Duration.ZERO, Duration.ofSeconds(1)))
            .isInstanceOf(IllegalArgumentException.class).hasMessage("percentile must be above 0 and at most 100, got " + bad);
      }
      assertThatThrownBy(() -> o.setAdaptiveDelay(99, Duration.ofMillis(-1), Duration.ofSeconds(1)))
          .hasMessage("min must not be negative, got -1 ms (PT-0.001S)");
      assertThatThrownBy(() -> o.setAdaptiveDelay(99, Duration.ofMillis(200), Duration.ofMillis(100)))
          .isInstanceOf(IllegalArgumentException.class).hasMessage("max (100 ms) must not be shorter than min (200 ms)");
      assertThatThrownBy(() -> o.setAdaptiveDelay(99, null, Duration.ofSeconds(1))).isInstanceOf(NullPointerException.class).hasMessage("min");
      assertThatThrownBy(() -> o.setHandledOn(null)).isInstanceOf(NullPointerException.class).hasMessage("handledOn");
    }

    @Test
    void aRetryBudgetWithANegativeRatioOrReserveThrowsNamingTheValue() {
      assertThatThrownBy(() -> new RetryBudget(-0.1, 10)).isInstanceOf(IllegalArgumentException.class)
          .hasMessage("ratio must be between 0 and 1000 extra attempts per call, got -0.1");
      assertThatThrownBy(() -> new RetryBudget(Double.NaN, 10)).hasMessage("ratio must be between 0 and 1000 extra attempts per call, got NaN");
      assertThatThrownBy(() -> new RetryBudget(0.1, -1)).isInstanceOf(IllegalArgumentException.class)
          .hasMessage("reserve must not be negative, got -1");
    }

    @Test
    void aRetryBudgetWithARatioTooSmallToRefillThrowsNamingTheValue() {
      assertThatThrownBy(() -> new RetryBudget(0.0004, 10)).isInstanceOf(IllegalArgumentException.class)
          .hasMessage("ratio must be 0 or at least 0.001 extra attempts per call (the budget counts thousandths of a token), got 4.0E-4");
      assertThatThrownBy(() -> new RetryBudget(Double.MIN_VALUE, 0)).isInstanceOf(IllegalArgumentException.class);
      assertThat(new RetryBudget(0, 3)).isNotNull();
      assertThat(new RetryBudget(0.001, 0)).isNotNull();
    }

    @Test
    void aQuorumBelowOneOrAboveTheNumberOfTasksThrowsIllegalArgumentExceptionNamingKAndN() {
      List<TaskFn<String>> three = List.of(OK, OK, OK);
      assertThatThrownBy(() -> TaskGroup.quorum(vertx, 0, three)).isInstanceOf(IllegalArgumentException.class)
          .hasMessage("quorum needs k between 1 and the number of tasks n, got k=0 and n=3");
      assertThatThrownBy(() -> TaskGroup.quorum(vertx, 4, three)).isInstanceOf(IllegalArgumentException.class)
          .hasMessage("quorum needs k between 1 and the number of tasks n, got k=4 and n=3");
      assertThatThrownBy(() -> TaskGroup.quorum(vertx, 1, List.of())).hasMessage("quorum needs k between 1 and the number of tasks n, got k=1 and n=0");
      assertThatThrownBy(() -> TaskGroup.quorum(vertx, 1, null)).isInstanceOf(NullPointerException.class).hasMessage("tasks");
      assertThatThrownBy(() -> TaskGroup.quorum(vertx, null, 1, three)).isInstanceOf(NullPointerException.class).hasMessage("options");
    }

    @Test
    void aShieldWithoutAPositiveTimeoutOrAStepOrAScopeThrowsNamingIt() {
      assertThatThrownBy(() -> OK.shielded(null)).isInstanceOf(NullPointerException.class).hasMessage("timeout");
      assertThatThrownBy(() -> OK.shielded(Duration.ZERO)).isInstanceOf(IllegalArgumentException.class)
          .hasMessage("timeout must be positive, got 0 ms (PT0S)");
      assertThatThrownBy(() -> TaskGroup.shield(null, Duration.ofSeconds(1), OK)).isInstanceOf(NullPointerException.class).hasMessage("scope");
      TaskScope finished = finishedTaskScope(vertx.getOrCreateContext());
      assertThatThrownBy(() -> TaskGroup.shield(finished, Duration.ofSeconds(1), null)).isInstanceOf(NullPointerException.class).hasMessage("step");
    }

    @Test
    void runningARetriedHedgedOrShieldedFunctionOffTheContextThrowsIllegalStateException() {
      Promise<Void> release = Promise.promise();
      TaskGroup g = openGroup(vertx.getOrCreateContext(), release);
      try {
        assertThatThrownBy(() -> OK.retried(new RetryOptions()).run(g)).isInstanceOf(IllegalStateException.class)
            .hasMessageStartingWith("a retry's run was called on thread '");
        assertThatThrownBy(() -> OK.hedged(new HedgeOptions()).run(g)).isInstanceOf(IllegalStateException.class)
            .hasMessageStartingWith("a hedge's run was called on thread '");
        assertThatThrownBy(() -> TaskGroup.shield(g, Duration.ofSeconds(1), OK)).isInstanceOf(IllegalStateException.class)
            .hasMessageStartingWith("a shield's run was called on thread '");
      } finally {
        release.complete();
      }
    }

    @Test
    void aRetriedOrHedgedFunctionInAFinishedScopeRunsNoAttemptAndFailsWithScopeClosed() {
      TaskScope finished = finishedTaskScope(vertx.getOrCreateContext());
      AtomicBoolean ran = new AtomicBoolean();
      TaskFn<String> fn = scope -> {
        ran.set(true);
        return Future.succeededFuture("x");
      };
      for (TaskFn<String> combined : List.of(fn.retried(new RetryOptions()), fn.hedged(new HedgeOptions()), fn.shielded(Duration.ofSeconds(1)))) {
        Throwable error = awaitFailure(runOn(finished, combined));
        assertThat(error).isInstanceOf(TaskCancelledException.class);
        assertThat(((TaskCancelledException) error).reason()).isEqualTo(CancelReason.SCOPE_CLOSED);
      }
      assertThat(ran).isFalse();
    }

    @Test
    void withDeadlineWithoutAPositiveTimeoutOrAStepOrAScopeThrowsNamingIt() {
      TaskScope finished = finishedTaskScope(vertx.getOrCreateContext());
      assertThatThrownBy(() -> TaskGroup.withDeadline(null, Duration.ofSeconds(1), (s, d) -> Future.succeededFuture()))
          .isInstanceOf(NullPointerException.class).hasMessage("scope");
      assertThatThrownBy(() -> TaskGroup.withDeadline(finished, null, (s, d) -> Future.succeededFuture()))
          .isInstanceOf(NullPointerException.class).hasMessage("timeout");
      assertThatThrownBy(() -> TaskGroup.withDeadline(finished, Duration.ZERO, (s, d) -> Future.succeededFuture()))
          .isInstanceOf(IllegalArgumentException.class).hasMessage("timeout must be positive, got 0 ms (PT0S)");
      assertThatThrownBy(() -> TaskGroup.withDeadline(finished, Duration.ofSeconds(1), null))
          .isInstanceOf(NullPointerException.class).hasMessage("step");
    }

    @Test
    void movingADeadlineToZeroOrOffTheContextThrows() {
      AtomicReference<MovableDeadline> handle = new AtomicReference<>();
      List<Throwable> zero = new CopyOnWriteArrayList<>();
      Promise<Void> release = Promise.promise();
      on(vertx.getOrCreateContext(), () -> TaskGroup.run(vertx, g -> TaskGroup.withDeadline(g, Duration.ofSeconds(10), (s, d) -> {
        handle.set(d);
        try {
          d.reset(Duration.ZERO);
        } catch (IllegalArgumentException e) {
          zero.add(e);
        }
        return release.future();
      })));
      try {
        await(on(vertx.getOrCreateContext(), () -> Future.succeededFuture()));
        while (handle.get() == null) {
          Thread.onSpinWait();
        }
        assertThat(zero).singleElement().extracting(Throwable::getMessage).isEqualTo("timeout must be positive, got 0 ms (PT0S)");
        assertThatThrownBy(() -> handle.get().reset(Duration.ofSeconds(1))).isInstanceOf(IllegalStateException.class)
            .hasMessageStartingWith("MovableDeadline.reset was called on thread '");
        assertThatThrownBy(() -> handle.get().clear()).isInstanceOf(IllegalStateException.class)
            .hasMessageStartingWith("MovableDeadline.clear was called on thread '");
      } finally {
        release.complete();
      }
    }
  }

  @Nested
  class Observing {
    @Test
    void aSnapshotOfANullVertxOrGroupOrWithoutAPositiveTimeoutThrowsNamingIt() {
      assertThatThrownBy(() -> TaskTree.snapshot((io.vertx.core.Vertx) null)).isInstanceOf(IllegalArgumentException.class)
          .hasMessage("the vertx passed to TaskTree.snapshot is null");
      assertThatThrownBy(() -> TaskTree.snapshot((TaskGroup) null)).isInstanceOf(IllegalArgumentException.class)
          .hasMessage("the group passed to TaskTree.snapshot is null");
      assertThatThrownBy(() -> TaskTree.snapshot(vertx, null)).isInstanceOf(IllegalArgumentException.class)
          .hasMessage("the timeout passed to TaskTree.snapshot is null");
      assertThatThrownBy(() -> TaskTree.snapshot(vertx, Duration.ZERO)).isInstanceOf(IllegalArgumentException.class)
          .hasMessage("the timeout passed to TaskTree.snapshot must be positive, got 0 ms (PT0S)");
      assertThatThrownBy(() -> TaskTree.snapshot(vertx, Duration.ofMillis(-5))).isInstanceOf(IllegalArgumentException.class)
          .hasMessage("the timeout passed to TaskTree.snapshot must be positive, got -5 ms (PT-0.005S)");
    }

    @Test
    void aNullObserverThrowsIllegalArgumentException() {
      assertThatThrownBy(() -> Observability.addObserver(null)).isInstanceOf(IllegalArgumentException.class)
          .hasMessage("the observer passed to Observability.addObserver is null");
    }

    @Test
    void aMetricsBinderWithoutANameBudgetOrARegistryOrBoundTwiceThrowsNamingIt() {
      assertThatThrownBy(() -> new dev.taskgroup.micrometer.TaskGroupMetrics(vertx, 0)).isInstanceOf(IllegalArgumentException.class)
          .hasMessage("maxGroupNames must be at least 1, got 0");
      dev.taskgroup.micrometer.TaskGroupMetrics m = new dev.taskgroup.micrometer.TaskGroupMetrics();
      assertThatThrownBy(() -> m.bindTo(null)).isInstanceOf(IllegalArgumentException.class)
          .hasMessage("the registry passed to TaskGroupMetrics.bindTo is null");
      try {
        m.bindTo(new io.micrometer.core.instrument.simple.SimpleMeterRegistry());
        assertThatThrownBy(() -> m.bindTo(new io.micrometer.core.instrument.simple.SimpleMeterRegistry()))
            .isInstanceOf(IllegalStateException.class)
            .hasMessage("this TaskGroupMetrics is already bound to a registry; close it first, or make another");
      } finally {
        m.close();
      }
    }

    @Test
    void aSnapshotOfACompletedGroupListsItCompletedWithNothingBelow() {
      TaskGroup[] kept = new TaskGroup[1];
      await(TaskGroup.run(vertx, new TaskGroupOptions().setName("over"), g -> {
        kept[0] = g;
        return Future.succeededFuture();
      }));
      TaskTree tree = await(TaskTree.snapshot(kept[0]));
      assertThat(tree.groups()).singleElement().satisfies(n -> {
        assertThat(n.state()).isEqualTo("COMPLETED");
        assertThat(n.children()).isEmpty();
      });
    }
  }
}
