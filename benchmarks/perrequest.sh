#!/usr/bin/env bash
# What one request costs the gateway and the naive gateway, not how many they answer: bytes
# allocated and CPU per request at one connection count (route `ok`), each server in its own JVM
# on loopback as in wrk.sh (the upstream simulator in a third). Throughput on a shared machine is
# noise; these two figures move little with the load. Per target: a warm-up, then one measured wrk
# run under a JFR recording (profile settings): bytes = the sum over threads of
# jdk.ThreadAllocationStatistics (last - first) over the requests wrk counted; CPU = the process's
# ticks during the run (/proc), with and without the JIT compiler threads. The recordings are kept
# for `jfr print --stack-depth 40 --events jdk.ObjectAllocationSample` / `jdk.ExecutionSample`
# (an allocation sample's weight is what its thread allocated since its previous sample: skip each
# thread's first one, which carries what came before the recording).
#
#   benchmarks/perrequest.sh        # about 2 minutes (plus the build)
#
# Environment: SKIP_BUILD=1, WARMUP (40 s), DURATION (20 s), CONNECTIONS (100), BASE_PORT (19400),
# JFR_SETTINGS (profile: a .jfc file for denser samples, say), TARGETS ("gateway-1 naive": gateway-1 is the gateway with -instances 1, gateway the gateway with its
# default instances, one per available processor, as in wrk.sh; only the targets named are started), JAVA_OPTS.
set -euo pipefail
cd "$(dirname "$0")"
BENCH_DIR=$(pwd)
ROOT=$(cd .. && pwd)
WARMUP=${WARMUP:-40}
DURATION=${DURATION:-20}
CONNECTIONS=${CONNECTIONS:-100}
BASE_PORT=${BASE_PORT:-19400}
TARGETS=${TARGETS:-gateway-1 naive}
JAVA_OPTS=${JAVA_OPTS:--Xms512m -Xmx512m}
JFR_SETTINGS=${JFR_SETTINGS:-profile}
declare -A PORT=([gateway]=$((BASE_PORT + 10)) [gateway-1]=$((BASE_PORT + 11)) [naive]=$((BASE_PORT + 12)))
for t in $TARGETS; do
  [[ -n "${PORT[$t]:-}" ]] || { echo "unknown target $t (gateway, gateway-1, naive)" >&2; exit 1; }
done
SIM_PORT=$BASE_PORT
command -v wrk >/dev/null || { echo "wrk is missing: benchmarks/wrk.sh installs it" >&2; exit 1; }

source "$BENCH_DIR/servers.sh"
build_once
OUT="$BENCH_DIR/results/perrequest-$(date -u +%Y%m%dT%H%M%SZ)"
mkdir -p "$OUT"

stop_at_exit

{
  echo "date: $(date -u)"; echo "nproc: $(nproc)"; grep -m1 'model name' /proc/cpuinfo
  echo "uptime at the start: $(uptime)"; java -version 2>&1 | sed -n 1p
  echo "git: $(git -C "$ROOT" rev-parse --short HEAD)$(git -C "$ROOT" diff --quiet HEAD -- src || echo ', with uncommitted changes')"
  echo "settings: WARMUP=$WARMUP DURATION=$DURATION CONNECTIONS=$CONNECTIONS TARGETS='$TARGETS' JFR_SETTINGS=$JFR_SETTINGS JAVA_OPTS='$JAVA_OPTS'"
} > "$OUT/machine.txt"

start upstreams "http://127.0.0.1:$SIM_PORT/counters" java $JAVA_OPTS -cp "$CP" dev.taskgroup.bench.gateway.UpstreamsMain \
  port=$SIM_PORT instances=2 confDir="$OUT" gatewayPorts=${PORT[gateway]},${PORT[gateway-1]},${PORT[naive]}
for t in $TARGETS; do
  case $t in
    gateway) start gateway "http://127.0.0.1:${PORT[gateway]}/health/live" \
      java $JAVA_OPTS -cp "$CP" dev.taskgroup.gateway.GatewayMain -conf "$OUT/gateway-${PORT[gateway]}.json" ;;
    gateway-1) start gateway-1 "http://127.0.0.1:${PORT[gateway-1]}/health/live" \
      java $JAVA_OPTS -cp "$CP" dev.taskgroup.gateway.GatewayMain -conf "$OUT/gateway-${PORT[gateway-1]}.json" -instances 1 ;;
    naive) start naive "http://127.0.0.1:${PORT[naive]}/api/ok/0" \
      java $JAVA_OPTS -cp "$CP" dev.taskgroup.bench.gateway.NaiveMain -conf "$OUT/gateway-${PORT[naive]}.json" ;;
  esac
done

for t in $TARGETS; do
  url="http://127.0.0.1:${PORT[$t]}/api/ok/42"
  pid=$(pid_of "$t")
  wrk -t2 -c"$CONNECTIONS" -d"${WARMUP}s" --timeout 5s "$url" > "$OUT/$t.warmup.txt"
  jcmd "$pid" JFR.start name=perrequest settings="$JFR_SETTINGS" > /dev/null
  python3 "$BENCH_DIR/wrkbench.py" run "$OUT/$t" "$t=$pid" -- wrk -t2 -c"$CONNECTIONS" -d"${DURATION}s" --timeout 5s --latency "$url"
  jcmd "$pid" JFR.stop name=perrequest filename="$OUT/$t.jfr" > /dev/null
  jfr print --json --events jdk.ThreadAllocationStatistics "$OUT/$t.jfr" > "$OUT/$t.alloc.json"
done
echo "uptime at the end: $(uptime)" >> "$OUT/machine.txt"

python3 - "$OUT" $TARGETS > "$OUT/summary.md" <<'EOF'
import json, re, sys
out, targets = sys.argv[1], sys.argv[2:]
print("| target | requests | bytes per request | CPU µs per request | without JIT threads |")
print("|---|---|---|---|---|")
for t in targets:
    text = open(f"{out}/{t}.txt").read()
    requests = int(re.search(r"(\d+) requests in", text).group(1))
    per_thread = {}
    for e in json.load(open(f"{out}/{t}.alloc.json"))["recording"]["events"]:
        v = e["values"]
        thread = v.get("thread") or {}
        if (thread.get("javaName") or "").startswith("JFR"):
            continue  # the recording's own threads
        tid = thread.get("javaThreadId")
        lo, hi = per_thread.get(tid, (v["allocated"], v["allocated"]))
        per_thread[tid] = (min(lo, v["allocated"]), max(hi, v["allocated"]))
    allocated = sum(hi - lo for lo, hi in per_thread.values())
    cpu = json.load(open(f"{out}/{t}.cpu.json"))["processes"][t]["threads"].values()
    total = sum(x["cpu_s"] for x in cpu)
    nojit = sum(x["cpu_s"] for x in cpu if "Compiler" not in x["comm"])
    print(f"| {t} | {requests} | {allocated / requests:,.0f} | {total / requests * 1e6:.0f} | {nojit / requests * 1e6:.0f} |")
EOF
cat "$OUT/machine.txt" "$OUT/summary.md"
echo "results in $OUT"
