"""Exploratory (not a default yet): a label-free gate between DFR on ExMap's pseudo-groups and DFR on class balance.
The weak-shortcut runs (33_dfr_balance's p 0.8 / 0.7) pass the fallback's check (their ERM errors do concentrate in a
pseudo-group) and DFR+ExMap still lands below class balance on 8 of 24. Each gate here sees only what a user has
(validation features, class labels, the ERM model's probability of each sample's true class, the pseudo-groups) and
keeps the pseudo-groups only when they win:
  proxy:   `proxy_worst_accuracy` (DFR heads fitted on one validation half, scored on the other with each class's
           samples weighted by the ERM model's error 1 - p_true and by p_true, worst of these) of the pseudo-groups
           against class balance, on the same halves; keep the pseudo-groups when the paired mean gain > 2 SE.
Test WGA of DFR (its defaults) on the pseudo-groups, on class balance and on the true groups (DFR_PUBLISHED) is read
only for the outcome columns; so is DFR(equal_classes=True) on the pseudo-groups (`pseudo_equal`). Same runs as
probe_dfr_hedge.py (`probe_runs.py`: data, ERM, heatmaps of 23_suite / 33_dfr_balance / 21_msmnist; the pipeline's
pseudo-groups, `exmap_pseudo_groups`, library defaults).
Usage: bash scripts/pinned.sh .venv/bin/python scripts/probe_gate.py dump suite:texture_95@0.7:1 msmnist:0 ...
       bash scripts/pinned.sh .venv/bin/python scripts/probe_gate.py score
       bash scripts/pinned.sh .venv/bin/python scripts/probe_gate.py choose   (`choose_grouping`, classes first)
       .venv/bin/python scripts/probe_gate.py --summary
       .venv/bin/python scripts/probe_gate.py harm      (the harmed weak runs' pseudo-minorities)
Caches cache/probes/gate/<run>.npz; writes results/probes/gate.json.
Result (2026-12-07; 69 runs: 24 weak, the suite's 13 benchmarks, both MultiShortcut-MNIST validations, C-MNIST; 3
seeds): a negative one. The gate cuts the weak runs more than 2 below class balance from 8 of 24 to 3 (mean test WGA
87.1 either way), and sends 16 of the other 45 to class balance, among them color_995 and object_995 on every seed
where the pseudo-groups gain 33-61 points: mean 64.7 -> 51.4. The ERM-error-weighted proxy does not rank groupings
the way worst-group accuracy does. `choose_grouping` with class balance first (`choose`) keeps the pseudo-groups on
all 8 harmed weak runs (their heads win on the pseudo-groups by 11-66 points) and sends 8 of the other 45 to class
balance. DFR(equal_classes=True) changes 1 of the 69 (balanced MultiShortcut-MNIST seed 1, 92.2 -> 94.3)."""
import json, sys
import numpy as np, torch
from exmap.dfr import DFR, DFR_PUBLISHED
from probe_runs import cached_test_wga, outcome_line
from exmap.experiment import project_root
from exmap.pipeline import proxy_worst_accuracy, erm_outcome
torch.set_num_threads(1)
root = project_root(); cache = root/"cache/probes/gate"; path = root/"results/probes/gate.json"
N_SPLITS = 10

def dump(args):
    from probe_runs import dump_runs
    dump_runs(args, cache)

def score():
    out = json.loads(path.read_text()) if path.exists() else {}
    for f in sorted(cache.glob("*.npz")):
        r = np.load(f); seed = int(r["seed"]); Fv, yv, pseudo = r["Fv"], r["yv"], r["pseudo"]
        wga = lambda d: cached_test_wga(r, d)
        if f.stem in out:   # scored before: add DFR(equal_classes=True) on the pseudo-groups when missing
            t = out[f.stem]["test"]
            if "pseudo_equal" not in t:
                t["pseudo_equal"] = wga(DFR(random_state=seed, equal_classes=True).fit(Fv, yv, pseudo))
                print(f.stem, t, flush=True); path.write_text(json.dumps(out, indent=1) + "\n")
            continue
        p_true, right = erm_outcome(r["logits"], yv)
        res = dict(fallback=bool(r["fallback"]), n_groups=int(len(np.unique(pseudo))),
                   test=dict(pseudo=wga(DFR(random_state=seed).fit(Fv, yv, pseudo)),
                             pseudo_equal=wga(DFR(random_state=seed, equal_classes=True).fit(Fv, yv, pseudo)),
                             classes=wga(DFR(random_state=seed).fit(Fv, yv, None)),
                             true=wga(DFR(random_state=seed, **DFR_PUBLISHED).fit(Fv, yv, r["gv"]))))
        if not r["fallback"]:
            P = proxy_worst_accuracy(Fv, yv, pseudo, p_true, n_splits=N_SPLITS, random_state=seed)
            Q = proxy_worst_accuracy(Fv, yv, yv, p_true, n_splits=N_SPLITS, random_state=seed)
            d = P - Q
            two_se = 2 * d.std(ddof=1) / np.sqrt(len(d))
            res["proxy"] = dict(pseudo=round(float(P.mean()), 2), classes=round(float(Q.mean()), 2),
                                gain=round(float(d.mean()), 2), two_se=round(float(two_se), 2))
        out[f.stem] = res; print(f.stem, res, flush=True)
        path.write_text(json.dumps(out, indent=1) + "\n")

def choose():
    "`choose_grouping` with class balance first (its default, kept unless the pseudo-groups' heads win by 2 SE)."
    from exmap.pipeline import choose_grouping
    out = json.loads(path.read_text())
    for f in sorted(cache.glob("*.npz")):
        r = np.load(f)
        if f.stem not in out or "choose" in out[f.stem] or bool(r["fallback"]): continue
        ch, rec = choose_grouping(r["Fv"], r["yv"], {"classes": r["yv"], "pseudo": r["pseudo"]},
                                  random_state=int(r["seed"]))
        out[f.stem]["choose"] = dict(chosen=ch, gain=round(rec["diff_vs_default"]["pseudo"], 2),
                                     two_se=round(rec["two_se"]["pseudo"], 2))
        print(f.stem, out[f.stem]["choose"], flush=True); path.write_text(json.dumps(out, indent=1) + "\n")

def harm():
    "The weak runs more than 2 below class balance: each class's pseudo-groups but its largest (size, ERM error rate, "
    "share of the class's true minority group, read for this report only)."
    out = json.loads(path.read_text())
    for k in sorted(k for k in out if "@" in k and out[k]["test"]["pseudo"] - out[k]["test"]["classes"] < -2):
        r = np.load(cache/f"{k}.npz"); y, g, p = r["yv"], r["gv"], r["pseudo"]
        wrong = 1 - erm_outcome(r["logits"], y)[1]; parts = []
        for c in np.unique(y):
            m = y == c; vals, cnt = np.unique(p[m], return_counts=True)
            small = np.unique(g[m], return_counts=True); minority = small[0][small[1].argmin()]
            for v in vals[vals != vals[cnt.argmax()]]:
                mm = m & (p == v)
                parts.append(f"n {mm.sum()} err {wrong[mm].mean():.2f} minority {(g[mm] == minority).mean():.2f}")
        print(f"{k:28s} " + "; ".join(parts))

def summary():
    out = json.loads(path.read_text())
    for title, keep in (("weak shortcuts (p 0.8 / 0.7)", lambda k: "@" in k),
                        ("the suite (13 benchmarks), MultiShortcut-MNIST (both validations), C-MNIST",
                         lambda k: "@" not in k)):
        keys = [k for k in out if keep(k)]
        if not keys: continue
        print(f"== {title}: {len(keys)} runs")
        gated = []
        for k in keys:
            r = out[k]; t = r["test"]; p = r.get("proxy")
            keep_pseudo = p is not None and p["gain"] > p["two_se"]
            gated.append(t["pseudo"] if keep_pseudo else t["classes"])
            print(f"{k:32s} test pseudo {t['pseudo']:5.1f} classes {t['classes']:5.1f} true {t['true']:5.1f} | "
                  + ("fallback" if p is None else f"proxy gain {p['gain']:+6.2f} (2SE {p['two_se']:5.2f}) "
                     f"{'keep' if keep_pseudo else 'CLASSES'}"))
        moved = {k: (out[k]["test"]["pseudo"], out[k]["test"]["pseudo_equal"]) for k in keys
                 if abs(out[k]["test"]["pseudo_equal"] - out[k]["test"]["pseudo"]) > 0.005}
        print(f"DFR(equal_classes=True) on the same pseudo-groups changes {len(moved)} of {len(keys)}: "
              + ", ".join(f"{k} {a:.1f} -> {b:.1f}" for k, (a, b) in moved.items()))
        harmed = [k for k in keys if out[k]["test"]["pseudo"] - out[k]["test"]["classes"] < -2]
        if all("choose" in out[k] for k in keys if not out[k]["fallback"]):
            kept = [k for k in keys if out[k].get("choose", {}).get("chosen") == "pseudo"]
            print(f"choose_grouping, class balance first: keeps the pseudo-groups on {len(kept)} of "
                  f"{len(keys)} runs, on {sum(k in kept for k in harmed)} of the {len(harmed)} more than 2 below "
                  "class balance")
        for name, w in (("default", [out[k]["test"]["pseudo"] for k in keys]), ("gated", gated)):
            print(outcome_line(name, w, [out[k]["test"]["classes"] for k in keys],
                               [out[k]["test"]["true"] for k in keys]))

if __name__ == "__main__":
    cmd, *args = sys.argv[1:] or ["--summary"]
    {"dump": lambda: dump(args), "score": score, "choose": choose, "harm": harm, "--summary": summary}[cmd]()
