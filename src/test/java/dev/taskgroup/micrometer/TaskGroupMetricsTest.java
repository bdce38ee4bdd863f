package dev.taskgroup.micrometer;

import static org.assertj.core.api.Assertions.assertThat;

import dev.taskgroup.HedgeOptions;
import dev.taskgroup.RetryOptions;
import dev.taskgroup.TaskFn;
import dev.taskgroup.TaskGroup;
import dev.taskgroup.TaskGroupOptions;
import dev.taskgroup.TestClock;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.junit5.VertxExtension;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** {@link TaskGroupMetrics}: the meters, their tags, and the bound on how many there are. */
@ExtendWith(VertxExtension.class)
class TaskGroupMetricsTest {
  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  private TaskGroupMetrics metrics;

  @AfterEach
  void unbind() {
    if (metrics != null) {
      metrics.close();
    }
  }

  private TaskGroupMetrics bind(Vertx vertx, int maxNames) {
    metrics = new TaskGroupMetrics(vertx, maxNames);
    metrics.bindTo(registry);
    return metrics;
  }

  private double count(String name, String... tags) {
    return registry.get(name).tags(tags).counter().count();
  }

  private static <T> T await(Future<T> f) throws Exception {
    return f.transform(ar -> Future.succeededFuture(ar)).await(10, TimeUnit.SECONDS).result();
  }

  private static <T> TaskFn<T> later(T value) {
    return scope -> {
      Promise<T> p = Promise.promise();
      scope.context().runOnContext(v -> p.complete(value));
      return p.future();
    };
  }

  @Test
  void tasksAreCountedAsTheyStartAndSettleByState(Vertx vertx) throws Exception {
    bind(vertx, 10);
    await(TaskGroup.run(vertx, new TaskGroupOptions().setName("dashboard").setMaxConcurrency(1), g -> {
      g.spawn(later("a"));
      g.spawn(scope -> Future.failedFuture(new IOException("boom")));
      g.spawn(later("never")); // cancelled by the failure before or after it starts
      return Future.succeededFuture();
    }));
    assertThat(count("taskgroup.tasks.settled", "group", "dashboard", "state", "succeeded")).isEqualTo(1);
    assertThat(count("taskgroup.tasks.settled", "group", "dashboard", "state", "failed")).isEqualTo(1);
    assertThat(count("taskgroup.tasks.queued", "group", "dashboard")).isEqualTo(2);
    assertThat(count("taskgroup.tasks.started", "group", "dashboard")).isEqualTo(2);
    assertThat(registry.get("taskgroup.tasks.active").tags("group", "dashboard").gauge().value()).isZero();
    assertThat(registry.get("taskgroup.group.duration").tags("group", "dashboard", "outcome", "failed").timer().count()).isEqualTo(1);
  }

  @Test
  void theTimeFromCancellationToSettledIsATimerByReason(Vertx vertx) throws Exception {
    bind(vertx, 10);
    TestClock clock = new TestClock();
    Promise<String> stubborn = Promise.promise();
    Future<Void> done = TaskGroup.run(vertx, new TaskGroupOptions().setName("stopping").setClock(clock), g -> {
      g.spawn(scope -> {
        scope.onCancel(c -> scope.context().runOnContext(v -> {
          clock.advance(Duration.ofMillis(120)); // cooperative cancellation takes its time
          stubborn.complete("late");
        }));
        return stubborn.future();
      });
      g.cancel();
      return Future.succeededFuture();
    });
    await(done);
    assertThat(registry.get("taskgroup.cancellation.duration").tags("group", "stopping", "reason", "explicit").timer()
        .totalTime(TimeUnit.MILLISECONDS)).isEqualTo(120);
  }

  @Test
  void timeoutsRetriesAndHedgesAreCounted(Vertx vertx) throws Exception {
    bind(vertx, 10);
    int[] calls = {0};
    TaskFn<String> failsTwice = scope -> ++calls[0] <= 2 ? Future.failedFuture(new IOException("again")) : Future.succeededFuture("ok");
    TaskFn<String> never = scope -> { // until cancelled
      Promise<String> p = Promise.promise();
      scope.onCancel(p::fail);
      return p.future();
    };
    await(TaskGroup.run(vertx, new TaskGroupOptions().setName("resilient"), g -> {
      g.spawn(failsTwice.retried(new RetryOptions().setMaxAttempts(3).setInitialDelay(Duration.ofMillis(1))));
      g.spawn(never.withTimeout(Duration.ofMillis(20), "fallback")
          .hedged(new HedgeOptions().setMaxAttempts(2).setDelay(Duration.ofMillis(1))));
      return Future.succeededFuture();
    }));
    assertThat(count("taskgroup.retries", "group", "resilient")).isEqualTo(2);
    assertThat(count("taskgroup.hedges", "group", "resilient")).isEqualTo(1);
    assertThat(count("taskgroup.timeouts", "group", "resilient")).isGreaterThanOrEqualTo(1);
  }

  @Test
  void anUnnamedGroupIsTaggedUnnamedAndNamesPastTheLimitShareOther(Vertx vertx) throws Exception {
    bind(vertx, 2);
    await(TaskGroup.all(vertx, List.of(later(1))));
    for (String name : List.of("a", "b", "c", "d")) {
      await(TaskGroup.run(vertx, new TaskGroupOptions().setName(name), g -> g.spawn(later(name)).future()));
    }
    assertThat(count("taskgroup.tasks.started", "group", TaskGroupMetrics.UNNAMED)).isEqualTo(1);
    assertThat(count("taskgroup.tasks.started", "group", "a")).isEqualTo(1);
    assertThat(count("taskgroup.tasks.started", "group", "b")).isEqualTo(1);
    assertThat(count("taskgroup.tasks.started", "group", TaskGroupMetrics.OTHER)).isEqualTo(2);
    assertThat(registry.find("taskgroup.tasks.started").tag("group", "c").counter()).isNull();
  }

  @Test
  void taskNamesNeverBecomeTags(Vertx vertx) throws Exception {
    bind(vertx, 10);
    await(TaskGroup.run(vertx, new TaskGroupOptions().setName("g"), g -> g.spawn("user-4711", later("x")).future()));
    assertThat(registry.getMeters()).allSatisfy(m -> assertThat(m.getId().getTags().toString()).doesNotContain("user-4711"));
  }

  @Test
  void groupsOfAnotherVertxAreNotCounted(Vertx vertx) throws Exception {
    Vertx another = (Vertx) java.lang.reflect.Proxy.newProxyInstance(Vertx.class.getClassLoader(), new Class<?>[] {Vertx.class},
        (proxy, method, args) -> method.getName().equals("equals") ? proxy == args[0] : null);
    bind(another, 10);
    await(TaskGroup.run(vertx, new TaskGroupOptions().setName("not-mine"), g -> g.spawn(later("x")).future()));
    assertThat(registry.find("taskgroup.tasks.started").tag("group", "not-mine").counter()).isNull();
  }

  @Test
  void aClosedBinderCountsNothingMore(Vertx vertx) throws Exception {
    bind(vertx, 10).close();
    await(TaskGroup.run(vertx, new TaskGroupOptions().setName("after-close"), g -> g.spawn(later("x")).future()));
    assertThat(registry.find("taskgroup.tasks.started").tag("group", "after-close").counter()).isNull();
  }
}
