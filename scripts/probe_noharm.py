"""Exploratory (not a default): would a held-out check against class balance have stopped DFR+ExMap where it harms?
For each run, the default pipeline's pseudo-groups (`exmap_pseudo_groups`, representation="auto") and class balance
go through `choose_grouping` with class balance first (kept unless the pseudo-groups' heads beat it by 2 SE on the
held-out halves); printed beside the test WGA of DFR on each (reported, not used).
Usage: bash scripts/pinned.sh .venv/bin/python scripts/probe_noharm.py suite:color_995:0 weak:object_95@0.8:1 msmnist:0
(msmnist: the balanced "wam" validation). Needs the cached ERM models of 23_suite / 33_dfr_balance / 21_msmnist.
Writes results/probes/noharm.json (runs already there are kept)."""
import sys, json
import numpy as np, torch
from exmap.experiment import project_root
from exmap.pipeline import exmap_pseudo_groups, choose_grouping
from probe_runs import run
from exmap.dfr import DFR
torch.set_num_threads(1)
root = project_root(); path = root/"results/probes/noharm.json"
out = json.loads(path.read_text()) if path.exists() else {}

for arg in sys.argv[1:]:
    erm, xv, yv_t, _, H, Fv, Ft, score, seed = run(arg)
    yv = yv_t.numpy() if hasattr(yv_t, "numpy") else np.asarray(yv_t)
    pseudo, diag = exmap_pseudo_groups(erm, xv, yv_t, heatmaps=H, features=Fv, random_state=seed, progress=False)
    chosen, rec = choose_grouping(Fv, yv, {"classes": yv, "exmap": pseudo}, random_state=seed)
    wga = {k: round(score(DFR(random_state=seed).fit(Fv, yv, g), Ft), 1) for k, g in (("classes", None),
                                                                                      ("exmap", pseudo))}
    out[arg] = dict(input=diag.get("auto", {}).get("chosen"), case=diag["case"], check=chosen,
                    diff=round(rec["diff_vs_default"]["exmap"], 2), two_se=round(rec["two_se"]["exmap"], 2),
                    test_wga=wga, group_sizes=diag.get("group_sizes"))
    print(arg, out[arg], flush=True)
    path.write_text(json.dumps(out, indent=1))
