package dev.taskgroup.bench;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.StructuredTaskScope;
import java.util.concurrent.StructuredTaskScope.Joiner;

/**
 * {@link FailFastMain} with the JDK 25 contender {@code sts} added: virtual threads in a
 * {@link StructuredTaskScope} ({@link Joiner#allSuccessfulOrThrow()}, fail fast). The scope's owner
 * is a virtual thread started from the loop; task 0 waits until every sibling has started, then
 * {@code Future.await}s a promise the loop fails; the siblings {@code Thread.sleep} and are
 * interrupted when the scope is cancelled. The contender's future fails after the scope has closed
 * (every forked thread finished). Usage as FailFastMain's, e.g.
 * {@code java --enable-preview -cp benchmarks-jdk25.jar dev.taskgroup.bench.StructuredFailFastMain
 * 10000 500 10 15 taskgroup,kotlin,mutiny,sts}.
 */
public final class StructuredFailFastMain {
  public static void main(String[] args) throws Exception {
    FailFastMain.run(args, Map.of("sts", new FailFastMain.Contender("StructuredTaskScope (Thread.sleep)",
        (bench, probe) -> structured(bench.n, bench.sleepMs, probe))));
  }

  private static Future<Object> structured(int n, long sleepMs, FailFastMain.Probe probe) {
    Promise<Object> done = Promise.promise();
    Thread.ofVirtual().name("sts-owner").start(() -> {
      try (var scope = StructuredTaskScope.open(Joiner.<Integer>allSuccessfulOrThrow())) {
        CountDownLatch ready = new CountDownLatch(n - 1);
        scope.fork(() -> {
          ready.await();
          return probe.failing().await();
        });
        for (int i = 1; i < n; i++) {
          int k = i;
          scope.fork(() -> {
            probe.started();
            ready.countDown();
            Thread.sleep(sleepMs);
            return probe.work(k);
          });
        }
        scope.join();
        done.fail(new AssertionError("expected a failure"));
      } catch (StructuredTaskScope.FailedException e) {
        done.tryFail(e.getCause());
      } catch (Throwable e) {
        done.tryFail(e);
      }
    });
    return done.future();
  }
}
