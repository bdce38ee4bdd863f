package dev.taskgroup.mutiny;

import static dev.taskgroup.mutiny.Unis.on;
import static dev.taskgroup.mutiny.Unis.subscribed;
import static dev.taskgroup.mutiny.Unis.subscribedOn;
import static org.assertj.core.api.Assertions.assertThat;

import dev.taskgroup.TaskFn;
import dev.taskgroup.TaskGroup;
import dev.taskgroup.VertxTest;
import io.smallrye.mutiny.Uni;
import io.smallrye.mutiny.subscription.Cancellable;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.internal.ContextInternal;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.Test;

/**
 * Issue 16, item 3: the group runs on the context its {@code Uni} is subscribed on (a duplicated
 * one included), or on a context of its own off Vert.x threads; {@code emitOn} and
 * {@code runSubscriptionOn} behave as {@link UniTaskGroup}'s javadoc says.
 *
 * <p>Duplicated contexts are made with {@code ContextInternal.duplicate()}, Vert.x internal API:
 * Vert.x makes them for each HTTP request, and a test needs one without a server.
 */
class UniContextTest extends MutinyTest {
  private final ExecutorService pool = Executors.newSingleThreadExecutor(r -> new Thread(r, "plain-pool"));

  @AfterEach
  void stopPool() {
    pool.shutdownNow();
  }

  /** A task that records the context it runs on, and a group that records where its Uni emits. */
  private final List<Context> taskRanOn = new CopyOnWriteArrayList<>();
  private final TaskFn<String> recording = UniTaskGroup.task(scope -> {
    taskRanOn.add(Vertx.currentContext());
    return Unis.later("x");
  });

  @Test
  void subscribedOnAnEventLoopContextTheGroupRunsOnIt() {
    Context context = vertx.getOrCreateContext();
    AtomicReference<Context> emittedOn = new AtomicReference<>();
    await(subscribedOn(context, UniTaskGroup.all(vertx, List.of(recording, recording))
        .invoke(x -> emittedOn.set(Vertx.currentContext()))));
    assertThat(taskRanOn).containsExactly(context, context);
    assertThat(emittedOn.get()).as("the item is emitted on the group's context").isSameAs(context);
  }

  @Test
  void subscribedOnADuplicatedContextTheGroupRunsOnThatDuplicate() {
    ContextInternal base = (ContextInternal) vertx.getOrCreateContext();
    ContextInternal duplicate = base.duplicate();
    duplicate.putLocal("request-id", "r-42");
    List<Object> localsSeen = new CopyOnWriteArrayList<>();
    TaskFn<String> readsLocal = UniTaskGroup.task(scope -> {
      localsSeen.add(((ContextInternal) Vertx.currentContext()).getLocal("request-id"));
      return Unis.later("x");
    });
    await(subscribedOn(duplicate, UniTaskGroup.run(vertx, g -> {
      g.spawn(recording);
      g.spawn(readsLocal);
      return Uni.createFrom().item("body");
    })));
    assertThat(taskRanOn).containsExactly(duplicate);
    assertThat(localsSeen).containsExactly("r-42");
  }

  @Test
  void subscribedOffVertxThreadsTheGroupRunsOnAnEventLoopContextOfItsOwn() {
    AtomicReference<Context> emittedOn = new AtomicReference<>();
    await(subscribed(UniTaskGroup.all(vertx, List.of(recording, recording))
        .invoke(x -> emittedOn.set(Vertx.currentContext()))));
    assertThat(taskRanOn).hasSize(2).doesNotContainNull();
    assertThat(taskRanOn.get(0)).isSameAs(taskRanOn.get(1)).isSameAs(emittedOn.get());
    assertThat(taskRanOn.get(0).isEventLoopContext()).isTrue();
  }

  @Test
  void subscribedInBlockingCodeOfAContextTheGroupRunsOnThatContextWithoutBlockingItsLoop() {
    Context context = vertx.getOrCreateContext();
    AtomicReference<Thread> subscribedOn = new AtomicReference<>();
    await(on(context, () -> context.executeBlocking(() -> {
      subscribedOn.set(Thread.currentThread()); // a worker thread, with the context current
      return UniTaskGroup.all(vertx, List.of(recording)).await().atMost(java.time.Duration.ofSeconds(10));
    })));
    assertThat(subscribedOn.get().getName()).contains("worker");
    assertThat(taskRanOn).containsExactly(context);
  }

  @Test
  void emitOnMovesOnlyWhereTheItemIsDelivered() {
    Context context = vertx.getOrCreateContext();
    AtomicReference<Thread> deliveredOn = new AtomicReference<>();
    await(subscribedOn(context, UniTaskGroup.all(vertx, List.of(recording)).emitOn(pool)
        .invoke(x -> deliveredOn.set(Thread.currentThread()))));
    assertThat(taskRanOn).containsExactly(context);
    assertThat(deliveredOn.get().getName()).isEqualTo("plain-pool");
  }

  @Test
  void runSubscriptionOnAVertxContextPutsTheGroupOnThatContext() {
    Context target = vertx.getOrCreateContext();
    Context elsewhere = vertx.getOrCreateContext();
    assertThat(target).isNotSameAs(elsewhere);
    await(subscribedOn(elsewhere, UniTaskGroup.all(vertx, List.of(recording))
        .runSubscriptionOn(command -> target.runOnContext(v -> command.run()))));
    assertThat(taskRanOn).containsExactly(target);
  }

  @Test
  void runSubscriptionOnAPlainThreadPoolGivesTheGroupAContextOfItsOwn() {
    Context caller = vertx.getOrCreateContext();
    await(subscribedOn(caller, UniTaskGroup.all(vertx, List.of(recording)).runSubscriptionOn(pool)));
    assertThat(taskRanOn).hasSize(1).doesNotContainNull();
    assertThat(taskRanOn.get(0)).isNotSameAs(caller);
    assertThat(taskRanOn.get(0).isEventLoopContext()).isTrue();
  }

  @Test
  void aScopeFormRunsOnTheScopesContextWhereverItIsSubscribed() {
    Context context = vertx.getOrCreateContext();
    List<String> results = await(on(context, () -> TaskGroup.run(vertx, g -> {
      Promise<List<String>> p = Promise.promise();
      pool.execute(() -> UniTaskGroup.all(g, List.of(recording)).subscribe().with(p::complete, p::fail));
      return p.future();
    })));
    assertThat(results).containsExactly("x");
    assertThat(taskRanOn).containsExactly(context);
  }

  @RepeatedTest(20)
  void aCancelFromAnotherThreadRunsTheTasksHooksOnTheGroupsContext() {
    Context context = vertx.getOrCreateContext();
    Unis.Probe<String> probe = new Unis.Probe<>();
    List<Context> hooksRanOn = new CopyOnWriteArrayList<>();
    TaskFn<String> hanging = scope -> {
      scope.onCancel(c -> hooksRanOn.add(Vertx.currentContext()));
      return UniTaskGroup.task(s -> probe.hanging()).run(scope);
    };
    Cancellable subscription = await(on(context, () -> Future.succeededFuture(
        UniTaskGroup.all(vertx, List.of(hanging)).subscribe().with(x -> { }, e -> { }))));
    await(probe.firstSubscription());
    pool.execute(subscription::cancel);
    await(probe.firstCancel());
    assertThat(hooksRanOn).containsExactly(context);
    assertThat(probe.cancelledOn).containsExactly(context);
  }
}
