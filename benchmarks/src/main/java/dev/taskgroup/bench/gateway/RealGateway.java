package dev.taskgroup.bench.gateway;

import dev.taskgroup.gateway.GatewayConfig;
import dev.taskgroup.gateway.GatewayMain;
import io.vertx.core.Vertx;

/** Starts the project's gateway ({@link GatewayMain#start}) with the benchmark's configuration. */
final class RealGateway {
  private RealGateway() {}

  /** {@return the port the gateway listens on, once it and its (disabled) simulator are up} */
  static int start(Vertx vertx, String configJson) throws Exception {
    GatewayMain.Started started = GatewayLoadMain.get(GatewayMain.start(vertx, GatewayConfig.parse(configJson)));
    return started.gateway().actualPort();
  }
}
