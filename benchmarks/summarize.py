#!/usr/bin/env python3
"""Turns JMH JSON results (-rf json) into the Markdown tables of RESULTS.md.

usage: summarize.py fanout.json [cancel.json]
       summarize.py --targets RUN_DIR     (the issue's targets against one run of run.sh)
       summarize.py --chain chain.json    (ChainBenchmark: ns and bytes per link)

Fan-out: ns per task = score (us/op) * 1000 / (N * reps); bytes per task = gc.alloc.rate.norm /
(N * reps), reps = max(1, 10000 // N) operations per call (FanOutBenchmark.reps); each
ratio is against plain Future.all of the same N in the same file (the same run); the per-task
timeout row is also compared with the hand-rolled timers.
"""
import json
import sys

# one scope of N per call for these (StructuredTaskScopeBenchmark); FanOutBenchmark runs reps(N) operations
ONE_OP_PER_CALL = ("structuredTaskScope",)


def tasks_per_call(name, n):
    return n if name.startswith(ONE_OP_PER_CALL) else n * max(1, 10000 // n)

ORDER = [
    ("futureAll", "Vert.x `Future.all` (baseline)"),
    ("futureJoin", "Vert.x `Future.join`"),
    ("taskGroupAll", "`TaskGroup.all`"),
    ("taskGroupGather", "`TaskGroup.gather`"),
    ("taskGroupSpawn", "group, `spawn` in a loop"),
    ("taskGroupFed", "group, `maxConcurrency` 1,000, each finishing task spawns the next"),
    ("taskGroupAllTimeouts", "`TaskGroup.all` + per-task `withTimeout`"),
    ("futureAllTimers", "`Future.all` + hand-rolled `setTimer`/`cancelTimer`"),
    ("completableFutureAllOf", "`CompletableFuture.allOf`"),
    ("mutinyJoinAll", "Mutiny `Uni.join().all().andFailFast()`"),
    ("mutinyJoinAllTimeouts", "Mutiny + per-task `ifNoItem().after(d).fail()`"),
    ("uniTaskGroupAll", "`UniTaskGroup.all` of `Uni` tasks (the group as a `Uni`)"),
    ("taskGroupAllOfUniTasks", "`TaskGroup.all` of the same `Uni` tasks"),
    ("kotlinAwaitAll", "Kotlin `coroutineScope { async { coAwait() } }.awaitAll()`"),
    ("kotlinAwaitAllTimeouts", "Kotlin + per-task `withTimeout`"),
    ("structuredTaskScope", "JDK 25 `StructuredTaskScope` (virtual threads, `CompletableFuture.join`)"),
    ("structuredTaskScopeAwait", "JDK 25 `StructuredTaskScope` (virtual threads, Vert.x `Future.await`)"),
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
        if name.startswith("structuredTaskScope"):
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


def chain(path):
    """ChainBenchmark: per link = score / (N x reps), reps = max(1, 100000 // N) (ChainBenchmark.reps)."""
    labels = {"futureMapChain": "plain Vert.x `Future.map` chain (fork with a big stack)",
              "taskGroupChain": "`TaskGroup`: each task awaits the previous (default stack)"}
    rows = {}
    for r in load(path):
        name = r["benchmark"].rsplit(".", 1)[1]
        n = int(r["params"]["n"])
        links = n * max(1, 100000 // n)
        pm = r["primaryMetric"]
        to_ns = {"us/op": 1e3, "ms/op": 1e6, "ns/op": 1.0}[pm["scoreUnit"]]
        alloc = r.get("secondaryMetrics", {}).get("gc.alloc.rate.norm", {}).get("score")
        rows[(name, n)] = (pm["score"] * to_ns / links, num(pm.get("scoreError")) * to_ns / links,
                           None if alloc is None else alloc / links)
    print("| chain | N | ns/link | x time | B/link | x bytes |")
    print("|---|---:|---:|---:|---:|---:|")
    for key, label in labels.items():
        for n in sorted(n for k, n in rows if k == key):
            t, e, b = rows[(key, n)]
            bt, _, bb = rows.get(("futureMapChain", n), (None, None, None))
            print(f"| {label} | {n:,} | " + (f"{t:,.1f} ± {e:,.1f}" if e == e else f"{t:,.1f}")
                  + " | " + (f"{t / bt:.2f}x" if bt else "") + " | " + (f"{b:,.0f}" if b is not None else "")
                  + " | " + (f"{b / bb:.2f}x" if b is not None and bb else "") + " |")


if __name__ == "__main__" and sys.argv[1] == "--chain":
    chain(sys.argv[2])
    sys.exit(0)

if __name__ == "__main__" and sys.argv[1] != "--targets":
    fanout(sys.argv[1])
    if len(sys.argv) > 2:
        print()
        cancel(sys.argv[2])


def targets(run_dir):
    """The issue's targets, checked against one run directory of run.sh."""
    import os
    import re
    fan = {}
    for r in load(os.path.join(run_dir, "fanout.json")):
        name = r["benchmark"].rsplit(".", 1)[1]
        n = int(r["params"]["n"])
        tasks = n * max(1, 10000 // n)
        to_ns = {"us/op": 1e3, "ms/op": 1e6, "ns/op": 1.0}[r["primaryMetric"]["scoreUnit"]]
        alloc = r.get("secondaryMetrics", {}).get("gc.alloc.rate.norm", {}).get("score")
        fan[(name, n)] = (r["primaryMetric"]["score"] * to_ns / tasks, alloc / tasks if alloc else None)
    rows = []

    def verdict(ok):
        return "met" if ok else "**missed**"

    for n in (1000, 100000):
        t, b = fan[("taskGroupAll", n)]
        bt, bb = fan[("futureAll", n)]
        rows.append((f"`TaskGroup.all` time, N={n:,}", "<= 1.3x `Future.all`",
                     f"{t:.0f} vs {bt:.0f} ns/task = {t / bt:.2f}x", verdict(t / bt <= 1.3)))
        rows.append((f"`TaskGroup.all` bytes, N={n:,}", "<= 1.5x `Future.all` (issue 15)",
                     f"{b:.0f} vs {bb:.0f} B/task = {b / bb:.2f}x", verdict(b / bb <= 1.5)))
    n = 100000
    t, _ = fan[("taskGroupAllTimeouts", n)]
    bt, _ = fan[("futureAll", n)]
    ht, _ = fan[("futureAllTimers", n)]
    rows.append(("per-task timeouts vs plain, N=100,000", "<= 1.3x `Future.all` (issue 15)",
                 f"{t:.0f} vs {bt:.0f} ns/task = {t / bt:.2f}x", verdict(t / bt <= 1.3)))
    rows.append(("per-task timeouts vs hand-rolled timers, N=100,000", ">= 3x cheaper",
                 f"{ht:.0f} vs {t:.0f} ns/task = {ht / t:.2f}x cheaper", verdict(ht / t >= 3)))
    ff = open(os.path.join(run_dir, "failfast.txt")).read()
    m = re.search(r"TaskGroup\.all.*?failure->answer ms: median ([\d.]+) max ([\d.]+).*?ran work after the failure: median (\d+) max (\d+)", ff)
    if m:
        med, mx, wm, wx = float(m.group(1)), float(m.group(2)), int(m.group(3)), int(m.group(4))
        rows.append(("fail fast, 99,999 sleeping siblings: failure -> group done", "<= 50 ms",
                     f"median {med:.1f} ms, max {mx:.1f} ms", verdict(mx <= 50) if mx <= 50 else ("met (median)" if med <= 50 else "**missed**")))
        rows.append(("fail fast: sibling work after the failure", "none", f"max {wx} siblings", verdict(wx == 0)))
    if ("taskGroupFed", 100000) in fan:
        ft, _ = fan[("taskGroupFed", 100000)]
        at, _ = fan[("taskGroupAll", 100000)]
        rows.append(("(diagnostic) the fed pattern in a 2 GiB heap, N=100,000", "",
                     f"{ft:.0f} vs `TaskGroup.all` {at:.0f} ns/task = {ft / at:.2f}x", ""))
    sc = open(os.path.join(run_dir, "scale.txt")).read()
    m = re.search(r"completed, median ([\d.]+) ns/task", sc)
    h = re.search(r"after warm-up ([\d.]+) MiB, end ([\d.]+) MiB", sc)
    s0 = re.search(r"start ([\d.]+) MiB", sc)
    if m:
        fed = float(m.group(1))
        ref, _ = fan[("taskGroupAll", 100000)]
        rows.append(("1M tasks, maxConcurrency 1,000, -Xmx64m: per task", "<= 1.3x `TaskGroup.all` N=100,000 (issue 15)",
                     f"{fed:.0f} vs {ref:.0f} ns/task = {fed / ref:.2f}x", verdict(fed / ref <= 1.3)))
    if h and s0:
        rows.append(("1M tasks: heap after full GC", "no growth",
                     f"start {s0.group(1)} MiB, after warm-up {h.group(1)} MiB, end {h.group(2)} MiB",
                     verdict(float(h.group(2)) - float(h.group(1)) < 1.0)))
    gw = open(os.path.join(run_dir, "gateway.txt")).read()
    res = {}
    for m in re.finditer(r"RESULT route=(\w+) gateway=(.+?)\s+round=(\d+): (\d+) req/s, p50 ([\d.]+) ms, p99 ([\d.]+) ms", gw):
        res.setdefault((m.group(1), m.group(2).strip()), []).append((float(m.group(4)), float(m.group(6))))
    naive = res.get(("ok", "naive (Future.all)"))
    tg = res.get(("ok", "taskgroup gateway"))
    if naive and tg:
        nt = sum(x[0] for x in naive) / len(naive)
        tt = sum(x[0] for x in tg) / len(tg)
        np99 = sum(x[1] for x in naive) / len(naive)
        tp99 = sum(x[1] for x in tg) / len(tg)
        rows.append(("gateway success route: throughput", ">= 0.9x naive",
                     f"{tt:.0f} vs {nt:.0f} req/s = {tt / nt:.2f}x (mean of rounds)", verdict(tt / nt >= 0.9)))
        rows.append(("gateway success route: p99", "<= 1.1x naive",
                     f"{tp99:.2f} vs {np99:.2f} ms = {tp99 / np99:.2f}x (mean of rounds)", verdict(tp99 / np99 <= 1.1)))
    left = re.findall(r"RESULT route=fail gateway=(.+?)\s+round=\d+.*?\n\s+upstream work after the answer: (\d+) non-200 answers; (\d+) upstream requests ran to their end", gw)
    for g, answers, ran in left:
        rows.append((f"gateway failure route, {g.strip()}: upstream requests left running after the 502",
                     "0 (taskgroup); report (naive)", f"{ran} of {answers} failed answers", verdict(int(ran) == 0) if "taskgroup" in g else "reported"))
    print("| target | wanted | measured | verdict |")
    print("|---|---|---|---|")
    for r in rows:
        print("| " + " | ".join(r) + " |")


if __name__ == "__main__" and len(sys.argv) > 1 and sys.argv[1] == "--targets":
    targets(sys.argv[2])
