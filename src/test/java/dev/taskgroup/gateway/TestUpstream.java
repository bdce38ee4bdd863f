package dev.taskgroup.gateway;

import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * An upstream that a test controls: it answers as told (at once, after a delay, never, or by
 * closing the connection) and records what reached it: each request, when it arrived, and whether
 * its connection was closed before it was answered (the gateway aborting it).
 */
final class TestUpstream {
  /** One request as the upstream saw it ({@code accept}: every Accept header it carried, joined). */
  record Seen(String uri, String deadlineHeader, String requestId, String accept, long arrivedNanos) {}

  final String name;
  private final Vertx vertx;
  private final HttpServer server;
  private volatile Handler<HttpServerRequest> behaviour;

  final List<Seen> requests = new CopyOnWriteArrayList<>();
  /** Completes with {@link System#nanoTime()} when the first request arrives. */
  final CompletableFuture<Long> arrived = new CompletableFuture<>();
  /** Completes with {@link System#nanoTime()} when a request's connection closes before its answer. */
  final CompletableFuture<Long> aborted = new CompletableFuture<>();
  /** Completes with {@link System#nanoTime()} just before the first answer is written. */
  final CompletableFuture<Long> answered = new CompletableFuture<>();

  private TestUpstream(Vertx vertx, String name) {
    this.vertx = vertx;
    this.name = name;
    this.server = vertx.createHttpServer().requestHandler(this::handle);
    answersJson(200, new JsonObject().put("from", name));
  }

  static TestUpstream start(Vertx vertx, String name) {
    TestUpstream upstream = new TestUpstream(vertx, name);
    Await.result(upstream.server.listen(0, "127.0.0.1"));
    return upstream;
  }

  int port() {
    return server.actualPort();
  }

  /** {@return this upstream's URL template: {@code http://127.0.0.1:PORT/NAME/{userId}}} */
  String url() {
    return "http://127.0.0.1:" + port() + "/" + name + "/{userId}";
  }

  Future<Void> close() {
    return server.close();
  }

  TestUpstream answersJson(int status, JsonObject body) {
    return answers(status, body.encode(), 0);
  }

  /** Answers {@code status} with {@code body} after {@code delayMs} (a Vert.x timer, no sleeping). */
  TestUpstream answers(int status, String body, long delayMs) {
    behaviour = req -> {
      HttpServerResponse resp = req.response();
      Runnable reply = () -> {
        if (!resp.closed() && !resp.ended()) {
          answered.complete(System.nanoTime()); // before end(): the gateway may act on it at once
          resp.setStatusCode(status).putHeader("content-type", "application/json").end(body);
        }
      };
      if (delayMs <= 0) {
        reply.run();
      } else {
        long timer = vertx.setTimer(delayMs, id -> reply.run());
        resp.closeHandler(v -> {
          vertx.cancelTimer(timer);
          aborted.complete(System.nanoTime());
        });
      }
    };
    return this;
  }

  /**
   * Answers 200 with a chunked JSON array that grows by {@code chunkBytes} every few milliseconds,
   * {@code chunks} times; {@link #aborted} completes if the gateway closes it before the end.
   */
  TestUpstream streams(int chunkBytes, int chunks) {
    behaviour = req -> {
      HttpServerResponse resp = req.response().setChunked(true).putHeader("content-type", "application/json");
      resp.closeHandler(v -> {
        if (!resp.ended()) {
          aborted.complete(System.nanoTime());
        }
      });
      resp.write("[0");
      String chunk = ",1".repeat(chunkBytes / 2);
      int[] left = {chunks};
      vertx.setPeriodic(5, id -> {
        if (resp.closed() || resp.ended()) {
          vertx.cancelTimer(id);
        } else if (left[0]-- > 0) {
          resp.write(chunk);
        } else {
          vertx.cancelTimer(id);
          resp.end("]");
        }
      });
    };
    return this;
  }

  /** Never answers: only an abort ends the request. */
  TestUpstream hangs() {
    behaviour = req -> req.response().closeHandler(v -> aborted.complete(System.nanoTime()));
    return this;
  }

  /** The first request never gets an answer (only an abort ends it); later ones get the behaviour set so far. */
  TestUpstream firstHangs() {
    Handler<HttpServerRequest> later = behaviour;
    behaviour = req -> {
      if (requests.size() == 1) {
        req.response().closeHandler(v -> aborted.complete(System.nanoTime()));
      } else {
        later.handle(req);
      }
    };
    return this;
  }

  /** The first request is answered {@code status} at once; later ones get the behaviour set so far. */
  TestUpstream firstAnswers(int status) {
    Handler<HttpServerRequest> later = behaviour;
    behaviour = req -> {
      if (requests.size() == 1) {
        req.response().setStatusCode(status).putHeader("content-type", "application/json").end("{}");
      } else {
        later.handle(req);
      }
    };
    return this;
  }

  /** Closes the connection without answering. */
  TestUpstream closesConnection() {
    behaviour = req -> req.connection().close();
    return this;
  }

  private void handle(HttpServerRequest req) {
    long now = System.nanoTime();
    requests.add(new Seen(req.uri(), req.getHeader("x-taskgroup-deadline-ms"), req.getHeader("x-request-id"), String.join(", ", req.headers().getAll("accept")), now));
    arrived.complete(now);
    behaviour.handle(req);
  }
}
