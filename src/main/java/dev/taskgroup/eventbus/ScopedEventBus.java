package dev.taskgroup.eventbus;

import dev.taskgroup.Registration;
import dev.taskgroup.ScopedIo;
import dev.taskgroup.TaskCancelledException;
import dev.taskgroup.TaskScope;
import dev.taskgroup.http.DeadlineHeader;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * Event-bus calls whose deadline and cancellation reach the serving side, on a local or a
 * clustered bus: a request never waits longer than its scope lives, tells the service how much
 * time is left, and withdraws itself when the scope is cancelled; a {@linkplain #serve service}
 * runs each message in its own group bounded by that time and cancelled by that withdrawal.
 *
 * <pre>{@code
 * // serving node
 * ScopedEventBus.<String, JsonObject>serve(vertx, "prices", (scope, msg) -> prices.lookup(scope, msg.body()));
 * // calling node
 * TaskFn<JsonObject> price = scope -> ScopedEventBus
 *     .<JsonObject>request(scope, vertx.eventBus(), "prices", sku, new DeliveryOptions())
 *     .map(Message::body);
 * }</pre>
 *
 * <p>The wire protocol (headers, control address, failure codes) is described in the
 * {@linkplain dev.taskgroup.eventbus package documentation}; a plain {@code consumer} can answer a
 * scoped request (it ignores the headers), and a service answers plain requests (bounded by its
 * {@link ServeOptions#setMaxTimeout local maximum}). On a bus that is not clustered the headers are
 * not sent: a service in the same Vert.x gets the deadline and the call in the message body (its
 * handler still sees the headers), a plain consumer gets the bare request.
 *
 * <p>Cancellation, caller side: the returned future fails at once with the scope's
 * {@link TaskCancelledException}, a cancel signal goes to the service (none for a bare request,
 * which no service serves), and whatever reply still arrives is dropped (counted in {@link #droppedReplies()}, except the service's acknowledgement
 * of the cancel). The send timeout is the tighter of the one in the options and the scope's
 * remaining time plus {@link ScopedIo#DEADLINE_GRACE_MS} (so the scope's own deadline fires
 * first). The cancel hook is removed when the request ends.
 *
 * <p>Thread safety: static; {@link #request} and {@link #serve} may be called from any thread
 * (a request runs on the scope's context and its future completes there; a service runs on the
 * context it is registered from).
 */
public final class ScopedEventBus {
  /** The header with the caller's remaining time in ms: the same header and format as HTTP, {@value}. */
  public static final String DEADLINE_HEADER = DeadlineHeader.NAME;

  /**
   * The header with the request's id, {@value}: {@code NODE/SEQUENCE}, the caller's cluster node id
   * ({@code local} on a bus that is not clustered), a slash, and a number unique on that node.
   */
  public static final String REQUEST_ID_HEADER = "x-taskgroup-request-id";

  /**
   * Appended to a served address to name its control address ({@value}): a caller that gives up
   * publishes the request id there, and the node serving it cancels its work.
   */
  public static final String CONTROL_SUFFIX = "::taskgroup-cancel";

  /**
   * Appended to a served address to name the address a service also consumes on a bus that is not
   * clustered ({@value}): a scoped caller in the same Vert.x sends there a message whose body
   * carries the deadline and the call, instead of the headers (see the
   * {@linkplain dev.taskgroup.eventbus package documentation}). Never used on a clustered bus.
   */
  public static final String LOCAL_SUFFIX = "::taskgroup-local";

  /** Failure code of a reply whose work failed: {@value}. The message is the error's. */
  public static final int FAILURE_ERROR = 500;

  /** Failure code of a reply whose work was stopped by its service (closed, verticle undeployed): {@value}. */
  public static final int FAILURE_UNAVAILABLE = 503;

  /**
   * Failure code of a reply whose deadline passed (the caller's, or the local maximum): {@value}.
   * When it was the caller's, the reply waits {@link ScopedIo#DEADLINE_GRACE_MS} for the caller's
   * cancel signal, which replaces it: a scoped caller sees its own timeout.
   */
  public static final int FAILURE_TIMEOUT = 504;

  /**
   * Failure code of the acknowledgement a service sends when a caller's cancel signal stops its
   * work: {@value}. The caller has stopped waiting and drops it; it frees the reply slot the event
   * bus keeps for the request (and its timer) at once instead of at the send timeout. The work's
   * own result is never sent.
   */
  public static final int FAILURE_CANCELLED = 499;

  /**
   * Replies (including {@code message.fail(...)} answers) that arrived after their scope was
   * cancelled, since the class was loaded, across every event bus of the process. Process-wide on
   * purpose: the helper is static; tests read it before and after.
   */
  private static final LongAdder DROPPED = new LongAdder();

  /** The sequence part of request ids: process-wide, so unique for every Vert.x instance of the process. */
  private static final AtomicLong SEQUENCE = new AtomicLong();

  /** The longest request id a service accepts, in chars: {@value}. */
  static final int MAX_ID_LENGTH = 256;

  private ScopedEventBus() {}

  /**
   * Sends {@code body} to {@code address} and waits for the reply within the scope, with the
   * scope's remaining time in {@link #DEADLINE_HEADER} (when it has a deadline) and an id in
   * {@link #REQUEST_ID_HEADER} (both replacing headers of those names in the options). On a bus
   * that is not clustered, the two travel in the body to a service of this Vert.x
   * ({@link #LOCAL_SUFFIX}; with the headers all the same when the options name a codec, which is
   * for the caller's body), and are not sent to a plain consumer (see the package documentation).
   *
   * @param bus the event bus of the scope's Vert.x instance
   * @param options copied (the caller's instance is not modified); null means the defaults
   * @return the reply; or the scope's {@link TaskCancelledException} as soon as it is cancelled (a
   *     scope already cancelled sends nothing); or the event bus's {@link ReplyException} (a
   *     service's failure codes are this class's {@code FAILURE_*} constants)
   * @throws NullPointerException if {@code scope}, {@code bus} or {@code address} is null
   */
  public static <T> Future<Message<T>> request(TaskScope scope, EventBus bus, String address, Object body,
                                               DeliveryOptions options) {
    Objects.requireNonNull(scope, "scope");
    Objects.requireNonNull(bus, "bus");
    Objects.requireNonNull(address, "address");
    return ScopedIo.onContext(scope, () -> start(scope, bus, address, body, options));
  }

  /**
   * Serves {@code address} with the {@link ServeOptions defaults}; see
   * {@link #serve(Vertx, String, ServeOptions, ServeHandler)}.
   */
  public static <T, R> Future<Service> serve(Vertx vertx, String address, ServeHandler<T, R> handler) {
    return serve(vertx, address, new ServeOptions(), handler);
  }

  /**
   * Registers a service on {@code address}: each message runs {@code handler} in its own group,
   * and the group's outcome becomes the reply.
   *
   * <ul>
   *   <li>Deadline: the caller's remaining time ({@link #DEADLINE_HEADER}), never longer than
   *       {@link ServeOptions#getMaxTimeout()}; past it the scope is cancelled and the reply is a
   *       {@link #FAILURE_TIMEOUT}. A message that arrives with no time left is answered so at
   *       once, without running the handler. Nested calls the handler makes with its scope carry
   *       the remaining time on: a chain of services shares one deadline.
   *   <li>Cancellation: the group is cancelled when the caller's cancel signal arrives (answered
   *       with {@link #FAILURE_CANCELLED} at once; the work's result is then never sent), when the
   *       caller's node leaves the cluster (nothing is sent), and when the service is
   *       {@linkplain Service#close closed} or the verticle that registered it is undeployed
   *       ({@link #FAILURE_UNAVAILABLE}).
   *   <li>Failure: a {@link ReplyException} of {@link ReplyFailure#RECIPIENT_FAILURE} from the
   *       handler (its own, or a nested call's) is passed on with its code and message; any
   *       timeout is a {@link #FAILURE_TIMEOUT}; any other error a {@link #FAILURE_ERROR} with the
   *       error's message.
   * </ul>
   *
   * <p>The service lives on the calling context (a verticle's, typically: then it ends with the
   * verticle), or a new one when called off any Vert.x thread; the handler, the groups and the
   * replies run there. Any thread.
   *
   * @param options copied; null means the defaults
   * @return the service, once its address is registered (across the cluster, when clustered)
   * @throws NullPointerException if {@code vertx}, {@code address} or {@code handler} is null
   * @throws IllegalArgumentException if {@code address} is empty or ends with {@link #CONTROL_SUFFIX} or
   *     {@link #LOCAL_SUFFIX}
   */
  public static <T, R> Future<Service> serve(Vertx vertx, String address, ServeOptions options,
                                             ServeHandler<T, R> handler) {
    Objects.requireNonNull(vertx, "vertx");
    Objects.requireNonNull(address, "address");
    Objects.requireNonNull(handler, "handler");
    if (address.isEmpty()) {
      throw new IllegalArgumentException("address must not be empty");
    }
    if (address.endsWith(CONTROL_SUFFIX)) {
      throw new IllegalArgumentException("address must not end with " + CONTROL_SUFFIX
          + " (the suffix of control addresses), got '" + address + "'");
    }
    if (address.endsWith(LOCAL_SUFFIX)) {
      throw new IllegalArgumentException("address must not end with " + LOCAL_SUFFIX
          + " (the suffix of a service's local address), got '" + address + "'");
    }
    return ServiceImpl.start(vertx, address, new ServeOptions(options == null ? new ServeOptions() : options),
        handler);
  }

  /** {@return how many replies were dropped because their scope had been cancelled (process-wide)} Any thread. */
  public static long droppedReplies() {
    return DROPPED.sum();
  }

  /**
   * On the scope's context. Three ways to send, one protocol: on a clustered bus, the headers (the
   * wire format); on a bus that is not clustered, a {@link LocalCall} to a service of this library
   * in this Vert.x, or, when none serves the address, the bare request (only this library's
   * services read the headers, and a local caller can see that none is there to read them).
   */
  private static <T> Future<Message<T>> start(TaskScope scope, EventBus bus, String address, Object body,
                                              DeliveryOptions options) {
    TaskCancelledException cancelled = ScopedIo.refusal(scope); // cancelled, or its task has finished
    if (cancelled != null) {
      return Future.failedFuture(cancelled);
    }
    DeliveryOptions opts = options == null ? new DeliveryOptions() : new DeliveryOptions(options);
    Optional<Duration> remaining = scope.remaining(); // read once: the send timeout and what the service is told agree
    long bound = remaining.isPresent() ? ScopedIo.ioTimeoutMillis(remaining.get()) : -1; // -1: no deadline
    if (bound > 0) {
      opts.setSendTimeout(ScopedIo.tighter(opts.getSendTimeout(), bound));
    }
    if (scope.vertx().isClustered()) {
      return wire(scope, bus, address, body, opts, remaining);
    }
    String local = LocalCall.Served.of(bus).localAddress(address);
    if (local == null) {
      return send(scope, bus, address, body, opts, null, null, false);
    }
    if (opts.getCodecName() != null) { // the caller's codec is for its body, not for a LocalCall
      return wire(scope, bus, address, body, opts, remaining);
    }
    LocalCall call = new LocalCall(body, remaining.isPresent() ? DeadlineHeader.millis(remaining.get()) : -1,
        SEQUENCE.incrementAndGet());
    return send(scope, bus, local, call, opts, address, call, true);
  }

  /** The request with the protocol's headers: on a clustered bus, where the service may be on another node. */
  private static <T> Future<Message<T>> wire(TaskScope scope, EventBus bus, String address, Object body,
                                             DeliveryOptions opts, Optional<Duration> remaining) {
    // The copy may share the caller's header map: give it its own before adding ours.
    MultiMap headers = MultiMap.caseInsensitiveMultiMap();
    if (opts.getHeaders() != null) {
      headers.addAll(opts.getHeaders());
    }
    if (remaining.isPresent()) {
      headers.set(DEADLINE_HEADER, DeadlineHeader.format(remaining.get()));
    } else {
      headers.remove(DEADLINE_HEADER);
    }
    String id = ClusterView.nodeId(scope.vertx()) + "/" + SEQUENCE.incrementAndGet();
    headers.set(REQUEST_ID_HEADER, id);
    opts.setHeaders(headers);
    return send(scope, bus, address, body, opts, address, id, false);
  }

  /**
   * Sends to {@code target} and waits within the scope; on cancellation, publishes {@code signal}
   * to the control address of {@code served} (none when null: nothing serves the call that could
   * act on it; the control address is spelled only then) and drops the late reply. A
   * {@link LocalCall} ({@code local}) that finds no consumer is sent again with the headers to
   * {@code served}: the service closed, or its verticle went, between the look-up and the
   * delivery, and the served address may have other consumers now.
   */
  private static <T> Future<Message<T>> send(TaskScope scope, EventBus bus, String target, Object body,
                                             DeliveryOptions opts, String served, Object signal, boolean local) {
    Promise<Message<T>> promise = Promise.promise();
    // The hook fails the future and withdraws the request: the reply handler below is the one
    // place that notices the late reply, so it does the dropping.
    Registration hook = scope.bind(c -> {
      if (promise.tryFail(c) && served != null) {
        bus.publish(served + CONTROL_SUFFIX, signal);
      }
    });
    bus.<T>request(target, body, opts).onComplete(ar -> {
      hook.remove();
      if (promise.future().isComplete()) { // cancelled first
        if (ar.succeeded() || isRecipientFailure(ar.cause()) && !isCancelAck(ar.cause())) {
          DROPPED.increment();
        }
        return;
      }
      TaskCancelledException c = scope.cancellation();
      if (ar.failed() && c != null) {
        promise.fail(c);
      } else if (local && ar.failed() && ar.cause() instanceof ReplyException
          && ((ReplyException) ar.cause()).failureType() == ReplyFailure.NO_HANDLERS && ScopedIo.refusal(scope) == null) {
        ScopedEventBus.<T>wire(scope, bus, served, ((LocalCall) body).body, opts, scope.remaining()).onComplete(promise);
      } else {
        promise.handle(ar);
      }
    });
    return promise.future();
  }

  private static boolean isRecipientFailure(Throwable cause) {
    return cause instanceof ReplyException && ((ReplyException) cause).failureType() == ReplyFailure.RECIPIENT_FAILURE;
  }

  private static boolean isCancelAck(Throwable cause) {
    return ((ReplyException) cause).failureCode() == FAILURE_CANCELLED;
  }

  /**
   * {@return the caller's node id in a request id, or null when {@code id} is not one} A request
   * id is at most {@value #MAX_ID_LENGTH} chars, {@code NODE/SEQUENCE} with neither part empty.
   */
  static String callerNode(String id) {
    if (id == null || id.length() > MAX_ID_LENGTH) {
      return null;
    }
    int slash = id.lastIndexOf('/');
    return slash <= 0 || slash == id.length() - 1 ? null : id.substring(0, slash);
  }
}
