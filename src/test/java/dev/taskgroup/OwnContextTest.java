package dev.taskgroup;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.Test;

/**
 * "On the group's context" means the context itself, not merely its event-loop thread (issue 10,
 * item 1): two contexts {@code a} and {@code b} on one event loop, a group on {@code a}, its work
 * completed from {@code b}. Every piece of user code the library calls afterwards runs with
 * {@code Vertx.currentContext() == a}.
 */
class OwnContextTest extends VertxTest {
  private Context a;
  private Context b;
  private final List<String> wrong = new CopyOnWriteArrayList<>();

  /** Two distinct contexts that share one event-loop thread (new contexts go round the event loops). */
  @BeforeEach
  void twoContextsOnOneEventLoop() {
    a = vertx.getOrCreateContext();
    Thread threadOfA = threadOf(a);
    for (int i = 0; i < 64 && b == null; i++) {
      Context candidate = vertx.getOrCreateContext();
      if (candidate != a && threadOf(candidate) == threadOfA) {
        b = candidate;
      }
    }
    assertThat(b).as("a second context on the event loop of the first").isNotNull();
  }

  private Thread threadOf(Context context) {
    return await(call(context, Thread::currentThread));
  }

  /** Records a call of user code that did not see {@code a} as the current context. */
  private void expectA(String where) {
    if (Vertx.currentContext() != a) {
      wrong.add(where + " ran on " + Vertx.currentContext());
    }
  }

  @RepeatedTest(5)
  void aQueuedTaskStartedByWorkCompletedFromAnotherContextRunsOnTheGroupsContext() {
    Promise<String> first = Promise.promise();
    Future<String> result = on(a, () -> TaskGroup.run(vertx, new TaskGroupOptions().setMaxConcurrency(1), g -> {
      g.spawn(s -> first.future());
      return g.spawn(s -> {
        expectA("the queued task's function");
        return Future.succeededFuture("second");
      }).future();
    }));
    b.runOnContext(v -> first.complete("first"));
    assertThat(await(result)).isEqualTo("second");
    assertThat(wrong).isEmpty();
  }

  @Test
  void listenersOfATaskFutureAndOfTheGroupRunOnTheGroupsContext() {
    Promise<String> work = Promise.promise();
    Future<String> result = on(a, () -> TaskGroup.run(vertx, g -> {
      Task<String> t = g.spawn(s -> work.future());
      t.future().onComplete(ar -> expectA("a listener of Task.future()"));
      return t.future();
    }).andThen(ar -> expectA("a listener of the group's future")));
    b.runOnContext(v -> work.complete("done"));
    assertThat(await(result)).isEqualTo("done");
    assertThat(wrong).isEmpty();
  }

  @Test
  void hooksRunOnTheGroupsContextWhenAFailureArrivesFromAnotherContext() {
    Promise<String> failing = Promise.promise();
    Future<Void> result = on(a, () -> TaskGroup.run(vertx, g -> {
      g.spawn(s -> failing.future());
      g.spawn(s -> {
        s.onCancel(c -> expectA("a cancel hook"));
        return VertxTest.<String>untilCancelled().run(s);
      });
      return Future.succeededFuture();
    }));
    b.runOnContext(v -> failing.fail(new IllegalStateException("upstream")));
    awaitFailure(result);
    assertThat(wrong).isEmpty();
  }

  @Test
  void theBodyOfANestedGroupOpenedFromAnotherContextRunsOnTheGroupsContext() {
    Promise<Void> release = Promise.promise();
    AtomicReference<TaskScope> scope = new AtomicReference<>();
    Future<Void> outer = on(a, () -> TaskGroup.run(vertx, g -> {
      g.spawn(s -> {
        scope.set(s);
        return release.future();
      });
      return Future.succeededFuture();
    }));
    Future<String> nested = await(call(b, () -> TaskGroup.run(scope.get(), g -> {
      expectA("the body of a nested group");
      return g.spawn(s -> {
        expectA("a task of a nested group");
        return Future.succeededFuture("inner");
      }).future();
    })));
    assertThat(await(nested)).isEqualTo("inner");
    a.runOnContext(v -> release.complete());
    await(outer);
    assertThat(wrong).isEmpty();
  }

  @Test
  void aTopLevelGroupOpenedInsideATaskStartedFromAnotherContextBelongsToTheGroupsContext() {
    Promise<String> first = Promise.promise();
    AtomicReference<Context> innerContext = new AtomicReference<>();
    Future<String> result = on(a, () -> TaskGroup.run(vertx, new TaskGroupOptions().setMaxConcurrency(1), g -> {
      g.spawn(s -> first.future());
      return g.spawn(s -> TaskGroup.run(vertx, inner -> {
        innerContext.set(inner.context());
        return Future.succeededFuture("inner");
      })).future();
    }));
    b.runOnContext(v -> first.complete("first"));
    assertThat(await(result)).isEqualTo("inner");
    assertThat(innerContext.get()).isSameAs(a);
  }

  @Test
  void spawnFromAnotherContextOnTheSameThreadIsRefused() {
    Promise<Void> release = Promise.promise();
    TaskGroup g = openGroup(a, release);
    Throwable refused = await(call(b, () -> {
      try {
        g.spawn(s -> Future.succeededFuture());
        return null;
      } catch (IllegalStateException e) {
        return e;
      }
    }));
    assertThat(refused).isInstanceOf(IllegalStateException.class).hasMessageContaining("in another Vert.x context than task group 'g'");
    a.runOnContext(v -> release.complete());
  }

  @Test
  void aCancelHookRemovedFromAnotherContextIsRemovedOnTheGroupsContextAndNeverRuns() {
    Promise<Void> release = Promise.promise();
    TaskGroup g = openGroup(a, release);
    List<String> ran = new CopyOnWriteArrayList<>();
    Registration hook = await(call(a, () -> g.onCancel(c -> ran.add("hook"))));
    assertThat(await(call(b, hook::remove))).isTrue();
    await(call(a, () -> {
      g.cancel();
      return null;
    }));
    a.runOnContext(v -> release.complete());
    assertThat(ran).isEmpty();
  }
}
