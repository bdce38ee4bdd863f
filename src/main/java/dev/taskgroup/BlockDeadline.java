package dev.taskgroup;

import java.time.Duration;

/**
 * One deadline for the timed tasks of a block of {@value #SIZE} consecutive pattern indexes that
 * share a timeout's length and started in the same stretch of the spawn loop: what a per-task
 * {@link TaskDeadline} does for each of them, with one node, one link and one unlink in the
 * duration's queue instead of one per task (issue 15: the node and its queue work were most of
 * what a per-task timeout cost over a plain pattern task).
 *
 * <p>How a task finds its node without a field: the group's {@link GroupImpl#blockDeadlines} holds,
 * per block ({@code index >>> }{@value #SHIFT}), a chain of nodes, newest first (one per duration
 * in use in the block, more when one was stamped while its block was still starting). A node's
 * members are the timed tasks that joined it: started by the spawn loop itself ({@code fresh}: so
 * in index order), with a duration of the node's length, at an index in
 * [{@link #first}, {@link #last}]. A task joins the newest node of its duration in its block while
 * that node is <em>open</em> (pending in its queue: not yet stamped, or idle: every member settled
 * before the stamp), else starts a new one; so the nodes of one duration and block cover disjoint
 * ranges and each member belongs to exactly one. A timed task started any other way (deferred by
 * the {@link Trampoline}, on a virtual-thread context, after the loop) keeps a {@link TaskDeadline}
 * of its own (see {@link TimedPatternTask}).
 *
 * <p>Stamping: a node is added to its queue as a pending deadline of the loop's
 * {@link Deadlines#batch batch}, and stamped with one clock reading when the loop has started the
 * block's last index (the loop stamps every pending deadline there, {@link GroupImpl#spawnPattern}), when the batch ends, or when anything asks for a
 * deadline (a member's {@code remaining()}, a firing timer): never earlier than any member's
 * start, at most the time {@value #SIZE} starts take later, as {@link Deadlines} promises.
 *
 * <p>Settling: a member's settle counts {@link #live} down; at zero the node leaves its queue and
 * its chain (an open one stays chained, idle, until its block has started). Expiry walks the
 * range's slots of the pattern's array and expires each running member as {@link TaskDeadline}
 * does (mark first, then {@code timedOut}, then the cancellation). A member may settle inside that
 * walk (its hooks end its work at once, or end another member's): the count and the removal are
 * the settle's, and the walk only reads the array, so it skips what settled and stops at zero.
 *
 * <p>Rejected: the queue's links in each task (16-20 bytes more per timed task, and
 * {@code Deadlines.Node} an interface: an interface call per link); a per-block bit set of members
 * (48 bytes per node, unneeded once joining keeps ranges disjoint).
 *
 * <p>Group's context only, like every {@link Deadlines.Node}; {@link #of} may be called elsewhere
 * for a snapshot of a member's deadline (best effort, as {@link Deadlines.Node#deadlineNanos} is).
 */
final class BlockDeadline extends Deadlines.Node {
  /** Pattern indexes per block: the index's bits above these find the block. */
  static final int SHIFT = 8;
  static final int SIZE = 1 << SHIFT;
  static final int MASK = SIZE - 1;

  private final GroupImpl<?> group;
  private final Duration timeout; // the first member's: the same instance is the common case, compared first
  private final long nanos;
  private final int first; // the first member's pattern index
  private int last; // the newest member's index: later members only come after it
  private int live; // members that joined and have not settled
  private boolean idle; // every member settled before the stamp: out of its queue, still open for the block's later tasks
  private BlockDeadline nextInBlock; // the block's next older node

  private BlockDeadline(GroupImpl<?> group, Duration timeout, long nanos, int index) {
    this.group = group;
    this.timeout = timeout;
    this.nanos = nanos;
    this.first = index;
    this.last = index;
  }

  /** {@return whether a task of {@code spec}'s timeout has this node's length} */
  private boolean sameLength(TimeoutFn<?> spec) {
    return spec.timeout == timeout || spec.nanos() == nanos;
  }

  private boolean open() {
    return pending || idle;
  }

  /**
   * The spawn loop calls {@code task}'s function now (its index above every earlier member's):
   * it joins its block's open node of its duration, or a new one that is queued pending.
   */
  static void join(TimedPatternTask<?> task, TimeoutFn<?> spec) {
    GroupImpl<?> g = task.group;
    BlockDeadline[] blocks = g.blockDeadlines;
    if (blocks == null) {
      blocks = g.blockDeadlines = new BlockDeadline[(g.pattern.length + MASK) >>> SHIFT];
    }
    int i = task.seq();
    int b = i >>> SHIFT;
    for (BlockDeadline n = blocks[b]; n != null; n = n.nextInBlock) {
      if (n.sameLength(spec)) {
        if (!n.open()) {
          break; // stamped while the block was starting: a later task needs a later deadline
        }
        n.last = i;
        if (n.live++ == 0 && n.idle) {
          n.idle = false;
          g.deadlines.add(n, n.nanos); // back in the queue, pending again, at its tail
        }
        return;
      }
    }
    BlockDeadline n = new BlockDeadline(g, spec.timeout, spec.nanos(), i);
    n.live = 1;
    n.nextInBlock = blocks[b];
    blocks[b] = n;
    g.deadlines.add(n, n.nanos);
  }

  /** {@return the node {@code task} joined, or null once its group has dropped them (it completed)} */
  static BlockDeadline of(TimedPatternTask<?> task, TimeoutFn<?> spec) {
    BlockDeadline[] blocks = task.group.blockDeadlines;
    if (blocks == null) {
      return null;
    }
    int i = task.seq();
    for (BlockDeadline n = blocks[i >>> SHIFT]; n != null; n = n.nextInBlock) {
      if (n.first <= i && i <= n.last && n.sameLength(spec)) {
        return n;
      }
    }
    return null;
  }

  /** A member settled: it leaves; the last one takes the node out of its queue and its chain. */
  static void leave(TimedPatternTask<?> task, TimeoutFn<?> spec) {
    BlockDeadline n = of(task, spec);
    if (n != null && --n.live == 0) {
      boolean stillOpen = n.pending; // before the unlink, which clears it
      Deadlines.remove(n);
      if (stillOpen) {
        n.idle = true; // the block's later tasks may still join it; dropped once the block has started
      } else {
        n.unchain();
      }
    }
  }

  /**
   * The spawn loop has started the last index of block {@code b} (or stopped inside it): the
   * block's idle nodes are dropped, since no task can join them any more (the loop stamps the
   * pending ones itself, with every other pending deadline).
   */
  static void blockStarted(GroupImpl<?> g, int b) {
    BlockDeadline[] blocks = g.blockDeadlines;
    if (blocks == null || b >= blocks.length) {
      return;
    }
    BlockDeadline next;
    for (BlockDeadline n = blocks[b]; n != null; n = next) {
      next = n.nextInBlock; // before an unchain clears it
      if (n.idle) {
        n.idle = false;
        n.unchain();
      }
    }
  }

  private void unchain() {
    BlockDeadline[] blocks = group.blockDeadlines;
    if (blocks == null) {
      return; // the group completed: its chains are gone
    }
    int b = first >>> SHIFT;
    BlockDeadline n = blocks[b];
    if (n == this) {
      blocks[b] = nextInBlock;
    } else {
      while (n != null && n.nextInBlock != this) {
        n = n.nextInBlock;
      }
      if (n != null) {
        n.nextInBlock = nextInBlock;
      }
    }
    nextInBlock = null;
  }

  /** {@return {@code o}, found at index {@code i} of the pattern's array, if it is a running member; else null} */
  private TimedPatternTask<?> memberAt(Object o, int i) {
    if (o instanceof TimedPatternTask) {
      TimedPatternTask<?> t = (TimedPatternTask<?>) o;
      if (t.runsAt(group, i) && t.inBlock() && sameLength(t.timeoutSpec())) {
        return t;
      }
    }
    return null;
  }

  /** The deadline passed (the node is out of its queue): each running member times out, in index order. */
  @Override
  void expire() {
    Object[] p = group.pattern;
    for (int i = first; i <= last && live > 0; i++) { // live: members may settle inside the walk
      TimedPatternTask<?> t = memberAt(p[i], i);
      if (t != null) {
        t.expire();
      }
    }
  }

  /** The group completed (or crashed) with members left: each is cancelled, as {@link TaskDeadline#close} does. */
  @Override
  void close(TaskCancelledException cause) {
    Object[] p = group.pattern;
    for (int i = first; i <= last && live > 0; i++) {
      TimedPatternTask<?> t = memberAt(p[i], i);
      if (t != null) {
        t.cancel(cause);
      }
    }
  }

  /** {@return how many nodes the chains of {@code g} hold (for tests)} */
  static int chained(GroupImpl<?> g) {
    BlockDeadline[] blocks = g.blockDeadlines;
    int n = 0;
    if (blocks != null) {
      for (BlockDeadline head : blocks) {
        for (BlockDeadline b = head; b != null; b = b.nextInBlock) {
          n++;
        }
      }
    }
    return n;
  }

  @Override
  public String toString() {
    return "BlockDeadline[" + first + ".." + last + ", " + Durations.millis(timeout) + ", live=" + live
        + (idle ? ", idle" : pending ? ", pending" : expired ? ", expired" : "") + "]";
  }
}
