package dev.taskgroup;

import io.vertx.core.Handler;
import java.util.HashMap;
import java.util.Map;

/**
 * The deadlines of one group (task timeouts, the group's own deadline, sleeps), sharing timers.
 *
 * <p>Deadlines of one duration are kept in one FIFO queue: they are created as now + duration with
 * a monotonic clock, so each queue is already sorted and insertion and removal are O(1). Each queue
 * holds at most one armed timer, for its head. A task that finishes early just leaves the queue; the
 * timer, when it fires, pops whatever expired and re-arms for the new head. A queue of any but the
 * first duration is dropped, timer and all, as soon as it empties. A group with 100,000
 * tasks under the same timeout therefore runs one timer, not 100,000.
 *
 * <p>Inside a {@link #batch} (a pattern's spawn loop) the clock is read once per
 * {@value #STAMP_EVERY} deadlines, not once per deadline: a deadline added there is <em>pending</em>
 * until {@value #STAMP_EVERY} are, or the loop has started {@value #STAMP_EVERY} more tasks (at each
 * block of indexes' end, however few of its tasks added a deadline), or the batch ends, or anything
 * asks for one ({@link Node#deadlineNanos}, a firing timer), and then every pending deadline is stamped with
 * that one reading. The reading is never earlier than the moment each of them was added, so a
 * deadline may end up as late as starting {@value #STAMP_EVERY} tasks takes (tens of microseconds;
 * timers are millisecond-grained), never early; a queue stays sorted, since its pending nodes are
 * its newest. A {@code System.nanoTime()} costs ~25 ns on the benchmark machine (55-78 ns under
 * load), against ~100 ns for a whole task. Rejected: one reading for the whole loop (a pass over
 * 100,000 nodes long out of cache cost about what it saved, and the lateness grew with the loop).
 *
 * <p>A pattern's timed tasks that its spawn loop starts share one node per block of
 * {@value BlockDeadline#SIZE} indexes and duration ({@link BlockDeadline}), stamped when the loop
 * has started the block: 100,000 of them under one timeout hold 391 nodes, not 100,000.
 *
 * <p>Rejected: one Vert.x timer per deadline (one Netty scheduled task each: 6x the cost of the
 * work it guards in our benchmark); a hashed wheel (a periodic tick even when idle, and
 * tick-granular deadlines).
 *
 * <p>Confined to the group's context: every method is called there.
 */
final class Deadlines {
  private final GroupImpl<?> group;
  private Queue first; // the common case: a single duration in use
  private Map<Long, Queue> others; // lazily created for further durations
  /** How many deadlines a batch adds before it reads the clock for them (see the class comment). */
  static final int STAMP_EVERY = 256;

  private boolean batching; // inside batch(): deadlines added now are stamped later, with one clock read
  private int pending; // nodes added in a batch and not yet stamped

  Deadlines(GroupImpl<?> group) {
    this.group = group;
  }

  /** Queues {@code node} to expire {@code durationNanos} from now; it must not be queued already. */
  void add(Node node, long durationNanos) {
    add(node, durationNanos, batching ? 0 : group.timers.nanoTime()); // a batch reads the clock itself
  }

  /** Like {@link #add(Node, long)}, from {@code now} read off the group's clock by the caller. */
  void add(Node node, long durationNanos, long now) {
    if (batching) { // stamped with the batch's reading, like every deadline added in it
      addPending(node, durationNanos);
      return;
    }
    node.deadline = now + durationNanos;
    queueFor(durationNanos).append(node);
  }

  private void addPending(Node node, long durationNanos) {
    node.pending = true;
    pending++;
    queueFor(durationNanos).append(node);
    if (pending >= STAMP_EVERY) { // the nodes are still in cache, and none waits long for its deadline
      stampPending();
    }
  }

  /**
   * Runs {@code body} with the clock read once for every deadline it adds (see the class comment);
   * they are stamped when it returns or throws, or sooner if asked for.
   */
  void batch(Runnable body) {
    if (batching) { // nested: the outer batch stamps
      body.run();
      return;
    }
    batching = true;
    try {
      body.run();
    } finally {
      batching = false;
      stampPending();
    }
  }

  /** Stamps every pending deadline with one clock reading, then arms what needs a timer. */
  void stampPending() {
    if (pending == 0) {
      return;
    }
    long now = group.timers.nanoTime();
    if (first != null) {
      first.stamp(now);
    }
    if (others != null) {
      for (Queue q : others.values()) {
        q.stamp(now);
      }
    }
    pending = 0;
  }

  private Queue queueFor(long durationNanos) {
    if (first == null) {
      first = new Queue(durationNanos);
      return first;
    }
    if (first.duration == durationNanos) {
      return first;
    }
    if (others == null) {
      others = new HashMap<>();
    }
    return others.computeIfAbsent(durationNanos, Queue::new);
  }

  /**
   * An idle queue of a duration other than the first is dropped, so that a long-lived group using
   * many distinct durations (jittered back-offs, remaining times) holds queues only for live ones.
   */
  private void forget(Queue q) {
    if (q != first && others != null && others.get(q.duration) == q) {
      others.remove(q.duration);
    }
  }

  /** Takes {@code node} out of its queue, if it is in one. */
  static void remove(Node node) {
    Queue q = node.queue;
    if (q != null) {
      q.unlink(node);
    }
  }

  /**
   * The group completed: every node still queued is closed with {@code cause}, every timer
   * cancelled. {@code cause} may be null when no node is queued ({@link #size()} is 0).
   */
  void closeAll(TaskCancelledException cause) {
    if (first != null) {
      first.closeAll(cause);
    }
    if (others != null) {
      for (Queue q : others.values().toArray(new Queue[0])) {
        q.closeAll(cause);
      }
      others = null;
    }
    group.blockDeadlines = null; // the pattern's shared deadlines: closed above, or idle
  }

  /** {@return whether no deadline is queued} O(1): a queue other than the first is dropped as it empties. */
  boolean isEmpty() {
    return (first == null || first.size == 0) && (others == null || others.isEmpty());
  }

  /** {@return whether a deadline of exactly {@code durationNanos} is queued} Its FIFO queue would put a newcomer behind it. */
  boolean hasQueued(long durationNanos) {
    Queue q = first != null && first.duration == durationNanos ? first : others == null ? null : others.get(durationNanos);
    return q != null && q.size > 0;
  }

  /** {@return how many deadlines are queued (for tests and toString)} */
  int size() {
    int n = first == null ? 0 : first.size;
    if (others != null) {
      for (Queue q : others.values()) {
        n += q.size;
      }
    }
    return n;
  }

  /** {@return how many duration queues are kept (for tests)} */
  int queueCount() {
    return (first == null ? 0 : 1) + (others == null ? 0 : others.size());
  }

  /** {@return how many timers are armed (for tests): those the current frame will arm as it exits count} */
  int armedTimers() {
    int n = first != null && (first.timerId >= 0 || first.armPending && first.head != null) ? 1 : 0;
    if (others != null) {
      for (Queue q : others.values()) {
        n += q.timerId >= 0 || q.armPending && q.head != null ? 1 : 0;
      }
    }
    return n;
  }

  /** Something with a deadline. Fields are written and read only on the group's context. */
  abstract static class Node {
    long deadline;
    Node prev;
    Node next;
    Queue queue; // non-null while queued
    boolean expired; // the deadline passed (the node then left its queue)
    boolean pending; // added in a batch, not yet stamped: deadline is not set yet (fits in the padding)

    /** {@return the deadline while it is pending or once it has passed, else {@link ScopeImpl#NO_DEADLINE}} */
    final long deadlineNanos() {
      Queue q = queue; // read once: off the context, the node may leave its queue meanwhile
      if (pending && q != null) {
        if (!q.group().onContext()) {
          // a snapshot for another thread (TaskScope.remaining() is callable anywhere): writing
          // the batch's state from here would race the loop; the stamp to come is no earlier
          return q.group().timers.nanoTime() + q.duration;
        }
        q.owner().stampPending();
      }
      return q != null || expired ? deadline : ScopeImpl.NO_DEADLINE;
    }

    /** The deadline passed; the node is already out of its queue. */
    abstract void expire();

    /** The group completed before the deadline; the node is already out of its queue. */
    abstract void close(TaskCancelledException cause);
  }

  /**
   * The deadlines of one duration, oldest first; at most one timer armed, no later than the head's
   * deadline. A timer stays armed when the queue empties (tasks that run one after another would
   * otherwise arm and cancel one each); firing on an empty queue is a no-op, and the group's
   * completion cancels it.
   */
  final class Queue implements Handler<Long> {
    final long duration;
    private Node head;
    private Node tail;
    private Node unstamped; // the oldest pending node; the ones after it are pending too
    int size;
    long timerId = -1;
    private boolean firing;
    /** Waiting, in the thread's {@link Trampoline}, for the outermost frame to exit and arm the timer. */
    private boolean armPending;
    /** The next queue waiting to be armed by the same trampoline. */
    Queue nextToArm;

    /** {@return the group whose context the timer fires on} */
    GroupImpl<?> group() {
      return group;
    }

    Queue(long duration) {
      this.duration = duration;
    }

    Deadlines owner() {
      return Deadlines.this;
    }

    void append(Node n) {
      n.queue = this;
      n.prev = tail;
      if (tail == null) {
        head = n;
      } else {
        tail.next = n;
      }
      tail = n;
      size++;
      if (n.pending) {
        if (unstamped == null) {
          unstamped = n;
        }
      } else if (n == head) {
        armSoon(n.deadline);
      }
    }

    /**
     * Arms the timer for {@code deadline} (the head's) unless one is armed or pending: at once, or
     * as the outermost frame exits. A Vert.x timer cannot fire before this event-loop task ends,
     * and the frame ends within it: arming then changes nothing but the cost of a deadline whose
     * work settles in its own frame (a group whose body answers at once, a task that completes
     * synchronously), which then never touches a timer. Not on a worker or a virtual thread: a
     * frame there may block or suspend in {@code Future.await}, and the timer must be armed
     * meanwhile.
     */
    private void armSoon(long deadline) {
      if (timerId >= 0 || armPending) {
        return;
      }
      Trampoline tr;
      if (group.timers.firesInALaterTask() && group.onEventLoop() && (tr = group.trampoline()).inFrame()) {
        armPending = true;
        tr.armLater(this);
      } else {
        arm(deadline, group.timers.nanoTime());
      }
    }

    /** The frame that queued the arming has exited: arm for the head, if it is still there. */
    void armPended() {
      armPending = false;
      if (head != null && timerId < 0) {
        if (head.pending) { // a batch still open at the exit (cannot happen today): stamping arms
          stampPending();
        } else {
          arm(head.deadline, group.timers.nanoTime());
        }
      }
    }

    /** Gives the pending nodes their deadline, {@code now} + the duration; arms the timer if none is. */
    void stamp(long now) {
      for (Node n = unstamped; n != null; n = n.next) {
        n.deadline = now + duration;
        n.pending = false;
      }
      unstamped = null;
      if (head != null) {
        armSoon(head.deadline);
      }
    }

    void unlink(Node n) {
      Node p = n.prev;
      Node nx = n.next;
      if (n.pending) { // left before it was stamped: it needs no clock reading any more
        n.pending = false;
        pending--;
        if (unstamped == n) {
          unstamped = nx;
        }
      }
      if (p == null) {
        head = nx;
      } else {
        p.next = nx;
      }
      if (nx == null) {
        tail = p;
      } else {
        nx.prev = p;
      }
      n.prev = null;
      n.next = null;
      n.queue = null;
      size--;
      if (head == null && !firing && this != first) {
        // A queue of another duration that empties is dropped with its timer, so that a finished
        // task's deadline holds no memory whatever its duration (see MemoryTest). Only the first
        // queue keeps an idle timer armed, for tasks that run one after another.
        disarm();
        forget(this);
      }
    }

    private void disarm() {
      if (timerId >= 0) {
        group.timers.cancel(group.context, timerId);
        timerId = -1;
      }
    }

    private void arm(long deadline, long now) {
      long delayMillis = Math.max(1, (deadline - now + 999_999) / 1_000_000);
      timerId = group.timers.schedule(group.context, delayMillis, this);
    }

    /** The timer fired: expire everything due, then re-arm for the new head. */
    @Override
    public void handle(Long id) {
      if (id != timerId) {
        return; // a timer cancelled too late to stop it
      }
      timerId = -1;
      stampPending(); // a timer that fires inside a batch (a manual clock advanced by a task)
      long now = group.timers.nanoTime();
      firing = true;
      try {
        Node n;
        while ((n = head) != null && n.deadline - now <= 0) {
          unlink(n);
          n.expired = true;
          n.expire(); // may run user code that adds or removes nodes
        }
      } finally {
        firing = false;
      }
      if (head != null) {
        if (timerId < 0) {
          arm(head.deadline, now);
        }
      } else if (this != first) {
        disarm();
        forget(this);
      }
    }

    void closeAll(TaskCancelledException cause) {
      Node n;
      while ((n = head) != null) {
        unlink(n);
        n.close(cause);
      }
      disarm();
    }
  }
}
