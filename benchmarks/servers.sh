# Sourced by wrk.sh and perrequest.sh (which set BENCH_DIR and ROOT): builds, starts servers in the
# background and stops every one of them at exit, on failure and on Ctrl-C too.

# Builds the library and benchmarks.jar unless SKIP_BUILD=1 and both are there; sets CP, with this
# checkout's classes first: the gateway measured is the one built here, whatever the shaded jar got
# from the local Maven repository.
build_once() {
  if [[ "${SKIP_BUILD:-0}" != 1 || ! -f "$BENCH_DIR/target/benchmarks.jar" || ! -d "$ROOT/target/classes" ]]; then
    (cd "$ROOT" && mvn -B -ntp -q install -DskipTests)
    (cd "$BENCH_DIR" && mvn -B -ntp -q package -DskipTests)
  fi
  CP="$ROOT/target/classes:$BENCH_DIR/target/benchmarks.jar"
}

PIDS=()
cleanup() {
  local status=$?
  trap - EXIT INT TERM
  for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  exit "$status"
}
# From here on every process start() starts is stopped when the script ends.
stop_at_exit() {
  trap cleanup EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
}

# Starts "$@" in the background, its output to $OUT/$name.log (OUT: the run's directory); waits until URL answers (30 s).
start() {
  local name=$1 url=$2; shift 2
  "$@" > "$OUT/$name.log" 2>&1 &
  local pid=$!
  PIDS+=("$pid")
  eval "PID_${name//-/_}=$pid"
  for _ in $(seq 300); do
    if curl -s -o /dev/null --max-time 1 "$url"; then return 0; fi
    if ! kill -0 "$pid" 2>/dev/null; then echo "$name exited at start:" >&2; cat "$OUT/$name.log" >&2; exit 1; fi
    sleep 0.1
  done
  echo "$name did not answer $url within 30 s" >&2; cat "$OUT/$name.log" >&2; exit 1
}
pid_of() { local v="PID_${1//-/_}"; echo "${!v}"; }
