package dev.taskgroup;

import java.util.concurrent.CancellationException;

/**
 * A task of {@code all}, {@code gather}, {@code settle}, {@code race} or {@code quorum}: a task that
 * is never handed out as a {@link Task} (nobody can ask for its future or cancel it alone), so it
 * needs no promise slot and no place in the group's live list. It lives in its pattern's array
 * ({@link GroupImpl#pattern}), whose slot at the task's index holds the function before the start,
 * this task while it runs, and its outcome once settled; its pending hooks live in the pattern's
 * side array, made only when a task of the pattern registers one. That leaves a header and three
 * 4-byte fields ({@code group} and {@code cancelCause} in {@link ScopeImpl}, the index and state in
 * {@link AbstractTask}): 24 bytes with compressed references, against a {@link TaskImpl}'s 40 (the
 * fan-out's bytes per task, issue 15); a timed one is a {@link TimedPatternTask}. It is still the
 * task's {@link TaskScope} with everything a scope does (hooks, sleeps, nested groups, deadlines),
 * and cancelled like any task: the group's cancellation reaches it through
 * {@link GroupImpl#propagate}, which walks the pattern's array.
 *
 * <p>Rejected: the group itself as every pattern task's scope (a 16-byte listener per task), since
 * hooks registered by a task would then live until the group completes, and a task's
 * {@code isCancelled()} and {@code sleep} would be the group's.
 *
 * <p>Written and read on the group's context, except {@code cancelCause} and the state (see
 * {@link AbstractTask}).
 */
class PatternTask<T> extends AbstractTask<T> {
  /** Made as it starts: a pattern task is never queued (one that must wait is a {@link TaskImpl}). */
  PatternTask(GroupImpl<?> group, int index) {
    super(group, index, RUNNING);
  }

  @Override
  final Hook hooks() {
    Hook[] side = group.patternHooks;
    return side == null ? null : side[seq()];
  }

  @Override
  final void hooks(Hook first) {
    group.patternHook(seq(), first);
  }

  /** Valid until the pattern's sink has read it: the sink may then put something else in the slot. */
  @Override
  @SuppressWarnings("unchecked")
  final T result() {
    return (T) group.pattern[seq()];
  }

  @Override
  final Throwable failure() {
    return (Throwable) group.pattern[seq()];
  }

  /** {@return whether this is the running task of the pattern array's slot {@code i} of {@code g}} */
  final boolean runsAt(GroupImpl<?> g, int i) {
    // the identity test matters: a result may be any object, the scope of another task included
    return group == g && seq() == i && stateBits() == RUNNING;
  }

  @Override
  final void record(T value, Throwable error) {
    if (stateBits() != RUNNING) {
      return;
    }
    Object[] slots = group.pattern;
    if (error == null) {
      slots[seq()] = value;
      setState(SUCCEEDED);
    } else {
      slots[seq()] = error;
      setState(error instanceof CancellationException ? CANCELLED : FAILED);
    }
    close();
    group.taskOutcome(this); // a failure is recorded (and the siblings cancelled) before anyone hears of it
    group.taskLeft(this);
  }
}
