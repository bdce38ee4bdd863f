package dev.taskgroup;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * A node of the cancellation tree: a task, a group (the body's scope), or the inner scope of a
 * timeout. Cancellation is first-wins and flows down through {@link #propagate} and the hooks.
 */
abstract class ScopeImpl implements TaskScope {
  /** No deadline. */
  static final long NO_DEADLINE = Long.MAX_VALUE;

  /** The group whose context owns this scope; a group points to itself. Set once in the constructor. */
  GroupImpl<?> group;

  /**
   * Null until cancelled; set once, by compare-and-set ({@link #markCancelled}), on the group's
   * context or by {@link Task#cancel()} on any thread; read from any thread. Once set, the
   * cancellation's propagation and hooks run (or are queued to run) on the group's context.
   */
  volatile TaskCancelledException cancelCause;

  private static final VarHandle CANCEL_CAUSE;

  static {
    try {
      CANCEL_CAUSE = MethodHandles.lookup().findVarHandle(ScopeImpl.class, "cancelCause", TaskCancelledException.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  /**
   * {@return the oldest pending hook, or null} Pending hooks are a circular list, oldest first
   * ({@code hooks().prev} is the newest), so a scope needs one reference for them. Where that
   * reference lives is the subclass's: a field in most scopes, the pattern's side array for a
   * {@link PatternTask} (which has no room for one). Group's context only.
   */
  abstract Hook hooks();

  /** Sets the oldest pending hook (null: none). Group's context only. */
  abstract void hooks(Hook first);

  /**
   * {@return whether the scope's owner finished: hooks are no longer kept} Derived from the owner's
   * own state (set before {@link #close()} is called), so a task spends no field on it.
   */
  abstract boolean closed();

  /** {@return the name used in messages: the task's or the group's} */
  abstract String scopeName();

  /** {@return this scope's own deadline, or {@link #NO_DEADLINE}} */
  abstract long ownDeadlineNanos();

  /** {@return the scope this one is nested in, or null for a top-level group} */
  abstract ScopeImpl enclosing();

  /**
   * {@return the nearest deadline of this scope or an enclosing one, or {@link #NO_DEADLINE}}
   * A loop up the tree, never a recursion: nesting may be 100,000 levels deep.
   */
  final long deadlineNanos() {
    long d = NO_DEADLINE;
    for (ScopeImpl s = this; s != null; s = s.enclosing()) {
      d = Math.min(d, s.ownDeadlineNanos());
    }
    return d;
  }

  /**
   * {@return whether the code that owns this scope can no longer await work started in it} A
   * task's or a timeout's scope once it finished; a group's once its body has.
   */
  boolean ownerFinished() {
    return closed();
  }

  /** Cancels what hangs below this scope (tasks of a group); called before the hooks run. */
  void propagate(TaskCancelledException cause) {}

  static ScopeImpl of(TaskScope scope) {
    Objects.requireNonNull(scope, "scope");
    if (scope instanceof ScopeImpl) {
      return (ScopeImpl) scope;
    }
    if (scope instanceof TaskGroup) {
      return ((TaskGroup) scope).impl;
    }
    throw new IllegalArgumentException("not a scope of this library: " + scope.getClass().getName()
        + " (pass the TaskScope a task received, or a TaskGroup)");
  }

  @Override
  public Vertx vertx() {
    return group.vertx;
  }

  @Override
  public Context context() {
    return group.context;
  }

  @Override
  public boolean isOnContext() {
    return group.onContext();
  }

  @Override
  public boolean isCancelled() {
    return cancelCause != null;
  }

  @Override
  public TaskCancelledException cancellation() {
    return cancelCause;
  }

  /** {@return true if this call set the scope's cancellation: the first caller wins, on any thread} */
  final boolean markCancelled(TaskCancelledException cause) {
    return CANCEL_CAUSE.compareAndSet(this, null, cause);
  }

  /**
   * Cancels this scope unless it is already cancelled or closed: marks it, then runs
   * {@link #propagate} and the hooks in registration order, in a frame of the thread's
   * {@link Trampoline} (deferred when too deep). Group's context only. {@return true if this call
   * cancelled it}
   */
  boolean cancel(TaskCancelledException cause) {
    if (closed() || !markCancelled(cause)) {
      return false;
    }
    cancelled(cause);
    return true;
  }

  /** Runs the cancellation of a scope this thread has just marked: inline, or deferred if too deep. */
  final void cancelled(TaskCancelledException cause) {
    Trampoline tr = group.trampoline();
    if (!tr.enter()) {
      tr.defer(new Trampoline.Deferred(group) {
        @Override
        void run() {
          runCancellation(cause);
        }
      });
      return;
    }
    try {
      runCancellation(cause);
    } catch (Throwable e) {
      group.crash(e);
    } finally {
      tr.exit();
    }
  }

  /** What a cancellation does once marked: cancel what hangs below, then the hooks, oldest first. */
  void runCancellation(TaskCancelledException cause) {
    propagate(cause);
    Hook h;
    while ((h = hooks()) != null) { // take the head each time: a hook may remove later hooks
      unlink(h);
      group.runHook(h.handler, cause);
    }
  }

  /**
   * The owner finished. Work still attached to the scope (a nested group, an inner timeout, a
   * sleep nobody awaited) is cancelled with reason {@link CancelReason#SCOPE_CLOSED}: nothing
   * started in a scope outlives it. User hooks are dropped without running: they guard nothing now.
   * Except while the scope is being cancelled (a hook ended the work at once): then the hooks not
   * yet run still run, with the real cancellation, as {@link #onCancel} promises.
   */
  void close() {
    if (hooks() == null) { // the common case: nothing to run or drop
      return;
    }
    TaskCancelledException cancelling = cancelCause;
    if (cancelling != null && cancelling.foreign && !cancelling.delivered) {
      // Marked from another thread, not yet carried out here: the result won, the hooks are
      // dropped like those of any finished task (regressions/ForeignCancelLosingToAResult...).
      cancelling = null;
    }
    TaskCancelledException closing = null;
    Hook h;
    while ((h = hooks()) != null) { // take the head each time: a hook may remove others
      unlink(h);
      if (cancelling != null) {
        group.runHook(h.handler, cancelling);
      } else if (h.child) {
        if (closing == null) {
          closing = closedCause();
        }
        group.runHook(h.handler, closing);
      }
    }
  }

  /** {@return the cancellation given to work that is started in, or outlives, a finished scope} */
  TaskCancelledException closedCause() {
    return TaskCancelledException.scopeClosed(this);
  }

  @Override
  public Registration onCancel(Handler<TaskCancelledException> hook) {
    Objects.requireNonNull(hook, "hook");
    group.checkOnContext("onCancel");
    return register(hook, false);
  }

  @Override
  public Registration bind(Handler<TaskCancelledException> abort) {
    Objects.requireNonNull(abort, "abort");
    group.checkOnContext("bind");
    return register(abort, true);
  }

  @Override
  public boolean isFinished() {
    return closed();
  }

  /** Attaches work started in this scope: cancelled with the scope, and when the scope closes. */
  Registration attachChild(Handler<TaskCancelledException> cancel) {
    return register(cancel, true);
  }

  private Registration register(Handler<TaskCancelledException> hook, boolean child) {
    TaskCancelledException cause = cancelCause;
    if (cause != null) {
      group.runHook(hook, cause);
      return Hook.GONE;
    }
    if (closed()) {
      if (child) { // bound work cannot start in a finished scope
        group.runHook(hook, closedCause());
      }
      return Hook.GONE;
    }
    Hook h = new Hook(this, hook, child);
    Hook first = hooks();
    if (first == null) {
      h.prev = h;
      h.next = h;
      hooks(h);
    } else {
      Hook last = first.prev;
      h.prev = last;
      h.next = first;
      last.next = h;
      first.prev = h;
    }
    return h;
  }

  private void unlink(Hook h) {
    if (h.next == h) {
      hooks(null);
    } else {
      h.prev.next = h.next;
      h.next.prev = h.prev;
      if (hooks() == h) {
        hooks(h.next);
      }
    }
    h.scope = null;
    h.prev = null;
    h.next = null;
  }

  /** {@return the oldest pending hook, or null} For {@link TaskTree}, which follows {@code next} round the circle. */
  final Hook firstHook() {
    return hooks();
  }

  /** {@return how many hooks are registered (for tests and toString)} */
  int hookCount() {
    Hook first = hooks();
    if (first == null) {
      return 0;
    }
    int n = 1;
    for (Hook h = first.next; h != first; h = h.next) {
      n++;
    }
    return n;
  }

  @Override
  public Future<Void> sleep(Duration delay) {
    Durations.requireNotNegative(delay, "delay");
    group.checkOnContext("sleep");
    TaskCancelledException cause = cancelCause;
    if (cause != null) {
      return Future.failedFuture(cause);
    }
    if (closed()) {
      return Future.failedFuture(closedCause());
    }
    if (delay.isZero()) {
      return Future.succeededFuture();
    }
    Sleep sleep = new Sleep(VertxContexts.promise(group.context));
    sleep.hook = attachChild(sleep);
    group.deadlines.add(sleep, Durations.toNanos(delay));
    return sleep.promise.future();
  }

  /** A loop up the tree to the nearest attempt (nesting may be 100,000 levels deep); never on a hot path. */
  @Override
  public int attempt() {
    for (ScopeImpl s = this; s != null; s = s.enclosing()) {
      if (s instanceof ChildScope && ((ChildScope<?>) s).attempt > 0) {
        return ((ChildScope<?>) s).attempt;
      }
      if (s instanceof AttemptTask) { // attempt 1 of a retry or hedge run in the task's own scope
        return 1;
      }
    }
    return 1;
  }

  @Override
  public Optional<Duration> remaining() {
    long deadline = deadlineNanos();
    if (deadline == NO_DEADLINE) {
      return Optional.empty();
    }
    return Optional.of(Duration.ofNanos(Math.max(0, deadline - group.timers.nanoTime())));
  }

  /** A registered hook; removable until it runs. Group's context only. */
  static final class Hook implements Registration {
    static final Registration GONE = () -> false;

    ScopeImpl scope; // null once run, removed or dropped
    final Handler<TaskCancelledException> handler;
    final boolean child; // work attached to the scope: cancelled when the scope closes, too
    Hook prev;
    Hook next;

    Hook(ScopeImpl scope, Handler<TaskCancelledException> handler, boolean child) {
      this.scope = scope;
      this.handler = handler;
      this.child = child;
    }

    /**
     * On the group's context, unlinks the hook at once. From any other thread (or another context)
     * the hook list is never touched there: the removal is handed to the group's context, and the
     * result only says whether the hook was still registered when asked (it may still run if the
     * scope is being cancelled at that moment).
     */
    @Override
    public boolean remove() {
      ScopeImpl s = scope;
      if (s == null) {
        return false;
      }
      if (!s.group.onContext()) {
        VertxContexts.dispatch(s.group.context, this::remove);
        return true;
      }
      s.unlink(this);
      return true;
    }
  }

  /** A sleep: succeeds at its deadline, fails at once when its scope is cancelled. */
  static final class Sleep extends Deadlines.Node implements Handler<TaskCancelledException> {
    final Promise<Void> promise;
    Registration hook;

    Sleep(Promise<Void> promise) {
      this.promise = promise;
    }

    @Override
    void expire() {
      hook.remove();
      promise.complete();
    }

    @Override
    void close(TaskCancelledException cause) {
      hook.remove();
      promise.fail(cause);
    }

    @Override
    public void handle(TaskCancelledException cause) { // the scope was cancelled
      Deadlines.remove(this);
      promise.fail(cause);
    }
  }
}
