package dev.taskgroup;

import io.vertx.core.Context;
import io.vertx.core.Handler;

/**
 * The clock and the one-shot timers behind deadlines and sleeps. Production uses {@link #VERTX};
 * tests substitute a clock they advance by hand, so timeout races are decided deterministically.
 * Every method is called on the group's context.
 */
interface Timers {
  /** {@return a monotonic time in nanoseconds} */
  long nanoTime();

  /** Schedules {@code handler} to run on {@code context} after {@code delayMillis} (at least 1); {@return an id} */
  long schedule(Context context, long delayMillis, Handler<Long> handler);

  /** Cancels a timer scheduled here; a no-op if it already fired. */
  void cancel(Context context, long id);

  /** Vert.x timers and {@link System#nanoTime()}. */
  Timers VERTX = new Timers() {
    @Override
    public long nanoTime() {
      return System.nanoTime();
    }

    @Override
    public long schedule(Context context, long delayMillis, Handler<Long> handler) {
      return VertxContexts.setTimer(context, delayMillis, handler);
    }

    @Override
    public void cancel(Context context, long id) {
      context.owner().cancelTimer(id);
    }

    @Override
    public String toString() {
      return "Timers.VERTX";
    }
  };
}
