package dev.taskgroup;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReferenceArray;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.RepetitionInfo;

/**
 * Work completed from worker threads, foreign threads and other event loops races with real Vert.x
 * timers (task timeouts, the group deadline) and with cancel() calls from foreign threads; the
 * group's guarantees hold every time. Each repetition is seeded by its number, so a failure names
 * the mix that broke (timing itself cannot be replayed).
 */
class CrossThreadStressTest extends VertxTest {
  private static final int TASKS = 200;
  private static ScheduledExecutorService foreign;

  @BeforeAll
  static void foreignThreads() {
    AtomicInteger n = new AtomicInteger();
    foreign = Executors.newScheduledThreadPool(3, r -> {
      Thread t = new Thread(r, "foreign-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    });
  }

  @AfterAll
  static void stopForeignThreads() {
    foreign.shutdownNow();
  }

  /** What one repetition does; all of it is decided by the seed before the group starts. */
  private record Mix(long seed, int maxConcurrency, Integer deadlineMillis, Integer groupCancelMicros,
                     boolean taskCancels, boolean taskTimeouts) {
    static Mix of(int repetition, boolean timers) {
      Random r = new Random(repetition * 7919L);
      return new Mix(repetition * 7919L, r.nextInt(3) == 0 ? 1 + r.nextInt(16) : TaskGroupOptions.UNLIMITED,
          timers && r.nextBoolean() ? 1 + r.nextInt(8) : null,
          r.nextInt(3) == 0 ? r.nextInt(3000) : null,
          r.nextBoolean(), timers);
    }
  }

  @RepeatedTest(200)
  void completionsFromOtherThreadsRacingWithCancelCallsKeepEveryInvariant(RepetitionInfo info) throws Exception {
    stress(Mix.of(info.getCurrentRepetition(), false));
  }

  @RepeatedTest(200)
  void completionsFromOtherThreadsRacingWithTimeoutsAndDeadlinesKeepEveryInvariant(RepetitionInfo info) throws Exception {
    stress(Mix.of(info.getCurrentRepetition(), true));
  }

  private void stress(Mix mix) throws Exception {
    Random r = new Random(mix.seed());
    Context home = vertx.getOrCreateContext();
    List<Context> otherLoops = List.of(vertx.getOrCreateContext(), vertx.getOrCreateContext(), vertx.getOrCreateContext());
    List<String> violations = new CopyOnWriteArrayList<>();
    AtomicReferenceArray<Object> workOutcome = new AtomicReferenceArray<>(TASKS); // value, or the Throwable
    AtomicReferenceArray<TaskCancelledException> firstCause = new AtomicReferenceArray<>(TASKS);
    AtomicInteger[] hookRuns = new AtomicInteger[TASKS];
    List<Task<Integer>> tasks = new CopyOnWriteArrayList<>();
    ScopeImpl[] scopes = new ScopeImpl[TASKS];
    AtomicInteger running = new AtomicInteger();
    AtomicInteger peak = new AtomicInteger();
    AtomicInteger completions = new AtomicInteger();
    TaskCancelledException[] groupCause = new TaskCancelledException[1];
    Thread[] homeThread = new Thread[1];
    boolean[] completed = new boolean[1]; // written and read on the home context

    // Decided up front so that the run depends on the seed, not on the threads.
    int[] how = new int[TASKS]; // 0 worker, 1 foreign thread, 2 other event loop, 3 home context
    int[] what = new int[TASKS]; // 0 succeed, 1 fail, 2 only end on cancel
    int[] delayMicros = new int[TASKS];
    Integer[] timeoutMillis = new Integer[TASKS];
    IOException[] errors = new IOException[TASKS];
    for (int i = 0; i < TASKS; i++) {
      how[i] = r.nextInt(4);
      what[i] = r.nextInt(10) < 6 ? 0 : r.nextInt(10) < 5 ? 1 : 2;
      delayMicros[i] = r.nextInt(2000);
      timeoutMillis[i] = mix.taskTimeouts() && r.nextInt(3) == 0 ? 1 + r.nextInt(5) : null;
      errors[i] = new IOException("task " + i + " failed");
      hookRuns[i] = new AtomicInteger();
    }

    TaskGroupOptions options = new TaskGroupOptions().setName("stress").setMaxConcurrency(mix.maxConcurrency());
    if (mix.deadlineMillis() != null) {
      options.setTimeout(Duration.ofMillis(mix.deadlineMillis()));
    }
    Promise<TaskGroup> started = Promise.promise();
    Future<Void> result = on(home, () -> {
      Future<Void> f = TaskGroup.run(vertx, options, g -> {
        homeThread[0] = Thread.currentThread();
        g.onCancel(c -> groupCause[0] = c);
        for (int i = 0; i < TASKS; i++) {
          int n = i;
          TaskFn<Integer> fn = scope -> {
            if (completed[0]) {
              violations.add("task " + n + " started after the group completed");
            }
            scopes[n] = (ScopeImpl) scope;
            peak.accumulateAndGet(running.incrementAndGet(), Math::max);
            Promise<Integer> p = Promise.promise();
            // The library sees the work only through this future, which completes after the
            // bookkeeping ran (on the completing thread): a listener added beside the library's
            // could run after the library had already seen the work end, and the oracle would
            // report a settled work as unsettled.
            Future<Integer> work = p.future().andThen(ar -> {
              workOutcome.set(n, ar.succeeded() ? (Object) ar.result() : ar.cause());
              running.decrementAndGet();
            });
            scope.onCancel(c -> {
              if (Thread.currentThread() != homeThread[0]) {
                violations.add("hook of task " + n + " ran on " + Thread.currentThread().getName());
              }
              if (completed[0]) {
                violations.add("hook of task " + n + " ran after the group completed");
              }
              hookRuns[n].incrementAndGet();
              firstCause.compareAndSet(n, null, c);
              elsewhere(how[n], otherLoops, delayMicros[n] / 4, () -> p.tryFail(c)); // cooperative, from elsewhere
            });
            if (what[n] != 2) {
              elsewhere(how[n], otherLoops, delayMicros[n], () -> {
                if (what[n] == 0) {
                  p.tryComplete(n);
                } else {
                  p.tryFail(errors[n]);
                }
              });
            }
            return work;
          };
          if (timeoutMillis[n] != null) {
            fn = fn.withTimeout(Duration.ofMillis(timeoutMillis[n]));
          }
          try {
            tasks.add(g.spawn("t" + n, fn));
          } catch (IllegalStateException e) {
            // Work completed on another thread before spawn attached its listener settles the task
            // at once, like a synchronous one; a failure then shuts the group and later spawns are
            // rejected, as they must be.
            if (!g.isCancelled() || !e.getMessage().contains("shutting down")) {
              violations.add("spawn " + n + " rejected by a group that is not shutting down: " + e);
            }
            break;
          }
        }
        started.tryComplete(g);
        return Future.succeededFuture();
      });
      return f.andThen(ar -> {
        completions.incrementAndGet();
        completed[0] = true;
        for (int i = 0; i < tasks.size(); i++) {
          if (scopes[i] != null && workOutcome.get(i) == null) {
            violations.add("group completed before the work of task " + i + " settled");
          }
          if (!tasks.get(i).state().isDone()) {
            violations.add("group completed while task " + i + " is " + tasks.get(i).state());
          }
        }
      });
    });
    result.onFailure(started::tryFail); // a body that threw would otherwise leave us waiting
    TaskGroup group = await(started.future());
    if (mix.groupCancelMicros() != null) {
      foreign.schedule(group::cancel, mix.groupCancelMicros(), TimeUnit.MICROSECONDS);
    }
    foreign.schedule(group::cancel, 10, TimeUnit.MILLISECONDS); // whatever still waits for a cancel gets one
    if (mix.taskCancels()) {
      for (int i = 0; i < tasks.size(); i += 7) {
        Task<Integer> t = tasks.get(i);
        foreign.schedule(t::cancel, r.nextInt(2000), TimeUnit.MICROSECONDS);
      }
    }

    Throwable failure = completion(result).cause();
    await(on(home, () -> vertx.timer(3))); // late cancel() calls and stray completions land; they must change nothing
    await(call(home, () -> null)); // and whatever they queued on the home context has run

    // The expected errors come from the work's own outcomes: every real failure, and a timeout for
    // each task whose work ended because its own deadline (not the group) cancelled it.
    List<Object> expected = new ArrayList<>();
    for (int i = 0; i < tasks.size(); i++) {
      Object o = workOutcome.get(i);
      if (hookRuns[i].get() > 1) {
        violations.add("hook of task " + i + " ran " + hookRuns[i].get() + " times");
      }
      if (scopes[i] == null) {
        if (tasks.get(i).state() != TaskState.CANCELLED) {
          violations.add("task " + i + " never started but is " + tasks.get(i).state());
        }
        continue;
      }
      if (o instanceof Throwable e && !(e instanceof CancellationException)) {
        expected.add(e);
      } else if (o instanceof CancellationException && timeoutMillis[i] != null) {
        TaskCancelledException c = firstCause.get(i);
        if (c != null && c != groupCause[0] && c.reason() == CancelReason.DEADLINE) {
          expected.add("timeout of t" + i);
        }
      }
    }
    List<Object> reported = new ArrayList<>();
    if (failure instanceof TaskGroupException tge) {
      for (Throwable e : tge.exceptions()) {
        if (e instanceof TaskTimeoutException tt && tt.getMessage().startsWith("task '")) {
          reported.add("timeout of " + tt.name());
        } else if (e instanceof TaskTimeoutException tt && tt.name().equals("stress")) {
          reported.add("deadline");
        } else {
          reported.add(e);
        }
      }
    } else if (failure != null) { // a bare TaskTimeoutException too: a deadline fails the group with a TaskGroupException
      violations.add("group failed with " + failure);
    }
    if (groupCause[0] != null && groupCause[0].reason() == CancelReason.DEADLINE) {
      expected.add("deadline");
    }
    assertThat(reported).as("errors reported for %s", mix).containsExactlyInAnyOrderElementsOf(expected);
    assertThat(completions).as("group completions").hasValue(1);
    assertThat(peak.get()).as("tasks running at once").isLessThanOrEqualTo(mix.maxConcurrency());
    GroupImpl<?> impl = group.impl;
    List<Integer> left = await(call(home, () -> List.of(impl.running(), impl.queued(), impl.deadlines.size(),
        impl.deadlines.armedTimers(), impl.hookCount(),
        (int) java.util.Arrays.stream(scopes).filter(s -> s != null && s.hookCount() > 0).count())));
    assertThat(left).as("running, queued, deadlines, timers, group hooks, tasks with hooks").containsOnly(0);
    assertThat(violations).isEmpty();
  }

  /** Runs {@code action} after about {@code micros} on a worker, a foreign thread, another event loop or home. */
  private void elsewhere(int how, List<Context> otherLoops, int micros, Runnable action) {
    switch (how) {
      case 0 -> vertx.executeBlocking(() -> {
        action.run();
        return null;
      }, false);
      case 1 -> foreign.schedule(action, micros, TimeUnit.MICROSECONDS);
      case 2 -> otherLoops.get(micros % otherLoops.size()).runOnContext(v -> action.run());
      default -> io.vertx.core.Vertx.currentContext().runOnContext(v -> action.run());
    }
  }
}
