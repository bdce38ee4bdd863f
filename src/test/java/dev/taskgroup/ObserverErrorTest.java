package dev.taskgroup;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.AsyncResult;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * An observer that throws an {@link Error} from any of its callbacks never leaves its group
 * pending, and the Error is never lost: the group fails with it once the step that called the
 * observer is over, or, if the group completed meanwhile, it goes to the context's exception
 * handler. (An exception changes nothing: see ObservabilityTest.)
 */
class ObserverErrorTest extends OnManualClock {
  private static final String NAME = "observed-by-a-broken-observer";
  private Registration installed;
  private final List<Throwable> reported = new CopyOnWriteArrayList<>();
  private final Promise<Throwable> reportedError = Promise.promise(); // the first Error the context's handler got

  @AfterEach
  void removeIt() {
    if (installed != null) {
      installed.remove();
    }
  }

  /** Installs an observer of this test's groups whose callback {@code which} throws an AssertionError each time. */
  private void breakObserver(String which) {
    vertx.exceptionHandler(e -> {
      reported.add(e);
      if (e instanceof AssertionError) {
        reportedError.tryComplete(e);
      }
    });
    Consumer<String> maybeThrow = callback -> {
      if (callback.equals(which)) {
        throw new AssertionError("observer bug in " + callback);
      }
    };
    installed = Observability.addObserver((v, name, nested) -> {
      if (v != vertx || !name.equals(NAME)) {
        return null;
      }
      maybeThrow.accept("groupOpened");
      return new TaskGroupObserver.GroupObserver() {
        @Override
        public void taskStarted() {
          maybeThrow.accept("taskStarted");
        }

        @Override
        public void taskQueued() {
          maybeThrow.accept("taskQueued");
        }

        @Override
        public void taskSettled(TaskState state) {
          maybeThrow.accept("taskSettled");
        }

        @Override
        public void timeoutFired() {
          maybeThrow.accept("timeoutFired");
        }

        @Override
        public void hedged() {
          maybeThrow.accept("hedged");
        }

        @Override
        public void cancelled(CancelReason reason, int running) {
          maybeThrow.accept("cancelled");
        }
      };
    });
  }

  private TaskGroupOptions observed() {
    return options().setName(NAME);
  }

  /** {@return the errors the group failed with, or the one it failed with} */
  private static List<Throwable> errorsOf(AsyncResult<?> done) {
    Throwable cause = done.cause();
    return cause instanceof TaskGroupException ? ((TaskGroupException) cause).exceptions() : List.of(cause);
  }

  private void assertFailedWithTheObserversError(Future<?> group, String callback) {
    AsyncResult<?> done = completion(group);
    assertThat(done.failed()).as("the group completed, failed").isTrue();
    assertThat(errorsOf(done)).anySatisfy(e -> isTheObserversError(e, callback));
  }

  /**
   * The group completed; the observer's Error is among its errors, or, when the group had completed
   * before the Error's crash came round, it reaches the context's exception handler.
   */
  private void assertCompletedAndTheErrorIsNotLost(Future<?> group, String callback) {
    AsyncResult<?> done = completion(group);
    if (done.failed() && errorsOf(done).stream().anyMatch(e -> e instanceof AssertionError)) {
      assertThat(errorsOf(done)).anySatisfy(e -> isTheObserversError(e, callback));
    } else {
      assertThat(completion(reportedError.future()).result()).satisfies(e -> isTheObserversError(e, callback));
    }
  }

  private static void isTheObserversError(Throwable e, String callback) {
    assertThat(e).isInstanceOf(AssertionError.class).hasMessage("observer bug in " + callback);
  }

  @Test
  void anErrorAsTheGroupIsCancelledLetsTheCancellationFinishAndTheGroupCompletes() {
    breakObserver("cancelled");
    Promise<String> never = Promise.promise();
    List<TaskFn<String>> fns = List.of(scope -> scope.sleep(ms(10)).map("slept"), scope -> never.future(),
        scope -> Future.failedFuture(new IllegalStateException("fails fast")));
    Future<List<String>> all = on(context, () -> TaskGroup.all(vertx, observed(), fns));
    // the cancellation runs to its end (the sleeper and the never-ending task cancelled) before the
    // Error's crash comes round
    assertCompletedAndTheErrorIsNotLost(all, "cancelled");
  }

  @Test
  void anErrorAsATaskSettlesFailsTheGroupWithIt() {
    breakObserver("taskSettled");
    List<TaskFn<String>> fns = List.of(scope -> scope.sleep(ms(10)).map("slept"), scope -> Future.succeededFuture("now"));
    Future<List<String>> all = on(context, () -> TaskGroup.all(vertx, observed(), fns));
    assertFailedWithTheObserversError(all, "taskSettled");
  }

  @Test
  void anErrorAsATaskIsQueuedFailsTheGroupWithIt() {
    breakObserver("taskQueued");
    Future<Void> run = group(observed().setMaxConcurrency(1), g -> {
      g.spawn(scope -> scope.sleep(ms(10)));
      g.spawn(scope -> Future.succeededFuture()); // queued
      return Future.succeededFuture();
    });
    assertFailedWithTheObserversError(run, "taskQueued");
  }

  @Test
  void anErrorAsAHedgeFiresInTheDelaysWalkLetsEveryHedgeEndAndIsNotLost() {
    breakObserver("hedged");
    TaskFn<String> slow = scope -> scope.attempt() == 1 ? scope.sleep(ms(1_000)).map("first") : Future.succeededFuture("second");
    List<TaskFn<String>> fns = List.of(slow.hedged(new HedgeOptions().setMaxAttempts(2).setDelay(ms(100))),
        slow.hedged(new HedgeOptions().setMaxAttempts(2).setDelay(ms(100))));
    Future<List<String>> all = on(context, () -> TaskGroup.all(vertx, observed(), fns));
    advance(100);
    // both second attempts ran and won in the walk: the group may have succeeded before the crash
    assertCompletedAndTheErrorIsNotLost(all, "hedged");
  }

  @Test
  void anErrorAsATimeoutFiresLetsTheTimeoutEndTheGroupAndIsNotLost() {
    breakObserver("timeoutFired");
    TaskFn<String> slow = scope -> scope.sleep(ms(1_000)).map("late");
    Future<List<String>> all = on(context, () -> TaskGroup.all(vertx, observed(), List.of(slow.withTimeout(ms(50)))));
    advance(50);
    assertCompletedAndTheErrorIsNotLost(all, "timeoutFired");
  }

  @Test
  void anErrorAsTheGroupOpensFailsTheGroupWithIt() {
    breakObserver("groupOpened");
    Future<List<String>> all = on(context, () -> TaskGroup.all(vertx, observed(),
        List.<TaskFn<String>>of(scope -> scope.sleep(ms(10)).map("slept"))));
    assertFailedWithTheObserversError(all, "groupOpened");
  }
}
