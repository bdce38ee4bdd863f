#!/usr/bin/env bash
# Runs one JMH invocation of JAR with the given arguments, its JSON to OUT_BASE.json and its output
# to OUT_BASE.txt; on failure prints the output's tail and exits 1. Used by compare.sh and observe.sh.
#
#   benchmarks/jmh-fork.sh JAR OUT_BASE JMH_ARGS...
set -uo pipefail
if [[ $# -lt 3 ]]; then
  sed -n '2,5p' "$0" >&2
  exit 2
fi
JAR=$1 OUT_BASE=$2
shift 2
java -jar "$JAR" "$@" -rf json -rff "$OUT_BASE.json" > "$OUT_BASE.txt" 2>&1 \
  || { echo "JMH failed: $OUT_BASE.txt" >&2; tail -20 "$OUT_BASE.txt" >&2; exit 1; }
