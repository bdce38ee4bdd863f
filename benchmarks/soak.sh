#!/usr/bin/env bash
# Soak and fault injection for the gateway: bash benchmarks/soak.sh [SECONDS=60] [REQUESTS_PER_SECOND=400]
# Runs dev.taskgroup.soak.GatewaySoak (test sources of the main project) on loopback only.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-60}"
rate="${2:-400}"
mvn -B -q -ntp test-compile
exec mvn -B -q -ntp exec:java -Dexec.classpathScope=test -Dexec.mainClass=dev.taskgroup.soak.GatewaySoak \
  -Dexec.args="$seconds $rate" -Dexec.cleanupDaemonThreads=false
