#!/usr/bin/env python3
"""The tables of compare.sh: HEAD against BASE, per fan-out row and N, from one interleaved run.

usage: compare.py RAW_DIR     (RAW_DIR holds r<round>-<benchmark>-<base|head>.json, JMH -rf json)

Per round, each side ran each benchmark once (one fork per N), base and head back to back. The
time ratio of a row is the geometric mean over rounds of head/base in that round (pairs close in
time, so slow drift of the machine cancels), with a 95% Student-t interval over rounds on the log
scale. ns and bytes per task are the means over rounds of score / (N x reps) and
gc.alloc.rate.norm / (N x reps), reps = max(1, 10000 // N) (FanOutBenchmark.reps).
Verdict against the issues' 3% bar: "no regression > 3%" only when the whole interval is <= 1.03,
"regression" when the interval's lower end is above 1.03, "inconclusive" otherwise.
"""
import glob
import json
import math
import os
import re
import sys

LABELS = {
    "futureAll": "Vert.x `Future.all` (control: no library code)",
    "taskGroupAll": "`TaskGroup.all`",
    "taskGroupAllTimeouts": "`TaskGroup.all` + per-task `withTimeout`",
    "taskGroupFed": "group, `maxConcurrency` 1,000, fed as tasks finish",
}
# two-sided 95% Student-t quantiles, by degrees of freedom
T95 = {1: 12.706, 2: 4.303, 3: 3.182, 4: 2.776, 5: 2.571, 6: 2.447, 7: 2.365, 8: 2.306, 9: 2.262,
       10: 2.228, 12: 2.179, 15: 2.131, 20: 2.086, 30: 2.042}
BAR = 1.03


def t95(df):
    return T95.get(df) or T95[max(k for k in T95 if k <= df)] if df >= 1 else float("nan")


def load(raw):
    """{(bench, n): {round: {side: (ns/task, B/task)}}}"""
    data = {}
    for path in glob.glob(os.path.join(raw, "r*-*-*.json")):
        m = re.match(r"r(\d+)-(\w+)-(base|head)\.json$", os.path.basename(path))
        if not m:
            continue
        rnd, side = int(m.group(1)), m.group(3)
        with open(path) as f:
            runs = json.load(f)
        for r in runs:
            bench = r["benchmark"].rsplit(".", 1)[1]
            n = int(r["params"]["n"])
            tasks = n * max(1, 10000 // n)
            pm = r["primaryMetric"]
            to_ns = {"us/op": 1e3, "ms/op": 1e6, "ns/op": 1.0}[pm["scoreUnit"]]
            alloc = r.get("secondaryMetrics", {}).get("gc.alloc.rate.norm", {}).get("score")
            data.setdefault((bench, n), {}).setdefault(rnd, {})[side] = (
                pm["score"] * to_ns / tasks, None if alloc is None else alloc / tasks)
    return data


def mean(xs):
    return sum(xs) / len(xs)


def interval(logs):
    """geometric mean and 95% interval of exp(logs)"""
    m = mean(logs)
    if len(logs) < 2:
        return math.exp(m), float("nan"), float("nan")
    sd = math.sqrt(sum((x - m) ** 2 for x in logs) / (len(logs) - 1))
    h = t95(len(logs) - 1) * sd / math.sqrt(len(logs))
    return math.exp(m), math.exp(m - h), math.exp(m + h)


def verdict(lo, hi):
    if hi != hi:
        return "(one round: no interval)"
    if hi <= BAR:
        return "no regression > 3%"
    if lo > BAR:
        return "**regression > 3%**"
    return "inconclusive (interval crosses 1.03)"


def main(raw):
    data = load(raw)
    if not data:
        sys.exit(f"no r<round>-<bench>-<side>.json in {raw}")
    order = [b for b in LABELS] + sorted({b for b, _ in data} - set(LABELS))
    print("Time and bytes per task, base and head (means over rounds); head/base time as the geometric mean of")
    print("the per-round ratios with its 95% interval; bytes as the ratio of the means.")
    print()
    print("| row | N | rounds | base ns/task | head ns/task | head/base time [95% interval] | base B/task | head B/task | head/base bytes | verdict (time) |")
    print("|---|---:|---:|---:|---:|---|---:|---:|---:|---|")
    for bench in order:
        for n in sorted(n for b, n in data if b == bench):
            rounds = data[(bench, n)]
            paired = [rounds[r] for r in sorted(rounds) if "base" in rounds[r] and "head" in rounds[r]]
            if not paired:
                continue
            bt = mean([p["base"][0] for p in paired])
            ht = mean([p["head"][0] for p in paired])
            ratio, lo, hi = interval([math.log(p["head"][0] / p["base"][0]) for p in paired])
            bb = [p["base"][1] for p in paired if p["base"][1] is not None]
            hb = [p["head"][1] for p in paired if p["head"][1] is not None]
            bbm = mean(bb) if bb else None
            hbm = mean(hb) if hb else None
            ci = f"{ratio:.3f} [{lo:.3f}, {hi:.3f}]" if hi == hi else f"{ratio:.3f}"
            print(f"| {LABELS.get(bench, bench)} | {n:,} | {len(paired)} | {bt:,.1f} | {ht:,.1f} | {ci} | "
                  + (f"{bbm:,.0f}" if bbm is not None else "") + " | "
                  + (f"{hbm:,.0f}" if hbm is not None else "") + " | "
                  + (f"{hbm / bbm:.3f}" if bbm and hbm is not None else "") + f" | {verdict(lo, hi)} |")
    control = [(n, interval([math.log(rounds[r]["head"][0] / rounds[r]["base"][0]) for r in rounds
                             if "base" in rounds[r] and "head" in rounds[r]]))
               for (b, n), rounds in sorted(data.items()) if b == "futureAll"]
    moved = [n for n, (_, lo, hi) in control if not (hi == hi and lo >= 1 / BAR and hi <= BAR)]
    if moved:
        print()
        print(f"**The control moved:** the interval of `Future.all` (no library code) is not within "
              f"[{1 / BAR:.3f}, {BAR:.3f}] at N = {', '.join(f'{n:,}' for n in moved)}: this run cannot decide "
              "a 3% bar there (a busy machine, or too few rounds).")
    print()
    print("Per-round head/base time ratios (the order alternated: base first in odd rounds):")
    print()
    for bench in order:
        for n in sorted(n for b, n in data if b == bench):
            rounds = data[(bench, n)]
            rs = [f"r{r} {rounds[r]['head'][0] / rounds[r]['base'][0]:.3f}" for r in sorted(rounds)
                  if "base" in rounds[r] and "head" in rounds[r]]
            print(f"- {bench} N={n:,}: " + ", ".join(rs))


if __name__ == "__main__":
    main(sys.argv[1])
