#!/usr/bin/env bash
# Runs one JMH invocation of JAR with the given arguments, its JSON to OUT_BASE.json and its output
# to OUT_BASE.txt; on failure prints the output's tail and exits 1. Used by compare.sh, observe.sh and
# ratios.sh. JMH_JAVA_OPTS: options of the JMH launcher JVM (e.g. -Djmh.ignoreLock=true).
#
#   benchmarks/jmh-fork.sh JAR OUT_BASE JMH_ARGS...
set -uo pipefail
if [[ $# -lt 3 ]]; then
  sed -n '2,5p' "$0" >&2
  exit 2
fi
JAR=$1 OUT_BASE=$2
shift 2
# shellcheck disable=SC2086
java ${JMH_JAVA_OPTS:-} -jar "$JAR" "$@" -rf json -rff "$OUT_BASE.json" > "$OUT_BASE.txt" 2>&1 \
  || { echo "JMH failed: $OUT_BASE.txt" >&2; tail -20 "$OUT_BASE.txt" >&2; exit 1; }
