package dev.taskgroup.bench.gateway;

import java.util.List;

/**
 * A gateway route as both gateways under test are configured: path {@code /api/NAME/:id}, calls to
 * upstreams each with its own timeout, a deadline. The real gateway gets it as {@code gateway.json};
 * the naive one reads it directly.
 */
public record RouteSpec(String name, long deadlineMs, List<Call> calls) {
  /** One upstream call of a route. */
  public record Call(String upstream, long timeoutMs, boolean required) {}

  public String path() {
    return "/api/" + name + "/:id";
  }
}
