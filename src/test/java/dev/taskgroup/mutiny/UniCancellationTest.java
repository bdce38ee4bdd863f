package dev.taskgroup.mutiny;

import static dev.taskgroup.mutiny.Unis.on;
import static dev.taskgroup.mutiny.Unis.subscribed;
import static org.assertj.core.api.Assertions.assertThat;

import dev.taskgroup.TaskCancelledException;
import dev.taskgroup.TaskFn;
import dev.taskgroup.TaskGroupException;
import dev.taskgroup.VertxTest;
import dev.taskgroup.http.ScopedHttpClient;
import dev.taskgroup.http.ScopedResponse;
import io.smallrye.mutiny.TimeoutException;
import io.smallrye.mutiny.Uni;
import io.smallrye.mutiny.subscription.Cancellable;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.RequestOptions;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/**
 * Issue 16, item 4: cancellation from the Mutiny side reaches real I/O and every task; nothing is
 * left subscribed.
 */
class UniCancellationTest extends MutinyTest {

  @Nested
  class FromTheMutinySide {
    @Test
    void cancellingTheSubscriptionResetsARealHttpRequestAndTheServerSeesTheAbort() {
      Promise<Void> arrived = Promise.promise();
      Promise<Void> aborted = Promise.promise();
      HttpServer server = await(vertx.createHttpServer()
          .requestHandler(req -> { // never answers
            req.connection().closeHandler(v -> aborted.tryComplete());
            arrived.tryComplete();
          })
          .listen(0, "127.0.0.1"));
      ScopedHttpClient http = ScopedHttpClient.wrap(vertx.createHttpClient());
      TaskFn<String> call = UniTaskGroup.task(scope -> Uni.createFrom()
          .completionStage(() -> http.send(scope, new RequestOptions().setHost("127.0.0.1").setPort(server.actualPort())
              .setURI("/slow")).toCompletionStage())
          .map(ScopedResponse::bodyAsString));
      List<Object> emitted = new CopyOnWriteArrayList<>();
      Cancellable subscription = UniTaskGroup.all(vertx, List.of(call)).subscribe().with(emitted::add, emitted::add);
      await(arrived.future());
      subscription.cancel(); // from the test thread: the group hops to its context
      await(aborted.future());
      assertThat(http.abortedCount()).isEqualTo(1);
      assertThat(emitted).isEmpty();
    }

    @Test
    void aDownstreamIfNoItemTimeoutCancelsTheGroup() {
      Unis.Probe<String> probe = new Unis.Probe<>();
      List<TaskCancelledException> cancellations = new CopyOnWriteArrayList<>();
      TaskFn<String> hanging = scope -> {
        scope.onCancel(cancellations::add);
        return UniTaskGroup.task(s -> probe.hanging()).run(scope);
      };
      Throwable failure = awaitFailure(subscribed(UniTaskGroup.all(vertx, List.of(hanging, hanging))
          .ifNoItem().after(Duration.ofMillis(30)).fail()));
      assertThat(failure).isInstanceOf(TimeoutException.class); // Mutiny's own, raised downstream
      await(probe.whenCancelled(2)); // the timeout fired on Mutiny's scheduler thread; the cancel hopped to the group
      assertThat(cancellations).hasSize(2);
      assertThat(probe.live).hasValue(0);
    }
  }

  @Nested
  class FromTheTaskSide {
    @Test
    void aFailingUniTaskCancelsItsSiblings() {
      Unis.Probe<String> siblings = new Unis.Probe<>();
      IOException boom = new IOException("boom");
      Throwable failure = awaitFailure(subscribed(UniTaskGroup.all(vertx, List.of(
          UniTaskGroup.task(scope -> siblings.hanging()),
          UniTaskGroup.task(scope -> Unis.failingLater(boom)),
          UniTaskGroup.task(scope -> siblings.hanging())))));
      assertThat(((TaskGroupException) failure).exceptions()).containsExactly(boom);
      assertThat(siblings.subscribed).hasValue(2);
      assertThat(siblings.cancelled).hasValue(2);
      assertThat(siblings.live).hasValue(0);
    }
  }

  @Nested
  class NothingLeft {
    /**
     * 10,000 runs of every kind: a success, a failure cancelling a hanging sibling, a race won, a
     * group cancelled by its subscriber, a downstream timeout. Afterwards every Uni a task
     * subscribed has emitted or been cancelled: none is left subscribed.
     */
    @Test
    void noSubscriptionIsLeftAfter10000Runs() {
      Unis.Probe<Integer> probe = new Unis.Probe<>();
      IOException boom = new IOException("boom");
      TaskFn<Integer> hanging = UniTaskGroup.task(scope -> probe.hanging());
      TaskFn<Integer> ok = UniTaskGroup.task(scope -> Unis.later(1));
      TaskFn<Integer> failing = UniTaskGroup.task(scope -> Unis.failingLater(boom));
      AtomicInteger emitted = new AtomicInteger();
      List<Uni<?>> kinds = List.of(
          UniTaskGroup.all(vertx, List.of(ok, ok)),
          UniTaskGroup.all(vertx, List.of(failing, hanging)).onFailure().recoverWithItem(List.of()),
          UniTaskGroup.race(vertx, List.of(hanging, ok)),
          UniTaskGroup.gather(vertx, List.of(ok, failing)),
          UniTaskGroup.run(vertx, g -> { // a failing task cancels both the hanging one and the body's Uni
            g.spawn(hanging);
            g.spawn(failing);
            return probe.hanging();
          }).onFailure().recoverWithItem(0));
      Context context = vertx.getOrCreateContext(); // subscribed there: each group starts in the same turn
      int runs = 10_000;
      int perTurn = 100; // each turn of the context stays short, also on a loaded machine
      for (int batch = 0; batch < runs / perTurn; batch++) {
        int first = batch * perTurn;
        List<Cancellable> toCancel = new CopyOnWriteArrayList<>();
        await(on(context, () -> {
          List<Future<Object>> done = new ArrayList<>();
          for (int run = first; run < first + perTurn; run++) {
            if (run % 10 == 9) { // a subscriber that cancels: the group's hanging task must be cancelled too
              toCancel.add(UniTaskGroup.all(vertx, List.of(hanging)).subscribe().with(x -> emitted.incrementAndGet()));
            } else {
              @SuppressWarnings("unchecked")
              Uni<Object> uni = (Uni<Object>) kinds.get(run % kinds.size());
              done.add(subscribed(uni));
            }
          }
          return Future.all(done);
        }));
        toCancel.forEach(Cancellable::cancel); // from the test thread: each cancel hops to the context
      }
      await(on(context, () -> Future.succeededFuture())); // after every hop: the context runs them in order
      assertThat(probe.live).hasValue(0);
      assertThat(probe.subscribed.get()).isGreaterThan(3_000);
      assertThat(probe.cancelled.get()).isEqualTo(probe.subscribed.get());
      assertThat(emitted).hasValue(0);
    }
  }

}
