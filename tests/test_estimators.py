"scikit-learn's common estimator checks (`parametrize_with_checks`) for every exmap estimator, on small settings."
import os
os.environ.setdefault("OMP_NUM_THREADS", "1")
import exmap  # before torchvision
import torch
from sklearn.utils.estimator_checks import parametrize_with_checks
from exmap.cluster import EigengapSpectral, ExMapClusterer
from exmap.dfr import DFR
from exmap.george import GEORGE
from exmap.jtt import JTT

torch.set_num_threads(1)

ESTIMATORS = [
    EigengapSpectral(k_max=4),
    EigengapSpectral(n_clusters=3, assign="kmeans"),
    ExMapClusterer(k_max=4),
    ExMapClusterer(mode="local", k_max=3),
    ExMapClusterer(method="kmeans", n_clusters=2, n_init=2),
    GEORGE(reduce="pca", cluster="kmeans", k_max=3, n_init=1),
    GEORGE(reduce="none", cluster="gmm", k_max=3, n_init=1),
    DFR(C_grid=(1., 0.1), n_models=2, n_tune_splits=2),
    DFR(C_grid=(1.,), n_models=2, l1_ratio=0.0),
    JTT(T_grid=(1,), lambdas=(2,), epochs=3, lr=1e-2, batch_size=32),  # model="auto": an MLP on 2-D data
]

def expected_failed_checks(est) -> dict:
    "Checks that cannot apply, declared with their reason on the class (`_expected_failed_checks`)."
    return dict(getattr(est, "_expected_failed_checks", {}))

@parametrize_with_checks(ESTIMATORS, expected_failed_checks=expected_failed_checks)
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)

def test_declared_exceptions_have_reasons():
    "Every check declared as not applicable says why; only the clusterers that choose k declare `check_clustering`."
    for est in ESTIMATORS:
        for name, why in expected_failed_checks(est).items():
            assert name.startswith("check_") and len(why) > 40, (type(est).__name__, name, why)
    assert set(expected_failed_checks(EigengapSpectral())) == set() and set(expected_failed_checks(DFR())) == set()
    assert set(expected_failed_checks(ExMapClusterer())) == {"check_clustering"} == set(expected_failed_checks(GEORGE()))
