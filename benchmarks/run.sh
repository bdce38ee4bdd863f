#!/usr/bin/env bash
# Builds the library and the benchmarks, then runs the whole suite on this machine: the JMH
# fan-out, cancellation and dependent-chain benchmarks, fail fast, the million-task scale run, the gateway load
# benchmark, and (when a JDK 25 is found) StructuredTaskScope next to the main fan-out rows on JDK 25.
# Everything lands in benchmarks/results/<UTC time>/, with summary.md holding the tables.
#
#   benchmarks/run.sh            # the measured run, about 20 minutes; run it on a quiet machine
#   QUICK=1 benchmarks/run.sh    # a smoke run of a few minutes: checks that everything works
#
# Environment: JDK25=/path/to/jdk-25 (default /usr/lib/jvm/temurin-25-jdk-amd64; skipped if absent),
# JMH_OPTS to override the JMH run options.
set -euo pipefail
cd "$(dirname "$0")"
BENCH_DIR=$(pwd)
JDK25=${JDK25:-/usr/lib/jvm/temurin-25-jdk-amd64}
if [[ "${QUICK:-0}" == 1 ]]; then
  JMH_OPTS=${JMH_OPTS:--f 1 -wi 1 -i 1 -w 1s -r 1s}
  CANCEL_OPTS="-f 1 -wi 2 -i 3"
  FAILFAST_ARGS="100000 500 3 3"
  SCALE_ARGS="1000000 1000 100000 1"
  GATEWAY_ARGS="duration=3 warmup=1 rounds=1"
else
  JMH_OPTS=${JMH_OPTS:--f 1 -wi 3 -i 5 -w 1s -r 1s}
  CANCEL_OPTS="-f 1 -wi 10 -i 20"
  FAILFAST_ARGS="100000 500 10 15"
  SCALE_ARGS="1000000 1000 100000 5"
  GATEWAY_ARGS="duration=15 warmup=5 rounds=2"
fi
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

(cd .. && mvn -B -q install -DskipTests)
mvn -B -q clean package

JAR=target/benchmarks.jar
set -x
java -jar $JAR FanOutBenchmark $JMH_OPTS -prof gc -rf json -rff "$OUT/fanout.json" | tee "$OUT/fanout.txt"
java -jar $JAR CancelBenchmark $CANCEL_OPTS -rf json -rff "$OUT/cancel.json" | tee "$OUT/cancel.txt"
# no -foe: a chain that never completes fails its row after 10 s (reported in summary.md), the suite goes on
java -jar $JAR ChainBenchmark $JMH_OPTS -prof gc -rf json -rff "$OUT/chain.json" | tee "$OUT/chain.txt"
java -Xms2g -Xmx2g -cp $JAR dev.taskgroup.bench.FailFastMain $FAILFAST_ARGS | tee "$OUT/failfast.txt"
java -Xmx64m -cp $JAR dev.taskgroup.bench.ScaleMain $SCALE_ARGS | tee "$OUT/scale.txt"
java -cp $JAR dev.taskgroup.bench.gateway.GatewayLoadMain $GATEWAY_ARGS | tee "$OUT/gateway.txt"
set +x

if [[ -x "$JDK25/bin/java" ]]; then
  JAVA_HOME="$JDK25" mvn -B -q -Pjdk25 package
  (set -x; "$JDK25/bin/java" --enable-preview -jar target/jdk25/benchmarks-jdk25.jar \
    'FanOutBenchmark.(futureAll|futureAllTimers|taskGroupAll|taskGroupAllTimeouts)$|StructuredTaskScopeBenchmark' $JMH_OPTS -prof gc -rf json -rff "$OUT/fanout-jdk25.json") \
    | tee "$OUT/fanout-jdk25.txt"
else
  echo "no JDK 25 at $JDK25: StructuredTaskScope row skipped"
fi

echo "uptime at the end: $(uptime)" >> "$OUT/machine.txt"

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
  echo; echo "## Scale (-Xmx64m)"; echo; echo '```'; cat "$OUT/scale.txt"; echo '```'
  echo; echo "## Gateway"; echo; echo '```'; cat "$OUT/gateway.txt"; echo '```'
} > "$OUT/summary.md"
echo "summary: $OUT/summary.md"
