#!/usr/bin/env bash
# The gateway under an external load tool (wrk), every server in its own JVM on loopback:
#   upstreams  UpstreamsMain: the simulated upstreams of the load benchmark, and their counters
#   gateway    dev.taskgroup.gateway.GatewayMain, default instances (one per available processor)
#   gateway-1  the same with -instances 1
#   naive      NaiveMain: the same routes with plain Future.all and no cancellation, one instance
#   ceiling    CeilingMain: a plain Vert.x server answering constant JSON (reference)
# wrk runs at 10, 100 and 1,000 connections against each (route `ok`: three upstreams of 0-2 ms;
# route `fail`: `flaky`, 503 at 10% after 1-5 ms, next to `slow`, 100-200 ms), after a warm-up, in
# rounds that alternate the order of the targets so that drift of the machine hits them all. On the
# failure route the simulator reports, per failure, whether the sibling upstream request was aborted
# or left running to its end. The CPU of every thread of the target and the simulator is recorded
# per run, and the simulator's counters before and after it (upstream requests, aborts, connections
# accepted). Output: benchmarks/results/wrk-<UTC time>/ (raw wrk output, *.cpu.json, *.report.json,
# *.sim-before.json / *.sim-after.json, summary.md). Every process started here is stopped at exit, on failure and on Ctrl-C too.
#
#   benchmarks/wrk.sh               # about 11 minutes (plus the build; up to 21 if the JIT is slow to settle)
#   QUICK=1 benchmarks/wrk.sh       # a smoke run of under 2 minutes (plus the build)
#
# Environment: SKIP_BUILD=1 when the library and benchmarks.jar are built (run.sh does so);
# DURATION / WARMUP (seconds), WARMUP_MAX (seconds; the warm-up goes on past WARMUP, in 5 s chunks
# cycling over the connection counts, until the target's JIT compiler threads use under JIT_QUIET %
# of a core in a chunk, or WARMUP_MAX has passed), ROUNDS, CONNECTIONS ("10 100 1000"), BASE_PORT (19100: the simulator
# takes BASE_PORT..+5, the gateways +10..+13), THREADS (wrk threads, 2), JAVA_OPTS (every JVM alike),
# SIM_LOOPS (the simulator's event loops, 2).
set -euo pipefail
cd "$(dirname "$0")"
BENCH_DIR=$(pwd)
ROOT=$(cd .. && pwd)
if [[ "${QUICK:-0}" == 1 ]]; then
  DURATION=${DURATION:-2}; WARMUP=${WARMUP:-2}; WARMUP_MAX=${WARMUP_MAX:-$WARMUP}; ROUNDS=${ROUNDS:-1}
else
  DURATION=${DURATION:-5}; WARMUP=${WARMUP:-30}; WARMUP_MAX=${WARMUP_MAX:-120}; ROUNDS=${ROUNDS:-3}
fi
JIT_QUIET=${JIT_QUIET:-3} # % of one core: below it in a warm-up chunk, the target's JIT is done
CONNECTIONS=${CONNECTIONS:-10 100 1000}
BASE_PORT=${BASE_PORT:-19100}
THREADS=${THREADS:-2}
SIM_LOOPS=${SIM_LOOPS:-2}
JAVA_OPTS=${JAVA_OPTS:--Xms512m -Xmx512m}
SETTLE_MS=500 # the slowest upstream answers within 200 ms: then nothing of a run is still running
OK_TARGETS="ceiling naive gateway gateway-1"
FAIL_TARGETS="naive gateway gateway-1"
declare -A PORT=([gateway]=$((BASE_PORT + 10)) [gateway-1]=$((BASE_PORT + 11)) [naive]=$((BASE_PORT + 12)) [ceiling]=$((BASE_PORT + 13)))
SIM_PORT=$BASE_PORT

n_conn=$(wc -w <<< "$CONNECTIONS"); n_ok=$(wc -w <<< "$OK_TARGETS"); n_fail=$(wc -w <<< "$FAIL_TARGETS")
estimate=$(( (n_ok + n_fail) * WARMUP + n_conn * ROUNDS * (n_ok * (DURATION + 1) + n_fail * (DURATION + 2)) + 20 ))
echo "wrk benchmark: about $((estimate / 60)) min $((estimate % 60)) s of measuring" \
  "(${DURATION} s runs, ${WARMUP}-${WARMUP_MAX} s warm-up, $ROUNDS round(s), connections: $CONNECTIONS)"

if ! command -v wrk >/dev/null; then
  echo "installing wrk (Debian)"
  if [[ $(id -u) == 0 ]]; then SUDO=""; else SUDO=sudo; fi
  $SUDO apt-get update -q && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q wrk
fi
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)" || true
if (( $(ulimit -n) < 2500 )); then
  echo "open-file limit $(ulimit -n) is too low for 1,000 connections through a gateway" >&2; exit 1
fi

source "$BENCH_DIR/servers.sh"
build_once

OUT="$BENCH_DIR/results/wrk-$(date -u +%Y%m%dT%H%M%SZ)"
mkdir -p "$OUT"
echo "results in $OUT"

stop_at_exit

for p in "$SIM_PORT" "${PORT[@]}" $(seq $((SIM_PORT + 1)) $((SIM_PORT + 5))); do
  if (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
    echo "port $p is in use: set BASE_PORT to a free range" >&2; exit 1
  fi
done

{
  echo "date: $(date -u)"
  echo "nproc: $(nproc)"
  grep -m1 'model name' /proc/cpuinfo
  echo "uptime at the start: $(uptime)"
  java -version 2>&1
  wrk --version 2>&1 | sed -n 1p || true
  echo "git: $(git -C "$ROOT" rev-parse --short HEAD) ($(git -C "$ROOT" rev-parse --abbrev-ref HEAD))$(git -C "$ROOT" diff --quiet HEAD || echo ', with uncommitted changes')"
  echo "settings: DURATION=$DURATION WARMUP=$WARMUP ROUNDS=$ROUNDS CONNECTIONS='$CONNECTIONS' THREADS=$THREADS SIM_LOOPS=$SIM_LOOPS JAVA_OPTS='$JAVA_OPTS'"
} > "$OUT/machine.txt"
cat "$OUT/machine.txt"


start upstreams "http://127.0.0.1:$SIM_PORT/counters" java $JAVA_OPTS -cp "$CP" dev.taskgroup.bench.gateway.UpstreamsMain \
  port=$SIM_PORT instances=$SIM_LOOPS confDir="$OUT" gatewayPorts=${PORT[gateway]},${PORT[gateway-1]},${PORT[naive]}
start gateway "http://127.0.0.1:${PORT[gateway]}/health/live" \
  java $JAVA_OPTS -cp "$CP" dev.taskgroup.gateway.GatewayMain -conf "$OUT/gateway-${PORT[gateway]}.json"
start gateway-1 "http://127.0.0.1:${PORT[gateway-1]}/health/live" \
  java $JAVA_OPTS -cp "$CP" dev.taskgroup.gateway.GatewayMain -conf "$OUT/gateway-${PORT[gateway-1]}.json" -instances 1
start naive "http://127.0.0.1:${PORT[naive]}/api/ok/0" \
  java $JAVA_OPTS -cp "$CP" dev.taskgroup.bench.gateway.NaiveMain -conf "$OUT/gateway-${PORT[naive]}.json"
start ceiling "http://127.0.0.1:${PORT[ceiling]}/" java $JAVA_OPTS -cp "$CP" dev.taskgroup.bench.gateway.CeilingMain port=${PORT[ceiling]}
instances=$(nproc) # what the JVM's availableProcessors() gives the gateway's and the ceiling's default
printf 'gateway\tgateway (%s instances)\ngateway-1\tgateway -instances 1\nnaive\tnaive (1 instance)\nceiling\tceiling (%s instances)\n' \
  "$instances" "$instances" > "$OUT/targets.txt"


run_wrk() { # route target connections seconds out-prefix
  local route=$1 target=$2 c=$3 secs=$4 prefix=$5 url="http://127.0.0.1:${PORT[$2]}/api/$1/42"
  local threads=$THREADS; (( c < threads )) && threads=$c
  local args=(wrk -t"$threads" -c"$c" -d"${secs}s" --timeout 5s --latency)
  if [[ $route == fail ]]; then args+=(-s "$BENCH_DIR/fail.lua" "http://127.0.0.1:${PORT[$target]}/" -- "$(basename "$prefix")");
  else args+=("$url"); fi
  python3 "$BENCH_DIR/wrkbench.py" run "$prefix" "$target=$(pid_of "$target"),upstreams=$(pid_of upstreams)" -- "${args[@]}"
}

# Warms target $2 up on route $1: chunks of up to 5 s cycling over the connection counts (each
# count's code paths get compiled: the pool queue at 1,000, say), at least WARMUP s in all, then on
# until a chunk's JIT compiler threads use under JIT_QUIET % of a core, or WARMUP_MAX s.
warm_up() {
  local route=$1 t=$2 spent=0 n=0 chunk jit c
  local counts=($CONNECTIONS)
  while :; do
    c=${counts[$((n % ${#counts[@]}))]}
    chunk=$(( WARMUP_MAX - spent < 5 ? WARMUP_MAX - spent : 5 ))
    run_wrk "$route" "$t" "$c" "$chunk" "$OUT/warmup/$route-$t-$n"
    spent=$((spent + chunk)); n=$((n + 1))
    jit=$(python3 "$BENCH_DIR/wrkbench.py" jit "$OUT/warmup/$route-$t-$((n - 1))" "$t")
    if (( spent >= WARMUP_MAX )) || { (( spent >= WARMUP )) && python3 -c "import sys; sys.exit(0 if $jit < $JIT_QUIET else 1)"; }; then
      break
    fi
  done
  echo "warm-up: $route, $t: $spent s, JIT compiler at the end $jit% of a core"
  echo "$route $t ${spent}s jit-last-chunk=${jit}%" >> "$OUT/warmup/done.txt"
}

began=$(date +%s)
mkdir -p "$OUT/warmup"
for route in ok fail; do
  targets=$OK_TARGETS; [[ $route == fail ]] && targets=$FAIL_TARGETS
  for t in $targets; do
    warm_up "$route" "$t"
  done
  for c in $CONNECTIONS; do
    for r in $(seq "$ROUNDS"); do
      order=$targets; (( r % 2 == 0 )) && order=$(tr ' ' '\n' <<< "$targets" | tac | tr '\n' ' ')
      for t in $order; do
        prefix="$OUT/$route-c$c-$t-r$r"
        curl -s "http://127.0.0.1:$SIM_PORT/counters" > "$prefix.sim-before.json"
        [[ $route == fail ]] && curl -s -X POST -o /dev/null "http://127.0.0.1:$SIM_PORT/record"
        run_wrk "$route" "$t" "$c" "$DURATION" "$prefix"
        if [[ $route == fail ]]; then
          curl -s "http://127.0.0.1:$SIM_PORT/report?settleMs=$SETTLE_MS" > "$prefix.report.json"
        else
          sleep 0.5 # let the previous target's connections close before the next one starts
        fi
        curl -s "http://127.0.0.1:$SIM_PORT/counters" > "$prefix.sim-after.json"
        printf '%-5s c=%-5s %-10s round %s: %s\n' "$route" "$c" "$t" "$r" \
          "$(grep -E 'Requests/sec' "$prefix.txt" | tr -s ' ')"
      done
    done
  done
done
echo "measuring took $(( $(date +%s) - began )) s"

for name in upstreams gateway gateway-1 naive ceiling; do
  python3 "$BENCH_DIR/wrkbench.py" names "$(pid_of "$name")" "$OUT/threads-$name.json"
done
echo "uptime at the end: $(uptime)" >> "$OUT/machine.txt"

{
  echo "# wrk benchmark $(basename "$OUT")"
  [[ "${QUICK:-0}" == 1 ]] && { echo; echo "**QUICK smoke run: not a measurement.**"; }
  echo; echo '```'; cat "$OUT/machine.txt"; echo '```'; echo
  python3 "$BENCH_DIR/wrkbench.py" summarize "$OUT"
} > "$OUT/summary.md.tmp"
mv "$OUT/summary.md.tmp" "$OUT/summary.md"
echo "summary: $OUT/summary.md"
