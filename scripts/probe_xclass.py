"""Exploratory (nothing in the package rests on it): is the direction that splits one class's pseudo-minority from
the rest of that class the same direction, reversed, in the other class? A shortcut attribute shared by the classes
(a colour, a patch) should be; a cluster of hard samples need not. For every two-class run cached by
`probe_gate.py dump` (the default pipeline's pseudo-groups; runs that fell back are skipped), per class c: a
class-balanced L1 logistic head (the package's `DFR` without groups, C tuned as DFR does) on standardised
validation features tells c's samples outside its largest pseudo-group from those inside; its scores on the other class are compared with that class's own split (ROC AUC; near 0 means the
reversed direction, 0.5 none). "raw" uses the features as they are, "proj" with the class-mean difference projected
out (hard samples lie towards the other class, which alone gives AUC near 0). Printed beside DFR+ExMap minus class
balance (test WGA, from results/probes/gate.json; read, not used).
Usage: .venv/bin/python scripts/probe_xclass.py
Result (2026-12-07, 65 runs): raw AUC is near 0 on nearly every run, harmful or not (the hard-sample confound);
projected, the weak runs where DFR+ExMap does harm sit at 0.30-0.67 and the strong-shortcut runs where it gains 12-77
points at 0.00-0.73: no threshold separates them. Not a gate."""
import glob, json
import numpy as np
from sklearn.metrics import roc_auc_score
from exmap.experiment import project_root
from exmap.dfr import DFR
root = project_root()
out=json.load(open(root/'results/probes/gate.json'))
def minor(p, m):
    vals, cnt = np.unique(p[m], return_counts=True); big = vals[cnt.argmax()]
    return (p != big).astype(int)
for f in sorted(glob.glob(str(root/'cache/probes/gate/*.npz'))):
    k=f.split('/')[-1][:-4]; r=np.load(f); y,p,F=r['yv'],r['pseudo'],r['Fv'].astype(float)
    if len(np.unique(y))!=2 or bool(r['fallback']): continue
    F=(F-F.mean(0))/(F.std(0)+1e-8)
    d=F[y==1].mean(0)-F[y==0].mean(0); d/=np.linalg.norm(d)
    Fp=F-np.outer(F@d,d)
    res=[]
    for X in (F,Fp):
        aucs=[]
        for c in (0,1):
            mc=y==c; mo=y!=c
            a=minor(p,mc); b=minor(p,mo)
            if a[mc].sum()<5 or b[mo].sum()<5: aucs.append(np.nan); continue
            clf=DFR(random_state=0).fit(X[mc],a[mc])   # DFR as a class-balanced L1 logistic probe, C tuned
            s=clf.decision_function(X[mo]); aucs.append(roc_auc_score(b[mo],s))
        res.append(aucs)
    t=out.get(k,{}).get('test',{})
    print(f"{k:28s} d_cls {t.get('pseudo',0)-t.get('classes',0):+6.1f}  raw AUC {res[0][0]:.2f} {res[0][1]:.2f}  "
          f"proj {res[1][0]:.2f} {res[1][1]:.2f}")
