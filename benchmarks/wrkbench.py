#!/usr/bin/env python3
"""Helpers of benchmarks/wrk.sh: one measured wrk run with the CPU per thread of the processes under
test, the Java names of those threads, and the summary of a whole run directory.

  wrkbench.py run OUT_PREFIX NAME=PID[,NAME=PID...] -- wrk ARGS...
      runs wrk, writes OUT_PREFIX.txt (its output) and OUT_PREFIX.cpu.json: for each named process
      the CPU ticks each thread used during the run (from /proc/PID/task/*/stat), and wrk's own CPU
  wrkbench.py names PID OUT.json
      the Java thread name of each native thread id (jcmd PID Thread.print), for the summary
  wrkbench.py jit OUT_PREFIX NAME
      the % of one core that NAME's JIT compiler threads used during the run of OUT_PREFIX.cpu.json
      (wrk.sh warms a target up until this is below its threshold)
  wrkbench.py summarize DIR
      the Markdown summary of DIR (printed): throughput and latency per route, connection count and
      target with ratios against the naive gateway of the same round, the failure route's upstream
      work left running, the CPU per thread
"""
import json
import math
import os
import re
import statistics
import subprocess
import sys
import time
from collections import defaultdict

TICK = os.sysconf("SC_CLK_TCK")


def thread_ticks(pid):
    """{tid: (comm, utime + stime ticks)} of every thread of pid; empty if it is gone."""
    out = {}
    base = f"/proc/{pid}/task"
    try:
        tids = os.listdir(base)
    except OSError:
        return out
    for tid in tids:
        try:
            with open(f"{base}/{tid}/stat") as f:
                stat = f.read()
        except OSError:
            continue  # the thread ended meanwhile
        comm = stat[stat.index("(") + 1:stat.rindex(")")]
        fields = stat[stat.rindex(")") + 2:].split()
        # fields[0] is field 3 (state): utime is field 14, stime field 15
        out[tid] = (comm, int(fields[11]) + int(fields[12]))
    return out


def cmd_run(prefix, pids_arg, wrk_args):
    pids = dict(p.split("=", 1) for p in pids_arg.split(",") if p)
    before = {name: thread_ticks(pid) for name, pid in pids.items()}
    t0 = time.monotonic()
    with open(prefix + ".txt", "w") as out:
        proc = subprocess.Popen(wrk_args, stdout=out, stderr=subprocess.STDOUT)
        _, status, usage = os.wait4(proc.pid, 0)
    wall = time.monotonic() - t0
    after = {name: thread_ticks(pid) for name, pid in pids.items()}
    procs = {}
    for name, pid in pids.items():
        threads = {}
        for tid, (comm, ticks) in after[name].items():
            used = ticks - before[name].get(tid, (comm, 0))[1]
            if used > 0:
                threads[tid] = {"comm": comm, "cpu_s": used / TICK}
        procs[name] = {"pid": int(pid), "threads": threads}
    procs["wrk"] = {"pid": proc.pid, "threads": {"wrk": {"comm": "wrk (all threads)",
                                                         "cpu_s": usage.ru_utime + usage.ru_stime}}}
    with open(prefix + ".cpu.json", "w") as f:
        json.dump({"wall_s": wall, "processes": procs}, f, indent=1)
    code = os.waitstatus_to_exitcode(status) if hasattr(os, "waitstatus_to_exitcode") else status >> 8
    if code != 0:
        sys.stderr.write(f"wrk exited {code}; see {prefix}.txt\n")
        sys.exit(code)


def cmd_jit(prefix, name):
    with open(prefix + ".cpu.json") as f:
        cpu = json.load(f)
    threads = cpu["processes"][name]["threads"].values()
    used = sum(t["cpu_s"] for t in threads if thread_group(t["comm"]) == "JIT compiler")
    print(f"{100 * used / cpu['wall_s']:.1f}")


def cmd_names(pid, out_path):
    names = {}
    try:
        dump = subprocess.run(["jcmd", pid, "Thread.print"], capture_output=True, text=True, timeout=30).stdout
    except (OSError, subprocess.TimeoutExpired):
        dump = ""
    for m in re.finditer(r'^"(.*?)".*?\bnid=(0x[0-9a-fA-F]+|\d+)', dump, re.M):
        nid = m.group(2)
        names[str(int(nid, 16) if nid.startswith("0x") else int(nid))] = m.group(1)
    with open(out_path, "w") as f:
        json.dump(names, f, indent=1)


# ---- summary -------------------------------------------------------------------------------------

UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 60e3}


def ms(value):
    m = re.match(r"([\d.]+)(us|ms|s|m)$", value)
    return float(m.group(1)) * UNITS[m.group(2)] if m else float("nan")


def parse_wrk(path):
    text = open(path).read()
    r = {"rps": float("nan"), "p50": float("nan"), "p99": float("nan"), "non2xx": 0, "errors": 0, "requests": 0}
    m = re.search(r"Requests/sec:\s+([\d.]+)", text)
    if m:
        r["rps"] = float(m.group(1))
    for pct, key in (("50", "p50"), ("99", "p99")):
        m = re.search(rf"^\s+{pct}(?:\.000)?%\s+(\S+)", text, re.M)
        if m:
            r[key] = ms(m.group(1))
    m = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", text)
    if m:
        r["non2xx"] = int(m.group(1))
    m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text)
    if m:
        r["errors"] = sum(int(g) for g in m.groups())
    m = re.search(r"(\d+) requests in", text)
    if m:
        r["requests"] = int(m.group(1))
    return r


def geomean(xs):
    xs = [x for x in xs if x > 0 and not math.isnan(x)]
    return math.exp(sum(math.log(x) for x in xs) / len(xs)) if xs else float("nan")


def fmt(x, digits=0):
    return "n/a" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:,.{digits}f}"


RUN = re.compile(r"^(?P<route>\w+)-c(?P<c>\d+)-(?P<target>[\w.-]+?)-r(?P<round>\d+)\.txt$")


def thread_group(name):
    """Thread name to a row of the CPU table: each event loop apart, the JVM's pools together."""
    for pattern, label in ((r"^GC Thread|^G1 |^GC ", "GC"), (r"C[12] CompilerThre", "JIT compiler"),
                           (r"^vert\.x-worker-thread", "vert.x worker threads")):
        if re.search(pattern, name):
            return label
    return name


def cmd_summarize(d):
    meta = {}
    if os.path.exists(f"{d}/targets.txt"):
        for line in open(f"{d}/targets.txt"):
            if "\t" in line:
                k, v = line.rstrip("\n").split("\t", 1)
                meta[k] = v
    runs = defaultdict(dict)  # (route, c) -> target -> round -> result
    cpu = defaultdict(lambda: defaultdict(list))  # (route, c, target) -> process -> [cpu json]
    reports = defaultdict(list)  # (route, c, target) -> [simulator report]
    sim = defaultdict(lambda: defaultdict(float))  # (route, c, target) -> counter -> delta over the rounds
    for f in sorted(os.listdir(d)):
        m = RUN.match(f)
        if not m:
            continue
        key = (m["route"], int(m["c"]))
        runs[key].setdefault(m["target"], {})[int(m["round"])] = parse_wrk(f"{d}/{f}")
        base = f"{d}/{f[:-4]}"
        if os.path.exists(base + ".cpu.json"):
            cpu[key + (m["target"],)]["runs"].append(json.load(open(base + ".cpu.json")))
        if os.path.exists(base + ".sim-before.json") and os.path.exists(base + ".sim-after.json"):
            try:
                before, after = json.load(open(base + ".sim-before.json")), json.load(open(base + ".sim-after.json"))
                for k in ("started", "aborted", "connections"):
                    sim[key + (m["target"],)][k] += after.get(k, 0) - before.get(k, 0)
            except ValueError:
                pass  # a counters read that failed: the column stays empty
        if os.path.exists(base + ".report.json"):
            reports[key + (m["target"],)].append(json.load(open(base + ".report.json")))
    names = {}
    for f in os.listdir(d):
        m = re.match(r"^threads-(.+)\.json$", f)
        if m:
            names[m.group(1)] = json.load(open(f"{d}/{f}"))

    order = ["gateway", "gateway-1", "naive", "ceiling"]
    print("Each cell: mean req/s over the rounds, p99 the median of the rounds' p99 (wrk `--latency`). "
          "Ratios: geometric mean over rounds of target/naive in the same round (throughput higher is better, "
          "p99 lower is better).\n")
    for route in ("ok", "fail"):
        keys = sorted(k for k in runs if k[0] == route)
        if not keys:
            continue
        targets = [t for t in order if any(t in runs[k] for k in keys)]
        print(f"### Route `{route}`\n")
        header = ["connections"]
        for t in targets:
            header += [f"{meta.get(t, t)} req/s", "p50 ms", "p99 ms", "non-2xx / errors"]
        header += [f"{t} vs naive: throughput, p99" for t in ("gateway", "gateway-1") if t in targets]
        print("| " + " | ".join(header) + " |")
        print("|" + "---|" * len(header))
        for k in keys:
            row = [str(k[1])]
            for t in targets:
                rs = runs[k].get(t, {})
                if not rs:
                    row += ["", "", "", ""]
                    continue
                vals = list(rs.values())
                row += [fmt(statistics.mean(v["rps"] for v in vals)),
                        fmt(statistics.median(v["p50"] for v in vals), 2),
                        fmt(statistics.median(v["p99"] for v in vals), 1),
                        f"{sum(v['non2xx'] for v in vals)} / {sum(v['errors'] for v in vals)}"]
            naive = runs[k].get("naive", {})
            for t in ("gateway", "gateway-1"):
                if t not in targets:
                    continue
                rs = runs[k].get(t, {})
                tr = geomean([rs[r]["rps"] / naive[r]["rps"] for r in rs if r in naive and naive[r]["rps"] > 0])
                lr = geomean([rs[r]["p99"] / naive[r]["p99"] for r in rs if r in naive and naive[r]["p99"] > 0])
                verdict = ("meets" if tr >= 1.0 and lr <= 1.0 else "misses")
                row.append(f"{fmt(tr, 2)}x, {fmt(lr, 2)}x ({verdict})")
            print("| " + " | ".join(row) + " |")
        print()
        if route == "fail":
            print("Upstream work after a failure (from the simulator: for each client request in which `flaky` "
                  "answered 503, what its `slow` sibling did afterwards, summed over the rounds. \"Never sent\": the "
                  "simulator never saw it, i.e. it was still queued for a pooled connection and dropped, or it was "
                  "sent later and its record missed the report; \"left running\": it ran to its end although its "
                  "client request had already failed):\n")
            print("| connections | target | failed requests | siblings left running to their end | siblings aborted "
                  "| siblings never sent | abort delay p50 / max ms | wasted upstream-seconds "
                  "| upstream requests in flight after the run |")
            print("|---|---|---|---|---|---|---|---|---|")
            for k in keys:
                for t in targets:
                    rep = reports.get(k + (t,), [])
                    if not rep:
                        continue
                    p50s = [r["abortDelayMsP50"] for r in rep if r.get("abortDelayMsP50") is not None]
                    maxes = [r["abortDelayMsMax"] for r in rep if r.get("abortDelayMsMax") is not None]
                    print(f"| {k[1]} | {meta.get(t, t)} | {sum(r['failedRequests'] for r in rep)} "
                          f"| {sum(r['siblingsRanToEnd'] for r in rep)} | {sum(r['siblingsAborted'] for r in rep)} "
                          f"| {sum(r['failedRequests'] - r['siblingsRanToEnd'] - r['siblingsAborted'] - r['siblingsEndedBefore'] for r in rep)} "
                          f"| {fmt(statistics.median(p50s), 2) if p50s else 'n/a'} / {fmt(max(maxes), 1) if maxes else 'n/a'} "
                          f"| {fmt(sum(r['wastedUpstreamSeconds'] for r in rep), 1)} "
                          f"| {max(r['counters']['inFlight'] for r in rep)} |")
            print()

    print("### CPU per thread\n")
    print("CPU used during the measured runs, as % of one core (CPU seconds / wall seconds, summed over the rounds), "
          "from `/proc/PID/task/*/stat`; 200% is the whole 2-core machine. Threads under 3% are left out. "
          "CPU µs per request: the target process's CPU over the requests wrk counted (JIT compilation included). "
          "`upstreams` is the simulator process, `wrk` the load tool. The last column, from the simulator's counters "
          "(summed over the rounds): upstream requests it received, those the caller aborted, and the connections "
          "it accepted (an HTTP/1.1 request reset in flight costs its connection).\n")
    for route in ("ok", "fail"):
        keys = sorted({(k[0], k[1]) for k in cpu if k[0] == route})
        if not keys:
            continue
        print(f"Route `{route}`:\n")
        print("| connections | target | target process | CPU µs per request | its threads | upstreams | wrk "
              "| upstream requests / aborted / connections accepted |")
        print("|---|---|---|---|---|---|---|---|")
        for k in keys:
            for t in order:
                samples = cpu.get(k + (t,), {}).get("runs", [])
                if not samples:
                    continue
                wall = sum(s["wall_s"] for s in samples)
                per = defaultdict(lambda: defaultdict(float))
                for s in samples:
                    for proc, info in s["processes"].items():
                        tnames = names.get(proc, {})
                        for tid, th in info["threads"].items():
                            per[proc][thread_group(tnames.get(tid, th["comm"]))] += th["cpu_s"]
                tot = {p: 100 * sum(v.values()) / wall for p, v in per.items()}
                threads = sorted(per.get(t, {}).items(), key=lambda kv: -kv[1])
                listed = ", ".join(f"{n} {100 * v / wall:.0f}%" for n, v in threads if 100 * v / wall >= 3)
                sc = sim.get(k + (t,), {})
                counts = (f"{sc['started']:,.0f} / {sc['aborted']:,.0f} / {sc['connections']:,.0f}" if sc else "")
                answered = sum(v["requests"] for v in runs.get(k, {}).get(t, {}).values())
                per_req = 1e6 * sum(per.get(t, {}).values()) / answered if answered else float("nan")
                print(f"| {k[1]} | {meta.get(t, t)} | {tot.get(t, 0):.0f}% | {fmt(per_req)} | {listed} "
                      f"| {tot.get('upstreams', 0):.0f}% | {tot.get('wrk', 0):.0f}% | {counts} |")
        print()


def main(argv):
    if len(argv) >= 4 and argv[1] == "run" and "--" in argv:
        i = argv.index("--")
        cmd_run(argv[2], argv[3], argv[i + 1:])
    elif len(argv) == 4 and argv[1] == "names":
        cmd_names(argv[2], argv[3])
    elif len(argv) == 4 and argv[1] == "jit":
        cmd_jit(argv[2], argv[3])
    elif len(argv) == 3 and argv[1] == "summarize":
        cmd_summarize(argv[2])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv)
