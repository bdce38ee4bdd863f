package dev.taskgroup;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Random task trees for the properties: what each task does, its timeout, when the test cancels
 * it; what each group's body does, its limit, its deadline. Pure data, built from a seed, so a
 * failing try prints a tree that can be read and replayed.
 *
 * <p>Times are virtual milliseconds of a {@link ManualTimers} clock.
 */
final class TreeModel {
  private TreeModel() {}

  /** What a task's work does. */
  enum Kind {
    /** Succeeds after {@code delay} (at once when 0), cooperatively: a cancel ends it with the cancellation. */
    SUCCEED,
    /** Fails with its own error after {@code delay}, cooperatively. */
    FAIL,
    /**
     * Ends with a CancellationException of its own after {@code delay}, though nothing cancelled
     * it (a cancelled Vert.x Timer, a cancelled upstream call); cooperatively. Not an error of a
     * group; a failure of the task in a pattern.
     */
    CANCEL_ITSELF,
    /** Throws from the task function. */
    THROW,
    /** Returns null instead of a future. */
    RETURN_NULL,
    /** Runs until its scope is cancelled, then ends with the cancellation. */
    HANG,
    /** Succeeds after {@code delay}; if cancelled first, ignores it for {@code grace} ms, then ends with {@code late}. */
    STUBBORN,
    /** After {@code delay}, spawns {@code children} into its own group, then succeeds. */
    SPAWN,
    /** Opens a nested group (via {@code TaskGroup.run(scope, ...)}) and ends with its outcome. */
    NESTED
  }

  /** How a stubborn task ends once its grace is over. */
  enum Late { SUCCEED, FAIL, CANCELLED }

  /** What a group's body does. */
  enum Body {
    /** Returns a succeeded future at once. */
    SUCCEED_NOW,
    /** Sleeps {@code bodyDelay} on the group's scope, then succeeds. */
    SUCCEED_AFTER,
    /** Sleeps {@code bodyDelay}, then fails with its own error. */
    FAIL_AFTER,
    /** Runs until the group is cancelled. */
    HANG,
    /** Returns the future of its first task (passing on its result, error or cancellation). */
    AWAIT_FIRST_TASK,
    /** Opens a nested group in the group's own scope and ends with its outcome. */
    NESTED
  }

  record Node(String name, Kind kind, int delay, int grace, Late late, Integer timeout, boolean fallback,
              boolean timeoutViaScope, boolean hookThrows, Integer cancelAt, List<Node> children, Group nested) {
    @Override
    public String toString() {
      StringBuilder sb = new StringBuilder(name).append(':').append(kind);
      if (kind == Kind.SUCCEED || kind == Kind.FAIL || kind == Kind.CANCEL_ITSELF || kind == Kind.SPAWN || kind == Kind.STUBBORN) {
        sb.append('@').append(delay);
      }
      if (kind == Kind.STUBBORN) {
        sb.append("+grace").append(grace).append("->").append(late);
      }
      if (timeout != null) {
        sb.append(" timeout=").append(timeout).append(fallback ? "(fallback)" : "").append(timeoutViaScope ? "(inner scope)" : "");
      }
      if (hookThrows) {
        sb.append(" hook-throws");
      }
      if (cancelAt != null) {
        sb.append(" cancel@").append(cancelAt);
      }
      if (kind == Kind.SPAWN) {
        sb.append(' ').append(children);
      }
      if (nested != null) {
        sb.append(' ').append(nested);
      }
      return sb.toString();
    }
  }

  record Group(String name, int maxConcurrency, Integer deadline, Integer cancelAt, Body body, int bodyDelay,
               List<Node> children, Group nested) {
    @Override
    public String toString() {
      return "{" + name + " body=" + body + (body == Body.SUCCEED_AFTER || body == Body.FAIL_AFTER ? "@" + bodyDelay : "")
          + (maxConcurrency != TaskGroupOptions.UNLIMITED ? " max=" + maxConcurrency : "")
          + (deadline != null ? " deadline=" + deadline : "") + (cancelAt != null ? " cancel@" + cancelAt : "")
          + " " + children + (nested != null ? " body-nested " + nested : "") + "}";
    }

    int size() {
      int n = nested == null ? 0 : nested.size();
      for (Node c : children) {
        n += sizeOf(c);
      }
      return n;
    }

    private static int sizeOf(Node n) {
      int s = 1;
      for (Node c : n.children) {
        s += sizeOf(c);
      }
      if (n.nested != null) {
        s += n.nested.size();
      }
      return s;
    }
  }

  /**
   * Builds a tree: at most {@code maxDepth} levels of tasks below the root group (a spawned child
   * or a nested group's task is one level down), at most {@code width} tasks per group, at most
   * {@code budget} tasks in all.
   */
  static Group tree(long seed, int maxDepth, int width, int budget) {
    return new Builder(new Random(seed), maxDepth, width, budget).group(0, "g");
  }

  /** A flat list of leaf tasks for the patterns (no spawning, no nesting). */
  static List<Node> leaves(long seed, int count) {
    Builder b = new Builder(new Random(seed), 0, count, count);
    List<Node> out = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      Node n = b.node(0, "task-" + i, false); // the name the library gives the i-th unnamed task
      // A hook that throws fails even gather(): the tree property covers it.
      out.add(new Node(n.name(), n.kind(), n.delay(), n.grace(), n.late(), n.timeout(), n.fallback(),
          n.timeoutViaScope(), false, n.cancelAt(), n.children(), n.nested()));
    }
    return out;
  }

  private static final class Builder {
    final Random r;
    final int maxDepth;
    final int width;
    int budget;
    final int faults; // percent of failing tasks: none, a few, many (at most 20)

    Builder(Random r, int maxDepth, int width, int budget) {
      this.r = r;
      this.faults = new int[] {0, 2, 6, 20}[r.nextInt(4)];
      this.maxDepth = maxDepth;
      this.width = width;
      this.budget = budget;
    }

    Group group(int level, String name) {
      int max = r.nextInt(3) == 0 ? 1 + r.nextInt(4) : TaskGroupOptions.UNLIMITED;
      Integer deadline = r.nextInt(3) == 0 ? 1 + r.nextInt(300) : null;
      Integer cancelAt = r.nextInt(6) == 0 ? r.nextInt(300) : null;
      Body body = Body.values()[r.nextInt(Body.values().length)];
      if (body == Body.NESTED && (level >= maxDepth || budget <= 0)) {
        body = Body.SUCCEED_NOW;
      }
      int bodyDelay = r.nextInt(200);
      List<Node> children = children(level, name);
      Group nested = body == Body.NESTED ? group(level + 1, name + "/b") : null;
      return new Group(name, max, deadline, cancelAt, body, bodyDelay, children, nested);
    }

    List<Node> children(int level, String prefix) {
      int n = budget <= 0 ? 0 : level == 0 ? 1 + r.nextInt(Math.min(width, budget)) : r.nextInt(Math.min(width, budget) + 1);
      budget -= n;
      List<Node> out = new ArrayList<>(n);
      for (int i = 0; i < n; i++) {
        out.add(node(level, prefix + "." + i, level < maxDepth));
      }
      return out;
    }

    Node node(int level, String name, boolean mayBranch) {
      // Failing kinds are rarer in most trees: one failure ends a group early, hiding the rest.
      int w = r.nextInt(100);
      Kind kind;
      if (w < 30) {
        kind = Kind.SUCCEED;
      } else if (w < 30 + faults) {
        int f = r.nextInt(5);
        kind = f == 0 ? (r.nextBoolean() ? Kind.THROW : Kind.RETURN_NULL) : f == 1 ? Kind.CANCEL_ITSELF : Kind.FAIL;
      } else if (w < 50) {
        kind = Kind.HANG;
      } else if (w < 66) {
        kind = Kind.STUBBORN;
      } else if (w < 82) {
        kind = mayBranch ? Kind.SPAWN : Kind.SUCCEED;
      } else {
        kind = mayBranch ? Kind.NESTED : Kind.SUCCEED;
      }
      int delay = r.nextInt(4) == 0 ? 0 : 1 + r.nextInt(250);
      if (kind == Kind.STUBBORN && delay == 0) {
        delay = 1;
      }
      int grace = r.nextInt(100);
      Late late = Late.values()[r.nextInt(Late.values().length)];
      Integer timeout = r.nextInt(3) == 0 ? 1 + r.nextInt(300) : null;
      boolean fallback = timeout != null && r.nextBoolean();
      boolean viaScope = timeout != null && r.nextInt(3) == 0;
      boolean hookThrows = r.nextInt(30) < faults / 2;
      Integer cancelAt = r.nextInt(8) == 0 ? r.nextInt(300) : null;
      List<Node> children = kind == Kind.SPAWN ? children(level + 1, name) : List.of();
      Group nested = kind == Kind.NESTED ? group(level + 1, name + "/g") : null;
      return new Node(name, kind, delay, grace, late, timeout, fallback, viaScope, hookThrows, cancelAt, children, nested);
    }
  }

  /** {@return {@code tasks} with a timeout on every task that would otherwise hang forever} */
  static List<Node> bounded(List<Node> tasks) {
    List<Node> out = new ArrayList<>();
    for (Node n : tasks) {
      out.add(n.kind() == Kind.HANG && n.timeout() == null
          ? new Node(n.name(), n.kind(), n.delay(), n.grace(), n.late(), 1 + n.delay(), n.fallback(), n.timeoutViaScope(),
              n.hookThrows(), n.cancelAt(), n.children(), n.nested())
          : n);
    }
    return out;
  }
}
