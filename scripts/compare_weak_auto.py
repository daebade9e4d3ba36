"""Weak shortcuts (33_dfr_balance's p 0.8 / 0.7 versions) with ExMap's input chosen per run (representation="auto",
results/probes/weak_auto/, made by 33_dfr_balance with `-p out_dir results/probes/weak_auto` and the weak benchmarks)
against the same runs with pixel heatmaps (results/dfr_balance/, made before "auto" existed). Same data, ERM and DFR
(`balance="weight"`, the default). The input auto kept is not in 33's JSONs: it is read as "pixel" when the pseudo-group
sizes equal the pixel run's (the pixel path reproduces exactly), else "concept".
Usage: python scripts/compare_weak_auto.py"""
import json
from pathlib import Path
root = Path(__file__).resolve().parents[1]
rows = []
for f in sorted((root/"results/probes/weak_auto/dfr_balance").glob("*/seed*.json")):
    new, old = json.loads(f.read_text()), json.loads((root/"results/dfr_balance"/f.parent.name/f.name).read_text())
    m, o = new["methods"], old["methods"]
    same = new["group_inference"]["ExMap"]["pseudo_group_sizes"] == old["group_inference"]["ExMap"]["pseudo_group_sizes"]
    cb, auto, pix = (m["DFR (class balance)"]["test_wga"], m["DFR+ExMap (weight)"]["test_wga"],
                     o["DFR+ExMap (weight)"]["test_wga"])
    rows.append(dict(run=f"{f.parent.name} s{f.stem[-1]}", input="pixel" if same else "concept", cb=cb,
                     true=m["DFR (true groups)"]["test_wga"], auto=auto, pixel=pix))
print(f"{'run':20s} {'input':8s} {'class':>6s} {'true':>6s} {'auto':>6s} {'pixel':>6s}")
for r in rows: print(f"{r['run']:20s} {r['input']:8s} {r['cb']:6.1f} {r['true']:6.1f} {r['auto']:6.1f} {r['pixel']:6.1f}")
n = len(rows)
for k in ("auto", "pixel"):
    gap = [r[k] - r["cb"] for r in rows]
    print(f"{k}: mean test WGA {sum(r[k] for r in rows) / n:.1f}; more than 2 below class balance in "
          f"{sum(g < -2 for g in gap)} of {n} runs (worst {min(gap):+.1f})")
print(f"concept kept on {sum(r['input'] == 'concept' for r in rows)} of {n} runs")
