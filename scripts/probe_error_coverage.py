"""Exploratory probe, not a study (nothing in the package's defaults rests on it).

For each run of `nbs/33_dfr_balance.ipynb`'s grid (18 benchmarks x 3 seeds, same cached ERM models and heatmaps), it
asks how much of each class's ERM validation errors fall inside the pseudo-groups `minority_evidence` flags ("error
coverage"), and scores DFR trained on class x ERM-correct "error groups" (class balance and `balance="weight"`).

    python scripts/probe_error_coverage.py run color_95,patch_95,... 0,1,2 results/probes/error_coverage.jsonl
    python scripts/probe_error_coverage.py show results/probes/error_coverage.jsonl   # beside 33_dfr_balance's JSONs

Runs in `make dfr-balance`'s cache (run that first); about 40 s a run on 2 cores.
"""
import json, sys, numpy as np, torch
from exmap.suite import suite_dataset, suite_settings
from exmap.train import predict, extract_features
from exmap.dfr import DFR, minority_evidence
from exmap.pipeline import EXMAP_DEFAULTS, exmap_pseudo_groups, erm_outcome
from exmap.experiment import cached_erm, cached_heatmaps, erm_settings, method_result, project_root
torch.set_num_threads(1)
root = project_root()

def run(benches, seeds, out):
    for seed in seeds:
        for bench in benches:
            name, _, p = bench.partition("@"); p = float(p) if p else None
            sizes = dict(n_train=5000, n_val=None, n_test=None)
            ds_set = suite_settings(name, seed=seed, p=p, **sizes); ds = suite_dataset(name, seed=seed, p=p, **sizes)
            tr, va, te = ds["train"], ds["val"], ds["test"]
            erm, _ = cached_erm(tr, va, ds_set, model="cnn", epochs=3, seed=seed, cache_dir=root/"cache", progress=False)
            Fv, Ft, yv = extract_features(erm, va.x), extract_features(erm, te.x), va.y.numpy()
            H = cached_heatmaps(erm, va.x, dict(erm=erm_settings(ds_set, "cnn", epochs=3, seed=seed), split="val"),
                                EXMAP_DEFAULTS["explainer"], root/"cache", name=f"suite_{name}", progress=False)
            logits = predict(erm, va.x)
            pseudo, diag = exmap_pseudo_groups(erm, va.x, va.y, heatmaps=H, logits=logits, random_state=seed, progress=False, fallback=False)
            _, right = erm_outcome(logits, yv)
            z, thr = minority_evidence(yv, pseudo, right)
            flagged = np.nan_to_num(z, nan=-np.inf) > thr
            inF = flagged[pseudo]

            rows = []
            for c in np.unique(yv):
                m = yv == c; e = m & (right == 0)
                rows.append(dict(c=int(c), n=int(m.sum()), err=int(e.sum()), err_in_flag=int((e & inF).sum()), flag=int((m & inF).sum())))
            err_groups = yv * 2 + right
            scored = lambda d: method_result(te.y, d.predict(Ft), te.g, tr.info, tr.group_counts())["test_wga"]
            rec = dict(bench=bench, seed=seed, found=bool(diag["minority_found"]), classes=rows,
                       wga_errgroups=scored(DFR(random_state=seed).fit(Fv, yv, err_groups)),
                       wga_errgroups_w=scored(DFR(random_state=seed, balance="weight").fit(Fv, yv, err_groups)))
            out.write(json.dumps(rec) + "\n"); out.flush(); print(bench, seed, rec["found"], rows, flush=True)

def show(path):
    for l in open(path):
        r=json.loads(l); b=r['bench'].replace('@','_p')
        m=json.load(open(f'results/dfr_balance/{b}/seed{r["seed"]}.json'))['methods']
        cb=m['DFR (class balance)']['test_wga']; ex=m['DFR+ExMap (subsample)']['test_wga']; tr=m['DFR (true groups)']['test_wga']
        cov=[c['err_in_flag']/max(c['err'],1) for c in r['classes']]; prec=[c['err_in_flag']/max(c['flag'],1) for c in r['classes']]
        fr=[c['flag']/c['n'] for c in r['classes']]
        print(f"{r['bench']:16s}{r['seed']} {'go ' if r['found'] else 'no '} cov {min(cov):.2f} prec {min(prec):.2f} err {[c['err'] for c in r['classes']]} flag {[c['flag'] for c in r['classes']]}  class {cb:5.1f} exmap {ex:5.1f} true {tr:5.1f} errg {r['wga_errgroups']:5.1f} errgw {r['wga_errgroups_w']:5.1f} {'HARM' if ex<cb-2 else ''}")

if __name__ == "__main__":
    if sys.argv[1] == "run":
        run(sys.argv[2].split(","), [int(s) for s in sys.argv[3].split(",")], open(sys.argv[4], "a"))
    else: show(sys.argv[2])
