"""Peak memory of streamed extraction for N = 500 and N = 2,000 images at 224 px, in one run: bounded, independent of N.

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/extract_memory.py [--ns 500,2000] [--model tiny]

Writes N JPEGs (224 px) and a CSV in a temporary folder, then for each N runs `exmap.extract.extract` in a fresh
process (file-backed dataset, 2 DataLoader workers, batch 32, heatmaps pooled to 112 px and streamed to disk) and
prints that process's peak resident memory (ru_maxrss of the main process; each worker holds one batch) with the time.
`--model tiny` (default) is a two-convolution network so that 2,000 LRP passes finish in minutes on a CPU; the memory
of the data path does not depend on the model. `--model resnet50` measures the real one (use a GPU).
For comparison: holding the images in memory would take N x 3 x 224 x 224 x 4 bytes (2.4 GB at N = 2,000).
"""
import argparse, json, os, resource, subprocess, sys, tempfile, time
from pathlib import Path


def child(csv, out, model_name):
    import torch
    import exmap
    from torch import nn
    from exmap.extract import extract
    from exmap.images import image_folder
    from exmap.train import get_model
    torch.set_num_threads(1)
    ds = image_folder(csv, splits="val", image_size=224, verbose=False)["val"]
    if model_name == "tiny":
        torch.manual_seed(0)
        model = nn.Sequential(nn.Conv2d(3, 8, 7, stride=4, padding=3), nn.BatchNorm2d(8), nn.ReLU(),
                              nn.Conv2d(8, 16, 3, stride=2, padding=1), nn.BatchNorm2d(16), nn.ReLU(),
                              nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(16, 2))
    else: model = get_model(f"tv:{model_name}", seed=0)
    t0 = time.time()
    extract(model.eval(), ds, out, size=112, batch_size=32, num_workers=2, progress=False)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(dict(n=len(ds), peak_rss_mb=round(peak_mb, 1), seconds=round(time.time() - t0, 1),
                          heatmaps_mb=round(os.path.getsize(Path(out)/"heatmaps.npy") / 2**20, 1))))


def write_images(folder, n):
    import numpy as np
    from PIL import Image
    rng = np.random.default_rng(0)
    (folder/"images").mkdir(parents=True, exist_ok=True)
    rows = ["file,label,split"]
    for i in range(n):
        img = rng.integers(0, 256, (224, 224, 3), dtype=np.uint8)
        Image.fromarray(img).save(folder/"images"/f"{i:05d}.jpg", quality=90)
        rows.append(f"images/{i:05d}.jpg,{i % 2},val")
    (folder/"labels.csv").write_text("\n".join(rows) + "\n")
    return folder/"labels.csv"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--ns", default="500,2000"); ap.add_argument("--model", default="tiny")
    ap.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.child: return child(*a.child)
    with tempfile.TemporaryDirectory() as d:
        d = Path(d)
        for n in map(int, a.ns.split(",")):
            csv = write_images(d/f"n{n}", n)
            r = subprocess.run([sys.executable, __file__, "--child", str(csv), str(d/f"out{n}"), a.model],
                               capture_output=True, text=True, env={**os.environ, "OMP_NUM_THREADS": "1"})
            if r.returncode: print(r.stderr[-2000:]); sys.exit(1)
            res = json.loads(r.stdout.strip().splitlines()[-1])
            print(f"N={res['n']:>5}: peak RSS {res['peak_rss_mb']:.0f} MB, {res['seconds']:.0f} s, heatmaps on disk "
                  f"{res['heatmaps_mb']:.0f} MB (images in memory would be {n * 3 * 224 * 224 * 4 / 2**20:.0f} MB)")


if __name__ == "__main__": main()
