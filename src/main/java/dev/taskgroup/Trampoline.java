package dev.taskgroup;

import io.netty.util.concurrent.FastThreadLocal;

/**
 * Bounds the stack depth of the library's dispatch on one thread, whatever shape user code gives
 * the work: chains of tasks each awaiting the previous, tasks spawning the next, groups nested in
 * tasks, cancellation flowing down a deep tree, hooks cancelling the next scope.
 *
 * <p>Every entry into the library that runs user code or completes a future users listen to (a
 * task's start and settle, a group's body and completion, a cancellation, a timeout's start and
 * settle) is a <em>frame</em>. Frames nest up to {@link #MAX_DEPTH} on one thread and run inline, so
 * ordinary shapes keep eager, in-order behaviour (a spawned task's function runs before
 * {@code spawn} returns). A frame that would go deeper is deferred: queued here and run by the
 * outermost frame of the thread as it exits (yielding to the event loop every
 * {@value #SLICE_NANOS} ns of a long drain, so a million-link chain never blocks it). So no path
 * of the library recurses with a depth that user code controls, and the work is done in time
 * linear in its size.
 *
 * <p>Rejected: deferring every frame (a queue hop per task settle: measurably slower on the fan-out
 * hot path, and it would end eager start); recursing without bound (a {@link StackOverflowError}
 * at ~1,000 chained tasks, swallowed by Vert.x's listener dispatch: the group never completed).
 *
 * <p>A deferred frame of a group on a virtual-thread context is not queued here: it is submitted to
 * the context as its own task, since the outermost frame of a virtual thread may be suspended in
 * {@code Future.await} and would hold the queue for as long. Confined to its thread.
 */
final class Trampoline {
  /**
   * Frames run inline up to this depth. A frame is a few JVM frames plus what user code adds
   * between two library entries (a listener chain of one link): 32 of them stay far below a default
   * thread stack, interpreted or compiled.
   */
  static final int MAX_DEPTH = 32;

  /** How long one drain may run before it yields to the event loop. */
  static final long SLICE_NANOS = 10_000_000;

  private static final FastThreadLocal<Trampoline> CURRENT = new FastThreadLocal<>() {
    @Override
    protected Trampoline initialValue() {
      return new Trampoline();
    }
  };

  private int depth; // frames running on this thread
  private Deferred head; // deferred frames, oldest first
  private Deferred tail;
  private Deadlines.Queue armHead; // queues whose timer the outermost frame arms as it exits, newest first

  /** {@return the trampoline of the current thread} */
  static Trampoline current() {
    return CURRENT.get();
  }

  /**
   * Enters a frame; {@return false if the caller must {@link #defer} instead} That is when the
   * thread is too deep, and also while deferred frames wait: a frame entered then queues behind
   * them, so that what user code did first takes effect first (a cancel deferred by depth is not
   * overtaken by a task start the same code caused later, see
   * regressions/QueuedTasksCancelledInAChainThroughTheirFuturesRecurseTest).
   */
  boolean enter() {
    if (depth >= MAX_DEPTH || head != null) {
      return false;
    }
    depth++;
    return true;
  }

  /** Leaves a frame; the outermost one runs what was deferred meanwhile, then arms the timers queued meanwhile. */
  void exit() {
    if (--depth == 0 && (head != null || armHead != null)) {
      drainAndArm();
    }
  }

  /** {@return whether a frame is running on this thread} */
  boolean inFrame() {
    return depth > 0;
  }

  /**
   * Arms {@code queue}'s timer when the outermost frame exits (see {@link Deadlines.Queue}): a
   * deadline whose work settles before then never schedules a timer. Only for Vert.x timers, which
   * cannot fire before the current event-loop task ends anyway.
   */
  void armLater(Deadlines.Queue queue) {
    queue.nextToArm = armHead;
    armHead = queue;
  }

  /** At depth 0: runs what was deferred, then arms the timers queued meanwhile. */
  private void drainAndArm() {
    try {
      if (head != null) {
        drain();
      }
    } finally { // even if a frame threw past its guard: a timer left unarmed could hang its group
      if (armHead != null) {
        armQueued();
      }
    }
  }

  private void armQueued() {
    Deadlines.Queue q;
    while ((q = armHead) != null) {
      armHead = q.nextToArm;
      q.nextToArm = null;
      try {
        q.armPended();
      } catch (Throwable e) {
        q.group().crash(e); // the timer could not be scheduled (Vert.x closing): the group fails, not hangs
      }
    }
  }

  /**
   * Runs {@code work} of {@code group} as a frame: inline when the thread may go one deeper, else
   * deferred; a throw out of it fails the group. For the entries that are not per task (a
   * group's body and completion, timeouts run by hand, attempts, queued cancels): the lambda costs
   * an object per call. The per-task entries (a task's start and settle, a scope's cancellation)
   * write the same lines out, allocation-free on the inline path: rejected, one helper for them
   * too, since it would allocate per task on the fan-out's hot path.
   */
  static void frame(GroupImpl<?> group, Runnable work) {
    Trampoline tr = group.trampoline();
    if (!tr.enter()) {
      tr.defer(new Deferred(group) {
        @Override
        void run() {
          work.run();
        }
      });
      return;
    }
    try {
      work.run();
    } catch (Throwable e) {
      group.crash(e);
    } finally {
      tr.exit();
    }
  }

  /** Runs {@code frame} as soon as the frames above unwind (or as its own context task, see class doc). */
  void defer(Deferred frame) {
    GroupImpl<?> g = frame.group;
    if (g.virtual) {
      g.context.runOnContext(v -> frame.runGuarded());
      return;
    }
    if (tail == null) {
      head = frame;
    } else {
      tail.next = frame;
    }
    tail = frame;
  }

  /**
   * Runs the deferred frames, oldest first, each with its group's context current. A long drain
   * (a million-link chain unwinding) yields after {@link #SLICE_NANOS}: the rest continues as a new
   * task of the first frame's context, so the event loop serves other events meanwhile.
   */
  private void drain() {
    depth = 1;
    try {
      long start = System.nanoTime();
      int n = 0;
      Deferred d;
      while ((d = head) != null) {
        if ((++n & 63) == 0 && System.nanoTime() - start > SLICE_NANOS) {
          yieldRest();
          return;
        }
        head = d.next;
        if (head == null) {
          tail = null;
        }
        d.next = null;
        d.runOnContext();
      }
    } finally {
      depth = 0;
      if (head != null) {
        // Only when a frame threw past its own guard (an Error while failing its group): the
        // throw goes on to the caller, and the frames behind it still run, later. Left queued, they
        // would wait for a drain that never comes: enter() refuses while frames wait, so every
        // later frame of this thread would queue behind them.
        yieldRest();
      }
    }
  }

  /** Hands what is left of the queue to a later task of the first frame's context. */
  private void yieldRest() {
    Deferred first = head;
    Deferred last = tail;
    head = null;
    tail = null;
    first.group.context.runOnContext(v -> {
      Trampoline tr = current();
      if (tr.tail == null) {
        tr.head = first;
      } else {
        tr.tail.next = first;
      }
      tr.tail = last;
      if (tr.depth == 0) {
        tr.drainAndArm();
      }
    });
  }

  /** A frame that could not run inline. It runs on its group's context, under its dispatch. */
  abstract static class Deferred {
    final GroupImpl<?> group;
    Deferred next;

    Deferred(GroupImpl<?> group) {
      this.group = group;
    }

    /** The frame's work; library code, which handles user code's throws itself. */
    abstract void run();

    /** Runs the frame; a throw out of the library's own code fails the group instead of losing it. */
    final void runGuarded() {
      try {
        run();
      } catch (Throwable e) {
        group.crash(e);
      }
    }

    /** Runs the frame with the group's context current (the queue may hold frames of several contexts). */
    final void runOnContext() {
      VertxContexts.dispatch(group.context, this::runGuarded);
    }
  }
}
