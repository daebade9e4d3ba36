"""Exploratory (not a default): would a held-out check against class balance have stopped DFR+ExMap where it harms?
For each run, the default pipeline's pseudo-groups (`exmap_pseudo_groups`, representation="auto") and class balance
go through `choose_grouping` with class balance first (kept unless the pseudo-groups' heads beat it by 2 SE on the
held-out halves); printed beside the test WGA of DFR on each (reported, not used).
Usage: bash scripts/pinned.sh .venv/bin/python scripts/probe_noharm.py suite:color_995:0 weak:object_95@0.8:1 msmnist:0
(msmnist: the balanced "wam" validation). Needs the cached ERM models of 23_suite / 33_dfr_balance / 21_msmnist.
Writes results/probes/noharm.json (runs already there are kept)."""
import sys, json
import numpy as np, torch
from exmap.suite import suite_dataset, suite_settings
from exmap.experiment import cached_erm, cached_heatmaps, erm_settings, method_result, project_root, experiment_setup
from exmap.train import extract_features
from exmap.pipeline import EXMAP_DEFAULTS, exmap_pseudo_groups, choose_grouping
from exmap.dfr import DFR
torch.set_num_threads(1)
root = project_root(); path = root/"results/probes/noharm.json"
out = json.loads(path.read_text()) if path.exists() else {}

def suite_run(name, seed):
    bench, _, p = name.partition("@"); p = float(p) if p else None
    sizes = dict(n_train=5000, n_val=None, n_test=None)
    ds_set = suite_settings(bench, seed=seed, p=p, **sizes); ds = suite_dataset(bench, seed=seed, p=p, **sizes)
    erm, _ = cached_erm(ds["train"], ds["val"], ds_set, model="cnn", epochs=3, seed=seed, cache_dir=root/"cache",
                        progress=False)
    v, t = ds["val"], ds["test"]
    H = cached_heatmaps(erm, v.x, dict(erm=erm_settings(ds_set, "cnn", epochs=3, seed=seed), split="val"),
                        EXMAP_DEFAULTS["explainer"], root/"cache", name=f"suite_{bench}", progress=False)
    info, counts = ds["train"].info, ds["train"].group_counts()
    score = lambda d, Ft: method_result(t.y, d.predict(Ft), t.g, info, counts)["test_wga"]
    return erm, v.x, v.y, H, extract_features(erm, v.x), extract_features(erm, t.x), score

def msmnist_run(seed):
    s = experiment_setup("msmnist", seed=seed, smoke=False, data=dict(p_train=0.95, val_variant="wam", p_val=None, p_test=0.5,
                                                                     bg_style="color", noise=0.3),
                         erm=dict(model="cnn", epochs=5, lr=1e-3, batch_size=128), run_name="msmnist",
                         cache_dir="cache")
    score = lambda d, Ft: method_result(s.test.y, d.predict(Ft), s.test.g, s.info, s.train.group_counts())["test_wga"]
    return s.erm, s.val.x, s.val.y, s.heatmaps("exmap"), s.F_val, s.F_test, score

for arg in sys.argv[1:]:
    kind, *rest = arg.split(":")
    if kind == "msmnist": seed = int(rest[0]); run = msmnist_run(seed)
    else: name, seed = rest[0], int(rest[1]); run = suite_run(name, seed)
    erm, xv, yv_t, H, Fv, Ft, score = run
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
