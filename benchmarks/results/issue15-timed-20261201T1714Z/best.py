import json,sys
for f in sys.argv[1:]:
    d=json.load(open(f))
    rows={}
    for b in d:
      n=int(b['params']['n']); tasks=n*(10 if n==1000 else 1)
      name=b['benchmark'].split('.')[-1]
      raw=[x for fork in b['primaryMetric']['rawData'] for x in fork]
      rows[(name,n)]=(min(raw)*1000/tasks, b['secondaryMetrics']['gc.alloc.rate.norm']['score']/tasks)
    print(f)
    for (name,n),(t,by) in rows.items():
      print(f'  {name:22s} {n:6d} best {t:6.1f} ns  {t/rows[("futureAll",n)][0]:.2f}x  {by:6.1f} B')
