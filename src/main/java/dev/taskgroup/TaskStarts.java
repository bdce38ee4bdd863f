package dev.taskgroup;

import java.util.Arrays;

/**
 * When each running task of one group started (and its JFR event, when one is being timed), kept
 * beside the tasks rather than in them: a task spends no field on it, and a group that nobody
 * observes has none of this.
 *
 * <p>Tasks start in spawn order (a fresh spawn starts only while nothing is queued, and the queue
 * is first in, first out), so entries are appended in increasing {@code seq} and found again by a
 * binary search; a settled task's entry is marked dead, and the arrays are compacted once half of
 * them is dead, so they hold at most twice the tasks running. Per task: no allocation (amortised),
 * no identity hash, O(log running) to settle. A start out of order (not reached today) is inserted
 * in place. Group's context only.
 */
final class TaskStarts {
  private static final long DEAD = Long.MIN_VALUE;

  private int[] seqs = new int[16];
  private long[] starts = new long[16];
  private Object[] events; // null unless some entry has an event
  private int size; // entries, dead ones included
  private int dead;

  /** Records that task {@code seq} started at {@code startNanos}, with its JFR event or null. */
  void add(int seq, long startNanos, Object event) {
    if (size == seqs.length) {
      if (dead > 0) {
        compact();
      }
      if (size == seqs.length) {
        seqs = Arrays.copyOf(seqs, size * 2);
        starts = Arrays.copyOf(starts, size * 2);
        if (events != null) {
          events = Arrays.copyOf(events, size * 2);
        }
      }
    }
    int at = size;
    if (size > 0 && seqs[size - 1] >= seq) { // out of spawn order: insert in place
      compact(); // no dead entry of the same seq may remain beside the new one
      at = insertionPoint(seq);
      if (size > 0 && at < size && seqs[at] == seq) { // the same task started twice: keep one entry
        starts[at] = startNanos;
        if (events != null || event != null) {
          if (events == null) {
            events = new Object[seqs.length];
          }
          events[at] = event;
        }
        return;
      }
      System.arraycopy(seqs, at, seqs, at + 1, size - at);
      System.arraycopy(starts, at, starts, at + 1, size - at);
      if (events != null) {
        System.arraycopy(events, at, events, at + 1, size - at);
      }
    }
    seqs[at] = seq;
    starts[at] = startNanos;
    if (event != null) {
      if (events == null) {
        events = new Object[seqs.length];
      }
      events[at] = event;
    } else if (events != null) {
      events[at] = null;
    }
    size++;
  }

  /** {@return when task {@code seq} started, or -1 if it has no entry} */
  long startOf(int seq) {
    int i = find(seq);
    return i < 0 ? -1 : starts[i];
  }

  /** Forgets task {@code seq}; {@return its JFR event, or null} */
  Object remove(int seq) {
    int i = find(seq);
    if (i < 0) {
      return null;
    }
    starts[i] = DEAD;
    Object event = null;
    if (events != null) {
      event = events[i];
      events[i] = null;
    }
    dead++;
    if (dead == size) { // the common end of a fan-out: everything settled
      size = 0;
      dead = 0;
    } else if (size > 16 && dead > size / 2) {
      compact();
    }
    return event;
  }

  /** {@return the number of live entries (for tests)} */
  int live() {
    return size - dead;
  }

  private int find(int seq) {
    int lo = 0;
    int hi = size - 1;
    while (lo <= hi) {
      int mid = (lo + hi) >>> 1;
      int s = seqs[mid];
      if (s < seq) {
        lo = mid + 1;
      } else if (s > seq) {
        hi = mid - 1;
      } else {
        return starts[mid] == DEAD ? -1 : mid;
      }
    }
    return -1;
  }

  private int insertionPoint(int seq) {
    int lo = 0;
    int hi = size;
    while (lo < hi) {
      int mid = (lo + hi) >>> 1;
      if (seqs[mid] < seq) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    return lo;
  }

  private void compact() {
    int n = 0;
    for (int i = 0; i < size; i++) {
      if (starts[i] != DEAD) {
        seqs[n] = seqs[i];
        starts[n] = starts[i];
        if (events != null) {
          events[n] = events[i];
        }
        n++;
      }
    }
    if (events != null) {
      Arrays.fill(events, n, size, null);
    }
    size = n;
    dead = 0;
  }
}
