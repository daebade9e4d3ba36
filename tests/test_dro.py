"Group DRO, CVaR DRO and LfF (exmap.dro) and their strategies (exmap.strategy): known answers and bad groups."
import math
import numpy as np
import pytest
import torch
import exmap
from sklearn.exceptions import NotFittedError
from exmap.data import colored_mnist
from exmap.dro import GroupDRO, CVaRDRO, LfF, GroupDROLoss, check_groups
from exmap.strategy import GroupDROStrategy, CVaRStrategy, LfFStrategy, GroupStrategy

torch.set_num_threads(1)
FAST = dict(epochs=1, batch_size=64)


@pytest.fixture(scope="module")
def tiny():
    d = colored_mnist(n_train=200, n_val=120, n_test=10, p_train=0.9, p_val=0.9, seed=0)
    return d["train"], d["val"]


def test_group_weights_move_to_the_worst_group():
    "Constant group losses 1 and 0.1: q_0 after t steps is 1 / (1 + exp(-eta * 0.9 * t)) exactly."
    obj, eta = GroupDROLoss(2, eta=0.5), 0.5
    losses, groups = torch.tensor([1., .1, .1, 1.]), torch.tensor([0, 1, 1, 0])
    for t in range(1, 11):
        robust = obj(losses, groups)
        assert obj.q[0].item() == pytest.approx(1 / (1 + math.exp(-eta * 0.9 * t)), rel=1e-5)
        assert robust.item() == pytest.approx(obj.q[0].item() * 1. + obj.q[1].item() * .1, rel=1e-5)
    assert obj.q[0] > 0.9


def shortcut_data(n: int, p: float, seed: int):
    """Two channels of 8x8: channel 0 carries the label weakly (per-image offset +-1 plus unit noise: at best ~84%
    accurate), channel 1 a clean shortcut that agrees with the label with probability p. Groups: (label, shortcut)."""
    from exmap.data import GroupDataset, GroupInfo
    r = np.random.default_rng(seed)
    y = r.integers(0, 2, n); a = np.where(r.random(n) < p, y, 1 - y)
    core = (2 * y - 1) + r.normal(0, 1, n)
    x = np.zeros((n, 2, 8, 8), np.float32)
    x[:, 0] = core[:, None, None] + r.normal(0, 0.3, (n, 8, 8))
    x[:, 1] = (2 * a - 1)[:, None, None]
    return GroupDataset(torch.tensor(x), torch.tensor(y), a[:, None], GroupInfo(["y", "shortcut"], [["0", "1"], ["0", "1"]]),
                        "shortcut")


def test_group_dro_beats_erm_on_a_strong_shortcut():
    """95% of training images carry a clean shortcut: ERM (Group DRO with one group, same trainer and selection) learns
    it and fails on the conflicting groups of a balanced test set; Group DRO with the true groups raises the worst group
    by a wide margin, and its group weights go first to the shortcut-conflicting (minority) groups."""
    from exmap.metrics import group_accuracy
    tr, va, te = shortcut_data(2000, 0.95, 0), shortcut_data(800, 0.5, 1), shortcut_data(2000, 0.5, 2)
    minority = [1, 2]                                   # (y=0, shortcut=1), (y=1, shortcut=0)
    assert np.bincount(tr.g)[minority].sum() < 0.1 * len(tr)
    kw = dict(eta=0.1, epochs=3, batch_size=64)
    erm = GroupDRO(**kw).fit(tr, va)
    gdro = GroupDRO(**kw).fit(tr, va, tr.g)
    wga = {k: 100 * np.nanmin(group_accuracy(te.y.numpy(), m.predict(te.x), te.g)) for k, m in [("erm", erm), ("gdro", gdro)]}
    assert wga["erm"] < 60, f"ERM did not take the shortcut (worst group {wga['erm']:.1f}): the problem is too easy"
    assert wga["gdro"] >= wga["erm"] + 20, wga
    q1 = gdro.history_.loc[0, [f"q{g}" for g in range(4)]].to_numpy(float)   # group weights after the first epoch
    assert q1[minority].sum() > q1[[0, 3]].sum(), f"group weights after one epoch {q1.round(3)}"
    assert np.allclose(erm.q_, [1.0])


@pytest.mark.parametrize("make", [
    lambda tr: GroupDROStrategy(tr, train_groups=tr.g, **FAST),                         # true training groups
    lambda tr: GroupDROStrategy(tr, train_groups=np.asarray(tr.y) * 3 + 1, **FAST),     # pseudo-groups, sparse ids
    lambda tr: GroupDROStrategy(tr, **FAST),                                            # none: ERM
    lambda tr: CVaRStrategy(tr, alpha=0.3, **FAST),
    lambda tr: LfFStrategy(tr, **FAST)], ids=["gdro-true", "gdro-pseudo", "gdro-none", "cvar", "lff"])
def test_strategies_take_true_pseudo_or_no_groups(tiny, make):
    tr, va = tiny
    s = make(tr)
    assert isinstance(s, GroupStrategy)
    with pytest.raises(NotFittedError): s.predict(va.x)
    for g in [va.g, np.asarray(va.y) * 5 + 2, None]:
        assert s.fit(va.x, va.y, g).predict(va.x).shape == (len(va),)
    with pytest.raises(ValueError, match="groups has 7"): s.fit(va.x, va.y, va.g[:7])
    with pytest.raises(ValueError, match="negative ids"): s.fit(va.x, va.y, va.g - 5)


@pytest.mark.parametrize("est", [GroupDRO(**FAST), CVaRDRO(**FAST), LfF(**FAST)], ids=["gdro", "cvar", "lff"])
def test_estimators_refuse_bad_groups(tiny, est):
    tr, va = tiny
    with pytest.raises(ValueError, match="val_groups has 3 entries but there are 120 samples"): est.fit(tr, va, val_groups=va.g[:3])
    with pytest.raises(ValueError, match="without val"): est.fit(tr, None, val_groups=va.g)
    with pytest.raises(NotFittedError): type(est)().predict(va.x)


def test_group_dro_refuses_bad_training_groups(tiny):
    tr, va = tiny
    with pytest.raises(ValueError, match="train_groups has 10 entries but there are 200 samples"): GroupDRO(**FAST).fit(tr, va, tr.g[:10])
    with pytest.raises(ValueError, match=r"ids must be 0\.\.1"): GroupDRO(n_groups=2, **FAST).fit(tr, va, tr.g)
    with pytest.raises(ValueError, match="integer group ids"): GroupDRO(**FAST).fit(tr, va, tr.g + 0.5)
    with pytest.raises(ValueError, match="train_groups has 5 entries"):
        GroupDROStrategy(tr, train_groups=tr.g[:5], **FAST).fit(va.x, va.y, va.g)
    assert check_groups(None, 3) is None
