package dev.taskgroup.eventbus;

import dev.taskgroup.http.DeadlineHeader;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageCodec;
import java.util.Collections;
import java.util.Map;
import java.util.WeakHashMap;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A scoped request on a bus that is not clustered, to a service of this library in the same Vert.x:
 * the message body wraps the caller's body with its deadline and its sequence number, instead of
 * the two protocol headers (a message with headers allocates a header map at the sender and a copy
 * of it at every local delivery: most of a scoped call's price over a plain one, RESULTS.md 10).
 * It goes to the service's local address ({@link ScopedEventBus#LOCAL_SUFFIX}), never to the served
 * address itself, so that a plain consumer of that address never sees a wrapper; its cancel signal
 * is this object itself, published to the control address (a service finds its call by identity).
 *
 * <p>The wrapper never leaves the process: its codec refuses the wire, and the caller uses it only
 * when its Vert.x is not clustered. Rejected: a body wrapper to the served address whose codec
 * unwraps at delivery (the codec runs at the sender, per consumer, and cannot tell a plain consumer
 * from a service, nor hand the service what it unwrapped), and skipping the bus for a direct call
 * (the handler's {@code Message} would be ours, not the bus's, and interceptors would not see it).
 *
 * <p>Immutable once sent but for the service's {@link #receipt}; the bus's queue publishes it to
 * the service's context.
 */
final class LocalCall {
  /** The codec's name: {@value}. */
  static final String CODEC = "taskgroup-local-call";

  final Object body;
  /** The caller's remaining time, in the header's format (whole ms, capped), or -1 when it has no deadline. */
  final long remainingMs;
  /** The sequence part of the request id the headers would carry ({@code local/SEQ}). */
  final long sequence;
  /**
   * The service's record of the call, set by the service that received it, on its context; read
   * there when the cancel signal (this object) arrives. Every local service of the address gets
   * the signal: the others find a record that is not theirs (volatile, as they read it on their
   * own contexts), and ignore it. Never read by the caller.
   */
  volatile Object receipt;

  LocalCall(Object body, long remainingMs, long sequence) {
    this.body = body;
    this.remainingMs = remainingMs;
    this.sequence = sequence;
  }

  /** {@return the request id the wire protocol gives this call} */
  String id() {
    return ClusterView.LOCAL + "/" + sequence;
  }

  @Override
  public String toString() {
    return "LocalCall{" + id() + (remainingMs >= 0 ? ", " + remainingMs + " ms" : "") + "}";
  }

  /** Passes the wrapper as it is to a consumer in this process; refuses the wire. Stateless. */
  static final class Codec implements MessageCodec<LocalCall, LocalCall> {
    @Override
    public void encodeToWire(Buffer buffer, LocalCall call) {
      throw new IllegalStateException("a " + CODEC + " message cannot leave the process (" + call + ")");
    }

    @Override
    public LocalCall decodeFromWire(int pos, Buffer buffer) {
      throw new IllegalStateException("a " + CODEC + " message cannot come from the wire");
    }

    @Override
    public LocalCall transform(LocalCall call) {
      return call;
    }

    @Override
    public String name() {
      return CODEC;
    }

    @Override
    public byte systemCodecID() {
      return -1;
    }
  }

  /**
   * The addresses that services of this library consume on one event bus, which a scoped caller
   * consults to choose the wrapper, with the local address each is served at (made once, not per
   * call). Counted, since several services may serve one address. Kept per bus in a weak map, so
   * that a closed Vert.x is forgotten; the codec is registered once per bus, with the first service
   * or the first scoped call, whichever comes first.
   *
   * <p>Thread-safe: services add and remove their address on their own contexts, callers read on theirs.
   */
  static final class Served {
    private static final Map<EventBus, Served> BY_BUS = Collections.synchronizedMap(new WeakHashMap<>());
    /** The last bus looked up, so that the usual process with one Vert.x takes no lock per call. */
    private static volatile Served last;

    private final java.lang.ref.WeakReference<EventBus> bus;
    private final ConcurrentHashMap<String, Entry> addresses = new ConcurrentHashMap<>();

    /** How many services consume an address, and the local address they are served at. */
    private record Entry(int count, String local) {}

    private Served(EventBus bus) {
      this.bus = new java.lang.ref.WeakReference<>(bus);
    }

    /** {@return the registry of {@code bus}, made (with its codec) on first use} Any thread. */
    static Served of(EventBus bus) {
      Served s = last;
      if (s != null && s.bus.get() == bus) {
        return s;
      }
      synchronized (BY_BUS) {
        s = BY_BUS.get(bus);
        if (s == null) {
          bus.registerDefaultCodec(LocalCall.class, new Codec());
          s = new Served(bus);
          BY_BUS.put(bus, s);
        }
      }
      last = s;
      return s;
    }

    /**
     * {@return the local address ({@link ScopedEventBus#LOCAL_SUFFIX}) at which a service of this
     * library consumes {@code address} on this bus, or null when none does} Any thread.
     */
    String localAddress(String address) {
      Entry e = addresses.get(address);
      return e == null ? null : e.local;
    }

    void add(String address) {
      addresses.merge(address, new Entry(1, address + ScopedEventBus.LOCAL_SUFFIX), (e, one) -> new Entry(e.count + 1, e.local));
    }

    void remove(String address) {
      addresses.computeIfPresent(address, (a, e) -> e.count == 1 ? null : new Entry(e.count - 1, e.local));
    }
  }

  /**
   * What the handler of a service sees of a wrapped call: the bus's message with the caller's
   * body, the served address, and the headers the wire protocol would have carried (made on first
   * ask, so that a handler reading them sees what a remote one sees). Replies go through the bus's
   * message. On the service's context, as any message.
   */
  static final class View<T> implements Message<T> {
    private final Message<?> message;
    private final LocalCall call;
    private final String address;
    private MultiMap headers; // made on first ask

    View(Message<?> message, LocalCall call, String address) {
      this.message = message;
      this.call = call;
      this.address = address;
    }

    @Override
    public String address() {
      return address;
    }

    @Override
    public MultiMap headers() {
      if (headers == null) {
        MultiMap h = MultiMap.caseInsensitiveMultiMap().addAll(message.headers());
        if (call.remainingMs >= 0) {
          h.set(DeadlineHeader.NAME, Long.toString(call.remainingMs));
        }
        h.set(ScopedEventBus.REQUEST_ID_HEADER, call.id());
        headers = h;
      }
      return headers;
    }

    @SuppressWarnings("unchecked")
    @Override
    public T body() {
      return (T) call.body;
    }

    @Override
    public String replyAddress() {
      return message.replyAddress();
    }

    @Override
    public boolean isSend() {
      return message.isSend();
    }

    @Override
    public void reply(Object reply, DeliveryOptions options) {
      message.reply(reply, options);
    }

    @Override
    public <R> Future<Message<R>> replyAndRequest(Object reply, DeliveryOptions options) {
      return message.replyAndRequest(reply, options);
    }

    @Override
    public String toString() {
      return "Message{" + address + ", " + call + "}";
    }
  }
}
