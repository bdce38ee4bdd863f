package dev.taskgroup.gateway;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.lang.management.OperatingSystemMXBean;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.CodeSource;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.stream.Stream;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.SimpleFormatter;

/**
 * What every {@link Gateway} instance of one process shares: the metrics registry, the counts of
 * open client connections and of requests in flight (the caps are process-wide), and whether the
 * process is draining. Thread-safe: atomics and a volatile flag, written by any instance's loop.
 */
final class GatewayState {
  /** Descriptors kept free for what is not a client connection: jars, logs, the JVM's own. */
  static final int RESERVED_FDS = 64;

  final GatewayMetrics metrics;
  /** The cap on client connections: the configured one, lowered to what the fd limit allows. */
  final int maxConnections;
  final AtomicInteger connections = new AtomicInteger();
  final AtomicInteger inFlight = new AtomicInteger();
  /** Upstream calls in flight, by upstream; compared with the pools for readiness. */
  final Map<String, AtomicInteger> upstreamCalls = new LinkedHashMap<>();
  /** Set once, when a shutdown begins; read by every request to /health. */
  volatile boolean draining;

  GatewayState(GatewayConfig config) {
    this.metrics = new GatewayMetrics(config.upstreams().keySet());
    config.upstreams().keySet().forEach(name -> upstreamCalls.put(name, new AtomicInteger()));
    int pools = config.upstreams().values().stream().mapToInt(GatewayConfig.Upstream::maxConnections).sum();
    this.maxConnections = capFor(config.http().maxConnections(), fdLimit(),
        RESERVED_FDS + pools * config.http().instances());
    metrics.gauge("gateway.requests.in.flight", "route requests being answered", inFlight::get);
    metrics.gauge("gateway.connections.open", "client connections open", connections::get);
    upstreamCalls.forEach((name, calls) ->
        metrics.gauge("gateway.upstream.calls.in.flight", "upstream calls in flight", calls::get, "upstream", name));
    warmUpLogging();
    preloadOwnClasses();
  }

  private int observing; // instances started and not stopped; guarded by this
  private dev.taskgroup.micrometer.TaskGroupMetrics taskGroupMetrics; // bound while observing > 0; guarded by this
  private boolean agesSwitchedOn; // guarded by this

  /**
   * An instance starts: the first one binds the library's task-group meters (the {@code group}
   * tag is the route pattern, so the series are bounded by the config) to the gateway's registry,
   * and, when {@code /admin/tasks} is served, switches task ages on (JVM-wide; a gateway process
   * serves one gateway).
   */
  synchronized void observe(io.vertx.core.Vertx vertx, boolean ages) {
    if (observing++ == 0) {
      taskGroupMetrics = new dev.taskgroup.micrometer.TaskGroupMetrics(vertx, dev.taskgroup.micrometer.TaskGroupMetrics.DEFAULT_MAX_GROUP_NAMES);
      taskGroupMetrics.bindTo(metrics.registry());
      if (ages && !dev.taskgroup.Observability.tracksTaskAges()) {
        dev.taskgroup.Observability.trackTaskAges(true);
        agesSwitchedOn = true;
      }
    }
  }

  /** An instance stopped: the last one unbinds the meters (and switches task ages off if it switched them on). */
  synchronized void unobserve() {
    if (observing > 0 && --observing == 0) {
      taskGroupMetrics.close();
      taskGroupMetrics = null;
      if (agesSwitchedOn) {
        dev.taskgroup.Observability.trackTaskAges(false);
        agesSwitchedOn = false;
      }
    }
  }

  /**
   * {@return {@code configured}, lowered so that every client connection the gateway may hold (the
   * cap and the refusal margin above it, see {@link #ceiling}) and {@code reserved} fit in {@code fdLimit}}
   */
  static int capFor(int configured, long fdLimit, long reserved) {
    if (fdLimit <= 0) {
      return configured;
    }
    return (int) Math.max(1, Math.min(configured, (fdLimit - reserved - 16) * 10 / 11));
  }

  /**
   * {@return the most client connections held at once}: up to the cap they are served; up to a
   * tenth more (plus 16) they are answered 503 to their first request; beyond, closed at accept.
   */
  static int ceiling(int cap) {
    return cap + cap / 10 + 16;
  }

  /** {@return the process's open-file limit, or -1 where the JVM does not tell} */
  static long fdLimit() {
    OperatingSystemMXBean os = ManagementFactory.getOperatingSystemMXBean();
    if (os instanceof com.sun.management.UnixOperatingSystemMXBean) {
      return ((com.sun.management.UnixOperatingSystemMXBean) os).getMaxFileDescriptorCount();
    }
    return -1;
  }

  /**
   * Formats one log record, so that the classes logging needs (time zones among them) are loaded
   * while descriptors are plenty: issue 14 saw the acceptor die of a {@code NoClassDefFoundError}
   * raised while an accept failure caused by descriptor exhaustion was being logged.
   */
  private static void warmUpLogging() {
    new SimpleFormatter().format(new LogRecord(Level.WARNING, "warm-up"));
  }

  private static final AtomicBoolean PRELOADED = new AtomicBoolean();

  /**
   * Loads every class of the gateway and the library ({@code dev.taskgroup.*}) now, while
   * descriptors are plenty; once per process. Run from a directory of classes (an IDE, the tests),
   * each class is a file the JVM opens on first use. A class first used during descriptor
   * exhaustion (the connection class, by the first connection of a flood) then fails to load, the
   * JVM keeps that failed resolution for good, and every later connection dies of the same
   * {@code NoClassDefFoundError}: the gateway accepts and never answers again (seen under load, in
   * {@code GatewayProcessTest}). From a jar nothing is opened after start-up, and this is a few
   * hundred cheap class loads. A class whose optional dependency is absent is skipped.
   */
  private static void preloadOwnClasses() {
    if (!PRELOADED.compareAndSet(false, true)) {
      return;
    }
    ClassLoader loader = GatewayState.class.getClassLoader();
    Set<Path> roots = new LinkedHashSet<>();
    for (Class<?> anchor : List.of(GatewayState.class, dev.taskgroup.TaskGroup.class)) {
      CodeSource source = anchor.getProtectionDomain().getCodeSource();
      if (source != null && "file".equals(source.getLocation().getProtocol())) {
        try {
          roots.add(Path.of(source.getLocation().toURI()));
        } catch (URISyntaxException | IllegalArgumentException e) {
          // not a plain path: nothing to preload from it
        }
      }
    }
    for (Path root : roots) {
      for (String name : classNames(root)) {
        try {
          Class.forName(name, false, loader);
        } catch (ClassNotFoundException | LinkageError absentDependency) {
          // e.g. dev.taskgroup.mutiny without Mutiny on the classpath: never used, never needed
        }
      }
    }
  }

  /** {@return the names of the {@code dev.taskgroup} classes in a directory or jar of classes} Best effort: none on an I/O error. */
  private static List<String> classNames(Path root) {
    List<String> entries = new ArrayList<>();
    try {
      if (Files.isDirectory(root)) {
        Path base = root.resolve("dev").resolve("taskgroup");
        if (Files.isDirectory(base)) {
          try (Stream<Path> files = Files.walk(base)) {
            files.map(f -> root.relativize(f).toString().replace(java.io.File.separatorChar, '/')).forEach(entries::add);
          }
        }
      } else if (Files.isRegularFile(root)) {
        try (JarFile jar = new JarFile(root.toFile())) {
          jar.stream().map(JarEntry::getName).forEach(entries::add);
        }
      }
    } catch (IOException | UncheckedIOException e) {
      return List.of();
    }
    List<String> names = new ArrayList<>();
    for (String entry : entries) {
      if (entry.startsWith("dev/taskgroup/") && entry.endsWith(".class") && !entry.endsWith("module-info.class")
          && !entry.endsWith("package-info.class")) {
        names.add(entry.substring(0, entry.length() - ".class".length()).replace('/', '.'));
      }
    }
    return names;
  }
}
