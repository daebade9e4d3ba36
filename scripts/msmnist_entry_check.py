"""Multi-shortcut MNIST through the entry point: `exmap_pseudo_groups` (fallback check, merge="none" and "evidence")
against what `nbs/21_msmnist.ipynb` reports (it calls `ExMapClusterer` directly). Uses the cached ERMs and heatmaps of
`make msmnist` (full size), with the settings each run wrote to its results JSON; prints the pseudo-group count and
DFR test WGA per seed.

    OMP_NUM_THREADS=1 .venv/bin/python scripts/msmnist_entry_check.py exmap 0 1 2    # the biased validation set
    OMP_NUM_THREADS=1 .venv/bin/python scripts/msmnist_entry_check.py wam 0 1 2      # the balanced one
"""
import json, sys, tempfile
import torch
from exmap.experiment import experiment_setup, project_root
from exmap.dfr import exmap_pseudo_groups

RUNS = {"exmap": "msmnist_valexmap", "wam": "msmnist"}  # validation variant -> the results folder of its table

def main(val_variant="exmap", *seeds):
    torch.set_num_threads(1); tmp = tempfile.mkdtemp()
    for seed in [int(s) for s in seeds] or [0]:
        st = json.loads((project_root()/"results"/RUNS[val_variant]/f"seed{seed}.json").read_text())["settings"]
        s = experiment_setup("msmnist", seed=seed, smoke=False,  # the settings of the run the table reports
                             data={k: v for k, v in st["data"].items() if k not in ("name", "seed", "n_train", "n_val", "n_test")},
                             erm={k: st[k] for k in ("model", "epochs", "lr", "batch_size")}, dfr=st["dfr"],
                             run_name="_entry_check", out_dir=tmp, fig_dir=tmp, cache_dir="cache")
        H = s.heatmaps("exmap"); out = {}
        for m in ("none", "evidence"):
            g, d = exmap_pseudo_groups(s.erm, s.val.x, s.yv, heatmaps=H, features=s.F_val, random_state=seed,
                                       progress=False, merge=m)
            out[m] = dict(case=d["case"].split(":")[0], n_groups=int(g.max()) + 1, test_wga=round(s.dfr_result(g)["test_wga"], 1))
        print(val_variant, "seed", seed, out, "class balance", round(s.dfr_result(s.yv)["test_wga"], 1), flush=True)

if __name__ == "__main__":
    main(*sys.argv[1:])
