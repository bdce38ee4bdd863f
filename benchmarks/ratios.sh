#!/usr/bin/env bash
# Ratios of benchmark rows against their baseline row, all from ONE run of ONE jar, alternating:
# ROUNDS rounds, each running the baseline and every row once (one JMH fork each), the order
# reversed in even rounds, so that drift of the machine lands on both sides of each ratio alike.
# ratios.py prints, per row and parameter, the geometric mean over rounds of row/baseline (time and
# bytes per op) with a 95% Student-t interval over rounds. This is how the issues' targets of the
# form "X <= 1.3x Y" are decided (compare.sh compares two commits; this compares two rows).
#
#   benchmarks/ratios.sh JAR CLASS BASELINE ROW [ROW ...]
#   ROUNDS=3 PARAMS='-p n=1000,100000' benchmarks/ratios.sh target/benchmarks.jar FanOutBenchmark futureAll taskGroupAll taskGroupAllTimeouts
#
# Environment: ROUNDS (default 4), PARAMS (JMH -p options, default none), JMH_OPTS (per fork,
# default '-wi 3 -i 4 -w 1s -r 1s'; always -f 1 -prof gc -foe true), OUT (default
# benchmarks/results/ratios-<CLASS>-<UTC time>). Writes OUT/machine.txt, OUT/raw/, OUT/summary.md.
set -euo pipefail
if [[ $# -lt 4 ]]; then
  sed -n '2,11p' "$0" >&2
  exit 2
fi
BENCH_DIR=$(cd "$(dirname "$0")" && pwd)
JAR=$1 CLASS=$2 BASELINE=$3
shift 3
ROWS=("$@")
ROUNDS=${ROUNDS:-4}
JMH_OPTS=${JMH_OPTS:--wi 3 -i 4 -w 1s -r 1s}
PARAMS=${PARAMS:-}
OUT=${OUT:-$BENCH_DIR/results/ratios-$CLASS-$(date -u +%Y%m%dT%H%M%SZ)}
mkdir -p "$OUT/raw"
{
  echo "date: $(date -u)"
  echo "jar: $JAR ($(stat -c '%y' "$JAR"))"
  echo "git: $(git -C "$BENCH_DIR" rev-parse --short HEAD 2>/dev/null || echo '?')"
  echo "class: $CLASS; baseline: $BASELINE; rows: ${ROWS[*]}"
  echo "rounds: $ROUNDS; per fork: -f 1 $JMH_OPTS -prof gc $PARAMS"
  echo "nproc: $(nproc)"
  grep -m1 'model name' /proc/cpuinfo || true
  java -version 2>&1
  echo "load average at start: $(cat /proc/loadavg)"
} > "$OUT/machine.txt"
cat "$OUT/machine.txt"
all=("$BASELINE" "${ROWS[@]}")
started=$(date +%s)
for ((r = 1; r <= ROUNDS; r++)); do
  order=("${all[@]}")
  if ((r % 2 == 0)); then
    order=(); for ((i = ${#all[@]} - 1; i >= 0; i--)); do order+=("${all[i]}"); done
  fi
  for row in "${order[@]}"; do
    echo "round $r/$ROUNDS $row (load $(cut -d' ' -f1-3 /proc/loadavg), $(( $(date +%s) - started )) s)"
    # shellcheck disable=SC2086
    bash "$BENCH_DIR/jmh-fork.sh" "$JAR" "$OUT/raw/r$r-$row" "$CLASS\.$row\$" $PARAMS -f 1 $JMH_OPTS -prof gc -foe true || exit 1
  done
done
echo "load average at end: $(cat /proc/loadavg)" >> "$OUT/machine.txt"
{
  echo "# Ratios $(basename "$OUT")"
  echo; echo '```'; cat "$OUT/machine.txt"; echo '```'
  echo; python3 "$BENCH_DIR/ratios.py" "$OUT/raw" "$BASELINE"
} > "$OUT/summary.md"
cat "$OUT/summary.md"
echo "summary: $OUT/summary.md"
