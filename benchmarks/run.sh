#!/usr/bin/env bash
# Builds the library and the benchmarks, then runs the whole suite on this machine: the JMH
# fan-out, cancellation and dependent-chain benchmarks, fail fast, the million-task scale run, the gateway load
# benchmark (in one JVM, then under wrk with every server in its own JVM: wrk.sh), and (when a JDK 25 is found) StructuredTaskScope next to the main fan-out rows on JDK 25.
# The peers (Kotlin coroutines, Mutiny, virtual threads + StructuredTaskScope) run in the same JMH
# suite and the same fail-fast main; the retention of Mutiny's cancelled timers has its own main.
# Everything lands in benchmarks/results/<UTC time>/, with summary.md holding the tables and
# charts/*.png the charts (python3-matplotlib from Debian, installed here when missing).
#
#   benchmarks/run.sh            # the measured run, about 45 minutes; run it on a quiet machine
#   QUICK=1 benchmarks/run.sh    # a smoke run of about 10 minutes: checks that everything works
#
# Environment: JDK25=/path/to/jdk-25 (default /usr/lib/jvm/temurin-25-jdk-amd64; skipped if absent),
# JMH_OPTS to override the JMH run options, NO_CHARTS=1 to skip the charts (and their install).
set -euo pipefail
cd "$(dirname "$0")"
BENCH_DIR=$(pwd)
JDK25=${JDK25:-/usr/lib/jvm/temurin-25-jdk-amd64}
if [[ "${QUICK:-0}" == 1 ]]; then
  JMH_OPTS=${JMH_OPTS:--f 1 -wi 1 -i 1 -w 1s -r 1s}
  CANCEL_OPTS="-f 1 -wi 2 -i 3"
  FAILFAST_ARGS="100000 500 3 3"
  PEERS_FAILFAST_ARGS="10000 500 3 3"
  RETENTION_ARGS="100000 10 60"
  SCALE_ARGS="1000000 1000 100000 1"
  GATEWAY_ARGS="duration=3 warmup=1 rounds=1"
else
  JMH_OPTS=${JMH_OPTS:--f 1 -wi 3 -i 5 -w 1s -r 1s}
  CANCEL_OPTS="-f 1 -wi 10 -i 20"
  FAILFAST_ARGS="100000 500 10 15"
  PEERS_FAILFAST_ARGS="10000 500 10 15"
  RETENTION_ARGS="100000 40 60"
  SCALE_ARGS="1000000 1000 100000 5"
  GATEWAY_ARGS="duration=15 warmup=5 rounds=2"
fi
GATEWAY_CONNECTIONS=${GATEWAY_CONNECTIONS:-16 64}
# Debian's python3 (where python3-matplotlib installs), not whichever python3 is first on PATH
CHART_PY=/usr/bin/python3
OUT="$BENCH_DIR/results/$(date -u +%Y%m%dT%H%M%SZ)"
mkdir -p "$OUT"
echo "results in $OUT"

{
  echo "date: $(date -u)"
  echo "nproc: $(nproc)"
  grep -m1 'model name' /proc/cpuinfo
  grep -E 'MemTotal' /proc/meminfo
  echo "uptime: $(uptime)"
  java -version 2>&1
  mvn -v 2>&1 | sed -n 1p  # not head: under pipefail its early exit would kill the script (SIGPIPE)
  echo "git: $(git -C .. rev-parse --short HEAD) ($(git -C .. rev-parse --abbrev-ref HEAD))"
} > "$OUT/machine.txt"
cat "$OUT/machine.txt"

if [[ "${NO_CHARTS:-0}" != 1 ]] && ! "$CHART_PY" -c 'import matplotlib' 2>/dev/null; then
  echo "installing python3-matplotlib (Debian) for the charts"
  if [[ $(id -u) == 0 ]]; then SUDO=""; else SUDO=sudo; fi
  $SUDO apt-get update -q && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q python3-matplotlib \
    || echo "python3-matplotlib could not be installed: charts skipped"
fi

(cd .. && mvn -B -q install -DskipTests)
mvn -B -q clean package

JAR=target/benchmarks.jar
set -x
java -jar $JAR FanOutBenchmark $JMH_OPTS -prof gc -rf json -rff "$OUT/fanout.json" | tee "$OUT/fanout.txt"
java -jar $JAR CancelBenchmark $CANCEL_OPTS -rf json -rff "$OUT/cancel.json" | tee "$OUT/cancel.txt"
# no -foe: a chain that never completes fails its row after 10 s (reported in summary.md), the suite goes on
java -jar $JAR ChainBenchmark $JMH_OPTS -prof gc -rf json -rff "$OUT/chain.json" | tee "$OUT/chain.txt"
java -Xms2g -Xmx2g -cp $JAR dev.taskgroup.bench.FailFastMain $FAILFAST_ARGS | tee "$OUT/failfast.txt"
java -Xms2g -Xmx2g -cp $JAR dev.taskgroup.bench.MutinyTimerRetentionMain $RETENTION_ARGS | tee "$OUT/mutiny-retention.txt"
java -Xmx64m -cp $JAR dev.taskgroup.bench.ScaleMain $SCALE_ARGS | tee "$OUT/scale.txt"
for c in $GATEWAY_CONNECTIONS; do
  java -cp $JAR dev.taskgroup.bench.gateway.GatewayLoadMain connections=$c $GATEWAY_ARGS | tee "$OUT/gateway-c$c.txt"
done
set +x
cp "$OUT/gateway-c${GATEWAY_CONNECTIONS##* }.txt" "$OUT/gateway.txt" # the targets read the largest count
# the gateways under wrk, each server in its own JVM (its own results/wrk-<UTC time>/ directory)
SKIP_BUILD=1 ./wrk.sh | tee "$OUT/wrk.txt"
WRK_DIR=$(sed -n 's/^results in //p' "$OUT/wrk.txt" | tail -1)

if [[ -x "$JDK25/bin/java" ]]; then
  JAVA_HOME="$JDK25" mvn -B -q -Pjdk25 package
  (set -x; "$JDK25/bin/java" --enable-preview -jar target/jdk25/benchmarks-jdk25.jar \
    'FanOutBenchmark.(futureAll|futureAllTimers|taskGroupAll|taskGroupAllTimeouts|kotlinAwaitAll|mutinyJoinAll)$|StructuredTaskScopeBenchmark' $JMH_OPTS -prof gc -rf json -rff "$OUT/fanout-jdk25.json") \
    | tee "$OUT/fanout-jdk25.txt"
  # every peer's fail fast in one JVM, StructuredTaskScope included
  (set -x; "$JDK25/bin/java" --enable-preview -Xms2g -Xmx2g -cp target/jdk25/benchmarks-jdk25.jar \
    dev.taskgroup.bench.StructuredFailFastMain $PEERS_FAILFAST_ARGS taskgroup,future,kotlin,mutiny,sts) | tee "$OUT/failfast-peers.txt"
else
  echo "no JDK 25 at $JDK25: StructuredTaskScope rows skipped"
  (set -x; java -Xms2g -Xmx2g -cp $JAR dev.taskgroup.bench.FailFastMain $PEERS_FAILFAST_ARGS taskgroup,future,kotlin,mutiny) \
    | tee "$OUT/failfast-peers.txt"
fi

echo "uptime at the end: $(uptime)" >> "$OUT/machine.txt"

if [[ "${NO_CHARTS:-0}" != 1 ]] && "$CHART_PY" -c 'import matplotlib' 2>/dev/null; then
  NOTE=""; [[ "${QUICK:-0}" == 1 ]] && NOTE="SMOKE run, not a measurement"
  "$CHART_PY" charts.py "$OUT" ${NOTE:+--title-note "$NOTE"}
fi

{
  echo "# Summary of $(basename "$OUT")"
  echo; echo '```'; cat "$OUT/machine.txt"; echo '```'
  echo; echo "## Targets"; echo; python3 summarize.py --targets "$OUT"
  echo; echo "## Fan-out, JDK 17"; echo; python3 summarize.py "$OUT/fanout.json" "$OUT/cancel.json"
  if [[ -f "$OUT/fanout-jdk25.json" ]]; then echo; echo "## Fan-out, JDK 25"; echo; python3 summarize.py "$OUT/fanout-jdk25.json"; fi
  echo; echo "## Dependent chain"; echo; python3 summarize.py --chain "$OUT/chain.json"
  if grep -q '<failure>' "$OUT/chain.txt"; then
    echo; echo "**FAILED chain rows** (never completed within 10 s; see chain.txt):"; echo
    echo '```'; grep -E '^# Benchmark:|^# Parameters|^java.lang.IllegalStateException' "$OUT/chain.txt"; echo '```'
  fi
  echo; echo "## Fail fast"; echo; echo '```'; grep -v '^\s*$' "$OUT/failfast.txt"; echo '```'
  echo; echo "## Fail fast, every peer"; echo; echo '```'; grep -v '^\s*$' "$OUT/failfast-peers.txt"; echo '```'
  echo; echo "## Mutiny: cancelled ifNoItem timers retained"; echo; echo '```'; cat "$OUT/mutiny-retention.txt"; echo '```'
  echo; echo "## Scale (-Xmx64m)"; echo; echo '```'; cat "$OUT/scale.txt"; echo '```'
  for c in $GATEWAY_CONNECTIONS; do
    echo; echo "## Gateway, $c connections"; echo; echo '```'; cat "$OUT/gateway-c$c.txt"; echo '```'
  done
  if [[ -f "$WRK_DIR/summary.md" ]]; then
    echo; echo "## Gateways under wrk ($(basename "$WRK_DIR"))"; echo; sed '1d' "$WRK_DIR/summary.md"
  fi
  if [[ -d "$OUT/charts" ]]; then
    echo; echo "## Charts"; echo
    for png in "$OUT"/charts/*.png; do echo "![$(basename "$png" .png)](charts/$(basename "$png"))"; done
  fi
} > "$OUT/summary.md.tmp"
mv "$OUT/summary.md.tmp" "$OUT/summary.md"
echo "summary: $OUT/summary.md"
