package dev.taskgroup.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The configuration: what a valid file means, and every rule that makes the gateway refuse to start. */
class GatewayConfigTest {

  /** A valid config in the schema, which each test breaks in one place. */
  private static JsonObject valid() {
    return new JsonObject("""
        {
          "http": { "host": "127.0.0.1", "port": 0 },
          "upstreams": {
            "profile": { "url": "http://127.0.0.1:9101/profile/{userId}", "timeoutMs": 300 },
            "orders":  { "url": "http://127.0.0.1:9102/orders/{userId}",  "timeoutMs": 500 },
            "recs":    { "url": "http://127.0.0.1:9103/recs/{userId}",    "timeoutMs": 150 }
          },
          "routes": [
            { "path": "/api/dashboard/:userId", "deadlineMs": 800, "maxConcurrency": 8,
              "calls": [
                { "upstream": "profile", "required": true },
                { "upstream": "orders",  "required": true },
                { "upstream": "recs",    "required": false, "fallback": [] }
              ] }
          ]
        }
        """);
  }

  private static JsonObject with(Consumer<JsonObject> change) {
    JsonObject config = valid();
    change.accept(config);
    return config;
  }

  private static JsonObject upstream(JsonObject config, String name) {
    return config.getJsonObject("upstreams").getJsonObject(name);
  }

  private static JsonObject route(JsonObject config, int i) {
    return config.getJsonArray("routes").getJsonObject(i);
  }

  private static JsonObject call(JsonObject config, int route, int call) {
    return route(config, route).getJsonArray("calls").getJsonObject(call);
  }

  private static void assertRefused(JsonObject config, String path, String problem) {
    assertThatThrownBy(() -> GatewayConfig.parse(config))
        .isInstanceOf(ConfigException.class)
        .satisfies(e -> assertThat(((ConfigException) e).path()).isEqualTo(path))
        .hasMessageStartingWith(path + ": ")
        .hasMessageContaining(problem);
  }

  @Nested
  class AValidConfig {
    @Test
    void hedgeAndRetryParseWithTheirDefaults() {
      GatewayConfig config = GatewayConfig.parse(with(c -> {
        upstream(c, "recs").put("hedge", new JsonObject());
        upstream(c, "orders").put("retry", new JsonObject());
      }));

      assertThat(config.upstreams().get("recs").hedge())
          .isEqualTo(new GatewayConfig.Hedge(2, null, 95, Duration.ofMillis(1), Duration.ofMillis(150)));
      assertThat(config.upstreams().get("orders").retry())
          .isEqualTo(new GatewayConfig.Retry(3, Duration.ofMillis(10), Duration.ofMillis(200)));
      assertThat(config.upstreams().get("profile").hedge()).isNull();
    }

    @Test
    void theShippedDefaultParsesWithTheSimulatorEnabled() throws Exception {
      GatewayConfig config = GatewayConfig.parse(Files.readString(Path.of(GatewayMain.DEFAULT_CONF)));

      assertThat(config.http()).isEqualTo(GatewayConfig.Http.defaults("127.0.0.1", 8080));
      assertThat(config.upstreams().keySet()).containsExactly("profile", "orders", "recs");
      assertThat(config.upstreams().get("recs").timeout()).isEqualTo(Duration.ofMillis(150));
      assertThat(config.upstreams().get("recs").maxConnections()).isEqualTo(64);
      GatewayConfig.Route route = config.routes().get(0);
      assertThat(route.deadline()).isEqualTo(Duration.ofMillis(800));
      assertThat(route.maxConcurrency()).isEqualTo(8);
      assertThat(route.calls()).containsExactly(
          new GatewayConfig.Call("profile", true, "null"),
          new GatewayConfig.Call("orders", true, "null"),
          new GatewayConfig.Call("recs", false, "[]"));
      assertThat(config.simulator().enabled()).isTrue();
      assertThat(config.simulator().upstreams().get("recs"))
          .isEqualTo(new GatewayConfig.SimulatedUpstream("recs", 9103, 20, 300, 0.05));
    }

    @Test
    void theShippedDefaultServesTheTaskTreeToLoopbackOnlyAndAnOmittedAdminServesNothing() throws Exception {
      GatewayConfig shipped = GatewayConfig.parse(Files.readString(Path.of(GatewayMain.DEFAULT_CONF)));
      assertThat(shipped.admin()).isEqualTo(new GatewayConfig.Admin(true, false));
      assertThat(GatewayConfig.parse(valid()).admin()).isEqualTo(GatewayConfig.Admin.DISABLED);
    }

    @Test
    void anOmittedSimulatorIsDisabled() {
      assertThat(GatewayConfig.parse(valid()).simulator().enabled()).isFalse();
    }

    @Test
    void aMissingFallbackMeansNull() {
      JsonObject config = with(c -> call(c, 0, 2).remove("fallback"));

      assertThat(GatewayConfig.parse(config).routes().get(0).calls().get(2).fallbackJson()).isEqualTo("null");
    }

    @Test
    void aTimeoutLongerThanTheRouteDeadlineIsLegal() {
      JsonObject config = with(c -> upstream(c, "orders").put("timeoutMs", 5000));

      assertThat(GatewayConfig.parse(config).upstreams().get("orders").timeout()).isEqualTo(Duration.ofSeconds(5));
    }

    @Test
    void maxConnectionsSizesTheUpstreamsPool() {
      JsonObject config = with(c -> upstream(c, "orders").put("maxConnections", 4));

      assertThat(GatewayConfig.parse(config).upstreams().get("orders").maxConnections()).isEqualTo(4);
    }

    @Test
    void theParsedConfigCannotBeChanged() {
      GatewayConfig config = GatewayConfig.parse(valid());

      assertThatThrownBy(() -> config.routes().clear()).isInstanceOf(UnsupportedOperationException.class);
      assertThatThrownBy(() -> config.upstreams().clear()).isInstanceOf(UnsupportedOperationException.class);
      assertThatThrownBy(() -> config.routes().get(0).calls().clear()).isInstanceOf(UnsupportedOperationException.class);
    }
  }

  @Nested
  class ABadConfigIsRefusedNamingTheField {
    @Test
    void anUnknownUpstreamInACall() {
      assertRefused(with(c -> call(c, 0, 2).put("upstream", "rec")), "routes[0].calls[2].upstream", "unknown upstream 'rec'");
    }

    @Test
    void aMissingUrl() {
      assertRefused(with(c -> upstream(c, "orders").remove("url")), "upstreams.orders.url", "missing");
    }

    @Test
    void aUrlThatIsNotHttp() {
      assertRefused(with(c -> upstream(c, "orders").put("url", "ftp://127.0.0.1/orders/{userId}")),
          "upstreams.orders.url", "must be an http:// URL");
    }

    @Test
    void aNegativeTimeout() {
      assertRefused(with(c -> upstream(c, "recs").put("timeoutMs", -5)), "upstreams.recs.timeoutMs", "must not be negative");
    }

    @Test
    void aHedgeOfFewerThanTwoAttempts() {
      assertRefused(with(c -> upstream(c, "recs").put("hedge", new JsonObject().put("maxAttempts", 1))),
          "upstreams.recs.hedge.maxAttempts", "must be in [2, 10]");
    }

    @Test
    void aHedgeWithAFixedAndAnAdaptiveDelay() {
      assertRefused(with(c -> upstream(c, "recs").put("hedge", new JsonObject().put("delayMs", 20).put("percentile", 95))),
          "upstreams.recs.hedge.delayMs", "a fixed delay excludes percentile");
    }

    @Test
    void aHedgePercentileOutsideZeroToHundred() {
      assertRefused(with(c -> upstream(c, "recs").put("hedge", new JsonObject().put("percentile", 100))),
          "upstreams.recs.hedge.percentile", "must be a number in (0, 100)");
    }

    @Test
    void aRetryWhoseFirstBackoffExceedsItsLargest() {
      assertRefused(with(c -> upstream(c, "orders").put("retry", new JsonObject().put("initialDelayMs", 500).put("maxDelayMs", 100))),
          "upstreams.orders.retry.initialDelayMs", "must not exceed maxDelayMs (100)");
    }

    @Test
    void anUnknownFieldInARetry() {
      assertRefused(with(c -> upstream(c, "orders").put("retry", new JsonObject().put("attempts", 3))),
          "upstreams.orders.retry.attempts", "");
    }

    @Test
    void aNonNumericTimeout() {
      assertRefused(with(c -> upstream(c, "recs").put("timeoutMs", "150")), "upstreams.recs.timeoutMs", "must be a number");
    }

    @Test
    void aNegativeDeadline() {
      assertRefused(with(c -> route(c, 0).put("deadlineMs", -1)), "routes[0].deadlineMs", "must not be negative");
    }

    @Test
    void duplicateRoutePaths() {
      JsonObject config = with(c -> c.getJsonArray("routes").add(route(c, 0).copy().put("path", "/api/dashboard/:id")));

      assertRefused(config, "routes[1].path", "duplicates routes[0].path");
    }

    @Test
    void aPlaceholderWithNoMatchingPathParameter() {
      JsonObject config = with(c -> route(c, 0).put("path", "/api/dashboard/:user"));

      assertRefused(config, "routes[0].calls[0].upstream", "upstreams.profile.url uses {userId}");
    }

    @Test
    void theSameUpstreamTwiceInOneRoute() {
      JsonObject config = with(c -> route(c, 0).getJsonArray("calls").add(new JsonObject().put("upstream", "profile")));

      assertRefused(config, "routes[0].calls[3].upstream", "already called by routes[0].calls[0]");
    }

    @Test
    void anUpstreamNamedErrors() {
      JsonObject config = with(c -> c.getJsonObject("upstreams").put("errors", new JsonObject().put("url", "http://127.0.0.1:9/")));

      assertRefused(config, "upstreams.errors", "reserved");
    }

    @Test
    void anUnknownField() {
      assertRefused(with(c -> upstream(c, "recs").put("timeoutMS", 150)), "upstreams.recs.timeoutMS", "unknown field");
    }

    @Test
    void anAdminFlagThatIsNotABoolean() {
      assertRefused(with(c -> c.put("admin", new JsonObject().put("tasks", "yes"))), "admin.tasks", "must be true or false, got");
      assertRefused(with(c -> c.put("admin", new JsonObject().put("task", true))), "admin.task", "unknown field");
    }

    @Test
    void aRouteTakingAReservedPath() {
      assertRefused(with(c -> route(c, 0).put("path", "/health").put("calls", new JsonArray().add(new JsonObject().put("upstream", "recs").put("required", false)))),
          "routes[0].path", "reserved");
    }

    @Test
    void aSimulatedUpstreamThatIsNotConfigured() {
      JsonObject config = with(c -> c.put("simulator", new JsonObject().put("enabled", true)
          .put("upstreams", new JsonObject().put("search", new JsonObject().put("port", 9104)))));

      assertRefused(config, "simulator.upstreams.search", "unknown upstream 'search'");
    }

    @Test
    void textThatIsNotJson() {
      assertThatThrownBy(() -> GatewayConfig.parse("{ not json"))
          .isInstanceOf(ConfigException.class)
          .hasMessageContaining("not a JSON object");
    }
  }

  @Nested
  class TheCommandLine {
    @Test
    void refusesABadConfigWithExitStatus2AndTheFieldsPath(@TempDir Path dir) throws Exception {
      Path file = dir.resolve("bad.json");
      Files.writeString(file, with(c -> upstream(c, "recs").put("timeoutMs", -1)).encodePrettily());
      ByteArrayOutputStream err = new ByteArrayOutputStream();

      int status = GatewayMain.run(new String[] {"-conf", file.toString()}, System.out, new PrintStream(err, true, StandardCharsets.UTF_8));

      assertThat(status).isEqualTo(2);
      assertThat(err.toString(StandardCharsets.UTF_8)).contains("upstreams.recs.timeoutMs").contains(file.toString());
    }

    @Test
    void aProcessWithABadConfigExitsNonZeroWithin10Seconds(@TempDir Path dir) throws Exception {
      Path file = dir.resolve("bad.json");
      Files.writeString(file, with(c -> call(c, 0, 1).put("upstream", "nope")).encodePrettily());
      String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
      Process process = new ProcessBuilder(List.of(java, "-cp", System.getProperty("java.class.path"),
          GatewayMain.class.getName(), "-conf", file.toString()))
          .redirectErrorStream(true).start();

      boolean exited = process.waitFor(10, TimeUnit.SECONDS);
      if (!exited) {
        process.destroyForcibly();
      }

      assertThat(exited).as("exited within 10 s").isTrue();
      assertThat(process.exitValue()).isNotZero();
      assertThat(new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8))
          .contains("routes[0].calls[1].upstream").contains("unknown upstream 'nope'");
    }

    @Test
    void refusesAnUnknownArgument() {
      ByteArrayOutputStream err = new ByteArrayOutputStream();

      int status = GatewayMain.run(new String[] {"--port", "9"}, System.out, new PrintStream(err, true, StandardCharsets.UTF_8));

      assertThat(status).isEqualTo(2);
      assertThat(err.toString(StandardCharsets.UTF_8)).contains("unknown argument '--port'");
    }
  }

  @Nested
  class ProductionBounds {
    @Test
    void withNoneSetEveryConnectionAndRequestIsStillBounded() {
      GatewayConfig config = GatewayConfig.parse(with(c -> route(c, 0).remove("deadlineMs")));

      GatewayConfig.Http http = config.http();
      assertThat(http.headerTimeout()).isEqualTo(Duration.ofSeconds(10));
      assertThat(http.bodyTimeout()).isEqualTo(Duration.ofSeconds(10));
      assertThat(http.idleTimeout()).isEqualTo(Duration.ofSeconds(60));
      assertThat(http.maxConnections()).isEqualTo(10_000);
      assertThat(http.maxRequestsInFlight()).isEqualTo(4_096);
      assertThat(http.shutdownGrace()).isEqualTo(Duration.ofSeconds(10));
      assertThat(http.instances()).isEqualTo(Runtime.getRuntime().availableProcessors());
      assertThat(http.accessLog()).isFalse();
      assertThat(http.h2c()).isFalse();
      assertThat(config.routes().get(0).deadline()).isEqualTo(Duration.ofSeconds(10));
      assertThat(config.upstreams().get("recs").maxResponseBytes()).isEqualTo(1024 * 1024);
    }

    @Test
    void aRouteDeadlineNotBelowTheIdleTimeoutIsRefused() {
      assertRefused(with(c -> route(c, 0).put("deadlineMs", 60_000)), "routes[0].deadlineMs", "below http.idleTimeoutMs");
      assertRefused(with(c -> c.getJsonObject("http").put("idleTimeoutMs", 5_000)), "http.defaultDeadlineMs", "below http.idleTimeoutMs");
    }

    @Test
    void badBoundsAreRefusedNamingTheField() {
      assertRefused(with(c -> c.getJsonObject("http").put("headerTimeoutMs", -1)), "http.headerTimeoutMs", "negative");
      assertRefused(with(c -> c.getJsonObject("http").put("maxConnections", 0)), "http.maxConnections", "[1,");
      assertRefused(with(c -> c.getJsonObject("http").put("instances", "4")), "http.instances", "must be a number");
      assertRefused(with(c -> c.getJsonObject("http").put("h2c", "yes")), "http.h2c", "true or false");
      assertRefused(with(c -> upstream(c, "recs").put("maxResponseBytes", 0)), "upstreams.recs.maxResponseBytes", "[1,");
    }

    @Test
    void instancesOnTheCommandLineOverrideTheConfig() {
      GatewayConfig config = GatewayMain.loadConfig(new String[] {"-instances", "3", "-conf", valid().encode()});

      assertThat(config.http().instances()).isEqualTo(3);
      assertThatThrownBy(() -> GatewayMain.loadConfig(new String[] {"-instances", "zero"}))
          .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("-instances");
    }
  }
}
