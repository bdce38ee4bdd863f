package dev.taskgroup.gateway;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.function.Function;

/** What the gateway tests send to a gateway on loopback, and the answers as they saw them. */
final class GatewayClient {
  private GatewayClient() {}

  /** One answer: its status, headers and whole body. */
  record Reply(int status, MultiMap headers, String body) {
    JsonObject json() {
      return new JsonObject(body);
    }
  }

  /**
   * Sends {@code options} (and {@code body}, if not null) through {@code via} to 127.0.0.1:{@code port}.
   * {@return the answer} Started on {@code on}, never from the test thread: a Vert.x 5.0.7 client
   * request made off any context could now and then lose its response's end.
   */
  static Future<Reply> send(Context on, HttpClient via, int port, RequestOptions options, Buffer body) {
    options.setHost("127.0.0.1").setPort(port);
    return Future.future(reply -> on.runOnContext(v -> via.request(options)
        .compose(req -> body == null ? req.send() : req.send(body))
        .compose(resp -> resp.body().map(b -> new Reply(resp.statusCode(), resp.headers(), b.toString())))
        .onComplete(reply)));
  }

  /**
   * Sends GET {@code uri} with {@code send} (Vert.x timers, 20 ms apart, for up to {@code patience})
   * until it answers {@code status}. {@return that answer} It fails with the last answer or error.
   */
  static Future<Reply> eventually(Vertx vertx, Function<RequestOptions, Future<Reply>> send, String uri, int status,
      Duration patience) {
    Promise<Reply> result = Promise.promise();
    poll(vertx, send, uri, status, System.nanoTime() + patience.toNanos(), result);
    return result.future();
  }

  private static void poll(Vertx vertx, Function<RequestOptions, Future<Reply>> send, String uri, int status,
      long deadline, Promise<Reply> result) {
    send.apply(new RequestOptions().setURI(uri)).onComplete(ar -> {
      if (ar.succeeded() && ar.result().status() == status) {
        result.complete(ar.result());
      } else if (System.nanoTime() > deadline) {
        result.fail("no " + status + " from " + uri + "; last: " + (ar.succeeded() ? ar.result() : ar.cause()));
      } else {
        vertx.setTimer(20, id -> poll(vertx, send, uri, status, deadline, result));
      }
    });
  }
}
