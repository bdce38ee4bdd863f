import json,sys,re,glob,os
d=sys.argv[1]
for f in sorted(glob.glob(d+"/*-c*.cpu.json")):
    p=f[:-len(".cpu.json")]; t=os.path.basename(p).split("-c")[0]
    cpu=json.load(open(f)); txt=open(p+".txt").read()
    m=re.search(r"Requests/sec:\s+([\d.]+)",txt); rps=float(m.group(1))
    req=int(re.search(r"(\d+) requests in",txt).group(1))
    p99=re.search(r"99%\s+(\S+)",txt).group(1)
    non2=re.search(r"Non-2xx or 3xx responses: (\d+)",txt)
    names=json.load(open(d+f"/threads-{t}.json")) if os.path.exists(d+f"/threads-{t}.json") else {}
    th=cpu["processes"][t]["threads"]; tot=sum(x["cpu_s"] for x in th.values())
    jit=sum(x["cpu_s"] for k,x in th.items() if "Compiler" in names.get(k,x["comm"]) or "C2" in x["comm"] or "C1" in x["comm"])
    up=sum(x["cpu_s"] for x in cpu["processes"]["upstreams"]["threads"].values())
    b=json.load(open(p+".before.json")); a=json.load(open(p+".after.json"))
    dd={k:a[k]-b[k] for k in a if isinstance(a[k],(int,float))}
    print(f"{os.path.basename(p):16} rps {rps:6.0f} p99 {p99:>8} non2xx {non2.group(1) if non2 else 0:>5} cpu/req {tot/req*1e6:6.1f}us nojit {(tot-jit)/req*1e6:6.1f}us jit {jit/cpu['wall_s']*100:4.1f}%core sim-cpu/req {up/req*1e6:6.1f}us reqs {dd.get('started')} aborted {dd.get('aborted')} conns {dd.get('connections')}")
