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

  /**
   * {@return whether a timer scheduled now can only fire in a later task of its event loop} Then
   * a deadline queued inside a frame may be armed as the outermost frame exits, still in this task
   * ({@link Deadlines.Queue}): the Vert.x timers. A test clock advanced by hand may fire at once,
   * so it is armed at the call.
   */
  default boolean firesInALaterTask() {
    return false;
  }

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
    public boolean firesInALaterTask() {
      return true;
    }

    @Override
    public String toString() {
      return "Timers.VERTX";
    }
  };
}
