package dev.taskgroup;

import io.vertx.core.Context;
import io.vertx.core.Future;
import java.time.Duration;
import java.util.Random;
import java.util.function.Function;
import java.util.function.Supplier;
import org.junit.jupiter.api.BeforeEach;

/** Base of the tests whose groups run on one context, timed by a {@link ManualTimers} clock. */
abstract class OnManualClock extends VertxTest {
  ManualTimers clock;
  Context context;

  @BeforeEach
  void manualClock() {
    clock = new ManualTimers();
    context = vertx.getOrCreateContext();
  }

  /** {@return the options of a group on the manual clock} */
  TaskGroupOptions options() {
    return clock.options();
  }

  /** Starts a group on the test's context, driven by the manual clock. */
  <R> Future<R> group(Function<TaskGroup, Future<R>> body) {
    return group(options(), body);
  }

  <R> Future<R> group(TaskGroupOptions options, Function<TaskGroup, Future<R>> body) {
    return on(context, () -> TaskGroup.run(vertx, options.setTimers(clock), body));
  }

  /** Runs {@code action} on the test's context and waits for its future. */
  <T> T onContext(Supplier<Future<T>> action) {
    return await(on(context, action));
  }

  /** Moves the manual clock on the test's context, firing what falls due. */
  void advance(long millis) {
    await(call(context, () -> {
      clock.advance(Duration.ofMillis(millis));
      return null;
    }));
  }

  /** {@return the manual clock's time in ms since the test began} */
  long nowMillis() {
    return (clock.nanoTime() - 1_000_000_000L) / 1_000_000;
  }

  static Duration ms(long millis) {
    return Duration.ofMillis(millis);
  }

  /** A "random" source that always draws {@code u}: the jitter of every backoff is {@code u} of its bound. */
  static Random always(double u) {
    return new Random() {
      @Override
      public double nextDouble() {
        return u;
      }
    };
  }
}
