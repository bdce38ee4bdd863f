package dev.taskgroup;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Collectors;
import jdk.jfr.Recording;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingFile;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/** {@link Observability}: observers hear what groups do; JFR events are recorded only when asked. */
class ObservabilityTest extends VertxTest {
  private final List<String> events = new CopyOnWriteArrayList<>();
  private Registration installed;

  @AfterEach
  void uninstall() {
    if (installed != null) {
      installed.remove();
    }
    Observability.enableJfrEvents(false);
    Observability.trackTaskAges(false);
  }

  /** Installs an observer that writes each event of this test's Vert.x into {@link #events}. */
  private void record() {
    Vertx mine = vertx;
    installed = Observability.addObserver((v, name, nested) -> v != mine ? null : new TaskGroupObserver.GroupObserver() {
      @Override
      public void taskStarted() {
        events.add(name + " started");
      }

      @Override
      public void taskQueued() {
        events.add(name + " queued");
      }

      @Override
      public void taskSettled(TaskState state) {
        events.add(name + " " + state);
      }

      @Override
      public void timeoutFired() {
        events.add(name + " timeout");
      }

      @Override
      public void retried() {
        events.add(name + " retry");
      }

      @Override
      public void hedged() {
        events.add(name + " hedge");
      }

      @Override
      public void cancelled(CancelReason reason, int running) {
        events.add(name + " cancelled " + reason + " with " + running + " running");
      }

      @Override
      public void completed(TaskGroupObserver.GroupOutcome outcome, long durationNanos, CancelReason cancelledBy, long cancelToSettledNanos) {
        events.add(name + " completed " + outcome + (cancelledBy != null ? " after " + cancelledBy + " in " + cancelToSettledNanos / 1_000_000 + " ms" : ""));
      }
    });
  }

  @Nested
  class Observers {
    @Test
    void anObserverHearsEachTaskStartAndSettleAndTheGroupsOutcome() {
      record();
      awaitFailure(TaskGroup.run(vertx, new TaskGroupOptions().setName("g").setMaxConcurrency(2), g -> {
        g.spawn(later("a"));
        g.spawn(failingLater(new IOException("boom")));
        g.spawn(untilCancelled()); // queued until "a" settles
        return Future.succeededFuture();
      }));
      // The failing task still counts as running when its failure cancels the group: it settles after.
      assertThat(events.subList(0, 8)).containsExactly("g started", "g started", "g queued", "g SUCCEEDED", "g started",
          "g cancelled SIBLING_FAILED with 2 running", "g CANCELLED", "g FAILED");
      assertThat(events.get(8)).matches("g completed FAILED after SIBLING_FAILED in \\d+ ms");
      assertThat(events).hasSize(9);
    }

    @Test
    void theTimeFromCancellationToSettledIsMeasuredOnTheGroupsClock() {
      record();
      ManualTimers clock = new ManualTimers();
      Context context = vertx.getOrCreateContext();
      Promise<String> stubborn = Promise.promise();
      Promise<TaskGroup> opened = Promise.promise();
      Future<Void> result = await(call(context, () -> TaskGroup.run(vertx, new TaskGroupOptions().setName("slow-stop").setTimers(clock), g -> {
        g.spawn(scope -> stubborn.future()); // ignores its cancellation for a while
        opened.complete(g);
        return Future.succeededFuture();
      })));
      await(opened.future()).cancel();
      await(call(context, () -> {
        clock.advance(Duration.ofMillis(250));
        stubborn.complete("finally");
        return null;
      }));
      await(result);
      assertThat(events).contains("slow-stop cancelled EXPLICIT with 1 running",
          "slow-stop completed SUCCEEDED after EXPLICIT in 250 ms");
    }

    @Test
    void everyDeadlineThatFiresIsCountedAsATimeout() {
      record();
      ManualTimers clock = new ManualTimers();
      Context context = vertx.getOrCreateContext();
      Future<Void> result = await(call(context, () -> TaskGroup.run(vertx, new TaskGroupOptions().setName("t")
          .setTimeout(Duration.ofMillis(500)).setTimers(clock), g -> {
        g.spawn(VertxTest.<String>untilCancelled().withTimeout(Duration.ofMillis(100), "fallback")); // a task's own
        g.spawn(scope -> VertxTest.<String>untilCancelled().withTimeout(Duration.ofMillis(200), "fb").run(scope)); // an inner one
        g.spawn(untilCancelled()); // ended by the group's deadline
        return Future.succeededFuture();
      })));
      await(call(context, () -> {
        clock.advance(Duration.ofMillis(600));
        return null;
      }));
      awaitFailure(result);
      assertThat(events.stream().filter(e -> e.equals("t timeout"))).hasSize(3);
    }

    @Test
    void retriesAndHedgesAfterTheFirstAttemptAreCounted() {
      record();
      int[] calls = {0};
      TaskFn<String> twiceFailing = scope -> ++calls[0] <= 2 ? Future.failedFuture(new IOException("try again")) : Future.succeededFuture("ok");
      await(TaskGroup.run(vertx, new TaskGroupOptions().setName("r"), g -> {
        g.spawn(twiceFailing.retried(new RetryOptions().setMaxAttempts(3).setInitialDelay(Duration.ofMillis(1))));
        g.spawn(VertxTest.<String>later("late").hedged(new HedgeOptions().setMaxAttempts(2).setDelay(Duration.ofMillis(1))));
        return Future.succeededFuture();
      }));
      assertThat(events.stream().filter(e -> e.equals("r retry"))).hasSize(2);
      assertThat(events.stream().filter(e -> e.equals("r hedge"))).hasSizeLessThanOrEqualTo(1);
    }

    @Test
    void aHedgedTaskWhoseFirstAttemptLostIsHeardAsOneTaskThatSucceeded() {
      record();
      TaskFn<String> slowFirst = scope -> scope.attempt() == 1 ? VertxTest.<String>untilCancelled().run(scope) : Future.succeededFuture("ok");
      Future<String> result = TaskGroup.run(vertx, new TaskGroupOptions().setName("h"), g ->
          g.spawn(slowFirst.hedged(new HedgeOptions().setMaxAttempts(2).setDelay(Duration.ofMillis(1)))).future());
      assertThat(await(result)).isEqualTo("ok");
      assertThat(events).containsExactly("h started", "h hedge", "h SUCCEEDED", "h completed SUCCEEDED");
    }

    @Test
    void anObserverThatThrowsChangesNothingAndItsErrorGoesToTheContextsHandler() {
      List<Throwable> reported = new CopyOnWriteArrayList<>();
      vertx.exceptionHandler(reported::add);
      installed = Observability.addObserver((v, name, nested) -> new TaskGroupObserver.GroupObserver() {
        @Override
        public void taskStarted() {
          throw new IllegalStateException("observer bug");
        }
      });
      List<String> results = await(TaskGroup.all(vertx, List.<TaskFn<String>>of(later("a"), later("b"))));
      assertThat(results).containsExactly("a", "b");
      assertThat(reported).extracting(Throwable::getMessage).contains("observer bug");
    }

    @Test
    void aRemovedObserverHearsNothingMore() {
      record();
      assertThat(installed.remove()).isTrue();
      await(TaskGroup.all(vertx, List.<TaskFn<String>>of(later("a"))));
      assertThat(events).isEmpty();
      assertThat(installed.remove()).isFalse();
    }

    @Test
    void withNothingSwitchedOnAGroupHasNoObservation() {
      boolean[] observed = {true};
      await(TaskGroup.run(vertx, g -> {
        observed[0] = g.impl.obs != null;
        return Future.succeededFuture();
      }));
      assertThat(observed[0]).as("a per-group observation while nothing observes").isFalse();
    }
  }

  @Nested
  class Jfr {
    private List<RecordedEvent> recordWhile(Runnable work) throws IOException {
      Path file = Files.createTempFile("taskgroup", ".jfr");
      try (Recording recording = new Recording()) {
        recording.enable("dev.taskgroup.Task");
        recording.enable("dev.taskgroup.GroupCancellation");
        recording.start();
        work.run();
        recording.stop();
        recording.dump(file);
        return RecordingFile.readAllEvents(file).stream()
            .filter(e -> e.getEventType().getName().startsWith("dev.taskgroup."))
            .collect(Collectors.toList());
      } finally {
        Files.deleteIfExists(file);
      }
    }

    @Test
    void aRecordingReadsBackEachTasksLifetimeAndTheGroupsCancellation() throws IOException {
      Observability.enableJfrEvents(true);
      List<RecordedEvent> recorded = recordWhile(() -> awaitFailure(TaskGroup.run(vertx, new TaskGroupOptions().setName("jfr-group"), g -> {
        g.spawn("ok", later("a"));
        g.spawn("stuck", untilCancelled());
        g.spawn("broken", failingLater(new IOException("boom")));
        return Future.succeededFuture();
      })));
      List<RecordedEvent> tasks = recorded.stream().filter(e -> e.getEventType().getName().equals("dev.taskgroup.Task")).toList();
      assertThat(tasks).extracting(e -> e.getString("task") + "=" + e.getString("state"))
          .containsExactlyInAnyOrder("ok=SUCCEEDED", "stuck=CANCELLED", "broken=FAILED");
      assertThat(tasks).allSatisfy(e -> {
        assertThat(e.getString("group")).isEqualTo("jfr-group");
        assertThat(e.getDuration()).isGreaterThanOrEqualTo(Duration.ZERO);
      });
      RecordedEvent cancellation = recorded.stream().filter(e -> e.getEventType().getName().equals("dev.taskgroup.GroupCancellation"))
          .findFirst().orElseThrow();
      assertThat(cancellation.getString("group")).isEqualTo("jfr-group");
      assertThat(cancellation.getString("reason")).isEqualTo("SIBLING_FAILED");
      assertThat(cancellation.getInt("runningTasks")).isEqualTo(2); // "stuck", and "broken", whose failure cancelled it
      assertThat(cancellation.getDuration("timeToSettle")).isGreaterThanOrEqualTo(Duration.ZERO);
    }

    @Test
    void aRecordingWithJfrsDefaultSettingsHasTheEventsOnceTheSwitchIsOn() throws IOException {
      Observability.enableJfrEvents(true);
      Path file = Files.createTempFile("taskgroup", ".jfr");
      try (Recording recording = new Recording(jdk.jfr.Configuration.getConfiguration("default"))) {
        recording.start();
        await(TaskGroup.run(vertx, new TaskGroupOptions().setName("defaults"), g -> g.spawn("t", later("x")).future()));
        recording.stop();
        recording.dump(file);
        assertThat(RecordingFile.readAllEvents(file)).anySatisfy(e -> {
          assertThat(e.getEventType().getName()).isEqualTo("dev.taskgroup.Task");
          assertThat(e.getString("group")).isEqualTo("defaults");
        });
      } catch (java.text.ParseException e) {
        throw new AssertionError(e);
      } finally {
        Files.deleteIfExists(file);
      }
    }

    @Test
    void noEventIsRecordedUnlessTheLibrarysSwitchIsOn() throws IOException {
      List<RecordedEvent> recorded = recordWhile(() -> await(TaskGroup.run(vertx, g -> {
        g.spawn(later("a"));
        g.cancel();
        return Future.succeededFuture();
      })));
      assertThat(recorded).isEmpty();
    }

    @Test
    void aGroupOpenedWhileNoRecordingHasTheEventsEnabledIsNotTracked() {
      Observability.enableJfrEvents(true);
      boolean[] observed = {true};
      await(TaskGroup.run(vertx, g -> {
        observed[0] = g.impl.obs != null;
        return Future.succeededFuture();
      }));
      assertThat(observed[0]).isFalse();
    }
  }
}
