#!/usr/bin/env python3
# Summary of an ONNX Runtime profile (TETHER_ORT_PROFILE): per op type and per node, the minimum kernel time
# over the runs after the first two (the least disturbed by other processes on a shared machine).
# python3 scripts/ort-profile-summary.py <profile.json> [top nodes]
import json,sys,collections
ev=json.load(open(sys.argv[1]))
runs=[e for e in ev if e.get('name')=='model_run']
skip=2; start=runs[skip]['ts']; nr=len(runs)-skip
mins={}; sh={}; opn={}
for e in ev:
  if e.get('cat')=='Node' and e['name'].endswith('_kernel_time') and e['ts']>=start:
    n=e['name']; mins[n]=min(mins.get(n,1e18),e['dur']); sh[n]=(e['args']['input_type_shape'],e['args']['output_type_shape']); opn[n]=e['args']['op_name']
byop=collections.Counter(); cnt=collections.Counter()
for n,d in mins.items(): byop[opn[n]]+=d; cnt[opn[n]]+=1
tot=sum(byop.values())
print('sum of per-node minimum ms', tot/1000, ' min model_run ms', min(e['dur'] for e in runs[skip:])/1000)
for op,d in byop.most_common(22): print(f"{op:16s} {d/1000:8.2f} ms {100*d/tot:5.1f}% n={cnt[op]}")
top=int(sys.argv[2]) if len(sys.argv)>2 else 40
for n,d in sorted(mins.items(), key=lambda x:-x[1])[:top]:
  ins=[list(x.values())[0] for x in sh[n][0]]; out=list(sh[n][1][0].values())[0]
  print(f"{d/1000:7.2f} ms {opn[n]:12s} {n[:34]:34s} {ins} -> {out}")
