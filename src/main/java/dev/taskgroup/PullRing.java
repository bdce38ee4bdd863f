package dev.taskgroup;

import dev.taskgroup.ScopeImpl.Hook;
import java.util.Arrays;

/**
 * The slots of {@code forEach}'s running {@link PulledTask}s: slot i holds its running task, its
 * spawn number, and (in side arrays made on first use) its pending hooks and its failure. A
 * settled task's slot is freed at once and given to the next function pulled, so the ring holds
 * at most as many slots as tasks ever ran at once: {@code maxConcurrency}, grown by doubling up to
 * it, or up to the peak running without a limit (never shrunk: the group drops it as a whole).
 *
 * <p>A slot is found again only by identity ({@link #holds}): a task that left its slot (its
 * bits then hold its spawn number, see {@link PulledTask}) never reads or writes the next
 * occupant's hooks, failure or number.
 *
 * <p>Rejected: slots by spawn number modulo the capacity (no slot index to keep): one task that
 * never settles would make the ring grow with every task pulled after it.
 *
 * <p>Written and read only on the group's context.
 */
final class PullRing {
  private static final int FIRST_CAPACITY = 64;

  private final int limit; // the group's maxConcurrency: the ring never needs more slots
  private PulledTask<?>[] tasks;
  private int[] numbers; // slot i: its task's spawn number, masked as AbstractTask.MAX_SEQ
  private Hook[] hooks; // slot i: its task's oldest pending hook; null until a task registers one
  private Throwable[] failures; // slot i: its task's failure once settled; null until one fails
  private int[] free; // slots freed by settled tasks, the last freed on top: it is the next taken
  private int freeCount;
  private int used; // slots 0..used-1 have held a task; the rest never did

  PullRing(int maxConcurrency) {
    this.limit = maxConcurrency;
    int capacity = Math.min(maxConcurrency, FIRST_CAPACITY);
    tasks = new PulledTask<?>[capacity];
    numbers = new int[capacity];
    free = new int[capacity];
  }

  /** {@return a free slot, the ring grown if every slot holds a task} */
  int take() {
    if (freeCount > 0) {
      return free[--freeCount];
    }
    if (used == tasks.length) {
      grow();
    }
    return used++;
  }

  private void grow() {
    int capacity = (int) Math.min((long) tasks.length * 2, Math.min(limit, Integer.MAX_VALUE - 8));
    if (capacity <= tasks.length) { // running never exceeds the limit: a bug of ours, not a user's
      throw new IllegalStateException("forEach's ring is full at " + tasks.length + " slots");
    }
    tasks = Arrays.copyOf(tasks, capacity);
    numbers = Arrays.copyOf(numbers, capacity);
    free = Arrays.copyOf(free, capacity);
    if (hooks != null) {
      hooks = Arrays.copyOf(hooks, capacity);
    }
    if (failures != null) {
      failures = Arrays.copyOf(failures, capacity);
    }
  }

  /** Puts {@code t}, spawn number {@code number}, in slot {@code i}, which {@link #take} gave. */
  void put(int i, PulledTask<?> t, int number) {
    tasks[i] = t;
    numbers[i] = number & AbstractTask.MAX_SEQ;
  }

  /** {@return whether {@code t} is the task in slot {@code i}} The identity test every slot access of a task makes first. */
  boolean holds(AbstractTask<?> t, int i) {
    return i < tasks.length && tasks[i] == t;
  }

  int number(int i) {
    return numbers[i];
  }

  Hook hook(int i) {
    return hooks == null ? null : hooks[i];
  }

  void hook(int i, Hook first) {
    if (hooks == null) {
      if (first == null) {
        return;
      }
      hooks = new Hook[tasks.length];
    }
    hooks[i] = first;
  }

  Throwable failure(int i) {
    return failures == null ? null : failures[i];
  }

  void failure(int i, Throwable e) {
    if (failures == null) {
      failures = new Throwable[tasks.length];
    }
    failures[i] = e;
  }

  /**
   * Frees slot {@code i} as its task leaves. Its hooks are already gone (the task's close ran
   * them or dropped them, and a closed scope registers none); cleared anyway, so that the next
   * occupant can never run a hook of the previous one.
   */
  void release(int i) {
    tasks[i] = null;
    if (hooks != null) {
      hooks[i] = null;
    }
    if (failures != null) {
      failures[i] = null;
    }
    free[freeCount++] = i;
  }

  /** {@return the running tasks in start order (by spawn number)} For the cancellation's walk and the task tree: not a hot path. */
  PulledTask<?>[] inStartOrder() {
    PulledTask<?>[] running = new PulledTask<?>[used - freeCount];
    int n = 0;
    for (int i = 0; i < used && n < running.length; i++) {
      if (tasks[i] != null) {
        running[n++] = tasks[i];
      }
    }
    PulledTask<?>[] out = n == running.length ? running : Arrays.copyOf(running, n);
    Arrays.sort(out, (a, b) -> before(a.number(), b.number()) ? -1 : a.number() == b.number() ? 0 : 1);
    return out;
  }

  /**
   * {@return whether spawn number {@code a} was given before {@code b}} Numbers are counted modulo
   * {@code MAX_SEQ + 1}: the sign of the difference in 29 bits, right while fewer than 2^28 tasks run.
   */
  static boolean before(int a, int b) {
    return ((a - b) << 3) < 0;
  }
}
