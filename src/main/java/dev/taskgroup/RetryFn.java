package dev.taskgroup;

import io.vertx.core.AsyncResult;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Promise;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Random;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Predicate;

/**
 * A retried function (see {@link TaskFn#retried}): each attempt in its own {@link ChildScope} of
 * the calling scope, the backoff a sleep of that scope. Immutable (the options are copied, once
 * per change of the options, into a {@link Policy} that every function retried with them shares);
 * reusable across tasks and threads.
 *
 * <p>Spawned as a task's whole function (or a pattern's), attempt 1 runs in the task's own scope
 * ({@link AttemptTask}): a retry that never fires costs the task one reference (this function as
 * its role; a pattern task's role is instead its policy's shared {@link PatternRole}, and the task
 * keeps the inner function, so that this one dies as the task starts; a retry with a budget keeps
 * this function as its role either way) and nothing else; when attempt 1 fails, a {@link Retry}
 * takes over and runs attempts 2 and on in child scopes of the task. What differs from the general path, for attempt 1 alone: its
 * scope is the task's, so code of attempt 1 that still runs after its future failed, while a later
 * attempt runs, finds the scope open ({@code isFinished()} is false), and work it binds to the
 * scope then is cancelled when the task ends, not at once. What attempt 1 bound before its future
 * failed is cancelled before the retry goes on, as closing its own scope would do.
 */
final class RetryFn<T> extends AttemptFn<T> {
  private final TaskFn<T> inner;
  private final Policy policy;

  RetryFn(TaskFn<T> inner, RetryOptions options) {
    this.inner = Objects.requireNonNull(inner, "inner");
    this.policy = Objects.requireNonNull(options, "options").policy();
  }

  /** What a retry reads of its options, immutable: shared by all functions retried with the same unchanged options. */
  static final class Policy {
    final int maxAttempts;
    final long initialNanos;
    final long maxNanos;
    final double multiplier;
    final Predicate<? super Throwable> retryOn;
    final long minRemainingNanos;
    final RetryBudget budget;
    final Random random;

    Policy(RetryOptions options) {
      if (options.getMaxDelay().compareTo(options.getInitialDelay()) < 0) {
        throw new IllegalArgumentException("maxDelay (" + Durations.millis(options.getMaxDelay())
            + ") must not be shorter than initialDelay (" + Durations.millis(options.getInitialDelay()) + ")");
      }
      this.maxAttempts = options.getMaxAttempts();
      this.initialNanos = Durations.toNanos(options.getInitialDelay());
      this.maxNanos = Durations.toNanos(options.getMaxDelay());
      this.multiplier = options.getMultiplier();
      this.retryOn = options.getRetryOn();
      this.minRemainingNanos = Durations.toNanos(options.getMinRemaining());
      this.budget = options.getBudget();
      this.random = options.getRandom();
    }

    /** The role of every pattern task whose retry with this policy runs attempt 1 alone ({@link PatternRole}). */
    final PatternRole patternRole = new PatternRole(this);

    /** {@return the backoff before the retry that follows {@code failed} failed attempts, in whole ms} */
    long backoffMillis(int failed) {
      double bound = Math.min((double) maxNanos, initialNanos * Math.pow(multiplier, failed - 1));
      Random r = random != null ? random : ThreadLocalRandom.current();
      return (long) (bound * r.nextDouble() / 1_000_000);
    }
  }

  @Override
  public Future<T> run(TaskScope scope) {
    ScopeImpl parent = ScopeImpl.of(scope);
    TaskCancelledException refused = ChildScope.refusal(parent, "a retry's run");
    if (refused != null) {
      return Future.failedFuture(refused);
    }
    if (policy.budget != null) {
      policy.budget.deposit();
    }
    Retry<T> retry = new Retry<>(inner, policy, parent, null);
    retry.next();
    return retry.promise.future();
  }

  /**
   * Attempt 1 of the retry that is {@code task}'s whole function, in the task's own scope: the
   * function itself is the task's role until attempt 1 fails, so a retry that never fires costs
   * the task no more than the reference to it.
   */
  @Override
  Future<T> runFirst(AttemptTask<T> task) {
    if (policy.budget != null) {
      policy.budget.deposit();
    }
    task.role(this);
    return callFirst(inner, task);
  }

  /**
   * {@link #runFirst} without a budget, attempt 1's call left to the task: the role set. A pattern
   * task keeps the inner function itself and takes its policy's shared {@link PatternRole}, so this
   * function is garbage once the task started (a spawned task's role is this function).
   */
  @Override
  @SuppressWarnings({"unchecked", "rawtypes"})
  TaskFn<T> firstCall(AttemptTask<T> task) {
    if (policy.budget != null) {
      return null;
    }
    if (task instanceof AttemptPatternTask) {
      AttemptPatternTask<T> p = (AttemptPatternTask<T>) task;
      p.kept = inner;
      p.role((AttemptTask.Role) policy.patternRole);
    } else {
      task.role(this);
    }
    return inner;
  }

  /**
   * Attempt 1, run in the task's own scope, ended: a success settles the task; a failure makes the
   * {@link Retry} (only now), which takes over the task's role and ends the task.
   */
  @Override
  public void firstSettled(AttemptTask<T> task, T value, Throwable error) {
    settleFirst(inner, policy, task, value, error);
  }

  /** {@link #firstSettled} of a retry of {@code inner} with {@code policy}. */
  private static <T> void settleFirst(TaskFn<T> inner, Policy policy, AttemptTask<T> task, T value, Throwable error) {
    if (error == null) {
      task.finish(value, null);
      return;
    }
    Retry<T> retry = new Retry<>(inner, policy, task.scope(), task);
    retry.attempts = 1;
    task.role(retry);
    retry.firstFailed(error);
  }

  /**
   * The role of a pattern task whose retry runs attempt 1 alone: one per {@link Policy}, the inner
   * function kept by the task ({@link AttemptPatternTask#kept}). What a {@code RetryFn} as the role
   * would do, without keeping the retried function alive, or reading it as attempt 1 settles, for
   * each task (a pattern's live set and its first touch at the settle, issue 12).
   */
  static final class PatternRole implements AttemptTask.Role<Object> {
    private final Policy policy;

    private PatternRole(Policy policy) {
      this.policy = policy;
    }

    @Override
    @SuppressWarnings("unchecked")
    public void firstSettled(AttemptTask<Object> task, Object value, Throwable error) {
      settleFirst(((AttemptPatternTask<Object>) task).kept, policy, task, value, error);
    }
  }

  @Override
  public String toString() {
    return "RetryFn[maxAttempts=" + policy.maxAttempts + ", " + inner + "]";
  }

  /**
   * One call of a retried function. Group's context only. Either every attempt runs in its own
   * {@link ChildScope} of {@code parent} and the outcome completes {@code promise}; or the retry is
   * the whole function of {@code task} ({@code parent} then): attempt 1 runs in the task's own
   * scope, so a retry that never fires costs no scope, hook, promise or even this object (it is
   * made when attempt 1 fails), only later attempts get child scopes, and the outcome settles the
   * task. Before a retry follows attempt 1, what attempt
   * 1 left bound to the task's scope is cancelled and its hooks dropped ({@link ScopeImpl#close}),
   * just as closing its own scope would: the task's scope held nothing else, since the retry is all
   * the task runs.
   */
  static final class Retry<T> implements ChildScope.Listener<T>, Handler<AsyncResult<Void>>, AttemptTask.Role<T> {
    private final TaskFn<T> inner;
    private final Policy spec;
    private final ScopeImpl parent;
    final Promise<T> promise; // null when the retry is a task's function
    private final AttemptTask<T> task; // the task whose function this retry is, or null
    private List<Throwable> errors; // made by the first failure: a retry that never fires needs none
    int attempts;

    Retry(TaskFn<T> inner, Policy spec, ScopeImpl parent, AttemptTask<T> task) {
      this.inner = inner;
      this.spec = spec;
      this.parent = parent;
      this.task = task;
      this.promise = task == null ? VertxContexts.promise(parent.group.context) : null;
    }

    /** Attempt 1's work completing a second time (a misbehaving future): its first outcome stands. */
    @Override
    public void firstSettled(AttemptTask<T> t, T value, Throwable error) {}

    /** Attempt 1, run in the task's scope, failed with {@code error} (or the task was cancelled before it ran). */
    void firstFailed(Throwable error) {
      if (parent.cancelCause == null) {
        parent.close(); // attempt 1 is over: what it left bound to the scope is cancelled (see the class doc)
      }
      childSettled(null, null, error);
    }

    void next() {
      attempts++;
      if (attempts > 1) {
        Observation.retried(parent.group);
      }
      ChildScope.attempt(parent, attempts, this).start(inner);
    }

    private void end(T value, Throwable error) {
      AttemptTask.end(task, promise, value, error);
    }

    /** An attempt settled: {@code attempt} is its scope, or null for attempt 1 run in the task's own scope. */
    @Override
    public void childSettled(ChildScope<T> attempt, T value, Throwable error) {
      if (error == null) {
        end(value, null);
        return;
      }
      if (parent.cancelCause != null || parent.closed()) { // the caller's cancellation ends the retry
        if (error instanceof CancellationException) {
          end(null, error);
        } else {
          record(error); // a real error wins over the cancellation, as a result would
          giveUp("was cancelled after attempt " + attempts + " failed");
        }
        return;
      }
      record(error);
      boolean retryable;
      try {
        retryable = spec.retryOn.test(error);
      } catch (Throwable e) {
        record(e);
        giveUp("its retryOn predicate threw");
        return;
      }
      if (!retryable) {
        giveUp("attempt " + attempts + " failed with an error not worth retrying");
      } else if (attempts >= spec.maxAttempts) {
        giveUp("no attempt left (maxAttempts " + spec.maxAttempts + ")");
      } else {
        backOff();
      }
    }

    private void backOff() {
      long delayMillis;
      try {
        delayMillis = spec.backoffMillis(attempts); // calls the options' Random: user code
      } catch (Throwable e) {
        record(e);
        giveUp("its random source threw");
        return;
      }
      long deadline = parent.deadlineNanos();
      if (deadline != ScopeImpl.NO_DEADLINE) {
        long left = deadline - parent.group.timers.nanoTime() - delayMillis * 1_000_000;
        if (left <= 0 || left < spec.minRemainingNanos) {
          giveUp("after a backoff of " + delayMillis + " ms, " + Math.max(0, left / 1_000_000)
              + " ms would be left before the deadline, less than the " + spec.minRemainingNanos / 1_000_000
              + " ms an attempt needs (minRemaining)");
          return;
        }
      }
      if (spec.budget != null && !spec.budget.tryWithdraw()) {
        giveUp("the retry budget is empty (" + spec.budget + ")");
        return;
      }
      parent.sleep(Duration.ofMillis(delayMillis)).onComplete(this);
    }

    /** The backoff ended: at its time (the next attempt starts), or early by the scope's cancellation. */
    @Override
    public void handle(AsyncResult<Void> slept) {
      if (slept.failed()) {
        end(null, slept.cause());
      } else {
        next();
      }
    }

    private void record(Throwable error) {
      if (errors == null) {
        errors = new ArrayList<>(2);
      }
      errors.add(error);
    }

    private void giveUp(String why) {
      String n = attempts == 1 ? "1 attempt" : attempts + " attempts";
      end(null, new TaskGroupException("'" + parent.scopeName() + "' gave up after " + n + ": " + why, errors));
    }
  }
}
