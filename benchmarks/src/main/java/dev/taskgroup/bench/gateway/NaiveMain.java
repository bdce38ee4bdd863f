package dev.taskgroup.bench.gateway;

import dev.taskgroup.gateway.GatewayConfig;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Vertx;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Runs {@link NaiveGateway} on its own, for an external load tool: {@code NaiveMain -conf FILE
 * [-instances N]}, the file a {@code gateway.json} as {@code GatewayMain} reads it (host, port,
 * upstreams, routes; the other settings are ignored). One instance unless {@code -instances} says
 * otherwise: the obvious {@code deployVerticle(new NaiveGateway(config))}, not {@code http.instances}.
 * Runs until killed.
 */
public final class NaiveMain {
  private NaiveMain() {}

  public static void main(String[] args) throws Exception {
    String conf = null;
    int instances = 1;
    for (int i = 0; i < args.length; i++) {
      if (args[i].equals("-conf") && i + 1 < args.length) {
        conf = args[++i];
      } else if (args[i].equals("-instances") && i + 1 < args.length) {
        instances = Integer.parseInt(args[++i]);
      } else {
        throw new IllegalArgumentException("usage: NaiveMain -conf FILE [-instances N]; got " + args[i]);
      }
    }
    if (conf == null) {
      throw new IllegalArgumentException("usage: NaiveMain -conf FILE [-instances N]");
    }
    GatewayConfig config = GatewayConfig.parse(Files.readString(Path.of(conf), StandardCharsets.UTF_8));
    if (instances > 1 && config.http().port() == 0) {
      throw new IllegalArgumentException("several instances need a fixed http.port in " + conf);
    }
    Vertx vertx = Vertx.vertx();
    GatewayLoadMain.get(vertx.deployVerticle(() -> new NaiveGateway(config), new DeploymentOptions().setInstances(instances)));
    System.out.println("naive gateway listening on http://" + config.http().host() + ":" + config.http().port()
        + ", " + instances + " instance(s)");
  }
}
