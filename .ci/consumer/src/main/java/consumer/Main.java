package consumer;

import dev.taskgroup.TaskFn;
import dev.taskgroup.TaskGroup;
import dev.taskgroup.TaskScope;
import dev.taskgroup.TaskTree;
import dev.taskgroup.http.ScopedHttpClient;
import dev.taskgroup.http.ScopedResponse;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.RequestOptions;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * What a user of the library writes: a fan-out of two HTTP calls with {@code TaskGroup.all} and
 * {@code ScopedHttpClient}, against a loopback server it starts itself. Exits 0 when both answers
 * arrive in order; anything else (including a NoClassDefFoundError for a class the library should
 * not need) exits non-zero.
 */
public final class Main {
  public static void main(String[] args) throws Exception {
    Vertx vertx = Vertx.vertx();
    int status = 1;
    try {
      HttpServer server = vertx.createHttpServer()
          .requestHandler(req -> req.response().end("hello " + req.path()))
          .listen(0, "127.0.0.1")
          .await(10, TimeUnit.SECONDS);
      ScopedHttpClient http = ScopedHttpClient.wrap(vertx.createHttpClient());
      TaskFn<String> a = scope -> get(http, scope, server.actualPort(), "/a");
      TaskFn<String> b = scope -> get(http, scope, server.actualPort(), "/b");
      List<String> bodies = TaskGroup.all(vertx, List.of(a.withTimeout(Duration.ofSeconds(5)), b.withTimeout(Duration.ofSeconds(5))))
          .await(10, TimeUnit.SECONDS);
      // the live task tree needs nothing beyond vertx-core either
      int groups = TaskTree.snapshot(vertx).await(10, TimeUnit.SECONDS).groups().size();
      if (bodies.equals(List.of("hello /a", "hello /b")) && groups == 0) {
        System.out.println("consumer: ok " + bodies);
        status = 0;
      } else {
        System.out.println("consumer: unexpected " + bodies + ", " + groups + " groups open");
      }
    } finally {
      vertx.close().await(10, TimeUnit.SECONDS);
    }
    System.exit(status);
  }

  private static Future<String> get(ScopedHttpClient http, TaskScope scope, int port, String path) {
    RequestOptions options = new RequestOptions().setMethod(HttpMethod.GET).setHost("127.0.0.1").setPort(port).setURI(path);
    return http.send(scope, options).map(ScopedResponse::bodyAsString);
  }
}
