package dev.taskgroup;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Objects;

/**
 * A snapshot of what runs: every open task group of a Vert.x instance (or one group), with its
 * running tasks and, below their owners, nested groups, timeouts and attempts, each with its
 * name, state, age, deadline left and cancellation, if any. A value: taking it never changes what
 * runs, and it may be kept, compared, rendered as JSON ({@link #toJson()}) or as an indented text
 * tree ({@link #toText()}, like asyncio's {@code pstree}).
 *
 * <pre>{@code
 * TaskTree.snapshot(vertx).onSuccess(tree -> log.info(tree.toText()));
 * // task tree at 2026-12-01T12:00:00Z: 1 group
 * // └── group '/api/dashboard/:userId' OPEN, age 1204 ms, deadline in 28796 ms, running 1
 * //     └── task 'orders' RUNNING, age 1203 ms
 * }</pre>
 *
 * <h2>Threads</h2>
 * {@link #snapshot(Vertx)} may be called from any thread. It never reads a group's state from
 * another thread: it hops to each top-level group's context (nested groups live on their
 * enclosing group's), reads the group's subtree there, and combines the answers. A context that
 * does not answer within the timeout (its thread is blocked, or busy for that long) does not hold
 * the snapshot: its group appears with state {@code UNRESPONSIVE}, its name and its age (both
 * fixed when it opened), and no children. Groups are listed oldest first.
 *
 * <h2>Finding groups</h2>
 * Each top-level group enters a JVM-wide registry as its body is about to run and leaves it as it
 * completes, so a finished group is never listed and never kept alive by the registry. A group
 * that never completes (a body future nothing completes, a task that ignores its cancellation)
 * stays listed: that hang is what this view is for. Nested groups are found through the scope that
 * opened them. A shielded step
 * ({@link TaskFn#shielded}) is nobody's child and is not listed; its work is, in its group's
 * tasks.
 *
 * <h2>Ages and limits</h2>
 * Ages and deadlines are measured on the group's clock. A group's, a timeout's and an attempt's
 * age is always known; a task's only for a task with a timeout of its own, or when
 * {@link Observability#trackTaskAges} was on when its group opened (else null: its group's age
 * bounds it). The walk is bounded, so that a snapshot of a runaway tree neither blocks an event
 * loop for long nor grows without bound: at most {@value #MAX_DEPTH} levels, {@value #MAX_CHILDREN}
 * children per node and {@value #MAX_NODES} nodes per top-level group; what is left out is
 * counted in {@link Node#omitted()}.
 *
 * @param takenAt when the snapshot was asked for
 * @param groups the top-level groups (or the one group asked for), oldest first
 */
public record TaskTree(Instant takenAt, List<Node> groups) {
  /** How long {@link #snapshot(Vertx)} waits for a group's context by default. */
  public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(1);
  /** The deepest level a snapshot descends to (a top-level group is level 1). */
  public static final int MAX_DEPTH = 64;
  /** The most children listed under one node. */
  public static final int MAX_CHILDREN = 1000;
  /** The most nodes listed for one top-level group and everything below it. */
  public static final int MAX_NODES = 10_000;

  /** What a node is. */
  public enum Kind {
    /** A task group (the body's scope); its children are the scopes opened in the body and its running tasks. */
    GROUP,
    /** A running task (queued tasks are counted in their group's {@link Node#queued()}). */
    TASK,
    /** The inner scope of a timeout ({@link TaskFn#withTimeout}) that is not a task's own. */
    TIMEOUT,
    /** An attempt of a retried or hedged function, or a step under a movable deadline. */
    STEP
  }

  /**
   * One group, task or scope, and what runs below it.
   *
   * @param kind what it is
   * @param name the group's or task's name (a timeout or a step has its owner's)
   * @param state a group: {@code OPEN}, {@code CANCELLING} (cancelled, its work still settling)
   *     or {@code UNRESPONSIVE} (its context did not answer in time); a task, timeout or step:
   *     {@code RUNNING} or {@code CANCELLING}
   * @param age how long it has existed, or null if unknown (see the class comment)
   * @param cancelReason why it was cancelled, or null if it is not cancelling
   * @param cancelMessage the cancellation's message, or null
   * @param deadlineLeft the time left before its own deadline or timeout (zero once passed), or null if it has none
   * @param running a group's running tasks (0 for other kinds)
   * @param queued a group's tasks waiting for a slot (0 for other kinds)
   * @param children what runs below it, in the order it started (nested scopes first)
   * @param omitted how many children were left out by the limits
   */
  public record Node(Kind kind, String name, String state, Duration age, CancelReason cancelReason,
                     String cancelMessage, Duration deadlineLeft, int running, int queued,
                     List<Node> children, int omitted) {
    /** Copies {@code children}: a node never changes. */
    public Node {
      children = List.copyOf(children);
    }

    /**
     * {@return this node as JSON} Fields: {@code kind} (lower case), {@code name}, {@code state},
     * {@code ageMs}, {@code deadlineLeftMs}, {@code cancelReason}, {@code cancelMessage} (each
     * absent when null), {@code running} and {@code queued} (groups only), {@code children} and
     * {@code omitted} (when not 0).
     */
    public JsonObject toJson() {
      JsonObject o = new JsonObject().put("kind", kind.name().toLowerCase(java.util.Locale.ROOT)).put("name", name).put("state", state);
      if (age != null) {
        o.put("ageMs", age.toMillis());
      }
      if (deadlineLeft != null) {
        o.put("deadlineLeftMs", deadlineLeft.toMillis());
      }
      if (cancelReason != null) {
        o.put("cancelReason", cancelReason.name());
      }
      if (cancelMessage != null) {
        o.put("cancelMessage", cancelMessage);
      }
      if (kind == Kind.GROUP) {
        o.put("running", running).put("queued", queued);
      }
      JsonArray kids = new JsonArray();
      for (Node c : children) { // recursion bounded by MAX_DEPTH, never by user code
        kids.add(c.toJson());
      }
      o.put("children", kids);
      if (omitted > 0) {
        o.put("omitted", omitted);
      }
      return o;
    }

    /** {@return the line of this node in {@link TaskTree#toText()}} */
    public String describe() {
      StringBuilder sb = new StringBuilder();
      sb.append(kind.name().toLowerCase(java.util.Locale.ROOT)).append(" '").append(name).append("' ").append(state);
      if (age != null) {
        sb.append(", age ").append(age.toMillis()).append(" ms");
      }
      if (deadlineLeft != null) {
        sb.append(", deadline in ").append(deadlineLeft.toMillis()).append(" ms");
      }
      if (kind == Kind.GROUP && !state.equals("UNRESPONSIVE")) {
        sb.append(", running ").append(running);
        if (queued > 0) {
          sb.append(", queued ").append(queued);
        }
      }
      if (cancelReason != null) {
        sb.append(", cancelled (").append(cancelReason).append(cancelMessage != null ? ": " + cancelMessage : "").append(')');
      }
      return sb.toString();
    }
  }

  /** Copies {@code groups}: a snapshot never changes. */
  public TaskTree {
    Objects.requireNonNull(takenAt, "takenAt");
    groups = List.copyOf(groups);
  }

  /**
   * {@return the open groups of {@code vertx}, waiting {@link #DEFAULT_TIMEOUT} for each context}
   * From any thread; the future's listeners run on the caller's context if it had one.
   *
   * @throws IllegalArgumentException if {@code vertx} is null
   */
  public static Future<TaskTree> snapshot(Vertx vertx) {
    return snapshot(vertx, DEFAULT_TIMEOUT);
  }

  /**
   * {@return the open groups of {@code vertx}, waiting at most {@code timeout} for each context}
   * From any thread; the future never fails, and its listeners run on the caller's context if it
   * had one (else on no particular thread).
   *
   * @throws IllegalArgumentException if {@code vertx} or {@code timeout} is null, or
   *     {@code timeout} is not positive
   */
  public static Future<TaskTree> snapshot(Vertx vertx, Duration timeout) {
    if (vertx == null) {
      throw new IllegalArgumentException("the vertx passed to TaskTree.snapshot is null");
    }
    return TreeWalk.snapshot(vertx, null, checkTimeout(timeout));
  }

  /**
   * {@return a snapshot of {@code group} alone and what runs below it, waiting at most
   * {@link #DEFAULT_TIMEOUT} for its context} From any thread. A group that has completed
   * appears with state {@code COMPLETED} and no children.
   *
   * @throws IllegalArgumentException if {@code group} is null
   */
  public static Future<TaskTree> snapshot(TaskGroup group) {
    if (group == null) {
      throw new IllegalArgumentException("the group passed to TaskTree.snapshot is null");
    }
    return TreeWalk.snapshot(group.impl.vertx, group.impl, DEFAULT_TIMEOUT);
  }

  private static Duration checkTimeout(Duration timeout) {
    if (timeout == null) {
      throw new IllegalArgumentException("the timeout passed to TaskTree.snapshot is null");
    }
    if (timeout.isNegative() || timeout.isZero()) {
      throw new IllegalArgumentException("the timeout passed to TaskTree.snapshot must be positive, got " + Durations.millis(timeout) + " (" + timeout + ")");
    }
    return timeout;
  }

  /** {@return every node of the snapshot, each before its children} A loop, for searching. */
  public List<Node> nodes() {
    List<Node> out = new ArrayList<>();
    Deque<Node> stack = new ArrayDeque<>();
    for (int i = groups.size() - 1; i >= 0; i--) {
      stack.push(groups.get(i));
    }
    while (!stack.isEmpty()) {
      Node n = stack.pop();
      out.add(n);
      for (int i = n.children().size() - 1; i >= 0; i--) {
        stack.push(n.children().get(i));
      }
    }
    return out;
  }

  /** {@return the snapshot as JSON: {@code takenAt} (ISO-8601) and {@code groups}, each as {@link Node#toJson()}} */
  public JsonObject toJson() {
    JsonArray gs = new JsonArray();
    for (Node g : groups) {
      gs.add(g.toJson());
    }
    return new JsonObject().put("takenAt", takenAt.toString()).put("groups", gs);
  }

  /**
   * {@return the snapshot as an indented text tree, one node per line} The first line names the
   * time and the number of groups; each node's line is {@link Node#describe()}.
   */
  public String toText() {
    StringBuilder sb = new StringBuilder();
    sb.append("task tree at ").append(takenAt).append(": ").append(groups.size()).append(groups.size() == 1 ? " group" : " groups").append('\n');
    // Iterative: (node, prefix, last) frames.
    Deque<Object[]> stack = new ArrayDeque<>();
    for (int i = groups.size() - 1; i >= 0; i--) {
      stack.push(new Object[] {groups.get(i), "", i == groups.size() - 1});
    }
    while (!stack.isEmpty()) {
      Object[] f = stack.pop();
      if (f[0] instanceof String) { // an "omitted" line
        sb.append(f[1]).append("└── ").append(f[0]).append('\n');
        continue;
      }
      Node n = (Node) f[0];
      String prefix = (String) f[1];
      boolean last = (Boolean) f[2];
      sb.append(prefix).append(last ? "└── " : "├── ").append(n.describe()).append('\n');
      String childPrefix = prefix + (last ? "    " : "│   ");
      if (n.omitted() > 0) {
        stack.push(new Object[] {"… " + n.omitted() + " more not listed", childPrefix, true});
      }
      List<Node> kids = n.children();
      for (int i = kids.size() - 1; i >= 0; i--) {
        stack.push(new Object[] {kids.get(i), childPrefix, i == kids.size() - 1 && n.omitted() == 0});
      }
    }
    return sb.toString();
  }
}
