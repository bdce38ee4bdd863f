package dev.taskgroup;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CancellationException;
import java.util.function.Function;

/**
 * A scope for concurrent tasks whose future completes only after the body and every task in it
 * have settled; the first failure cancels the rest, and every error is reported.
 *
 * <pre>{@code
 * Future<Page> page = TaskGroup.run(vertx, group -> {
 *   Task<User> user = group.spawn("user", scope -> users.fetch(scope, id));
 *   Task<List<Order>> orders = group.spawn("orders", scope -> orders.fetch(scope, id));
 *   return Future.all(user.future(), orders.future()).map(done -> new Page(user, orders));
 * });
 * }</pre>
 *
 * <h2>Failure</h2>
 * When a task fails (or the body does), the group cancels every other task and the body's scope,
 * waits for all of them to settle, then fails with a {@link TaskGroupException} holding every real
 * error in the order they happened. Cancelled tasks are not errors. A task that throws, or returns
 * null instead of a future, is a failed task; it never crashes the group.
 *
 * <p>Timeouts take the same shape: a task's {@link TaskFn#withTimeout timeout} and the group's own
 * {@link TaskGroupOptions#setTimeout deadline} each become a {@link TaskTimeoutException} among
 * the errors of a {@code TaskGroupException}, for {@code run}, nested groups and every pattern
 * alike. Why not the bare timeout for a deadline: whether another task failed in the same turn
 * would then decide the failure's type, and one {@code catch} would no longer handle every
 * failure. Find the timeout with {@code e.subgroup(TaskTimeoutException.class::isInstance)}.
 *
 * <h2>Cancellation</h2>
 * Cancellation is cooperative and flows down at once: to every task's {@link TaskScope}, to nested
 * groups and their tasks, to sleeps and to I/O bound to a scope. {@link #cancel()} ends the group
 * early and cleanly: it completes without error (with the body's result if the body had one).
 * Queued tasks that are cancelled never start.
 *
 * <h2>Lifecycle</h2>
 * Tasks may spawn into their own group while it runs, including after the body finished and the
 * group is waiting for them. Once the group is shutting down (cancelled or failing) or completed,
 * {@link #spawn} throws {@link IllegalStateException} saying which, and the function never runs.
 *
 * <h2>Threads</h2>
 * The group's state lives on one Vert.x context: the caller's, or one created for it. The body and
 * every task function run there; completions from other threads hop back to it; nothing blocks and
 * nothing locks. {@code spawn} must be called on that context; {@code cancel} may be called from
 * anywhere. Memory grows with the tasks running, not the tasks spawned: a finished task is dropped
 * at once.
 */
public final class TaskGroup implements TaskScope {
  private static final TaskGroupOptions DEFAULTS = new TaskGroupOptions(); // read-only

  final GroupImpl<?> impl;

  TaskGroup(GroupImpl<?> impl) {
    this.impl = impl;
  }

  /**
   * Runs {@code body} in a new group on the caller's context (or a new one when called off any
   * Vert.x thread).
   *
   * @return a future that completes once the body and every task have settled: with the body's
   *     result, or a {@link TaskGroupException}
   * @throws NullPointerException if an argument is null
   */
  public static <R> Future<R> run(Vertx vertx, Function<TaskGroup, Future<R>> body) {
    return run(vertx, DEFAULTS, body);
  }

  /**
   * Like {@link #run(Vertx, Function)}, with a name, a concurrency limit or a deadline. When the
   * deadline passes, everything is cancelled and, once it has all settled, the group fails with a
   * {@link TaskGroupException} whose first error is a {@link TaskTimeoutException} naming the group
   * (see Failure above).
   *
   * @throws NullPointerException if an argument is null
   */
  public static <R> Future<R> run(Vertx vertx, TaskGroupOptions options, Function<TaskGroup, Future<R>> body) {
    Objects.requireNonNull(vertx, "vertx");
    return GroupImpl.launch(vertx, vertx.getOrCreateContext(), options, null, null, body);
  }

  /**
   * Runs {@code body} in a group nested in {@code parent} (the scope of the task it runs in, or an
   * enclosing group): it shares the parent's context, the parent's cancellation reaches it at once,
   * and the parent's deadline bounds it. If {@code parent} is already cancelled, the body never runs
   * and the future fails with the parent's cancellation; if the parent is cancelled while the group
   * runs, the group fails with a {@link TaskCancelledException} of reason
   * {@link CancelReason#PARENT_CANCELLED} (or its errors, if it had some).
   *
   * <p>Await the returned future (return it, or compose on it): the enclosing group waits for a
   * nested group either way, but only an awaited one hands its errors to its caller. A nested
   * group still running when the task (or body) that opened it finishes is cancelled, and any real
   * error it then ends with becomes an error of the enclosing group, so that none is lost.
   *
   * @throws NullPointerException if an argument is null
   * @throws IllegalArgumentException if {@code parent} is not a scope of this library
   */
  public static <R> Future<R> run(TaskScope parent, Function<TaskGroup, Future<R>> body) {
    return run(parent, DEFAULTS, body);
  }

  /** Like {@link #run(TaskScope, Function)}, with options. */
  public static <R> Future<R> run(TaskScope parent, TaskGroupOptions options, Function<TaskGroup, Future<R>> body) {
    ScopeImpl p = ScopeImpl.of(parent);
    return GroupImpl.launch(p.group.vertx, p.group.context, options, p, null, body);
  }

  // ---- patterns: each is a group with a sink that collects its tasks ------------------------

  /**
   * Runs every task concurrently and returns their results in input order. Fail fast: the first
   * failure cancels the rest and the future fails with a {@link TaskGroupException}.
   *
   * @return the results in input order
   * @throws NullPointerException if an argument or an element of {@code tasks} is null
   */
  public static <T> Future<List<T>> all(Vertx vertx, List<? extends TaskFn<T>> tasks) {
    return all(vertx, DEFAULTS, tasks);
  }

  /** Like {@link #all(Vertx, List)}, with options (a concurrency limit, a deadline). */
  public static <T> Future<List<T>> all(Vertx vertx, TaskGroupOptions options, List<? extends TaskFn<T>> tasks) {
    Objects.requireNonNull(vertx, "vertx");
    checkTasks(tasks);
    Object[] results = new Object[tasks.size()];
    ResultSink sink = t -> {
      if (t.state == TaskState.SUCCEEDED) {
        results[t.seq] = t.result();
      }
      return false;
    };
    return GroupImpl.launch(vertx, vertx.getOrCreateContext(), options, null, sink, spawnAll(tasks))
        .map(done -> listOf(results));
  }

  /**
   * Runs every task to its end and returns every outcome in input order (like asyncio's
   * {@code gather(return_exceptions=True)}): a failure does not cancel the others. The future fails
   * only if the group itself does (its deadline passed).
   *
   * @return every outcome in input order
   * @throws NullPointerException if an argument or an element of {@code tasks} is null
   */
  public static <T> Future<List<Outcome<T>>> gather(Vertx vertx, List<? extends TaskFn<T>> tasks) {
    return gather(vertx, DEFAULTS, tasks);
  }

  /** Like {@link #gather(Vertx, List)}, with options. */
  public static <T> Future<List<Outcome<T>>> gather(Vertx vertx, TaskGroupOptions options, List<? extends TaskFn<T>> tasks) {
    Objects.requireNonNull(vertx, "vertx");
    checkTasks(tasks);
    Object[] outcomes = new Object[tasks.size()];
    ResultSink sink = t -> {
      outcomes[t.seq] = t.state == TaskState.SUCCEEDED ? Outcome.success(t.result()) : Outcome.failure(t.failure());
      return true;
    };
    return GroupImpl.launch(vertx, vertx.getOrCreateContext(), options, null, sink, spawnAll(tasks))
        .map(done -> listOf(outcomes));
  }

  /**
   * Runs every task to its end and returns the successes in input order and the failures with
   * their indexes. A failure does not cancel the others.
   *
   * @return the successes in input order and the failures with their indexes
   * @throws NullPointerException if an argument or an element of {@code tasks} is null
   */
  public static <T> Future<Settled<T>> settle(Vertx vertx, List<? extends TaskFn<T>> tasks) {
    return settle(vertx, DEFAULTS, tasks);
  }

  /** Like {@link #settle(Vertx, List)}, with options. */
  public static <T> Future<Settled<T>> settle(Vertx vertx, TaskGroupOptions options, List<? extends TaskFn<T>> tasks) {
    return gather(vertx, options, tasks).map(outcomes -> {
      List<T> successes = new ArrayList<>(outcomes.size());
      List<Settled.Failure> failures = new ArrayList<>();
      for (int i = 0; i < outcomes.size(); i++) {
        Outcome<T> o = outcomes.get(i);
        if (o.succeeded()) {
          successes.add(o.result());
        } else {
          failures.add(new Settled.Failure(i, o.cause()));
        }
      }
      return new Settled<>(Collections.unmodifiableList(successes), Collections.unmodifiableList(failures));
    });
  }

  /**
   * Runs every task concurrently and returns the first success; the others are cancelled
   * (reason {@link CancelReason#RACE_LOST}) and awaited. Failures do not end the race; if every
   * task fails, the future fails with a {@link TaskGroupException} of all their errors. An empty
   * list fails at once with an {@link IllegalArgumentException}.
   *
   * @return the first success
   * @throws NullPointerException if an argument or an element of {@code tasks} is null
   */
  public static <T> Future<T> race(Vertx vertx, List<? extends TaskFn<T>> tasks) {
    return race(vertx, DEFAULTS, tasks);
  }

  /** Like {@link #race(Vertx, List)}, with options. */
  public static <T> Future<T> race(Vertx vertx, TaskGroupOptions options, List<? extends TaskFn<T>> tasks) {
    Objects.requireNonNull(vertx, "vertx");
    checkTasks(tasks);
    if (tasks.isEmpty()) {
      return Future.failedFuture(new IllegalArgumentException("race needs at least one task: with none there is no winner"));
    }
    Race<T> race = new Race<>();
    return GroupImpl.launch(vertx, vertx.getOrCreateContext(), options, null, race, spawnAll(tasks))
        .compose(done -> race.outcome(options.getName(), tasks.size()));
  }

  private static final class Race<T> implements ResultSink {
    private boolean won;
    private T winner;
    private final List<Throwable> errors = new ArrayList<>();

    @Override
    @SuppressWarnings("unchecked")
    public boolean settled(TaskImpl<?> t) {
      if (t.state == TaskState.SUCCEEDED && !won) {
        won = true;
        winner = (T) t.result();
        t.group.cancelLosers();
      } else if (t.state == TaskState.FAILED) {
        errors.add(t.failure());
      }
      return true;
    }

    Future<T> outcome(String name, int size) {
      if (won) {
        return Future.succeededFuture(winner);
      }
      if (errors.isEmpty()) {
        return Future.failedFuture(new CancellationException("every task of race '" + name + "' was cancelled"));
      }
      return Future.failedFuture(new TaskGroupException("all " + size + " tasks of race '" + name + "' failed", errors));
    }
  }

  private static void checkTasks(List<? extends TaskFn<?>> tasks) {
    Objects.requireNonNull(tasks, "tasks");
    for (int i = 0, n = tasks.size(); i < n; i++) {
      if (tasks.get(i) == null) {
        throw new NullPointerException("tasks[" + i + "] is null");
      }
    }
  }

  private static <R> Function<TaskGroup, Future<R>> spawnAll(List<? extends TaskFn<?>> tasks) {
    return group -> {
      for (int i = 0, n = tasks.size(); i < n && group.impl.state == GroupImpl.State.OPEN; i++) {
        // a task that settles synchronously may end the group (an all() failing, a race won):
        // the rest then never start
        group.impl.spawn(null, tasks.get(i));
      }
      return Future.succeededFuture();
    };
  }

  @SuppressWarnings("unchecked")
  private static <T> List<T> listOf(Object[] values) {
    return Collections.unmodifiableList(Arrays.asList((T[]) values));
  }

  // ---- the group ------------------------------------------------------------------------------

  /**
   * Starts {@code fn} as a task of this group now, or queues it when {@code maxConcurrency} tasks
   * are running.
   *
   * @return the task's handle
   * @throws NullPointerException if {@code fn} is null
   * @throws IllegalStateException if the group is shutting down or has completed (the function
   *     never runs), or if called off the group's context
   */
  public <T> Task<T> spawn(TaskFn<T> fn) {
    return impl.spawn(null, fn);
  }

  /** Like {@link #spawn(TaskFn)}, with a name that errors and {@code toString()} show. */
  public <T> Task<T> spawn(String name, TaskFn<T> fn) {
    Objects.requireNonNull(name, "name");
    return impl.spawn(name, fn);
  }

  /**
   * Ends the group early and cleanly: every task and the body's scope are cancelled, queued tasks
   * never start, and once everything has settled the group completes without error (with the
   * body's result, if it had one). Idempotent; a no-op once the group is shutting down or completed;
   * callable from any thread.
   */
  public void cancel() {
    impl.cancelExplicitly();
  }

  /** {@return whether the group was cancelled, for any reason} */
  @Override
  public boolean isCancelled() {
    return impl.isCancelled();
  }

  /** {@return the group's name} */
  public String name() {
    return impl.name;
  }

  @Override
  public Vertx vertx() {
    return impl.vertx;
  }

  @Override
  public Context context() {
    return impl.context;
  }

  @Override
  public TaskCancelledException cancellation() {
    return impl.cancellation();
  }

  @Override
  public Registration onCancel(Handler<TaskCancelledException> hook) {
    return impl.onCancel(hook);
  }

  @Override
  public Registration bind(Handler<TaskCancelledException> abort) {
    return impl.bind(abort);
  }

  @Override
  public boolean isFinished() {
    return impl.isFinished();
  }

  @Override
  public Future<Void> sleep(Duration delay) {
    return impl.sleep(delay);
  }

  @Override
  public Optional<Duration> remaining() {
    return impl.remaining();
  }

  /** {@return the group's state: name, lifecycle, running and queued tasks, errors, cancellation} */
  @Override
  public String toString() {
    return impl.toString();
  }
}
