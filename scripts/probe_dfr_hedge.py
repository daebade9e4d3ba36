"""Exploratory (not a default; nothing in the package changes): can DFR hedge against wrong pseudo-groups? For each run,
the default pipeline's pseudo-groups (`exmap_pseudo_groups`, library defaults, the same data, ERM and heatmaps as
23_suite / 21_msmnist via `probe_runs.py`) are cached with the validation and test features; then DFR (its defaults)
is fitted on them as it is, and with variants patched into `DFR._sample` / `DFR._tune` for this script only:
  shrink<L>: sample weights (1 - L) * class-balance weights + L * pseudo-group weights (L = 0.5, 0.25): a pseudo-group
             counts for less than a true group would;
  crit_class: C chosen by the worst *class* accuracy of the tuning halves instead of the worst pseudo-group accuracy;
  shrink50_cc: both;
  classes_first: `DFR(equal_classes=True)`: every class the same total weight, shared equally by its groups (DFR
             weighs every group the same, so a class whose groups stay split after pooling outweighs one pooled into
             a single group; with the same number of groups in every class the weights are DFR's own).
Beside them: DFR on class balance and on the true groups (DFR_PUBLISHED, the tables' oracle).
Usage: bash scripts/pinned.sh .venv/bin/python scripts/probe_dfr_hedge.py dump suite:texture_95@0.7:1 msmnist:0 ...
       bash scripts/pinned.sh .venv/bin/python scripts/probe_dfr_hedge.py score            (every cached run)
       .venv/bin/python scripts/probe_dfr_hedge.py --summary
Caches cache/probes/dfr_hedge/<run>.npz; writes results/probes/dfr_hedge.json (runs and variants already there kept)."""
import sys, json, time
import numpy as np, torch
import exmap.dfr as D
from exmap.dfr import DFR, DFR_PUBLISHED
from exmap.metrics import accuracy_summary
from exmap.experiment import project_root
torch.set_num_threads(1)
root = project_root(); cache = root/"cache/probes/dfr_hedge"; path = root/"results/probes/dfr_hedge.json"
VARIANTS = {"default": {}, "shrink50": dict(shrink=0.5), "shrink25": dict(shrink=0.25),
            "shrink50_cc": dict(shrink=0.5, crit="class"), "crit_class": dict(crit="class"),
            "classes_first": dict(classes_first=True)}

def dump(args):
    from probe_runs import pipeline_arrays
    cache.mkdir(parents=True, exist_ok=True)
    for arg in args:
        out = cache/f"{arg.replace(':', '_')}.npz"
        if out.exists(): continue
        t0 = time.time(); arrays, diag = pipeline_arrays(arg); arrays.pop("logits")
        np.savez(out, **arrays)
        print(arg, f"{time.time() - t0:.0f} s", diag["case"], np.bincount(arrays["pseudo"]).tolist(), flush=True)

# the two hedges, patched in for this script only (DFR's own code path when a fit has neither); classes_first is the
# package's DFR(equal_classes=True)
_sample0 = D.DFR._sample
def _sample(self, groups, rs, y=None):   # y: the class labels DFR passes with the groups
    lam = getattr(self, "_shrink", None)
    if self.balance_ != "weight" or lam is None: return _sample0(self, groups, rs, y)
    return np.arange(len(groups)), (1 - lam) * D.group_weights(y) + lam * D.group_weights(groups)
def _tune(self, Xs, yi, groups, rs):   # DFR._tune, scoring C by the worst class instead when crit="class"
    splits = []
    for _ in range(int(self.n_tune_splits)):
        perm = rs.permutation(len(yi)); a, b = perm[:len(yi) // 2], perm[len(yi) // 2:]
        ia, w = self._sample(np.unique(groups[a], return_inverse=True)[1], rs, yi[a]); idx = a[ia]
        if len(np.unique(yi[idx])) == len(self.classes_): splits.append((idx, w, b))
    scores, K, G = {}, len(self.classes_), groups.max() + 1
    by_class = getattr(self, "_crit", "group") == "class"
    for C in self.C_grid:
        accs = [np.nanmin(D.group_accuracy(yi[b], D.head_labels(*D.l1_heads(C, Xs[idx], yi[idx], w, K, self.l1_ratio,
                                                                           rs), Xs[b]),
                                           yi[b] if by_class else groups[b], K if by_class else G))
                for idx, w, b in splits]
        scores[C] = float(np.mean(accs))
    return scores
D.DFR._sample, D.DFR._tune = _sample, _tune

def hedged(seed, shrink=None, crit="group", classes_first=False):
    d = DFR(random_state=seed, equal_classes=classes_first); d._shrink, d._crit = shrink, crit; return d

def score():
    out = json.loads(path.read_text()) if path.exists() else {}
    for f in sorted(cache.glob("*.npz")):
        r = np.load(f); seed = int(r["seed"]); res = out.setdefault(f.stem, {})
        wga = lambda d: round(accuracy_summary(r["yt"], d.predict(r["Ft"]), r["gt"], n_groups=int(r["ng"]))["wga"], 2)
        if "classes" not in res: res["classes"] = wga(DFR(random_state=seed).fit(r["Fv"], r["yv"], None))
        if "true" not in res: res["true"] = wga(DFR(random_state=seed, **DFR_PUBLISHED).fit(r["Fv"], r["yv"], r["gv"]))
        for name, kw in VARIANTS.items():
            if name not in res: res[name] = wga(hedged(seed, **kw).fit(r["Fv"], r["yv"], r["pseudo"]))
        res.update(fallback=bool(r["fallback"]), rep=str(r["rep"]))
        path.write_text(json.dumps(out, indent=1)); print(f.stem, res, flush=True)

def summary():
    out = json.loads(path.read_text())
    for title, keep in (("weak shortcuts (p 0.8 / 0.7)", lambda k: "@" in k), ("judged suite runs and balanced "
                        "MultiShortcut-MNIST", lambda k: "@" not in k)):
        keys = [k for k in out if keep(k)]; print(f"== {title}: {len(keys)} runs; test WGA")
        for v in (*VARIANTS, "classes", "true"):
            w = np.array([out[k][v] for k in keys]); d = w - np.array([out[k]["classes"] for k in keys])
            per = {}
            for k, x in zip(keys, w - np.array([out[k]["true"] for k in keys])): per.setdefault(k.rsplit("_", 1)[0], []).append(x)
            print(f"{v:12s} mean {w.mean():5.1f}; more than 2 below class balance on {int((d < -2).sum()):2d} (worst "
                  f"{d.min():+5.1f})" + ("" if "@" in keys[0] else "; mean minus true groups: " + ", ".join(
                      f"{b.removeprefix('suite_')} {np.mean(x):+.1f}" for b, x in sorted(per.items()))))

if __name__ == "__main__":
    cmd, *args = sys.argv[1:] or ["--summary"]
    {"dump": lambda: dump(args), "score": score, "--summary": summary}[cmd]()
