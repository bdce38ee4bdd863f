package dev.taskgroup;

/**
 * The lifecycle of a {@link Task}: it moves forward only, from {@link #PENDING} or {@link #RUNNING}
 * to exactly one of the three final states.
 */
public enum TaskState {
  /** Spawned into a group at its {@code maxConcurrency} limit; waiting in FIFO order for a slot. */
  PENDING,
  /** Its function was called and its future has not settled yet (it may have been asked to cancel). */
  RUNNING,
  /** Its future succeeded. */
  SUCCEEDED,
  /** Its future failed with an error other than a {@link java.util.concurrent.CancellationException}. */
  FAILED,
  /** It was cancelled while queued, or its future failed with a {@link java.util.concurrent.CancellationException}. */
  CANCELLED;

  /** {@return whether this state is final} */
  public boolean isDone() {
    return ordinal() >= SUCCEEDED.ordinal();
  }
}
