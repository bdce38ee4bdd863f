package dev.taskgroup;

import jdk.jfr.Category;
import jdk.jfr.Description;
import jdk.jfr.Event;
import jdk.jfr.EventType;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;
import jdk.jfr.Timespan;

/**
 * The library's JFR events. Loaded only once {@link Observability#enableJfrEvents} is switched on
 * (every use goes through {@link Observation}, which asks only then), so that a JVM without the
 * {@code jdk.jfr} module never needs it. Each group asks, as it opens, whether a recording has the
 * events enabled: a group opened while nothing records costs no event and no tracking.
 */
final class JfrEvents {
  private JfrEvents() {}

  private static final boolean AVAILABLE = probe();

  private static boolean probe() {
    try {
      Class.forName("jdk.jfr.Event", false, JfrEvents.class.getClassLoader());
      return true;
    } catch (ClassNotFoundException | LinkageError e) {
      return false;
    }
  }

  static boolean available() {
    return AVAILABLE;
  }

  /**
   * Registers the event types: the first use of JFR in a JVM takes hundreds of milliseconds (it
   * sets up its repository and registers the types), so it happens on the thread that switches the
   * events on, never on an event loop when a group opens.
   */
  static void register() {
    Types.TASK.isEnabled();
  }

  static boolean tasksEnabled() {
    return Types.TASK.isEnabled();
  }

  static boolean cancellationEnabled() {
    return Types.CANCELLATION.isEnabled();
  }

  /** {@return a task's event, begun now} */
  static Object taskBegun() {
    TaskEvent e = new TaskEvent();
    e.begin();
    return e;
  }

  static void taskEnded(Object event, String group, String task, TaskState state) {
    TaskEvent e = (TaskEvent) event;
    e.end();
    if (e.shouldCommit()) {
      e.group = group;
      e.task = task;
      e.state = state.name();
      e.commit();
    }
  }

  static void groupCancelled(String group, CancelReason reason, TaskCancelledException cause, int running, long toSettleNanos) {
    GroupCancellationEvent e = new GroupCancellationEvent();
    if (e.isEnabled()) {
      e.group = group;
      e.reason = reason.name();
      e.message = cause != null ? cause.getMessage() : null;
      e.runningTasks = running;
      e.timeToSettle = toSettleNanos;
      e.commit();
    }
  }

  /** The event types, looked up once (a holder: loaded with the first group that asks). */
  private static final class Types {
    static final EventType TASK = EventType.getEventType(TaskEvent.class);
    static final EventType CANCELLATION = EventType.getEventType(GroupCancellationEvent.class);
  }

  /** One task's lifetime, from its start to its settling. */
  @Name("dev.taskgroup.Task")
  @Label("Task")
  @Category({"Vert.x", "Task groups"})
  @Description("A task of a task group, from its start until it settled")
  @StackTrace(false)
  static final class TaskEvent extends Event {
    @Label("Group")
    String group;
    @Label("Task")
    String task;
    @Label("State")
    @Description("SUCCEEDED, FAILED or CANCELLED")
    String state;
  }

  /** A group's cancellation, committed when the cancelled group has completed. */
  @Name("dev.taskgroup.GroupCancellation")
  @Label("Group Cancellation")
  @Category({"Vert.x", "Task groups"})
  @Description("A task group was cancelled; committed once all of its work settled")
  @StackTrace(false)
  static final class GroupCancellationEvent extends Event {
    @Label("Group")
    String group;
    @Label("Reason")
    String reason;
    @Label("Message")
    String message;
    @Label("Running Tasks")
    @Description("Tasks running when the group was cancelled")
    int runningTasks;
    @Label("Time to Settle")
    @Description("From the cancellation until the group completed")
    @Timespan(Timespan.NANOSECONDS)
    long timeToSettle;
  }
}
