package dev.taskgroup;

import dev.taskgroup.TreeModel.Body;
import dev.taskgroup.TreeModel.Group;
import dev.taskgroup.TreeModel.Node;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CancellationException;
import java.util.function.Predicate;

/**
 * Runs one random tree on one Vert.x context with a manual clock, recording what the task code
 * itself did (its own record, independent of the library's bookkeeping), then checks the
 * library's outcome against that record. Deterministic: the whole run is one event-loop turn whose
 * only source of events is the manual clock.
 *
 * <p>Every field is used on the one context of the run.
 */
final class TreeRun {
  static final String FALLBACK = "fallback";
  private static final Duration HORIZON = Duration.ofSeconds(100);

  final Vertx vertx;
  final ManualTimers clock = new ManualTimers();
  final List<String> violations = new ArrayList<>();
  private final Set<Long> ownTimers = new LinkedHashSet<>(); // the test's timers: stubborn tasks, cancel calls
  private long seq; // one counter for every recorded event: the order things happened in
  final List<GroupRec> groups = new ArrayList<>();
  GroupRec root;
  Pattern pattern; // null unless a pattern runs

  TreeRun(Vertx vertx) {
    this.vertx = vertx;
  }

  // ---- records ------------------------------------------------------------------------------

  final class GroupRec {
    final Group spec;
    final GroupRec parent;
    final TaskRec parentTask;
    final List<TaskRec> tasks = new ArrayList<>();
    TaskGroup g;
    long start;
    TaskCancelledException firstCause;
    long firstCauseTime;
    long firstCauseSeq;
    boolean parentCancelledAtFirstCause;
    boolean watchingCancel;
    boolean driverCancelling;
    boolean causedByDriver;
    int hookRuns;
    int running;
    int peak;
    boolean bodyDone;
    Object bodyValue;
    Throwable bodyError;
    boolean bodyCancelledOwn;
    long bodySeq;
    TaskRec awaited;
    GroupRec bodyNested;
    final List<Expect> hookErrors = new ArrayList<>();
    final IOException bodyFailure;
    int completions;
    boolean completed;
    long completedTime;
    Object result;
    Throwable failure;

    ScopeImpl parentScope; // the scope a nested group was opened in: a task's, or its group's

    GroupRec(Group spec, GroupRec parent, TaskRec parentTask) {
      this.spec = spec;
      this.parent = parent;
      this.parentTask = parentTask;
      this.bodyFailure = new IOException("body of " + spec.name() + " failed");
      groups.add(this);
    }

    boolean completedOrAncestor() {
      for (GroupRec r = this; r != null; r = r.parent) {
        if (r.completed) {
          return true;
        }
      }
      return false;
    }
  }

  final class TaskRec {
    final Node spec;
    final GroupRec group;
    final IOException failure;
    final IOException lateFailure;
    Task<Object> handle;
    boolean rejected;
    String rejection;
    boolean started;
    long start;
    ScopeImpl scope;
    ScopeImpl outerScope; // the task's own scope when the timeout opened an inner one
    TaskCancelledException firstCause;
    long firstCauseTime;
    long firstCauseSeq;
    boolean causedByDriver;
    boolean driverCancelling;
    int hookRuns;
    boolean workDone;
    long doneSeq;
    long doneTime;
    Object value;
    Throwable workError;
    RuntimeException thrown;
    CancellationException ownCancellation; // what a CANCEL_ITSELF task ends with
    boolean returnedNull;
    GroupRec nested;
    int driverCancelsTrue;

    TaskRec(Node spec, GroupRec group) {
      this.spec = spec;
      this.group = group;
      this.failure = new IOException("task " + spec.name() + " failed");
      this.lateFailure = new IOException("task " + spec.name() + " failed during cleanup");
    }

    Object successValue() {
      return "v:" + spec.name();
    }
  }

  // ---- running ------------------------------------------------------------------------------

  /** Runs {@code tree} to completion; must be called on a Vert.x context (the run's context). */
  void run(Group tree) {
    root = new GroupRec(tree, null, null);
    TaskGroupOptions options = options(tree).setTimers(clock);
    Future<Object> f = TaskGroup.run(vertx, options, body(root));
    watch(root, f);
    clock.advance(HORIZON);
    if (!root.completed) { // whatever still hangs is stopped by a last explicit cancel
      cancelGroup(root);
      clock.advance(HORIZON);
    }
    if (!root.completed) {
      violations.add("root group never completed: " + root.g);
    }
    for (long id : ownTimers) {
      clock.cancel(null, id); // the test's own cancel calls that never came due
    }
    ownTimers.clear();
  }

  private static TaskGroupOptions options(Group spec) {
    TaskGroupOptions o = new TaskGroupOptions().setName(spec.name()).setMaxConcurrency(spec.maxConcurrency());
    if (spec.deadline() != null) {
      o.setTimeout(Duration.ofMillis(spec.deadline()));
    }
    return o;
  }

  private void watch(GroupRec r, Future<Object> f) {
    f.onComplete(ar -> {
      r.completions++;
      r.completed = true;
      r.completedTime = clock.nanoTime();
      if (ar.succeeded()) {
        r.result = ar.result();
      } else {
        r.failure = ar.cause();
      }
      for (TaskRec t : r.tasks) { // completes only after every task in it settled
        if (t.started && !t.workDone) {
          violations.add(r.spec.name() + " completed before the work of " + t.spec.name() + " settled");
        }
        if (t.handle != null && !t.handle.state().isDone()) {
          violations.add(r.spec.name() + " completed while " + t.spec.name() + " is " + t.handle.state());
        }
        if (t.nested != null && !t.nested.completed) {
          violations.add(r.spec.name() + " completed before its nested group " + t.nested.spec.name());
        }
      }
      if (!r.bodyDone && r.g != null) { // (a nested group in a cancelled scope never runs its body)
        violations.add(r.spec.name() + " completed before its body");
      }
      if (r.bodyNested != null && !r.bodyNested.completed) {
        violations.add(r.spec.name() + " completed before the group its body opened");
      }
    });
  }

  /** Task code, hooks included, must never run once its group (or an enclosing one) completed. */
  private void enter(GroupRec r, String what) {
    if (r.completedOrAncestor()) {
      violations.add(what + " ran after group " + r.spec.name() + " completed");
    }
  }

  private long ownTimer(long delayMillis, Runnable action) {
    long[] id = new long[1];
    id[0] = clock.schedule(null, delayMillis, x -> {
      ownTimers.remove(id[0]);
      action.run();
    });
    ownTimers.add(id[0]);
    return id[0];
  }

  private void cancelOwnTimer(long id) {
    if (ownTimers.remove(id)) {
      clock.cancel(null, id);
    }
  }

  private java.util.function.Function<TaskGroup, Future<Object>> body(GroupRec r) {
    return g -> {
      enter(r, "body of " + r.spec.name());
      r.g = g;
      r.start = clock.nanoTime();
      watchCancel(r, g);
      if (r.spec.cancelAt() != null) {
        ownTimer(r.spec.cancelAt(), () -> cancelGroup(r));
      }
      for (Node child : r.spec.children()) {
        spawn(r, child);
      }
      Future<Object> body;
      switch (r.spec.body()) {
        case SUCCEED_NOW:
          body = Future.succeededFuture("body:" + r.spec.name());
          break;
        case SUCCEED_AFTER:
          body = g.sleep(Duration.ofMillis(r.spec.bodyDelay())).map(v -> "body:" + r.spec.name());
          break;
        case FAIL_AFTER:
          body = g.sleep(Duration.ofMillis(r.spec.bodyDelay())).compose(v -> Future.failedFuture(r.bodyFailure));
          break;
        case HANG: {
          Promise<Object> p = Promise.promise();
          g.onCancel(p::tryFail);
          body = p.future();
          break;
        }
        case NESTED: {
          GroupRec nested = new GroupRec(r.spec.nested(), r, null);
          nested.parentScope = g.impl;
          r.bodyNested = nested;
          Future<Object> f = TaskGroup.run(g, options(r.spec.nested()), body(nested));
          watch(nested, f);
          body = f;
          break;
        }
        case AWAIT_FIRST_TASK:
        default: {
          TaskRec first = r.tasks.stream().filter(t -> t.handle != null).findFirst().orElse(null);
          r.awaited = first;
          body = first == null ? Future.succeededFuture("body:" + r.spec.name()) : first.handle.future();
          break;
        }
      }
      return body.andThen(ar -> {
        r.bodyDone = true;
        r.bodySeq = seq++;
        if (ar.succeeded()) {
          r.bodyValue = ar.result();
        } else {
          r.bodyError = ar.cause();
          r.bodyCancelledOwn = ar.cause() instanceof CancellationException && !g.isCancelled();
        }
      });
    };
  }

  private void watchCancel(GroupRec r, TaskScope groupScope) {
    r.watchingCancel = true;
    groupScope.onCancel(c -> {
      r.hookRuns++;
      if (r.firstCause == null) {
        r.firstCause = c;
        r.firstCauseTime = clock.nanoTime();
        r.firstCauseSeq = seq++;
        r.causedByDriver = r.driverCancelling;
        r.parentCancelledAtFirstCause = r.parentScope != null && r.parentScope.isCancelled();
      }
    });
  }

  private void cancelGroup(GroupRec r) {
    if (r.g == null) {
      return;
    }
    int hooksBefore = r.hookRuns;
    boolean wasCompleted = r.completed;
    boolean wasCancelled = r.g.isCancelled();
    r.driverCancelling = true;
    try {
      r.g.cancel();
    } finally {
      r.driverCancelling = false;
    }
    if (wasCompleted && r.hookRuns != hooksBefore) {
      violations.add("cancel() of completed group " + r.spec.name() + " ran a hook");
    }
    if (!r.completed && !r.g.isCancelled()) {
      violations.add("cancel() of running group " + r.spec.name() + " left it not cancelled");
    }
    if (!wasCompleted && !wasCancelled && !r.causedByDriver && r.hookRuns > hooksBefore) {
      violations.add("cancel() of " + r.spec.name() + " ran its hook with another cause");
    }
  }

  private void spawn(GroupRec r, Node node) {
    TaskRec t = new TaskRec(node, r);
    r.tasks.add(t);
    TaskFn<Object> fn = timed(t, fn(t));
    try {
      t.handle = r.g.spawn(node.name(), fn);
    } catch (IllegalStateException e) {
      t.rejected = true;
      t.rejection = e.getMessage();
      if (!r.g.isCancelled() || !e.getMessage().contains("shutting down")) {
        violations.add("spawn of " + node.name() + " rejected by a group that is not shutting down: " + e);
      }
      if (t.started) {
        violations.add("rejected task " + node.name() + " ran");
      }
      return;
    }
    if (node.cancelAt() != null) {
      ownTimer(node.cancelAt(), () -> cancelTask(t));
    }
  }

  /**
   * {@return {@code fn} under the node's timeout, if any} Spawned as is, the task carries the
   * deadline itself; "inner scope" applies it from user code, which opens a TimeoutScope.
   */
  private TaskFn<Object> timed(TaskRec t, TaskFn<Object> fn) {
    Node node = t.spec;
    if (node.timeout() == null) {
      return fn;
    }
    TaskFn<Object> bounded = node.fallback() ? fn.withTimeout(Duration.ofMillis(node.timeout()), FALLBACK)
        : fn.withTimeout(Duration.ofMillis(node.timeout()));
    if (!node.timeoutViaScope()) {
      return bounded;
    }
    return scope -> {
      t.outerScope = (ScopeImpl) scope;
      return bounded.run(scope);
    };
  }

  private void cancelTask(TaskRec t) {
    TaskState before = t.handle.state();
    ScopeImpl own = t.outerScope != null ? t.outerScope : t.scope; // the task's, not a timeout's inner scope
    boolean scopeCancelledBefore = own != null && own.isCancelled();
    t.driverCancelling = true;
    boolean cancelled;
    try {
      cancelled = t.handle.cancel();
    } finally {
      t.driverCancelling = false;
    }
    boolean expected = before == TaskState.PENDING || (before == TaskState.RUNNING && !scopeCancelledBefore);
    if (cancelled != expected) {
      violations.add("cancel() of " + t.spec.name() + " in state " + before + " returned " + cancelled);
    }
    if (cancelled) {
      t.driverCancelsTrue++;
    }
  }

  private TaskFn<Object> fn(TaskRec t) {
    GroupRec r = t.group;
    return scope -> {
      enter(r, "task " + t.spec.name());
      if (t.started) {
        violations.add("task function of " + t.spec.name() + " ran twice");
      }
      t.started = true;
      t.start = clock.nanoTime();
      t.scope = (ScopeImpl) scope;
      if (!r.watchingCancel) { // a pattern's group has no body of ours: watch it from its first task
        watchCancel(r, t.scope.group);
      }
      r.running++;
      r.peak = Math.max(r.peak, r.running);
      scope.onCancel(c -> {
        enter(r, "cancel hook of " + t.spec.name());
        t.hookRuns++;
        if (t.firstCause == null) {
          t.firstCause = c;
          t.firstCauseTime = clock.nanoTime();
          t.firstCauseSeq = seq++;
          t.causedByDriver = t.driverCancelling;
        }
      });
      if (t.spec.hookThrows()) {
        scope.onCancel(c -> {
          RuntimeException e = new IllegalStateException("cancel hook of " + t.spec.name() + " threw");
          r.hookErrors.add(new Expect("hook of " + t.spec.name(), seq++, x -> x == e));
          throw e;
        });
      }
      Future<Object> work;
      try {
        work = work(t, scope);
      } catch (RuntimeException e) {
        done(t, null, e);
        throw e;
      }
      if (work == null) {
        t.returnedNull = true;
        done(t, null, null);
        return null;
      }
      return work.andThen(ar -> done(t, ar.result(), ar.cause()));
    };
  }

  private void done(TaskRec t, Object value, Throwable error) {
    if (t.workDone) {
      violations.add("work of " + t.spec.name() + " completed twice");
    }
    t.workDone = true;
    t.doneSeq = seq++;
    t.doneTime = clock.nanoTime();
    t.value = value;
    t.workError = error;
    t.group.running--;
  }

  private Future<Object> work(TaskRec t, TaskScope scope) {
    Node n = t.spec;
    GroupRec r = t.group;
    switch (n.kind()) {
      case SUCCEED:
        return n.delay() == 0 ? Future.succeededFuture(t.successValue())
            : scope.sleep(Duration.ofMillis(n.delay())).map(v -> {
              enter(r, "continuation of " + n.name());
              return t.successValue();
            });
      case FAIL:
        return n.delay() == 0 ? Future.failedFuture(t.failure)
            : scope.sleep(Duration.ofMillis(n.delay())).compose(v -> {
              enter(r, "continuation of " + n.name());
              return Future.failedFuture(t.failure);
            });
      case CANCEL_ITSELF: {
        CancellationException own = new CancellationException("task " + n.name() + " gave up");
        t.ownCancellation = own;
        return n.delay() == 0 ? Future.failedFuture(own)
            : scope.sleep(Duration.ofMillis(n.delay())).compose(v -> {
              enter(r, "continuation of " + n.name());
              return Future.failedFuture(own);
            });
      }
      case THROW:
        t.thrown = new IllegalStateException("task " + n.name() + " threw");
        throw t.thrown;
      case RETURN_NULL:
        return null;
      case HANG: {
        Promise<Object> p = Promise.promise();
        scope.onCancel(p::tryFail);
        return p.future();
      }
      case STUBBORN: {
        Promise<Object> p = Promise.promise();
        long normal = ownTimer(n.delay(), () -> {
          enter(r, "stubborn " + n.name());
          p.tryComplete(t.successValue());
        });
        scope.onCancel(c -> {
          cancelOwnTimer(normal);
          ownTimer(n.grace(), () -> {
            enter(r, "stubborn cleanup of " + n.name());
            switch (n.late()) {
              case SUCCEED -> p.tryComplete("late:" + n.name());
              case FAIL -> p.tryFail(t.lateFailure);
              default -> p.tryFail(c);
            }
          });
        });
        return p.future();
      }
      case SPAWN: {
        if (n.delay() == 0) {
          spawnAll(t);
          return Future.succeededFuture(t.successValue());
        }
        return scope.sleep(Duration.ofMillis(n.delay())).map(v -> {
          enter(r, "spawner " + n.name());
          spawnAll(t);
          return t.successValue();
        });
      }
      case NESTED:
      default: {
        GroupRec nested = new GroupRec(n.nested(), r, t);
        nested.parentScope = (ScopeImpl) scope;
        t.nested = nested;
        Future<Object> f = TaskGroup.run(scope, options(n.nested()), body(nested));
        watch(nested, f);
        return f;
      }
    }
  }

  private void spawnAll(TaskRec t) {
    for (Node c : t.spec.children()) {
      spawn(t.group, c);
      if (t.group.tasks.get(t.group.tasks.size() - 1).rejected) {
        return; // the group is shutting down: the rest would be rejected too
      }
    }
  }

  // ---- patterns -----------------------------------------------------------------------------

  enum Pattern { ALL, GATHER, SETTLE, RACE }

  /** Runs {@code leaves} through a pattern; on the run's context. Task i is named {@code task-i}. */
  void runPattern(Pattern pattern, List<Node> leaves, int maxConcurrency, Integer deadline) {
    this.pattern = pattern;
    Group spec = new Group("p", maxConcurrency, deadline, null, Body.SUCCEED_NOW, 0, leaves, null);
    GroupRec r = new GroupRec(spec, null, null);
    root = r;
    r.start = clock.nanoTime();
    r.bodyDone = true;
    List<TaskFn<Object>> fns = new ArrayList<>();
    for (Node leaf : leaves) {
      TaskRec t = new TaskRec(leaf, r);
      r.tasks.add(t);
      fns.add(timed(t, fn(t)));
    }
    TaskGroupOptions o = options(spec).setTimers(clock);
    @SuppressWarnings("unchecked")
    Future<Object> f = (Future<Object>) (Future<?>) switch (pattern) {
      case ALL -> TaskGroup.all(vertx, o, fns);
      case GATHER -> TaskGroup.gather(vertx, o, fns);
      case SETTLE -> TaskGroup.settle(vertx, o, fns);
      case RACE -> TaskGroup.race(vertx, o, fns);
    };
    watch(r, f);
    clock.advance(HORIZON);
    if (!r.completed) {
      violations.add("pattern never completed");
    }
    for (long id : ownTimers) {
      clock.cancel(null, id);
    }
    ownTimers.clear();
  }


  /** Checks a pattern's result against the tasks' records; on the run's context. */
  void checkPattern(Pattern pattern) {
    GroupRec r = root;
    if (clock.pending() != 0) {
      violations.add(clock.pending() + " timers still scheduled after the run");
    }
    if (r.completions != 1) {
      violations.add("pattern completed " + r.completions + " times");
    }
    if (r.peak > r.spec.maxConcurrency()) {
      violations.add("pattern ran " + r.peak + " tasks at once, limit " + r.spec.maxConcurrency());
    }
    long deadlineSeq = Long.MAX_VALUE; // when the tasks first saw the group's deadline
    List<Expected> outcomes = new ArrayList<>();
    for (TaskRec t : r.tasks) {
      if (t.hookRuns > 1) {
        violations.add("cancel hook of " + t.spec.name() + " ran " + t.hookRuns + " times");
      }
      if (!t.started) {
        outcomes.add(new Expected(TaskState.CANCELLED, null, null));
        continue;
      }
      if (t.scope.hookCount() != 0) {
        violations.add(t.spec.name() + " still holds " + t.scope.hookCount() + " hooks");
      }
      if (!t.workDone) {
        violations.add("work of " + t.spec.name() + " never settled");
        return;
      }
      outcomes.add(expected(t, t.firstCause != null && t.firstCause == r.firstCause));
    }
    if (r.firstCause != null && r.firstCause.reason() == CancelReason.DEADLINE) {
      deadlineSeq = causeSeq(r);
    }
    checkFirstCause(r);
    if (r.hookRuns > 1) {
      violations.add("cancel hook of the pattern's group ran " + r.hookRuns + " times");
    }
    String deadlineName = "deadline of p";
    Expect deadline = new Expect(deadlineName, deadlineSeq, e -> e instanceof TaskTimeoutException tt
        && tt.name().equals("p") && tt.getMessage().startsWith("task group '"));
    Throwable failure = r.failure;
    Object result = r.result;
    switch (pattern) {
      case ALL -> {
        List<Expect> errors = new ArrayList<>();
        for (Expected e : outcomes) {
          if (e.kind() == TaskState.FAILED) {
            errors.add(e.error());
          }
        }
        if (deadlineSeq != Long.MAX_VALUE) {
          errors.add(deadline);
        }
        errors.addAll(r.hookErrors);
        errors.sort((a, b) -> Long.compare(a.seq(), b.seq()));
        if (errors.isEmpty()) {
          List<Object> values = new ArrayList<>();
          for (Expected e : outcomes) {
            values.add(e.value());
          }
          if (!values.equals(result)) {
            violations.add("all() returned " + result + " (" + failure + ") instead of " + values);
          }
        } else {
          checkErrors(r, errors);
        }
      }
      case GATHER, SETTLE -> {
        if (deadlineSeq != Long.MAX_VALUE) {
          if (!deadline.matches().test(onlyError(failure))) {
            violations.add(pattern + " passed its deadline but ended with " + (failure != null ? failure : result));
          }
          return;
        }
        if (failure != null) {
          violations.add(pattern + " failed with " + failure);
          return;
        }
        List<Outcome<Object>> got;
        if (pattern == Pattern.GATHER) {
          @SuppressWarnings("unchecked")
          List<Outcome<Object>> list = (List<Outcome<Object>>) result;
          got = list;
        } else { // rebuild the outcomes from the settled view, then compare the same way
          @SuppressWarnings("unchecked")
          Settled<Object> settled = (Settled<Object>) result;
          got = new ArrayList<>();
          int s = 0;
          int fi = 0;
          for (int i = 0; i < outcomes.size(); i++) {
            if (fi < settled.failures().size() && settled.failures().get(fi).index() == i) {
              got.add(Outcome.failure(settled.failures().get(fi++).cause()));
            } else if (s < settled.successes().size()) {
              got.add(Outcome.success(settled.successes().get(s++)));
            }
          }
          if (s != settled.successes().size() || fi != settled.failures().size()) {
            violations.add("settle() returned extra entries: " + settled);
          }
        }
        if (got.size() != outcomes.size()) {
          violations.add(pattern + " returned " + got.size() + " outcomes for " + outcomes.size() + " tasks");
          return;
        }
        for (int i = 0; i < got.size(); i++) {
          Expected e = outcomes.get(i);
          Outcome<Object> o = got.get(i);
          boolean ok = switch (e.kind()) {
            case SUCCEEDED -> o.succeeded() && java.util.Objects.equals(o.result(), e.value());
            case FAILED -> o.failed() && e.error().matches().test(o.cause());
            default -> o.cancelled();
          };
          if (!ok) {
            violations.add(pattern + " outcome " + i + " is " + o + ", expected " + e);
          }
        }
      }
      case RACE -> {
        TaskRec winner = null;
        long winnerSeq = Long.MAX_VALUE;
        List<Expect> errors = new ArrayList<>();
        for (int i = 0; i < outcomes.size(); i++) {
          Expected e = outcomes.get(i);
          TaskRec t = r.tasks.get(i);
          if (e.kind() == TaskState.SUCCEEDED && t.doneSeq < winnerSeq) {
            winner = t;
            winnerSeq = t.doneSeq;
          } else if (e.kind() == TaskState.FAILED) {
            errors.add(e.error());
          }
        }
        errors.sort((a, b) -> Long.compare(a.seq(), b.seq()));
        if (deadlineSeq < winnerSeq) {
          if (!deadline.matches().test(onlyError(failure))) {
            violations.add("race passed its deadline but ended with " + (failure != null ? failure : result));
          }
        } else if (winner != null) {
          Object value = outcomes.get(r.tasks.indexOf(winner)).value();
          if (failure != null || !java.util.Objects.equals(result, value)) {
            violations.add("race should be won by " + winner.spec.name() + " with " + value + " but ended with "
                + (failure != null ? failure : result));
          }
          for (TaskRec t : r.tasks) { // every other task still running lost the race
            if (t != winner && t.started && t.firstCause != null && t.firstCauseSeq > winnerSeq
                && t.firstCause.reason() != CancelReason.RACE_LOST) {
              violations.add(t.spec.name() + " was cancelled after the race was won, for " + t.firstCause.reason());
            }
          }
        } else if (!errors.isEmpty()) {
          checkErrors(r, errors);
        } else if (outcomes.isEmpty()) {
          if (!(failure instanceof IllegalArgumentException)) {
            violations.add("race of no tasks ended with " + (failure != null ? failure : result));
          }
        } else {
          // a task the group cancels means the group itself ended the race (its deadline, above):
          // a race with no winner always has errors, a task's own cancellation among them
          violations.add("race with no winner, no error and no deadline ended with " + (failure != null ? failure : result));
        }
      }
      default -> throw new IllegalArgumentException(pattern.name());
    }
  }

  private void checkErrors(GroupRec r, List<Expect> errors) {
    checkOutcome(r, errors);
  }

  // ---- checking -----------------------------------------------------------------------------

  /** An expected error: what matches it, and when the task code saw it happen. */
  record Expect(String what, long seq, Predicate<Throwable> matches) {
    @Override
    public String toString() {
      return what + "#" + seq;
    }
  }

  /** Checks every group's invariants after {@link #run}; on the run's context. */
  void check() {
    if (clock.pending() != 0) {
      violations.add(clock.pending() + " timers still scheduled after the run");
    }
    for (GroupRec r : groups) {
      checkGroup(r);
    }
  }

  private void checkGroup(GroupRec r) {
    String name = r.spec.name();
    if (r.g == null) { // a nested group whose body never ran: its parent was already cancelled
      if (r.completions != 1 || !(r.failure instanceof CancellationException)) {
        violations.add(name + " never ran its body but ended with " + r.failure);
      }
      return;
    }
    GroupImpl<?> impl = r.g.impl;
    if (r.completions != 1) {
      violations.add(name + " completed " + r.completions + " times");
    }
    if (impl.running() != 0 || impl.queued() != 0) {
      violations.add(name + " still counts running=" + impl.running() + " queued=" + impl.queued());
    }
    if (impl.deadlines.size() != 0 || impl.deadlines.armedTimers() != 0) {
      violations.add(name + " still holds " + impl.deadlines.size() + " deadlines and " + impl.deadlines.armedTimers() + " timers");
    }
    if (impl.hookCount() != 0) {
      violations.add(name + " still holds " + impl.hookCount() + " hooks");
    }
    if (r.hookRuns > 1) {
      violations.add("cancel hook of " + name + " ran " + r.hookRuns + " times");
    }
    if (r.peak > r.spec.maxConcurrency()) {
      violations.add(name + " ran " + r.peak + " tasks at once, limit " + r.spec.maxConcurrency());
    }
    checkFirstCause(r);

    List<Expect> expected = new ArrayList<>();
    for (TaskRec t : r.tasks) {
      checkTask(t, expected);
    }
    expected.addAll(r.hookErrors);
    if (r.firstCause != null && r.firstCause.reason() == CancelReason.DEADLINE) {
      expected.add(new Expect("deadline of " + name, causeSeq(r), e -> e instanceof TaskTimeoutException tt
          && tt.name().equals(name) && tt.timeout().equals(Duration.ofMillis(r.spec.deadline()))
          && tt.getMessage().startsWith("task group '")));
    }
    if (r.bodyError != null && !(r.bodyError instanceof CancellationException)) {
      TaskRec a = r.awaited;
      boolean passedOn = r.spec.body() == Body.AWAIT_FIRST_TASK && a != null && a.handle.state() == TaskState.FAILED;
      if (!passedOn) { // a body passing on its task's error reports it once, as the task's
        Throwable be = r.bodyError;
        expected.add(new Expect("body error of " + name, r.bodySeq, e -> e == be));
      }
    }
    expected.sort((a, b) -> Long.compare(a.seq(), b.seq()));
    checkOutcome(r, expected);
  }

  /**
   * {@return when the group's first cancellation was first seen} The group records a deadline
   * error before passing the cancellation down, and its own hook runs after the tasks' hooks
   * (where a hook may throw): the tasks that received the same cause saw it first.
   */
  private static long causeSeq(GroupRec r) {
    long seen = r.firstCauseSeq;
    for (TaskRec t : r.tasks) {
      if (t.firstCause != null && t.firstCause == r.firstCause) {
        seen = Math.min(seen, t.firstCauseSeq);
      }
    }
    return seen;
  }

  private void checkFirstCause(GroupRec r) {
    String name = r.spec.name();
    TaskCancelledException c = r.firstCause;
    if (r.spec.deadline() != null) {
      long due = r.start + Duration.ofMillis(r.spec.deadline()).toNanos();
      if (r.completedTime > due && (c == null || r.firstCauseTime > due)) {
        violations.add(name + " outlived its deadline without being cancelled");
      }
    }
    if (c == null) {
      return;
    }
    switch (c.reason()) {
      case DEADLINE -> {
        long due = r.start + Duration.ofMillis(r.spec.deadline() == null ? 0 : r.spec.deadline()).toNanos();
        if (r.spec.deadline() == null || r.firstCauseTime != due) {
          violations.add(name + " cancelled for its deadline at the wrong time: " + c.getMessage());
        }
      }
      case EXPLICIT -> {
        if (!r.causedByDriver && !r.bodyCancelledOwn) {
          violations.add(name + " cancelled EXPLICIT by nobody: " + c.getMessage());
        }
      }
      case PARENT_CANCELLED -> {
        if (!r.parentCancelledAtFirstCause) {
          violations.add(name + " cancelled PARENT_CANCELLED while its parent was not: " + c.getMessage());
        }
      }
      case SIBLING_FAILED -> { } // checked below: there must be a real error
      case RACE_LOST -> {
        if (pattern != Pattern.RACE) {
          violations.add(name + " cancelled RACE_LOST outside a race: " + c.getMessage());
        }
      }
      default -> violations.add(name + " cancelled for an unexpected reason: " + c.reason() + " " + c.getMessage());
    }
  }

  private void checkTask(TaskRec t, List<Expect> expected) {
    String name = t.spec.name();
    if (t.hookRuns > 1) {
      violations.add("cancel hook of " + name + " ran " + t.hookRuns + " times");
    }
    if (t.rejected) {
      return;
    }
    TaskState state = t.handle.state();
    if (!t.started) { // cancelled while queued, by the test or by the group
      if (state != TaskState.CANCELLED) {
        violations.add(name + " never ran but ended " + state);
      }
      if (t.driverCancelsTrue == 0 && !t.group.g.isCancelled()) {
        violations.add(name + " never ran though nobody cancelled it");
      }
      return;
    }
    if (t.scope.hookCount() != 0) {
      violations.add(name + " still holds " + t.scope.hookCount() + " hooks");
    }
    if (t.outerScope != null && t.outerScope.hookCount() != 0) {
      violations.add(name + "'s task scope still holds " + t.outerScope.hookCount() + " hooks");
    }
    if (!t.workDone) {
      violations.add("work of " + name + " never settled");
      return;
    }
    Expected e = expected(t, t.firstCause == t.group.firstCause);
    Throwable failure = t.handle.future().cause();
    Object result = t.handle.future().result();
    switch (e.kind()) {
      case SUCCEEDED -> {
        if (state != TaskState.SUCCEEDED || !java.util.Objects.equals(result, e.value())) {
          violations.add(name + " should have succeeded with " + e.value() + " but is " + state + " with " + failure);
        }
      }
      case FAILED -> {
        if (state != TaskState.FAILED || !e.error().matches().test(failure)) {
          violations.add(name + " should have failed with " + e.error() + " but is " + state + " with " + failure);
        }
        expected.add(e.error());
      }
      default -> {
        if (state != TaskState.CANCELLED || !(failure instanceof CancellationException)) {
          violations.add(name + " ended with a cancellation but is " + state + " with " + failure);
        }
      }
    }
  }

  /** How a started task should have ended, from what its code recorded. */
  record Expected(TaskState kind, Object value, Expect error) {}

  /**
   * {@return how {@code t} should have ended} {@code fromGroup}: its first cancellation came from
   * its group (or the pattern), so that a cancellation is not the task's own timeout.
   */
  Expected expected(TaskRec t, boolean fromGroup) {
    String name = t.spec.name();
    // Where did the first cancellation come from? The test's own cancel(), the group (which passes
    // its own cause down), or else the task's timeout, which must have fired exactly on time.
    boolean ownDeadline = false;
    if (t.firstCause != null && !t.causedByDriver && !fromGroup) {
      long due = t.start + (t.spec.timeout() == null ? -1 : Duration.ofMillis(t.spec.timeout()).toNanos());
      if (t.spec.timeout() == null || t.firstCause.reason() != CancelReason.DEADLINE || t.firstCauseTime != due) {
        violations.add(name + " was cancelled by nobody we know: " + t.firstCause.reason() + " " + t.firstCause.getMessage());
      }
      ownDeadline = true;
    }
    if (t.spec.timeout() != null && t.firstCause == null
        && t.doneTime > t.start + Duration.ofMillis(t.spec.timeout()).toNanos()) {
      violations.add(name + " outlived its timeout without being cancelled");
    }
    if (t.thrown != null) {
      RuntimeException thrown = t.thrown;
      return new Expected(TaskState.FAILED, null, new Expect("thrown by " + name, t.doneSeq, e -> e == thrown));
    } else if (t.returnedNull) {
      return new Expected(TaskState.FAILED, null, new Expect("null from " + name, t.doneSeq, e -> e instanceof NullPointerException
          && e.getMessage().contains("'" + name + "' returned null")));
    } else if (t.workError != null && !(t.workError instanceof CancellationException)) {
      Throwable we = t.workError;
      return new Expected(TaskState.FAILED, null, new Expect("error of " + name, t.doneSeq, e -> e == we));
    } else if (t.workError != null && ownDeadline) {
      if (t.spec.fallback()) {
        return new Expected(TaskState.SUCCEEDED, FALLBACK, null);
      }
      Duration timeout = Duration.ofMillis(t.spec.timeout());
      return new Expected(TaskState.FAILED, null, new Expect("timeout of " + name, t.doneSeq, e -> e instanceof TaskTimeoutException tt
          && tt.name().equals(name) && tt.timeout().equals(timeout) && tt.getMessage().startsWith("task '")));
    } else if (t.workError != null && t.workError == t.ownCancellation && pattern != null) {
      // in a pattern, a cancellation nothing of the library caused is the task's failure
      CancellationException own = t.ownCancellation;
      return new Expected(TaskState.FAILED, null, new Expect("own cancellation of " + name, t.doneSeq, e -> e == own));
    } else if (t.workError != null) {
      return new Expected(TaskState.CANCELLED, null, null);
    }
    return new Expected(TaskState.SUCCEEDED, t.value, null);
  }

  /** {@return the one error of a group's TaskGroupException (a passed deadline fails a group that way), or null} */
  private static Throwable onlyError(Throwable failure) {
    return failure instanceof TaskGroupException tge && tge.exceptions().size() == 1 ? tge.exceptions().get(0) : null;
  }

  private void checkOutcome(GroupRec r, List<Expect> expected) {
    String name = r.spec.name();
    if (r.firstCause != null && r.firstCause.reason() == CancelReason.SIBLING_FAILED && expected.isEmpty()) {
      violations.add(name + " failed fast without any real error: " + r.firstCause.getMessage());
    }
    Throwable failure = r.failure;
    if (!expected.isEmpty()) {
      List<Throwable> actual;
      actual = failure instanceof TaskGroupException tge ? tge.exceptions() : null; // a deadline too: one shape
      if (actual == null) {
        violations.add(name + " should have failed with " + expected + " but ended with " + (failure != null ? failure : "success " + r.result));
        return;
      }
      boolean same = actual.size() == expected.size();
      for (int i = 0; same && i < actual.size(); i++) {
        same = expected.get(i).matches().test(actual.get(i));
      }
      if (!same) {
        violations.add(name + " reported " + describe(actual) + " but the tasks raised " + expected);
      }
      return;
    }
    if (r.bodyCancelledOwn) {
      if (failure != r.bodyError) {
        violations.add(name + "'s body ended with its own cancellation, but the group ended with " + failure);
      }
      return;
    }
    if (r.firstCause != null && r.firstCause.reason() == CancelReason.PARENT_CANCELLED) {
      if (failure != r.firstCause) {
        violations.add(name + " was cancelled by its parent, but ended with " + failure);
      }
      return;
    }
    if (failure != null) {
      violations.add(name + " had no errors but failed with " + failure);
    } else if (!java.util.Objects.equals(r.result, r.bodyValue)) {
      violations.add(name + " should have the body's result " + r.bodyValue + " but has " + r.result);
    }
  }

  private static String describe(List<Throwable> errors) {
    List<String> out = new ArrayList<>();
    for (Throwable e : errors) {
      out.add(e.getClass().getSimpleName() + ": " + e.getMessage());
    }
    return out.toString();
  }
}
