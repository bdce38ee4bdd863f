package dev.taskgroup;

import io.vertx.core.Completable;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import java.time.Duration;
import java.util.concurrent.CancellationException;

/**
 * A scope opened inside another one to run one function: an attempt of a retried or hedged
 * function, a shielded step, or a step under a movable deadline ({@link TaskGroup#withDeadline}). The group waits for it like a task (it is attached), and its
 * listener hears its outcome once, on the group's context, in a {@link Trampoline} frame, so that
 * a chain of attempts each failing synchronously never recurses.
 *
 * <p>An attempt is a child of the scope it was opened in: that scope's cancellation and deadline
 * reach it, and it can be cancelled alone (a hedge's loser). A shielded scope is nobody's child:
 * no enclosing cancellation or deadline reaches it, only its own timeout; the group still waits
 * for it. Every field is written and read on the group's context only.
 */
final class ChildScope<T> extends HookedScope implements Completable<T>, Handler<TaskCancelledException> {
  /** Hears a child's outcome; called once, on the group's context. */
  interface Listener<T> {
    void childSettled(ChildScope<T> child, T value, Throwable error);
  }

  final ScopeImpl parent;
  /** The scope this one goes by in messages ({@link #ownerOf}), taken once: asking up a deep chain would recurse. */
  final ScopeImpl owner;
  /** The attempt's number, from 1; 0 for a shielded or movable-deadline step, which is no attempt. */
  final int attempt;
  private final boolean shielded;
  private Duration timeout; // the own bound (a shield's, or a movable deadline's as last set); null for an attempt
  private final Listener<T> listener;
  private final Deadline deadline;
  /** When it was started, on the group's clock, if its opener asked for it (a hedge's adaptive delay); else 0. */
  long startedNanos;
  private Registration parentHook;
  private boolean timedOut; // the own timeout fired and its cancellation was the first
  private boolean done;

  private ChildScope(ScopeImpl parent, int attempt, Duration timeout, boolean shielded, Listener<T> listener) {
    this.group = parent.group;
    this.parent = parent;
    this.owner = ownerOf(parent);
    this.attempt = attempt;
    this.shielded = shielded;
    this.timeout = timeout;
    this.listener = listener;
    this.deadline = timeout != null ? new Deadline() : null;
  }

  /**
   * {@return the scope whose name {@code s} goes by: the task or group it belongs to, or the
   * timeout scope in between (which keeps its name)} O(1): each child scope keeps its owner, so a
   * chain of them to any depth is never walked. The owner is kept rather than its name, which a
   * task without one would build as a string per attempt.
   */
  static ScopeImpl ownerOf(ScopeImpl s) {
    return s instanceof ChildScope ? ((ChildScope<?>) s).owner : s;
  }

  /**
   * Checks that a combinator may open children in {@code parent}: on its context (else throws
   * {@link IllegalStateException} naming {@code operation}). {@return the cancellation a run in
   * {@code parent} fails with at once, because it is cancelled or finished, or null}
   */
  static TaskCancelledException refusal(ScopeImpl parent, String operation) {
    parent.group.checkOnContext(operation);
    TaskCancelledException cause = parent.cancelCause;
    return cause != null ? cause : parent.closed() ? parent.closedCause() : null;
  }

  /**
   * {@return attempt {@code number} in {@code parent}, not yet started} The caller has checked that
   * the parent is neither cancelled nor closed; it keeps the attempt, then calls {@link #start}
   * (the listener may hear of it before {@code start} returns).
   */
  static <T> ChildScope<T> attempt(ScopeImpl parent, int number, Listener<T> listener) {
    ChildScope<T> c = new ChildScope<>(parent, number, null, false, listener);
    c.parentHook = parent.attachChild(c); // the scope itself: TaskTree finds it among the parent's hooks
    return c;
  }

  /**
   * {@return attempt {@code number} beside attempt 1 of a hedge that runs in {@code parent}, a
   * task's own scope ({@link AttemptTask}), not yet started} Enclosed by the task (its deadline,
   * its attempt numbering) but hooked nowhere: the task's scope is attempt 1's, and closing it when
   * attempt 1 ends must not reach this one; the task's cancellation reaches it through the hedge
   * ({@link AttemptTask.Role#cancelling}). The caller has checked as for {@link #attempt}.
   */
  static <T> ChildScope<T> beside(ScopeImpl parent, int number, Listener<T> listener) {
    ChildScope<T> c = new ChildScope<>(parent, number, null, false, listener);
    c.parentHook = Hook.GONE;
    return c;
  }

  /** {@return a shielded step in {@code parent}'s group bounded by {@code timeout}, not yet started} */
  static <T> ChildScope<T> shielded(ScopeImpl parent, Duration timeout, Listener<T> listener) {
    ChildScope<T> c = new ChildScope<>(parent, 0, timeout, true, listener);
    c.parentHook = Hook.GONE; // the point of a shield: the parent's cancellation does not reach it
    c.group.deadlines.add(c.deadline, Durations.toNanos(timeout));
    return c;
  }

  /** {@return a step in {@code parent} under a deadline {@code timeout} from now, which it may move; not yet started} */
  static <T> ChildScope<T> movable(ScopeImpl parent, Duration timeout, Listener<T> listener) {
    ChildScope<T> c = new ChildScope<>(parent, 0, timeout, false, listener);
    c.parentHook = parent.attachChild(c);
    c.group.deadlines.add(c.deadline, Durations.toNanos(timeout));
    return c;
  }

  /**
   * Moves the own deadline to {@code timeout} from now (sooner or later), or removes it when
   * {@code timeout} is null; a no-op once the scope has settled or its deadline has passed. The
   * node leaves its queue and joins the queue of its new duration, so deadlines keep sharing
   * timers. Group's context only.
   */
  void moveDeadline(Duration timeout) {
    if (done || deadline.expired) {
      return;
    }
    Deadlines.remove(deadline);
    if (timeout != null) {
      this.timeout = timeout;
      group.deadlines.add(deadline, Durations.toNanos(timeout));
    }
  }

  @Override
  String scopeName() {
    return owner.scopeName();
  }

  /** The parent was cancelled (this is the hook the parent runs): so is this scope. */
  @Override
  public void handle(TaskCancelledException cause) {
    cancel(cause);
  }

  @Override
  boolean closed() {
    return done;
  }

  @Override
  long ownDeadlineNanos() {
    return deadline != null ? deadline.deadlineNanos() : NO_DEADLINE;
  }

  /** A shield has no enclosing scope: enclosing deadlines do not bound it, nor its attempt number. */
  @Override
  ScopeImpl enclosing() {
    return shielded ? null : parent;
  }

  /** Runs {@code fn} in this scope; a throw or a null is the scope's failure. */
  void start(TaskFn<T> fn) {
    group.attach(); // the group completes only after this scope's work settles, awaited or not
    Future<T> work;
    try {
      work = fn.run(this);
    } catch (Throwable e) {
      complete(null, e);
      return;
    }
    if (work == null) {
      complete(null, new NullPointerException("the function of " + describe() + " returned null instead of a Future"));
    } else {
      work.onComplete(this);
    }
  }

  String describe() {
    String name = scopeName();
    return shielded ? "a shielded step in '" + name + "'"
        : attempt > 0 ? "attempt " + attempt + " of '" + name + "'" : "a step under a movable deadline in '" + name + "'";
  }

  /** The work completed, on whatever thread: settle at home, in a frame. */
  @Override
  public void complete(T value, Throwable error) {
    if (!group.onContext()) {
      VertxContexts.dispatch(group.context, () -> complete(value, error));
      return;
    }
    Trampoline.frame(group, () -> settle(value, error));
  }

  /** Once: close the scope, tell the listener, then let the group go (it may complete now). */
  private void settle(T value, Throwable error) {
    if (done) {
      return; // a work future completing twice: the first outcome stands
    }
    done = true;
    if (deadline != null) {
      Deadlines.remove(deadline);
    }
    parentHook.remove();
    close();
    if (timedOut && error instanceof CancellationException) {
      error = new TaskTimeoutException(shielded ? "shielded step of" : "task", scopeName(), timeout);
    }
    try {
      listener.childSettled(this, value, error);
    } finally {
      group.detach(); // after the listener: it may open the next attempt before the group could complete
    }
  }

  @Override
  public String toString() {
    return "ChildScope[" + describe() + (done ? ", settled" : cancelCause != null ? ", cancelling" : ", running") + "]";
  }

  private final class Deadline extends Deadlines.Node {
    @Override
    void expire() {
      if (cancelCause == null && !done) {
        TaskCancelledException c = new TaskCancelledException(CancelReason.DEADLINE,
            describe() + " passed its timeout of " + Durations.millis(timeout));
        if (markCancelled(c)) { // mark first, as TimedTaskImpl does
          timedOut = true; // before the hooks: they may settle the work synchronously
          Observation.timeoutFired(group);
          cancelled(c);
        }
      }
    }

    @Override
    void close(TaskCancelledException cause) {
      cancel(cause); // the group crashed while the step ran (it waits for it otherwise)
    }
  }
}
