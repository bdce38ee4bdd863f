package dev.taskgroup;

import io.vertx.core.Closeable;
import io.vertx.core.Completable;
import io.vertx.core.Context;
import java.time.Duration;

/**
 * Ends the top-level groups of one Vert.x context when the context's owner closes: the verticle
 * that deployed it is undeployed, or Vert.x itself closes. Each such group is cancelled with
 * {@link CancelReason#UNDEPLOYED}, and the owner's close completes once every group has settled
 * or after {@link #GRACE} at the latest: a task that ignores cancellation cannot hold an undeploy
 * for ever. A group still running then is reported to its context's exception handler and left
 * to settle on its own.
 *
 * <p>Only contexts of a deployment have one (one per base context: duplicated contexts, as HTTP
 * requests get, share their base's), installed as a close hook with the first group and kept while
 * the deployment lives, so groups that come and go per request take no lock in Vert.x's close
 * future. Rejected: a hook per group (two synchronized map operations in Vert.x per group, ~10% of
 * a ten-task fan-out), and hooks for contexts outside any deployment (such contexts are made afresh,
 * one per call from a non-Vert.x thread: Vert.x's close future would hold one hook per context for
 * ever, or pay that lock per group). A group outside any verticle is therefore not cancelled by
 * {@code Vertx.close()}. Nested groups need nothing of their own: their enclosing group's
 * cancellation reaches them. The list is guarded by this object's monitor: the close hook
 * is called on whatever thread closes the owner, and a worker or virtual-thread context runs
 * its groups on several threads in turn.
 */
final class OwnerClose implements Closeable {
  /** How long an undeploy (or {@code Vertx.close()}) waits for a group to settle after cancelling it. */
  static final Duration GRACE = Duration.ofSeconds(10);

  private final Context base;
  private boolean installed; // guarded by this
  private GroupImpl<?> head; // open top-level groups, linked through GroupImpl.prevOpen/nextOpen; guarded by this
  private boolean closing; // the owner is closing: new groups are cancelled at once

  private OwnerClose(Context base) {
    this.base = base;
  }

  /** Registers a top-level group of a deployment's context as it starts; the hook is installed with the first one. */
  static void register(GroupImpl<?> g) {
    OwnerClose r = VertxContexts.ownerClose(g.context, OwnerClose::new);
    boolean install;
    boolean lateComer;
    synchronized (r) {
      install = !r.installed && !r.closing;
      r.installed = true;
      lateComer = r.closing;
      g.owner = r;
      g.nextOpen = r.head;
      if (r.head != null) {
        r.head.prevOpen = g;
      }
      r.head = g;
    }
    if (install && !VertxContexts.addCloseHook(r.base, r)) {
      synchronized (r) {
        r.closing = true; // the owner closed before this group could start: it is cancelled at once
      }
      lateComer = true;
    }
    if (lateComer) {
      g.ownerClosed(GRACE, () -> { });
    }
  }

  /** A top-level group completed: it leaves the list (the hook stays while the deployment lives). */
  synchronized void unregister(GroupImpl<?> g) {
    if (g.owner != this) {
      return;
    }
    GroupImpl<?> p = g.prevOpen;
    GroupImpl<?> n = g.nextOpen;
    if (p == null) {
      head = n;
    } else {
      p.nextOpen = n;
    }
    if (n != null) {
      n.prevOpen = p;
    }
    g.prevOpen = null;
    g.nextOpen = null;
    g.owner = null;
  }

  /** The owner closes: cancel every group, complete when all have settled or their grace ran out. */
  @Override
  public void close(Completable<Void> completion) {
    GroupImpl<?>[] groups;
    synchronized (this) {
      closing = true;
      int n = 0;
      for (GroupImpl<?> g = head; g != null; g = g.nextOpen) {
        n++;
      }
      groups = new GroupImpl<?>[n];
      n = 0;
      for (GroupImpl<?> g = head; g != null; g = g.nextOpen) {
        groups[n++] = g;
      }
    }
    if (groups.length == 0) {
      completion.succeed();
      return;
    }
    int[] left = {groups.length};
    Runnable oneDone = () -> {
      boolean last;
      synchronized (left) {
        last = --left[0] == 0;
      }
      if (last) {
        completion.succeed();
      }
    };
    for (GroupImpl<?> g : groups) {
      g.ownerClosed(GRACE, oneDone);
    }
  }

  /** {@return how many groups are open (for tests)} */
  synchronized int size() {
    int n = 0;
    for (GroupImpl<?> g = head; g != null; g = g.nextOpen) {
      n++;
    }
    return n;
  }

  @Override
  public String toString() {
    return "OwnerClose[" + base + "]";
  }
}
