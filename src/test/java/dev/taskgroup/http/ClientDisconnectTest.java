package dev.taskgroup.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.taskgroup.TaskGroup;
import dev.taskgroup.VertxTest;
import io.vertx.core.AsyncResult;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.net.NetSocket;
import io.vertx.junit5.VertxExtension;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** A group bound to a server request ends when its client goes away, and only then. */
@ExtendWith(VertxExtension.class)
class ClientDisconnectTest {
  private static final Duration PATIENCE = Duration.ofSeconds(5);

  /** What the server's one request did: the group's end and whether the binding says the client left. */
  private record Served(Promise<Void> groupEnded, Promise<ClientDisconnect> binding) {}

  private static <T> T await(Future<T> future) {
    AsyncResult<T> done = VertxTest.completion(future, PATIENCE);
    assertThat(done.succeeded()).as("succeeded: %s", done.cause()).isTrue();
    return done.result();
  }

  /** A server whose request handler runs a group bound to the request: one long sleep, or an answer at once. */
  private static int serve(Vertx vertx, Served served, boolean answer) {
    HttpServer server = vertx.createHttpServer().requestHandler(req -> TaskGroup.run(vertx, group -> {
      ClientDisconnect gone = ClientDisconnect.cancel(req, group);
      served.binding().complete(gone);
      if (answer) {
        req.response().end("ok");
      }
      group.spawn(scope -> scope.sleep(Duration.ofMinutes(10)));
      return Future.succeededFuture();
    }).onComplete(ar -> served.groupEnded().handle(ar.mapEmpty())));
    return await(server.listen(0, "127.0.0.1")).actualPort();
  }

  @Test
  void aClientThatClosesItsConnectionCancelsTheGroupCleanly(Vertx vertx) {
    Served served = new Served(Promise.promise(), Promise.promise());
    int port = serve(vertx, served, false);
    NetSocket socket = await(vertx.createNetClient().connect(port, "127.0.0.1"));
    socket.write("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    ClientDisconnect gone = await(served.binding().future());

    await(socket.close());

    await(served.groupEnded().future()); // completes without error, long before the ten-minute sleep
    assertThat(gone.happened()).isTrue();
  }

  @Test
  void aConnectionClosedAfterTheAnswerCancelsNothing(Vertx vertx) throws Exception {
    Served served = new Served(Promise.promise(), Promise.promise());
    int port = serve(vertx, served, true);
    NetSocket socket = await(vertx.createNetClient().connect(port, "127.0.0.1"));
    Promise<Void> answered = Promise.promise();
    socket.handler(b -> answered.tryComplete());
    socket.write("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    await(answered.future());

    await(socket.close());

    ClientDisconnect gone = await(served.binding().future());
    assertThat(gone.happened()).isFalse();
    assertThat(served.groupEnded().future().isComplete()).isFalse(); // its sleep still runs
    try {
      served.groupEnded().future().await(200, TimeUnit.MILLISECONDS);
      throw new AssertionError("the group ended although its client left only after the answer");
    } catch (java.util.concurrent.TimeoutException expected) {
      // still running: nothing cancelled it
    }
  }
}
