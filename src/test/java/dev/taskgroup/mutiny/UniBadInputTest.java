package dev.taskgroup.mutiny;

import static dev.taskgroup.mutiny.Unis.subscribed;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.taskgroup.TaskFn;
import dev.taskgroup.TaskGroup;
import dev.taskgroup.TaskGroupException;
import dev.taskgroup.TaskGroupOptions;
import dev.taskgroup.TaskScope;
import dev.taskgroup.VertxTest;
import io.smallrye.mutiny.Uni;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.util.Arrays;
import java.util.List;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.Test;

/**
 * Every misuse of {@link UniTaskGroup} and what it produces; the rows of README's "Bad input"
 * table name these tests. Arguments are checked when the {@code Uni} is built; what only a run can
 * tell fails the {@code Uni} (or the task) when it is subscribed.
 */
class UniBadInputTest extends MutinyTest {
  private static final TaskFn<String> OK = UniTaskGroup.task(scope -> Uni.createFrom().item("ok"));

  @Test
  void aNullSupplierToTaskThrowsNullPointerException() {
    assertThatThrownBy(() -> UniTaskGroup.task(null)).isInstanceOf(NullPointerException.class).hasMessage("supplier");
  }

  @Test
  void aSupplierThatReturnsNullIsAFailedTaskSayingSo() {
    Throwable failure = awaitFailure(TaskGroup.all(vertx, List.of(UniTaskGroup.<String>task(scope -> null))));
    assertThat(((TaskGroupException) failure).exceptions()).hasSize(1);
    assertThat(((TaskGroupException) failure).exceptions().get(0)).isInstanceOf(NullPointerException.class)
        .hasMessage("the Uni supplier of a task returned null instead of a Uni");
  }

  @Test
  void aBodyThatReturnsNullFailsTheGroupSayingSo() {
    Throwable failure = awaitFailure(subscribed(UniTaskGroup.run(vertx, new TaskGroupOptions().setName("g"), g -> null)));
    assertThat(((TaskGroupException) failure).exceptions()).hasSize(1);
    assertThat(((TaskGroupException) failure).exceptions().get(0)).isInstanceOf(NullPointerException.class)
        .hasMessage("the body of task group 'g' returned null instead of a Uni");
  }

  @Test
  void nullArgumentsToRunThrowNullPointerExceptionNamingTheArgument() {
    assertNpe(() -> UniTaskGroup.run((Vertx) null, g -> Uni.createFrom().item("x")), "vertx");
    assertNpe(() -> UniTaskGroup.run(vertx, null), "body");
    assertNpe(() -> UniTaskGroup.run(vertx, null, g -> Uni.createFrom().item("x")), "options");
    assertNpe(() -> UniTaskGroup.run((TaskScope) null, g -> Uni.createFrom().item("x")), "scope");
  }

  @Test
  void nullArgumentsToThePatternsThrowNullPointerExceptionNamingTheArgument() {
    List<TaskFn<String>> withNull = Arrays.asList(OK, null);
    assertNpe(() -> UniTaskGroup.all((Vertx) null, List.of(OK)), "vertx");
    assertNpe(() -> UniTaskGroup.gather((TaskScope) null, List.of(OK)), "scope");
    assertNpe(() -> UniTaskGroup.settle(vertx, null, List.of(OK)), "options");
    assertNpe(() -> UniTaskGroup.race(vertx, null), "tasks");
    assertNpe(() -> UniTaskGroup.all(vertx, withNull), "tasks[1] is null");
    assertNpe(() -> UniTaskGroup.quorum(vertx, 1, withNull), "tasks[1] is null");
    assertNpe(() -> UniTaskGroup.toUni(null), "future");
  }

  @Test
  void aQuorumBelowOneOrAboveTheNumberOfTasksThrowsIllegalArgumentExceptionNamingKAndN() {
    assertThatThrownBy(() -> UniTaskGroup.quorum(vertx, 0, List.of(OK))).isInstanceOf(IllegalArgumentException.class)
        .hasMessage("quorum needs k between 1 and the number of tasks n, got k=0 and n=1");
    assertThatThrownBy(() -> UniTaskGroup.quorum(vertx, 3, List.of(OK, OK))).isInstanceOf(IllegalArgumentException.class)
        .hasMessage("quorum needs k between 1 and the number of tasks n, got k=3 and n=2");
  }

  @Test
  void anEmptyRaceFailsTheUniWithIllegalArgumentExceptionWhenSubscribed() {
    Throwable failure = awaitFailure(subscribed(UniTaskGroup.race(vertx, List.<TaskFn<String>>of())));
    assertThat(failure).isInstanceOf(IllegalArgumentException.class)
        .hasMessage("race needs at least one task: with none there is no winner");
  }

  @Test
  void aScopeNotFromThisLibraryFailsTheUniWithIllegalArgumentExceptionWhenSubscribed() {
    TaskScope foreign = (TaskScope) java.lang.reflect.Proxy.newProxyInstance(getClass().getClassLoader(),
        new Class<?>[] {TaskScope.class}, (p, m, a) -> null);
    Uni<List<String>> uni = UniTaskGroup.all(foreign, List.of(OK)); // built: the scope is only used when subscribed
    assertThat(awaitFailure(subscribed(uni))).isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("not a scope of this library: ");
    assertThat(awaitFailure(subscribed(UniTaskGroup.run(foreign, g -> Uni.createFrom().item("x")))))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void aScopeFormSubscribedAfterItsScopeFinishedFailsWithScopeClosed() {
    TaskScope[] kept = new TaskScope[1];
    await(TaskGroup.all(vertx, List.<TaskFn<String>>of(scope -> {
      kept[0] = scope;
      return Future.succeededFuture("done");
    })));
    assertThat(awaitFailure(subscribed(UniTaskGroup.all(kept[0], List.of(OK)))))
        .isInstanceOf(dev.taskgroup.TaskCancelledException.class)
        .hasMessageEndingWith("has finished");
  }

  private static void assertNpe(ThrowingCallable call, String message) {
    assertThatThrownBy(call).isInstanceOf(NullPointerException.class).hasMessage(message);
  }
}
