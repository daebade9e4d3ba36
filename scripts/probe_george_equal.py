"""Exploratory (nothing in the package changes): does `DFR(equal_classes=True)` move the tables' GEORGE(DFR) row
(the ExMap authors' GEORGE: the eigengap spectral clustering of the penultimate features, then `DFR()`), as
20_cmnist / 21_msmnist (`infer_groups("exmap_clusters", y, heatmaps=prepare_heatmaps(F))`) and 23_suite
(`ExMapClusterer().fit(F, y)`) run it?
On the runs cached by `probe_gate.py dump` (their validation features and test split), DFR with its defaults and
with `equal_classes=True` on the same groups; the default's test WGA equals the committed JSON's GEORGE row.
Usage: bash scripts/pinned.sh .venv/bin/python scripts/probe_george_equal.py run cmnist_0 suite_texture_95_2 ...
       .venv/bin/python scripts/probe_george_equal.py --summary
Each run writes cache/probes/george_equal/<run>.json; --summary gathers them into results/probes/george_equal.json.
Result (2026-12-07; 45 runs: the suite's 12 cached benchmarks, C-MNIST, both MultiShortcut-MNIST validations, 3 seeds;
multiclass_995 has no cache): the default reproduces the committed GEORGE(DFR) value on all 45, and equal_classes
changes none of them."""
import json, sys, time
import numpy as np, torch
from exmap.strategy import infer_groups
from exmap.cluster import ExMapClusterer
from exmap.lrp import prepare_heatmaps
from exmap.dfr import DFR
from probe_runs import cached_test_wga, gather_parts
from exmap.experiment import project_root
torch.set_num_threads(1)
root = project_root(); cache = root/"cache/probes/gate"; parts = root/"cache/probes/george_equal"
path = root/"results/probes/george_equal.json"

def run(keys):
    parts.mkdir(parents=True, exist_ok=True)
    for k in keys:
        if (parts/f"{k}.json").exists() or not (cache/f"{k}.npz").exists(): continue
        t0 = time.time(); r = np.load(cache/f"{k}.npz"); seed, Fv, yv = int(r["seed"]), r["Fv"], r["yv"]
        if k.startswith("suite_"):   # 23_suite: ExMap's clusterer on the raw features
            groups = ExMapClusterer(random_state=seed).fit(Fv, yv).labels_
        else:                        # 20_cmnist / 21_msmnist: `infer_groups` on the prepared features
            groups = infer_groups("exmap_clusters", yv, heatmaps=prepare_heatmaps(Fv), random_state=seed)
        wga = lambda d: cached_test_wga(r, d)
        res = dict(n_groups=int(len(np.unique(groups))), default=wga(DFR(random_state=seed).fit(Fv, yv, groups)),
                   equal_classes=wga(DFR(random_state=seed, equal_classes=True).fit(Fv, yv, groups)))
        (parts/f"{k}.json").write_text(json.dumps(res) + "\n")
        print(k, f"{time.time() - t0:.0f} s", res, flush=True)

def summary():
    out = gather_parts(parts, path)
    moved = {k: v for k, v in out.items() if abs(v["default"] - v["equal_classes"]) > 0.005}
    print(f"{len(out)} runs; equal_classes changes the GEORGE(DFR) test WGA on {len(moved)}: " + ", ".join(
        f"{k} {v['default']:.1f} -> {v['equal_classes']:.1f}" for k, v in moved.items()))

if __name__ == "__main__":
    cmd, *args = sys.argv[1:] or ["--summary"]
    {"run": lambda: run(args), "--summary": summary}[cmd]()
