"""Exploratory probe, not a study (no default rests on it): on `nbs/24_dro.ipynb`'s Colored MNIST (10,000 training,
5,000 validation images, 99 % aligned, 3 seeds), is DFR with true groups held back by the ERM model's features?
DFR with the published protocol and the true validation groups is fitted on the penultimate features of (a) the ERM
model and (b) the Group DRO model trained with 24_dro's recipe, same data and seeds, all through the package.
Writes results/probes/dro_features.json.  Run: bash scripts/pinned.sh .venv/bin/python scripts/probe_dro_features.py"""
import json, time
import torch
import exmap
from exmap.core import atomic_write_json
from exmap.experiment import cached_erm, get_dataset, method_result, project_root
from exmap.train import extract_features
from exmap.dro import GroupDRO
from exmap.dfr import DFR, DFR_PUBLISHED

torch.set_num_threads(1)
root, out = project_root(), {}
for seed in (0, 1, 2):
    t0 = time.perf_counter()
    data = dict(name="cmnist", seed=seed, p_train=0.99, p_val=0.99, p_test=0.99, n_train=10000, n_val=5000, n_test=None)
    ds = get_dataset("cmnist", **{k: v for k, v in data.items() if k != "name"})
    tr, va, te = ds["train"], ds["val"], ds["test"]
    score = lambda pred: round(method_result(te.y, pred, te.g, tr.info, tr.group_counts())["test_wga"], 2)
    erm, _ = cached_erm(tr, va, data, model="cnn", epochs=3, lr=1e-3, batch_size=128, seed=seed,
                        cache_dir=root/"cache", progress=False)
    gdro = GroupDRO(eta=0.01, adjustment=2.0, weight_decay=1e-4, model="cnn", epochs=5, lr=1e-3, batch_size=128,
                    random_state=seed, progress=False).fit(tr, va, tr.g, va.g)
    res = {"Group DRO": score(gdro.predict(te.x))}
    for name, m in (("ERM", erm), ("Group DRO", gdro.model_)):
        head = DFR(random_state=seed, **DFR_PUBLISHED).fit(extract_features(m, va.x), va.y.numpy(), va.g)
        res[f"DFR (true groups) on {name} features"] = score(head.predict(extract_features(m, te.x)))
    out[f"seed{seed}"] = {**res, "seconds": round(time.perf_counter() - t0, 1)}
    print(seed, out[f"seed{seed}"], flush=True)
atomic_write_json(root/"results"/"probes"/"dro_features.json", out)
