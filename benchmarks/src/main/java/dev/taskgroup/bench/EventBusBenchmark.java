package dev.taskgroup.bench;

import dev.taskgroup.TaskGroup;
import dev.taskgroup.TaskGroupOptions;
import dev.taskgroup.eventbus.ScopedEventBus;
import io.vertx.core.Future;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.eventbus.Message;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Per-call cost of the scoped event bus over the plain one, on a local bus with one event loop
 * (issue 17, item 6; target: {@code scoped} at most 1.3x {@code plain}). One operation sends
 * {@code calls} requests at once and waits for every reply; the time reported is per operation,
 * so divide by {@code calls} for a call.
 *
 * <ul>
 *   <li>{@code plain}: {@code bus.request} to a {@code consumer} that replies at once, joined by
 *       {@code Future.all}.
 *   <li>{@code scopedRequest}: {@code ScopedEventBus.request} with a group's scope (a 60 s
 *       deadline, so the deadline header is written) to the same plain consumer.
 *   <li>{@code scopedServe}: plain requests to {@code ScopedEventBus.serve} (a group per message).
 *   <li>{@code scoped}: both sides scoped.
 *   <li>{@code plainWithHeaders}: {@code plain} plus the two headers a scoped request carries, set
 *       by hand: what the headers alone cost (Vert.x copies a message's headers on local delivery).
 * </ul>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 4, time = 1)
@Fork(value = 2, jvmArgsAppend = {"-Xms1g", "-Xmx1g"})
public class EventBusBenchmark {
  static final TaskGroupOptions DEADLINE = new TaskGroupOptions().setTimeout(Duration.ofSeconds(60));

  @Param({"1", "10", "100"})
  public int calls;

  EventLoop loop;
  EventBus bus;

  @Setup(Level.Trial)
  public void start() {
    loop = new EventLoop();
    bus = loop.vertx.eventBus();
    CompletableFuture<Void> ready = new CompletableFuture<>();
    loop.context.runOnContext(v -> {
      bus.<Integer>consumer("plain", msg -> msg.reply(msg.body()));
      ScopedEventBus.<Integer, Integer>serve(loop.vertx, "served", (scope, msg) -> Future.succeededFuture(msg.body()))
          .onComplete(ar -> ready.complete(null));
    });
    EventLoop.spinJoin(ready);
  }

  @TearDown(Level.Trial)
  public void stop() {
    loop.close();
  }

  @Benchmark
  public Object plain() {
    return plainCalls("plain");
  }

  @Benchmark
  public Object plainWithHeaders() {
    return loop.await(() -> {
      List<Future<Message<Integer>>> replies = new ArrayList<>(calls);
      for (int i = 0; i < calls; i++) {
        replies.add(bus.request("plain", i, new DeliveryOptions()
            .addHeader(ScopedEventBus.DEADLINE_HEADER, "59999")
            .addHeader(ScopedEventBus.REQUEST_ID_HEADER, "local/" + i)));
      }
      return Future.all(replies);
    });
  }

  @Benchmark
  public Object scopedRequest() {
    return scopedCalls("plain");
  }

  @Benchmark
  public Object scopedServe() {
    return plainCalls("served");
  }

  @Benchmark
  public Object scoped() {
    return scopedCalls("served");
  }

  private Object plainCalls(String address) {
    return loop.await(() -> {
      List<Future<Message<Integer>>> replies = new ArrayList<>(calls);
      for (int i = 0; i < calls; i++) {
        replies.add(bus.request(address, i));
      }
      return Future.all(replies);
    });
  }

  private Object scopedCalls(String address) {
    return loop.await(() -> TaskGroup.run(loop.vertx, DEADLINE, group -> {
      List<Future<Message<Integer>>> replies = new ArrayList<>(calls);
      for (int i = 0; i < calls; i++) {
        replies.add(ScopedEventBus.request(group, bus, address, i, null));
      }
      return Future.all(replies);
    }));
  }
}
