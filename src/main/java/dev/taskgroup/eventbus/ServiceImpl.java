package dev.taskgroup.eventbus;

import dev.taskgroup.CancelReason;
import dev.taskgroup.ScopedIo;
import dev.taskgroup.TaskCancelledException;
import dev.taskgroup.TaskGroup;
import dev.taskgroup.TaskGroupException;
import dev.taskgroup.TaskGroupOptions;
import dev.taskgroup.TaskTimeoutException;
import dev.taskgroup.http.DeadlineHeader;
import io.vertx.core.Completable;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.MultiMap;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.spi.cluster.ClusterManager;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;

/**
 * One service: the consumer of its address, the consumer of its control address (and, on a bus
 * that is not clustered, of its local address), and the calls in flight. The consumers are
 * registered on the same context, so a caller's request and its cancel signal, sent in that
 * order, are handled in that order on a local bus (on a clustered one they
 * travel over the same connection to this node). Every field is written and read on that context
 * only (the bus hands each message a duplicate of it, which runs on the same thread, one event at a
 * time), except {@code inFlightSnapshot}, which other threads read.
 */
final class ServiceImpl<T, R> implements Service {
  /** Where a call stands; the first of the ends below wins, the others are no-ops. */
  enum CallState {
    RUNNING,
    /** The caller's cancel signal arrived: acknowledged at once, nothing else sent. */
    CANCELLED_BY_CALLER,
    /** The caller's node left the cluster: nothing to send to. */
    CALLER_GONE,
    /** The service was closed: answered {@code FAILURE_UNAVAILABLE} when the group settles. */
    CLOSED,
    /**
     * The caller's own deadline ended the group: its {@code FAILURE_TIMEOUT} waits
     * {@link ScopedIo#DEADLINE_GRACE_MS}, for the caller's deadline fires at the same moment and
     * its cancel signal then replaces it (the caller's call ends as its own timeout, not as a
     * failure reply racing it). The work itself has already stopped.
     */
    TIMEOUT_HELD,
    /** Answered: a cancel signal arriving now finds nothing to cancel. */
    ANSWERED
  }

  /**
   * One message being worked on. It is also its group's body and the group's listener (two lambdas
   * fewer per message), and a link of the service's list of calls in flight.
   */
  final class Call implements Function<TaskGroup, Future<R>>, Completable<R> {
    // What the handler sees and what is answered: the bus's message, or a LocalCall's view of it,
    // which answers through the bus's (one field: the view keeps the bus's message).
    final Message<T> message;
    // The request id (a String, then also the key in byId), or the LocalCall of a call in this
    // process, or null when the caller sent none (or a malformed one): then not cancellable by signal.
    final Object id;
    final String node; // the caller's node; null with id
    boolean callersDeadline; // the caller's remaining time (not the local maximum) is the group's deadline
    CallState state = CallState.RUNNING;
    TaskGroup group; // set when the body starts
    long heldTimer = -1; // while TIMEOUT_HELD
    Call prev; // the list of calls in flight
    Call next;

    Call(Message<T> message, Object id, String node) {
      this.message = message;
      this.id = id;
      this.node = node;
    }

    /** {@return the service that holds the call} For a LocalCall's cancel signal, which every local service receives. */
    ServiceImpl<?, ?> service() {
      return ServiceImpl.this;
    }

    /** The group's body. */
    @Override
    public Future<R> apply(TaskGroup g) {
      group = g;
      if (state != CallState.RUNNING) {
        g.cancel(); // cancelled before the body started (cannot happen today: kept for safety)
      }
      return body(g, message);
    }

    /**
     * The group settled. A {@code Completable}, not a {@code Handler<AsyncResult>}: the group's
     * future takes it as its listener as it is, where a handler is wrapped in one more object.
     */
    @Override
    public void complete(R result, Throwable failure) {
      settle(this, result, failure);
    }

    void cancel(CallState why) {
      if (state != CallState.RUNNING) {
        return;
      }
      state = why;
      if (group != null) {
        group.cancel();
      }
    }
  }

  /**
   * The options of every reply: no headers, the default codec. One shared instance, where
   * {@code Message.reply(Object)} makes one per reply: the bus only reads a message's options
   * (checked against Vert.x 5.0.7's event bus, local and clustered), and nothing here writes it.
   */
  private static final DeliveryOptions REPLY = new DeliveryOptions();

  private final Vertx vertx;
  private final Context context;
  private final String address;
  private final ServeOptions options;
  private final ServeHandler<T, R> handler;
  private final String ownNode;
  private final ClusterManager cluster; // null on a bus that is not clustered
  // Every call in flight, oldest first; those with a request id also by id (a LocalCall holds its own call).
  private Call first;
  private Call last;
  private int inFlight;
  private final Map<String, Call> byId = new HashMap<>();
  private MessageConsumer<T> consumer;
  private MessageConsumer<Object> control;
  private MessageConsumer<T> local; // the local address, on a bus that is not clustered; else null
  private LocalCall.Served served; // the registry this service is listed in while it serves; else null
  private final TaskGroupOptions maxOptions; // the group options of a call bounded by the local maximum, shared
  // The group options of the last caller's remaining time (null: the maximum bounds it), shared by
  // the calls that carry the same number of ms; a group reads its options once, as it is made.
  private long lastCallerMs = -1;
  private TaskGroupOptions lastCallerOptions;
  private volatile int inFlightSnapshot; // inFlight, for other threads
  private static final VarHandle IN_FLIGHT_SNAPSHOT;

  static {
    try {
      IN_FLIGHT_SNAPSHOT = MethodHandles.lookup().findVarHandle(ServiceImpl.class, "inFlightSnapshot", int.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }
  private int remoteCalls; // calls in flight whose caller is on another node
  private long watchTimer = -1; // armed while remoteCalls > 0
  private boolean closed;
  /** Cancel signals that named no call in flight (finished already, or not a request id). */
  long ignoredCancels;
  /** Results dropped because the caller had cancelled or left. */
  long droppedResults;
  /** Calls cancelled because their caller's node left the cluster. */
  long callersLost;

  private ServiceImpl(Vertx vertx, Context context, String address, ServeOptions options, ServeHandler<T, R> handler) {
    this.vertx = vertx;
    this.context = context;
    this.address = address;
    this.options = options;
    this.handler = handler;
    this.ownNode = ClusterView.nodeId(vertx);
    this.cluster = ClusterView.manager(vertx);
    this.maxOptions = new TaskGroupOptions().setName(address).setTimeout(options.getMaxTimeout());
  }

  static <T, R> Future<Service> start(Vertx vertx, String address, ServeOptions options, ServeHandler<T, R> handler) {
    Context current = Vertx.currentContext();
    Context context = current != null && current.owner() == vertx ? current : vertx.getOrCreateContext();
    ServiceImpl<T, R> service = new ServiceImpl<>(vertx, context, address, options, handler);
    if (current == context) {
      return service.register();
    }
    Promise<Service> registered = Promise.promise();
    context.runOnContext(v -> service.register().onComplete(registered));
    return registered.future();
  }

  /**
   * On the context: every consumer registered from here, so they deliver here. On a bus that is not
   * clustered the service also consumes its local address and lists itself for scoped callers once
   * all three are registered (see {@link LocalCall}).
   */
  private Future<Service> register() {
    consumer = vertx.eventBus().consumer(address, this::handle);
    control = vertx.eventBus().consumer(address + ScopedEventBus.CONTROL_SUFFIX, this::handleCancel);
    if (vertx.isClustered()) { // the cluster view exists only then (ClusterView)
      return Future.all(consumer.completion(), control.completion()).map(this);
    }
    LocalCall.Served registry = LocalCall.Served.of(vertx.eventBus()); // registers the codec first
    local = vertx.eventBus().consumer(address + ScopedEventBus.LOCAL_SUFFIX, this::handle);
    return Future.all(consumer.completion(), control.completion(), local.completion()).map(v -> {
      if (!closed) {
        served = registry;
        served.add(address);
      }
      return (Service) this;
    });
  }

  /** Takes the service off the registry of local scoped callers (once). On the context. */
  private void unlist() {
    if (served != null) {
      served.remove(address);
      served = null;
    }
  }

  @Override
  public String address() {
    return address;
  }

  @Override
  public int inFlight() {
    return inFlightSnapshot;
  }

  /** {@return the context the service runs on} */
  Context context() {
    return context;
  }

  /** {@return how many calls are tracked (tests)} On the context. */
  int trackedCalls() {
    return inFlight;
  }

  /** {@return how many tracked calls come from other nodes (tests)} On the context. */
  int remoteCalls() {
    return remoteCalls;
  }

  /** {@return whether the node check timer is armed (tests)} On the context. */
  boolean watching() {
    return watchTimer >= 0;
  }

  @Override
  public Future<Void> close() {
    Promise<Void> done = Promise.promise();
    context.runOnContext(v -> {
      if (!closed) {
        closed = true;
        unlist();
        for (Call c : callsInFlight()) {
          c.cancel(CallState.CLOSED); // answered FAILURE_UNAVAILABLE when it settles
        }
      }
      (local == null ? Future.all(consumer.unregister(), control.unregister())
          : Future.all(consumer.unregister(), control.unregister(), local.unregister()))
          .<Void>mapEmpty().onComplete(done);
    });
    return done.future();
  }

  /** A message to the served address or to the local one: a {@link LocalCall} carries what the headers would. */
  private void handle(Message<T> message) {
    if (closed) {
      message.fail(ScopedEventBus.FAILURE_UNAVAILABLE, "service " + address + " is closed");
      return;
    }
    Object body = message.body();
    if (body instanceof LocalCall) {
      LocalCall local = (LocalCall) body;
      // The call itself is its key: a cancel signal is the same object, and it cannot be in flight twice.
      serve(message, new LocalCall.View<>(message, local, address), local.remainingMs, local, ClusterView.LOCAL);
      return;
    }
    MultiMap headers = message.headers();
    if (headers.isEmpty()) { // a plain request: no deadline, no id (each lookup would hash its header's name)
      serve(message, message, -1, null, null);
      return;
    }
    long callerMs = -1;
    Optional<Duration> callerTime = DeadlineHeader.read(headers); // malformed: empty, the maximum applies
    if (callerTime.isPresent()) {
      callerMs = DeadlineHeader.millis(callerTime.get());
    }
    String id = headers.get(ScopedEventBus.REQUEST_ID_HEADER);
    String node = ScopedEventBus.callerNode(id);
    if (node == null || byId.containsKey(id)) {
      id = null; // malformed or reused: served, but not cancellable by signal or by the caller's node leaving
    }
    serve(message, message, callerMs, id, id == null ? null : node);
  }

  /**
   * Runs one call: {@code view} is what the handler sees and what is answered (the bus's
   * {@code message}, or a view that answers through it); the caller's remaining time in ms
   * ({@code -1}: none sent), the call's key for cancel signals (null: none).
   */
  private void serve(Message<?> message, Message<T> view, long callerMs, Object key, String node) {
    TaskGroupOptions groupOptions = maxOptions;
    boolean callersDeadline = false;
    if (callerMs == 0) {
      message.fail(ScopedEventBus.FAILURE_TIMEOUT, "no time left: the caller's " + ScopedEventBus.DEADLINE_HEADER
          + " was 0");
      return;
    }
    if (callerMs > 0) {
      if (callerMs != lastCallerMs) { // calls of one caller's group carry (nearly) one remaining time: its options are shared
        Duration callerTime = Duration.ofMillis(callerMs);
        lastCallerOptions = callerTime.compareTo(options.getMaxTimeout()) < 0
            ? new TaskGroupOptions().setName(address).setTimeout(callerTime) : null;
        lastCallerMs = callerMs;
      }
      if (lastCallerOptions != null) {
        groupOptions = lastCallerOptions;
        callersDeadline = true;
      }
    }
    Call call = new Call(view, key, node);
    call.callersDeadline = callersDeadline;
    track(call, +1);
    if (key instanceof LocalCall) {
      ((LocalCall) key).receipt = call; // its cancel signal is the same object: it finds the call there
    }
    TaskGroup.run(vertx, groupOptions, call).onComplete(call);
  }

  /** {@return a snapshot of the calls in flight, oldest first} Cancelling one may settle it and unlink it. */
  private List<Call> callsInFlight() {
    List<Call> all = new ArrayList<>(inFlight);
    for (Call c = first; c != null; c = c.next) {
      all.add(c);
    }
    return all;
  }

  private Future<R> body(TaskGroup group, Message<T> message) {
    Future<R> f;
    try {
      f = handler.handle(group, message);
    } catch (Exception e) {
      return Future.failedFuture(e);
    }
    return f != null ? f : Future.failedFuture(new IllegalStateException(
        "the handler of " + address + " returned null instead of a future"));
  }

  private void track(Call call, int delta) {
    if (delta > 0) {
      call.prev = last;
      if (last == null) {
        first = call;
      } else {
        last.next = call;
      }
      last = call;
      inFlight++;
      if (call.id instanceof String) {
        byId.put((String) call.id, call);
      }
    } else {
      Call p = call.prev;
      Call n = call.next;
      if (p == null) {
        first = n;
      } else {
        p.next = n;
      }
      if (n == null) {
        last = p;
      } else {
        n.prev = p;
      }
      call.prev = null;
      call.next = null;
      inFlight--;
      if (call.id instanceof String) {
        byId.remove(call.id);
      } else if (call.id instanceof LocalCall) {
        ((LocalCall) call.id).receipt = null; // a late signal finds nothing, as a late id does
      }
    }
    IN_FLIGHT_SNAPSHOT.setRelease(this, inFlight); // a snapshot: no fence needed, twice per message
    if (cluster != null && call.node != null && !call.node.equals(ownNode)) {
      remoteCalls += delta;
      if (remoteCalls > 0 && watchTimer < 0) {
        long every = options.getNodeCheckInterval().toMillis();
        watchTimer = vertx.setPeriodic(every, every, t -> checkCallerNodes());
      } else if (remoteCalls == 0 && watchTimer >= 0) {
        vertx.cancelTimer(watchTimer);
        watchTimer = -1;
      }
    }
  }

  /** The node check: work for a caller whose node is no longer a member is cancelled. */
  private void checkCallerNodes() {
    Set<String> members = ClusterView.members(cluster);
    if (members == null) {
      return; // this node is leaving: its own shutdown ends the work
    }
    List<Call> gone = new ArrayList<>();
    for (Call c = first; c != null; c = c.next) {
      if (c.node != null && !c.node.equals(ownNode) && !members.contains(c.node)) {
        gone.add(c);
      }
    }
    for (Call c : gone) { // outside the loop: a cancelled group may settle at once and leave the map
      callersLost++;
      c.cancel(CallState.CALLER_GONE);
    }
  }

  private void handleCancel(Message<Object> signal) {
    Object body = signal.body();
    Call call = null;
    if (body instanceof String) {
      call = byId.get(body);
    } else if (body instanceof LocalCall) {
      Object receipt = ((LocalCall) body).receipt; // every local service gets the signal: only the holder acts
      call = receipt instanceof ServiceImpl.Call && ((ServiceImpl<?, ?>.Call) receipt).service() == this
          ? (Call) receipt : null;
    }
    if (call != null && call.state == CallState.TIMEOUT_HELD) { // the caller's deadline, seen from both ends
      vertx.cancelTimer(call.heldTimer);
      call.state = CallState.ANSWERED;
      track(call, -1);
      droppedResults++;
      call.message.fail(ScopedEventBus.FAILURE_CANCELLED, "cancelled by the caller");
      return;
    }
    if (call == null || call.state != CallState.RUNNING) {
      ignoredCancels++;
      return;
    }
    call.message.fail(ScopedEventBus.FAILURE_CANCELLED, "cancelled by the caller");
    call.cancel(CallState.CANCELLED_BY_CALLER);
  }

  /** The call's group settled ({@code failure} null: it succeeded with {@code result}): answer, unless the caller is no longer waiting. */
  private void settle(Call call, R result, Throwable failure) {
    if (call.state == CallState.RUNNING && call.callersDeadline && failure != null
        && failureOf(failure).failureCode() == ScopedEventBus.FAILURE_TIMEOUT) {
      call.state = CallState.TIMEOUT_HELD;
      call.heldTimer = vertx.setTimer(ScopedIo.DEADLINE_GRACE_MS, t -> {
        if (call.state == CallState.TIMEOUT_HELD) { // no cancel signal came: the caller still waits
          call.state = CallState.RUNNING;
          call.callersDeadline = false;
          settle(call, result, failure);
        }
      });
      return;
    }
    track(call, -1);
    CallState state = call.state;
    call.state = CallState.ANSWERED;
    if (state == CallState.CANCELLED_BY_CALLER || state == CallState.CALLER_GONE) {
      droppedResults++;
      return;
    }
    if (state == CallState.CLOSED) {
      call.message.fail(ScopedEventBus.FAILURE_UNAVAILABLE, "service " + address + " was closed");
    } else if (failure == null) {
      call.message.reply(result, REPLY);
    } else {
      ReplyException reply = failureOf(failure);
      call.message.fail(reply.failureCode(), reply.getMessage());
    }
  }

  /** {@return the failure reply for a group's failure} */
  static ReplyException failureOf(Throwable cause) {
    List<Throwable> errors = cause instanceof TaskGroupException ? ((TaskGroupException) cause).exceptions() : List.of(cause);
    for (Throwable e : errors) {
      if (e instanceof TaskTimeoutException
          || e instanceof ReplyException && ((ReplyException) e).failureType() == ReplyFailure.TIMEOUT) {
        return new ReplyException(ReplyFailure.RECIPIENT_FAILURE, ScopedEventBus.FAILURE_TIMEOUT, e.getMessage());
      }
    }
    Throwable first = errors.isEmpty() ? cause : errors.get(0);
    if (first instanceof ReplyException && ((ReplyException) first).failureType() == ReplyFailure.RECIPIENT_FAILURE) {
      return (ReplyException) first;
    }
    if (first instanceof TaskCancelledException) {
      CancelReason reason = ((TaskCancelledException) first).reason();
      return new ReplyException(ReplyFailure.RECIPIENT_FAILURE, ScopedEventBus.FAILURE_UNAVAILABLE,
          "the service stopped the work (" + reason + ")");
    }
    return new ReplyException(ReplyFailure.RECIPIENT_FAILURE, ScopedEventBus.FAILURE_ERROR, String.valueOf(first));
  }

  @Override
  public String toString() {
    return "Service{" + address + ", inFlight=" + inFlightSnapshot + (closed ? ", closed" : "") + "}";
  }
}
