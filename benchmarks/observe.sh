#!/usr/bin/env bash
# What observing costs (issue 13): ObservationBenchmark's fan-out (TaskGroup.all, N=1000) with every
# observation setting (off, metrics, ages, jfr, jfrIdle) in ONE run of one build of this checkout.
#
#   benchmarks/observe.sh                      # about 6 minutes on 2 cores (build included)
#   ROUNDS=6 JMH_OPTS='-wi 5 -i 5 -w 1s -r 1s' benchmarks/observe.sh
#
# The library is installed under its own version (0.1.0-obs-<sha>-<pid>, removed at exit), as
# compare.sh does, so that nobody's 0.1.0-SNAPSHOT in the shared ~/.m2 is overwritten. Writes
# benchmarks/results/observe-<UTC time>/: machine.txt (load average at start and end), each
# run's JMH text and JSON (r<round>-<setting>.*), summary.md (the table).
set -euo pipefail
cd "$(dirname "$0")"
BENCH_DIR=$(pwd)
REPO=$(git rev-parse --show-toplevel)
SHA=$(git rev-parse HEAD)
ROUNDS=${ROUNDS:-4}
JMH_OPTS=${JMH_OPTS:--wi 3 -i 4 -w 1s -r 1s}
OUT="$BENCH_DIR/results/observe-$(date -u +%Y%m%dT%H%M%SZ)"
mkdir -p "$OUT"
VERSION="0.1.0-obs-${SHA:0:12}-$$"
TMP=$(mktemp -d "${TMPDIR:-/tmp}/taskgroup-observe.XXXXXX")
M2="$HOME/.m2/repository/dev/taskgroup/vertx-taskgroup"
trap 'rm -rf "$TMP" "$M2/$VERSION"' EXIT

{
  echo "date: $(date -u)"
  echo "commit: $SHA ($(git log -1 --format=%s "$SHA"))$(git status --porcelain -- "$REPO/src" "$REPO/pom.xml" . ':!results' | grep -q . && echo ' + uncommitted changes')"
  echo "rounds: $ROUNDS; per setting and round: -f 1 $JMH_OPTS -prof gc"
  echo "nproc: $(nproc)"
  grep -m1 'model name' /proc/cpuinfo
  java -version 2>&1
  echo "load average at start: $(cat /proc/loadavg)"
} > "$OUT/machine.txt"
cat "$OUT/machine.txt"

mkdir -p "$TMP/lib"
(cd "$REPO" && tar --exclude=./target --exclude=./benchmarks -cf - .) | tar -x -C "$TMP/lib"
mkdir -p "$TMP/bench/target"
bash "$BENCH_DIR/build-versioned.sh" "$TMP/lib" "$VERSION" "$BENCH_DIR" "$TMP/bench/target/benchmarks.jar"

# JMH runs one at a time per machine (/tmp/jmh.lock), and someone else's series of runs must not
# meet our lock between two of its runs: wait until no JMH has run for QUIET seconds (or WAIT_MAX).
QUIET=${QUIET:-45}
WAIT_MAX=${WAIT_MAX:-1800}
waited=0; quiet=0
while ((quiet < QUIET && waited < WAIT_MAX)); do
  if pgrep -f 'org.openjdk.jmh' > /dev/null; then quiet=0; else quiet=$((quiet + 5)); fi
  sleep 5; waited=$((waited + 5))
done
echo "waited ${waited} s for other JMH runs"
echo "load average before JMH: $(cat /proc/loadavg)" | tee -a "$OUT/machine.txt"
# ROUNDS rounds of one fork per setting, the order reversed every other round, so that drift of a
# shared machine falls on every setting alike; observe.py prints each setting's ratio to "off"
# (geometric mean of the per-round ratios, 95% t interval) and its bytes per task.
SETTINGS=(off metrics ages jfr jfrIdle)
for ((r = 1; r <= ROUNDS; r++)); do
  if ((r % 2)); then order=("${SETTINGS[@]}"); else order=($(printf '%s\n' "${SETTINGS[@]}" | tac)); fi
  for f in "${order[@]}"; do
    echo "round $r/$ROUNDS $f (load $(cut -d' ' -f1-3 /proc/loadavg))"
    # shellcheck disable=SC2086
    bash "$BENCH_DIR/jmh-fork.sh" "$TMP/bench/target/benchmarks.jar" "$OUT/r$r-$f" \
      'ObservationBenchmark' -p features="$f" -f 1 $JMH_OPTS -prof gc -foe true || exit 1
  done
done
echo "load average at end: $(cat /proc/loadavg)" | tee -a "$OUT/machine.txt"
python3 "$BENCH_DIR/observe.py" "$OUT" | tee "$OUT/summary.md"
