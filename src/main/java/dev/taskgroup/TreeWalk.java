package dev.taskgroup;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Deque;
import java.util.List;

/**
 * Takes a {@link TaskTree}: finds the top-level groups in {@link Observation#LIVE}, reads each
 * one's subtree on its own context (a loop over an explicit stack: nesting may be 100,000 deep,
 * the limits of {@link TaskTree} stop it long before), and combines the answers; one timer marks
 * the groups whose context did not answer in time.
 */
final class TreeWalk {
  private TreeWalk() {}

  static Future<TaskTree> snapshot(Vertx vertx, GroupImpl<?> only, Duration timeout) {
    Instant takenAt = Instant.now();
    io.vertx.core.Context caller = Vertx.currentContext();
    List<GroupImpl<?>> groups = new ArrayList<>();
    if (only != null) {
      groups.add(only);
    } else {
      for (GroupImpl<?> g : Observation.LIVE) {
        if (g.vertx == vertx) {
          groups.add(g);
        }
      }
      groups.sort(Comparator.comparingLong((GroupImpl<?> g) -> g.openedNanos));
    }
    if (groups.isEmpty()) {
      return Future.succeededFuture(new TaskTree(takenAt, List.of()));
    }

    List<Promise<TaskTree.Node>> answers = new ArrayList<>(groups.size());
    List<Future<TaskTree.Node>> futures = new ArrayList<>(groups.size());
    for (int i = 0; i < groups.size(); i++) {
      Promise<TaskTree.Node> p = Promise.promise();
      answers.add(p);
      futures.add(p.future());
    }
    Runnable giveUp = () -> {
      for (int i = 0; i < groups.size(); i++) {
        answers.get(i).tryComplete(unresponsive(groups.get(i)));
      }
    };
    long timer;
    try {
      timer = vertx.setTimer(Math.max(1, timeout.toMillis()), id -> giveUp.run());
    } catch (RuntimeException closed) { // Vert.x is closing: no timer, so no context is waited for
      timer = -1;
      giveUp.run();
    }
    long armed = timer;
    for (int i = 0; i < groups.size(); i++) {
      GroupImpl<?> g = groups.get(i);
      Promise<TaskTree.Node> p = answers.get(i);
      VertxContexts.dispatch(g.context, () -> {
        TaskTree.Node n;
        try {
          n = walk(g, only != null);
        } catch (RuntimeException e) { // a bug of ours must not lose the snapshot: the group is listed as unreadable
          n = new TaskTree.Node(TaskTree.Kind.GROUP, g.name, "UNREADABLE: " + e, null, null, null, null, 0, 0, List.of(), 0);
        }
        p.tryComplete(n);
      });
    }
    // The answer is heard on the caller's context when it has one (a request handler writes its
    // response there), else on whichever thread answered last.
    Promise<TaskTree> result = caller != null ? VertxContexts.promise(caller) : Promise.promise();
    Future.join(futures).onComplete(ar -> {
      if (armed >= 0) {
        vertx.cancelTimer(armed);
      }
      List<TaskTree.Node> nodes = new ArrayList<>(groups.size());
      for (Future<TaskTree.Node> f : futures) {
        if (f.result() != null) { // null: the group completed before its context answered
          nodes.add(f.result());
        }
      }
      result.complete(new TaskTree(takenAt, nodes));
    });
    return result.future();
  }

  /** A group whose context did not answer: what is fixed since it opened (final fields), nothing else. */
  private static TaskTree.Node unresponsive(GroupImpl<?> g) {
    Duration age = Duration.ofNanos(Math.max(0, g.timers.nanoTime() - g.openedNanos));
    return new TaskTree.Node(TaskTree.Kind.GROUP, g.name, "UNRESPONSIVE", age, null, null, null, 0, 0, List.of(), 0);
  }

  /** One node being built: its scope and its children's builders. */
  private static final class Frame {
    final ScopeImpl scope;
    final int depth;
    final List<Frame> kids = new ArrayList<>();
    int omitted;
    TaskTree.Node node;

    Frame(ScopeImpl scope, int depth) {
      this.scope = scope;
      this.depth = depth;
    }
  }

  /** {@return the subtree of {@code root}, read on its context; null for a completed group unless {@code keepCompleted}} */
  static TaskTree.Node walk(GroupImpl<?> root, boolean keepCompleted) {
    if (root.state == GroupImpl.State.COMPLETED && !keepCompleted) {
      return null;
    }
    List<Frame> order = new ArrayList<>();
    Deque<Frame> stack = new ArrayDeque<>();
    Frame top = new Frame(root, 1);
    stack.push(top);
    int[] budget = {TaskTree.MAX_NODES - 1};
    while (!stack.isEmpty()) {
      Frame f = stack.pop();
      order.add(f);
      if (f.scope instanceof GroupImpl && ((GroupImpl<?>) f.scope).state == GroupImpl.State.COMPLETED) {
        continue;
      }
      children(f, budget);
      for (int i = f.kids.size() - 1; i >= 0; i--) {
        stack.push(f.kids.get(i));
      }
    }
    for (int i = order.size() - 1; i >= 0; i--) { // children before their parent
      Frame f = order.get(i);
      List<TaskTree.Node> kids = new ArrayList<>(f.kids.size());
      for (Frame k : f.kids) {
        kids.add(k.node);
      }
      f.node = node(f.scope, kids, f.omitted);
    }
    return top.node;
  }

  /** Adds the scopes attached below {@code f}'s (nested groups, timeouts, attempts), then a group's running tasks. */
  private static void children(Frame f, int[] budget) {
    ScopeImpl.Hook first = f.scope.firstHook();
    if (first != null) {
      ScopeImpl.Hook h = first;
      do {
        if (h.child) {
          ScopeImpl child = h.handler instanceof GroupImpl.EnclosingCancel ? ((GroupImpl.EnclosingCancel) h.handler).nested()
              : h.handler instanceof TimeoutScope || h.handler instanceof ChildScope ? (ScopeImpl) h.handler : null;
          if (child != null) {
            add(f, child, budget);
          }
        }
        h = h.next;
      } while (h != first && h != null);
    }
    if (f.scope instanceof AttemptTask && ((AttemptTask<?>) f.scope).role() != null) {
      ((AttemptTask<?>) f.scope).role().attemptsBeside(a -> add(f, a, budget)); // a hedge's, hooked nowhere
    }
    if (f.scope instanceof GroupImpl) {
      GroupImpl<?> g = (GroupImpl<?>) f.scope;
      int seen = 0;
      for (TaskImpl<?> t = g.liveHead(); t != null; t = t.next) {
        if (!mayAdd(f, budget)) {
          f.omitted += g.running() - seen; // the rest of the running tasks, uncounted one by one
          return;
        }
        add(f, t, budget);
        seen++;
      }
      Object[] p = g.pattern; // a pattern's tasks that run outside the live list, in start order
      for (int i = 0; p != null && i < p.length && seen < g.running(); i++) {
        if (p[i] instanceof PatternTask && ((PatternTask<?>) p[i]).runsAt(g, i)) {
          if (!mayAdd(f, budget)) {
            f.omitted += g.running() - seen;
            return;
          }
          add(f, (PatternTask<?>) p[i], budget);
          seen++;
        }
      }
      if (g.ring != null && seen < g.running()) { // forEach's plain tasks, in start order
        for (PulledTask<?> t : g.ring.inStartOrder()) {
          if (!mayAdd(f, budget)) {
            f.omitted += g.running() - seen;
            return;
          }
          add(f, t, budget);
          seen++;
        }
      }
    }
  }

  private static boolean mayAdd(Frame f, int[] budget) {
    return f.depth < TaskTree.MAX_DEPTH && f.kids.size() < TaskTree.MAX_CHILDREN && budget[0] > 0;
  }

  private static void add(Frame f, ScopeImpl child, int[] budget) {
    if (!mayAdd(f, budget)) {
      f.omitted++;
      return;
    }
    budget[0]--;
    f.kids.add(new Frame(child, f.depth + 1));
  }

  private static TaskTree.Node node(ScopeImpl s, List<TaskTree.Node> kids, int omitted) {
    GroupImpl<?> g = s.group;
    long now = g.timers.nanoTime();
    TaskCancelledException cause = s.cancelCause;
    CancelReason reason = cause != null ? cause.reason() : null;
    String message = cause != null ? cause.getMessage() : null;
    long own = s.ownDeadlineNanos();
    Duration left = own == ScopeImpl.NO_DEADLINE ? null : Duration.ofNanos(Math.max(0, own - now));
    if (s instanceof GroupImpl) {
      String state = g.state == GroupImpl.State.OPEN ? "OPEN" : g.state == GroupImpl.State.ABORTING ? "CANCELLING" : "COMPLETED";
      return new TaskTree.Node(TaskTree.Kind.GROUP, g.name, state, since(now, g.openedNanos), reason, message, left,
          g.running(), g.queued(), kids, omitted);
    }
    String state = cause != null && !s.closed() ? "CANCELLING" : s.closed() ? "SETTLED" : "RUNNING";
    if (s instanceof AbstractTask) {
      AbstractTask<?> t = (AbstractTask<?>) s;
      long start = g.obs != null ? g.obs.startOf(t) : -1;
      if (start < 0 && t.timeoutSpec() != null && own != ScopeImpl.NO_DEADLINE) {
        start = own - t.timeoutSpec().nanos(); // armed as the function was called
      }
      String taskState = cause != null && t.state() == TaskState.RUNNING ? "CANCELLING" : t.state().name();
      return new TaskTree.Node(TaskTree.Kind.TASK, t.name(), taskState, start < 0 ? null : since(now, start), reason, message, left,
          0, 0, kids, omitted);
    }
    if (s instanceof TimeoutScope) {
      Duration age = own == ScopeImpl.NO_DEADLINE ? null : since(now, own - ((TimeoutScope<?>) s).timeoutNanos());
      return new TaskTree.Node(TaskTree.Kind.TIMEOUT, s.scopeName(), state, age, reason, message, left, 0, 0, kids, omitted);
    }
    ChildScope<?> c = (ChildScope<?>) s;
    return new TaskTree.Node(TaskTree.Kind.STEP, c.describe(), state, since(now, c.startedNanos), reason, message, left, 0, 0, kids, omitted);
  }

  private static Duration since(long now, long start) {
    return Duration.ofNanos(Math.max(0, now - start));
  }
}
