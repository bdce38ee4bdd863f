package dev.taskgroup.http;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.http.StreamResetException;
import io.vertx.core.json.JsonObject;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A real Vert.x HTTP server on 127.0.0.1, port 0, speaking HTTP/1.1 and h2c (prior knowledge),
 * that records what it observes per request id (the {@code id} query parameter): when the request
 * arrived, and when and how it was aborted (connection closed, or stream reset).
 *
 * <p>Routes: {@code /slow} never answers; {@code /fast} answers {@code {"ok":true}};
 * {@code /status/NNN} answers that status; {@code /trickle} sends the head and one chunk of the
 * body, then nothing; {@code /halfbody?size=N} declares a body of N bytes, sends the first half
 * and the rest only once {@link #releaseRest} is called; {@code /delayed?ms=N} answers after N ms; {@code /deadline} answers what
 * {@link DeadlineHeader#read} made of the request; {@code /users/ID} answers {@code {"user":"ID"}}.
 */
final class Upstream {
  /** How a request ended without being answered. */
  enum AbortKind { CONNECTION_CLOSED, STREAM_RESET }

  /** One abort seen by the server: when (System.nanoTime) and how. */
  record Abort(long atNanos, AbortKind kind) {}

  final HttpServer server;
  /** Ids of every request that reached the server, in any order. */
  final Set<String> receivedIds = ConcurrentHashMap.newKeySet();
  final AtomicInteger connectionsOpened = new AtomicInteger();
  final AtomicInteger connectionsClosed = new AtomicInteger();
  private final Map<String, Promise<Long>> received = new ConcurrentHashMap<>();
  private final Map<String, Promise<Abort>> aborted = new ConcurrentHashMap<>();
  private final Map<String, Promise<Void>> firstChunk = new ConcurrentHashMap<>();
  private final Map<String, Promise<Void>> rest = new ConcurrentHashMap<>();
  private final Map<String, Promise<Void>> answered = new ConcurrentHashMap<>();

  private Upstream(HttpServer server) {
    this.server = server;
  }

  static Future<Upstream> start(Vertx vertx) {
    HttpServer server = vertx.createHttpServer(new HttpServerOptions().setHost("127.0.0.1").setPort(0)
        .setHttp2ClearTextEnabled(true));
    Upstream upstream = new Upstream(server);
    server.connectionHandler(upstream::connected).requestHandler(upstream::handle);
    return server.listen().map(s -> upstream);
  }

  int port() {
    return server.actualPort();
  }

  /** {@return a future of the System.nanoTime at which request {@code id} arrived} */
  Future<Long> received(String id) {
    return received.computeIfAbsent(id, k -> Promise.promise()).future();
  }

  /** {@return a future of the abort of request {@code id} as the server saw it} */
  Future<Abort> aborted(String id) {
    return aborted.computeIfAbsent(id, k -> Promise.promise()).future();
  }

  /** {@return a future that completes once the first body chunk of {@code /trickle?id=id} was written} */
  Future<Void> firstChunkWritten(String id) {
    return firstChunk.computeIfAbsent(id, k -> Promise.promise()).future();
  }

  /** Lets {@code /halfbody?id=id} send the rest of its body. */
  void releaseRest(String id) {
    rest.computeIfAbsent(id, k -> Promise.promise()).tryComplete();
  }

  /** {@return a future that completes once the whole response to request {@code id} was written} */
  Future<Void> answered(String id) {
    return answered.computeIfAbsent(id, k -> Promise.promise()).future();
  }

  private void connected(HttpConnection connection) {
    connectionsOpened.incrementAndGet();
    connection.closeHandler(v -> connectionsClosed.incrementAndGet());
  }

  private void handle(HttpServerRequest request) {
    String id = request.getParam("id", "anonymous");
    receivedIds.add(id);
    received.computeIfAbsent(id, k -> Promise.promise()).tryComplete(System.nanoTime());
    Promise<Abort> abort = aborted.computeIfAbsent(id, k -> Promise.promise());
    request.response().exceptionHandler(e -> abort.tryComplete(new Abort(System.nanoTime(),
        e instanceof StreamResetException ? AbortKind.STREAM_RESET : AbortKind.CONNECTION_CLOSED)));
    request.response().closeHandler(v -> {
      if (!request.response().ended()) {
        abort.tryComplete(new Abort(System.nanoTime(), AbortKind.CONNECTION_CLOSED));
      }
    });
    String path = request.path();
    if (path.equals("/slow")) {
      return; // never answers
    }
    if (path.equals("/fast")) {
      request.response().putHeader("content-type", "application/json").end("{\"ok\":true}");
    } else if (path.startsWith("/status/")) {
      int status = Integer.parseInt(path.substring("/status/".length()));
      request.response().setStatusCode(status).putHeader("content-type", "application/json")
          .end(new JsonObject().put("status", status).encode());
    } else if (path.equals("/trickle")) {
      request.response().setChunked(true).write("first chunk of a body that never ends\n")
          .onComplete(ar -> firstChunk.computeIfAbsent(id, k -> Promise.promise()).tryComplete());
    } else if (path.equals("/halfbody")) {
      int size = Integer.parseInt(request.getParam("size", "2000"));
      HttpServerResponse response = request.response().putHeader("content-length", String.valueOf(size));
      response.write("x".repeat(size / 2))
          .onComplete(ar -> firstChunk.computeIfAbsent(id, k -> Promise.promise()).tryComplete());
      rest.computeIfAbsent(id, k -> Promise.promise()).future().onComplete(v -> {
        if (!response.closed()) {
          response.end("x".repeat(size - size / 2))
              .onSuccess(done -> answered.computeIfAbsent(id, k -> Promise.promise()).tryComplete());
        }
      });
    } else if (path.equals("/delayed")) {
      long ms = Long.parseLong(request.getParam("ms", "100"));
      request.response().setChunked(false);
      Vertx.currentContext().owner().setTimer(ms, t -> {
        if (!request.response().closed()) {
          request.response().end("{\"delayed\":" + ms + "}");
        }
      });
    } else if (path.startsWith("/users/")) {
      request.response().putHeader("content-type", "application/json")
          .end(new JsonObject().put("user", path.substring("/users/".length())).encode());
    } else if (path.equals("/deadline")) {
      JsonObject seen = new JsonObject().put("raw", request.getHeader(DeadlineHeader.NAME));
      DeadlineHeader.read(request).ifPresent(d -> seen.put("ms", d.toMillis()));
      request.response().putHeader("content-type", "application/json").end(seen.encode());
    } else {
      request.response().setStatusCode(404).end();
    }
  }

  Future<Void> close() {
    return server.close();
  }
}
