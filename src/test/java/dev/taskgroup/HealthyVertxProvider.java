package dev.taskgroup;

import io.vertx.core.Vertx;
import io.vertx.junit5.ParameterClosingConsumer;
import io.vertx.junit5.VertxExtensionParameterProvider;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.WeakHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;

/**
 * Supplies the {@link Vertx} that {@code VertxExtension} injects (http and gateway tests): the same
 * health-checked instance as {@link VertxTest#healthyVertx}, closed after its test or class, which
 * then fails if an event loop was ever reported blocked. Registered in
 * {@code META-INF/services/io.vertx.junit5.VertxExtensionParameterProvider}.
 */
public final class HealthyVertxProvider implements VertxExtensionParameterProvider<Vertx> {
  private static final Map<Vertx, List<String>> EVENTS = Collections.synchronizedMap(new WeakHashMap<>());

  /** {@return whether {@code vertx} was made here, with the blocked-thread listener} */
  static boolean isHealthChecked(Vertx vertx) {
    return EVENTS.containsKey(vertx);
  }

  @Override
  public Class<Vertx> type() {
    return Vertx.class;
  }

  @Override
  public String key() {
    return "Vertx"; // the key of vertx-junit5's own provider: one instance per test scope, as before
  }

  @Override
  public Vertx newInstance(ExtensionContext extensionContext, ParameterContext parameterContext) {
    List<String> events = new CopyOnWriteArrayList<>();
    Vertx vertx = VertxTest.healthyVertx(events);
    EVENTS.put(vertx, events);
    return vertx;
  }

  @Override
  public ParameterClosingConsumer<Vertx> parameterClosingConsumer() {
    return vertx -> {
      List<String> events = EVENTS.remove(vertx);
      vertx.close().await(30, TimeUnit.SECONDS);
      if (events != null && !events.isEmpty()) {
        throw new AssertionError("blocked event-loop events: " + events);
      }
    };
  }
}
