"""The study behind the fallback check's test. `minority_found(test="exact")` scores a group by the hypergeometric
tail of its error count (its class's ERM errors dealt out at random); the two-proportion z-test ("normal"), the check's
test before this study, leans on a normal approximation that is optimistic when a model makes few errors. The check
now uses the exact test (`exmap_groups(check_test="exact")`, the default); pooling keeps the z-test.
Two parts, both through the package's own functions, nothing chosen on a true group or a test image:
  controls: 27_group_noise's control groupings (true groups shuffled within each class; each class split in two at
            random; 200 each) on the ERM models of its six suite benchmarks x 3 seeds: the false "go" rate of each test
            (the normal test on 27's own draws, the exact one on the next 200 of the same generator), and whether the
            true groups pass;
  runs:     the default pipeline (`exmap_groups` on the run's heatmaps, concept relevance and features, as
            `exmap_pseudo_groups` computes them; representation="auto") with `check_test="normal"` and
            `"exact"` on the 66 runs of probe_min_gap.py (13 suite benchmarks, 8 weak versions, balanced
            MultiShortcut-MNIST; 3 seeds), then full-size C-MNIST (20_cmnist) and MultiShortcut-MNIST with
            ExMap's validation (21_msmnist), 3 seeds each: which runs' decision changes, and DFR's test WGA on each
            grouping beside class balance (reported, never used).
Usage: bash scripts/pinned.sh .venv/bin/python scripts/probe_exact_check.py controls|runs [part parts]
       .venv/bin/python scripts/probe_exact_check.py --summary
Writes results/probes/exact_check.json (entries already there are kept)."""
import sys, json
import numpy as np, torch
from exmap.dfr import DFR, minority_found
from exmap.pipeline import EXMAP_DEFAULTS, exmap_groups, erm_outcome
from exmap.concepts import concept_relevance
from exmap.train import predict
from exmap.metrics import group_accuracy
from exmap.experiment import project_root
from probe_runs import run
torch.set_num_threads(1)
root = project_root(); path = root/"results/probes/exact_check.json"
NOISE_BENCHES = ("color_95", "color_995", "object_95", "patch_95", "patch_995", "texture_95")   # 27_group_noise's
SUITE = ("color_95", "color_995", "patch_95", "patch_995", "texture_95", "texture_995", "object_95", "object_995",
         "multiclass_95", "multiclass_995", "noise_95", "shade_95", "glyph_95")
WEAK = tuple(f"{b}@{p}" for b in ("color_95", "patch_95", "texture_95", "object_95") for p in (0.8, 0.7))

def save(section, key, value):
    out = json.loads(path.read_text()) if path.exists() else {}   # another part may have written meanwhile
    out.setdefault(section, {})[key] = value; path.write_text(json.dumps(out, indent=1, sort_keys=True))
    print(section, key, value, flush=True)

def done(section):
    return set(json.loads(path.read_text()).get(section, {})) if path.exists() else set()

def controls(part=0, parts=1, n=200):
    for arg in [f"suite:{b}:{s}" for b in NOISE_BENCHES for s in range(3)][part::parts]:
        if arg in done("controls"): continue
        erm, xv, yv, gv, *_ , seed = run(arg); y, g = np.asarray(yv), np.asarray(gv)
        right = erm_outcome(predict(erm, xv), y)[1]; rng, res = np.random.default_rng(seed), {}
        for test in ("normal", "exact"):
            go = {"shuffled": 0, "random split": 0}
            for _ in range(n):
                sh = g.copy()
                for c in np.unique(y): sh[y == c] = rng.permutation(g[y == c])
                go["shuffled"] += minority_found(y, sh, right, test=test)[0]
                go["random split"] += minority_found(y, 2 * y + rng.integers(0, 2, len(y)), right, test=test)[0]
            found, z, thr = minority_found(y, g, right, test=test)
            res[test] = {**{k: v / n for k, v in go.items()}, "true_found": found,
                         "true_z_max": round(float(np.nanmax(z)), 2)}
        save("controls", arg, dict(res, val_errors=int((1 - right).sum()), z_threshold=round(thr, 2)))

def runs(part=0, parts=1, only=""):
    "`only`: comma-separated prefixes of the runs to do (e.g. cmnist,msmnist_valexmap); empty: every run."
    args = ([f"suite:{b}:{s}" for b in WEAK for s in range(3)] + [f"msmnist:{s}" for s in range(3)]
            + [f"suite:{b}:{s}" for b in SUITE for s in range(3)]
            + [f"{k}:{s}" for k in ("cmnist", "msmnist_valexmap") for s in range(3)])
    args = [a for a in args if not only or a.startswith(tuple(only.split(",")))]
    for arg in args[part::parts]:
        if arg in done("runs"): continue
        erm, xv, yv, gv, H, Fv, Ft, score, seed = run(arg); yv = np.asarray(yv); yt, gt, ng = score.test
        wga = lambda groups: round(float(100 * np.nanmin(group_accuracy(
            np.asarray(yt), DFR(random_state=seed).fit(np.asarray(Fv), yv, groups).predict(np.asarray(Ft)),
            np.asarray(gt), ng))), 2)
        res, logits = {"class balance": wga(None)}, predict(erm, xv)
        R = concept_relevance(erm, xv, composite=EXMAP_DEFAULTS["explainer"], progress=False)[0]   # as the pipeline
        for test in ("normal", "exact"):   # each passed explicitly: the script does not depend on the default
            pseudo, diag = exmap_groups(H, yv, logits, concepts=R, features=Fv, random_state=seed, check_test=test)
            res[test] = dict(fallback=bool(diag["fallback"]), n_groups=int(pseudo.max()) + 1, wga=wga(pseudo),
                             per_input=diag.get("fallback_per_input"))
        save("runs", arg, res)

def summary():
    out = json.loads(path.read_text())
    c = out.get("controls", {})
    if c:
        print(f"== controls ({len(c)} runs, 200 groupings each): largest false 'go' rate, normal -> exact")
        for kind in ("shuffled", "random split"):
            print(f"   {kind:13s} {max(v['normal'][kind] for v in c.values()):.3f} -> "
                  f"{max(v['exact'][kind] for v in c.values()):.3f}")
        print(f"   true groups pass: normal {sum(v['normal']['true_found'] for v in c.values())}/{len(c)}, exact "
              f"{sum(v['exact']['true_found'] for v in c.values())}/{len(c)}; smallest exact z "
              f"{min(v['exact']['true_z_max'] for v in c.values())} "
              f"(threshold {max(v['z_threshold'] for v in c.values())})")
    r = out.get("runs", {})
    if r:
        flip = {k: v for k, v in r.items() if v["normal"]["fallback"] != v["exact"]["fallback"]
                or v["normal"]["wga"] != v["exact"]["wga"]}
        print(f"== default pipeline, {len(r)} runs: {len(flip)} change with the exact check")
        for k, v in sorted(flip.items()):
            print(f"   {k:26s} fallback {v['normal']['fallback']!s:5} -> {v['exact']['fallback']!s:5}  test WGA "
                  f"{v['normal']['wga']:5.1f} -> {v['exact']['wga']:5.1f} (class balance {v['class balance']:.1f})")
        for fam, keep in (("suite", lambda k: "@" not in k and k.startswith("suite")), ("weak", lambda k: "@" in k),
                          ("msmnist", lambda k: k.startswith("msmnist:")), ("msmnist (ExMap's validation)",
                          lambda k: k.startswith("msmnist_valexmap")), ("cmnist", lambda k: k.startswith("cmnist"))):
            ks = [k for k in r if keep(k)]
            if not ks: continue
            harm = {t: sum(r[k][t]["wga"] < r[k]["class balance"] - 2 for k in ks) for t in ("normal", "exact")}
            mean = {t: np.mean([r[k][t]["wga"] for k in ks]) for t in ("normal", "exact")}
            print(f"   {fam:8s} {len(ks):2d} runs: mean WGA {mean['normal']:.1f} -> {mean['exact']:.1f}; more than 2 "
                  f"below class balance {harm['normal']} -> {harm['exact']}")

if __name__ == "__main__":
    a = sys.argv[1:]
    if a == ["--summary"]: summary()
    else: {"controls": controls, "runs": runs}[a[0]](*map(int, a[1:3]), *a[3:])
