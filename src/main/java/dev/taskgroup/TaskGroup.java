package dev.taskgroup;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Iterator;
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
 * The group's state lives on one Vert.x context: the caller's, or one created for it. The body,
 * every task function, every hook and the listeners of the group's and the tasks' futures run
 * there, with {@code Vertx.currentContext()} being that very context (not merely a context of the
 * same event loop); completions from other threads and contexts come back to it; nothing blocks
 * and nothing locks on the way. The static methods ({@code run}, {@code all}, {@code gather},
 * {@code settle}, {@code race}, {@code forEach}) may be called from any thread: the {@code Vertx} forms use the
 * caller's context (or a new one off Vert.x threads), the {@code TaskScope} forms the scope's
 * context, hopping to it when called elsewhere. {@code spawn} must be called on that context; {@code cancel},
 * {@link Task#cancel()}, {@link Registration#remove()} and {@code isCancelled} may be called from
 * any thread. Memory grows with the tasks running, not the tasks spawned: a finished task, and a
 * queued task that is cancelled, is dropped at once.
 *
 * <h2>Context-locals and tracing</h2>
 * Since every task runs on the group's context, a task sees that context's locals
 * ({@code Context.getLocal}, {@code ContextLocal}), and with them the current span of a Vert.x
 * tracer: a group opened in an HTTP request handler runs on the request's (duplicated) context, so
 * a client request made in any of its tasks, directly, after a timer or in a nested group, is a
 * child of the incoming request's span. The library makes no span of its own per task.
 *
 * <h2>Seeing what runs</h2>
 * {@link TaskTree#snapshot(io.vertx.core.Vertx)} lists the open groups and their running tasks;
 * {@link Observability} switches on metrics, task ages and JFR events.
 *
 * <h2>When a task starts</h2>
 * {@code spawn} runs the task's function before it returns (when a slot is free). Two exceptions
 * keep that rule from ever hanging a group: when the library is already 32 frames deep on this
 * thread (a chain of tasks each started or settled by the previous one, groups nested in tasks,
 * a cancellation flowing down a deep tree), the function runs as soon as those frames unwind,
 * before the thread turns to other events; and on a {@code VIRTUAL_THREAD} context every task
 * function runs as its own virtual-thread task of that context, after {@code spawn} returns, so
 * that blocking-style {@code Future.await} calls in sibling tasks overlap. So chains, nesting and
 * hook chains are bounded by memory, never by the thread stack; a very long run of such work
 * yields to the event loop every 10 ms.
 *
 * <h2>Verticles</h2>
 * A group opened on a verticle's context (in {@code start}, or in its handlers) is cancelled with
 * {@link CancelReason#UNDEPLOYED} when the verticle is undeployed or Vert.x closes; the undeploy
 * waits until the group has settled, ten seconds at most, then reports a group whose tasks ignore
 * their cancellation to the context's exception handler and goes on. The group fails with that
 * cancellation (or its errors). A group opened outside any verticle is not tracked.
 *
 * <h2>Fatal errors</h2>
 * A {@link VirtualMachineError} (out of memory, stack overflow) raised by a task, a hook or the body
 * is an error like any other, except that it goes first in the {@link TaskGroupException}, so it is
 * the cause and never buried behind an ordinary error. One raised by the library's own dispatch
 * fails the group at once with that error, rather than leave it pending.
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
  //
  // Each pattern comes in two forms. The Vertx forms open a top-level group: nothing outside
  // cancels it, and it outlives the code that called it. The TaskScope forms nest the group in an
  // enclosing scope exactly like run(TaskScope, ...): the scope's cancellation and deadline reach
  // it, and the enclosing group waits for it.
  //
  // A task "cancelled" in a pattern means cancelled by the pattern's own group (a failure elsewhere
  // in all, a race won, the deadline, the enclosing scope): that is never an error. A task that
  // ends with a CancellationException although nothing cancelled its scope (a cancelled Vert.x
  // Timer, a cancelled upstream call) ended with a failure of its own: see ResultSink.ownCancellation.

  /**
   * Runs every task concurrently in a new top-level group and returns their results in input
   * order. Fail fast: the first failure cancels the rest and the future fails with a
   * {@link TaskGroupException}.
   *
   * <p>A task that ends with a {@link CancellationException} of its own (a cancelled Vert.x
   * {@code Timer}, a cancelled upstream call: anything but this group's shutdown) failed: it fails
   * the {@code all} with that exception among its errors, as asyncio's {@code gather} raises and the
   * JDK's {@code allSuccessfulOrThrow} fails. {@code all} never succeeds with a missing result.
   *
   * <p>The list is copied at the call; changing it afterwards changes nothing. The group is
   * top-level: nothing outside cancels it. Inside a task, use {@link #all(TaskScope, List)}.
   *
   * @return the results in input order
   * @throws NullPointerException if an argument or an element of {@code tasks} is null
   */
  public static <T> Future<List<T>> all(Vertx vertx, List<? extends TaskFn<T>> tasks) {
    return all(vertx, DEFAULTS, tasks);
  }

  /** Like {@link #all(Vertx, List)}, with options (a concurrency limit, a deadline). */
  public static <T> Future<List<T>> all(Vertx vertx, TaskGroupOptions options, List<? extends TaskFn<T>> tasks) {
    return all(Site.of(vertx), options, tasks);
  }

  /**
   * Like {@link #all(Vertx, List)}, in a group nested in {@code scope} (the scope of the task this
   * runs in, or an enclosing group), as {@link #run(TaskScope, Function)} nests one: the scope's
   * cancellation reaches every task at once, its deadline bounds them, and the enclosing group
   * waits for them. If {@code scope} is already cancelled or finished, no task runs and the future
   * fails with that {@link TaskCancelledException}; if it is cancelled meanwhile, with reason
   * {@link CancelReason#PARENT_CANCELLED}.
   *
   * @throws NullPointerException if an argument or an element of {@code tasks} is null
   * @throws IllegalArgumentException if {@code scope} is not a scope of this library
   */
  public static <T> Future<List<T>> all(TaskScope scope, List<? extends TaskFn<T>> tasks) {
    return all(scope, DEFAULTS, tasks);
  }

  /** Like {@link #all(TaskScope, List)}, with options. */
  public static <T> Future<List<T>> all(TaskScope scope, TaskGroupOptions options, List<? extends TaskFn<T>> tasks) {
    return all(Site.of(scope), options, tasks);
  }

  private static <T> Future<List<T>> all(Site site, TaskGroupOptions options, List<? extends TaskFn<T>> given) {
    Object[] tasks = copyOf(given);
    Object[] results = tasks; // a task's function is spawned before the task settles: its slot takes the result
    ResultSink sink = t -> {
      if (t.stateBits() == TaskImpl.SUCCEEDED) {
        results[t.seq()] = t.result();
        return null;
      }
      Throwable error = ResultSink.failFastError(t);
      results[t.seq()] = null; // after reading the failure: a pattern task's outcome is in this slot
      return error;
    };
    return site.launch(options, sink, spawnAll(tasks)).map(done -> listOf(results));
  }

  /**
   * Runs every function {@code tasks} yields in a new top-level group, at most
   * {@link TaskGroupOptions#setMaxConcurrency maxConcurrency} at once, and completes once the
   * iterator is exhausted and every task has settled. The iterator is the queue: the group pulls
   * the next function when a running task settles, so a million tasks from a cursor or a file of
   * ids hold memory only for the ones running (results are dropped: a task reports through its own
   * side effects). Without a {@code maxConcurrency} every function is pulled at once (and memory
   * then grows with the tasks the iterator yields); {@code maxQueued} has no effect, since nothing
   * queues.
   *
   * <pre>{@code
   * Iterator<TaskFn<Void>> uploads = ids.stream().map(id -> (TaskFn<Void>) scope -> upload(scope, id)).iterator();
   * Future<Void> done = TaskGroup.forEach(vertx, new TaskGroupOptions().setMaxConcurrency(100), uploads);
   * }</pre>
   *
   * <p>Fail fast, like {@link #all(Vertx, List)}: the first failure (a task's own
   * {@link CancellationException} included) cancels the running tasks, stops the pulling, and
   * fails the future with a {@link TaskGroupException} of every error. So does an iterator whose
   * {@code hasNext()} or {@code next()} throws (that exception among the errors) or that yields a
   * null (a {@link NullPointerException} naming the element's position, counted from 0). The
   * options' deadline, observers and the task tree work as for any group that spawns; its tasks
   * start in the iterator's order, each as soon as it is pulled.
   *
   * <p>Threads: the iterator is called only on the group's context, one call at a time, never
   * again once the group stopped pulling (failure, cancellation, deadline), and never after the
   * future completed: it need not be thread-safe, but it must not block. On the group's context
   * the first functions are pulled and started before this returns (unless the thread is deep in
   * nested dispatch, when the group's start is deferred as any group's is); called elsewhere,
   * after a hop. Tasks that complete synchronously are pulled in a loop, never by recursion, and a
   * long run of pulls yields to the event loop once about 10 ms have passed (the clock is read
   * every 64 pulls). The group is top-level: nothing outside cancels it.
   * Inside a task, use {@link #forEach(TaskScope, Iterator)}.
   *
   * @return a future that succeeds once every function ran and its task succeeded, or fails with
   *     a {@link TaskGroupException}
   * @throws NullPointerException if an argument is null
   */
  public static Future<Void> forEach(Vertx vertx, Iterator<? extends TaskFn<?>> tasks) {
    return forEach(vertx, DEFAULTS, tasks);
  }

  /** Like {@link #forEach(Vertx, Iterator)}, with options (the concurrency limit, a deadline). */
  public static Future<Void> forEach(Vertx vertx, TaskGroupOptions options, Iterator<? extends TaskFn<?>> tasks) {
    return forEach(Site.of(vertx), options, tasks);
  }

  /**
   * Like {@link #forEach(Vertx, Iterator)}, in a group nested in {@code scope} as
   * {@link #all(TaskScope, List)} nests one: the scope's cancellation reaches every running task at
   * once and stops the pulling, its deadline bounds them, and the enclosing group waits. If
   * {@code scope} is already cancelled or finished, the iterator is never called and the future
   * fails with that {@link TaskCancelledException}; if it is cancelled meanwhile, with reason
   * {@link CancelReason#PARENT_CANCELLED}.
   *
   * @throws NullPointerException if an argument is null
   * @throws IllegalArgumentException if {@code scope} is not a scope of this library
   */
  public static Future<Void> forEach(TaskScope scope, Iterator<? extends TaskFn<?>> tasks) {
    return forEach(scope, DEFAULTS, tasks);
  }

  /** Like {@link #forEach(TaskScope, Iterator)}, with options. */
  public static Future<Void> forEach(TaskScope scope, TaskGroupOptions options, Iterator<? extends TaskFn<?>> tasks) {
    return forEach(Site.of(scope), options, tasks);
  }

  /** forEach's sink: fail fast as all's, and nothing kept (a million results would outgrow any heap). */
  private static final ResultSink FOR_EACH = ResultSink::failFastError;

  private static Future<Void> forEach(Site site, TaskGroupOptions options, Iterator<? extends TaskFn<?>> tasks) {
    Objects.requireNonNull(tasks, "tasks");
    // Rejected: the iterator's functions spawned one by one through the queue (a queued TaskImpl and
    // a feeding continuation per task, ScaleMain's fed run): the group pulls into a free slot instead.
    return site.launch(options, FOR_EACH, group -> {
      group.impl.pullFrom(tasks);
      return Future.succeededFuture();
    });
  }

  /**
   * Runs every task to its end in a new top-level group and returns every outcome in input order
   * (like asyncio's {@code gather(return_exceptions=True)}): a failure does not cancel the others.
   * Each {@link Outcome} is an {@link io.vertx.core.AsyncResult}: {@code failed()} for a real error
   * and for a cancellation alike, {@link Outcome#cancelled()} to tell them apart. The future fails
   * only if the group itself does (its deadline passed, a cancel hook threw, or for the
   * {@link #gather(TaskScope, List) scope form} its scope was cancelled); so every cancelled outcome
   * in a result is a task's cancellation of its own (a cancelled Vert.x {@code Timer}, say), kept
   * with its exception.
   *
   * <p>The list is copied at the call. The group is top-level: nothing outside cancels it. Inside a
   * task, use {@link #gather(TaskScope, List)}.
   *
   * @return every outcome in input order
   * @throws NullPointerException if an argument or an element of {@code tasks} is null
   */
  public static <T> Future<List<Outcome<T>>> gather(Vertx vertx, List<? extends TaskFn<T>> tasks) {
    return gather(vertx, DEFAULTS, tasks);
  }

  /** Like {@link #gather(Vertx, List)}, with options. */
  public static <T> Future<List<Outcome<T>>> gather(Vertx vertx, TaskGroupOptions options, List<? extends TaskFn<T>> tasks) {
    return gather(Site.of(vertx), options, tasks);
  }

  /**
   * Like {@link #gather(Vertx, List)}, in a group nested in {@code scope} as
   * {@link #all(TaskScope, List)} nests one.
   *
   * @throws NullPointerException if an argument or an element of {@code tasks} is null
   * @throws IllegalArgumentException if {@code scope} is not a scope of this library
   */
  public static <T> Future<List<Outcome<T>>> gather(TaskScope scope, List<? extends TaskFn<T>> tasks) {
    return gather(scope, DEFAULTS, tasks);
  }

  /** Like {@link #gather(TaskScope, List)}, with options. */
  public static <T> Future<List<Outcome<T>>> gather(TaskScope scope, TaskGroupOptions options, List<? extends TaskFn<T>> tasks) {
    return gather(Site.of(scope), options, tasks);
  }

  private static <T> Future<List<Outcome<T>>> gather(Site site, TaskGroupOptions options, List<? extends TaskFn<T>> given) {
    Object[] tasks = copyOf(given);
    Object[] outcomes = tasks; // as in all(): each slot's function is spawned before its task settles
    ResultSink sink = t -> {
      outcomes[t.seq()] = t.stateBits() == TaskImpl.SUCCEEDED ? Outcome.success(t.result()) : Outcome.failure(t.failure());
      return null; // every failure is the caller's to read, none the group's
    };
    return site.launch(options, sink, spawnAll(tasks)).map(done -> listOf(outcomes));
  }

  /**
   * Runs every task to its end in a new top-level group and returns the successes in input order
   * and the failures with their indexes. A failure does not cancel the others. As with
   * {@link #gather(Vertx, List)}, a task's cancellation of its own is among the failures, with its
   * {@link CancellationException}, and the future fails only if the group itself does.
   *
   * <p>The list is copied at the call. The group is top-level: nothing outside cancels it. Inside a
   * task, use {@link #settle(TaskScope, List)}.
   *
   * @return the successes in input order and the failures with their indexes
   * @throws NullPointerException if an argument or an element of {@code tasks} is null
   */
  public static <T> Future<Settled<T>> settle(Vertx vertx, List<? extends TaskFn<T>> tasks) {
    return settle(vertx, DEFAULTS, tasks);
  }

  /** Like {@link #settle(Vertx, List)}, with options. */
  public static <T> Future<Settled<T>> settle(Vertx vertx, TaskGroupOptions options, List<? extends TaskFn<T>> tasks) {
    return gather(vertx, options, tasks).map(TaskGroup::toSettled);
  }

  /**
   * Like {@link #settle(Vertx, List)}, in a group nested in {@code scope} as
   * {@link #all(TaskScope, List)} nests one.
   *
   * @throws NullPointerException if an argument or an element of {@code tasks} is null
   * @throws IllegalArgumentException if {@code scope} is not a scope of this library
   */
  public static <T> Future<Settled<T>> settle(TaskScope scope, List<? extends TaskFn<T>> tasks) {
    return settle(scope, DEFAULTS, tasks);
  }

  /** Like {@link #settle(TaskScope, List)}, with options. */
  public static <T> Future<Settled<T>> settle(TaskScope scope, TaskGroupOptions options, List<? extends TaskFn<T>> tasks) {
    return gather(scope, options, tasks).map(TaskGroup::toSettled);
  }

  private static <T> Settled<T> toSettled(List<Outcome<T>> outcomes) {
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
  }

  /**
   * Runs every task concurrently in a new top-level group and returns the first success; the
   * others are cancelled (reason {@link CancelReason#RACE_LOST}) and awaited. Failures do not end
   * the race; if no task succeeds, the future fails with a {@link TaskGroupException} of all their
   * errors. A task that ends with a {@link CancellationException} of its own is a failed attempt
   * like any other (as in the JDK's {@code anySuccessfulResultOrThrow}): it is among those errors.
   * A race that its group cancels before anyone wins fails with the group's reason: a
   * {@link TaskGroupException} holding the {@link TaskTimeoutException} when its deadline passed
   * (the one failure shape, see above), or for the
   * {@link #race(TaskScope, List) scope form} a {@link TaskCancelledException} of reason
   * {@link CancelReason#PARENT_CANCELLED}. An empty list fails at once with an
   * {@link IllegalArgumentException}.
   *
   * <p>The list is copied at the call. The group is top-level: nothing outside cancels it. Inside a
   * task, use {@link #race(TaskScope, List)}.
   *
   * @return the first success
   * @throws NullPointerException if an argument or an element of {@code tasks} is null
   */
  public static <T> Future<T> race(Vertx vertx, List<? extends TaskFn<T>> tasks) {
    return race(vertx, DEFAULTS, tasks);
  }

  /** Like {@link #race(Vertx, List)}, with options. */
  public static <T> Future<T> race(Vertx vertx, TaskGroupOptions options, List<? extends TaskFn<T>> tasks) {
    return race(Site.of(vertx), options, tasks);
  }

  /**
   * Like {@link #race(Vertx, List)}, in a group nested in {@code scope} as
   * {@link #all(TaskScope, List)} nests one.
   *
   * @throws NullPointerException if an argument or an element of {@code tasks} is null
   * @throws IllegalArgumentException if {@code scope} is not a scope of this library
   */
  public static <T> Future<T> race(TaskScope scope, List<? extends TaskFn<T>> tasks) {
    return race(scope, DEFAULTS, tasks);
  }

  /** Like {@link #race(TaskScope, List)}, with options. */
  public static <T> Future<T> race(TaskScope scope, TaskGroupOptions options, List<? extends TaskFn<T>> tasks) {
    return race(Site.of(scope), options, tasks);
  }

  private static <T> Future<T> race(Site site, TaskGroupOptions options, List<? extends TaskFn<T>> given) {
    Object[] tasks = copyOf(given);
    if (tasks.length == 0) {
      return Future.failedFuture(new IllegalArgumentException("race needs at least one task: with none there is no winner"));
    }
    Race<T> race = new Race<>();
    return site.launch(options, race, spawnAll(tasks)).compose(done -> race.outcome(options.getName(), tasks.length));
  }

  private static final class Race<T> implements ResultSink {
    private boolean won;
    private T winner;
    private final List<Throwable> errors = new ArrayList<>();

    @Override
    @SuppressWarnings("unchecked")
    public Throwable settled(AbstractTask<?> t) {
      if (t.stateBits() == TaskImpl.SUCCEEDED && !won) {
        won = true;
        winner = (T) t.result();
        t.group.cancelLosers();
      } else if (t.stateBits() == TaskImpl.FAILED || ResultSink.ownCancellation(t)) {
        errors.add(t.failure());
      }
      t.group.forgetSlot(t); // read: the outcome need not stay in the array
      return null; // a failed attempt is the race's to report, not an error of the group
    }

    Future<T> outcome(String name, int size) {
      if (won) {
        return Future.succeededFuture(winner);
      }
      if (errors.isEmpty()) {
        // Unreachable: a task the group cancelled means the group itself failed (deadline, enclosing
        // scope), and then nobody asks; every other task that did not win left an error here.
        return Future.failedFuture(new IllegalStateException("race '" + name + "' ended with no winner and no error"));
      }
      return Future.failedFuture(new TaskGroupException("all " + size + " tasks of race '" + name + "' failed", errors));
    }
  }

  /**
   * Runs every task concurrently in a new top-level group and returns the first {@code k}
   * successes, in completion order (a replicated read: "any 2 of 3"). Once {@code k} tasks have
   * succeeded the rest are cancelled (reason {@link CancelReason#RACE_LOST}) and awaited; the
   * future fails as soon as more than {@code n - k} have failed (a quorum can no longer be
   * reached), the rest cancelled, with a {@link TaskGroupException} of every error. A task that
   * ends with a {@link CancellationException} of its own failed, as in {@link #race}.
   *
   * <pre>{@code
   * Future<List<Buffer>> two = TaskGroup.quorum(vertx, 2, List.of(replicaA, replicaB, replicaC));
   * }</pre>
   *
   * <p>The list is copied at the call. The group is top-level; inside a task, use
   * {@link #quorum(TaskScope, int, List)}.
   *
   * @throws NullPointerException if an argument or an element of {@code tasks} is null
   * @throws IllegalArgumentException if {@code k} is below 1 or above the number of tasks
   */
  public static <T> Future<List<T>> quorum(Vertx vertx, int k, List<? extends TaskFn<T>> tasks) {
    return quorum(vertx, DEFAULTS, k, tasks);
  }

  /** Like {@link #quorum(Vertx, int, List)}, with options. */
  public static <T> Future<List<T>> quorum(Vertx vertx, TaskGroupOptions options, int k, List<? extends TaskFn<T>> tasks) {
    return quorum(Site.of(vertx), options, k, tasks);
  }

  /**
   * Like {@link #quorum(Vertx, int, List)}, in a group nested in {@code scope} as
   * {@link #all(TaskScope, List)} nests one.
   *
   * @throws NullPointerException if an argument or an element of {@code tasks} is null
   * @throws IllegalArgumentException if {@code scope} is not a scope of this library, or {@code k}
   *     is below 1 or above the number of tasks
   */
  public static <T> Future<List<T>> quorum(TaskScope scope, int k, List<? extends TaskFn<T>> tasks) {
    return quorum(scope, DEFAULTS, k, tasks);
  }

  /** Like {@link #quorum(TaskScope, int, List)}, with options. */
  public static <T> Future<List<T>> quorum(TaskScope scope, TaskGroupOptions options, int k, List<? extends TaskFn<T>> tasks) {
    return quorum(Site.of(scope), options, k, tasks);
  }

  private static <T> Future<List<T>> quorum(Site site, TaskGroupOptions options, int k, List<? extends TaskFn<T>> given) {
    Objects.requireNonNull(options, "options");
    Object[] tasks = copyOf(given);
    if (k < 1 || k > tasks.length) {
      throw new IllegalArgumentException("quorum needs k between 1 and the number of tasks n, got k=" + k
          + " and n=" + tasks.length);
    }
    Quorum<T> quorum = new Quorum<>(k, tasks.length);
    return site.launch(options, quorum, spawnAll(tasks)).compose(done -> quorum.outcome(options.getName()));
  }

  /**
   * Runs {@code step} in {@code scope} shielded from its cancellation and from every enclosing
   * deadline, bounded by its own {@code timeout}; the group waits for it before it completes (see
   * {@link TaskFn#shielded}); returns the step's future. Meant for cleanup after the work,
   * cancelled or not:
   *
   * <pre>{@code
   * TaskFn<String> work = scope -> lock.acquire(scope)
   *     .compose(held -> update(scope)
   *         .eventually(() -> TaskGroup.shield(scope, Duration.ofSeconds(1), s -> lock.release(s))));
   * }</pre>
   *
   * @throws NullPointerException if an argument is null
   * @throws IllegalArgumentException if {@code timeout} is zero or negative, or {@code scope} is not
   *     a scope of this library
   * @throws IllegalStateException if called off the scope's context
   */
  public static <T> Future<T> shield(TaskScope scope, Duration timeout, TaskFn<T> step) {
    Objects.requireNonNull(scope, "scope");
    return new ShieldFn<>(step, timeout).run(scope);
  }

  /**
   * Runs {@code step} in a child scope of {@code scope} under a deadline {@code timeout} from now
   * that the step may move through the {@link MovableDeadline} it is given (push back, bring
   * forward, remove), and returns the step's future. When the deadline passes, the step's scope is
   * cancelled (its I/O aborted) and, once the step has settled with a cancellation, the future
   * fails with a {@link TaskTimeoutException}; any other outcome is kept, as with
   * {@link TaskFn#withTimeout}. The enclosing scope's cancellation and deadlines reach the step as
   * usual; the group waits for it. A step that throws, or returns null, fails the future.
   *
   * <pre>{@code
   * TaskFn<Void> download = scope -> TaskGroup.withDeadline(scope, Duration.ofSeconds(5),
   *     (s, deadline) -> body.pipe(s, chunk -> deadline.reset(Duration.ofSeconds(5))));  // idle timeout
   * }</pre>
   *
   * @throws NullPointerException if an argument is null
   * @throws IllegalArgumentException if {@code timeout} is zero or negative, or {@code scope} is not
   *     a scope of this library
   * @throws IllegalStateException if called off the scope's context
   */
  public static <T> Future<T> withDeadline(TaskScope scope, Duration timeout,
                                           java.util.function.BiFunction<TaskScope, MovableDeadline, Future<T>> step) {
    ScopeImpl parent = ScopeImpl.of(scope);
    Durations.requirePositive(timeout, "timeout");
    Objects.requireNonNull(step, "step");
    TaskCancelledException refused = ChildScope.refusal(parent, "withDeadline");
    if (refused != null) {
      return Future.failedFuture(refused);
    }
    io.vertx.core.Promise<T> promise = VertxContexts.promise(parent.group.context);
    ChildScope<T> child = ChildScope.movable(parent, timeout, (ChildScope.Listener<T>) (c, value, error) -> {
      if (error == null) {
        promise.complete(value);
      } else {
        promise.fail(error);
      }
    });
    MovableDeadline handle = new MovableDeadline() {
      @Override
      public void reset(Duration t) {
        Durations.requirePositive(t, "timeout");
        parent.group.checkOnContext("MovableDeadline.reset");
        child.moveDeadline(t);
      }

      @Override
      public void clear() {
        parent.group.checkOnContext("MovableDeadline.clear");
        child.moveDeadline(null);
      }
    };
    child.start(s -> step.apply(s, handle));
    return promise.future();
  }

  /**
   * Where a pattern's group runs: top-level on a Vert.x (on the caller's context, or a new one off
   * any Vert.x thread), or nested in an enclosing scope. Made before the list is read, so that a
   * null Vert.x or scope is reported first.
   */
  private record Site(Vertx vertx, ScopeImpl parent) {
    static Site of(Vertx vertx) {
      return new Site(Objects.requireNonNull(vertx, "vertx"), null);
    }

    static Site of(TaskScope scope) {
      ScopeImpl p = ScopeImpl.of(scope);
      return new Site(p.group.vertx, p);
    }

    <R> Future<R> launch(TaskGroupOptions options, ResultSink sink, Function<TaskGroup, Future<R>> body) {
      Context context = parent != null ? parent.group.context : vertx.getOrCreateContext();
      return GroupImpl.launch(vertx, context, options, parent, sink, body);
    }
  }

  /**
   * {@return the tasks, read once at the call} A pattern called off its context starts after a
   * hop; a list the caller clears or grows meanwhile must change nothing. The array is the
   * pattern's own ({@code toArray} keeps no reference to it), so {@code all} and {@code gather}
   * write their results into it. {@code List.copyOf} was rejected: its NullPointerException does
   * not say which element is null.
   */
  private static Object[] copyOf(List<? extends TaskFn<?>> tasks) {
    Objects.requireNonNull(tasks, "tasks");
    if (tasks.size() > TaskImpl.MAX_SEQ + 1) { // before the copy: a list that large is refused without one
      throw tooMany(tasks.size());
    }
    Object[] copy = tasks.toArray(); // one read, also of a synchronized or concurrent list
    if (copy.length > TaskImpl.MAX_SEQ + 1) { // grown since size() was read
      throw tooMany(copy.length);
    }
    for (int i = 0; i < copy.length; i++) {
      if (copy[i] == null) {
        throw new NullPointerException("tasks[" + i + "] is null");
      }
    }
    return copy;
  }

  private static IllegalArgumentException tooMany(int n) {
    return new IllegalArgumentException("a pattern takes at most " + (TaskImpl.MAX_SEQ + 1) + " tasks (a task's index has 29 bits), got " + n);
  }

  private static <R> Function<TaskGroup, Future<R>> spawnAll(Object[] tasks) {
    return group -> {
      group.impl.spawnPattern(tasks); // on the context, nulls refused at the call
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
   * are running (see "When a task starts" above). On the group's context only.
   *
   * @return the task's handle
   * @throws NullPointerException if {@code fn} is null
   * @throws IllegalStateException if the group is shutting down or has completed (the function
   *     never runs), or if called off the group's context (another context of the same event loop
   *     included)
   * @throws TaskQueueFullException if {@code maxConcurrency} tasks run and {@code maxQueued} wait
   *     (the function never runs)
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
   * Like {@link #spawn(TaskFn)}, but returns empty instead of throwing when the group's queue is
   * full ({@link TaskGroupOptions#setMaxQueued}); the function then never runs. A group shutting
   * down or completed still throws {@link IllegalStateException}, as {@code spawn} does.
   *
   * @throws NullPointerException if {@code fn} is null
   * @throws IllegalStateException as {@link #spawn(TaskFn)}
   */
  public <T> Optional<Task<T>> trySpawn(TaskFn<T> fn) {
    return impl.trySpawn(null, fn);
  }

  /** Like {@link #trySpawn(TaskFn)}, with a name. */
  public <T> Optional<Task<T>> trySpawn(String name, TaskFn<T> fn) {
    Objects.requireNonNull(name, "name");
    return impl.trySpawn(name, fn);
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

  /** {@return whether the group was cancelled, for any reason} Any thread. */
  @Override
  public boolean isCancelled() {
    return impl.isCancelled();
  }

  /** {@return the group's name} Any thread. */
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
  public boolean isOnContext() {
    return impl.isOnContext();
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

  @Override
  public int attempt() {
    return impl.attempt();
  }

  /** {@return the group's state: name, lifecycle, running and queued tasks, errors, cancellation} */
  @Override
  public String toString() {
    return impl.toString();
  }
}
