"""Exploratory (not a default): why DFR+ExMap lands below class balance on balanced MultiShortcut-MNIST.
For each cached run (`probe_dfr_hedge.py dump msmnist:0 msmnist:1 msmnist:2`: the default pipeline's pseudo-groups,
validation and test features), DFR is fitted with its defaults on the pseudo-groups and `pool_evidence_` is read:
per (class, pseudo-group) its share of the class, cross-fitted error rate, gap to the rest of its class, z, and the
true groups it holds (read only to describe it). Beside it, test accuracy per true group of DFR with its defaults,
with `equal_classes=True`, with `min_error_gap=0.05`, on class balance and on the true groups (DFR_PUBLISHED).
Usage: bash scripts/pinned.sh .venv/bin/python scripts/probe_msmnist_evidence.py   (writes
results/probes/msmnist_evidence.json; `--summary` prints it)."""
import sys, json
import numpy as np, torch
from exmap.dfr import DFR, DFR_PUBLISHED
from exmap.metrics import group_accuracy
from exmap.experiment import project_root
torch.set_num_threads(1)
root = project_root(); cache = root/"cache/probes/dfr_hedge"; path = root/"results/probes/msmnist_evidence.json"
FITS = {"default": ({}, "pseudo"), "equal_classes": (dict(equal_classes=True), "pseudo"),
        "floor 0.05": (dict(min_error_gap=0.05), "pseudo"), "class balance": ({}, None),
        "true groups": (DFR_PUBLISHED, "gv")}

def run(name):
    r = np.load(cache/f"{name}.npz"); seed, ng = int(r["seed"]), int(r["ng"])
    out = {"representation": str(r["rep"]), "fallback": bool(r["fallback"]), "test_group_accuracy": {}}
    for k, (kw, groups) in FITS.items():
        d = DFR(random_state=seed, **kw).fit(r["Fv"], r["yv"], None if groups is None else r[groups])
        acc = 100 * group_accuracy(r["yt"], d.predict(r["Ft"]), r["gt"], ng)
        out["test_group_accuracy"][k] = [round(float(a), 2) for a in acc]
        if k == "default": ev = d.pool_evidence_
    share = ev["size"] / np.array([ev["size"][ev["class"] == c].sum() for c in ev["class"]])
    out["evidence"] = [dict(cls=int(c), size=int(n), share=round(float(s), 3), error=round(float(e), 4),
                            error_gap=round(float(g), 4), z=round(float(z), 2), evidence=bool(f),
                            pooled_group=int(p), true_groups=np.bincount(r["gv"][(r["pseudo"] == gi) & (r["yv"] == c)],
                                                                         minlength=ng).tolist())
                       for c, gi, n, s, e, g, z, f, p in zip(ev["class"], ev["group"], ev["size"], share, ev["error"],
                                                             ev["error_gap"], ev["z"], ev["evidence"],
                                                             ev["pooled_group"])]
    out["threshold"], out["groups_per_class"] = round(float(ev["threshold"]), 2), np.bincount(
        [int(c) for c in ev["class"][np.unique(ev["pooled_group"], return_index=True)[1]]]).tolist()
    return out

def summary():
    for name, o in json.loads(path.read_text()).items():
        wga = {k: min(v) for k, v in o["test_group_accuracy"].items()}
        print(f"== {name} ({o['representation']}): test WGA " + ", ".join(f"{k} {v:.1f}" for k, v in wga.items()))
        print(f"   groups per class after pooling: {o['groups_per_class']}; z to beat {o['threshold']}")
        for e in o["evidence"]:
            print(f"   class {e['cls']}: {e['size']:5d} samples ({100 * e['share']:4.1f} % of the class), error "
                  f"{100 * e['error']:4.1f} %, gap {100 * e['error_gap']:+5.1f}, z {e['z']:+6.2f}, "
                  f"evidence {e['evidence']!s:5}, true groups {e['true_groups']}")
        for k, v in o["test_group_accuracy"].items(): print(f"   {k:14s}", " ".join(f"{a:5.1f}" for a in v))

if __name__ == "__main__":
    if sys.argv[1:] == ["--summary"]: summary()
    else:
        res = {f.stem: run(f.stem) for f in sorted(cache.glob("msmnist_*.npz"))}
        path.write_text(json.dumps(res, indent=1)); summary()
