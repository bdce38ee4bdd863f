package dev.taskgroup.bench.gateway;

import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The contrast for the load benchmark: the same routes as the real gateway, written the obvious way
 * with plain Vert.x ({@code Future.all}, {@code Future.timeout}) and no cancellation. A timed-out
 * call, or the siblings of a failed required call, are abandoned but never aborted: their upstream
 * requests run to the end. Answers: 200 with one field per upstream (optional failures fall back to
 * {@code null} and are named under {@code errors}), 502 when a required call fails, 504 past the
 * route's deadline, 404 for other paths.
 */
public final class NaiveGateway extends VerticleBase {
  private final List<RouteSpec> routes;
  private final Map<String, String> upstreamUrls; // name -> URL template with {id}
  private final Map<String, HttpClientAgent> clients = new HashMap<>(); // written in start()
  private final Map<String, int[]> targets = new HashMap<>(); // name -> port
  private HttpServer server;

  public NaiveGateway(List<RouteSpec> routes, Map<String, String> upstreamUrls) {
    this.routes = routes;
    this.upstreamUrls = upstreamUrls;
  }

  public int actualPort() {
    return server.actualPort();
  }

  @Override
  public Future<?> start() {
    for (Map.Entry<String, String> e : upstreamUrls.entrySet()) {
      // The same pool bound as the real gateway's default: 64 connections per upstream.
      clients.put(e.getKey(), vertx.createHttpClient(new HttpClientOptions().setKeepAlive(true),
          new PoolOptions().setHttp1MaxSize(64)));
      String url = e.getValue();
      int port = Integer.parseInt(url.substring(url.lastIndexOf(':') + 1, url.indexOf('/', url.lastIndexOf(':'))));
      targets.put(e.getKey(), new int[] {port});
    }
    server = vertx.createHttpServer().requestHandler(this::handle);
    return server.listen(0, "127.0.0.1");
  }

  private void handle(HttpServerRequest req) {
    String path = req.path();
    for (RouteSpec route : routes) {
      String prefix = "/api/" + route.name() + "/";
      if (path.startsWith(prefix) && path.indexOf('/', prefix.length()) < 0) {
        serve(route, path.substring(prefix.length()), req);
        return;
      }
    }
    req.response().setStatusCode(404).putHeader("content-type", "application/json").end("{\"error\":\"not_found\"}");
  }

  private void serve(RouteSpec route, String id, HttpServerRequest req) {
    List<Future<Object>> calls = new ArrayList<>(route.calls().size());
    JsonObject errors = new JsonObject();
    for (RouteSpec.Call call : route.calls()) {
      Future<Object> f = call(call, id);
      if (!call.required()) {
        f = f.recover(e -> {
          errors.put(call.upstream(), new JsonObject().put("reason", reason(e)));
          return Future.succeededFuture(null);
        });
      }
      calls.add(f);
    }
    Future.all(calls).timeout(route.deadlineMs(), java.util.concurrent.TimeUnit.MILLISECONDS).onComplete((all, error) -> {
      if (error == null) {
        JsonObject body = new JsonObject();
        for (int i = 0; i < calls.size(); i++) {
          body.put(route.calls().get(i).upstream(), calls.get(i).result());
        }
        if (!errors.isEmpty()) {
          body.put("errors", errors);
        }
        req.response().putHeader("content-type", "application/json").end(body.toBuffer());
      } else if (error instanceof java.util.concurrent.TimeoutException && !anyFailed(calls)) {
        req.response().setStatusCode(504).putHeader("content-type", "application/json").end("{\"error\":\"deadline_exceeded\"}");
      } else {
        JsonArray failures = new JsonArray();
        for (int i = 0; i < calls.size(); i++) {
          if (calls.get(i).failed()) {
            failures.add(new JsonObject().put("upstream", route.calls().get(i).upstream()).put("reason", reason(calls.get(i).cause())));
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
  private Future<Object> call(RouteSpec.Call call, String id) {
    HttpClientAgent client = clients.get(call.upstream());
    String uri = "/" + call.upstream() + "/" + id;
    return client.request(HttpMethod.GET, targets.get(call.upstream())[0], "127.0.0.1", uri)
        .compose(r -> r.send())
        .compose(resp -> resp.body().compose(body -> {
          if (resp.statusCode() / 100 != 2) {
            return Future.failedFuture(new IllegalStateException("status:" + resp.statusCode()));
          }
          return Future.succeededFuture(decode(body));
        }))
        .timeout(call.timeoutMs(), java.util.concurrent.TimeUnit.MILLISECONDS);
  }

  private static Object decode(Buffer body) {
    return body.toJson();
  }

  private static String reason(Throwable e) {
    if (e instanceof java.util.concurrent.TimeoutException) {
      return "timeout";
    }
    String m = e.getMessage();
    return m != null && m.startsWith("status:") ? m : "connect";
  }
}
