"""DFR(balance="auto"): the choice between subsampling and weighting uses its own random numbers, so a fit that picks
subsampling is the `balance="subsample"` fit exactly; it picks weighting where sliver groups would shrink every
subsample to a few dozen samples; bad input."""
import numpy as np
import pytest
from exmap.dfr import DFR


def toy(n, p, seed):
    r = np.random.default_rng(seed)
    y = r.integers(0, 2, n); s = np.where(r.random(n) < p, y, 1 - y)
    X = np.c_[(2 * y - 1) * 1.0 + r.normal(0, 1, n), (2 * s - 1) * 3.0 + r.normal(0, 0.5, n), r.normal(0, 1, (n, 8))]
    return X, y, 2 * y + s


@pytest.fixture(scope="module")
def data():
    return toy(2000, 0.95, 0), toy(3000, 0.5, 1)


@pytest.mark.parametrize("pool", ["evidence", "none"])
def test_auto_that_subsamples_is_the_subsample_fit(data, pool, monkeypatch):
    (X, y, g), _ = data
    monkeypatch.setattr(DFR, "_choose_balance", lambda self, *a: ("subsample", {"subsample": 1.0, "weight": 0.0}))
    auto = DFR(balance="auto", pool=pool, random_state=3).fit(X, y, g)
    sub = DFR(balance="subsample", pool=pool, random_state=3).fit(X, y, g)
    assert auto.balance_ == "subsample" and auto.C_ == sub.C_
    np.testing.assert_allclose(auto.coef_, sub.coef_, rtol=0, atol=1e-12)
    np.testing.assert_allclose(auto.intercept_, sub.intercept_, rtol=0, atol=1e-12)


def test_auto_weights_when_a_sliver_starves_subsampling(data):
    (X, y, g), _ = data
    r = np.random.default_rng(5); sliver = y.copy()
    for c in (0, 1): sliver[r.choice(np.flatnonzero(g == c + 1), 8, replace=False)] = 2 + c
    auto, sub = (DFR(balance="auto", random_state=0).fit(X, y, sliver),
                 DFR(balance="subsample", random_state=0).fit(X, y, sliver))
    assert auto.balance_ == "weight" and set(auto.balance_scores_) == {"subsample", "weight"}
    assert auto.balance_scores_["weight"] > auto.balance_scores_["subsample"]
    assert sub.balanced_size_ <= 40 and auto.balanced_size_ == len(y)


def test_balance_attributes_and_bad_input(data):
    (X, y, g), _ = data
    assert DFR().balance == "weight"  # the default since nbs/33_dfr_balance.ipynb's study
    d = DFR(balance="weight", random_state=0).fit(X, y, g)
    assert d.balance_ == "weight" and d.balance_scores_ == {}
    with pytest.raises(ValueError, match="Unknown balance 'both'"):
        DFR(balance="both").fit(X, y, g)
