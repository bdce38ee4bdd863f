package dev.taskgroup.eventbus;

import com.hazelcast.config.Config;
import com.hazelcast.config.JoinConfig;
import com.hazelcast.config.NetworkConfig;
import dev.taskgroup.VertxTest;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.EventBusOptions;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Clustered Vert.x nodes in this JVM, each its own Hazelcast member with its own event-bus TCP
 * server, joined over TCP on 127.0.0.1 (multicast off), under a cluster name of their own so that
 * tests running at the same time on the machine never meet.
 *
 * <p>Why one JVM: a message between two nodes is still serialized and crosses a real socket (the
 * clustered bus never short-cuts to a local delivery for another node), membership is Hazelcast's
 * own, and killing a node is terminating its member, as abrupt as a crash for the others; what
 * one JVM adds is a shared clock ({@code System.nanoTime()} on both sides of a call) and start-up
 * in a second or two instead of a JVM per node. Timeouts are small so that a terminated member is
 * noticed in a few seconds.
 */
final class LoopbackCluster implements AutoCloseable {
  /** Held, so that the level set on it stays (loggers are weakly referenced). */
  private static final Logger HAZELCAST_LOG = Logger.getLogger("com.hazelcast");

  static {
    HAZELCAST_LOG.setLevel(Level.WARNING);
    VertxTest.warmNettyAllocatorEvents();
  }

  private final String name = "taskgroup-test-" + UUID.randomUUID();
  private final List<Integer> ports = new ArrayList<>();
  private final List<Vertx> nodes = new ArrayList<>();
  private final List<HazelcastClusterManager> managers = new ArrayList<>();
  private final List<String> blockedThreadEvents = new CopyOnWriteArrayList<>();

  /** {@return a cluster of {@code n} nodes, once every one has joined} Blocks: call from a test thread. */
  static LoopbackCluster start(int n) throws Exception {
    LoopbackCluster c = new LoopbackCluster();
    for (int i = 0; i < n + 2; i++) { // room for nodes added later
      c.ports.add(freePort());
    }
    for (int i = 0; i < n; i++) {
      c.addNode();
    }
    return c;
  }

  /** {@return one more node, once it has joined} Blocks: call from a test thread. */
  Vertx addNode() throws Exception {
    int index = nodes.size();
    Config config = new Config().setClusterName(name);
    config.setProperty("hazelcast.phone.home.enabled", "false");
    config.setProperty("hazelcast.shutdownhook.enabled", "false");
    config.setProperty("hazelcast.wait.seconds.before.join", "0");
    config.setProperty("hazelcast.heartbeat.interval.seconds", "1");
    config.setProperty("hazelcast.max.no.heartbeat.seconds", "4");
    config.setProperty("hazelcast.merge.first.run.delay.seconds", "600");
    config.setProperty("hazelcast.graceful.shutdown.max.wait", "5");
    NetworkConfig network = config.getNetworkConfig();
    network.setPort(ports.get(index)).setPortAutoIncrement(false);
    network.getInterfaces().setEnabled(true).addInterface("127.0.0.1");
    JoinConfig join = network.getJoin();
    join.getMulticastConfig().setEnabled(false);
    join.getAutoDetectionConfig().setEnabled(false);
    join.getTcpIpConfig().setEnabled(true).setConnectionTimeoutSeconds(2);
    for (int port : ports) {
      join.getTcpIpConfig().addMember("127.0.0.1:" + port);
    }
    HazelcastClusterManager manager = new HazelcastClusterManager(config);
    Vertx vertx = VertxTest.healthyClusteredVertx(manager, new EventBusOptions().setHost("127.0.0.1").setPort(0),
        blockedThreadEvents).await(60, TimeUnit.SECONDS);
    nodes.add(vertx);
    managers.add(manager);
    return vertx;
  }

  /**
   * {@return the blocked-thread events of the nodes' event loops} Workers are left out: joining
   * the cluster holds one for seconds, by design.
   */
  List<String> blockedEventLoops() {
    return blockedThreadEvents.stream().filter(e -> e.contains("eventloop")).toList();
  }

  /** {@return node {@code i}} */
  Vertx node(int i) {
    return nodes.get(i);
  }

  /** {@return node {@code i}'s id in the cluster} */
  String nodeId(int i) {
    return managers.get(i).getNodeId();
  }

  /**
   * Kills node {@code i} as a crash would: its Hazelcast member is terminated (no leave message to
   * the others) and its Vert.x closed without waiting. Blocks only for the terminate.
   */
  void kill(int i) {
    managers.get(i).getHazelcastInstance().getLifecycleService().terminate();
    nodes.get(i).close(); // its cluster manager is gone: whatever this reports does not matter
  }

  @Override
  public void close() throws Exception {
    List<Future<Void>> closing = new ArrayList<>();
    for (Vertx v : nodes) {
      closing.add(v.close().otherwiseEmpty());
    }
    Future.join(closing).await(30, TimeUnit.SECONDS);
  }

  private static int freePort() {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
