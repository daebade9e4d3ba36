"""ResNet-50 LRP heatmaps per second against a plain gradient pass over the same batches, in one run.

    OMP_NUM_THREADS=1 PYTHONPATH=. .venv/bin/python benchmarks/resnet50_lrp.py [--n 16] [--batch-size 8] [--size 224] [--repeats 3]

All passes explain the predicted class of the same random 224 px images with a torchvision ResNet-50 (random
weights: the cost of LRP does not depend on the weights' values). The gradient pass is one forward and one plain
backward. LRP goes through `exmap.lrp.compute_heatmaps` twice per composite: with `engine="zennit"` (zennit's hooks,
the ResNet canonizer that merges BatchNorm, registered once per call) and, where it applies (the "exmap" composite),
with `engine="fast"` (`FastEpsilonPlus`: explicit passes with modified weights, BatchNorm folded once per call).
Prints the median of `--repeats` alternating runs, images per second, the ratio to the gradient pass, and the largest
difference between the fast and the zennit heatmaps of the last repeat (relative to the largest |value|).
`--device cuda` times a GPU (synchronised).
"""
import argparse, statistics, time
import torch
import exmap
import numpy as np
from exmap.lrp import compute_heatmaps, lrp_engine
from exmap.train import get_model


def gradient_pass(model, x, batch_size, device):
    "Input gradients of the predicted class's logit: the plain baseline."
    model.eval()
    for p in model.parameters(): p.requires_grad_(False)
    for i in range(0, len(x), batch_size):
        xb = x[i:i + batch_size].to(device).requires_grad_(True)
        logits = model(xb)
        logits.gather(1, logits.argmax(1, keepdim=True)).sum().backward()
        xb.grad.cpu()
    for p in model.parameters(): p.requires_grad_(True)


def timed(fn, device):
    if device.type == "cuda": torch.cuda.synchronize()
    t0 = time.perf_counter(); fn()
    if device.type == "cuda": torch.cuda.synchronize()
    return time.perf_counter() - t0


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=16); ap.add_argument("--batch-size", type=int, default=8)
    ap.add_argument("--size", type=int, default=224); ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--composites", default="exmap", help="comma-separated exmap.lrp composite names")
    ap.add_argument("--device", default=None)
    a = ap.parse_args()
    device = torch.device(a.device) if a.device else torch.device("cuda" if torch.cuda.is_available() else "cpu")
    torch.manual_seed(0)
    x = torch.randn(a.n, 3, a.size, a.size)
    model = get_model("tv:resnet50", seed=0).eval().to(device)
    runs = {"gradient": None}  # name -> (composite, engine)
    for c in a.composites.split(","):
        runs[f"{c} (zennit)"] = (c, "zennit")
        if lrp_engine(model, c) == "fast": runs[f"{c} (fast)"] = (c, "fast")
    gradient_pass(model, x[:a.batch_size], a.batch_size, device)  # warm-up
    t, maps = {k: [] for k in runs}, {}
    for _ in range(a.repeats):
        for k, ce in runs.items():
            if ce is None:
                t[k].append(timed(lambda: gradient_pass(model, x, a.batch_size, device), device)); continue
            def lrp(): maps[k] = compute_heatmaps(model, x, ce[0], batch_size=a.batch_size, size=112, device=device,
                                                  progress=False, engine=ce[1])[0]
            t[k].append(timed(lrp, device))
    med = {k: statistics.median(v) for k, v in t.items()}
    print(f"ResNet-50, {a.n} images at {a.size} px, batch {a.batch_size}, {a.repeats} repeats, device {device}, "
          f"torch threads {torch.get_num_threads()}")
    for k, v in med.items():
        print(f"{k:>22}: median {v:.2f} s  ({a.n / v:.2f} images/s)" + ("" if k == "gradient" else f"  ratio to gradient {v / med['gradient']:.2f}"))
    for k, ce in runs.items():
        if ce is None or ce[1] != "fast": continue
        c = ce[0]; ref = maps[f"{c} (zennit)"]
        print(f"{c}: fast vs zennit heatmaps, max |difference| / max |zennit| = {np.abs(maps[k] - ref).max() / np.abs(ref).max():.1e}, "
              f"zennit time / fast time = {med[f'{c} (zennit)'] / med[k]:.2f}")


if __name__ == "__main__": main()
