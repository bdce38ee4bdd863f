package dev.taskgroup.mutiny;

import static dev.taskgroup.mutiny.Unis.on;
import static dev.taskgroup.mutiny.Unis.subscribed;
import static org.assertj.core.api.Assertions.assertThat;

import dev.taskgroup.CancelReason;
import dev.taskgroup.Outcome;
import dev.taskgroup.Settled;
import dev.taskgroup.TaskCancelledException;
import dev.taskgroup.TaskFn;
import dev.taskgroup.TaskGroup;
import dev.taskgroup.TaskGroupException;
import dev.taskgroup.TaskGroupOptions;
import dev.taskgroup.TaskTimeoutException;
import dev.taskgroup.VertxTest;
import io.smallrye.mutiny.Uni;
import io.smallrye.mutiny.subscription.Cancellable;
import io.smallrye.mutiny.subscription.UniSubscriber;
import io.smallrye.mutiny.subscription.UniSubscription;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Issue 16, item 2: a group as a {@code Uni}, lazy and cold, whose cancellation cancels the group. */
class UniGroupTest extends MutinyTest {
  private static final IOException BOOM = new IOException("boom");

  /** Each pattern's Uni over the same tasks, for the tests every pattern must pass. */
  record Pattern(String name, Function<List<TaskFn<String>>, Uni<?>> make) {
    @Override
    public String toString() {
      return name;
    }
  }

  private Stream<Pattern> patterns() {
    return Stream.of(
        new Pattern("all", t -> UniTaskGroup.all(vertx, t)),
        new Pattern("gather", t -> UniTaskGroup.gather(vertx, t)),
        new Pattern("settle", t -> UniTaskGroup.settle(vertx, t)),
        new Pattern("race", t -> UniTaskGroup.race(vertx, t)),
        new Pattern("quorum", t -> UniTaskGroup.quorum(vertx, 1, t)),
        new Pattern("run", t -> UniTaskGroup.run(vertx, g -> {
          t.forEach(g::spawn);
          return Uni.createFrom().nullItem();
        })));
  }

  @Nested
  class LazyAndCold {
    @Test
    void buildingTheUniStartsNothing() {
      AtomicInteger calls = new AtomicInteger();
      TaskFn<String> counted = scope -> {
        calls.incrementAndGet();
        return Future.succeededFuture("x");
      };
      UniTaskGroup.all(vertx, List.of(counted));
      UniTaskGroup.race(vertx, List.of(counted));
      UniTaskGroup.run(vertx, g -> {
        calls.incrementAndGet();
        return Uni.createFrom().item("x");
      });
      UniTaskGroup.all(vertx, List.of(UniTaskGroup.task(scope -> {
        calls.incrementAndGet();
        return Uni.createFrom().item("x");
      })));
      await(on(vertx.getOrCreateContext(), () -> Future.succeededFuture())); // a turn of the loop: still nothing
      assertThat(calls).hasValue(0);
    }

    @Test
    void eachSubscriptionRunsTheGroupAgain() {
      List<TaskGroup> groups = new CopyOnWriteArrayList<>();
      Uni<String> uni = UniTaskGroup.run(vertx, g -> {
        groups.add(g);
        return Unis.later("run " + groups.size());
      });
      assertThat(await(subscribed(uni))).isEqualTo("run 1");
      assertThat(await(subscribed(uni))).isEqualTo("run 2");
      assertThat(groups).hasSize(2).doesNotHaveDuplicates();
    }

    @Test
    void theTasksAreReadWhenTheUniIsBuiltAndRunAgainOnEverySubscription() {
      AtomicInteger calls = new AtomicInteger();
      List<TaskFn<Integer>> tasks = new ArrayList<>();
      tasks.add(UniTaskGroup.task(scope -> Uni.createFrom().item(calls.incrementAndGet())));
      Uni<List<Integer>> uni = UniTaskGroup.all(vertx, tasks);
      tasks.clear(); // changes nothing
      assertThat(await(subscribed(uni))).containsExactly(1);
      assertThat(await(subscribed(uni))).containsExactly(2);
    }

    @Test
    void memoizeSharesOneRunBetweenSubscribers() {
      AtomicInteger runs = new AtomicInteger();
      Uni<Integer> shared = UniTaskGroup.run(vertx, g -> Unis.later(runs.incrementAndGet())).memoize().indefinitely();
      assertThat(await(subscribed(shared))).isEqualTo(1);
      assertThat(await(subscribed(shared))).isEqualTo(1);
      assertThat(runs).hasValue(1);
    }
  }

  @Nested
  class Outcomes {
    @Test
    void runEmitsTheBodysItemOnceEveryTaskHasSettled() {
      List<String> order = new CopyOnWriteArrayList<>();
      String result = await(subscribed(UniTaskGroup.run(vertx, g -> {
        g.spawn(UniTaskGroup.task(scope -> Unis.later("slow").onItem().delayIt().by(Duration.ofMillis(20))
            .invoke(order::add)));
        return Uni.createFrom().item("body").invoke(order::add);
      }).invoke(order::add)));
      assertThat(result).isEqualTo("body");
      assertThat(order).containsExactly("body", "slow", "body");
    }

    @Test
    void runFailsWithTheTaskGroupExceptionOfEveryErrorAndItsTasksCancelled() {
      Unis.Probe<String> sibling = new Unis.Probe<>();
      Throwable failure = awaitFailure(subscribed(UniTaskGroup.run(vertx, g -> {
        g.spawn(UniTaskGroup.task(scope -> sibling.hanging()));
        return Unis.failingLater(BOOM);
      })));
      assertThat(failure).isInstanceOf(TaskGroupException.class);
      assertThat(((TaskGroupException) failure).exceptions()).containsExactly(BOOM);
      assertThat(sibling.cancelled).hasValue(1);
    }

    @Test
    void theBodysUniIsCancelledWithTheGroup() {
      Unis.Probe<String> body = new Unis.Probe<>();
      Throwable failure = awaitFailure(subscribed(UniTaskGroup.run(vertx, g -> {
        g.spawn(UniTaskGroup.task(scope -> Unis.failingLater(BOOM)));
        return body.hanging();
      })));
      assertThat(((TaskGroupException) failure).exceptions()).containsExactly(BOOM);
      assertThat(body.cancelled).hasValue(1);
    }

    @Test
    void allEmitsTheResultsInInputOrder() {
      assertThat(await(subscribed(UniTaskGroup.all(vertx, List.of(
          UniTaskGroup.task(scope -> Unis.later("a").onItem().delayIt().by(Duration.ofMillis(10))),
          UniTaskGroup.task(scope -> Unis.later("b")))))))
          .containsExactly("a", "b");
    }

    @Test
    void allFailsWithTheCorePatternsFailureNotAWrappedOne() {
      Throwable failure = awaitFailure(subscribed(UniTaskGroup.all(vertx, new TaskGroupOptions().setName("fan-out"),
          List.of(UniTaskGroup.<String>task(scope -> Unis.failingLater(BOOM))))));
      assertThat(failure).isInstanceOf(TaskGroupException.class).hasMessageContaining("fan-out");
      assertThat(((TaskGroupException) failure).exceptions()).containsExactly(BOOM);
    }

    @Test
    void aDeadlineFailsWithTheOneFailureShape() {
      Unis.Probe<String> probe = new Unis.Probe<>();
      Throwable failure = awaitFailure(subscribed(UniTaskGroup.all(vertx, new TaskGroupOptions().setTimeout(Duration.ofMillis(20)),
          List.of(UniTaskGroup.task(scope -> probe.hanging())))));
      assertThat(failure).isInstanceOf(TaskGroupException.class);
      assertThat(((TaskGroupException) failure).exceptions()).singleElement().isInstanceOf(TaskTimeoutException.class);
      assertThat(probe.cancelled).hasValue(1);
    }

    @Test
    void gatherEmitsEveryOutcomeInInputOrder() {
      List<Outcome<String>> outcomes = await(subscribed(UniTaskGroup.gather(vertx, List.of(
          UniTaskGroup.task(scope -> Unis.failingLater(BOOM)), UniTaskGroup.task(scope -> Unis.later("b"))))));
      assertThat(outcomes).hasSize(2);
      assertThat(outcomes.get(0).cause()).isSameAs(BOOM);
      assertThat(outcomes.get(1).result()).isEqualTo("b");
    }

    @Test
    void settleEmitsTheSuccessesAndTheIndexedFailures() {
      Settled<String> settled = await(subscribed(UniTaskGroup.settle(vertx, List.of(
          UniTaskGroup.task(scope -> Unis.failingLater(BOOM)), UniTaskGroup.task(scope -> Unis.later("b"))))));
      assertThat(settled.successes()).containsExactly("b");
      assertThat(settled.failures()).singleElement().satisfies(f -> {
        assertThat(f.index()).isZero();
        assertThat(f.cause()).isSameAs(BOOM);
      });
    }

    @Test
    void raceEmitsTheFirstSuccessAndCancelsTheLosers() {
      Unis.Probe<String> loser = new Unis.Probe<>();
      String winner = await(subscribed(UniTaskGroup.race(vertx, List.of(
          UniTaskGroup.task(scope -> loser.hanging()), UniTaskGroup.task(scope -> Unis.later("fast"))))));
      assertThat(winner).isEqualTo("fast");
      assertThat(loser.cancelled).hasValue(1);
    }

    @Test
    void quorumEmitsTheFirstKSuccessesAndCancelsTheRest() {
      Unis.Probe<String> rest = new Unis.Probe<>();
      assertThat(await(subscribed(UniTaskGroup.quorum(vertx, 2, List.of(
          UniTaskGroup.task(scope -> Unis.later("a")), UniTaskGroup.task(scope -> rest.hanging()),
          UniTaskGroup.task(scope -> Unis.later("c")))))))
          .containsExactly("a", "c");
      assertThat(rest.cancelled).hasValue(1);
    }
  }

  @Nested
  class CancellingTheSubscription {
    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.taskgroup.mutiny.UniGroupTest#patternNames")
    void cancelsEveryTaskOfTheGroupAndTheUniNeverEmits(String name) {
      Pattern pattern = patterns().filter(p -> p.name().equals(name)).findFirst().orElseThrow();
      Unis.Probe<String> probe = new Unis.Probe<>();
      List<TaskCancelledException> reasons = new CopyOnWriteArrayList<>();
      TaskFn<String> hanging = scope -> {
        scope.onCancel(reasons::add);
        return UniTaskGroup.task(s -> probe.hanging()).run(scope);
      };
      List<Object> emitted = new CopyOnWriteArrayList<>();
      Context context = vertx.getOrCreateContext();
      Cancellable subscription = await(on(context, () -> Future.succeededFuture(pattern.make().apply(List.of(hanging, hanging))
          .subscribe().with(emitted::add, emitted::add))));
      await(probe.firstSubscription());
      await(on(context, () -> { // every task has started by the time the first one subscribed: same turn
        subscription.cancel();
        return Future.succeededFuture();
      }));
      await(probe.firstCancel());
      await(on(context, () -> Future.succeededFuture())); // a later turn: the group has completed meanwhile
      assertThat(probe.cancelled).hasValue(2);
      assertThat(probe.live).hasValue(0);
      assertThat(reasons).hasSize(2).allSatisfy(c -> {
        if (name.equals("run")) {
          assertThat(c.reason()).isEqualTo(CancelReason.EXPLICIT);
        } else { // the pattern's group is nested in the one the subscription owns
          assertThat(c.reason()).isEqualTo(CancelReason.PARENT_CANCELLED);
          assertThat(c.getMessage()).endsWith(": task group '" + TaskGroupOptions.DEFAULT_NAME + "' was cancelled");
        }
      });
      assertThat(emitted).isEmpty();
    }

    @Test
    void aSubscriptionCancelledBeforeTheGroupStartsRunsNoneOfItsCode() {
      AtomicInteger calls = new AtomicInteger();
      List<Object> emitted = new CopyOnWriteArrayList<>();
      Uni<String> uni = UniTaskGroup.run(vertx, g -> {
        calls.incrementAndGet();
        return Uni.createFrom().item("x");
      });
      Uni<List<String>> all = UniTaskGroup.all(vertx, List.of(UniTaskGroup.task(scope -> {
        calls.incrementAndGet();
        return Uni.createFrom().item("x");
      })));
      for (Uni<?> u : List.of(uni, all)) {
        u.subscribe().withSubscriber(new UniSubscriber<Object>() {
          @Override
          public void onSubscribe(UniSubscription subscription) {
            subscription.cancel(); // before the group's body has run
          }

          @Override
          public void onItem(Object item) {
            emitted.add(item);
          }

          @Override
          public void onFailure(Throwable failure) {
            emitted.add(failure);
          }
        });
      }
      await(on(vertx.getOrCreateContext(), () -> Future.succeededFuture()));
      assertThat(calls).hasValue(0);
      assertThat(emitted).isEmpty();
    }

    @Test
    void cancellingAfterTheItemChangesNothing() {
      Promise<String> item = Promise.promise();
      Cancellable c = UniTaskGroup.run(vertx, g -> Unis.later("x")).subscribe().with(item::complete, item::fail);
      assertThat(await(item.future())).isEqualTo("x");
      c.cancel();
    }
  }

  static Stream<String> patternNames() {
    return Stream.of("all", "gather", "settle", "race", "quorum", "run");
  }

  @Nested
  class ScopeForms {
    @Test
    void aScopeFormNestsInTheScopeItsCancellationReachesTheTasksAndTheGroupWaitsForThem() {
      Unis.Probe<String> nested = new Unis.Probe<>();
      List<Object> order = new CopyOnWriteArrayList<>();
      Throwable failure = awaitFailure(TaskGroup.run(vertx, g -> {
        g.spawn(UniTaskGroup.task(scope -> UniTaskGroup.all(scope, List.of(
            UniTaskGroup.task(s -> nested.hanging().onCancellation().invoke(() -> order.add("nested cancelled")))))));
        g.spawn(UniTaskGroup.task(scope -> Unis.failingLater(BOOM)));
        return Future.succeededFuture();
      }).andThen(ar -> order.add("group completed")));
      assertThat(((TaskGroupException) failure).exceptions()).containsExactly(BOOM);
      assertThat(nested.cancelled).hasValue(1);
      assertThat(order).containsExactly("nested cancelled", "group completed");
    }

    @Test
    void eachScopeFormEmitsWhatItsVertxFormEmits() {
      TaskFn<String> a = UniTaskGroup.task(s -> Unis.later("a"));
      TaskFn<String> b = UniTaskGroup.task(s -> Unis.later("b"));
      TaskFn<List<String>> inATask = UniTaskGroup.task(scope -> Uni.join().all(List.of(
          UniTaskGroup.all(scope, List.of(a, b)).map(String::valueOf),
          UniTaskGroup.gather(scope, List.of(a, b)).map(l -> l.get(0).result() + l.get(1).result()),
          UniTaskGroup.settle(scope, List.of(a, b)).map(s -> String.valueOf(s.successes())),
          UniTaskGroup.race(scope, List.of(a)),
          UniTaskGroup.quorum(scope, 2, List.of(a, b)).map(l -> String.valueOf(l.size())),
          UniTaskGroup.run(scope, g -> Uni.createFrom().item("run")))).andFailFast());
      assertThat(await(TaskGroup.all(vertx, List.of(inATask))).get(0))
          .containsExactly("[a, b]", "ab", "[a, b]", "a", "2", "run");
    }
  }
}
