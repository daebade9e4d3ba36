"""How far the shortcut suite moves on another machine: the committed runs (`results/suite/`) against a rerun of the
same commands on a fresh machine (`results/probes/suite_rerun/suite/`, made by `nbs/23_suite.ipynb` with
`-p n_train 5000 -p george_umap False -p out_dir results/probes/suite_rerun`, pinned). Test WGA per benchmark and
method, mean over the seeds both have, and the suite's two ExMap criteria on each. Writes
results/probes/suite_rerun/summary.md.  Run: .venv/bin/python scripts/compare_suite_rerun.py"""
import json
from pathlib import Path
import numpy as np, pandas as pd

ROOT = Path(__file__).resolve().parents[1]
A, B = ROOT/"results"/"suite", ROOT/"results"/"probes"/"suite_rerun"/"suite"
METHODS = ["ERM", "DFR (true groups)", "DFR (class balance)", "GEORGE(DFR) (spectral on features)", "DFR+ExMap"]
rows = []
for fb in sorted(B.glob("*/seed*.json")):
    fa = A/fb.parent.name/fb.name
    if not fa.exists(): continue
    a, b = json.loads(fa.read_text()), json.loads(fb.read_text())
    for m in METHODS:
        rows.append(dict(benchmark=fb.parent.name, seed=int(fb.stem[4:]), method=m,
                         committed=a["methods"][m]["test_wga"], rerun=b["methods"][m]["test_wga"]))
df = pd.DataFrame(rows)
mean = df.groupby(["benchmark", "method"])[["committed", "rerun"]].mean().unstack("method")
seeds = df.groupby("benchmark").seed.nunique()
out = pd.DataFrame({"seeds": seeds})
for m in METHODS:
    out[f"{m}: committed"] = mean[("committed", m)].round(1)
    out[f"{m}: rerun"] = mean[("rerun", m)].round(1)
for src in ("committed", "rerun"):
    ex, tg, cb = (mean[(src, m)] for m in ("DFR+ExMap", "DFR (true groups)", "DFR (class balance)"))
    out[f"within 3 of true groups ({src})"] = np.where(ex >= tg - 3, "pass", "FAIL")
    out[f"within 2 of class balance ({src})"] = np.where(ex >= cb - 2, "pass", "FAIL")
d = (df.rerun - df.committed).abs()
per_mean = (mean.xs("rerun", axis=1, level=0) - mean.xs("committed", axis=1, level=0)).abs().stack()
text = ("# The shortcut suite on a second machine\n\n" + (__doc__.split("\n\n")[0]) + "\n\n"
        f"{df.groupby(['benchmark', 'seed']).ngroups} runs compared. |rerun - committed| test WGA: single runs median "
        f"{d.median():.1f}, max {d.max():.1f} points; means over seeds median {per_mean.median():.1f}, max "
        f"{per_mean.max():.1f}.\n\n" + out.T.to_markdown() + "\n")
(B.parent/"summary.md").write_text(text)
print(text)
