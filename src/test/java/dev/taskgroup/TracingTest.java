package dev.taskgroup;

import static org.assertj.core.api.Assertions.assertThat;

import dev.taskgroup.http.ScopedHttpClient;
import dev.taskgroup.http.ScopedResponse;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.spi.VertxTracerFactory;
import io.vertx.core.spi.tracing.SpanKind;
import io.vertx.core.spi.tracing.TagExtractor;
import io.vertx.core.spi.tracing.VertxTracer;
import io.vertx.core.tracing.TracingPolicy;
import java.time.Duration;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BiConsumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Tasks run on their group's context, so a tracer's current span (kept per context, as Vert.x's
 * tracers keep it in the request's duplicated context) is the incoming request's in every task:
 * the upstream calls a task makes are children of the request's span. Checked with a fake tracer
 * installed through Vert.x's tracing SPI.
 */
class TracingTest {
  /** One span as the fake tracer saw it: a request served or sent; {@code parent} is null for a root. */
  record Span(int id, Integer parent, boolean served, String path) {}

  /** A tracer that keeps the current span per context and passes it to upstreams in a header. */
  static final class FakeTracer implements VertxTracer<Span, Span> {
    final List<Span> spans = new CopyOnWriteArrayList<>();
    private final Map<Context, Span> current = Collections.synchronizedMap(new IdentityHashMap<>());
    private final AtomicInteger ids = new AtomicInteger();

    @Override
    public <R> Span receiveRequest(Context context, SpanKind kind, TracingPolicy policy, R request, String operation,
                                   Iterable<Map.Entry<String, String>> headers, TagExtractor<R> tagExtractor) {
      Integer parent = null;
      for (Map.Entry<String, String> h : headers) {
        if (h.getKey().equalsIgnoreCase("x-fake-span")) {
          parent = Integer.valueOf(h.getValue());
        }
      }
      Span span = new Span(ids.incrementAndGet(), parent, true, path(request, tagExtractor));
      spans.add(span);
      current.put(context, span);
      return span;
    }

    @Override
    public <R> Span sendRequest(Context context, SpanKind kind, TracingPolicy policy, R request, String operation,
                                BiConsumer<String, String> headers, TagExtractor<R> tagExtractor) {
      Span parent = current.get(context);
      Span span = new Span(ids.incrementAndGet(), parent == null ? null : parent.id(), false, path(request, tagExtractor));
      spans.add(span);
      headers.accept("x-fake-span", Integer.toString(span.id()));
      return span;
    }

    private static <R> String path(R request, TagExtractor<R> tags) {
      Map<String, String> extracted = tags.extract(request);
      String url = extracted.getOrDefault("url.full", extracted.getOrDefault("http.url", extracted.getOrDefault("url.path", "?")));
      int scheme = url.indexOf("://");
      return scheme < 0 ? url : url.substring(url.indexOf('/', scheme + 3));
    }
  }

  private final FakeTracer tracer = new FakeTracer();
  private final List<String> blocked = new CopyOnWriteArrayList<>();
  private Vertx vertx;

  @BeforeEach
  void start() {
    VertxTracerFactory factory = options -> tracer;
    vertx = VertxTest.healthyVertx(blocked, factory);
  }

  @AfterEach
  void stop() {
    VertxTest.completion(vertx.close(), Duration.ofSeconds(10));
    assertThat(blocked).isEmpty();
  }

  @Test
  void upstreamCallsMadeInTasksAreChildrenOfTheIncomingRequestsSpan() {
    HttpServer upstream = VertxTest.completion(vertx.createHttpServer()
        .requestHandler(req -> req.response().end("ok " + req.path())).listen(0, "127.0.0.1"), Duration.ofSeconds(10)).result();
    ScopedHttpClient http = ScopedHttpClient.wrap(vertx.createHttpClient());
    List<Boolean> onRequestContext = new CopyOnWriteArrayList<>();
    HttpServer front = VertxTest.completion(vertx.createHttpServer().requestHandler(req -> {
      Context requestContext = Vertx.currentContext();
      TaskFn<String> direct = scope -> {
        onRequestContext.add(Vertx.currentContext() == requestContext);
        return call(http, scope, upstream.actualPort(), "/a");
      };
      TaskFn<String> afterATimer = scope -> scope.sleep(Duration.ofMillis(5)).compose(v -> {
        onRequestContext.add(Vertx.currentContext() == requestContext);
        return call(http, scope, upstream.actualPort(), "/b");
      });
      TaskFn<String> nested = scope -> TaskGroup.run(scope, g -> g.spawn(inner -> call(http, inner, upstream.actualPort(), "/c")).future());
      TaskGroup.all(vertx, List.of(direct, afterATimer, nested))
          .onComplete(ar -> req.response().end(ar.succeeded() ? String.join(",", ar.result()) : "failed: " + ar.cause()));
    }).listen(0, "127.0.0.1"), Duration.ofSeconds(10)).result();

    // held in a variable and closed after: Vert.x closes a client that nothing references on the next
    // collection, failing its request in flight with "Pool closed"
    io.vertx.core.http.HttpClient client = vertx.createHttpClient();
    String body = VertxTest.completion(client.request(HttpMethod.GET, front.actualPort(), "127.0.0.1", "/front")
        .compose(req -> req.send().compose(resp -> resp.body())), Duration.ofSeconds(10)).result().toString();
    VertxTest.completion(client.close(), Duration.ofSeconds(10));

    assertThat(body).isEqualTo("ok /a,ok /b,ok /c");
    assertThat(onRequestContext).containsExactly(true, true);
    Span incoming = tracer.spans.stream().filter(s -> s.served() && s.path().equals("/front")).findFirst().orElseThrow();
    for (String path : List.of("/a", "/b", "/c")) {
      Span call = tracer.spans.stream().filter(s -> !s.served() && s.path().equals(path)).findFirst().orElseThrow();
      assertThat(call.parent()).as("parent of the call to " + path).isEqualTo(incoming.id());
      Span served = tracer.spans.stream().filter(s -> s.served() && s.path().equals(path)).findFirst().orElseThrow();
      assertThat(served.parent()).as("the upstream's span for " + path + " continues the call's").isEqualTo(call.id());
    }
  }

  private static Future<String> call(ScopedHttpClient http, TaskScope scope, int port, String path) {
    RequestOptions options = new RequestOptions().setMethod(HttpMethod.GET).setHost("127.0.0.1").setPort(port).setURI(path);
    return http.send(scope, options).map(ScopedResponse::bodyAsString);
  }
}
