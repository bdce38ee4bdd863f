package dev.taskgroup.gateway;

import dev.taskgroup.Registration;
import dev.taskgroup.TaskFn;
import dev.taskgroup.eventbus.ScopedEventBus;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.Map;

/**
 * One call to an {@code eventbus:ADDRESS} upstream: the route's path parameters as a JSON object,
 * sent with {@link ScopedEventBus#request}, so that the call has the guarantees of an HTTP one:
 * the route deadline travels with it, and a call abandoned (a required sibling failed, the
 * deadline, the client left, an optional call's timeout) is withdrawn on the serving node too (a
 * {@link ScopedEventBus#serve service} cancels its work) and counted as aborted.
 *
 * <p>How replies map to the reasons clients see: a JSON object or array, or a string or buffer
 * holding JSON, is the value; any other body is {@code invalid_json}. A failure reply with code
 * 504, or no reply within the timeout, is {@code timeout}; no service registered at the address is
 * {@code connect} (the event bus's "connection refused"); another failure code is
 * {@code status:CODE}, so a 5xx is worth a retry or a hedge as over HTTP.
 *
 * <p>Stateless; the tasks it makes run on the gateway instance's event loop.
 */
final class EventBusUpstream {
  private EventBusUpstream() {}

  /**
   * {@return the attempt function of one call} {@code aborted} runs when the scope is cancelled
   * while the request is in flight.
   */
  static TaskFn<Object> attempt(Vertx vertx, String upstream, String address, Map<String, String> params,
                                String requestIdHeader, String requestId, Runnable aborted) {
    JsonObject message = new JsonObject();
    params.forEach(message::put);
    DeliveryOptions options = new DeliveryOptions().addHeader(requestIdHeader, requestId);
    return scope -> {
      boolean[] ended = new boolean[1];
      Registration hook = scope.onCancel(c -> { // registered first: runs while the request still counts as pending
        if (!ended[0]) {
          aborted.run();
        }
      });
      return ScopedEventBus.request(scope, vertx.eventBus(), address, message.copy(), options)
          .andThen(ar -> {
            ended[0] = true;
            hook.remove();
          })
          .transform(ar -> ar.succeeded() ? decode(upstream, ar.result())
              : Future.failedFuture(scope.isCancelled() ? scope.cancellation() : failure(upstream, ar.cause())));
    };
  }

  private static Future<Object> decode(String upstream, Message<Object> reply) {
    Object body = reply.body();
    if (body instanceof JsonObject || body instanceof JsonArray) {
      return Future.succeededFuture(body);
    }
    try {
      if (body instanceof String) {
        return Future.succeededFuture(Json.decodeValue((String) body));
      }
      if (body instanceof Buffer) {
        return Future.succeededFuture(Json.decodeValue((Buffer) body));
      }
    } catch (DecodeException e) {
      return Future.failedFuture(new UpstreamCallException(upstream, "invalid_json", e));
    }
    return Future.failedFuture(new UpstreamCallException(upstream, "invalid_json",
        new DecodeException("not JSON: a reply of type " + (body == null ? "null" : body.getClass().getName()))));
  }

  /** {@return the call's failure, with the reason clients see} */
  static Throwable failure(String upstream, Throwable cause) {
    if (!(cause instanceof ReplyException)) {
      return cause;
    }
    ReplyException e = (ReplyException) cause;
    switch (e.failureType()) {
      case TIMEOUT:
        return new UpstreamCallException(upstream, "timeout", e);
      case NO_HANDLERS:
        return new UpstreamCallException(upstream, "connect", e);
      default:
        return new UpstreamCallException(upstream,
            e.failureCode() == ScopedEventBus.FAILURE_TIMEOUT ? "timeout" : "status:" + e.failureCode(), e);
    }
  }
}
