package dev.taskgroup.micrometer;

import dev.taskgroup.CancelReason;
import dev.taskgroup.Observability;
import dev.taskgroup.Registration;
import dev.taskgroup.TaskGroupObserver;
import dev.taskgroup.TaskGroupObserver.GroupOutcome;
import dev.taskgroup.TaskGroupOptions;
import dev.taskgroup.TaskState;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.MeterBinder;
import io.vertx.core.Vertx;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Micrometer meters for task groups, with a bounded number of series: group names become the
 * {@code group} tag, task names never do, and at most {@code maxGroupNames} distinct names get a
 * series of their own. A group opened without a name is tagged {@value #UNNAMED}; names past the
 * limit share the tag {@value #OTHER}.
 *
 * <pre>{@code
 * TaskGroupMetrics metrics = new TaskGroupMetrics(vertx, 100);
 * metrics.bindTo(registry);   // counts the groups of vertx that open from now on
 * ...
 * metrics.close();            // stops counting (the meters stay in the registry)
 * }</pre>
 *
 * <h2>Meters</h2>
 * (Prometheus names in brackets.)
 * <ul>
 *   <li>{@code taskgroup.tasks.started{group}} [{@code taskgroup_tasks_started_total}]: tasks that started running;
 *   <li>{@code taskgroup.tasks.settled{group,state}}: started tasks that settled, {@code state}
 *       {@code succeeded}, {@code failed} or {@code cancelled};
 *   <li>{@code taskgroup.tasks.active{group}} (gauge): tasks running now;
 *   <li>{@code taskgroup.tasks.queued{group}}: tasks that had to wait for a concurrency slot;
 *   <li>{@code taskgroup.group.duration{group,outcome}} (timer): from a group's opening until it
 *       completed, {@code outcome} {@code succeeded}, {@code failed} or {@code cancelled};
 *   <li>{@code taskgroup.cancellation.duration{group,reason}} (timer): from a group's cancellation
 *       until its work settled, {@code reason} a {@link CancelReason} in lower case: how long
 *       cooperative cancellation really takes;
 *   <li>{@code taskgroup.timeouts{group}}: deadlines that fired (the group's, a task's, an inner timeout's);
 *   <li>{@code taskgroup.retries{group}} and {@code taskgroup.hedges{group}}: attempts started
 *       after a retried or hedged function's first.
 * </ul>
 * Timers publish count, sum and max; add percentiles or histograms with a Micrometer
 * {@code MeterFilter} as for any timer.
 *
 * <h2>Threads</h2>
 * {@link #bindTo} and {@link #close} may be called from any thread; the meters are updated on
 * the groups' contexts (Micrometer meters are thread-safe). Nested groups are counted under their
 * own names. Groups already running when {@link #bindTo} is called are not counted.
 */
public final class TaskGroupMetrics implements MeterBinder, AutoCloseable {
  /** How many distinct group names get their own series unless told otherwise. */
  public static final int DEFAULT_MAX_GROUP_NAMES = 100;
  /** The {@code group} tag of a group opened without a name ({@link TaskGroupOptions#DEFAULT_NAME}). */
  public static final String UNNAMED = "unnamed";
  /** The {@code group} tag of the groups whose names came after the limit was reached. */
  public static final String OTHER = "other";

  private final Vertx vertx; // null: every Vert.x instance
  private final int maxGroupNames;
  private final Map<String, Meters> byName = new ConcurrentHashMap<>();
  private final AtomicInteger named = new AtomicInteger(); // names with a series of their own, UNNAMED and OTHER not counted
  private volatile MeterRegistry registry;
  private Registration installed; // guarded by this

  /** Meters for the groups of every Vert.x instance, {@value #DEFAULT_MAX_GROUP_NAMES} names at most. */
  public TaskGroupMetrics() {
    this(null, DEFAULT_MAX_GROUP_NAMES);
  }

  /**
   * Meters for the groups of {@code vertx} (of every instance if null), at most
   * {@code maxGroupNames} distinct names (then {@value #OTHER}).
   *
   * @throws IllegalArgumentException if {@code maxGroupNames} is less than 1
   */
  public TaskGroupMetrics(Vertx vertx, int maxGroupNames) {
    if (maxGroupNames < 1) {
      throw new IllegalArgumentException("maxGroupNames must be at least 1, got " + maxGroupNames);
    }
    this.vertx = vertx;
    this.maxGroupNames = maxGroupNames;
  }

  /**
   * Starts counting the groups that open from now on into {@code registry}.
   *
   * @throws IllegalArgumentException if {@code registry} is null
   * @throws IllegalStateException if this binder is already bound (a binder counts into one registry)
   */
  @Override
  public void bindTo(MeterRegistry registry) {
    if (registry == null) {
      throw new IllegalArgumentException("the registry passed to TaskGroupMetrics.bindTo is null");
    }
    synchronized (this) {
      if (installed != null) {
        throw new IllegalStateException("this TaskGroupMetrics is already bound to a registry; close it first, or make another");
      }
      this.registry = registry;
      installed = Observability.addObserver(this::opened);
    }
  }

  /** Stops counting; idempotent. The meters stay in the registry. */
  @Override
  public synchronized void close() {
    if (installed != null) {
      installed.remove();
      installed = null;
    }
  }

  /** {@return the tag a group named {@code name} is counted under} */
  String tagFor(String name) {
    if (name.equals(TaskGroupOptions.DEFAULT_NAME)) {
      return UNNAMED;
    }
    if (byName.containsKey(name)) {
      return name;
    }
    return named.get() < maxGroupNames ? name : OTHER;
  }

  private TaskGroupObserver.GroupObserver opened(Vertx v, String name, boolean nested) {
    if (vertx != null && v != vertx) {
      return null;
    }
    String tag = tagFor(name);
    Meters m = byName.get(tag);
    if (m == null) {
      // Two contexts may race past the check in tagFor: the limit may be passed by the few in the race, never more.
      m = byName.computeIfAbsent(tag, t -> {
        if (!t.equals(UNNAMED) && !t.equals(OTHER)) {
          named.incrementAndGet();
        }
        return new Meters(registry, t);
      });
    }
    return m;
  }

  /** The meters of one {@code group} tag; shared by every group counted under it. */
  private static final class Meters implements TaskGroupObserver.GroupObserver {
    private final MeterRegistry registry;
    private final String group;
    private final Counter started;
    private final Counter succeeded;
    private final Counter failed;
    private final Counter cancelled;
    private final Counter queued;
    private final Counter timeouts;
    private final Counter retries;
    private final Counter hedges;
    private final Map<GroupOutcome, Timer> durations = new EnumMap<>(GroupOutcome.class);
    private final Map<CancelReason, Timer> settling = new ConcurrentHashMap<>();

    Meters(MeterRegistry registry, String group) {
      this.registry = registry;
      this.group = group;
      started = counter("taskgroup.tasks.started", "tasks that started running");
      succeeded = settled("succeeded");
      failed = settled("failed");
      cancelled = settled("cancelled");
      queued = counter("taskgroup.tasks.queued", "tasks that waited for a concurrency slot");
      timeouts = counter("taskgroup.timeouts", "deadlines that fired: a group's, a task's or an inner timeout's");
      retries = counter("taskgroup.retries", "attempts started after a retried function's first");
      hedges = counter("taskgroup.hedges", "attempts started after a hedged function's first");
      // Derived from the counters rather than kept in an AtomicLong: two atomic updates fewer per task.
      Gauge.builder("taskgroup.tasks.active", this, Meters::active).description("tasks running now")
          .tag("group", group).register(registry);
      for (GroupOutcome o : GroupOutcome.values()) {
        durations.put(o, Timer.builder("taskgroup.group.duration").description("from a group's opening until it completed")
            .tag("group", group).tag("outcome", lower(o.name())).register(registry));
      }
    }

    private Counter counter(String name, String description) {
      return Counter.builder(name).description(description).tag("group", group).register(registry);
    }

    private Counter settled(String state) {
      return Counter.builder("taskgroup.tasks.settled").description("started tasks that settled, by final state")
          .tag("group", group).tag("state", state).register(registry);
    }

    private static String lower(String s) {
      return s.toLowerCase(java.util.Locale.ROOT);
    }

    private double active() {
      return started.count() - succeeded.count() - failed.count() - cancelled.count();
    }

    @Override
    public void taskStarted() {
      started.increment();
    }

    @Override
    public void taskQueued() {
      queued.increment();
    }

    @Override
    public void taskSettled(TaskState state) {
      (state == TaskState.SUCCEEDED ? succeeded : state == TaskState.FAILED ? failed : cancelled).increment();
    }

    @Override
    public void timeoutFired() {
      timeouts.increment();
    }

    @Override
    public void retried() {
      retries.increment();
    }

    @Override
    public void hedged() {
      hedges.increment();
    }

    @Override
    public void completed(GroupOutcome outcome, long durationNanos, CancelReason cancelledBy, long cancelToSettledNanos) {
      durations.get(outcome).record(durationNanos, TimeUnit.NANOSECONDS);
      if (cancelledBy != null) {
        settling.computeIfAbsent(cancelledBy, r -> Timer.builder("taskgroup.cancellation.duration")
                .description("from a group's cancellation until its work settled")
                .tag("group", group).tag("reason", lower(r.name())).register(registry))
            .record(cancelToSettledNanos, TimeUnit.NANOSECONDS);
      }
    }
  }
}
