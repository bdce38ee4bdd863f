package dev.taskgroup;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * What a group tells its observers: the live-group registry behind {@link TaskTree}, the
 * {@link TaskGroupObserver}s installed through {@link Observability}, task ages and JFR events.
 *
 * <p>Cost when nobody observes: a group is added to and removed from {@link #LIVE} (top-level
 * groups only; a nested group is found through its enclosing scope's hooks), and reads
 * {@link #config} once as it opens; then {@link GroupImpl#obs} stays null, and the per-task hooks
 * in {@code GroupImpl} are one read of that field. Rejected: a start time in every task (8 bytes
 * per task for a view nobody may ask for); task ages are kept aside ({@link TaskStarts}), only when switched on.
 *
 * <p>An instance is one group's observation: created as the group opens when anything observes,
 * then written and read only on the group's context.
 */
final class Observation {
  /**
   * The top-level groups that are open, in any Vert.x instance: a group is added as its body is
   * about to run and removed as it completes (or crashes), so the set never holds a finished group.
   * A nested group is reached from its enclosing scope, never through this set.
   */
  static final Set<GroupImpl<?>> LIVE = ConcurrentHashMap.newKeySet();

  /** What is switched on; replaced as a whole (copy on write), read once per group as it opens. */
  static volatile Config config = Config.OFF;

  static final CopyOnWriteArrayList<TaskGroupObserver> OBSERVERS = new CopyOnWriteArrayList<>();

  /** An immutable view of what is switched on. */
  static final class Config {
    static final Config OFF = new Config(new TaskGroupObserver[0], false, false);
    final TaskGroupObserver[] observers;
    final boolean ages;
    final boolean jfr;

    Config(TaskGroupObserver[] observers, boolean ages, boolean jfr) {
      this.observers = observers;
      this.ages = ages;
      this.jfr = jfr;
    }

    boolean off() {
      return observers.length == 0 && !ages && !jfr;
    }
  }

  private final GroupImpl<?> group;
  private final TaskGroupObserver.GroupObserver[] observers; // those that took the group; may be empty
  private final boolean jfrTasks;
  private final boolean jfrCancel;
  /** Start times (and JFR events) of the running tasks, when ages or JFR task events are on; else null. */
  private final TaskStarts tracks;
  private long cancelledNanos; // when the group was cancelled; 0 while it is not
  private CancelReason cancelReason;
  private int runningAtCancel;

  private Observation(GroupImpl<?> group, TaskGroupObserver.GroupObserver[] observers, boolean ages, boolean jfrTasks,
                      boolean jfrCancel) {
    this.group = group;
    this.observers = observers;
    this.jfrTasks = jfrTasks;
    this.jfrCancel = jfrCancel;
    this.tracks = ages || jfrTasks ? new TaskStarts() : null;
  }

  /** Recomputes {@link #config} after a switch changed. */
  static synchronized void reconfigure(boolean ages, boolean jfr) {
    config = new Config(OBSERVERS.toArray(new TaskGroupObserver[0]), ages, jfr);
  }

  // ---- hooks called by GroupImpl (group's context) ---------------------------------------------

  /** The group is about to run its body: registered if top-level; {@return its observation, or null} */
  static Observation opened(GroupImpl<?> g, boolean nested) {
    if (!nested) {
      LIVE.add(g);
    }
    Config c = config;
    if (c.off()) {
      return null;
    }
    TaskGroupObserver.GroupObserver[] taken = new TaskGroupObserver.GroupObserver[c.observers.length];
    int n = 0;
    for (TaskGroupObserver o : c.observers) {
      TaskGroupObserver.GroupObserver go;
      try {
        go = o.groupOpened(g.vertx, g.name, nested);
      } catch (Throwable e) {
        thrown(g, e);
        go = null;
      }
      if (go != null) {
        taken[n++] = go;
      }
    }
    boolean jfrTasks = c.jfr && JfrEvents.tasksEnabled();
    boolean jfrCancel = c.jfr && JfrEvents.cancellationEnabled();
    if (n == 0 && !c.ages && !jfrTasks && !jfrCancel) {
      return null;
    }
    if (n < taken.length) {
      taken = java.util.Arrays.copyOf(taken, n);
    }
    return new Observation(g, taken, c.ages, jfrTasks, jfrCancel);
  }

  /** The group completed (or crashed): it leaves the registry at once; observers hear its end. */
  static void completed(GroupImpl<?> g, Throwable failure) {
    if (g.enclosing() == null) { // only top-level groups were added: a nested one costs the set nothing
      LIVE.remove(g);
    }
    Observation o = g.obs;
    if (o != null) {
      g.obs = null; // once, even if a crash follows a completion
      o.groupCompleted(failure);
    }
  }

  void taskStarted(AbstractTask<?> t) {
    if (tracks != null) {
      // the event is typed Object there, so that jdk.jfr loads only when JFR events are on
      tracks.add(t.number(), group.timers.nanoTime(), jfrTasks ? JfrEvents.taskBegun() : null);
    }
    for (TaskGroupObserver.GroupObserver o : observers) {
      try {
        o.taskStarted();
      } catch (Throwable e) {
        thrown(group, e);
      }
    }
  }

  void taskQueued() {
    for (TaskGroupObserver.GroupObserver o : observers) {
      safely(o::taskQueued);
    }
  }

  /** A started task settled: its state is final. */
  void taskSettled(AbstractTask<?> t) {
    if (tracks != null) {
      Object event = tracks.remove(t.number());
      if (event != null) {
        JfrEvents.taskEnded(event, group.name, t.name(), t.state());
      }
    }
    for (TaskGroupObserver.GroupObserver o : observers) {
      try {
        o.taskSettled(t.state());
      } catch (Throwable e) {
        thrown(group, e);
      }
    }
  }

  void cancelled(TaskCancelledException cause) {
    cancelledNanos = group.timers.nanoTime();
    cancelReason = cause.reason();
    runningAtCancel = group.running();
    int running = runningAtCancel;
    for (TaskGroupObserver.GroupObserver o : observers) {
      safely(() -> o.cancelled(cause.reason(), running));
    }
  }

  void timeoutFired() {
    for (TaskGroupObserver.GroupObserver o : observers) {
      safely(o::timeoutFired);
    }
  }

  void retried() {
    for (TaskGroupObserver.GroupObserver o : observers) {
      safely(o::retried);
    }
  }

  void hedged() {
    for (TaskGroupObserver.GroupObserver o : observers) {
      safely(o::hedged);
    }
  }

  private void groupCompleted(Throwable failure) {
    long now = group.timers.nanoTime();
    long duration = now - group.openedNanos;
    long toSettle = cancelReason != null ? now - cancelledNanos : -1;
    if (cancelReason != null && jfrCancel) {
      JfrEvents.groupCancelled(group.name, cancelReason, group.cancelCause, runningAtCancel, toSettle);
    }
    TaskGroupObserver.GroupOutcome outcome = failure == null ? TaskGroupObserver.GroupOutcome.SUCCEEDED
        : failure instanceof java.util.concurrent.CancellationException ? TaskGroupObserver.GroupOutcome.CANCELLED
        : TaskGroupObserver.GroupOutcome.FAILED;
    CancelReason reason = cancelReason;
    for (TaskGroupObserver.GroupObserver o : observers) {
      safely(() -> o.completed(outcome, duration, reason, toSettle));
    }
  }

  /** {@return when the running task {@code t} started on the group's clock, or -1 if ages are not tracked} */
  long startOf(AbstractTask<?> t) {
    if (tracks == null) {
      return -1;
    }
    return tracks.startOf(t.number());
  }

  // ---- hooks called by timeouts and the resilience patterns (group's context) ----------------------

  static void timeoutFired(GroupImpl<?> g) {
    Observation o = g.obs;
    if (o != null) {
      o.timeoutFired();
    }
  }

  static void retried(GroupImpl<?> g) {
    Observation o = g.obs;
    if (o != null) {
      o.retried();
    }
  }

  static void hedged(GroupImpl<?> g) {
    Observation o = g.obs;
    if (o != null) {
      o.hedged();
    }
  }

  /**
   * Runs an observer's callback; what it throws is {@link #thrown}: an observer must never leave
   * a group half-way through a step.
   */
  private void safely(Runnable r) {
    try {
      r.run();
    } catch (Throwable e) {
      thrown(group, e);
    }
  }

  /**
   * What an observer threw: an exception goes to the context's exception handler and changes
   * nothing. An {@link Error} is not lost either: the group crashes with it (fails with it, if it
   * has not completed meanwhile; else it goes to the handler) once the step that called the
   * observer is over. Not at once: a start, a settle or a cancellation cut off in its middle would
   * leave the group's counts half-done, and the group waiting for ever.
   */
  private static void thrown(GroupImpl<?> g, Throwable e) {
    if (e instanceof Error) {
      g.context.runOnContext(v -> Trampoline.frame(g, () -> g.crash(e)));
    } else {
      VertxContexts.reportException(g.context, e);
    }
  }
}
