package dev.taskgroup.mutiny;

import dev.taskgroup.Outcome;
import dev.taskgroup.Settled;
import dev.taskgroup.TaskCancelledException;
import dev.taskgroup.TaskFn;
import dev.taskgroup.TaskGroup;
import dev.taskgroup.TaskGroupException;
import dev.taskgroup.TaskGroupOptions;
import dev.taskgroup.TaskScope;
import io.smallrye.mutiny.Uni;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.util.List;
import java.util.Objects;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * Task groups in Mutiny's vocabulary, with the group's guarantees: a {@link Uni} as a task whose
 * subscription is cancelled with its scope, and a group as a {@code Uni} whose cancellation
 * cancels the group — its tasks and their scope-bound I/O — and which never emits after that.
 *
 * <pre>{@code
 * TaskFn<JsonObject> profile = UniTaskGroup.task(scope -> fetch(scope, "/profile/42"));  // fetch: a Uni
 * TaskFn<JsonObject> orders = UniTaskGroup.task(scope -> fetch(scope, "/orders/42"));
 * Uni<List<JsonObject>> page = UniTaskGroup.all(vertx, List.of(profile, orders))
 *     .ifNoItem().after(Duration.ofSeconds(1)).fail();  // the timeout cancels the group: both calls stop
 * }</pre>
 *
 * <h2>Cold and lazy</h2>
 * Every {@code Uni} returned here is cold, as Mutiny users expect: building it starts nothing (no
 * group, no task function, no body); each subscription runs the group once, from the start, with
 * the tasks and options given when the Uni was built (the list and the options are copied then).
 * Subscribing twice runs the group twice; to share one run, use Mutiny's {@code memoize()}.
 *
 * <h2>Cancellation, both ways</h2>
 * Cancelling the subscription (a {@code Cancellable}, a downstream {@code ifNoItem().after(d)}, a
 * losing branch of {@code Uni.combine()} or {@code Uni.join()}) cancels the group as
 * {@link TaskGroup#cancel()} does: every task's scope is cancelled (reason {@code EXPLICIT} for
 * {@code run}; for the patterns, whose group is nested in the one the subscription owns,
 * {@code PARENT_CANCELLED}, its message naming the explicit cancel), so sleeps end and
 * HTTP requests made through the scope are reset. The {@code Uni} emits nothing after a cancel,
 * neither the group's result nor its failure. In the other direction, a task made with
 * {@link #task} has its {@code Uni}'s subscription cancelled when its scope is.
 *
 * <h2>Outcomes</h2>
 * Each {@code Uni} emits what the core form's {@code Future} completes with: the same results,
 * and the same failures ({@link TaskGroupException} of every real error, a group deadline's
 * {@code TaskTimeoutException} inside it, a {@link TaskCancelledException} when an enclosing scope
 * is cancelled). See {@link TaskGroup} for each pattern's contract.
 *
 * <h2>Threads and contexts</h2>
 * Every method here may be called from any thread; it only builds a {@code Uni}. The group runs on
 * the Vert.x context current where the {@code Uni} is <em>subscribed</em> — an event-loop, worker
 * or virtual-thread context, a duplicated context included (Quarkus runs its Mutiny pipelines on
 * duplicated contexts: context-locals and tracing stay the caller's) — and, subscribed off any
 * Vert.x thread, on the event-loop context {@code vertx.getOrCreateContext()} makes there, as
 * {@link TaskGroup#run(Vertx, Function)} does. The {@code TaskScope} forms run on the scope's
 * context wherever they are subscribed. The item or failure is emitted on the group's context;
 * the subscription may be cancelled from any thread (the cancel hops to the group's context).
 *
 * <p>With Mutiny's operators: {@code runSubscriptionOn(executor)} upstream moves the subscription,
 * and so the choice of context, to the executor's thread: an executor that runs on a Vert.x
 * context puts the group there, a plain thread pool gives the group a context of its own (as off
 * Vert.x threads). {@code emitOn(executor)} downstream changes only where the item is delivered;
 * the group and its tasks stay on their context. Inside a task, a {@code Uni} that emits on
 * another thread (an {@code emitOn}, a blocking client's pool) is fine: its outcome hops back to
 * the group's context, as every completion does.
 */
public final class UniTaskGroup {
  private static final TaskGroupOptions DEFAULTS = new TaskGroupOptions(); // read-only

  private UniTaskGroup() {}

  // ---- a Uni as a task ------------------------------------------------------------------------

  /**
   * {@return a task function that subscribes to the {@code Uni} that {@code supplier} makes for the
   * task's scope} The Uni's item (null included) is the task's result and its failure the task's
   * failure. When the scope is cancelled (a sibling failed, a timeout, the group cancelled), the
   * subscription is cancelled and the task ends at once with the scope's
   * {@link TaskCancelledException}; an item or failure the Uni emits after that is ignored.
   *
   * <p>The supplier is called on the group's context each time the function runs (every attempt
   * of a {@link TaskFn#retried retried} or {@link TaskFn#hedged hedged} function subscribes
   * afresh), and the Uni is subscribed there. A supplier that throws, or returns null, makes a
   * failed task with that error. Build the Uni from the scope's own I/O (a
   * {@code ScopedHttpClient} call, a nested group) so that cancelling the subscription also stops
   * the work underneath: cancelling a Mutiny subscription only stops listening.
   *
   * @throws NullPointerException if {@code supplier} is null
   */
  public static <T> TaskFn<T> task(Function<TaskScope, Uni<T>> supplier) {
    Objects.requireNonNull(supplier, "supplier");
    return scope -> {
      Uni<T> uni = supplier.apply(scope);
      if (uni == null) {
        throw new NullPointerException("the Uni supplier of a task returned null instead of a Uni");
      }
      return ScopedSubscriber.subscribe(scope, uni);
    };
  }

  /**
   * {@return a {@code Uni} of {@code future}'s outcome} For a body written in Mutiny: the future of
   * a spawned {@code Task}, of a nested group. The future runs already; the Uni only observes it:
   * subscribing starts nothing, and cancelling the subscription stops listening (cancel the task
   * itself to stop it). The item or failure is emitted where the future's listeners run (on the
   * group's context for a task's future). Any thread.
   *
   * @throws NullPointerException if {@code future} is null
   */
  public static <T> Uni<T> toUni(Future<T> future) {
    Objects.requireNonNull(future, "future");
    return Uni.createFrom().emitter(emitter -> future.onComplete(emitter::complete, emitter::fail));
  }

  // ---- run ------------------------------------------------------------------------------------

  /**
   * {@return a cold {@code Uni} that runs {@code body} in a new top-level group when subscribed}
   * The body is called on the group's context with the group, and its {@code Uni} is subscribed
   * there, bound to the group: the group's cancellation (a failed task, its deadline, a cancelled
   * subscription) cancels the body's subscription. The {@code Uni} emits the body's item once the
   * body and every task have settled, or the group's {@link TaskGroupException}, as
   * {@link TaskGroup#run(Vertx, Function)} completes. A body that returns null fails the group
   * with a {@code NullPointerException} saying so.
   *
   * @throws NullPointerException if an argument is null
   */
  public static <R> Uni<R> run(Vertx vertx, Function<TaskGroup, Uni<R>> body) {
    return run(vertx, DEFAULTS, body);
  }

  /** Like {@link #run(Vertx, Function)}, with options (a name, a concurrency limit, a deadline). */
  public static <R> Uni<R> run(Vertx vertx, TaskGroupOptions options, Function<TaskGroup, Uni<R>> body) {
    Objects.requireNonNull(vertx, "vertx");
    TaskGroupOptions copy = copy(options);
    Function<TaskGroup, Future<R>> b = bodyOf(body);
    return GroupRun.uni(f -> TaskGroup.run(vertx, copy, f), b, false);
  }

  /**
   * Like {@link #run(Vertx, Function)}, in a group nested in {@code parent} (the scope of the task
   * this runs in, or an enclosing group), as {@link TaskGroup#run(TaskScope, Function)} nests one:
   * the parent's cancellation and deadline reach it, and the enclosing group waits for it. A
   * {@code parent} that is not a scope of this library fails the {@code Uni} with an
   * {@link IllegalArgumentException} when it is subscribed.
   *
   * @throws NullPointerException if an argument is null
   */
  public static <R> Uni<R> run(TaskScope parent, Function<TaskGroup, Uni<R>> body) {
    return run(parent, DEFAULTS, body);
  }

  /** Like {@link #run(TaskScope, Function)}, with options. */
  public static <R> Uni<R> run(TaskScope parent, TaskGroupOptions options, Function<TaskGroup, Uni<R>> body) {
    Objects.requireNonNull(parent, "scope");
    TaskGroupOptions copy = copy(options);
    Function<TaskGroup, Future<R>> b = bodyOf(body);
    return GroupRun.uni(f -> TaskGroup.run(parent, copy, f), b, false);
  }

  private static <R> Function<TaskGroup, Future<R>> bodyOf(Function<TaskGroup, Uni<R>> body) {
    Objects.requireNonNull(body, "body");
    return g -> {
      Uni<R> uni = body.apply(g);
      if (uni == null) {
        throw new NullPointerException("the body of task group '" + g.name() + "' returned null instead of a Uni");
      }
      return ScopedSubscriber.subscribe(g, uni);
    };
  }

  // ---- patterns -------------------------------------------------------------------------------
  //
  // Each is the core pattern, nested in a group that this subscription owns and cancels: the core
  // patterns hand out no group to cancel. Rejected: a second implementation of each pattern on top
  // of spawn, which would have to repeat what the core decides about a task's own cancellation.

  /**
   * {@return a cold {@code Uni} of {@link TaskGroup#all(Vertx, List)}: every task's result in input
   * order, fail fast} Cancelling the subscription cancels every task.
   *
   * @throws NullPointerException if an argument or an element of {@code tasks} is null
   */
  public static <T> Uni<List<T>> all(Vertx vertx, List<? extends TaskFn<T>> tasks) {
    return all(vertx, DEFAULTS, tasks);
  }

  /** Like {@link #all(Vertx, List)}, with options. */
  public static <T> Uni<List<T>> all(Vertx vertx, TaskGroupOptions options, List<? extends TaskFn<T>> tasks) {
    return Site.of(vertx).pattern(options, tasks, TaskGroup::all);
  }

  /**
   * Like {@link #all(Vertx, List)}, in a group nested in {@code scope}, as
   * {@link TaskGroup#all(TaskScope, List)} nests one.
   *
   * @throws NullPointerException if an argument or an element of {@code tasks} is null
   */
  public static <T> Uni<List<T>> all(TaskScope scope, List<? extends TaskFn<T>> tasks) {
    return all(scope, DEFAULTS, tasks);
  }

  /** Like {@link #all(TaskScope, List)}, with options. */
  public static <T> Uni<List<T>> all(TaskScope scope, TaskGroupOptions options, List<? extends TaskFn<T>> tasks) {
    return Site.of(scope).pattern(options, tasks, TaskGroup::all);
  }

  /**
   * {@return a cold {@code Uni} of {@link TaskGroup#gather(Vertx, List)}: every task's
   * {@link Outcome} in input order}
   *
   * @throws NullPointerException if an argument or an element of {@code tasks} is null
   */
  public static <T> Uni<List<Outcome<T>>> gather(Vertx vertx, List<? extends TaskFn<T>> tasks) {
    return gather(vertx, DEFAULTS, tasks);
  }

  /** Like {@link #gather(Vertx, List)}, with options. */
  public static <T> Uni<List<Outcome<T>>> gather(Vertx vertx, TaskGroupOptions options, List<? extends TaskFn<T>> tasks) {
    return Site.of(vertx).pattern(options, tasks, TaskGroup::gather);
  }

  /**
   * Like {@link #gather(Vertx, List)}, nested in {@code scope}.
   *
   * @throws NullPointerException if an argument or an element of {@code tasks} is null
   */
  public static <T> Uni<List<Outcome<T>>> gather(TaskScope scope, List<? extends TaskFn<T>> tasks) {
    return gather(scope, DEFAULTS, tasks);
  }

  /** Like {@link #gather(TaskScope, List)}, with options. */
  public static <T> Uni<List<Outcome<T>>> gather(TaskScope scope, TaskGroupOptions options, List<? extends TaskFn<T>> tasks) {
    return Site.of(scope).pattern(options, tasks, TaskGroup::gather);
  }

  /**
   * {@return a cold {@code Uni} of {@link TaskGroup#settle(Vertx, List)}: the successes in input
   * order and the failures with their indexes}
   *
   * @throws NullPointerException if an argument or an element of {@code tasks} is null
   */
  public static <T> Uni<Settled<T>> settle(Vertx vertx, List<? extends TaskFn<T>> tasks) {
    return settle(vertx, DEFAULTS, tasks);
  }

  /** Like {@link #settle(Vertx, List)}, with options. */
  public static <T> Uni<Settled<T>> settle(Vertx vertx, TaskGroupOptions options, List<? extends TaskFn<T>> tasks) {
    return Site.of(vertx).pattern(options, tasks, TaskGroup::settle);
  }

  /**
   * Like {@link #settle(Vertx, List)}, nested in {@code scope}.
   *
   * @throws NullPointerException if an argument or an element of {@code tasks} is null
   */
  public static <T> Uni<Settled<T>> settle(TaskScope scope, List<? extends TaskFn<T>> tasks) {
    return settle(scope, DEFAULTS, tasks);
  }

  /** Like {@link #settle(TaskScope, List)}, with options. */
  public static <T> Uni<Settled<T>> settle(TaskScope scope, TaskGroupOptions options, List<? extends TaskFn<T>> tasks) {
    return Site.of(scope).pattern(options, tasks, TaskGroup::settle);
  }

  /**
   * {@return a cold {@code Uni} of {@link TaskGroup#race(Vertx, List)}: the first success, the
   * losers cancelled and awaited} An empty list fails the {@code Uni} with an
   * {@link IllegalArgumentException} when subscribed, as the core race fails its future.
   *
   * @throws NullPointerException if an argument or an element of {@code tasks} is null
   */
  public static <T> Uni<T> race(Vertx vertx, List<? extends TaskFn<T>> tasks) {
    return race(vertx, DEFAULTS, tasks);
  }

  /** Like {@link #race(Vertx, List)}, with options. */
  public static <T> Uni<T> race(Vertx vertx, TaskGroupOptions options, List<? extends TaskFn<T>> tasks) {
    return Site.of(vertx).pattern(options, tasks, TaskGroup::race);
  }

  /**
   * Like {@link #race(Vertx, List)}, nested in {@code scope}.
   *
   * @throws NullPointerException if an argument or an element of {@code tasks} is null
   */
  public static <T> Uni<T> race(TaskScope scope, List<? extends TaskFn<T>> tasks) {
    return race(scope, DEFAULTS, tasks);
  }

  /** Like {@link #race(TaskScope, List)}, with options. */
  public static <T> Uni<T> race(TaskScope scope, TaskGroupOptions options, List<? extends TaskFn<T>> tasks) {
    return Site.of(scope).pattern(options, tasks, TaskGroup::race);
  }

  /**
   * {@return a cold {@code Uni} of {@link TaskGroup#quorum(Vertx, int, List)}: the first {@code k}
   * successes in completion order, the rest cancelled} The per-task resilience patterns need no
   * form of their own: {@code task(...).retried(o)}, {@code .hedged(o)}, {@code .shielded(d)} and
   * {@code .withTimeout(d)} are task functions like any other (each attempt subscribes afresh).
   *
   * @throws NullPointerException if an argument or an element of {@code tasks} is null
   * @throws IllegalArgumentException if {@code k} is below 1 or above the number of tasks
   */
  public static <T> Uni<List<T>> quorum(Vertx vertx, int k, List<? extends TaskFn<T>> tasks) {
    return quorum(vertx, DEFAULTS, k, tasks);
  }

  /** Like {@link #quorum(Vertx, int, List)}, with options. */
  public static <T> Uni<List<T>> quorum(Vertx vertx, TaskGroupOptions options, int k, List<? extends TaskFn<T>> tasks) {
    return Site.of(vertx).pattern(options, tasks, t -> requireQuorum(k, t.size()), (g, o, t) -> TaskGroup.quorum(g, o, k, t));
  }

  /**
   * Like {@link #quorum(Vertx, int, List)}, nested in {@code scope}.
   *
   * @throws NullPointerException if an argument or an element of {@code tasks} is null
   * @throws IllegalArgumentException if {@code k} is below 1 or above the number of tasks
   */
  public static <T> Uni<List<T>> quorum(TaskScope scope, int k, List<? extends TaskFn<T>> tasks) {
    return quorum(scope, DEFAULTS, k, tasks);
  }

  /** Like {@link #quorum(TaskScope, int, List)}, with options. */
  public static <T> Uni<List<T>> quorum(TaskScope scope, TaskGroupOptions options, int k, List<? extends TaskFn<T>> tasks) {
    return Site.of(scope).pattern(options, tasks, t -> requireQuorum(k, t.size()), (g, o, t) -> TaskGroup.quorum(g, o, k, t));
  }

  /** At the call, as the core quorum checks: a Uni that cannot ever succeed is a programming error. */
  private static void requireQuorum(int k, int n) {
    if (k < 1 || k > n) {
      throw new IllegalArgumentException("quorum needs k between 1 and the number of tasks n, got k=" + k + " and n=" + n);
    }
  }

  /**
   * Where a pattern's group runs: top-level on a Vert.x or nested in a scope; the pattern itself
   * runs as the body of a group this subscription owns (with default options: the pattern's own
   * group carries the caller's). Made first, so that a null Vert.x or scope is reported first.
   */
  /** One of the core's scope-form patterns, as {@code TaskGroup::all}. */
  @FunctionalInterface
  private interface Pattern<T, R> {
    Future<R> run(TaskScope scope, TaskGroupOptions options, List<TaskFn<T>> tasks);
  }

  private record Site(Vertx vertx, TaskScope scope) {
    static Site of(Vertx vertx) {
      return new Site(Objects.requireNonNull(vertx, "vertx"), null);
    }

    static Site of(TaskScope scope) {
      return new Site(null, Objects.requireNonNull(scope, "scope"));
    }

    /** A pattern's {@code Uni}: options and tasks copied and checked now, the pattern run per subscription. */
    <T, R> Uni<R> pattern(TaskGroupOptions options, List<? extends TaskFn<T>> tasks, Pattern<T, R> pattern) {
      return pattern(options, tasks, t -> { }, pattern);
    }

    /** Likewise, with a check of the copied tasks at build time ({@code quorum}'s k). */
    <T, R> Uni<R> pattern(TaskGroupOptions options, List<? extends TaskFn<T>> tasks,
        Consumer<List<TaskFn<T>>> check, Pattern<T, R> pattern) {
      TaskGroupOptions o = copy(options);
      List<TaskFn<T>> t = copyOf(tasks);
      check.accept(t);
      return uni(g -> pattern.run(g, o, t));
    }

    <R> Uni<R> uni(Function<TaskGroup, Future<R>> pattern) {
      GroupRun.Opener<R> opener = scope != null ? f -> TaskGroup.run(scope, f) : f -> TaskGroup.run(vertx, f);
      return GroupRun.uni(opener, pattern, true);
    }
  }

  private static TaskGroupOptions copy(TaskGroupOptions options) {
    return new TaskGroupOptions(Objects.requireNonNull(options, "options"));
  }

  /** {@return the tasks, read once at the call, each checked} The same message as the core's. */
  @SuppressWarnings("unchecked")
  private static <T> List<TaskFn<T>> copyOf(List<? extends TaskFn<T>> tasks) {
    Objects.requireNonNull(tasks, "tasks");
    Object[] copy = tasks.toArray();
    for (int i = 0; i < copy.length; i++) {
      if (copy[i] == null) {
        throw new NullPointerException("tasks[" + i + "] is null");
      }
    }
    return (List<TaskFn<T>>) (List<?>) List.of(copy);
  }
}
