package dev.taskgroup;

import io.vertx.core.Context;
import io.vertx.core.Vertx;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;

/** Base of the jqwik properties whose tries all run on one context of one health-checked Vert.x. */
abstract class OneContextProperties {
  static final List<String> blockedThreadEvents = new CopyOnWriteArrayList<>();
  static Vertx vertx;
  static Context context;

  @BeforeContainer
  static void startVertx() {
    vertx = VertxTest.healthyVertx(blockedThreadEvents);
    context = vertx.getOrCreateContext();
  }

  @AfterContainer
  static void stopVertx() throws Exception {
    vertx.close().await(10, TimeUnit.SECONDS);
  }
}
