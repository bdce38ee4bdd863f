package dev.taskgroup;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.AsyncResult;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.time.Duration;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * {@code forEach} over a random mix of synchronous, sleeping, failing, throwing, self-cancelling and
 * never-ending functions (and a null element, or an iterator that throws), with a random
 * {@code maxConcurrency} and a deadline on the manual clock: the future always completes (the
 * project's nothing-hangs invariant), it succeeds exactly when every element succeeds, no more than
 * {@code maxConcurrency} functions ever run at once, and the iterator is never called once the
 * future completed; every task keeps a name of its own, and its onCancel hook runs at most once,
 * only if it was cancelled.
 */
class ForEachProperties extends OneContextProperties {
  enum Kind { SYNC_OK, SLEEP_OK, SYNC_FAIL, SLEEP_FAIL, THROW, OWN_CANCEL, NEVER, NULL, ITERATOR_THROWS }

  record Element(Kind kind, int ms) {
    @Override
    public String toString() {
      return kind + (kind == Kind.SLEEP_OK || kind == Kind.SLEEP_FAIL ? "@" + ms : "");
    }
  }

  record Run(List<Element> elements, int maxConcurrency) {}

  @Provide
  Arbitrary<Run> runs() {
    Arbitrary<Element> element = Combinators.combine(
        Arbitraries.frequencyOf(
            net.jqwik.api.Tuple.of(6, Arbitraries.just(Kind.SYNC_OK)),
            net.jqwik.api.Tuple.of(6, Arbitraries.just(Kind.SLEEP_OK)),
            net.jqwik.api.Tuple.of(1, Arbitraries.of(Kind.SYNC_FAIL, Kind.SLEEP_FAIL, Kind.THROW, Kind.OWN_CANCEL,
                Kind.NEVER, Kind.NULL, Kind.ITERATOR_THROWS))),
        Arbitraries.integers().between(0, 50)).as(Element::new);
    return Combinators.combine(element.list().ofMaxSize(40), Arbitraries.of(1, 2, 3, 5, 8, 0)).as(Run::new);
  }

  @Property(tries = 200)
  void theFutureAlwaysCompletesSucceedingExactlyWhenEveryElementDoesAndTheBoundHolds(@ForAll("runs") Run run) {
    TestClock clock = new TestClock();
    AtomicInteger running = new AtomicInteger();
    AtomicInteger peak = new AtomicInteger();
    AtomicBoolean completed = new AtomicBoolean();
    List<String> late = new CopyOnWriteArrayList<>();
    List<TaskScope> scopes = new CopyOnWriteArrayList<>(); // every task's scope, with its name as it ran
    List<String> names = new CopyOnWriteArrayList<>();
    List<AtomicInteger> hookRuns = new CopyOnWriteArrayList<>(); // how often each task's onCancel hook ran
    Iterator<TaskFn<Integer>> source = new Iterator<>() {
      private int next; // the group's context only

      @Override
      public boolean hasNext() {
        check();
        if (next < run.elements().size() && run.elements().get(next).kind() == Kind.ITERATOR_THROWS) {
          throw new IllegalStateException("the cursor broke at " + next);
        }
        return next < run.elements().size();
      }

      @Override
      public TaskFn<Integer> next() {
        check();
        Element e = run.elements().get(next++);
        return e.kind() == Kind.NULL ? null : scope -> counted(e, scope);
      }

      private void check() {
        if (completed.get()) {
          late.add("the iterator was called after the future completed");
        }
      }

      private Future<Integer> counted(Element e, TaskScope scope) {
        peak.accumulateAndGet(running.incrementAndGet(), Math::max);
        scopes.add(scope);
        names.add(((AbstractTask<?>) scope).name());
        AtomicInteger hookRan = new AtomicInteger();
        hookRuns.add(hookRan);
        scope.onCancel(c -> hookRan.incrementAndGet());
        Future<Integer> work;
        switch (e.kind()) {
          case SYNC_OK -> work = Future.succeededFuture(1);
          case SLEEP_OK -> work = scope.sleep(Duration.ofMillis(e.ms())).map(1);
          case SYNC_FAIL -> work = Future.failedFuture(new IllegalStateException("failed"));
          case SLEEP_FAIL -> work = scope.sleep(Duration.ofMillis(e.ms())).compose(v -> Future.failedFuture(new IllegalStateException("failed")));
          case OWN_CANCEL -> work = Future.failedFuture(new CancellationException("its own"));
          case NEVER -> {
            Promise<Integer> p = Promise.promise();
            scope.onCancel(p::fail);
            work = p.future();
          }
          default -> { // THROW
            running.decrementAndGet();
            throw new IllegalArgumentException("threw");
          }
        }
        return work.andThen(ar -> running.decrementAndGet());
      }
    };
    TaskGroupOptions options = new TaskGroupOptions().setTimeout(Duration.ofSeconds(10)).setClock(clock);
    if (run.maxConcurrency() > 0) {
      options.setMaxConcurrency(run.maxConcurrency());
    }
    Future<Void> done = VertxTest.on(context, () -> {
      Future<Void> each = TaskGroup.forEach(vertx, options, source).andThen(ar -> completed.set(true));
      clock.advance(Duration.ofSeconds(10)); // every sleep falls due well before; then the deadline
      return each;
    });
    AsyncResult<Void> outcome = VertxTest.completion(done, Duration.ofSeconds(10));
    boolean allSucceed = run.elements().stream().allMatch(e -> e.kind() == Kind.SYNC_OK || e.kind() == Kind.SLEEP_OK);
    assertThat(outcome.succeeded()).as("succeeded").isEqualTo(allSucceed);
    if (outcome.failed()) {
      assertThat(outcome.cause()).isInstanceOf(TaskGroupException.class);
    }
    if (run.maxConcurrency() > 0) {
      assertThat(peak.get()).isLessThanOrEqualTo(run.maxConcurrency());
    }
    VertxTest.completion(VertxTest.call(context, () -> null)); // a later turn: nothing pulls any more
    assertThat(late).isEmpty();
    // slots are reused as tasks settle: each task kept a name of its own, and its hook ran at most
    // once, only if it was cancelled (a finished task's hooks are dropped)
    assertThat(names).doesNotHaveDuplicates();
    for (int i = 0; i < scopes.size(); i++) {
      TaskScope scope = scopes.get(i);
      assertThat(scope.isFinished()).as("task %s finished", names.get(i)).isTrue();
      assertThat(((AbstractTask<?>) scope).name()).isEqualTo(names.get(i));
      assertThat(hookRuns.get(i).get()).as("hook runs of %s", names.get(i)).isLessThanOrEqualTo(scope.isCancelled() ? 1 : 0);
    }
    assertThat(blockedThreadEvents).isEmpty();
  }
}
