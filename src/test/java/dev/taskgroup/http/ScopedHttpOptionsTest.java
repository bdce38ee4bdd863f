package dev.taskgroup.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.taskgroup.TaskGroup;
import dev.taskgroup.VertxTest;
import io.vertx.core.AsyncResult;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import io.vertx.junit5.VertxExtension;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * {@link ScopedHttpClient#send}'s options are copied before it returns on the scope's context: a
 * caller may refill one instance for its next call at once (the gateway does, per upstream).
 */
@ExtendWith(VertxExtension.class)
class ScopedHttpOptionsTest {
  private static final Duration PATIENCE = Duration.ofSeconds(5);

  @Test
  void optionsRefilledRightAfterSendDoNotChangeTheRequestsAlreadySent(Vertx vertx) {
    HttpServer server = vertx.createHttpServer()
        .requestHandler(req -> req.response().end(req.path() + " " + req.getHeader("x-n")));
    int port = VertxTest.completion(server.listen(0, "127.0.0.1"), PATIENCE).result().actualPort();
    // One connection: the second request waits in the pool's queue, the first for the connect.
    ScopedHttpClient http = ScopedHttpClient.wrap(
        vertx.createHttpClient(new HttpClientOptions(), new PoolOptions().setHttp1MaxSize(1)));
    RequestOptions options = new RequestOptions().setHost("127.0.0.1").setPort(port);

    Future<List<String>> bodies = TaskGroup.run(vertx, group -> group.spawn(scope -> {
      Future<ScopedResponse> first = http.send(scope, options.setURI("/one").putHeader("x-n", "1"));
      Future<ScopedResponse> second = http.send(scope, options.setURI("/two").putHeader("x-n", "2"));
      options.setURI("/three").putHeader("x-n", "3");
      return Future.all(first, second).map(all -> List.of(first.result().body().toString(),
          second.result().body().toString()));
    }).future());
    AsyncResult<List<String>> result = VertxTest.completion(bodies, PATIENCE);

    assertThat(result.succeeded()).as("%s", result.cause()).isTrue();
    assertThat(result.result()).containsExactly("/one 1", "/two 2");
  }
}
