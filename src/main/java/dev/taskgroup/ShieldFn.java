package dev.taskgroup;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.time.Duration;
import java.util.Objects;

/**
 * A shielded function (see {@link TaskFn#shielded}, {@link TaskGroup#shield}): runs in a
 * {@link ChildScope} that no enclosing cancellation or deadline reaches, bounded by its own
 * timeout, awaited by the group. Immutable; reusable across tasks.
 */
final class ShieldFn<T> implements TaskFn<T> {
  private final TaskFn<T> inner;
  private final Duration timeout;

  ShieldFn(TaskFn<T> inner, Duration timeout) {
    this.inner = Objects.requireNonNull(inner, "step");
    this.timeout = Durations.requirePositive(timeout, "timeout");
  }

  @Override
  public Future<T> run(TaskScope scope) {
    ScopeImpl parent = ScopeImpl.of(scope);
    GroupImpl<?> group = parent.group;
    group.checkOnContext("a shield's run");
    // Not refused in a cancelled or finished scope (cleanup runs just then): only once nothing waits for it.
    if (group.closed()) {
      return Future.failedFuture(group.closedCause());
    }
    Promise<T> promise = VertxContexts.promise(group.context);
    ChildScope.shielded(parent, timeout, (ChildScope.Listener<T>) (c, value, error) -> {
      if (error == null) {
        promise.complete(value);
      } else {
        promise.fail(error);
      }
    }).start(inner);
    return promise.future();
  }

  @Override
  public String toString() {
    return "ShieldFn[" + timeout + ", " + inner + "]";
  }
}
