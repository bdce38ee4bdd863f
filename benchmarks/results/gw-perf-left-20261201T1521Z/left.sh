#!/usr/bin/env bash
# Issue 14, RESULTS.md section 9: route fail at 1,000 connections against GatewayMain -instances 1 of ROOT
# (before/after builds), 4 x 5 s, the simulator's failure report after each. usage: ROOT=/path/to/checkout left.sh OUTDIR
set -euo pipefail
OUT=$1; ROOT=${ROOT:-$(cd "$(dirname "$0")/../../.." && pwd)}; B=$(cd "$(dirname "$0")/../.." && pwd); CP="$ROOT/target/classes:$B/target/benchmarks.jar"
BP=19700; GP=19710; mkdir -p $OUT; PIDS=()
trap 'for p in "${PIDS[@]}"; do kill $p 2>/dev/null || true; done' EXIT
java -Xms512m -Xmx512m -cp "$CP" dev.taskgroup.bench.gateway.UpstreamsMain port=$BP instances=2 confDir=$OUT gatewayPorts=$GP > $OUT/up.log 2>&1 & PIDS+=($!)
sleep 3
java -Xms512m -Xmx512m -cp "$CP" dev.taskgroup.gateway.GatewayMain -conf $OUT/gateway-$GP.json -instances 1 > $OUT/gw.log 2>&1 & PIDS+=($!)
for i in $(seq 100); do curl -s -o /dev/null --max-time 1 http://127.0.0.1:$GP/health/live && break; sleep 0.2; done
wrk -t2 -c100 -d20s -s $B/fail.lua http://127.0.0.1:$GP/ -- warm > /dev/null
for r in 1 2 3 4; do
  curl -s -X POST -o /dev/null http://127.0.0.1:$BP/record
  wrk -t2 -c1000 -d5s --timeout 5s -s $B/fail.lua http://127.0.0.1:$GP/ -- r$r > $OUT/r$r.txt
  curl -s "http://127.0.0.1:$BP/report?settleMs=500" > $OUT/r$r.report.json
  cat $OUT/r$r.report.json; echo
done
