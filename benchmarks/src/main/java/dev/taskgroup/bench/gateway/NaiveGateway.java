package dev.taskgroup.bench.gateway;

import dev.taskgroup.gateway.GatewayConfig;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The contrast for the load benchmark: the same routes as the real gateway, read from the same
 * {@code gateway.json} ({@link GatewayConfig}), written the obvious way with plain Vert.x
 * ({@code Future.all}, {@code Future.timeout}) and no cancellation. A timed-out call, or the
 * siblings of a failed required call, are abandoned but never aborted: their upstream requests run
 * to the end. Answers: 200 with one field per upstream (optional failures fall back to the
 * configured fallback and are named under {@code errors}), 502 when a required call fails, 504
 * past the route's deadline, 404 for other paths. No limits, timeouts on clients, metrics or
 * request ids: only what the answers need. Each instance has its own upstream clients, each with
 * the upstream's {@code maxConnections}.
 */
public final class NaiveGateway extends VerticleBase {
  private final GatewayConfig config;
  private final Map<String, HttpClientAgent> clients = new HashMap<>(); // written in start()
  private HttpServer server;

  public NaiveGateway(GatewayConfig config) {
    this.config = config;
  }

  public int actualPort() {
    return server.actualPort();
  }

  @Override
  public Future<?> start() {
    for (GatewayConfig.Upstream upstream : config.upstreams().values()) {
      clients.put(upstream.name(), vertx.createHttpClient(new HttpClientOptions().setKeepAlive(true),
          new PoolOptions().setHttp1MaxSize(upstream.maxConnections())));
    }
    server = vertx.createHttpServer().requestHandler(this::handle);
    // Port 0 with several instances: a negative port makes Vert.x share one random port.
    int port = config.http().port();
    return server.listen(port == 0 && config.http().instances() > 1 ? -1 : port, config.http().host());
  }

  private void handle(HttpServerRequest req) {
    String path = req.path();
    for (GatewayConfig.Route route : config.routes()) {
      Map<String, String> params = route.path().match(path);
      if (params != null) {
        serve(route, params, req);
        return;
      }
    }
    req.response().setStatusCode(404).putHeader("content-type", "application/json").end("{\"error\":\"not_found\"}");
  }

  private void serve(GatewayConfig.Route route, Map<String, String> params, HttpServerRequest req) {
    List<GatewayConfig.Call> specs = route.calls();
    List<Future<Object>> calls = new ArrayList<>(specs.size());
    JsonObject errors = new JsonObject();
    for (GatewayConfig.Call call : specs) {
      Future<Object> f = call(config.upstreams().get(call.upstream()), params);
      if (!call.required()) {
        f = f.recover(e -> {
          errors.put(call.upstream(), new JsonObject().put("reason", reason(e)));
          return Future.succeededFuture(Json.decodeValue(call.fallbackJson()));
        });
      }
      calls.add(f);
    }
    Future.all(calls).timeout(route.deadline().toMillis(), TimeUnit.MILLISECONDS).onComplete((all, error) -> {
      if (error == null) {
        JsonObject body = new JsonObject();
        for (int i = 0; i < calls.size(); i++) {
          body.put(specs.get(i).upstream(), calls.get(i).result());
        }
        if (!errors.isEmpty()) {
          body.put("errors", errors);
        }
        req.response().putHeader("content-type", "application/json").end(body.toBuffer());
      } else if (error instanceof TimeoutException && !anyFailed(calls)) {
        req.response().setStatusCode(504).putHeader("content-type", "application/json").end("{\"error\":\"deadline_exceeded\"}");
      } else {
        JsonArray failures = new JsonArray();
        for (int i = 0; i < calls.size(); i++) {
          if (calls.get(i).failed()) {
            failures.add(new JsonObject().put("upstream", specs.get(i).upstream()).put("reason", reason(calls.get(i).cause())));
          }
        }
        req.response().setStatusCode(502).putHeader("content-type", "application/json")
            .end(new JsonObject().put("error", "upstream_failed").put("failures", failures).toBuffer());
      }
    });
  }

  private static boolean anyFailed(List<Future<Object>> calls) {
    for (Future<Object> f : calls) {
      if (f.failed()) {
        return true;
      }
    }
    return false;
  }

  /** One upstream call under its timeout; the timeout only fails the future, the request goes on. */
  private Future<Object> call(GatewayConfig.Upstream upstream, Map<String, String> params) {
    HttpClientAgent client = clients.get(upstream.name());
    Future<Object> answer = client.request(HttpMethod.GET, upstream.url().port(), upstream.url().host(), upstream.url().expand(params))
        .compose(r -> r.send())
        .compose(resp -> resp.body().compose(body -> {
          if (resp.statusCode() / 100 != 2) {
            return Future.failedFuture(new IllegalStateException("status:" + resp.statusCode()));
          }
          return Future.succeededFuture(decode(body));
        }));
    return upstream.timeout() == null ? answer : answer.timeout(upstream.timeout().toMillis(), TimeUnit.MILLISECONDS);
  }

  /**
   * The body's JSON value, parsed as the real gateway parses it ({@code Buffer.toJson()} would be
   * the buffer as a base64 string: no parsing, and a wrong answer).
   */
  private static Object decode(Buffer body) {
    return Json.decodeValue(body);
  }

  private static String reason(Throwable e) {
    if (e instanceof TimeoutException) {
      return "timeout";
    }
    String m = e.getMessage();
    return m != null && m.startsWith("status:") ? m : "connect";
  }
}
