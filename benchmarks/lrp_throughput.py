"""LRP heatmap throughput against a plain input-gradient pass over the same images, in one run.

    .venv/bin/python benchmarks/lrp_throughput.py [--n 2048] [--model cnn] [--repeats 5]

LRP (zennit, the "exmap" composite) costs one forward and one modified backward pass, so its time should be a small
multiple of a gradient pass. Prints the median seconds of each over `--repeats` alternating runs and their ratio,
plus `compute_heatmaps(composite="gradient")`: the same gradient through exmap's wrapper, which shows its overhead.
The machine is shared and noisy: compare the ratio, not absolute times.
"""
import argparse, statistics, time
import torch
import exmap
from exmap.data import colored_mnist
from exmap.lrp import compute_heatmaps
from exmap.train import get_model

def gradient_pass(model, x, batch_size):
    "Input gradients of the predicted class's logit: the plain baseline."
    model.eval()
    for p in model.parameters(): p.requires_grad_(False)
    out = []
    for i in range(0, len(x), batch_size):
        xb = x[i:i + batch_size].clone().requires_grad_(True)
        logits = model(xb)
        logits.gather(1, logits.argmax(1, keepdim=True)).sum().backward()
        out.append(xb.grad)
    for p in model.parameters(): p.requires_grad_(True)
    return torch.cat(out)

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=2048); ap.add_argument("--model", default="cnn")
    ap.add_argument("--batch-size", type=int, default=256); ap.add_argument("--repeats", type=int, default=5)
    a = ap.parse_args()
    x = colored_mnist(n_train=10, n_val=a.n, n_test=10)["val"].x
    model = get_model(a.model, seed=0).eval()
    t_grad, t_lrp, t_wrap = [], [], []
    for _ in range(a.repeats):
        t0 = time.perf_counter(); gradient_pass(model, x, a.batch_size); t_grad.append(time.perf_counter() - t0)
        t0 = time.perf_counter(); compute_heatmaps(model, x, "exmap", batch_size=a.batch_size, progress=False)
        t_lrp.append(time.perf_counter() - t0)
        t0 = time.perf_counter(); compute_heatmaps(model, x, "gradient", batch_size=a.batch_size, progress=False)
        t_wrap.append(time.perf_counter() - t0)
    g, l, w = statistics.median(t_grad), statistics.median(t_lrp), statistics.median(t_wrap)
    print(f"model={a.model} n={a.n} batch={a.batch_size} repeats={a.repeats} torch_threads={torch.get_num_threads()}")
    print(f"gradient pass: median {g:.3f} s ({a.n / g:.0f} images/s)")
    print(f"LRP (exmap):   median {l:.3f} s ({a.n / l:.0f} images/s)")
    print(f"gradient through compute_heatmaps: median {w:.3f} s")
    print(f"ratio LRP / gradient: {l / g:.2f}; wrapper / gradient: {w / g:.2f}")

if __name__ == "__main__": main()
