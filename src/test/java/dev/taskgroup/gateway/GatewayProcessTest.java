package dev.taskgroup.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import dev.taskgroup.VertxTest;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.NetSocket;
import io.vertx.junit5.VertxExtension;
import java.io.File;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The gateway as an operator runs it: a child JVM ({@code GatewayMain}) in front of an upstream in
 * this JVM, stopped with SIGTERM ({@link Process#destroy()}).
 */
@ExtendWith(VertxExtension.class)
class GatewayProcessTest {
  private Vertx vertx;
  private HttpClient client;
  private Process process;
  private int port;
  private Path log; // the child's stdout and stderr

  @BeforeEach
  void setUp(Vertx vertx) {
    this.vertx = vertx;
    this.client = vertx.createHttpClient(new HttpClientOptions().setKeepAlive(false));
  }

  @AfterEach
  void tearDown() {
    if (process != null && process.isAlive()) {
      process.destroyForcibly();
    }
  }

  /** Starts the gateway in a child JVM ({@code ulimit} first when not null) and waits until it listens. */
  private void startChild(TestUpstream upstream, JsonObject http, String ulimit) throws IOException, InterruptedException {
    // The first request of this JVM loads the HTTP classes on its event loop: done before the child
    // competes for the CPU, so that the blocked-thread check does not take the loading for a block.
    TestUpstream warm = TestUpstream.start(vertx, "warm-up");
    // body() attached in send's callback, as in get
    Await.result(client.request(HttpMethod.GET, warm.port(), "127.0.0.1", "/")
        .compose(req -> req.send().compose(resp -> resp.body())));
    port = freePort();
    JsonObject config = new JsonObject()
        .put("http", http.copy().put("host", "127.0.0.1").put("port", port).put("instances", 1))
        .put("upstreams", new JsonObject().put(upstream.name, new JsonObject().put("url", upstream.url())))
        .put("routes", new JsonArray().add(new JsonObject().put("path", "/api/dashboard/:userId").put("deadlineMs", 5000)
            .put("calls", new JsonArray().add(new JsonObject().put("upstream", upstream.name)))));
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    List<String> command = List.of(java, "-cp", gatewayClasspath(),
        GatewayMain.class.getName(), "-conf", config.encode());
    ProcessBuilder builder = new ProcessBuilder(command);
    if (ulimit != null) { // bash sets the limit, then becomes the JVM: SIGTERM still reaches it
      List<String> limited = new ArrayList<>(List.of("bash", "-c", "ulimit -n " + ulimit + " && exec \"$@\"", "gateway"));
      limited.addAll(command);
      builder = new ProcessBuilder(limited);
    }
    // To a file, not a pipe: Process.destroy() closes the pipes, and the last lines would be lost.
    log = Files.createTempFile("gateway-child", ".log");
    process = builder.redirectErrorStream(true).redirectOutput(log.toFile()).start();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (output().stream().noneMatch(line -> line.contains("listening on"))) {
      if (System.nanoTime() > deadline || process.waitFor(50, TimeUnit.MILLISECONDS)) {
        throw new AssertionError("the gateway did not start: " + output());
      }
    }
  }

  /** The jars only the tests use: JUnit, jqwik, AssertJ and theirs, Mutiny and its two (for dev.taskgroup.mutiny's tests). */
  private static final Pattern TEST_ONLY_JARS = Pattern.compile(
      "(junit-|jqwik|assertj-|opentest4j-|apiguardian-|byte-buddy-|vertx-junit5-|mutiny-|jctools-|smallrye-common-)");

  /**
   * {@return the test JVM's classpath without {@link #TEST_ONLY_JARS}} The child is the gateway,
   * not a test: every jar its JVM opens holds a descriptor, and under the {@code ulimit} tests the
   * test runner's 20 jars took so many of {@code GatewayState.RESERVED_FDS} that a flood could
   * leave the gateway without descriptors to serve again (seen once Mutiny's three jars joined).
   */
  private static String gatewayClasspath() {
    return Arrays.stream(System.getProperty("java.class.path").split(File.pathSeparator))
        .filter(entry -> !TEST_ONLY_JARS.matcher(Path.of(entry).getFileName().toString()).lookingAt())
        .collect(Collectors.joining(File.pathSeparator));
  }

  /** {@return what the child has printed so far} */
  private List<String> output() throws IOException {
    return Files.readAllLines(log, StandardCharsets.UTF_8);
  }

  /** {@return the child's thread dump ({@code jcmd PID Thread.print}), for a failure's message} */
  private String childThreads() {
    try {
      Path jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd");
      Process dump = new ProcessBuilder(jcmd.toString(), Long.toString(process.pid()), "Thread.print")
          .redirectErrorStream(true).start();
      String text = new String(dump.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      dump.waitFor(10, TimeUnit.SECONDS);
      return text;
    } catch (IOException | InterruptedException e) {
      return "(no dump: " + e + ")";
    }
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    }
  }

  private Future<Integer> get(String uri) {
    // body() is attached in send's own callback, on the event loop that delivers the response:
    // chained from the test thread, it could come after the end, which Vert.x 5.0.7 drops
    // (see ScopedHttpTest's malformedOrNegativeDeadlineHeaderReadsAsAbsent)
    return client.request(HttpMethod.GET, port, "127.0.0.1", uri)
        .compose(req -> req.send().compose(resp -> resp.body().map(b -> resp.statusCode())));
  }

  private int exitStatus() throws InterruptedException, IOException {
    boolean exited = process.waitFor(15, TimeUnit.SECONDS);
    assertThat(exited).as("exited within 15 s; output: %s", output()).isTrue();
    return process.exitValue();
  }

  @Test
  void onSigtermAnInFlightRequestIsAnsweredAndTheProcessExits0() throws Exception {
    TestUpstream profile = TestUpstream.start(vertx, "profile");
    profile.answers(200, "{}", 1000);
    startChild(profile, new JsonObject(), null);
    Future<Integer> inFlight = get("/api/dashboard/42");
    Await.result(profile.arrived);

    process.destroy(); // SIGTERM

    assertThat(Await.result(inFlight)).isEqualTo(200);
    assertThat(exitStatus()).isZero();
    assertThat(output()).anyMatch(line -> line.contains("draining"));
  }

  @Test
  void onSigtermTheGatewayStopsAccepting() throws Exception {
    TestUpstream profile = TestUpstream.start(vertx, "profile").hangs();
    startChild(profile, new JsonObject().put("shutdownGraceMs", 3000), null);
    get("/api/dashboard/42");
    Await.result(profile.arrived);

    process.destroy();

    // Within the grace period the in-flight request still runs, but no new connection is taken.
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(2);
    boolean refused = false;
    while (!refused && System.nanoTime() < deadline) {
      refused = VertxTest.completion(get("/health/live"), Await.PATIENCE).failed();
    }
    assertThat(refused).as("a new connection was refused while draining").isTrue();
    assertThat(exitStatus()).isZero();
  }

  @Test
  void whatIsLeftAfterTheGracePeriodIsCancelledWithItsUpstreamRequestResetAndTheProcessExits0() throws Exception {
    TestUpstream profile = TestUpstream.start(vertx, "profile").hangs();
    startChild(profile, new JsonObject().put("shutdownGraceMs", 300), null);
    Future<Integer> inFlight = get("/api/dashboard/42");
    Await.result(profile.arrived);

    long destroyed = System.nanoTime();
    process.destroy();

    long aborted = Await.result(profile.aborted);
    assertThat(TimeUnit.NANOSECONDS.toMillis(aborted - destroyed)).isBetween(250L, 4000L);
    assertThat(exitStatus()).isZero();
    assertThat(VertxTest.completion(inFlight, Await.PATIENCE).failed()).as("the client's connection was closed").isTrue();
  }

  @Test
  void underALowFileDescriptorLimitAFloodIsRefusedAndTheAcceptorSurvivesToServeAgain() throws Exception {
    // The cap is checked once a connection is accepted; a burst faster than the event loops close
    // the surplus can still run the process out of descriptors for a moment (then Netty logs
    // "Too many open files" and pauses accepting for a second). What must hold: no Error (issue 14
    // saw a NoClassDefFoundError kill the acceptor while such a failure was logged) and the gateway
    // accepts and serves again once the flood is gone.
    TestUpstream profile = TestUpstream.start(vertx, "profile");
    startChild(profile, new JsonObject(), "256"); // the default cap, lowered to fit 256 descriptors
    List<NetSocket> held = new ArrayList<>();
    for (int i = 0; i < 300; i++) { // more than the process could hold
      NetSocket socket = VertxTest.completion(vertx.createNetClient().connect(port, "127.0.0.1"), Await.PATIENCE).result();
      if (socket != null) {
        socket.handler(b -> {});
        socket.write("GET /health HTTP/1.1\r\nHost: x\r\n"); // headers never finished
        held.add(socket);
      }
    }
    Integer whileFull = VertxTest.completion(get("/health/live"), Await.PATIENCE).result();
    assertThat(whileFull).as("refused while full: 503, or closed at accept (null)").isIn(null, 503);

    for (NetSocket socket : held) {
      socket.close();
    }

    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    Integer answer = null;
    while ((answer == null || answer != 200) && System.nanoTime() < deadline) {
      // bounded: a request the gateway never answers is retried, and reported below with its threads
      answer = VertxTest.completion(get("/api/dashboard/42").timeout(2, TimeUnit.SECONDS), Await.PATIENCE).result();
    }
    if (answer == null || answer != 200) {
      throw new AssertionError("not served again once the connections closed (last answer " + answer
          + "); output: " + output() + "\n==== the gateway's threads ====\n" + childThreads());
    }
    assertThat(output()).noneMatch(line -> line.contains("Error:") || line.contains("NoClassDefFoundError"));
    process.destroy();
    assertThat(exitStatus()).isZero();
  }
}
