#!/usr/bin/env python3
"""Turns JMH JSON results (-rf json) into the Markdown tables of RESULTS.md.

usage: summarize.py fanout.json [cancel.json]

Fan-out: ns per task = score (us/op) * 1000 / (N * reps); bytes per task = gc.alloc.rate.norm /
(N * reps), reps = max(1, 10000 // N) operations per call (FanOutBenchmark.reps); each
ratio is against plain Future.all of the same N in the same file (the same run); the per-task
timeout row is also compared with the hand-rolled timers.
"""
import json
import sys

ORDER = [
    ("futureAll", "Vert.x `Future.all` (baseline)"),
    ("futureJoin", "Vert.x `Future.join`"),
    ("taskGroupAll", "`TaskGroup.all`"),
    ("taskGroupGather", "`TaskGroup.gather`"),
    ("taskGroupSpawn", "group, `spawn` in a loop"),
    ("taskGroupAllTimeouts", "`TaskGroup.all` + per-task `withTimeout`"),
    ("futureAllTimers", "`Future.all` + hand-rolled `setTimer`/`cancelTimer`"),
    ("completableFutureAllOf", "`CompletableFuture.allOf`"),
    ("mutinyJoinAll", "Mutiny `Uni.join().all()`"),
    ("structuredTaskScope", "JDK 25 `StructuredTaskScope` (virtual threads)"),
    ("futureAllCompleted", "`Future.all` over completed futures (floor)"),
]


def num(x):
    try:
        return float(x)
    except (TypeError, ValueError):
        return float("nan")


def load(path):
    with open(path) as f:
        return json.load(f)


def fanout(path):
    rows = {}
    ns = set()
    for r in load(path):
        name = r["benchmark"].rsplit(".", 1)[1]
        n = int(r["params"]["n"])
        ns.add(n)
        tasks = n * max(1, 10000 // n)  # FanOutBenchmark.reps(n) operations of n tasks per call
        unit = r["primaryMetric"]["scoreUnit"]
        score = r["primaryMetric"]["score"]
        err = num(r["primaryMetric"].get("scoreError"))
        to_ns = {"us/op": 1e3, "ms/op": 1e6, "ns/op": 1.0}[unit]
        alloc = r.get("secondaryMetrics", {}).get("gc.alloc.rate.norm", {}).get("score")
        if name == "structuredTaskScope":
            tasks = n  # one scope per call
        rows[(name, n)] = (score * to_ns / tasks, err * to_ns / tasks, None if alloc is None else alloc / tasks)
    ns = sorted(ns)
    print("| variant | " + " | ".join(f"N={n:,} ns/task | x time | B/task | x bytes" for n in ns) + " |")
    print("|---|" + "---:|---:|---:|---:|" * len(ns))
    for key, label in ORDER:
        if not any((key, n) in rows for n in ns):
            continue
        cells = []
        for n in ns:
            if (key, n) not in rows:
                cells += ["", "", "", ""]
                continue
            t, e, b = rows[(key, n)]
            bt, _, bb = rows.get(("futureAll", n), (None, None, None))
            cells.append(f"{t:,.1f} ± {e:,.1f}" if e == e else f"{t:,.1f}")
            cells.append(f"{t / bt:.2f}x" if bt else "")
            cells.append(f"{b:,.0f}" if b is not None else "")
            cells.append(f"{b / bb:.2f}x" if b is not None and bb else "")
        print(f"| {label} | " + " | ".join(cells) + " |")
    if any(("taskGroupAllTimeouts", n) in rows and ("futureAllTimers", n) in rows for n in ns):
        print()
        print("| per-task timeouts | " + " | ".join(f"N={n:,}" for n in ns) + " |")
        print("|---|" + "---:|" * len(ns))
        cells_t, cells_b = [], []
        for n in ns:
            if ("taskGroupAllTimeouts", n) in rows and ("futureAllTimers", n) in rows:
                tg, _, tb = rows[("taskGroupAllTimeouts", n)]
                hr, _, hb = rows[("futureAllTimers", n)]
                cells_t.append(f"{hr / tg:.2f}x cheaper in time")
                cells_b.append(f"{hb / tb:.2f}x fewer bytes" if tb and hb else "")
            else:
                cells_t.append("")
                cells_b.append("")
        print("| hand-rolled timers / `withTimeout` (time) | " + " | ".join(cells_t) + " |")
        print("| hand-rolled timers / `withTimeout` (bytes) | " + " | ".join(cells_b) + " |")


def cancel(path):
    print("| live tasks cancelled | N | median ms | mean ms ± error | ns per task |")
    print("|---|---:|---:|---:|---:|")
    labels = {"sleep": "group of tasks on `TaskScope.sleep`, `cancel()`",
              "hook": "group of tasks waiting on an `onCancel` hook, `cancel()`",
              "timers": "hand-rolled: `cancelTimer` + fail each promise, `Future.join`"}
    for r in load(path):
        kind = r["params"]["kind"]
        n = int(r["params"]["n"])
        pm = r["primaryMetric"]
        to_ms = {"ms/op": 1.0, "us/op": 1e-3, "s/op": 1e3}[pm["scoreUnit"]]
        med = pm["scorePercentiles"]["50.0"] * to_ms
        print(f"| {labels.get(kind, kind)} | {n:,} | {med:.2f} | {pm['score'] * to_ms:.2f} ± {num(pm.get('scoreError')) * to_ms:.2f} | {med * 1e6 / n:,.0f} |")


if __name__ == "__main__":
    fanout(sys.argv[1])
    if len(sys.argv) > 2:
        print()
        cancel(sys.argv[2])
