package dev.taskgroup.bench;

import com.hazelcast.config.Config;
import com.hazelcast.config.JoinConfig;
import dev.taskgroup.TaskFn;
import dev.taskgroup.TaskGroup;
import dev.taskgroup.eventbus.ScopedEventBus;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.eventbus.EventBusOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The remote work that fail-fast saves on a two-node cluster (issue 17, item 6): node A fans a
 * request out to {@code siblings} calls served on node B, and one more task on A fails
 * {@code failAfterMs} in. Each call's work on B is {@code steps} steps of {@code stepMs} (a timer
 * each). Reported per variant: the steps B still ran after the failure, per round.
 *
 * <ul>
 *   <li>{@code plain}: {@code Future.all} of plain {@code bus.request}s to a plain consumer, whose
 *       steps are plain timers. The caller fails fast; B never learns and works on.
 *   <li>{@code scoped}: {@code TaskGroup.all} of {@code ScopedEventBus.request}s to
 *       {@code ScopedEventBus.serve}, whose steps are {@code scope.sleep}s: the cancel signal stops
 *       them.
 * </ul>
 *
 * <p>Both nodes in this JVM, each its own Hazelcast member over TCP on 127.0.0.1 (the messages
 * cross a real socket).
 *
 * <pre>java -cp target/benchmarks.jar dev.taskgroup.bench.ClusterFailFastMain [siblings steps stepMs failAfterMs rounds]</pre>
 */
public final class ClusterFailFastMain {
  private static final Logger HAZELCAST_LOG = Logger.getLogger("com.hazelcast");
  private static final AtomicLong STEPS = new AtomicLong();

  private ClusterFailFastMain() {}

  public static void main(String[] args) throws Exception {
    HAZELCAST_LOG.setLevel(Level.WARNING);
    int siblings = args.length > 0 ? Integer.parseInt(args[0]) : 20;
    int steps = args.length > 1 ? Integer.parseInt(args[1]) : 50;
    int stepMs = args.length > 2 ? Integer.parseInt(args[2]) : 4;
    int failAfterMs = args.length > 3 ? Integer.parseInt(args[3]) : 20;
    int rounds = args.length > 4 ? Integer.parseInt(args[4]) : 10;
    String cluster = "taskgroup-bench-" + UUID.randomUUID();
    int[] ports = {freePort(), freePort()};
    Vertx a = node(cluster, ports, 0);
    Vertx b = node(cluster, ports, 1);
    try {
      b.eventBus().<Integer>consumer("plain-work", msg -> plainSteps(b, steps, stepMs, msg));
      ScopedEventBus.<Integer, Integer>serve(b, "scoped-work", (scope, msg) -> scopedSteps(scope, steps, stepMs))
          .await(10, TimeUnit.SECONDS);
      System.out.printf(Locale.ROOT, "siblings=%d steps=%d stepMs=%d failAfterMs=%d rounds=%d (work per call %d ms)%n",
          siblings, steps, stepMs, failAfterMs, rounds, steps * stepMs);
      for (String variant : List.of("plain", "scoped", "plain", "scoped")) { // the first pair warms up
        long after = 0;
        for (int r = 0; r < rounds; r++) {
          after += round(a, variant, siblings, failAfterMs, steps * stepMs);
        }
        System.out.printf(Locale.ROOT, "%-7s steps on B after the failure: %.1f per round (of %d started)%n",
            variant, after / (double) rounds, siblings * steps);
      }
    } finally {
      Future.join(a.close(), b.close()).await(30, TimeUnit.SECONDS);
    }
  }

  /** One round: {@return the steps B ran after the failure}, counted once B has gone quiet. */
  private static long round(Vertx a, String variant, int siblings, int failAfterMs, int workMs) throws Exception {
    long[] atFailure = new long[1];
    TaskFn<Object> failing = scope -> scope.sleep(Duration.ofMillis(failAfterMs)).compose(v -> {
      atFailure[0] = STEPS.get();
      return Future.failedFuture(new IllegalStateException("sibling failed"));
    });
    Future<?> run;
    if (variant.equals("plain")) {
      List<Future<?>> calls = new ArrayList<>();
      for (int i = 0; i < siblings; i++) {
        calls.add(a.eventBus().request("plain-work", i));
      }
      Promise<Object> fail = Promise.promise();
      a.setTimer(failAfterMs, t -> {
        atFailure[0] = STEPS.get();
        fail.fail("sibling failed");
      });
      calls.add(fail.future());
      run = Future.all(calls);
    } else {
      List<TaskFn<Object>> tasks = new ArrayList<>();
      for (int i = 0; i < siblings; i++) {
        int n = i;
        tasks.add(scope -> ScopedEventBus.request(scope, a.eventBus(), "scoped-work", n, null).map(Message::body));
      }
      tasks.add(failing);
      run = TaskGroup.all(a, tasks);
    }
    run.otherwiseEmpty().await(30, TimeUnit.SECONDS);
    a.timer(workMs + 200L).await(30, TimeUnit.SECONDS); // every step B would still run is done by now
    return STEPS.get() - atFailure[0];
  }

  private static void plainSteps(Vertx b, int left, int stepMs, Message<Integer> msg) {
    if (left == 0) {
      msg.reply(msg.body());
      return;
    }
    b.setTimer(stepMs, t -> {
      STEPS.incrementAndGet();
      plainSteps(b, left - 1, stepMs, msg);
    });
  }

  private static Future<Integer> scopedSteps(dev.taskgroup.TaskScope scope, int left, int stepMs) {
    if (left == 0) {
      return Future.succeededFuture(0);
    }
    return scope.sleep(Duration.ofMillis(stepMs)).compose(v -> {
      STEPS.incrementAndGet();
      return scopedSteps(scope, left - 1, stepMs);
    });
  }

  private static Vertx node(String cluster, int[] ports, int index) throws Exception {
    Config config = new Config().setClusterName(cluster);
    config.setProperty("hazelcast.phone.home.enabled", "false");
    config.setProperty("hazelcast.wait.seconds.before.join", "0");
    config.getNetworkConfig().setPort(ports[index]).setPortAutoIncrement(false)
        .getInterfaces().setEnabled(true).addInterface("127.0.0.1");
    JoinConfig join = config.getNetworkConfig().getJoin();
    join.getMulticastConfig().setEnabled(false);
    join.getAutoDetectionConfig().setEnabled(false);
    join.getTcpIpConfig().setEnabled(true).addMember("127.0.0.1:" + ports[0]).addMember("127.0.0.1:" + ports[1]);
    return Vertx.builder()
        .with(new VertxOptions().setEventBusOptions(new EventBusOptions().setHost("127.0.0.1").setPort(0)))
        .withClusterManager(new HazelcastClusterManager(config))
        .buildClustered().await(60, TimeUnit.SECONDS);
  }

  private static int freePort() throws Exception {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }
}
