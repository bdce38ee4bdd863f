#!/usr/bin/env python3
"""observe.sh's table: per observation setting, time per task as a ratio to "off" (geometric mean
of the per-round ratios, 95% t interval over rounds) and bytes per task, from r<round>-<setting>.json."""
import glob, json, math, os, re, sys

T95 = {1: 12.71, 2: 4.30, 3: 3.18, 4: 2.78, 5: 2.57, 6: 2.45, 7: 2.36, 8: 2.31, 9: 2.26}
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
        mean = sum(logs) / len(logs)
        if len(logs) > 1:
            sd = math.sqrt(sum((x - mean) ** 2 for x in logs) / (len(logs) - 1))
            half = T95.get(len(logs) - 1, 2.0) * sd / math.sqrt(len(logs))
            interval = f"{math.exp(mean):.2f} ({math.exp(mean - half):.2f}-{math.exp(mean + half):.2f})"
        else:
            interval = f"{math.exp(mean):.2f}"
        ns = sum(runs[name][r][0] for r in rounds) / len(rounds) * 1000 / TASKS_PER_OP
        by = sum(runs[name][r][1] for r in rounds) / len(rounds) / TASKS_PER_OP
        by_off = sum(off[r][1] for r in rounds) / len(rounds) / TASKS_PER_OP
        print(f"| {name} | {ns:.0f} | {interval} | {by:.1f} | {by - by_off:+.2f} |")

if __name__ == "__main__":
    main(sys.argv[1])
