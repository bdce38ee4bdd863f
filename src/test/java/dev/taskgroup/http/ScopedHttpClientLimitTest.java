package dev.taskgroup.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.taskgroup.TaskGroup;
import dev.taskgroup.VertxTest;
import io.vertx.core.AsyncResult;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.http.RequestOptions;
import io.vertx.junit5.VertxExtension;
import java.time.Duration;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** {@link ScopedHttpClient#maxResponseBytes}: a body past the limit fails the call and resets its request at once. */
@ExtendWith(VertxExtension.class)
class ScopedHttpClientLimitTest {
  private static final Duration PATIENCE = Duration.ofSeconds(5);
  private static final int LIMIT = 1024;

  private Vertx vertx;
  private int port;
  private ScopedHttpClient http;
  /** Completes when the endless stream's connection closes before its end. */
  private final Promise<Void> streamAborted = Promise.promise();

  @BeforeEach
  void start(Vertx vertx) {
    this.vertx = vertx;
    HttpServer server = vertx.createHttpServer().requestHandler(req -> {
      HttpServerResponse resp = req.response();
      switch (req.path()) {
        case "/small" -> resp.end("x".repeat(LIMIT));
        case "/declared" -> resp.end("x".repeat(LIMIT + 1));
        case "/chunks" -> { // three chunks, each written on its own turn of the loop
          resp.setChunked(true).write("a".repeat(300));
          vertx.setTimer(5, t -> {
            resp.write("b".repeat(300));
            vertx.setTimer(5, t2 -> resp.end("c".repeat(300)));
          });
        }
        default -> { // endless chunks until the client goes away
          resp.setChunked(true).closeHandler(v -> streamAborted.tryComplete());
          vertx.setPeriodic(2, id -> {
            if (resp.closed()) {
              vertx.cancelTimer(id);
            } else {
              resp.write("y".repeat(512));
            }
          });
        }
      }
    });
    port = VertxTest.completion(server.listen(0, "127.0.0.1"), PATIENCE).result().actualPort();
    http = ScopedHttpClient.wrap(vertx.createHttpClient()).maxResponseBytes(LIMIT);
  }

  private AsyncResult<ScopedResponse> get(String path) {
    Future<ScopedResponse> call = TaskGroup.run(vertx, group -> group.spawn(scope ->
        http.send(scope, new RequestOptions().setHost("127.0.0.1").setPort(port).setURI(path))).future());
    return VertxTest.completion(call, PATIENCE);
  }

  private static Throwable rootOf(Throwable t) {
    return t.getCause() != null && !(t instanceof ResponseTooLargeException) ? rootOf(t.getCause()) : t;
  }

  @Test
  void aBodyOfExactlyTheLimitIsRead() {
    AsyncResult<ScopedResponse> r = get("/small");

    assertThat(r.succeeded()).isTrue();
    assertThat(r.result().body().length()).isEqualTo(LIMIT);
  }

  @Test
  void aBodyOfSeveralChunksUnderTheLimitIsReadWholeAndInOrder() {
    AsyncResult<ScopedResponse> r = get("/chunks");

    assertThat(r.succeeded()).isTrue();
    assertThat(r.result().body().toString()).isEqualTo("a".repeat(300) + "b".repeat(300) + "c".repeat(300));
  }

  @Test
  void aDeclaredLengthPastTheLimitFailsWithResponseTooLarge() {
    AsyncResult<ScopedResponse> r = get("/declared");

    assertThat(r.failed()).isTrue();
    assertThat(rootOf(r.cause())).isInstanceOf(ResponseTooLargeException.class).hasMessageContaining("1025 bytes");
  }

  @Test
  void aStreamedBodyPastTheLimitFailsAndItsRequestIsResetAtOnce() {
    AsyncResult<ScopedResponse> r = get("/endless");

    assertThat(r.failed()).isTrue();
    assertThat(rootOf(r.cause())).isInstanceOf(ResponseTooLargeException.class);
    assertThat(VertxTest.completion(streamAborted.future(), PATIENCE).succeeded()).as("the server saw the reset").isTrue();
  }
}
