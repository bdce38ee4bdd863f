#!/usr/bin/env bash
# CI's guard against a rotting benchmark suite: installs the library (mvn install at the root, unless
# SKIP_INSTALL=1), builds benchmarks/ (Java and Kotlin sources, the JMH jar), then runs ONE JMH
# benchmark in a few seconds: FanOutBenchmark.taskGroupAll at N=1,000, one 200 ms warm-up and one
# 200 ms measured iteration with -prof gc, failing on error (-foe true). Exits non-zero when the
# build or the benchmark fails, or when the JSON result has no score. Times printed are not a
# measurement (CI machines are shared); it only proves the suite builds and runs.
#
#   bash benchmarks/ci-smoke.sh
set -euo pipefail
cd "$(dirname "$0")"
if [[ "${SKIP_INSTALL:-0}" != 1 ]]; then
  (cd .. && mvn -B -q install -DskipTests)
fi
mvn -B -q clean package
OUT=$(mktemp -d "${TMPDIR:-/tmp}/bench-smoke.XXXXXX")
trap 'rm -rf "$OUT"' EXIT
java -jar target/benchmarks.jar 'FanOutBenchmark.taskGroupAll$' -p n=1000 \
  -f 1 -wi 1 -i 1 -w 200ms -r 200ms -prof gc -foe true -rf json -rff "$OUT/smoke.json"
python3 - "$OUT/smoke.json" <<'PY'
import json, sys
rows = json.load(open(sys.argv[1]))
assert rows, "JMH wrote no result"
for r in rows:
    score = r["primaryMetric"]["score"]
    alloc = r["secondaryMetrics"]["gc.alloc.rate.norm"]["score"]
    assert score > 0 and alloc > 0, r
    print(f"benchmark smoke: {r['benchmark']} n={r['params']['n']}: {score:.1f} {r['primaryMetric']['scoreUnit']}, "
          f"{alloc / 10000:.0f} B/task (smoke, not a measurement)")
PY
