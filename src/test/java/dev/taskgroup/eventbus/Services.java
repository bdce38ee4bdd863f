package dev.taskgroup.eventbus;

import io.vertx.core.Promise;
import java.util.concurrent.TimeUnit;

/** Test access to a service's own bookkeeping, read on its context. */
final class Services {
  private Services() {}

  /** What a service still holds: calls tracked, calls from other nodes, whether its node check is armed. */
  record Leftovers(int tracked, int remote, boolean watching, long ignoredCancels, long droppedResults,
                   long callersLost) {}

  /** {@return what {@code service} holds now} Blocks: call from a test thread. */
  static Leftovers leftovers(Service service) throws Exception {
    ServiceImpl<?, ?> impl = (ServiceImpl<?, ?>) service;
    Promise<Leftovers> p = Promise.promise();
    impl.context().runOnContext(v -> p.complete(new Leftovers(impl.trackedCalls(), impl.remoteCalls(),
        impl.watching(), impl.ignoredCancels, impl.droppedResults, impl.callersLost)));
    return p.future().await(10, TimeUnit.SECONDS);
  }
}
