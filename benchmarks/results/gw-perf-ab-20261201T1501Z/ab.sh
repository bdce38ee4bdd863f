#!/usr/bin/env bash
# The ad-hoc A/B of RESULTS.md section 9, "Per-request cost after the changes": the simulator, the
# gateway (2 instances) and the naive gateway, each warmed up (2 x 5 s at 10, 100 and 1,000
# connections), then wrk 10 s at each count, CPU per thread from /proc (wrkbench.py run) and the
# simulator's counters around each run. ROOT: the checkout whose target/classes is measured.
# usage: JFR=0 ROOT=/path/to/checkout ab.sh OUTDIR "10 100 1000" 10; then python3 an.py OUTDIR
set -euo pipefail
OUT=$1; C=${2:-1000}; SECS=${3:-15}; WARM=${WARM:-30}
ROOT=${ROOT:-$(cd "$(dirname "$0")/../../.." && pwd)}
B=$(cd "$(dirname "$0")/../.." && pwd); CP="$ROOT/target/classes:$B/target/benchmarks.jar"
BP=19400; GP=19410; NP=19412
mkdir -p $OUT; PIDS=()
trap 'for p in "${PIDS[@]}"; do kill $p 2>/dev/null || true; done' EXIT
java -Xms512m -Xmx512m -cp "$CP" dev.taskgroup.bench.gateway.UpstreamsMain port=$BP instances=2 confDir=$OUT gatewayPorts=$GP,$NP > $OUT/up.log 2>&1 & PIDS+=($!); UP=$!
sleep 3
java -Xms512m -Xmx512m -XX:FlightRecorderOptions:stackdepth=256 -cp "$CP" dev.taskgroup.gateway.GatewayMain -conf $OUT/gateway-$GP.json > $OUT/gw.log 2>&1 & PIDS+=($!); GW=$!
java -Xms512m -Xmx512m -XX:FlightRecorderOptions:stackdepth=256 -cp "$CP" dev.taskgroup.bench.gateway.NaiveMain -conf $OUT/gateway-$NP.json > $OUT/nv.log 2>&1 & PIDS+=($!); NV=$!
for u in http://127.0.0.1:$GP/health/live http://127.0.0.1:$NP/api/ok/0; do
  for i in $(seq 100); do curl -s -o /dev/null --max-time 1 $u && break; sleep 0.2; done; done
for t in gateway naive; do
  port=$GP; pid=$GW; [[ $t == naive ]] && { port=$NP; pid=$NV; }
  for w in 1 2; do for wc in 10 100 1000; do wrk -t2 -c$wc -d5s http://127.0.0.1:$port/api/ok/42 > $OUT/$t-warm.txt; done; done
  for c in $C; do
    curl -s http://127.0.0.1:$BP/counters > $OUT/$t-c$c.before.json
    [[ "${JFR:-1}" == 1 ]] && jcmd $pid JFR.start name=p settings=profile filename=$OUT/$t-c$c.jfr > /dev/null
    python3 $B/wrkbench.py run $OUT/$t-c$c "$t=$pid,upstreams=$UP" -- wrk -t2 -c$c -d${SECS}s --timeout 5s --latency http://127.0.0.1:$port/api/ok/42
    [[ "${JFR:-1}" == 1 ]] && jcmd $pid JFR.stop name=p > /dev/null
    curl -s http://127.0.0.1:$BP/counters > $OUT/$t-c$c.after.json
    sleep 1
  done
  python3 $B/wrkbench.py names $pid $OUT/threads-$t.json
done
