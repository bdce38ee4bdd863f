package dev.taskgroup;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * The deep shapes of {@link LimitsTest}, each run once, first thing, in a fresh JVM (interpreted
 * frames are the largest a thread stack ever holds): started by {@link ColdJvmTest}. Prints one
 * line per shape and exits 0 when every group completed with the expected value, 1 otherwise.
 */
public final class ColdJvmShapes {
  private ColdJvmShapes() {}

  public static void main(String[] args) throws Exception {
    int links = Integer.parseInt(args[0]);
    int levels = Integer.parseInt(args[1]);
    // Health-checked like every Vert.x of the suite; a cold JVM compiling while one turn spawns a
    // million tasks may exceed the 400 ms turn, so here blocked turns are printed, not fatal.
    List<String> blocked = new java.util.concurrent.CopyOnWriteArrayList<>();
    Vertx vertx = VertxTest.healthyVertx(blocked);
    vertx.exceptionHandler(e -> {
      System.out.println("unhandled: " + e);
      System.exit(1);
    });
    Context context = vertx.getOrCreateContext();
    boolean ok = true;
    ok &= check("nested timeouts", levels, () -> {
      ManualTimers clock = new ManualTimers();
      TaskFn<Integer> fn = scope -> scope.sleep(Duration.ofDays(1)).map(0);
      for (int i = 0; i < levels; i++) {
        fn = fn.withTimeout(Duration.ofMillis(10), levels);
      }
      TaskFn<Integer> nested = fn;
      Future<Integer> f = TaskGroup.run(vertx, clock.options(), g -> g.spawn(nested).future());
      clock.advance(Duration.ofMillis(20));
      return f;
    }, context);
    ok &= check("chain", links, () -> {
      Promise<Integer> head = Promise.promise();
      Future<Integer> f = TaskGroup.run(vertx, g -> {
        Task<Integer> last = g.spawn(s -> head.future());
        for (int i = 1; i < links; i++) {
          Task<Integer> before = last;
          last = g.spawn(s -> before.future().map(v -> v + 1));
        }
        return last.future();
      });
      context.runOnContext(v -> head.complete(1));
      return f;
    }, context);
    ok &= check("spawn chain", links, () -> {
      AtomicInteger ran = new AtomicInteger();
      return TaskGroup.run(vertx, g -> {
        g.spawn(new TaskFn<Integer>() {
          @Override
          public Future<Integer> run(TaskScope scope) {
            if (ran.incrementAndGet() < links) {
              g.spawn(this);
            }
            return Future.succeededFuture(1);
          }
        });
        return Future.succeededFuture();
      }).map(v -> ran.get());
    }, context);
    ok &= check("nesting", levels, () -> TaskGroup.run(vertx, g -> g.spawn(new TaskFn<Integer>() {
      int level;

      @Override
      public Future<Integer> run(TaskScope scope) {
        int mine = ++level;
        return mine == levels ? Future.succeededFuture(mine) : TaskGroup.run(scope, inner -> inner.spawn(this).future());
      }
    }).future()), context);
    ok &= check("cancel of a deep tree", levels, () -> {
      AtomicInteger leafCancelled = new AtomicInteger();
      return TaskGroup.run(vertx, g -> {
        g.spawn(new TaskFn<Integer>() {
          int level;

          @Override
          public Future<Integer> run(TaskScope scope) {
            if (++level == levels) {
              Promise<Integer> p = Promise.promise();
              scope.onCancel(c -> {
                leafCancelled.set(levels);
                p.fail(c);
              });
              g.cancel();
              return p.future();
            }
            return TaskGroup.run(scope, inner -> inner.spawn(this).future());
          }
        });
        return Future.succeededFuture();
      }).map(v -> leafCancelled.get());
    }, context);
    ok &= check("hook chain", links, () -> {
      List<Task<Void>> tasks = new ArrayList<>(links);
      AtomicInteger hooks = new AtomicInteger();
      return TaskGroup.run(vertx, g -> {
        for (int i = 0; i < links; i++) {
          int k = i;
          tasks.add(g.spawn(s -> {
            Promise<Void> p = Promise.promise();
            s.onCancel(c -> {
              hooks.incrementAndGet();
              p.fail(c);
              if (k + 1 < links) {
                tasks.get(k + 1).cancel();
              }
            });
            return p.future();
          }));
        }
        tasks.get(0).cancel();
        return Future.succeededFuture();
      }).map(v -> hooks.get());
    }, context);
    vertx.close().await(10, TimeUnit.SECONDS);
    blocked.forEach(b -> System.out.println("info: " + b));
    System.exit(ok ? 0 : 1);
  }

  private static boolean check(String shape, int expected, Supplier<Future<Integer>> run, Context context) throws Exception {
    long start = System.nanoTime();
    Promise<Integer> result = Promise.promise();
    context.runOnContext(v -> run.get().onComplete(result));
    Integer value;
    try {
      value = result.future().await(60, TimeUnit.SECONDS);
    } catch (java.util.concurrent.TimeoutException e) {
      System.out.println("HANG " + shape + ": did not complete within 60 s");
      return false;
    } catch (Throwable e) {
      System.out.println("FAIL " + shape + ": " + e);
      return false;
    }
    boolean ok = value != null && value == expected;
    System.out.println((ok ? "ok " : "FAIL ") + shape + ": " + value + " (expected " + expected + ") in "
        + (System.nanoTime() - start) / 1_000_000 + " ms");
    return ok;
  }
}
