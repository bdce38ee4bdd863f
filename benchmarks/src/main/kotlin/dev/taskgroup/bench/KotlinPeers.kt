@file:JvmName("KotlinPeers")
@file:OptIn(DelicateCoroutinesApi::class)

package dev.taskgroup.bench

import io.vertx.core.Future
import io.vertx.core.Promise
import io.vertx.kotlin.coroutines.coAwait
import kotlinx.coroutines.CoroutineDispatcher
import kotlinx.coroutines.CoroutineStart
import kotlinx.coroutines.Deferred
import kotlinx.coroutines.DelicateCoroutinesApi
import kotlinx.coroutines.GlobalScope
import kotlinx.coroutines.async
import kotlinx.coroutines.awaitAll
import kotlinx.coroutines.coroutineScope
import kotlinx.coroutines.delay
import kotlinx.coroutines.launch
import kotlinx.coroutines.withTimeout

// The Kotlin peer of FanOutBenchmark and FailFastMain: coroutines on the Vert.x dispatcher of the
// benchmark's one event loop (vertx-lang-kotlin-coroutines' Context.dispatcher(), which runs a
// coroutine in place when it is already on that context and arms a Vert.x timer for delay and
// withTimeout). The JMH methods stay in Java (FanOutBenchmark); these functions are what they call,
// each returning a Vert.x Future so EventLoop.await times the whole fan-out the same way as for the
// other rows. Called on the event loop.
//
// Rejected: runBlocking in the benchmark thread (it would time a thread hop per operation, not the
// fan-out) and a CoroutineScope with a long-lived Job (every operation would attach to and detach
// from one parent job: a cost no caller of coroutineScope pays).

/** Runs [block] as a coroutine started in place on the loop; its result or failure completes the returned future. */
private fun <T> start(dispatcher: CoroutineDispatcher, block: suspend () -> T): Future<T> {
  val p = Promise.promise<T>()
  GlobalScope.launch(dispatcher, CoroutineStart.UNDISPATCHED) {
    try {
      p.complete(block())
    } catch (e: Throwable) {
      p.fail(e)
    }
  }
  return p.future()
}

/** The N tasks as a list of futures ([EventLoop.task]), as `tasks` in the shape. */
private fun tasks(loop: EventLoop, n: Int): List<Future<Int>> {
  val tasks = ArrayList<Future<Int>>(n)
  for (i in 0 until n) {
    tasks.add(loop.task(i))
  }
  return tasks
}

/** `coroutineScope { tasks.map { async { it.coAwait() } }.awaitAll() }`: fail fast, like `TaskGroup.all`. */
fun awaitAll(loop: EventLoop, dispatcher: CoroutineDispatcher, n: Int): Future<List<Int>> = start(dispatcher) {
  coroutineScope {
    tasks(loop, n).map { async { it.coAwait() } }.awaitAll()
  }
}

/** The same, each task bounded by `withTimeout(timeoutMs)` (one Vert.x timer per task on this dispatcher). */
fun awaitAllTimeouts(loop: EventLoop, dispatcher: CoroutineDispatcher, n: Int, timeoutMs: Long): Future<List<Int>> =
  start(dispatcher) {
    coroutineScope {
      tasks(loop, n).map { async { withTimeout(timeoutMs) { it.coAwait() } } }.awaitAll()
    }
  }

/**
 * FailFastMain's round for Kotlin: task 0 awaits [FailFastMain.Probe.failing], the others
 * `delay(sleepMs)` (a Vert.x timer) and then do their work; the first failure cancels the scope,
 * whose siblings' delays end with a CancellationException. The future fails when coroutineScope
 * has rethrown, i.e. after every child has completed.
 */
fun failFast(dispatcher: CoroutineDispatcher, probe: FailFastMain.Probe, n: Int, sleepMs: Long): Future<List<Int>> =
  start(dispatcher) {
    coroutineScope {
      val all = ArrayList<Deferred<Int>>(n)
      all.add(async { probe.failing().coAwait() })
      for (i in 1 until n) {
        all.add(async {
          probe.started()
          delay(sleepMs)
          probe.work(i)
        })
      }
      all.awaitAll()
    }
  }
