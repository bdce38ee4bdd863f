#!/usr/bin/env python3
"""Draws the PNG charts of one run of run.sh from its JMH JSON and gateway output (matplotlib).

usage: charts.py RUN_DIR [--title-note TEXT]

Writes RUN_DIR/charts/:
  fanout-time.png    ns per task against N (log-log), every FanOutBenchmark variant and peer;
                     the JDK 25 rows (fanout-jdk25.json, StructuredTaskScope) dashed, labelled JDK 25
  fanout-bytes.png   bytes per task against N (log x), the same rows
  gateway-latency.png  p50 / p99 / p99.9 per connection count, per gateway and route
                     (gateway-c*.txt or gateway.txt; skipped when there is none)
Per task: as summarize.py (score / tasks per call). A missing input skips its chart, never fails.
"""
import glob
import os
import re
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from cycler import cycler  # noqa: E402  (ships with matplotlib)

plt.rcParams["axes.prop_cycle"] = cycler(color=plt.cm.tab20.colors)  # ~20 rows: no colour twice

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from summarize import ORDER, load, tasks_per_call  # noqa: E402

LABELS = dict(ORDER)
STYLE = {"futureAll": dict(color="black", linewidth=2.5)}


def per_task(path):
    """{name: {n: (ns/task, B/task)}} from one JMH JSON file."""
    rows = {}
    for r in load(path):
        name = r["benchmark"].rsplit(".", 1)[1]
        n = int(r["params"]["n"])
        tasks = tasks_per_call(name, n)
        pm = r["primaryMetric"]
        to_ns = {"us/op": 1e3, "ms/op": 1e6, "ns/op": 1.0}[pm["scoreUnit"]]
        alloc = r.get("secondaryMetrics", {}).get("gc.alloc.rate.norm", {}).get("score")
        rows.setdefault(name, {})[n] = (pm["score"] * to_ns / tasks, None if alloc is None else alloc / tasks)
    return rows


def label(name):
    return re.sub(r"`", "", LABELS.get(name, name))


def fanout_charts(run_dir, out, note):
    series = []
    main = os.path.join(run_dir, "fanout.json")
    if os.path.exists(main):
        series += [(name, pts, "JDK 17", "-") for name, pts in per_task(main).items()]
    j25 = os.path.join(run_dir, "fanout-jdk25.json")
    if os.path.exists(j25):
        # only what JDK 17 does not already draw, plus the JDK 25 baseline to read them against
        drawn = {s[0] for s in series}
        series += [(name, pts, "JDK 25", "--") for name, pts in per_task(j25).items()
                   if name not in drawn or name == "futureAll"]
    if not series:
        print("charts: no fanout JSON in", run_dir)
        return
    order = [k for k, _ in ORDER]
    series.sort(key=lambda s: (order.index(s[0]) if s[0] in order else 99, s[2]))
    for metric, fname, ylabel, logy in ((0, "fanout-time.png", "ns per task (log)", True),
                                        (1, "fanout-bytes.png", "bytes per task (log)", True)):
        fig, ax = plt.subplots(figsize=(11, 6.5))
        for name, pts, jdk, ls in series:
            ns = sorted(n for n in pts if pts[n][metric] is not None)
            if not ns:
                continue
            ax.plot(ns, [pts[n][metric] for n in ns], ls, marker="o", label=f"{label(name)} ({jdk})",
                    **STYLE.get(name, {}))
        ax.set_xscale("log")
        if logy:
            ax.set_yscale("log")
        ax.set_xlabel("N tasks in one fan-out (log)")
        ax.set_ylabel(ylabel)
        what = "time" if metric == 0 else "allocation"
        ax.set_title(f"Fan-out of N async tasks on one event loop: {what} per task{note}", fontsize=10)
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=7.5, loc="center left", bbox_to_anchor=(1.0, 0.5))
        fig.tight_layout()
        fig.savefig(os.path.join(out, fname), dpi=100)
        plt.close(fig)
        print("charts:", os.path.join(out, fname))


GATEWAY_HEAD = re.compile(r"gateway load: (\d+) connections")
GATEWAY_ROW = re.compile(r"RESULT route=(\w+) gateway=(.+?)\s+round=\d+: [\d.]+ req/s, p50 ([\d.]+) ms, p99 ([\d.]+) ms, p99\.9 ([\d.]+) ms")


def gateway_chart(run_dir, out, note):
    files = sorted(glob.glob(os.path.join(run_dir, "gateway-c*.txt"))) or glob.glob(os.path.join(run_dir, "gateway.txt"))
    data = {}  # (route, gateway) -> {connections: [(p50, p99, p999) per round]}
    for f in files:
        text = open(f).read()
        head = GATEWAY_HEAD.search(text)
        if not head:
            continue
        c = int(head.group(1))
        for m in GATEWAY_ROW.finditer(text):
            data.setdefault((m.group(1), m.group(2).strip()), {}).setdefault(c, []).append(
                tuple(float(m.group(i)) for i in (3, 4, 5)))
    if not data:
        print("charts: no gateway results in", run_dir)
        return
    routes = sorted({r for r, _ in data})
    fig, axes = plt.subplots(1, len(routes), figsize=(6 * len(routes), 5), squeeze=False)
    for ax, route in zip(axes[0], routes):
        gateways = sorted({g for _, g in data})
        for (r, gw), by_c in sorted(data.items()):
            if r != route:
                continue
            cs = sorted(by_c)
            colour = plt.cm.tab10.colors[gateways.index(gw) % 10]  # one colour per gateway, a line style per percentile
            for i, (pct, ls) in enumerate((("p50", ":"), ("p99", "-"), ("p99.9", "--"))):
                ys = [sum(x[i] for x in by_c[c]) / len(by_c[c]) for c in cs]  # mean of rounds
                ax.plot(cs, ys, ls, marker="o", color=colour, label=f"{gw} {pct}")
        ax.set_xscale("log", base=2)
        ax.set_yscale("log")
        ax.set_xlabel("connections (closed loop)")
        ax.set_ylabel("latency ms (log), mean of rounds")
        ax.set_title(f"gateway, route {route}{note}", fontsize=10)
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=7)
    fig.tight_layout()
    path = os.path.join(out, "gateway-latency.png")
    fig.savefig(path, dpi=100)
    plt.close(fig)
    print("charts:", path)


def main():
    run_dir = sys.argv[1]
    note = ""
    if "--title-note" in sys.argv:
        note = " — " + sys.argv[sys.argv.index("--title-note") + 1]
    out = os.path.join(run_dir, "charts")
    os.makedirs(out, exist_ok=True)
    fanout_charts(run_dir, out, note)
    gateway_chart(run_dir, out, note)


if __name__ == "__main__":
    main()
