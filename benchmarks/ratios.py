#!/usr/bin/env python3
"""The table of ratios.sh: each row against the baseline row of the same round, per parameter.

usage: ratios.py RAW_DIR BASELINE   (RAW_DIR holds r<round>-<row>.json, JMH -rf json)

Per round every row ran once (one fork per parameter value), next to the baseline. The time ratio
of a row is the geometric mean over rounds of row/baseline in that round, with a 95% Student-t
interval over rounds on the log scale, and the smallest and largest round; the bytes ratio is the
same for gc.alloc.rate.norm (exact: it does not move with load). Scores are JMH's per op.
"""
import glob
import json
import math
import os
import re
import sys

from compare import interval  # compare.py's geometric mean and 95% t interval (benchmarks/ is on sys.path)


def load(raw):
    """{(row, params): {round: (score, unit, bytes per op)}}"""
    data = {}
    for path in glob.glob(os.path.join(raw, "r*-*.json")):
        m = re.match(r"r(\d+)-(\w+)\.json$", os.path.basename(path))
        if not m:
            continue
        rnd = int(m.group(1))
        with open(path) as f:
            runs = json.load(f)
        for r in runs:
            row = r["benchmark"].rsplit(".", 1)[1]
            params = ", ".join(f"{k}={v}" for k, v in sorted(r.get("params", {}).items()))
            pm = r["primaryMetric"]
            alloc = r.get("secondaryMetrics", {}).get("gc.alloc.rate.norm", {}).get("score")
            data.setdefault((row, params), {})[rnd] = (pm["score"], pm["scoreUnit"], alloc)
    return data


def ratio_stats(pairs):
    """geometric mean, 95% interval (compare.py's), smallest and largest of the ratios a/b"""
    logs = [math.log(a / b) for a, b in pairs if a and b]
    if not logs:
        return None
    return (*interval(logs), math.exp(min(logs)), math.exp(max(logs)))


def fmt(s):
    if s is None:
        return "n/a"
    g, lo, hi, mn, mx = s
    iv = "" if math.isnan(lo) else f" [{lo:.2f}, {hi:.2f}]"
    return f"{g:.2f}x{iv} (rounds {mn:.2f}-{mx:.2f})"


def main(raw, baseline):
    data = load(raw)
    params_all = sorted({p for (_, p) in data}, key=lambda p: [int(x) if x.isdigit() else x for x in re.split(r"(\d+)", p)])
    rows = sorted({r for (r, _) in data if r != baseline})
    print(f"Each row against `{baseline}` of the same round: geometric mean over rounds, "
          "95% t interval, smallest and largest round.\n")
    print("| row | params | rounds | mean score (baseline) | x time | bytes/op (baseline) | x bytes |")
    print("|---|---|---:|---|---|---|---|")
    for p in params_all:
        base = data.get((baseline, p), {})
        for row in rows:
            cur = data.get((row, p), {})
            rounds = sorted(set(base) & set(cur))
            if not rounds:
                continue
            unit = cur[rounds[0]][1]
            t = ratio_stats([(cur[r][0], base[r][0]) for r in rounds])
            b = ratio_stats([(cur[r][2], base[r][2]) for r in rounds if cur[r][2] is not None and base[r][2] is not None])
            ms = sum(cur[r][0] for r in rounds) / len(rounds)
            mb = sum(base[r][0] for r in rounds) / len(rounds)
            by = [cur[r][2] for r in rounds if cur[r][2] is not None]
            bb = [base[r][2] for r in rounds if base[r][2] is not None]
            bytes_cell = f"{sum(by) / len(by):,.0f} ({sum(bb) / len(bb):,.0f})" if by and bb else "n/a"
            print(f"| `{row}` | {p} | {len(rounds)} | {ms:,.2f} ({mb:,.2f}) {unit} | {fmt(t)} | {bytes_cell} | {fmt(b)} |")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    main(sys.argv[1], sys.argv[2])
