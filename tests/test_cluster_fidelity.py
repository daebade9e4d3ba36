"""Spectral clustering on graphs that take the sparse path (N > 1000): disconnected kNN graphs must give one zero
eigenvalue per piece, and the eigengap must then choose the number of pieces."""
import numpy as np
import pytest
from scipy import sparse
from sklearn.metrics import adjusted_rand_score
from exmap.cluster import EigengapSpectral, knn_affinity, laplacian_eigen, eigengap, default_n_neighbors

def blobs(sizes, d=20, sep=30., seed=0):
    "Well-separated Gaussian blobs (their kNN graph falls apart into one piece per blob)."
    r = np.random.default_rng(seed)
    lab = np.repeat(np.arange(len(sizes)), sizes)
    return r.normal(0, sep, (len(sizes), d))[lab] + r.normal(0, 1, (len(lab), d)), lab

CASES = [([2400, 2400, 100, 100], 0), ([2400, 2400, 100, 100], 1),  # two pieces take the sparse solver
         ([1500, 1200, 300, 150, 50], 3), ([1100, 1100, 400, 200, 100, 50], 4)]

@pytest.mark.parametrize("sizes,seed", CASES)
def test_disconnected_pieces_sparse_path(sizes, seed):
    X, lab = blobs(sizes, seed=seed)
    assert len(X) > 1000  # the sparse path
    est = EigengapSpectral(random_state=seed, eigen_solver="lobpcg" if seed % 2 else "arpack").fit(X)
    assert est.n_clusters_ == len(sizes)
    assert est.n_components_ == len(sizes)
    assert np.allclose(est.eigenvalues_[:len(sizes)], 0, atol=1e-8)
    assert adjusted_rand_score(lab, est.labels_) == pytest.approx(1.0)

def test_laplacian_eigen_zero_multiplicity():
    X, _ = blobs([2400, 2400, 100, 100], seed=5)
    vals, vecs, dd = laplacian_eigen(knn_affinity(X), 8)
    assert (vals < 1e-8).sum() == 4 and vals[4] > 0.05
    assert eigengap(vals, 2, 7) == 4
    # each zero eigenvector is constant (after dividing by sqrt(degree)) on its piece
    assert np.allclose(np.linalg.norm(vecs[:, :4], axis=0), 1)

def test_connected_sparse_path_unchanged():
    X, lab = blobs([1500, 1500, 60], sep=1.0, seed=0)
    A = knn_affinity(X)
    assert sparse.csgraph.connected_components(A)[0] == 1
    est = EigengapSpectral(random_state=0).fit(X)
    assert est.n_components_ == 1 and est.n_clusters_ >= 2

def test_knn_rules():
    assert default_n_neighbors(5000) == 7 and default_n_neighbors(5000, "round_ln") == 9  # the default rule is the authors'
    X, _ = blobs([600, 600], seed=0)
    A = knn_affinity(X, knn_rule="authors")  # int(ln N) neighbours counting the sample itself: int(ln 1200) - 1 = 6 others
    assert A.diagonal().sum() == 0 and A.max() == 1
    B = knn_affinity(X, knn_rule="round_ln")
    assert A.nnz < B.nnz and knn_affinity(X).nnz == A.nnz
