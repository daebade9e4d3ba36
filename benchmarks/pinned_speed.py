"""The speed cost of float pinning (scripts/pinned.sh, what `make reproduce` and the papermill targets use): the same
workload in fresh subprocesses with and without the pins, alternating, median of the runs.

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/pinned_speed.py [--runs 3] [--n-train 4000] [--epochs 2] [--umap]

Workload (each stage timed on its own): ERM epochs of the small CNN on a Colored MNIST subset, one LRP heatmap pass
(ExMap composite) over the validation images, ExMap's spectral clustering of those heatmaps; `--umap` adds one UMAP
(numba; a first call compiles, so it is called twice and the second call is timed). Both arms run with the same
thread count (PIN_THREADS, default 1), so the ratio is the cost of the pinned code paths (AVX2 instead of the host's
AVX-512 kernels, generic numba code); `--unpinned-threads N` gives the unpinned arm N threads instead.
Prints seconds per stage and the ratio pinned / unpinned (> 1: pinning is slower).
"""
import argparse, json, os, statistics, subprocess, sys, time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PIN_VARS = ("ATEN_CPU_CAPABILITY", "ONEDNN_MAX_CPU_ISA", "MKL_CBWR", "OPENBLAS_CORETYPE", "NUMBA_CPU_NAME",
            "NUMBA_CPU_FEATURES", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "NUMBA_NUM_THREADS")


def pinned_env(threads: int) -> dict:
    "The environment scripts/pinned.sh sets (read from the script itself, so the two never disagree)."
    base = {k: v for k, v in os.environ.items() if k not in PIN_VARS}
    out = subprocess.run(["bash", str(ROOT/"scripts/pinned.sh"), "env", "-0"], env={**base, "PIN_FP": "1",
                         "PIN_THREADS": str(threads)}, capture_output=True, check=True).stdout.decode()
    return dict(kv.split("=", 1) for kv in out.split("\0") if "=" in kv)


def unpinned_env(threads: int) -> dict:
    base = {k: v for k, v in os.environ.items() if k not in PIN_VARS}
    t = str(threads)
    return {**base, "OMP_NUM_THREADS": t, "MKL_NUM_THREADS": t, "OPENBLAS_NUM_THREADS": t, "NUMBA_NUM_THREADS": t}


def worker(a):
    "One run of the workload in this process; prints one JSON line of stage timings."
    import numpy as np, torch
    from exmap.data import colored_mnist
    from exmap.train import get_model, train_erm
    from exmap.lrp import compute_heatmaps, prepare_heatmaps
    from exmap.cluster import ExMapClusterer
    t, T = {}, time.perf_counter
    d = colored_mnist(n_train=a.n_train, n_val=a.n_val, n_test=8, seed=0)
    t0 = T(); model, _ = train_erm(get_model("cnn", seed=0), d["train"], None, epochs=a.epochs, batch_size=128,
                                   seed=0, progress=False); t["erm"] = T() - t0
    model.eval()
    t0 = T(); H, _ = compute_heatmaps(model, d["val"].x, "exmap", progress=False); t["lrp"] = T() - t0
    P = prepare_heatmaps(H, size=14)
    t0 = T(); ExMapClusterer(random_state=0).fit(P, d["val"].y.numpy()); t["cluster"] = T() - t0
    if a.umap:
        import umap
        Z = P[:2000]
        umap.UMAP(n_neighbors=10, min_dist=0.0, random_state=0).fit_transform(Z)   # compiles (or loads numba's cache)
        t0 = T(); umap.UMAP(n_neighbors=10, min_dist=0.0, random_state=0).fit_transform(Z); t["umap"] = T() - t0
    t["total"] = sum(t.values())
    print(json.dumps(dict(t, capability=torch.backends.cpu.get_cpu_capability(), threads=torch.get_num_threads())))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=3, help="runs per arm (alternating pinned / unpinned)")
    ap.add_argument("--n-train", type=int, default=4000); ap.add_argument("--n-val", type=int, default=2000)
    ap.add_argument("--epochs", type=int, default=2); ap.add_argument("--umap", action="store_true")
    ap.add_argument("--threads", type=int, default=int(os.environ.get("PIN_THREADS", 1)), help="pinned threads")
    ap.add_argument("--unpinned-threads", type=int, default=None, help="unpinned threads (default: --threads)")
    ap.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.worker: return worker(a)
    arms = {"pinned": pinned_env(a.threads), "unpinned": unpinned_env(a.unpinned_threads or a.threads)}
    args = [sys.executable, __file__, "--worker", "--n-train", str(a.n_train), "--n-val", str(a.n_val),
            "--epochs", str(a.epochs)] + (["--umap"] if a.umap else [])
    res = {k: [] for k in arms}
    for i in range(a.runs):
        for arm in (("pinned", "unpinned") if i % 2 == 0 else ("unpinned", "pinned")):   # alternate the order
            r = subprocess.run(args, env={**arms[arm], "PYTHONPATH": str(ROOT)}, cwd=ROOT, capture_output=True,
                               text=True)
            if r.returncode:
                print(f"{arm} run {i} failed:\n{r.stderr[-3000:]}", file=sys.stderr)
                summary(res, a); sys.exit(1)
            res[arm].append(json.loads(r.stdout.strip().splitlines()[-1]))
            print(f"run {i} {arm:>8}: " + " ".join(f"{k} {v:.2f}s" for k, v in res[arm][-1].items()
                                                 if isinstance(v, float)), flush=True)
    summary(res, a)


def summary(res: dict, a):
    "Median seconds per stage of each arm over the runs both arms completed, and their ratio."
    n = min(len(v) for v in res.values())
    if n == 0: return print("no complete pair of runs")
    res = {k: v[:n] for k, v in res.items()}
    p, u = res["pinned"][0], res["unpinned"][0]
    print(f"\npinned: {p['capability']}, {p['threads']} thread(s); unpinned: {u['capability']}, {u['threads']} "
          f"thread(s); {n} runs each; n_train {a.n_train}, {a.epochs} epochs, n_val {a.n_val}")
    print(f"{'stage':>8} {'pinned s':>9} {'unpinned s':>11} {'ratio':>6}")
    for k in [k for k, v in p.items() if isinstance(v, float)]:
        mp, mu = (statistics.median(r[k] for r in res[arm]) for arm in ("pinned", "unpinned"))
        print(f"{k:>8} {mp:9.2f} {mu:11.2f} {mp / mu:6.2f}")


if __name__ == "__main__":
    main()
