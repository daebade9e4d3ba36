"""The runs the probes share: a suite benchmark (a weak version with `name@p`) or balanced MultiShortcut-MNIST, with
the same data, ERM and heatmaps as 23_suite / 33_dfr_balance / 21_msmnist (trained again when not cached)."""
import numpy as np
from exmap.suite import suite_dataset, suite_settings
from exmap.experiment import cached_erm, cached_heatmaps, erm_settings, method_result, project_root, experiment_setup
from exmap.train import extract_features
from exmap.pipeline import EXMAP_DEFAULTS
root = project_root()

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
    score.test = (t.y, t.g, info.n_groups)   # the test split it scores on: labels, groups, number of groups
    return erm, v.x, v.y, v.g, H, extract_features(erm, v.x), extract_features(erm, t.x), score

def msmnist_run(seed, val_variant="wam"):
    s = experiment_setup("msmnist", seed=seed, smoke=False, data=dict(p_train=0.95, val_variant=val_variant, p_val=None,
                                                                     p_test=0.5, bg_style="color", noise=0.3),
                         erm=dict(model="cnn", epochs=5, lr=1e-3, batch_size=128),
                         run_name="msmnist" if val_variant == "wam" else f"msmnist_val{val_variant}", cache_dir="cache")
    score = lambda d, Ft: method_result(s.test.y, d.predict(Ft), s.test.g, s.info, s.train.group_counts())["test_wga"]
    score.test = (s.test.y, s.test.g, s.info.n_groups)
    return s.erm, s.val.x, s.val.y, s.val.g, s.heatmaps("exmap"), s.F_val, s.F_test, score

def cmnist_run(seed):
    "20_cmnist's full-size run (99 % colour in train, validation and test)."
    s = experiment_setup("cmnist", seed=seed, smoke=False, data=dict(p_train=0.99, p_val=0.99, p_test=0.99),
                         erm=dict(model="cnn", epochs=3, lr=1e-3, batch_size=128), dfr=dict(min_group_size=6),
                         cache_dir="cache")
    score = lambda d, Ft: method_result(s.test.y, d.predict(Ft), s.test.g, s.info, s.train.group_counts())["test_wga"]
    score.test = (s.test.y, s.test.g, s.info.n_groups)
    return s.erm, s.val.x, s.val.y, s.val.g, s.heatmaps("exmap"), s.F_val, s.F_test, score

def run(arg):
    """'suite:<benchmark>[@p]:<seed>', 'msmnist:<seed>' (balanced validation), 'msmnist_valexmap:<seed>' or
    'cmnist:<seed>' -> (erm, xv, yv, gv, heatmaps, F_val, F_test, score, seed)."""
    kind, *rest = arg.split(":")
    if kind == "msmnist": seed = int(rest[0]); return (*msmnist_run(seed), seed)
    if kind == "msmnist_valexmap": seed = int(rest[0]); return (*msmnist_run(seed, "exmap"), seed)
    if kind == "cmnist": seed = int(rest[0]); return (*cmnist_run(seed), seed)
    name, seed = rest[0], int(rest[1]); return (*suite_run(name, seed), seed)

def pipeline_arrays(arg):
    """The default pipeline's pseudo-groups on one run (`exmap_pseudo_groups`, library defaults) with what the probes
    score them by, as arrays for `np.savez`, and the pipeline's diagnostics."""
    from exmap.pipeline import exmap_pseudo_groups
    from exmap.train import predict
    erm, xv, yv, gv, H, Fv, Ft, score, seed = run(arg)
    yt, gt, ng = score.test; yv = np.asarray(yv)
    pseudo, diag = exmap_pseudo_groups(erm, xv, yv, heatmaps=H, random_state=seed, progress=False)
    return dict(Fv=np.asarray(Fv), yv=yv, gv=np.asarray(gv), pseudo=pseudo, Ft=np.asarray(Ft), yt=np.asarray(yt),
                gt=np.asarray(gt), ng=ng, seed=seed, fallback=bool(diag["fallback"]),
                rep=str(diag.get("auto", {}).get("chosen", diag["settings"]["representation"])),
                logits=np.asarray(predict(erm, xv))), diag

def dump_runs(args, cache_dir):
    "`pipeline_arrays` of each run in `args` saved as <cache_dir>/<run>.npz (runs already there are skipped)."
    import time
    cache_dir.mkdir(parents=True, exist_ok=True)
    for arg in args:
        out = cache_dir/f"{arg.replace(':', '_')}.npz"
        if out.exists(): continue
        t0 = time.time(); arrays, diag = pipeline_arrays(arg); np.savez(out, **arrays)
        print(arg, f"{time.time() - t0:.0f} s", diag["case"], np.bincount(arrays["pseudo"]).tolist(), flush=True)

def gather_parts(parts_dir, path) -> dict:
    "The runs saved in JSON `path`, plus each per-run part <parts_dir>/<run>.json not there yet; written back sorted."
    import json
    out = json.loads(path.read_text()) if path.exists() else {}
    for f in sorted(parts_dir.glob("*.json")): out.setdefault(f.stem, json.loads(f.read_text()))
    path.write_text(json.dumps(dict(sorted(out.items())), indent=1) + "\n")
    return out

def cached_test_wga(r, model) -> float:
    "Test worst-group accuracy (%) of a head fitted on a cached run's validation features (`pipeline_arrays`)."
    from exmap.metrics import accuracy_summary
    return round(accuracy_summary(r["yt"], model.predict(r["Ft"]), r["gt"], n_groups=int(r["ng"]))["wga"], 2)

def outcome_line(name, w, classes, true, width=8) -> str:
    "Mean test WGA of a rule over runs, how often it lands more than 2 below class balance, and its gap to true groups."
    w = np.asarray(w); d = w - np.asarray(classes)
    return (f"{name:{width}s} mean {w.mean():5.1f}; more than 2 below class balance on {int((d < -2).sum()):2d}; "
            f"mean minus true groups {(w - np.asarray(true)).mean():+5.1f}")

def picks(r):
    """Each rule's pick between ExMap's pixel and concept groupings, from a probe_judges.py record: every `judges`
    alone, and 'all+veto' (all, unless the head falls behind on its own groups)."""
    from exmap.pipeline import JUDGES
    if not r["record"]: return {j: "pixel" for j in (*JUDGES, "all+veto")}  # both inputs fell back
    win = {j: "concept" if r["record"][j]["diff"] > r["record"][j]["two_se"] else "pixel" for j in JUDGES}
    veto = not r["fallback"]["pixel"] and r["record"]["own"]["diff"] < -r["record"]["own"]["two_se"]
    return {**win, "all+veto": "pixel" if veto else win["all"]}
