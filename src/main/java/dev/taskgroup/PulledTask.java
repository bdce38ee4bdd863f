package dev.taskgroup;

import java.util.concurrent.CancellationException;

/**
 * A task of {@code forEach} whose function is plain (neither timed nor retried): as light as a
 * {@link PatternTask} (24 bytes with compressed references: {@code group}, {@code cancelCause}
 * and the bits), with no promise and no place in the group's live list. Nobody can ask for its
 * future or cancel it alone (forEach hands out no {@link Task}), and its result is dropped; it
 * lives in a slot of its group's {@link PullRing}, which keeps its spawn number, its pending hooks
 * and its failure. It is still the task's {@link TaskScope} with everything a scope does, cancelled
 * with its group ({@link GroupImpl#propagate} walks the ring), seen by observers and the task tree.
 *
 * <p>While it runs, the bits hold its slot; as it leaves the slot (settled, its outcome given to
 * the sink and the observers) they take its spawn number instead, so that its name stays its own
 * once the slot has a new occupant. Every slot access checks that the ring still holds this task
 * there ({@link PullRing#holds}): a task that left, or that hears of a late completion of its
 * work, never touches the next occupant; nor the ring once its group dropped it (completed, nothing
 * running).
 *
 * <p>Rejected for timed and retried functions: a {@link TimedPatternTask}'s shared deadlines are
 * per block of pattern indexes, which a reused slot is not; those stay {@link TaskImpl}s.
 *
 * <p>Written and read on the group's context, except {@code cancelCause} and the state (see
 * {@link AbstractTask}).
 */
final class PulledTask<T> extends AbstractTask<T> {
  /** Made as it starts in slot {@code slot} of its group's ring. */
  PulledTask(GroupImpl<?> group, int slot) {
    super(group, slot, RUNNING);
  }

  /** {@return the slot this task holds in its group's ring, or -1 once it left it (or the ring was dropped)} */
  private int slot() {
    PullRing r = group.ring;
    int i = seq();
    return r != null && r.holds(this, i) ? i : -1;
  }

  @Override
  int number() {
    int i = slot();
    return i >= 0 ? group.ring.number(i) : seq(); // once it left, the bits hold the number
  }

  @Override
  Hook hooks() {
    int i = slot();
    return i >= 0 ? group.ring.hook(i) : null; // one that left its slot has none: its close took them
  }

  @Override
  void hooks(Hook first) {
    int i = slot();
    if (i >= 0) { // a closed scope registers no hook, so a task that left sets none
      group.ring.hook(i, first);
    }
  }

  /** Always null: forEach keeps no result. */
  @Override
  T result() {
    return null;
  }

  /** Valid until the task left its slot (the sink reads it before); null after. */
  @Override
  Throwable failure() {
    int i = slot();
    return i >= 0 ? group.ring.failure(i) : null;
  }

  @Override
  void record(T value, Throwable error) {
    if (stateBits() != RUNNING) { // a second completion of the work, or a late one after a crash
      return;
    }
    if (error == null) {
      setState(SUCCEEDED);
    } else {
      group.ring.failure(seq(), error);
      setState(error instanceof CancellationException ? CANCELLED : FAILED);
    }
    close();
    group.taskOutcome(this); // a failure is recorded (and the siblings cancelled) before anyone hears of it
    group.taskLeft(this);
  }

  /** Leaves the slot (the group's last look at it is over): the bits keep the spawn number from here on. */
  void leaveSlot() {
    PullRing r = group.ring;
    int i = seq();
    int n = r.number(i);
    r.release(i);
    renumber(n);
  }
}
