package dev.taskgroup.eventbus;

import io.vertx.core.Vertx;
import io.vertx.core.internal.VertxInternal;
import io.vertx.core.spi.cluster.ClusterManager;
import java.util.HashSet;
import java.util.Set;

/**
 * The one place of this package that touches Vert.x internal API ({@code io.vertx.core.internal}):
 * what a node knows of its cluster.
 *
 * <p>Why: the public {@code Vertx} API tells whether it is clustered but not its node id, nor which
 * nodes are members. The {@link ClusterManager} knows both, and only {@link VertxInternal} hands it
 * out. Its {@code nodeListener} would tell us at once when a node leaves, but it holds a single
 * listener and Vert.x's own HA manager has it; replacing it would break Vert.x. So the serving side
 * polls {@link ClusterManager#getNodes()} (a read of the member list the cluster manager keeps
 * locally, no network call) while it serves requests from other nodes. Rejected: the Hazelcast
 * membership listener, which would tie the library to one cluster manager.
 *
 * <p>Stateless; any thread.
 */
final class ClusterView {
  /** The node id of a Vert.x instance that is not clustered: its bus has only local callers. */
  static final String LOCAL = "local";

  private ClusterView() {}

  /** {@return the cluster manager of {@code vertx}, or null when it is not clustered} */
  static ClusterManager manager(Vertx vertx) {
    return vertx.isClustered() && vertx instanceof VertxInternal ? ((VertxInternal) vertx).clusterManager() : null;
  }

  /** {@return this node's id in its cluster, or {@link #LOCAL}} */
  static String nodeId(Vertx vertx) {
    ClusterManager cm = manager(vertx);
    return cm == null ? LOCAL : cm.getNodeId();
  }

  /** {@return the ids of the cluster's current members, or null when {@code cm} is null or inactive} */
  static Set<String> members(ClusterManager cm) {
    if (cm == null || !cm.isActive()) {
      return null;
    }
    return new HashSet<>(cm.getNodes());
  }
}
