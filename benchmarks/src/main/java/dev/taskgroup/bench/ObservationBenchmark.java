package dev.taskgroup.bench;

import dev.taskgroup.Observability;
import dev.taskgroup.TaskFn;
import dev.taskgroup.TaskGroup;
import dev.taskgroup.micrometer.TaskGroupMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.util.List;
import java.util.concurrent.TimeUnit;
import jdk.jfr.Recording;
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
 * What observing costs: {@link FanOutBenchmark#taskGroupAll}'s fan-out (the same N tasks, the same
 * reps per call) with the observation features off or on, in one run, each setting in its own
 * fork (the switches are JVM-wide). Settings:
 * <ul>
 *   <li>{@code off}: nothing observes (the registry of live groups is always on: it is in every row);
 *   <li>{@code metrics}: {@link TaskGroupMetrics} bound to a Prometheus registry;
 *   <li>{@code ages}: {@link Observability#trackTaskAges} (a start time per running task);
 *   <li>{@code jfr}: {@link Observability#enableJfrEvents} with a recording running that has
 *       the events enabled (one {@code dev.taskgroup.Task} event per task, kept in memory);
 *   <li>{@code jfrIdle}: the JFR switch on, but no recording has the events enabled.
 * </ul>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"-Xms2g", "-Xmx2g"})
public class ObservationBenchmark {
  @Param({"1000"})
  public int n;

  @Param({"off", "metrics", "ages", "jfr", "jfrIdle"})
  public String features;

  EventLoop loop;
  int reps;
  TaskGroupMetrics metrics;
  Recording recording;

  @Setup(Level.Trial)
  public void setUp() {
    loop = new EventLoop();
    reps = FanOutBenchmark.reps(n);
    switch (features) {
      case "off" -> { }
      case "metrics" -> {
        metrics = new TaskGroupMetrics();
        metrics.bindTo(new PrometheusMeterRegistry(PrometheusConfig.DEFAULT));
      }
      case "ages" -> Observability.trackTaskAges(true);
      case "jfr" -> {
        Observability.enableJfrEvents(true);
        recording = new Recording();
        recording.enable("dev.taskgroup.Task");
        recording.enable("dev.taskgroup.GroupCancellation");
        recording.setToDisk(false);
        recording.setMaxSize(64L << 20);
        recording.start();
      }
      case "jfrIdle" -> Observability.enableJfrEvents(true);
      default -> throw new IllegalArgumentException("unknown features " + features);
    }
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    if (metrics != null) {
      metrics.close();
    }
    if (recording != null) {
      recording.close();
    }
    Observability.trackTaskAges(false);
    Observability.enableJfrEvents(false);
    loop.close();
  }

  @Benchmark
  public Object taskGroupAll() {
    return loop.await(reps, () -> {
      List<TaskFn<Integer>> fns = loop.taskFns(n);
      return TaskGroup.all(loop.vertx, fns);
    });
  }
}
