/**
 * Event-bus calls bound to a {@link dev.taskgroup.TaskScope}, whose deadline and cancellation reach
 * the serving side on a local or a clustered bus: {@link dev.taskgroup.eventbus.ScopedEventBus}.
 *
 * <h2>The protocol</h2>
 * A caller's {@code ScopedEventBus.request} sends, with the message:
 * <ul>
 *   <li>{@code x-taskgroup-deadline-ms}: the scope's remaining time in whole milliseconds, rounded
 *       down, at most {@code 99999999999} (the HTTP header of the same name, one format:
 *       {@link dev.taskgroup.http.DeadlineHeader}); absent when the scope has no deadline;
 *   <li>{@code x-taskgroup-request-id}: {@code NODE/SEQUENCE}, the caller's cluster node id
 *       ({@code local} when not clustered) and a number unique on that node.
 * </ul>
 * When the scope is cancelled before the reply, the caller publishes the request id (a
 * {@code String} body) to the control address {@code ADDRESS::taskgroup-cancel}, and drops
 * whatever reply still comes. That is the wire format: what a clustered bus carries, whichever
 * node the consumer is on.
 *
 * <h2>On a bus that is not clustered</h2>
 * Every consumer is in the caller's process, and the caller knows the services of this library
 * there, so it spares the headers (a message with headers costs a header map at the sender and a
 * copy at the delivery: most of a scoped call's price over a plain one):
 * <ul>
 *   <li>to an address a service serves in the same Vert.x, the request goes to the service's local
 *       address {@code ADDRESS::taskgroup-local}, its body a wrapper of the caller's body with the
 *       remaining time and the call (a codec that refuses the wire); the cancel signal is that
 *       wrapper, published to the control address. The handler sees the caller's body, the served
 *       address, and the same headers as on the wire (made when it asks for them);
 *   <li>to any other address, the request goes bare: no service is there to read the headers, so a
 *       plain consumer gets the request without them, and a cancel publishes nothing.
 * </ul>
 * A call whose options name a codec (it is for the caller's body) goes with the headers, as on the
 * wire. A scoped call to an address that both a service and a plain consumer consume goes to the
 * service. When the service's local address has no consumer any more (the service closed, or
 * its verticle was undeployed, between the look-up and the delivery), the call is sent again as on
 * the wire, to the served address.
 *
 * <p>A service ({@code ScopedEventBus.serve}) consumes {@code ADDRESS} and its control address (and,
 * on a bus that is not clustered, its local address) on one context. Each message runs in its own group whose deadline is the caller's remaining time,
 * never more than the service's maximum. On the caller's cancel signal the group is cancelled and
 * the request answered at once with failure code {@code 499} (the caller drops it; it frees the
 * reply slot the event bus keeps for the request); the work's result is never sent. Every
 * {@code nodeCheckInterval} while it serves callers on other nodes, the service checks that their
 * nodes are still members of the cluster, and cancels the work of a caller whose node has left,
 * sending nothing. Otherwise the group's outcome is the reply: its result, or a failure with code
 * {@code 504} (a deadline passed), {@code 503} (the service closed or its verticle was undeployed),
 * the code of a {@code RECIPIENT_FAILURE} the handler failed with, or {@code 500} (any other error).
 * When the caller's own deadline ended the work, the {@code 504} waits 50 ms: the caller's deadline
 * passes at the same moment, and its cancel signal (then acknowledged with {@code 499}) replaces it,
 * so that a scoped caller's call ends as its own timeout rather than as a failure reply racing it.
 *
 * <h2>Why a control address per service, not per node</h2>
 * The caller cannot tell which node the event bus chose for its request (nothing public says, and
 * an acknowledgement per request would cost a message on every call), so the cancel is published
 * to the nodes that serve the address; only the one with the request id in flight acts, the others
 * ignore it. Nothing is sent when no call is cancelled.
 *
 * <h2>Bad input</h2>
 * A malformed deadline header (not a plain non-negative integer, or too long) is ignored: the
 * service's maximum applies. A deadline of {@code 0} is answered {@code 504} at once, the handler
 * never runs. A request id that is absent, longer than 256 characters, not {@code NODE/SEQUENCE},
 * or already in flight is served, but cannot be cancelled by a signal or by its node leaving (its
 * deadline still bounds it). A cancel signal whose body is not a {@code String}, or names no
 * request in flight, is ignored.
 *
 * <h2>Limits</h2>
 * A cancel signal travels apart from its request. Vert.x delivers both in the order sent when they
 * go to one context of this node (a local bus) or over one connection (a clustered one); a signal
 * that overtakes its request all the same is ignored, and the work then runs to its deadline.
 */
package dev.taskgroup.eventbus;
