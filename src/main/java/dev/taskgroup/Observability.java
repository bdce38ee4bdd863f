package dev.taskgroup;

/**
 * The switches of what the library records about running groups, all off by default: observers
 * (metrics), task ages in {@link TaskTree} snapshots, and JFR events. With everything off a task
 * costs no more than without this class (one field read per task); each switch applies to groups
 * that open after it is thrown, never to groups already running.
 *
 * <pre>{@code
 * Observability.trackTaskAges(true);      // TaskTree shows how long each task has run
 * Observability.enableJfrEvents(true);    // dev.taskgroup.Task and dev.taskgroup.GroupCancellation
 * Registration metrics = Observability.addObserver(myObserver);
 * }</pre>
 *
 * <p>What each costs when on: an observer, one call per event per group it takes; task ages, one
 * map entry per running task (a start time, kept beside the task, not in it); JFR events, the
 * same map entry plus the JFR event, and only while a recording has the event enabled (checked
 * as each group opens). Every method may be called from any thread.
 */
public final class Observability {
  private static boolean ages; // guarded by Observation.class, as reconfigure is
  private static boolean jfr;

  private Observability() {}

  /**
   * Installs {@code observer} for every group of the JVM that opens from now on; groups already
   * observed keep their observers until they complete.
   *
   * @return the registration whose {@code remove()} uninstalls it
   * @throws IllegalArgumentException if {@code observer} is null
   */
  public static Registration addObserver(TaskGroupObserver observer) {
    if (observer == null) {
      throw new IllegalArgumentException("the observer passed to Observability.addObserver is null");
    }
    synchronized (Observation.class) {
      Observation.OBSERVERS.add(observer);
      Observation.reconfigure(ages, jfr);
    }
    return () -> {
      synchronized (Observation.class) {
        boolean removed = Observation.OBSERVERS.remove(observer);
        Observation.reconfigure(ages, jfr);
        return removed;
      }
    };
  }

  /**
   * Switches the tracking of each running task's start time on or off, for groups that open from
   * now on: with it a {@link TaskTree} node of a task has an {@link TaskTree.Node#age() age}.
   * Without it a task's age is null (its group's age bounds it).
   */
  public static void trackTaskAges(boolean on) {
    synchronized (Observation.class) {
      ages = on;
      Observation.reconfigure(ages, jfr);
    }
  }

  /**
   * Switches the library's JFR events on or off, for groups that open from now on:
   * {@code dev.taskgroup.Task} (one per task that started: group, task, final state, duration)
   * and {@code dev.taskgroup.GroupCancellation} (one per cancelled group: reason, tasks running
   * when cancelled, time from the cancellation until the group completed). A recording still
   * chooses whether to record them, as for any JFR event (both are enabled in a recording's
   * default settings once this switch is on). Switching on registers the event types with JFR,
   * which may take hundreds of milliseconds the first time in a JVM: call it at startup, or on a
   * worker, never on an event loop.
   *
   * @throws IllegalStateException if {@code on} is true and this JVM has no {@code jdk.jfr} module
   */
  public static void enableJfrEvents(boolean on) {
    if (on && !JfrEvents.available()) {
      throw new IllegalStateException("JFR events cannot be enabled: this JVM has no jdk.jfr module");
    }
    if (on) {
      JfrEvents.register(); // here, not on an event loop as the next group opens: it may take a while
    }
    synchronized (Observation.class) {
      jfr = on;
      Observation.reconfigure(ages, jfr);
    }
  }

  /** {@return whether task ages are tracked for groups that open now} */
  public static boolean tracksTaskAges() {
    return Observation.config.ages;
  }

  /** {@return whether JFR events are enabled for groups that open now} */
  public static boolean jfrEventsEnabled() {
    return Observation.config.jfr;
  }
}
