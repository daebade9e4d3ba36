"""Eigengap spectral clustering (sparse kNN affinity, one eigendecomposition) against scikit-learn's
SpectralClustering with the same kNN affinity and k, on the same heatmap-like data, in one run.

    .venv/bin/python benchmarks/cluster_speed.py [--n 2000 5000 10000] [--d 588] [--repeats 3]

exmap's clusterer also chooses k (eigengap over the 10 smallest eigenvalues) from that same decomposition;
scikit-learn is given the k it found. Prints median seconds per N and the ratio exmap / scikit-learn.
"""
import argparse, statistics, time, warnings
import numpy as np
from sklearn.cluster import SpectralClustering
from sklearn.metrics import adjusted_rand_score
from exmap.cluster import EigengapSpectral, default_n_neighbors

def data(n, d, seed=0):
    "Four clusters of unequal size (like class x colour groups) in d dimensions, rows scaled to max |value| 1."
    r = np.random.default_rng(seed)
    sizes = np.array([0.49, 0.01, 0.01, 0.49]) * n
    labels = np.repeat(np.arange(4), np.maximum(sizes.astype(int), 5))[:n]
    centers = r.normal(0, 1, (4, d))
    X = centers[labels] + r.normal(0, 0.6, (len(labels), d))
    return X / np.abs(X).max(1, keepdims=True), labels

def main():
    warnings.filterwarnings("ignore", message="Graph is not fully connected")
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, nargs="+", default=[2000, 5000, 10000]); ap.add_argument("--d", type=int, default=588)
    ap.add_argument("--repeats", type=int, default=3)
    a = ap.parse_args()
    print(f"d={a.d} repeats={a.repeats}")
    print(f"{'N':>7} {'exmap s':>9} {'sklearn s':>10} {'ratio':>6} {'k':>3} {'ARI exmap':>10} {'ARI sklearn':>12}")
    for n in a.n:
        X, lab = data(n, a.d)
        te, ts = [], []
        for _ in range(a.repeats):
            t0 = time.perf_counter(); est = EigengapSpectral(random_state=0).fit(X); te.append(time.perf_counter() - t0)
            k = est.n_clusters_
            sk = SpectralClustering(k, affinity="nearest_neighbors", n_neighbors=default_n_neighbors(len(X)),
                                    assign_labels="cluster_qr", random_state=0)
            t0 = time.perf_counter(); sk.fit(X); ts.append(time.perf_counter() - t0)
        e, s = statistics.median(te), statistics.median(ts)
        print(f"{len(X):>7} {e:>9.2f} {s:>10.2f} {e / s:>6.2f} {k:>3} {adjusted_rand_score(lab, est.labels_):>10.3f} "
              f"{adjusted_rand_score(lab, sk.labels_):>12.3f}")

if __name__ == "__main__": main()
