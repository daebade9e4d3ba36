"""Exploratory (not a default): ExMap clusters of pixel heatmaps and of concept relevance intersected, then pooled by
minority evidence and checked as the pipeline does, against each input alone (test WGA, label-free proxy, minority
recall, groups). Usage: bash scripts/pinned.sh .venv/bin/python scripts/probe_consensus.py color_95:2 patch_95:0
Writes results/probes/consensus.json. Needs the suite's cached ERM models and heatmaps (make suite)."""
import sys, json
import numpy as np, torch
from exmap.suite import suite_dataset, suite_settings
from exmap.experiment import cached_erm, cached_heatmaps, erm_settings, method_result, project_root
from exmap.train import predict, extract_features
from exmap.concepts import concept_relevance
from exmap.pipeline import EXMAP_DEFAULTS, exmap_groups, proxy_worst_accuracy, erm_outcome
from exmap.cluster import group_inference_quality, make_pseudo_groups
from exmap.dfr import DFR, minority_evidence, merge_by_evidence, minority_found
torch.set_num_threads(1)
root = project_root(); sizes = dict(n_train=5000, n_val=None, n_test=None)
out = {}
for arg in sys.argv[1:]:
    name, seed = arg.split(":"); seed = int(seed)
    ds_set = suite_settings(name, seed=seed, **sizes); ds = suite_dataset(name, seed=seed, **sizes)
    erm, _ = cached_erm(ds["train"], ds["val"], ds_set, model="cnn", epochs=3, seed=seed, cache_dir=root/"cache",
                        progress=False)
    v, t = ds["val"], ds["test"]; info = ds["train"].info; counts = ds["train"].group_counts()
    H = cached_heatmaps(erm, v.x, dict(erm=erm_settings(ds_set, "cnn", epochs=3, seed=seed), split="val"),
                        EXMAP_DEFAULTS["explainer"], root/"cache", name=f"suite_{name}", progress=False)
    R = concept_relevance(erm, v.x, composite="exmap", progress=False)[0]
    Fv, Ft, L = extract_features(erm, v.x), extract_features(erm, t.x), predict(erm, v.x)
    yv = v.y.numpy(); p_true, right = erm_outcome(L, yv)
    res, cl = {}, {}
    for rep in ("pixel", "concept"):
        g, d = exmap_groups(H, yv, L, concepts=R, representation=rep, random_state=seed)
        cl[rep] = d["clusters"]; res[rep] = g
    pairs = np.unique(np.c_[cl["pixel"], cl["concept"]], axis=0, return_inverse=True)[1].ravel()
    inter = make_pseudo_groups(yv, pairs)  # every (pixel cluster, concept cluster) pair of a class: a split of both
    z, thr = minority_evidence(yv, inter, right)
    merged = merge_by_evidence(yv, inter, z, thr, right)
    found = minority_found(yv, merged, right)[0]
    res["inter"] = merged if found else np.unique(yv, return_inverse=True)[1]
    row = {}
    for k, g in res.items():
        m = DFR(random_state=seed).fit(Fv, yv, g)
        wga = method_result(t.y, m.predict(Ft), t.g, info, counts)["test_wga"]
        pr = proxy_worst_accuracy(Fv, yv, g, p_true, random_state=seed).mean()
        q = group_inference_quality(g, v.g, v.y)
        row[k] = (round(wga, 1), round(pr, 1), round(q["minority_recall"], 2), len(np.unique(g)))
    print(name, seed, row, "n_inter", len(np.unique(inter)), flush=True)
    out[arg] = row
json.dump(out, open(root/"results/probes/consensus.json", "w"), indent=1)
