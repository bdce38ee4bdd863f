package dev.taskgroup.gateway;

import dev.taskgroup.TaskTree;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.SocketAddress;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Duration;

/**
 * {@code /admin/tasks}: the gateway's running task groups, one per request in flight, with their
 * calls, their ages and what they wait for, as JSON ({@link TaskTree#toJson()}) or, with
 * {@code ?format=text}, as the indented text of {@link TaskTree#toText()}. Served only when
 * {@code admin.tasks} is true, and to loopback clients only unless {@code admin.allowRemote} is:
 * the tree names routes and upstreams, which is nobody else's business.
 *
 * <p>Each answer is a fresh snapshot: taking it hops to each group's event loop and back (a loop
 * that does not answer within {@link #SNAPSHOT_TIMEOUT} shows its groups as {@code UNRESPONSIVE}),
 * so a scrape never reads a group from another thread. Called on the request's context.
 */
final class AdminTasks {
  /** The path served. */
  static final String PATH = "/admin/tasks";
  /** How long an answer waits for a busy event loop before marking its groups unresponsive. */
  static final Duration SNAPSHOT_TIMEOUT = Duration.ofSeconds(1);

  /** One answer: status, content type, body. */
  record Answer(int status, String contentType, Buffer body) {
    static Answer json(int status, JsonObject body) {
      return new Answer(status, "application/json", body.toBuffer());
    }
  }

  private final Vertx vertx;
  private final GatewayConfig.Admin config;

  AdminTasks(Vertx vertx, GatewayConfig.Admin config) {
    this.vertx = vertx;
    this.config = config;
  }

  /** {@return whether {@link #PATH} is served at all} */
  boolean enabled() {
    return config.tasks();
  }

  /** {@return the answer to a GET or HEAD of {@link #PATH}}, completed on the request's context */
  Future<Answer> answer(HttpServerRequest req) {
    if (!config.allowRemote() && !loopback(req.remoteAddress())) {
      return Future.succeededFuture(Answer.json(403, new JsonObject().put("error", "forbidden")
          .put("message", PATH + " answers loopback clients only (admin.allowRemote is false)")));
    }
    String format = req.getParam("format", "json");
    if (!format.equals("json") && !format.equals("text")) {
      return Future.succeededFuture(Answer.json(400, new JsonObject().put("error", "bad_request")
          .put("message", "format must be json or text, got '" + format + "'")));
    }
    return TaskTree.snapshot(vertx, SNAPSHOT_TIMEOUT).map(tree -> format.equals("text")
        ? new Answer(200, "text/plain; charset=utf-8", Buffer.buffer(tree.toText()))
        : Answer.json(200, tree.toJson()));
  }

  /** {@return whether {@code address} is a loopback one} The host is an IP literal: no name is looked up. */
  static boolean loopback(SocketAddress address) {
    if (address == null || address.hostAddress() == null) {
      return false; // a Unix domain socket, or unknown: not trusted
    }
    try {
      return InetAddress.getByName(address.hostAddress()).isLoopbackAddress();
    } catch (UnknownHostException e) {
      return false;
    }
  }
}
