package dev.taskgroup.eventbus;

import dev.taskgroup.TaskScope;
import io.vertx.core.Future;
import io.vertx.core.eventbus.Message;

/**
 * The work that answers one message of {@link ScopedEventBus#serve}: it runs in its own group,
 * whose scope it receives, and its future's outcome becomes the reply.
 *
 * <pre>{@code
 * ServeHandler<String, JsonObject> price = (scope, message) ->
 *     ScopedEventBus.<JsonObject>request(scope, bus, "stock", message.body(), null) // same deadline
 *         .map(Message::body);
 * }</pre>
 *
 * <p>Called on the context that registered the service, once per message. Bind the work to
 * {@code scope} (its sleeps, scoped I/O, nested groups): the scope is cancelled when the caller
 * cancels, when the caller's node leaves the cluster, when the service closes or its verticle is
 * undeployed, and when the deadline passes. A throw or a null future is a failed reply.
 *
 * @param <T> the type of the message body
 * @param <R> the type of the reply body
 */
@FunctionalInterface
public interface ServeHandler<T, R> {
  /**
   * {@return the reply to {@code message}; its failure becomes a failure reply}
   *
   * @throws Exception a failure reply, like a failed future
   */
  Future<R> handle(TaskScope scope, Message<T> message) throws Exception;
}
