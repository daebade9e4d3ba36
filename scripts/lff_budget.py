"""LfF's budget on this package's Colored MNIST (issue 24: "where a paper's result cannot be reached on a CPU budget,
say which budget, and show the trend as the budget grows"). `nbs/24_dro.ipynb` trains every robust method for 5 epochs
and picks the epoch on validation; this trains `exmap.dro.LfF` with 24_dro's recipe (the same data, sizes, seeds and
settings: q 0.7, EMA 0.7, no weight decay, Adam lr 1e-3, batch 128) for 30 epochs once per seed, and reads off the
model each validation rule would pick within the first 5, 10, 15 and 30 epochs (`LfF.reselect(max_epoch=E)`; Adam at
a fixed rate: the first E epochs of a 30-epoch run are an E-epoch run). Rules: the true validation groups ("val
groups"; ExMap's validation pseudo-groups equal them on every seed in 24_dro, so "ExMap val" would pick the same), and
mean accuracy (label-free, 24_dro's "LfF" row). The 5-epoch rows are 24_dro's LfF rows, trained again.
Usage: bash scripts/pinned.sh .venv/bin/python scripts/lff_budget.py run SEED   (one seed a process; 3 in parallel)
       .venv/bin/python scripts/lff_budget.py --summary   (gathers results/probes/lff_budget.json)
Result (2026-12-07, about 22 min a seed with three side by side on 2 cores): test WGA picked on validation WGA within
5 / 10 / 15 / 30 epochs 15.8 / 21.0 / 24.7 / 25.4 (seed 0 31.5 -> 56.6, seeds 1 and 2 stay at 7.2 and 12.4); picked on
mean accuracy 14.2 at every budget; ERM 0.0. The 5-epoch rows equal 24_dro's."""
import json, sys, time
import numpy as np, torch
from exmap.experiment import project_root, cached_erm, get_dataset, method_result
from exmap.dro import LfF
from exmap.train import predict
torch.set_num_threads(1)
root = project_root(); parts = root/"cache/probes/lff_budget"; path = root/"results/probes/lff_budget.json"
BUDGETS, EPOCHS = (5, 10, 15, 30), 30

def run(seed):
    t0 = time.time(); parts.mkdir(parents=True, exist_ok=True)
    data = dict(name="cmnist", seed=seed, p_train=0.99, p_val=0.99, p_test=0.99, n_train=10000, n_val=5000,
                n_test=None)   # 24_dro's committed runs (make dro DRO_SIZE)
    ds = get_dataset("cmnist", **{k: v for k, v in data.items() if k != "name"})
    train, val, test = ds["train"], ds["val"], ds["test"]
    erm, _ = cached_erm(train, val, data, model="cnn", epochs=3, lr=1e-3, batch_size=128, seed=seed,
                        cache_dir=root/"cache")   # 24_dro's ERM (its cache key)
    counts = train.group_counts()
    score = lambda pred: method_result(test.y, pred, test.g, train.info, counts)
    lff = LfF(q=0.7, ema=0.7, weight_decay=0.0, model="cnn", epochs=EPOCHS, lr=1e-3, batch_size=128, random_state=seed,
              progress=False).fit(train, val)
    res = dict(seed=seed, erm_test_wga=score(predict(erm, test.x).argmax(1))["test_wga"], wall_s=None, budgets={})
    for rule, g in (("val groups", val.g), ("mean accuracy", None)):
        for E in BUDGETS:
            m, ep = lff.reselect(g, max_epoch=E)
            r = score(predict(m, test.x).argmax(1))
            res["budgets"][f"{rule}, {E}"] = dict(epoch=ep, test_wga=round(r["test_wga"], 2),
                                                  test_mean=round(r["test_mean"], 2))
    res["wall_s"] = round(time.time() - t0)
    (parts/f"seed{seed}.json").write_text(json.dumps(res) + "\n"); print(json.dumps(res))

def summary():
    got = {f.stem: json.loads(f.read_text()) for f in sorted(parts.glob("*.json"))} if parts.exists() else {}
    if got: path.write_text(json.dumps(got, indent=1) + "\n")
    got = json.loads(path.read_text())
    print(f"LfF on Colored MNIST (10k train / 5k val, 99 %), {len(got)} seeds; test WGA mean ± std (per seed) "
          f"[epoch picked]; ERM {np.mean([v['erm_test_wga'] for v in got.values()]):.1f}")
    for key in next(iter(got.values()))["budgets"]:
        w = [v["budgets"][key]["test_wga"] for v in got.values()]
        ep = [v["budgets"][key]["epoch"] for v in got.values()]
        sd = np.std(w, ddof=1) if len(w) > 1 else 0.0
        print(f"  {key:20s} {np.mean(w):5.1f} ± {sd:4.1f}  ({' / '.join(f'{x:.1f}' for x in w)})  "
              f"[{' / '.join(map(str, ep))}]")

if __name__ == "__main__":
    cmd, *args = sys.argv[1:] or ["--summary"]
    {"run": lambda: run(int(args[0])), "--summary": summary}[cmd]()
