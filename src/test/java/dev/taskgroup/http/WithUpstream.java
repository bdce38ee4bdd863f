package dev.taskgroup.http;

import io.vertx.core.Vertx;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.extension.ExtendWith;

/** Base of the tests that need a recording {@link Upstream}: one per test, on loopback, port 0. */
@ExtendWith(VertxExtension.class)
abstract class WithUpstream {
  Upstream upstream;

  @BeforeEach
  void startUpstream(Vertx vertx, VertxTestContext ctx) {
    Upstream.start(vertx).onComplete(ctx.succeeding(u -> {
      upstream = u;
      ctx.completeNow();
    }));
  }

  @AfterEach
  void stopUpstream(VertxTestContext ctx) {
    upstream.close().onComplete(ar -> ctx.completeNow());
  }
}
