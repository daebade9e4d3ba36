"""exmap.afr: AFR lifts the worst group of a shortcut-trained head; gamma=0 without penalty is class-balanced logistic
regression; bad input is refused."""
import os
os.environ.setdefault("OMP_NUM_THREADS", "1")
import numpy as np
import pytest
import torch
from sklearn.linear_model import LogisticRegression
from exmap.afr import AFR, afr_heads, afr_weights
from exmap.metrics import group_accuracy

torch.set_num_threads(1)

def toy(n, p, seed):
    "Feature 0 carries the class weakly, feature 1 a shortcut that agrees with the class with probability p."
    r = np.random.default_rng(seed)
    y = r.integers(0, 2, n); s = np.where(r.random(n) < p, y, 1 - y)
    X = np.c_[(2 * y - 1) * 1.0 + r.normal(0, 1, n), (2 * s - 1) * 3.0 + r.normal(0, 0.5, n), r.normal(0, 1, (n, 8))]
    return X, y, 2 * y + s

@pytest.fixture(scope="module")
def shortcut():
    Xtr, ytr, _ = toy(4000, 0.95, 2); Xv, yv, gv = toy(2000, 0.95, 0); Xt, yt, gt = toy(4000, 0.5, 1)
    erm = LogisticRegression().fit(Xtr, ytr)
    return dict(Xv=Xv, yv=yv, gv=gv, Xt=Xt, yt=yt, gt=gt, erm=erm)

def wga(pred, d): return float(np.nanmin(group_accuracy(d["yt"], pred, d["gt"])))

def test_afr_beats_the_shortcut_head(shortcut):
    d, erm = shortcut, shortcut["erm"]
    afr = AFR(random_state=0).fit(d["Xv"], d["yv"], d["gv"], erm_coef=erm.coef_, erm_intercept=erm.intercept_)
    assert wga(erm.predict(d["Xt"]), d) < 0.4
    assert wga(afr.predict(d["Xt"]), d) > wga(erm.predict(d["Xt"]), d) + 0.3
    assert afr.gamma_ > 0 and afr.selection_ == "worst-group"

def test_p_true_from_the_head_equals_p_true_given(shortcut):
    d, erm = shortcut, shortcut["erm"]
    kw = dict(gamma_grid=(4.,), lambda_grid=(0.1,))
    a = AFR(**kw).fit(d["Xv"], d["yv"], erm_coef=erm.coef_, erm_intercept=erm.intercept_)
    p = erm.predict_proba(d["Xv"])[np.arange(len(d["yv"])), d["yv"]]
    b = AFR(**kw).fit(d["Xv"], d["yv"], p_true=p, erm_coef=erm.coef_, erm_intercept=erm.intercept_)
    np.testing.assert_allclose(a.p_true_, p, atol=1e-9)
    np.testing.assert_allclose(a.coef_, b.coef_, atol=1e-6)

def test_gamma0_no_penalty_is_class_balanced_logistic_regression():
    r = np.random.default_rng(1)
    X = r.normal(0, 1, (800, 5)); y = (X[:, 0] - 0.5 * X[:, 1] + r.normal(0, 1, 800) > 0.8).astype(int)  # imbalanced
    afr = AFR(gamma_grid=(0.,), lambda_grid=(0.,), p_true_default="uniform").fit(X, y)
    lr = LogisticRegression(C=np.inf, class_weight="balanced", tol=1e-10, max_iter=2000).fit(X, y)
    np.testing.assert_allclose(afr.coef_, lr.coef_, atol=1e-4)
    np.testing.assert_allclose(afr.intercept_, lr.intercept_, atol=1e-4)
    np.testing.assert_allclose(afr.predict_proba(X), lr.predict_proba(X), atol=1e-5)

def test_gamma0_no_penalty_multiclass():
    r = np.random.default_rng(2); y = r.integers(0, 3, 900); y[:300] = 0
    X = np.eye(3)[y] + r.normal(0, 1.0, (900, 3))
    afr = AFR(gamma_grid=(0.,), lambda_grid=(0.,), p_true_default="uniform").fit(X, y)
    lr = LogisticRegression(C=np.inf, class_weight="balanced", tol=1e-10, max_iter=2000).fit(X, y)
    np.testing.assert_allclose(afr.predict_proba(X), lr.predict_proba(X), atol=1e-5)

def test_weights_and_penalty():
    p, y = np.array([0.99, 0.2, 0.9, 0.9, 0.1]), np.array([0, 0, 1, 1, 1])
    np.testing.assert_allclose(afr_weights(p, y, 0.0), [1 / 4, 1 / 4, 1 / 6, 1 / 6, 1 / 6], atol=1e-12)
    np.testing.assert_allclose(afr_weights(p, y, [0.0, 3.0]).sum(1), [1.0, 1.0], atol=1e-12)
    r = np.random.default_rng(0); X = r.normal(0, 1, (300, 3)); yy = (X[:, 0] > 0).astype(int)
    W0, b0 = r.normal(0, 1, (2, 3)), np.array([0.2, -0.2])
    W, b, _ = afr_heads(X, yy, afr_weights(np.ones(300), yy, 0.0)[None], [1e6], W0, b0)
    np.testing.assert_allclose(W[0], W0, atol=1e-4); np.testing.assert_allclose(b[0], b0, atol=1e-4)

def test_bad_input(shortcut):
    d = shortcut
    with pytest.raises(ValueError, match="pass p_true="): AFR().fit(d["Xv"], d["yv"])
    with pytest.raises(ValueError, match=r"probabilities in \[0, 1\]"):
        AFR().fit(d["Xv"], d["yv"], p_true=np.full(len(d["yv"]), np.nan))
    with pytest.raises(ValueError, match="do not fit 2 classes"): AFR().fit(d["Xv"], d["yv"], erm_coef=np.zeros((3, 10)))
    with pytest.raises(ValueError, match="without erm_coef"):
        AFR().fit(d["Xv"], d["yv"], p_true=np.ones(len(d["yv"])), erm_intercept=np.zeros(2))
    with pytest.raises(ValueError, match="Unknown p_true_default"): AFR(p_true_default="x").fit(d["Xv"], d["yv"])

from sklearn.utils.estimator_checks import parametrize_with_checks

@parametrize_with_checks([AFR(gamma_grid=(0., 4.), lambda_grid=(0.1,), n_tune_splits=2, p_true_default="uniform")])
def test_sklearn_checks(estimator, check):
    "scikit-learn's common checks (no p_true is passed in them: `p_true_default='uniform'`)."
    check(estimator)
