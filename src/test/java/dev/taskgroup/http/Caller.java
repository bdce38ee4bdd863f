package dev.taskgroup.http;

import dev.taskgroup.TaskScope;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import io.vertx.ext.web.client.WebClient;

/** The four ways a test calls the upstream: core client or WebClient, over HTTP/1.1 or h2c. */
enum Caller {
  HTTP_CLIENT_H1(HttpVersion.HTTP_1_1, false),
  HTTP_CLIENT_H2(HttpVersion.HTTP_2, false),
  WEB_CLIENT_H1(HttpVersion.HTTP_1_1, true),
  WEB_CLIENT_H2(HttpVersion.HTTP_2, true);

  final HttpVersion version;
  final boolean web;

  Caller(HttpVersion version, boolean web) {
    this.version = version;
    this.web = web;
  }

  boolean http2() {
    return version == HttpVersion.HTTP_2;
  }

  /** {@return what the server sees when this caller aborts: a closed connection or a reset stream} */
  Upstream.AbortKind expectedAbort() {
    return http2() ? Upstream.AbortKind.STREAM_RESET : Upstream.AbortKind.CONNECTION_CLOSED;
  }

  Clients open(Vertx vertx, int port) {
    return open(vertx, port, 8);
  }

  /** Opens clients to the upstream with at most {@code poolSize} connections. */
  Clients open(Vertx vertx, int port, int poolSize) {
    HttpClientOptions options = new HttpClientOptions().setDefaultHost("127.0.0.1").setDefaultPort(port)
        .setProtocolVersion(version);
    if (http2()) {
      options.setHttp2ClearTextUpgrade(false); // h2c with prior knowledge
      if (poolSize == 1) {
        options.setHttp2MultiplexingLimit(1); // one stream at a time: a second request queues
      }
    }
    HttpClient http = vertx.createHttpClient(options,
        new PoolOptions().setHttp1MaxSize(poolSize).setHttp2MaxSize(poolSize));
    return new Clients(this, port, http);
  }

  /** The clients of one test; {@link #get} goes through the caller's kind of client. */
  static final class Clients {
    final Caller caller;
    final int port;
    final HttpClient http;
    final ScopedHttpClient scoped;
    final WebClient web;
    final ScopedWebClient scopedWeb;

    Clients(Caller caller, int port, HttpClient http) {
      this.caller = caller;
      this.port = port;
      this.http = http;
      this.scoped = ScopedHttpClient.wrap(http);
      this.web = WebClient.wrap(http);
      this.scopedWeb = ScopedWebClient.install(web);
    }

    /** GETs {@code uri} within the scope; {@return the status code} */
    Future<Integer> get(TaskScope scope, String uri) {
      if (caller.web) {
        return scopedWeb.send(scope, web.get(port, "127.0.0.1", uri)).map(r -> r.statusCode());
      }
      return scoped.send(scope, new RequestOptions().setMethod(HttpMethod.GET).setURI(uri)).map(r -> r.statusCode());
    }

    Future<Void> close() {
      return http.close();
    }
  }
}
