package dev.taskgroup;

import io.vertx.core.json.JsonObject;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.BiConsumer;

/**
 * Options of a {@link TaskGroup}: a name for errors and debugging, a concurrency limit, a deadline.
 * Like every Vert.x options class: fluent setters that check their argument at once, a copy
 * constructor, a JSON form ({@link #TaskGroupOptions(JsonObject)}, {@link #toJson()}) so options
 * can come from a config file, and value equality.
 *
 * <pre>{@code
 * TaskGroupOptions options = new TaskGroupOptions()
 *     .setName("dashboard").setMaxConcurrency(8).setTimeout(Duration.ofMillis(800));
 * TaskGroupOptions same = new TaskGroupOptions(new JsonObject()
 *     .put("name", "dashboard").put("maxConcurrency", 8).put("timeoutMs", 800));
 * }</pre>
 *
 * <h2>JSON</h2>
 * Fields: {@code name} (a string), {@code maxConcurrency} (an integer, at least 1; absent means
 * unlimited), {@code maxQueued} (an integer, at least 0; absent means unbounded), {@code timeoutMs} (the deadline in whole milliseconds, positive; absent or null means
 * none). A field absent keeps its default. A value of the wrong type or out of range, and a field
 * of another name, throw {@link IllegalArgumentException} naming the field and the value.
 * Rejected: ignoring unknown fields as Vert.x's generated converters do, because a misspelt
 * {@code "timeOutMs"} would then silently run a group without its deadline. The
 * {@link #setClock clock} and the {@link #setSupervisor supervisor} have no JSON form.
 *
 * <p>Not thread-safe; a group copies its options when it starts, so changing them afterwards does
 * not affect it.
 */
public final class TaskGroupOptions {
  /** The default name of a group. */
  public static final String DEFAULT_NAME = "task-group";
  /** No limit on running tasks. */
  public static final int UNLIMITED = Integer.MAX_VALUE;

  private static final Set<String> FIELDS = Set.of("name", "maxConcurrency", "maxQueued", "timeoutMs");

  private String name = DEFAULT_NAME;
  private int maxConcurrency = UNLIMITED;
  private int maxQueued = UNLIMITED;
  private Duration timeout;
  private TestClock clock; // the public virtual clock, or null
  private BiConsumer<? super Task<?>, ? super Throwable> supervisor; // null: not supervised
  private Timers timers; // what the group uses: the clock's timers, a test's own, or null for the Vert.x timers

  /** Default options: named {@value #DEFAULT_NAME}, unlimited concurrency, no deadline. */
  public TaskGroupOptions() {}

  /**
   * A copy of {@code other}.
   *
   * @param other the options to copy
   */
  public TaskGroupOptions(TaskGroupOptions other) {
    this.name = other.name;
    this.maxConcurrency = other.maxConcurrency;
    this.maxQueued = other.maxQueued;
    this.timeout = other.timeout;
    this.clock = other.clock;
    this.supervisor = other.supervisor;
    this.timers = other.timers;
  }

  /**
   * Options read from their JSON form (see JSON above); absent fields keep their defaults.
   *
   * @param json the options as JSON
   * @throws NullPointerException if {@code json} is null
   * @throws IllegalArgumentException if a field is unknown, or its value has the wrong type or is
   *     out of range; the message names the field and the value
   */
  public TaskGroupOptions(JsonObject json) {
    Objects.requireNonNull(json, "json");
    for (Map.Entry<String, Object> field : json) {
      String key = field.getKey();
      Object value = field.getValue();
      switch (key) {
        case "name":
          if (!(value instanceof String)) {
            throw badField(key, value, "a string");
          }
          setName((String) value);
          break;
        case "maxConcurrency": {
          long n = wholeNumber(key, value, "an integer of at least 1");
          if (n < 1 || n > Integer.MAX_VALUE) {
            throw badField(key, value, "an integer of at least 1");
          }
          setMaxConcurrency((int) n);
          break;
        }
        case "maxQueued": {
          long n = wholeNumber(key, value, "an integer of at least 0");
          if (n < 0 || n > Integer.MAX_VALUE) {
            throw badField(key, value, "an integer of at least 0");
          }
          setMaxQueued((int) n);
          break;
        }
        case "timeoutMs": {
          if (value == null) {
            setTimeout(null);
            break;
          }
          long ms = wholeNumber(key, value, "a positive whole number of milliseconds, or null");
          if (ms < 1) {
            throw badField(key, value, "a positive whole number of milliseconds, or null");
          }
          setTimeout(Duration.ofMillis(ms));
          break;
        }
        default:
          throw new IllegalArgumentException("unknown field '" + key + "' in the JSON of TaskGroupOptions (known: "
              + String.join(", ", FIELDS.stream().sorted().toList()) + ")");
      }
    }
  }

  private static long wholeNumber(String field, Object value, String expected) {
    if (value instanceof Integer || value instanceof Long || value instanceof Short || value instanceof Byte) {
      return ((Number) value).longValue();
    }
    if (value instanceof Number) { // Double, BigDecimal, BigInteger: whole and within a long, or refused
      try {
        BigDecimal d = value instanceof BigInteger ? new BigDecimal((BigInteger) value) : new BigDecimal(value.toString());
        return d.longValueExact();
      } catch (ArithmeticException | NumberFormatException notWhole) {
        throw badField(field, value, expected);
      }
    }
    throw badField(field, value, expected);
  }

  private static IllegalArgumentException badField(String field, Object value, String expected) {
    String shown = value instanceof String ? "\"" + value + "\"" : String.valueOf(value);
    return new IllegalArgumentException("TaskGroupOptions field '" + field + "' must be " + expected + ", got " + shown);
  }

  /**
   * {@return these options as JSON} {@code timeoutMs} is rounded up to whole milliseconds (so a
   * deadline stays positive) and saturates at {@link Long#MAX_VALUE}; it is absent without a
   * deadline. The clock is not included.
   */
  public JsonObject toJson() {
    JsonObject json = new JsonObject().put("name", name).put("maxConcurrency", maxConcurrency);
    if (maxQueued != UNLIMITED) {
      json.put("maxQueued", maxQueued);
    }
    if (timeout != null) {
      long ms = Durations.toMillisSaturated(timeout);
      if (ms != Long.MAX_VALUE && timeout.compareTo(Duration.ofMillis(ms)) > 0) {
        ms++;
      }
      json.put("timeoutMs", ms);
    }
    return json;
  }

  /** {@return the group's name, used in error messages and {@code toString()}} */
  public String getName() {
    return name;
  }

  /**
   * Names the group.
   *
   * @param name the name
   * @return these options
   * @throws NullPointerException if {@code name} is null
   */
  public TaskGroupOptions setName(String name) {
    this.name = Objects.requireNonNull(name, "name");
    return this;
  }

  /** {@return how many tasks may run at once ({@link #UNLIMITED} by default)} */
  public int getMaxConcurrency() {
    return maxConcurrency;
  }

  /**
   * Limits how many tasks run at once; spawns past the limit queue in FIFO order and start as slots
   * free. Nothing blocks.
   *
   * @param maxConcurrency the limit, at least 1
   * @return these options
   * @throws IllegalArgumentException if {@code maxConcurrency < 1}
   */
  public TaskGroupOptions setMaxConcurrency(int maxConcurrency) {
    if (maxConcurrency < 1) {
      throw new IllegalArgumentException("maxConcurrency must be at least 1, got " + maxConcurrency);
    }
    this.maxConcurrency = maxConcurrency;
    return this;
  }

  /** {@return how many tasks may wait for a slot ({@link #UNLIMITED} by default)} */
  public int getMaxQueued() {
    return maxQueued;
  }

  /**
   * Bounds the queue of tasks waiting for a slot under {@code maxConcurrency} (Go errgroup's
   * {@code SetLimit} with {@code TryGo}, Vert.x's {@code maxWaitQueueSize}): a spawn past
   * {@code maxConcurrency + maxQueued} throws {@link TaskQueueFullException} and
   * {@link TaskGroup#trySpawn} returns empty; the refused function never runs. Zero: no queue at
   * all. Without a concurrency limit nothing queues, so this has no effect. A pattern
   * ({@code all}, {@code race}, ...) given more tasks than both limits fails with it.
   *
   * @throws IllegalArgumentException if {@code maxQueued < 0}
   */
  public TaskGroupOptions setMaxQueued(int maxQueued) {
    if (maxQueued < 0) {
      throw new IllegalArgumentException("maxQueued must not be negative, got " + maxQueued);
    }
    this.maxQueued = maxQueued;
    return this;
  }

  /** {@return the group's deadline, measured from its start, or null for none} */
  public Duration getTimeout() {
    return timeout;
  }

  /**
   * Sets the group's deadline: when it passes, everything in the group is cancelled and, once all
   * of it has settled, the group fails with a {@link TaskGroupException} holding a
   * {@link TaskTimeoutException} (see {@link TaskGroup} for why not the bare timeout). Null removes
   * it. A duration of centuries means "practically never".
   *
   * @param timeout the deadline, positive, or null for none
   * @return these options
   * @throws IllegalArgumentException if {@code timeout} is zero or negative
   */
  public TaskGroupOptions setTimeout(Duration timeout) {
    this.timeout = timeout == null ? null : Durations.requirePositive(timeout, "timeout");
    return this;
  }

  /** {@return the virtual clock the group runs on, or null for real time} */
  public TestClock getClock() {
    return clock;
  }

  /**
   * Runs the group on virtual time, for tests: its deadline, its tasks' timeouts, sleeps,
   * {@link TaskScope#remaining()} and {@code ScopedTimers} follow {@code clock}, which the test
   * advances. Groups nested in it inherit the clock. Null returns to real time (the Vert.x timers).
   *
   * @param clock the clock, or null
   * @return these options
   */
  public TaskGroupOptions setClock(TestClock clock) {
    this.clock = clock;
    this.timers = clock == null ? null : clock.timers();
    return this;
  }

  /** {@return the supervisor of a supervised group, or null for an ordinary one} */
  public BiConsumer<? super Task<?>, ? super Throwable> getSupervisor() {
    return supervisor;
  }

  /**
   * Makes the group supervised (Kotlin's {@code supervisorScope}, the JDK's {@code awaitAll}): a
   * task's failure cancels neither its siblings nor the body, and is not an error of the group;
   * it is handed to {@code supervisor}, on the group's context, as it happens (the task's own
   * future fails with it too). The group completes with the body's result; it fails only if the
   * body does (which also cancels the tasks, as in any group), if its deadline passes, or if the
   * supervisor throws (that error fails the group fast). For long-lived groups: a verticle's
   * handlers, a pool of workers. Pass {@code (task, error) -> {}} to watch only the tasks'
   * futures. The patterns ({@code all}, {@code race}, ...) decide failures themselves and ignore
   * it. Null makes the group ordinary again.
   *
   * <pre>{@code
   * new TaskGroupOptions().setSupervisor((task, error) -> log.warn("{} failed", task.name(), error));
   * }</pre>
   */
  public TaskGroupOptions setSupervisor(BiConsumer<? super Task<?>, ? super Throwable> supervisor) {
    this.supervisor = supervisor;
    return this;
  }

  Timers getTimers() {
    return timers;
  }

  /** Test hook of the library's own tests: a clock of their own ({@link #setClock} for users). */
  TaskGroupOptions setTimers(Timers timers) {
    this.clock = null;
    this.timers = timers;
    return this;
  }

  /** {@return whether {@code o} holds the same options (the same clock, by identity)} */
  @Override
  public boolean equals(Object o) {
    if (this == o) {
      return true;
    }
    if (!(o instanceof TaskGroupOptions)) {
      return false;
    }
    TaskGroupOptions other = (TaskGroupOptions) o;
    return maxConcurrency == other.maxConcurrency && maxQueued == other.maxQueued && name.equals(other.name)
        && Objects.equals(timeout, other.timeout) && supervisor == other.supervisor && timers == other.timers;
  }

  @Override
  public int hashCode() {
    return Objects.hash(name, maxConcurrency, maxQueued, timeout, System.identityHashCode(supervisor), System.identityHashCode(timers));
  }

  @Override
  public String toString() {
    return "TaskGroupOptions[name=" + name + ", maxConcurrency="
        + (maxConcurrency == UNLIMITED ? "unlimited" : maxConcurrency)
        + (maxQueued == UNLIMITED ? "" : ", maxQueued=" + maxQueued) + (supervisor != null ? ", supervised" : "") + ", timeout=" + timeout
        + (clock != null ? ", clock=" + clock : timers != null ? ", timers=" + timers : "") + "]";
  }
}
