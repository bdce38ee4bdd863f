package dev.taskgroup.gateway;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import io.vertx.core.DeploymentOptions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/**
 * Runs the gateway: {@code GatewayMain [-conf FILE]}, the file defaulting to
 * {@value #DEFAULT_CONF}. With the simulator enabled, the simulated upstreams start first, in the
 * same process, so one command runs the whole thing on loopback.
 *
 * <pre>{@code
 * mvn -q compile exec:java                                   # conf/gateway.json
 * mvn -q compile exec:java -Dexec.args="-conf my.json"
 * }</pre>
 *
 * <p>On success it prints the URLs to try. A bad configuration, an unreadable file or a port in use
 * ends the process with a non-zero status and one line naming the problem (for a bad config, the
 * field by its path), well within 10 seconds: exit 2 for usage and configuration, 1 for start-up.
 *
 * <p>{@code -instances N} overrides {@code http.instances}. SIGTERM and SIGINT drain the gateway
 * (see {@link #drain}) and exit 0.
 *
 * <p>Design choice: this small main, not {@code vertx-launcher-application}'s
 * {@code VertxApplication}. The launcher would give {@code -conf}, {@code -instances} and a shutdown
 * hook, but a JVM shutdown hook cannot make the process exit 0 after SIGTERM (the JVM exits 143),
 * and its config errors are not the one-line, exit-2 message naming the field that operators and
 * tests rely on; what it would replace is about forty lines of argument parsing.
 */
public final class GatewayMain {
  /** The configuration read when no {@code -conf} is given. */
  public static final String DEFAULT_CONF = "conf/gateway.json";

  private static final long START_TIMEOUT_SECONDS = 8;

  private GatewayMain() {}

  /**
   * A running gateway and its simulated upstreams.
   *
   * @param gateway the first gateway instance (every instance listens on the same port)
   * @param instances every gateway instance
   * @param simulator the simulator verticle, or null when disabled
   */
  public record Started(Gateway gateway, List<Gateway> instances, UpstreamSimulator simulator) {
    /** {@return the simulated upstreams' ports by name (empty when disabled)} */
    public Map<String, Integer> simulatorPorts() {
      return simulator == null ? Map.of() : simulator.actualPorts();
    }
  }

  /**
   * Deploys the simulated upstreams (when enabled), then the gateway: once the future succeeds,
   * everything listens, so {@code /health} answering means the whole setup is up.
   */
  public static Future<Started> start(Vertx vertx, GatewayConfig config) {
    // Built here, on the caller's thread: it loads the metrics and logging classes (hundreds of ms
    // on a busy machine), which must not happen on the event loop that completes the simulator's deployment.
    GatewayState state = new GatewayState(config);
    Future<UpstreamSimulator> simulated;
    if (config.simulator().enabled() && !config.simulator().upstreams().isEmpty()) {
      UpstreamSimulator simulator = new UpstreamSimulator(config);
      simulated = vertx.deployVerticle(simulator).map(id -> simulator);
    } else {
      simulated = Future.succeededFuture(null);
    }
    return simulated.compose(simulator -> {
      List<Gateway> instances = new CopyOnWriteArrayList<>();
      return vertx.deployVerticle(() -> {
        Gateway g = new Gateway(config, state);
        instances.add(g);
        return g;
      }, new DeploymentOptions().setInstances(config.http().instances()))
          .map(id -> new Started(instances.get(0), List.copyOf(instances), simulator));
    });
  }

  /**
   * Drains every instance (see {@link Gateway#drain}): stop accepting, let in-flight requests run
   * on for the grace period, then close them (their upstream requests reset).
   */
  public static Future<Void> drain(Started started, Duration grace) {
    List<Future<Void>> drained = new ArrayList<>();
    for (Gateway g : started.instances()) {
      drained.add(g.drain(grace));
    }
    return Future.join(drained).mapEmpty();
  }

  /** Reads the configuration named by {@code args}, or explains in one line why it cannot. */
  static GatewayConfig loadConfig(String[] args) {
    String conf = DEFAULT_CONF;
    Integer instances = null;
    for (int i = 0; i < args.length; i++) {
      String arg = args[i];
      if (arg.equals("-instances") || arg.equals("--instances")) {
        if (i + 1 >= args.length || !args[i + 1].matches("[1-9][0-9]{0,3}")) {
          throw new IllegalArgumentException("-instances needs a whole number from 1 to 9999");
        }
        instances = Integer.parseInt(args[++i]);
      } else if (arg.equals("-conf") || arg.equals("--conf")) {
        if (i + 1 >= args.length) {
          throw new IllegalArgumentException("-conf needs a file name (or inline JSON)");
        }
        conf = args[++i];
      } else if (arg.startsWith("-conf=") || arg.startsWith("--conf=")) {
        conf = arg.substring(arg.indexOf('=') + 1);
      } else {
        throw new IllegalArgumentException("unknown argument '" + arg + "'; usage: GatewayMain [-conf FILE] [-instances N]");
      }
    }
    GatewayConfig config = readConfig(conf);
    if (instances == null) {
      return config;
    }
    GatewayConfig.Http h = config.http();
    return new GatewayConfig(new GatewayConfig.Http(h.host(), h.port(), h.maxConnections(), h.headerTimeout(),
        h.bodyTimeout(), h.idleTimeout(), h.defaultDeadline(), h.maxRequestsInFlight(), h.shutdownGrace(),
        instances, h.accessLog(), h.h2c()), config.upstreams(), config.routes(), config.simulator(), config.admin());
  }

  private static GatewayConfig readConfig(String conf) {
    if (conf.trim().startsWith("{")) { // inline JSON, as the Vert.x launcher accepts
      return GatewayConfig.parse(conf);
    }
    String text;
    try {
      text = Files.readString(Path.of(conf), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new IllegalArgumentException("cannot read config file " + conf + " (" + e + ")");
    }
    try {
      return GatewayConfig.parse(text);
    } catch (ConfigException e) {
      throw new ConfigException(e.path(), e.getMessage().substring(e.path().length() + 2) + " [in " + conf + "]");
    }
  }

  /** Starts the gateway from the command line; see the class comment. */
  public static void main(String[] args) {
    int status = run(args, System.out, System.err);
    if (status != 0) {
      System.exit(status);
    }
    // Vert.x's event-loop threads keep the process alive; Ctrl-C closes it cleanly.
  }

  /** {@return 0 once the gateway listens, or the exit status after printing why it cannot start} */
  static int run(String[] args, PrintStream out, PrintStream err) {
    GatewayConfig config;
    try {
      config = loadConfig(args);
    } catch (ConfigException e) {
      err.println("gateway: refusing to start, bad config: " + e.getMessage());
      return 2;
    } catch (IllegalArgumentException e) {
      err.println("gateway: refusing to start: " + e.getMessage());
      return 2;
    }
    Vertx vertx = Vertx.vertx();
    Started started;
    try {
      started = start(vertx, config).toCompletionStage().toCompletableFuture()
          .get(START_TIMEOUT_SECONDS, TimeUnit.SECONDS);
    } catch (Exception e) {
      Throwable cause = e.getCause() != null ? e.getCause() : e;
      err.println("gateway: failed to start: " + cause);
      vertx.close();
      return 1;
    }
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      try {
        vertx.close().toCompletionStage().toCompletableFuture().get(5, TimeUnit.SECONDS);
      } catch (Exception ignored) {
        // exiting anyway
      }
    }, "gateway-shutdown"));
    onSignals(() -> shutDown(vertx, started, config.http().shutdownGrace(), out));
    printUrls(out, config, started);
    return 0;
  }

  /**
   * SIGTERM and SIGINT drain the gateway and exit 0. A shutdown hook alone would not do: the JVM
   * exits 143 (130) after a signal whatever the hooks do, and an orchestrator reads that as a crash.
   * {@code sun.misc.Signal} (module jdk.unsupported) is the one way a Java 17 program handles them.
   */
  @SuppressWarnings("restriction")
  private static void onSignals(Runnable action) {
    java.util.concurrent.atomic.AtomicBoolean once = new java.util.concurrent.atomic.AtomicBoolean();
    for (String name : List.of("TERM", "INT")) {
      try {
        sun.misc.Signal.handle(new sun.misc.Signal(name), sig -> {
          if (once.compareAndSet(false, true)) {
            new Thread(action, "gateway-drain").start();
          }
        });
      } catch (IllegalArgumentException unavailable) {
        // this platform does not have the signal, or the JVM reserves it: the shutdown hook remains
      }
    }
  }

  private static void shutDown(Vertx vertx, Started started, Duration grace, PrintStream out) {
    out.println("gateway: draining (grace " + grace.toMillis() + " ms)");
    out.flush();
    try {
      drain(started, grace).compose(v -> vertx.close())
          .await(grace.toMillis() + 5_000, TimeUnit.MILLISECONDS);
    } catch (Exception e) {
      out.println("gateway: drain did not finish cleanly: " + e);
    }
    out.println("gateway: stopped");
    out.flush();
    System.exit(0); // after a signal the JVM would otherwise exit 143 (or 130)
  }

  private static void printUrls(PrintStream out, GatewayConfig config, Started started) {
    String host = config.http().host();
    if (host.equals("0.0.0.0") || host.equals("::")) {
      host = "localhost";
    } else if (host.contains(":")) {
      host = "[" + host + "]";
    }
    String base = "http://" + host + ":" + started.gateway().actualPort();
    out.println("vertx-taskgroup gateway listening on " + base);
    if (!started.simulatorPorts().isEmpty()) {
      StringBuilder sims = new StringBuilder();
      started.simulatorPorts().forEach((name, port) -> sims.append(sims.length() == 0 ? "" : ", ").append(name).append(" :").append(port));
      out.println("simulated upstreams: " + sims);
    }
    out.println("try:");
    for (GatewayConfig.Route route : config.routes()) {
      out.println("  curl " + base + route.path().path().replaceAll(":[^/]+", "42"));
    }
    out.println("  curl " + base + "/health");
    out.println("  curl " + base + "/metrics");
    out.flush();
  }
}
