package dev.taskgroup;

import io.vertx.core.Future;

/**
 * A pattern's task with a {@link TaskFn#withTimeout timeout} function: a {@link PatternTask} plus
 * the timeout, 32 bytes with compressed references (against a {@link TimedTaskImpl}'s 56 and its
 * {@link TaskDeadline}'s 40), and no deadline node of its own when the spawn loop starts it: it
 * then joins its block's {@link BlockDeadline}, found through the group by its index and duration.
 * Started any other way (deferred by the {@link Trampoline}, on a virtual-thread context) it keeps
 * a {@link TaskDeadline} in the group's side array ({@link GroupImpl#ownDeadline}).
 */
final class TimedPatternTask<T> extends PatternTask<T> {
  private static final byte UNARMED = 0;
  private static final byte IN_BLOCK = 1;
  private static final byte OWN = 2;

  private final TimeoutFn<T> spec;
  private byte armed; // where the deadline is: none yet, its block's node, or its own node (fits in the padding)
  private boolean timedOut; // IN_BLOCK: the block's deadline fired and its cancellation was the first

  TimedPatternTask(GroupImpl<?> group, int index, TimeoutFn<T> spec) {
    super(group, index);
    this.spec = spec;
  }

  @Override
  TimeoutFn<T> timeoutSpec() {
    return spec;
  }

  /** {@return whether the deadline is its block's (for {@link BlockDeadline}'s walks)} */
  boolean inBlock() {
    return armed == IN_BLOCK;
  }

  @Override
  TaskFn<T> entry(TaskFn<T> f) {
    return null; // invoke arms the timeout first
  }

  @Override
  Future<T> invoke(TaskFn<T> f, boolean fresh) throws Exception {
    if (fresh) { // the spawn loop is starting it: after every earlier member of its block, as joining needs
      armed = IN_BLOCK;
      BlockDeadline.join(this, spec);
      return spec.inner.run(this);
    }
    TaskDeadline<T> own = new TaskDeadline<>(this);
    group.ownDeadline(seq(), own);
    armed = OWN;
    return own.start(spec);
  }

  @Override
  long ownDeadlineNanos() {
    if (armed == IN_BLOCK) {
      BlockDeadline n = BlockDeadline.of(this, spec);
      return n != null ? n.deadlineNanos() : NO_DEADLINE;
    }
    if (armed == OWN) {
      TaskDeadline<?>[] side = group.patternDeadlines; // read once: another thread may ask
      TaskDeadline<?> own = side != null ? side[seq()] : null;
      return own != null ? own.deadlineNanos() : NO_DEADLINE;
    }
    return NO_DEADLINE;
  }

  /** Its block's deadline passed while it ran (see {@link TaskDeadline#markTimedOut}). */
  void expire() {
    TaskCancelledException c = TaskDeadline.markTimedOut(this);
    if (c != null) {
      timedOut = true; // before the hooks: they may settle the work synchronously
      TaskDeadline.runTimeout(this, c);
    }
  }

  @Override
  @SuppressWarnings("unchecked")
  void settle(T value, Throwable error) {
    if (stateBits() != RUNNING) {
      return;
    }
    if (armed == IN_BLOCK) {
      BlockDeadline.leave(this, spec);
      TaskDeadline.record(this, timedOut, value, error);
    } else if (armed == OWN) {
      ((TaskDeadline<T>) group.takeOwnDeadline(seq())).settle(value, error); // set before armed = OWN, cleared only here
    } else { // cancelled before its function ran
      record(value, error);
    }
  }
}
