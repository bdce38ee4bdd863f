package dev.taskgroup;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.lang.ref.WeakReference;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** Memory grows with the tasks running, not the tasks spawned. */
class MemoryTest extends VertxTest {

  @Test
  void finishedTaskLeavesTheLiveSetAtOnce() {
    Context context = vertx.getOrCreateContext();
    List<Promise<String>> works = new ArrayList<>();
    AtomicReference<TaskGroup> ref = new AtomicReference<>();
    Future<Void> result = await(call(context, () -> TaskGroup.run(vertx, g -> {
      ref.set(g);
      for (int i = 0; i < 3; i++) {
        Promise<String> p = Promise.promise();
        works.add(p);
        g.spawn(scope -> p.future());
      }
      return Future.succeededFuture();
    })));
    int running = await(call(context, () -> {
      works.get(1).complete("done");
      return ref.get().impl.running();
    }));
    assertThat(running).isEqualTo(2);
    context.runOnContext(v -> works.forEach(p -> p.tryComplete("done")));
    await(result);
  }

  @Test
  void groupKeepsNoReferenceToAFinishedTasksResult() {
    Context context = vertx.getOrCreateContext();
    Promise<Void> release = Promise.promise();
    AtomicReference<WeakReference<Object>> weak = new AtomicReference<>();
    Future<Void> result = await(call(context, () -> TaskGroup.run(vertx, g -> {
      g.spawn(scope -> {
        Object big = new byte[1 << 20];
        weak.set(new WeakReference<>(big));
        return Future.succeededFuture(big);
      });
      return release.future(); // the group stays open while we look
    })));
    for (int i = 0; i < 50 && weak.get().get() != null; i++) {
      System.gc();
    }
    assertThat(weak.get().get()).as("result of a finished, unreferenced task").isNull();
    context.runOnContext(v -> release.complete());
    await(result);
  }

  @Test
  void twoHundredThousandTasksFedUnderALimitNeverHoldMoreThanTheLimit() {
    int total = 200_000;
    int limit = 1_000;
    AtomicInteger spawned = new AtomicInteger();
    AtomicInteger peakLive = new AtomicInteger();
    await(TaskGroup.run(vertx, new TaskGroupOptions().setMaxConcurrency(limit), g -> {
      // each finished task feeds the next, so the queue stays empty and the live set bounded
      TaskFn<Void>[] task = new TaskFn[1];
      task[0] = scope -> {
        peakLive.accumulateAndGet(g.impl.running() + g.impl.queued(), Math::max);
        Promise<Void> p = Promise.promise();
        scope.context().runOnContext(v -> {
          if (spawned.incrementAndGet() <= total - limit) {
            g.spawn(task[0]);
          }
          p.complete();
        });
        return p.future();
      };
      for (int i = 0; i < limit; i++) {
        g.spawn(task[0]);
      }
      return Future.succeededFuture();
    }));
    assertThat(spawned.get()).isGreaterThanOrEqualTo(total - limit);
    assertThat(peakLive.get()).isLessThanOrEqualTo(limit + 1);
  }
}
