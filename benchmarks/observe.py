#!/usr/bin/env python3
"""observe.sh's table: per observation setting, time per task as a ratio to "off" (geometric mean
of the per-round ratios, 95% t interval over rounds) and bytes per task, from r<round>-<setting>.json."""
import glob, json, math, os, re, sys

from compare import interval  # compare.py's geometric mean and 95% t interval (its t table goes past 9 rounds)

TASKS_PER_OP = 10_000  # n=1000, reps(1000)=10

def main(out):
    runs = {}
    for path in glob.glob(os.path.join(out, "r*-*.json")):
        m = re.match(r"r(\d+)-(\w+)\.json$", os.path.basename(path))
        b = json.load(open(path))[0]
        runs.setdefault(m.group(2), {})[int(m.group(1))] = (
            b["primaryMetric"]["score"], b["secondaryMetrics"]["gc.alloc.rate.norm"]["score"])
    off = runs["off"]
    print("| setting | ns per task (mean of rounds) | ratio to off (95% interval) | bytes per task | bytes over off |")
    print("|---|---|---|---|---|")
    for name in ["off", "metrics", "ages", "jfr", "jfrIdle"]:
        if name not in runs:
            continue
        rounds = sorted(set(runs[name]) & set(off))
        logs = [math.log(runs[name][r][0] / off[r][0]) for r in rounds]
        g, lo, hi = interval(logs)
        cell = f"{g:.2f}" if len(logs) < 2 else f"{g:.2f} ({lo:.2f}-{hi:.2f})"
        ns = sum(runs[name][r][0] for r in rounds) / len(rounds) * 1000 / TASKS_PER_OP
        by = sum(runs[name][r][1] for r in rounds) / len(rounds) / TASKS_PER_OP
        by_off = sum(off[r][1] for r in rounds) / len(rounds) / TASKS_PER_OP
        print(f"| {name} | {ns:.0f} | {cell} | {by:.1f} | {by - by_off:+.2f} |")

if __name__ == "__main__":
    main(sys.argv[1])
