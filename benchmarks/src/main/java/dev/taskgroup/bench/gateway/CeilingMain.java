package dev.taskgroup.bench.gateway;

import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;

/**
 * The ceiling of the load benchmark: a plain Vert.x HTTP server answering every request at once with
 * the same constant JSON, shaped like a gateway's success answer (three upstreams' objects). No
 * gateway can be faster on this machine with this load tool.
 *
 * <p>Usage: {@code java -cp benchmarks.jar dev.taskgroup.bench.gateway.CeilingMain port=19113
 * instances=2} (default: one instance per available processor, as the gateway). Runs until killed.
 */
public final class CeilingMain {
  private CeilingMain() {}

  public static void main(String[] args) throws Exception {
    var opts = GatewayLoadMain.options(args);
    int port = Integer.parseInt(opts.getOrDefault("port", "19113"));
    int instances = Integer.parseInt(opts.getOrDefault("instances", Integer.toString(Runtime.getRuntime().availableProcessors())));
    Buffer body = Buffer.buffer("{\"a\":{\"upstream\":\"a\",\"id\":\"42\",\"value\":42},"
        + "\"b\":{\"upstream\":\"b\",\"id\":\"42\",\"value\":42},\"c\":{\"upstream\":\"c\",\"id\":\"42\",\"value\":42}}");
    Vertx vertx = Vertx.vertx();
    GatewayLoadMain.get(vertx.deployVerticle(() -> new VerticleBase() {
      @Override
      public Future<?> start() {
        return vertx.createHttpServer()
            .requestHandler(req -> req.response().putHeader("content-type", "application/json").end(body))
            .listen(port, "127.0.0.1");
      }
    }, new DeploymentOptions().setInstances(instances)));
    System.out.println("ceiling listening on http://127.0.0.1:" + port + ", " + instances + " instance(s)");
  }
}
