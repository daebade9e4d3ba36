"""Post-hoc rules for ExMap's many small pseudo-groups, tried on the shortcut suite (issue 8). NOT a defaults choice.

    OMP_NUM_THREADS=1 .venv/bin/python scripts/merge_study.py                      # all 10 suite benchmarks, seeds 0 1 2
    OMP_NUM_THREADS=1 .venv/bin/python scripts/merge_study.py object_995 --seeds 0

On 0.995 shortcuts ExMap finds the minority (recall 1.00) but as splinters beside an over-split majority, and DFR's
subsampled balance then gives a class's k majority pieces k times the weight of its minority. Each rule below starts
from `exmap_pseudo_groups`' clusters (library defaults, the suite's cached ERMs and heatmaps, as `nbs/23_suite.ipynb`
uses them) and changes only how they are grouped, then applies the same fallback check:

- `current`: the library (`exmap_pseudo_groups`, fallback included);
- `pool10`: each class's pseudo-groups under 10 samples pooled into one (the unit `minority_evidence` tests);
- `merge_rest`: per class, every pseudo-group without significant minority evidence (`minority_evidence`, NaN
  counted as not significant) merged into one group; significant splinters under 10 samples pooled;
- `merge_tested`: as `merge_rest`, but untested pseudo-groups (NaN: too small to test) are left alone;
- `two_tested`: `exmap.dfr.merge_by_evidence` (the library's opt-in `merge="evidence"`): as `merge_tested`, and every
  significant pseudo-group of a class pooled into one as well: per class one group where the ERM model errs, one
  where it does not (plus untested splinters), so that subsampled balance gives both halves the same weight however
  many clusters each was cut into.

Reported beside DFR with class balance and with true validation groups. Test numbers are OUTCOMES, printed after the
rules were written down (`two_tested` after reading true-group diagnostics of object_95, see `nbs/06_dfr.ipynb`);
they choose nothing here (the library's defaults are unchanged by this study).
Writes results/defaults_study/merge_rules.json (rows, one per benchmark, seed and rule).
"""
from __future__ import annotations
import argparse, time
import numpy as np
import torch

import exmap
from exmap.core import atomic_write_json
from exmap.suite import SUITE, suite_dataset, suite_settings
from exmap.train import predict, extract_features
from exmap.dfr import DFR, EXMAP_DEFAULTS, exmap_pseudo_groups, merge_by_evidence, minority_evidence, minority_found
from exmap.cluster import make_pseudo_groups, pseudo_group_classes, group_inference_quality
from exmap.experiment import cached_erm, cached_heatmaps, erm_settings, method_result, project_root

ROOT = project_root()
SIZES = dict(n_train=5000, n_val=None, n_test=None)   # the committed suite runs (make suite SUITE_ARGS="-p n_train 5000")
SPLINTER = 10                                         # minority_evidence's pooling size

def pool_small(y, groups, min_size=SPLINTER):
    "Each class's pseudo-groups under `min_size` samples pooled into one."
    cls, sizes, out = pseudo_group_classes(y, groups), np.bincount(groups), groups.copy()
    for c in np.unique(cls):
        small = np.flatnonzero((cls == c) & (sizes > 0) & (sizes < min_size))
        if len(small) > 1: out[np.isin(groups, small)] = small[0]
    return make_pseudo_groups(y, out)

def merge_unflagged(y, groups, z, thr, merge_untested: bool):
    "Per class: pseudo-groups without minority evidence merged into one; significant splinters pooled."
    cls, sizes, out = pseudo_group_classes(y, groups), np.bincount(groups), groups.copy()
    sig, tested = np.nan_to_num(z, nan=-np.inf) > thr, ~np.isnan(z)
    for c in np.unique(cls):
        mine = (cls == c) & (sizes > 0)
        rest = np.flatnonzero(mine & ~sig & (tested | merge_untested))
        if len(rest) > 1: out[np.isin(groups, rest)] = rest[0]
        small = np.flatnonzero(mine & sig & (sizes < SPLINTER))
        if len(small) > 1: out[np.isin(groups, small)] = small[0]
    return make_pseudo_groups(y, out)

def run(bench: str, seed: int) -> list[dict]:
    t0 = time.perf_counter()
    settings = suite_settings(bench, seed=seed, **SIZES); ds = suite_dataset(bench, seed=seed, **SIZES)
    train, val, test = ds["train"], ds["val"], ds["test"]
    erm, _ = cached_erm(train, val, settings, model="cnn", epochs=3, seed=seed, cache_dir=ROOT/"cache", progress=False)
    F_val, F_test = extract_features(erm, val.x), extract_features(erm, test.x)
    H = cached_heatmaps(erm, val.x, dict(erm=erm_settings(settings, "cnn", epochs=3, seed=seed), split="val"),
                        EXMAP_DEFAULTS["explainer"], ROOT/"cache", name=f"suite_{bench}")
    logits = predict(erm, val.x); y = np.asarray(val.y)
    right = (np.asarray(logits).argmax(1) == y).astype(int)
    pseudo, diag = exmap_pseudo_groups(erm, val.x, y, heatmaps=H, logits=logits, random_state=seed, progress=False)
    clusters = diag["clusters"]
    z, thr = minority_evidence(y, clusters, right)

    def checked(g):  # the library's fallback check on the regrouped pseudo-groups
        return (g, False) if minority_found(y, g, right)[0] else (y.copy(), True)

    rules = {"current": (pseudo, diag["fallback"]), "pool10": checked(pool_small(y, clusters)),
             "merge_rest": checked(merge_unflagged(y, clusters, z, thr, True)),
             "merge_tested": checked(merge_unflagged(y, clusters, z, thr, False)),
             "two_tested": checked(merge_by_evidence(y, clusters, z, thr)),
             "class balance": (y, True), "true groups": (np.asarray(val.g), False)}
    rows = []
    for name, (g, fb) in rules.items():
        d = DFR(random_state=seed).fit(F_val, y, g)
        r = method_result(test.y, d.predict(F_test), test.g, train.info, train.group_counts())
        q = group_inference_quality(g, val.g, val.y)
        rows.append(dict(benchmark=bench, seed=seed, rule=name, test_wga=round(float(r["test_wga"]), 2),
                         test_mean=round(float(r["test_mean"]), 2), n_groups=int(len(np.unique(g))), fallback=bool(fb),
                         balanced_size=int(d.balanced_size_), minority_recall=round(float(q["minority_recall"]), 3)))
    print(bench, seed, {r["rule"]: r["test_wga"] for r in rows}, f"{time.perf_counter() - t0:.0f} s", flush=True)
    return rows

def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("benchmarks", nargs="*", default=list(SUITE))
    ap.add_argument("--seeds", nargs="*", type=int, default=[0, 1, 2])
    ap.add_argument("--out", default=str(ROOT/"results"/"defaults_study"/"merge_rules.json"))
    a = ap.parse_args()
    torch.set_num_threads(1)
    rows = [r for b in a.benchmarks for s in a.seeds for r in run(b, s)]
    atomic_write_json(a.out, dict(study="merge_rules", sizes=SIZES, rows=rows))
    import pandas as pd
    t = pd.DataFrame(rows).pivot_table(index="benchmark", columns="rule", values="test_wga", aggfunc="mean").round(1)
    print(t.to_string())

if __name__ == "__main__":
    main()
