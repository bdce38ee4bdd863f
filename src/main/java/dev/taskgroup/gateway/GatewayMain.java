package dev.taskgroup.gateway;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
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
 */
public final class GatewayMain {
  /** The configuration read when no {@code -conf} is given. */
  public static final String DEFAULT_CONF = "conf/gateway.json";

  private static final long START_TIMEOUT_SECONDS = 8;

  private GatewayMain() {}

  /**
   * A running gateway and its simulated upstreams.
   *
   * @param gateway the gateway verticle
   * @param simulator the simulator verticle, or null when disabled
   */
  public record Started(Gateway gateway, UpstreamSimulator simulator) {
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
    Future<UpstreamSimulator> simulated;
    if (config.simulator().enabled() && !config.simulator().upstreams().isEmpty()) {
      UpstreamSimulator simulator = new UpstreamSimulator(config);
      simulated = vertx.deployVerticle(simulator).map(id -> simulator);
    } else {
      simulated = Future.succeededFuture(null);
    }
    return simulated.compose(simulator -> {
      Gateway gateway = new Gateway(config);
      return vertx.deployVerticle(gateway).map(id -> new Started(gateway, simulator));
    });
  }

  /** Reads the configuration named by {@code args}, or explains in one line why it cannot. */
  static GatewayConfig loadConfig(String[] args) {
    String conf = DEFAULT_CONF;
    for (int i = 0; i < args.length; i++) {
      String arg = args[i];
      if (arg.equals("-conf") || arg.equals("--conf")) {
        if (i + 1 >= args.length) {
          throw new IllegalArgumentException("-conf needs a file name (or inline JSON)");
        }
        conf = args[++i];
      } else if (arg.startsWith("-conf=") || arg.startsWith("--conf=")) {
        conf = arg.substring(arg.indexOf('=') + 1);
      } else {
        throw new IllegalArgumentException("unknown argument '" + arg + "'; usage: GatewayMain [-conf FILE]");
      }
    }
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
    printUrls(out, config, started);
    return 0;
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
