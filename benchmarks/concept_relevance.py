"""ResNet-50 concept relevance (`exmap.concepts.concept_relevance`, layer4) against the pixel LRP heatmap pass
(`exmap.lrp.compute_heatmaps`) on the same batch, in one run.

    OMP_NUM_THREADS=1 PYTHONPATH=. .venv/bin/python benchmarks/concept_relevance.py [--n 8] [--repeats 5]

A torchvision ResNet-50 with random weights (the cost of LRP does not depend on the weights' values) explains the
predicted class of `--n` random 224 px images, in one batch, on the CPU unless `--device` says otherwise. Each repeat
runs the pixel pass and the concept pass once, alternating which goes first, so that drifts in machine load hit both.
With `--engine auto` both use `exmap.lrp.FastLRP`; the concept pass runs the forward pass and the backward pass only
down to layer4, the pixel pass goes on to the input. `--engine zennit` times both through zennit's hooks, which also
stop the concept pass at layer4. Prints the median seconds of each, the ratio concept / pixel, and for grid=2 too.
"""
import argparse, statistics, time
import torch
import exmap
from exmap.concepts import concept_relevance
from exmap.lrp import compute_heatmaps
from exmap.train import get_model


def timed(fn, device) -> float:
    if device.type == "cuda": torch.cuda.synchronize()
    t0 = time.perf_counter(); fn()
    if device.type == "cuda": torch.cuda.synchronize()
    return time.perf_counter() - t0


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=8); ap.add_argument("--size", type=int, default=224)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--engine", default="auto", choices=["auto", "zennit", "fast"])
    ap.add_argument("--device", default="cpu")
    a = ap.parse_args()
    device = torch.device(a.device)
    torch.manual_seed(0)
    x = torch.rand(a.n, 3, a.size, a.size)
    model = get_model("tv:resnet50", seed=0).eval().to(device)
    kw = dict(batch_size=a.n, device=device, progress=False, engine=a.engine)
    runs = {"pixel": lambda: compute_heatmaps(model, x, **kw),
            "concept": lambda: concept_relevance(model, x, layer="layer4", **kw),
            "concept grid=2": lambda: concept_relevance(model, x, layer="layer4", grid=2, **kw)}
    for f in runs.values(): f()  # warm-up
    t = {k: [] for k in runs}
    names = list(runs)
    for r in range(a.repeats):
        for k in (names if r % 2 == 0 else names[::-1]): t[k].append(timed(runs[k], device))
    med = {k: statistics.median(v) for k, v in t.items()}
    print(f"ResNet-50, {a.n} images {a.size}x{a.size}, {device}, engine={a.engine}, threads={torch.get_num_threads()}, "
          f"median of {a.repeats}:")
    for k, v in med.items():
        print(f"  {k:15s} {v:7.3f} s  ({a.n / v:6.2f} images/s)  concept/pixel {v / med['pixel']:.2f}")


if __name__ == "__main__": main()
