package dev.taskgroup.gateway;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * The gateway's counters, rendered as Prometheus text by {@link #scrape()}. One registry per
 * gateway (not the global one), so that two gateways in one JVM, as in tests, count apart.
 *
 * <pre>{@code
 * gateway_requests_total{route="/api/dashboard/:userId",status="200"} 1.0
 * gateway_upstream_calls_total{outcome="timeout",upstream="recs"} 1.0
 * gateway_upstream_aborted_total{upstream="recs"} 1.0
 * taskgroup_tasks_total{state="succeeded"} 2.0
 * }</pre>
 *
 * <p>Every series of a configured upstream and every task state is registered at zero up front,
 * so a dashboard sees a counter move from 0 rather than appear. Thread-safe (Micrometer counters).
 */
final class GatewayMetrics {
  /** {@code route} label of a request that matched no route. */
  static final String UNMATCHED = "unmatched";
  /** {@code route} label of a request refused before routing (request line or headers too large, bad syntax). */
  static final String INVALID = "invalid";
  /** {@code route} label of a connection refused because the gateway holds {@code http.maxConnections}. */
  static final String REFUSED = "refused";
  /** {@code status} of a request whose client went away before its answer (nginx's convention). */
  static final int CLIENT_CLOSED = 499;

  static final List<String> OUTCOMES = List.of("ok", "error", "timeout", "cancelled");
  static final List<String> TASK_STATES = List.of("started", "succeeded", "failed", "cancelled");

  private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);

  GatewayMetrics(Collection<String> upstreams) {
    for (String upstream : upstreams) {
      for (String outcome : OUTCOMES) {
        upstreamCall(upstream, outcome, 0);
      }
      aborted(upstream, 0);
      extraAttempt(upstream, "retry", 0);
      extraAttempt(upstream, "hedge", 0);
    }
    for (String state : TASK_STATES) {
      task(state, 0);
    }
  }

  /** Counts a request answered with {@code status} (or {@link #CLIENT_CLOSED}). */
  void request(String route, int status) {
    Counter.builder("gateway.requests").description("HTTP requests answered, by route pattern and status")
        .tag("route", route).tag("status", Integer.toString(status)).register(registry).increment();
  }

  /** Counts one upstream call that ended with {@code outcome}: ok, error, timeout or cancelled. */
  void upstreamCall(String upstream, String outcome) {
    upstreamCall(upstream, outcome, 1);
  }

  /** Counts one upstream request reset because its scope was cancelled. */
  void aborted(String upstream) {
    aborted(upstream, 1);
  }

  /** Counts an attempt beyond an upstream call's first: {@code kind} retry or hedge. */
  void extraAttempt(String upstream, String kind) {
    extraAttempt(upstream, kind, 1);
  }

  /** Counts a task entering {@code state}: started, succeeded, failed or cancelled. */
  void task(String state) {
    task(state, 1);
  }

  /** Records how long a route request took to answer {@code status} (histogram, seconds). */
  void requestDuration(String route, int status, long nanos) {
    Timer.builder("gateway.request.duration").description("route requests, from routing to answer, by route and status")
        .tag("route", route).tag("status", Integer.toString(status)).publishPercentileHistogram()
        .register(registry).record(nanos, TimeUnit.NANOSECONDS);
  }

  /** Records how long one upstream call took to end with {@code outcome} (histogram, seconds). */
  void upstreamDuration(String upstream, String outcome, long nanos) {
    Timer.builder("gateway.upstream.call.duration").description("upstream calls, by upstream and outcome")
        .tag("upstream", upstream).tag("outcome", outcome).publishPercentileHistogram()
        .register(registry).record(nanos, TimeUnit.NANOSECONDS);
  }

  /** Exposes {@code value} as a gauge, read at each scrape. */
  void gauge(String name, String description, Supplier<Number> value, String... tags) {
    Gauge.builder(name, value).description(description).tags(tags).register(registry);
  }

  /** {@return the registry, for the library's own meters} */
  io.micrometer.core.instrument.MeterRegistry registry() {
    return registry;
  }

  /** {@return the Prometheus text exposition of every counter} */
  String scrape() {
    return registry.scrape();
  }

  private void upstreamCall(String upstream, String outcome, double amount) {
    Counter.builder("gateway.upstream.calls").description("upstream calls, by upstream and outcome")
        .tag("upstream", upstream).tag("outcome", outcome).register(registry).increment(amount);
  }

  private void aborted(String upstream, double amount) {
    Counter.builder("gateway.upstream.aborted").description("upstream requests reset because their call was cancelled")
        .tag("upstream", upstream).register(registry).increment(amount);
  }

  private void extraAttempt(String upstream, String kind, double amount) {
    Counter.builder("gateway.upstream.attempts.extra").description("upstream attempts beyond a call's first, by upstream and kind (retry, hedge)")
        .tag("upstream", upstream).tag("kind", kind).register(registry).increment(amount);
  }

  private void task(String state, double amount) {
    Counter.builder("taskgroup.tasks").description("tasks of the gateway's task groups, by state reached")
        .tag("state", state).register(registry).increment(amount);
  }
}
