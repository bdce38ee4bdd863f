package dev.taskgroup.gateway;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.BiFunction;
import java.util.function.Function;
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
 * so a dashboard sees a counter move from 0 rather than appear. Thread-safe (Micrometer counters,
 * looked up in concurrent maps).
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
  // Each meter is built once and then found by its labels: building it per use (a builder, its
  // tags, the registry's id lookup) happened 14 times per gateway request (issue 14's profile).
  // Found by its first label, then its second, both strings (a status through STATUS): a lookup
  // allocates nothing, where a key object per use cost ~10 per request. The labels are bounded
  // (routes, upstreams, outcomes, statuses), so are these maps.
  private final Labelled<Counter> requests = new Labelled<>((r, s) -> Counter.builder("gateway.requests")
      .description("HTTP requests answered, by route pattern and status")
      .tag("route", r).tag("status", s).register(registry));
  private final Labelled<Timer> requestDurations = new Labelled<>((r, s) -> Timer.builder("gateway.request.duration")
      .description("route requests, from routing to answer, by route and status")
      .tag("route", r).tag("status", s).publishPercentileHistogram().register(registry));
  private final Labelled<Counter> upstreamCalls = new Labelled<>((u, o) -> Counter.builder("gateway.upstream.calls")
      .description("upstream calls, by upstream and outcome")
      .tag("upstream", u).tag("outcome", o).register(registry));
  private final Labelled<Timer> upstreamDurations = new Labelled<>((u, o) -> Timer.builder("gateway.upstream.call.duration")
      .description("upstream calls, by upstream and outcome")
      .tag("upstream", u).tag("outcome", o).publishPercentileHistogram().register(registry));
  private final Labelled<Counter> extraAttempts = new Labelled<>((u, k) -> Counter.builder("gateway.upstream.attempts.extra")
      .description("upstream attempts beyond a call's first, by upstream and kind (retry, hedge)")
      .tag("upstream", u).tag("kind", k).register(registry));
  private final ConcurrentHashMap<String, Counter> aborts = new ConcurrentHashMap<>();
  private final Function<String, Counter> makeAbort = u -> Counter.builder("gateway.upstream.aborted")
      .description("upstream requests reset because their call was cancelled (not those drained once their answer began)")
      .tag("upstream", u).register(registry);
  private final ConcurrentHashMap<String, Counter> tasks = new ConcurrentHashMap<>();
  private final Function<String, Counter> makeTask = state -> Counter.builder("taskgroup.tasks")
      .description("tasks of the gateway's task groups, by state reached")
      .tag("state", state).register(registry);

  /** The text of each status code below 1000, made once. */
  private static final String[] STATUS = new String[1000];

  static {
    for (int i = 0; i < STATUS.length; i++) {
      STATUS[i] = Integer.toString(i);
    }
  }

  /** {@return the label value of {@code status}} */
  private static String status(int status) {
    return status >= 0 && status < STATUS.length ? STATUS[status] : Integer.toString(status);
  }

  /** The meters of one name, by their two label values. */
  private static final class Labelled<M> {
    private final ConcurrentHashMap<String, ConcurrentHashMap<String, M>> byFirst = new ConcurrentHashMap<>();
    private final BiFunction<String, String, M> make;

    Labelled(BiFunction<String, String, M> make) {
      this.make = make;
    }

    /** {@return the meter of {@code first} and {@code second}, registered on first use} */
    M get(String first, String second) {
      ConcurrentHashMap<String, M> bySecond = byFirst.get(first);
      if (bySecond == null) {
        bySecond = byFirst.computeIfAbsent(first, k -> new ConcurrentHashMap<>());
      }
      M m = bySecond.get(second);
      return m != null ? m : bySecond.computeIfAbsent(second, k -> make.apply(first, k)); // a lambda only on a miss
    }
  }

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
    requests.get(route, status(status)).increment();
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
    requestDurations.get(route, status(status))
        .record(nanos, TimeUnit.NANOSECONDS);
  }

  /** Records how long one upstream call took to end with {@code outcome} (histogram, seconds). */
  void upstreamDuration(String upstream, String outcome, long nanos) {
    upstreamDurations.get(upstream, outcome)
        .record(nanos, TimeUnit.NANOSECONDS);
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
    upstreamCalls.get(upstream, outcome).increment(amount);
  }

  private void aborted(String upstream, double amount) {
    meter(aborts, upstream, makeAbort).increment(amount);
  }

  private void extraAttempt(String upstream, String kind, double amount) {
    extraAttempts.get(upstream, kind).increment(amount);
  }

  private void task(String state, double amount) {
    meter(tasks, state, makeTask).increment(amount);
  }

  /** {@return the meter of {@code key} in {@code cache}, registered by {@code make} on first use} */
  private static <K, M> M meter(ConcurrentHashMap<K, M> cache, K key, Function<K, M> make) {
    M m = cache.get(key);
    return m != null ? m : cache.computeIfAbsent(key, make);
  }
}
