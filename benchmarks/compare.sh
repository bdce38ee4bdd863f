#!/usr/bin/env bash
# Compares the library at two commits in ONE run: the fan-out rows the core must not regress
# (issues 9 and 10: TaskGroup.all, per-task withTimeout, the fed maxConcurrency pattern), plus
# plain Future.all as a control (the library is not on its path, so its ratio shows the noise).
#
#   benchmarks/compare.sh BASE_REF [HEAD_REF]   # HEAD_REF defaults to HEAD; about 22 minutes on 2 cores
#   QUICK=1 benchmarks/compare.sh ba0a8bc ba0a8bc   # smoke run, under 3 minutes
#
# How: each ref is exported with `git archive` into a temp dir (no worktree, the repository is not
# touched), its pom's version set to 0.1.0-cmp-<side>-<sha>-<pid> and installed with `mvn install
# -DskipTests` (a distinct version, so neither the other side nor anyone's 0.1.0-SNAPSHOT in the
# shared ~/.m2 is overwritten; both are removed again at exit). The SAME benchmark sources (this
# checkout's benchmarks/, or BENCH_REF's) are built twice, once against each, into two jars. Then
# ROUNDS rounds, each running every benchmark for both sides back to back, the order alternating
# per round (base first in odd rounds, head first in even ones) so that drift of the machine cancels;
# each run is one JMH fork per N with the same settings. compare.py prints, per row and N, the ratio
# HEAD/BASE of time per task (geometric mean of the per-round ratios, 95% t interval over rounds)
# and of bytes per task; the verdict against the 3% bar only says "no regression" when the whole
# interval is below 1.03.
#
# Writes benchmarks/results/compare-<UTC time>/: machine.txt (load average at start and end),
# raw/ (each JMH run's JSON and text), summary.md (the tables).
#
# Environment:
#   ROUNDS=6                      rounds (>= 2 for an interval)
#   JMH_OPTS='-wi 3 -i 4 -w 1s -r 1s'   per fork (always -f 1 -prof gc -foe true)
#   NS=10,1000,100000             the fan-out sizes
#   BENCHES='futureAll taskGroupAll taskGroupAllTimeouts taskGroupFed'   FanOutBenchmark methods
#   BENCH_REF=<ref>               take benchmarks/ from that commit instead of this checkout
#   KEEP_TMP=1                    keep the temp dir (sources, builds, jars)
set -euo pipefail
cd "$(dirname "$0")"
BENCH_DIR=$(pwd)
REPO=$(git rev-parse --show-toplevel)

if [[ $# -lt 1 || $# -gt 2 ]]; then
  sed -n '2,9p' "$BENCH_DIR/compare.sh" >&2
  exit 2
fi
BASE_SHA=$(git rev-parse --verify "$1^{commit}")
HEAD_SHA=$(git rev-parse --verify "${2:-HEAD}^{commit}")

if [[ "${QUICK:-0}" == 1 ]]; then
  ROUNDS=${ROUNDS:-2}
  JMH_OPTS=${JMH_OPTS:--wi 1 -i 2 -w 300ms -r 300ms}
else
  ROUNDS=${ROUNDS:-6}
  JMH_OPTS=${JMH_OPTS:--wi 3 -i 4 -w 1s -r 1s}
fi
NS=${NS:-10,1000,100000}
BENCHES=${BENCHES:-futureAll taskGroupAll taskGroupAllTimeouts taskGroupFed}

OUT="$BENCH_DIR/results/compare-$(date -u +%Y%m%dT%H%M%SZ)"
mkdir -p "$OUT/raw"
RUN_ID=$$  # in the versions, so that two comparisons at once cannot remove each other's
TMP=$(mktemp -d "${TMPDIR:-/tmp}/taskgroup-compare.XXXXXX")
M2="$HOME/.m2/repository/dev/taskgroup/vertx-taskgroup"
cleanup() {
  for side in base head; do
    rm -rf "$M2/0.1.0-cmp-$side-${BASE_SHA:0:12}-$RUN_ID" "$M2/0.1.0-cmp-$side-${HEAD_SHA:0:12}-$RUN_ID"
  done
  # the metadata file install wrote is all that is left when nobody else installed the library here
  if [[ "$(ls -A "$M2" 2>/dev/null)" == maven-metadata-local.xml ]]; then
    rm -rf "$M2"; rmdir "$(dirname "$M2")" 2>/dev/null || true
  fi
  if [[ "${KEEP_TMP:-0}" == 1 ]]; then echo "temp dir kept: $TMP"; else rm -rf "$TMP"; fi
}
trap cleanup EXIT

{
  echo "date: $(date -u)"
  echo "base: $1 = $BASE_SHA ($(git log -1 --format=%s "$BASE_SHA"))"
  echo "head: ${2:-HEAD} = $HEAD_SHA ($(git log -1 --format=%s "$HEAD_SHA"))"
  if [[ -n "${BENCH_REF:-}" ]]; then
    echo "benchmark sources: benchmarks/ of $BENCH_REF = $(git rev-parse --verify "$BENCH_REF^{commit}")"
  else
    echo "benchmark sources: benchmarks/ of this checkout, $(git rev-parse --short HEAD)$(git status --porcelain -- . ':!results' | grep -q . && echo ' + uncommitted changes')"
  fi
  echo "rounds: $ROUNDS; per fork: -f 1 $JMH_OPTS -prof gc; N: $NS; benchmarks: $BENCHES"
  echo "nproc: $(nproc)"
  grep -m1 'model name' /proc/cpuinfo
  java -version 2>&1
  echo "load average at start: $(cat /proc/loadavg)"
} > "$OUT/machine.txt"
cat "$OUT/machine.txt"

# ---- build: the library at each ref under its own version, the same benchmarks against each ----
if [[ -n "${BENCH_REF:-}" ]]; then
  mkdir -p "$TMP/bench-src"
  git -C "$REPO" archive "$(git rev-parse --verify "$BENCH_REF^{commit}")" benchmarks | tar -x -C "$TMP/bench-src"
  BENCH_SRC="$TMP/bench-src/benchmarks"
else
  BENCH_SRC="$BENCH_DIR"
fi
for side in base head; do
  if [[ $side == base ]]; then sha=$BASE_SHA; else sha=$HEAD_SHA; fi
  version="0.1.0-cmp-$side-${sha:0:12}-$RUN_ID"
  echo "building $side ($sha) as dev.taskgroup:vertx-taskgroup:$version"
  mkdir -p "$TMP/$side"
  git -C "$REPO" archive "$sha" | tar -x -C "$TMP/$side"
  bash "$BENCH_DIR/build-versioned.sh" "$TMP/$side" "$version" "$BENCH_SRC" "$TMP/$side.jar"
done

# ---- run: ABAB rounds, the order alternating per round ----
started=$(date +%s)
for ((r = 1; r <= ROUNDS; r++)); do
  if ((r % 2)); then order="base head"; else order="head base"; fi
  for bench in $BENCHES; do
    for side in $order; do
      echo "round $r/$ROUNDS $bench $side (load $(cut -d' ' -f1-3 /proc/loadavg), $(( $(date +%s) - started )) s)"
      # shellcheck disable=SC2086
      bash "$BENCH_DIR/jmh-fork.sh" "$TMP/$side.jar" "$OUT/raw/r$r-$bench-$side" \
        "FanOutBenchmark\.$bench\$" -p n="$NS" -f 1 $JMH_OPTS -prof gc -foe true || exit 1
    done
  done
done
echo "runs took $(( $(date +%s) - started )) s"
echo "load average at end: $(cat /proc/loadavg)" >> "$OUT/machine.txt"

{
  echo "# Comparison $(basename "$OUT")"
  echo; echo '```'; cat "$OUT/machine.txt"; echo '```'
  echo; python3 "$BENCH_DIR/compare.py" "$OUT/raw"
} > "$OUT/summary.md"
cat "$OUT/summary.md"
echo "summary: $OUT/summary.md"
