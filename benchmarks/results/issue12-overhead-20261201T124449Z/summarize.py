import json,sys
label={'taskGroupAll':'`TaskGroup.all` (bare)','taskGroupAllRetried':'each `retried` (every attempt succeeds)','taskGroupAllHedged':'each `hedged` (delay 60 s: never fires)'}
def load(f):
    d={}
    for b in json.load(open(f)):
        name=b['benchmark'].split('.')[-1]; n=int(b['params']['n']); per=n*max(1,10000//n)
        raw=[x for fork in b['primaryMetric']['rawData'] for x in fork]
        raw.sort(); med=raw[len(raw)//2]
        d[(name,n)]=(b['primaryMetric']['score']*1000/per, b['primaryMetric']['scoreError']*1000/per, min(raw)*1000/per, med*1000/per, b['secondaryMetrics']['gc.alloc.rate.norm']['score']/per)
    return d
for f in sys.argv[1:]:
    d=load(f); print(f)
    print('| row | N | mean ns/task | best ns/task | best x time | median ns/task | median x time | B/task | x bytes |')
    print('|---|---:|---:|---:|---:|---:|---:|---:|---:|')
    for n in (1000,100000):
        b0=d[('taskGroupAll',n)]
        for k in ('taskGroupAll','taskGroupAllRetried','taskGroupAllHedged'):
            m,e,mn,md,by=d[(k,n)]
            print(f"| {label[k]} | {n:,} | {m:.1f} ± {e:.1f} | {mn:.1f} | {mn/b0[2]:.2f}x | {md:.1f} | {md/b0[3]:.2f}x | {by:.0f} | {by/b0[4]:.2f}x |")
