package dev.taskgroup;

import io.vertx.core.Future;

/**
 * A function that runs attempts of an inner function: {@link RetryFn} or {@link HedgeFn}. Spawned
 * as a task's whole function (or a pattern's), it runs attempt 1 in the task's own scope
 * ({@link AttemptTask}); run any other way, each attempt in a child scope of the caller's. An
 * abstract class rather than an interface: the spawn loop tests every function for it, and a
 * class test is a compare where an interface test may scan.
 */
abstract class AttemptFn<T> implements TaskFn<T>, AttemptTask.Role<T> {
  /**
   * Runs attempt 1 in {@code task}'s own scope, having set the task's role; counts the call in
   * the budget. {@return attempt 1's work} (a throw or a null becomes a failed future that says so)
   */
  abstract Future<T> runFirst(AttemptTask<T> task);

  /**
   * When attempt 1 is nothing but the inner function's call in {@code task}'s own scope, does what
   * {@link #runFirst} does before that call and {@return the inner function}, which the task then
   * calls as a bare task calls its function (see {@link AbstractTask#entry}); else null, and the
   * task calls {@link #runFirst}.
   */
  TaskFn<T> firstCall(AttemptTask<T> task) {
    return null;
  }

  /** {@return {@code inner}'s work in {@code task}'s scope: a throw or a null is attempt 1's failure} */
  static <T> Future<T> callFirst(TaskFn<T> inner, AttemptTask<T> task) {
    Future<T> work;
    try {
      work = inner.run(task.scope());
    } catch (Throwable e) {
      return Future.failedFuture(e);
    }
    return work != null ? work : Future.failedFuture(new NullPointerException(firstReturnedNull(task.scope())));
  }

  /** {@return what attempt 1 of {@code task} fails with when its function returned null} */
  static String firstReturnedNull(AbstractTask<?> task) {
    return "the function of attempt 1 of '" + task.name() + "' returned null instead of a Future";
  }
}
