package dev.taskgroup.bench.gateway;

import io.vertx.core.Future;
import io.vertx.core.Vertx;

/**
 * Starts the project's gateway ({@code dev.taskgroup.gateway.GatewayMain.start}) from a config
 * JSON, through reflection: the gateway lands in the library separately, and the benchmark must
 * build (and report the gateway row as pending) against a library without it.
 */
final class RealGateway {
  private RealGateway() {}

  /** {@return the port the gateway listens on, or null if the gateway is not on the class path} */
  static Integer start(Vertx vertx, String configJson) throws Exception {
    Class<?> configClass;
    Class<?> mainClass;
    try {
      configClass = Class.forName("dev.taskgroup.gateway.GatewayConfig");
      mainClass = Class.forName("dev.taskgroup.gateway.GatewayMain");
    } catch (ClassNotFoundException e) {
      return null;
    }
    Object config = configClass.getMethod("parse", String.class).invoke(null, configJson);
    Future<?> started = (Future<?>) mainClass.getMethod("start", Vertx.class, configClass).invoke(null, vertx, config);
    Object s = GatewayLoadMain.get(started);
    Object gateway = s.getClass().getMethod("gateway").invoke(s);
    return (Integer) gateway.getClass().getMethod("actualPort").invoke(gateway);
  }
}
