"""Exploratory (not a default): which groups should `choose_grouping` score each head on, when `representation="auto"`
picks between the pixel and the concept grouping? For each run, ExMap's groups from each input (`exmap_groups`, the
defaults but the input), then `choose_grouping` with every `judges` option ("all" is what "auto" uses), printed beside
the test WGA of DFR (its defaults) on each grouping, on class balance and on the true groups (reported, not used by any
rule), and the default rule ("all+veto": `own_veto=True`). The summary reads every rule's pick from the scores
recorded (each JSON's `chosen` is what was run; the first runs were made before the veto existed, some later ones with
it on). Same data, ERM and heatmaps as 23_suite / 33_dfr_balance / 21_msmnist (`probe_runs.py`).
Usage: bash scripts/pinned.sh .venv/bin/python scripts/probe_judges.py suite:texture_95:0 suite:color_95@0.8:0 msmnist:0
Writes results/probes/judges.json (runs already there are kept); `--summary` prints the table from it."""
import sys, json
import numpy as np, torch
from probe_runs import run, picks
from exmap.experiment import project_root
from exmap.train import predict
from exmap.concepts import concept_relevance
from exmap.pipeline import EXMAP_DEFAULTS, AUTO_CANDIDATES, JUDGES, exmap_groups, choose_grouping
from exmap.dfr import DFR
torch.set_num_threads(1)
root = project_root(); path = root/"results/probes/judges.json"
out = json.loads(path.read_text()) if path.exists() else {}

def summary():
    rules = (*JUDGES, "all+veto")
    print(f"{'run':24s} {'class':>6s} {'true':>6s} {'pixel':>6s} {'concept':>7s}  " + " ".join(f"{j:>8s}" for j in rules))
    got = {}   # run -> (test WGA of each rule's pick, of class balance, of true groups)
    for arg, r in out.items():
        w = r["test_wga"]; pk = picks(r)
        got[arg] = (np.array([w[pk[j]] for j in rules]), w["classes"], w["true"])
        print(f"{arg:24s} {w['classes']:6.1f} {w['true']:6.1f} {w['pixel']:6.1f} {w['concept']:7.1f}  "
              + " ".join(f"{pk[j]:>8s}" for j in rules))
    P, cls, true = (np.array(v) for v in zip(*got.values()))
    for i, j in enumerate(rules):
        print(f"judges={j}: mean test WGA of the pick {P[:, i].mean():.1f}; more than 2 below class balance on "
              f"{int((P[:, i] - cls < -2).sum())} of {len(P)} runs")
    weak = np.array(["@" in k for k in got])   # the weak-shortcut runs (p 0.8 / 0.7): little to find
    if weak.any():
        print(f"weak shortcuts ({weak.sum()} runs): mean test WGA class balance {cls[weak].mean():.1f}, true groups "
              f"{true[weak].mean():.1f}; " + "; ".join(f"{j} {P[weak, i].mean():.1f}" for i, j in enumerate(rules)))

if sys.argv[1:] == ["--summary"]: summary(); sys.exit()
for arg in sys.argv[1:]:
    erm, xv, yv_t, gv, H, Fv, Ft, score, seed = run(arg)
    yv = yv_t.numpy() if hasattr(yv_t, "numpy") else np.asarray(yv_t)
    logits = predict(erm, xv).numpy()
    R = concept_relevance(erm, xv, composite=EXMAP_DEFAULTS["explainer"], progress=False)[0]
    runs = {rep: exmap_groups(H, yv, logits, concepts=R, features=Fv, random_state=seed, representation=rep)
            for rep in AUTO_CANDIDATES}
    groups = {rep: g for rep, (g, _) in runs.items()}
    chosen, rec = {}, {}
    for j in JUDGES:
        if all(d["fallback"] for _, d in runs.values()): chosen[j] = AUTO_CANDIDATES[0]; continue
        chosen[j], r = choose_grouping(Fv, yv, groups, random_state=seed, judges=j, own_veto=False)
        rec[j] = dict(scores={k: round(v, 2) for k, v in r["scores"].items()},
                      diff=round(r["diff_vs_default"]["concept"], 2), two_se=round(r["two_se"]["concept"], 2))
    wga = {k: round(score(DFR(random_state=seed).fit(Fv, yv, g), Ft), 1)
           for k, g in (("classes", None), ("true", np.asarray(gv)), *groups.items())}
    out[arg] = dict(chosen=chosen, record=rec, test_wga=wga, fallback={k: d["fallback"] for k, (_, d) in runs.items()},
                    group_sizes={k: np.bincount(g).tolist() for k, g in groups.items()})
    print(arg, chosen, wga, flush=True)
    out = {**(json.loads(path.read_text()) if path.exists() else {}), arg: out[arg]}  # other processes' runs kept
    path.write_text(json.dumps(out, indent=1))
