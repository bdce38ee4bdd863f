#!/usr/bin/env bash
# Builds the library in LIB_DIR under VERSION and the benchmarks of BENCH_SRC against it, into
# OUT_JAR. Used by compare.sh and observe.sh: a distinct version keeps the shared ~/.m2's
# 0.1.0-SNAPSHOT (and the other side of a comparison) untouched; the caller removes it afterwards.
#
#   benchmarks/build-versioned.sh LIB_DIR VERSION BENCH_SRC OUT_JAR
set -euo pipefail
if [[ $# -ne 4 ]]; then
  sed -n '2,6p' "$0" >&2
  exit 2
fi
LIB_DIR=$1 VERSION=$2 BENCH_SRC=$3 OUT_JAR=$4
python3 - "$LIB_DIR/pom.xml" "$VERSION" <<'PY'
import re, sys
path, version = sys.argv[1], sys.argv[2]
pom = open(path).read()
new, count = re.subn(r"(<artifactId>vertx-taskgroup</artifactId>\s*<version>)[^<]*(</version>)",
                     lambda m: m.group(1) + version + m.group(2), pom, count=1)
if count != 1:
    sys.exit(f"{path}: no <version> after <artifactId>vertx-taskgroup</artifactId>")
open(path, "w").write(new)
PY
(cd "$LIB_DIR" && mvn -B -ntp -q -Dstyle.color=never install -DskipTests)
BUILD=$(mktemp -d "${TMPDIR:-/tmp}/taskgroup-bench-build.XXXXXX")
trap 'rm -rf "$BUILD"' EXIT
cp -r "$BENCH_SRC/pom.xml" "$BENCH_SRC/src" "$BUILD/"
(cd "$BUILD" && mvn -B -ntp -q -Dstyle.color=never package -DskipTests -Dtaskgroup.version="$VERSION")
cp "$BUILD/target/benchmarks.jar" "$OUT_JAR"
