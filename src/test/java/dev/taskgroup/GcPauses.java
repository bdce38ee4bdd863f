package dev.taskgroup;

import com.sun.management.GarbageCollectionNotificationInfo;
import com.sun.management.GcInfo;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.util.ArrayDeque;
import java.util.Deque;
import javax.management.NotificationEmitter;
import javax.management.openmbean.CompositeData;

/**
 * The garbage collector's pauses in this JVM, so that the suite's blocked-loop check can tell a
 * loop blocked by user or library code from one stopped by the collector. A test that builds a
 * million live tasks has a live set of hundreds of MB; each young collection copies it, in pauses of
 * 250 ms on an idle machine and seconds on a loaded one (seen: 2,008 ms at a load average of 10),
 * and the blocked-thread checker counts a pause as the event loop's own time. What the library
 * must not do is run user-sized work in one turn; a stop-the-world pause is not that.
 *
 * <p>Pauses are collected from the collectors' notifications (delivered shortly after each pause)
 * and, for the newest one, read synchronously ({@code getLastGcInfo}), since a blocked-loop event
 * may be reported before the notification of the pause inside it has been delivered.
 */
final class GcPauses {
  private static final int KEPT = 4_096;
  private static final Deque<long[]> PAUSES = new ArrayDeque<>(); // {collector, id, start ms, end ms}, JVM uptime

  static {
    for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
      if (gc instanceof NotificationEmitter emitter && pauses(gc.getName())) {
        emitter.addNotificationListener((n, handback) -> {
          if (GarbageCollectionNotificationInfo.GARBAGE_COLLECTION_NOTIFICATION.equals(n.getType())) {
            GarbageCollectionNotificationInfo info = GarbageCollectionNotificationInfo.from((CompositeData) n.getUserData());
            add(info.getGcName(), info.getGcInfo());
          }
        }, null, null);
      }
    }
  }

  private GcPauses() {}

  /** Concurrent cycles (JDK 21+'s "G1 Concurrent GC", ZGC's cycles) run beside the application. */
  private static boolean pauses(String collector) {
    return !collector.contains("Concurrent") && !collector.contains("Cycles");
  }

  private static synchronized void add(String collector, GcInfo info) {
    if (info == null) {
      return;
    }
    long name = collector.hashCode();
    for (long[] p : PAUSES) {
      if (p[0] == name && p[1] == info.getId()) {
        return;
      }
    }
    PAUSES.addLast(new long[] {name, info.getId(), info.getStartTime(), info.getEndTime()});
    if (PAUSES.size() > KEPT) {
      PAUSES.removeFirst();
    }
  }

  /**
   * {@return how many of the last {@code durationMs} ms (ending now) the collector paused the JVM}
   */
  static synchronized long pausedInTheLast(long durationMs) {
    for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
      if (gc instanceof com.sun.management.GarbageCollectorMXBean sun && pauses(gc.getName())) {
        add(gc.getName(), sun.getLastGcInfo());
      }
    }
    long now = ManagementFactory.getRuntimeMXBean().getUptime();
    long from = now - durationMs;
    long paused = 0;
    for (long[] p : PAUSES) {
      paused += Math.max(0, Math.min(p[3], now) - Math.max(p[2], from));
    }
    return paused;
  }

  /** Loads the class, so that its listeners see every pause from now on. */
  static void watch() {
    // the static initializer does it
  }
}
