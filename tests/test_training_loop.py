"""One training loop (exmap.train.train_model) for ERM, JTT, Group DRO, CVaR DRO and LfF: each method's weights
equal what the same loop gives with the objective written out, bit for bit, on a tiny Colored MNIST."""
import os
os.environ.setdefault("OMP_NUM_THREADS", "1")
import numpy as np
import pytest
import torch
import torch.nn.functional as F
import exmap  # before torchvision
from exmap.data import colored_mnist
from exmap.train import Objective, get_model, train_erm, train_model
from exmap.dro import (CVaRDRO, CVaRObjective, GroupDRO, GroupDROObjective, LfF, LfFObjective, gce_loss)
from exmap.jtt import JTT, upsample_repeats

torch.set_num_threads(1)
KW = dict(epochs=1, batch_size=64, progress=False)


@pytest.fixture(scope="module")
def data():
    d = colored_mnist(n_train=256, n_val=96, n_test=8, p_train=0.9, p_val=0.9, seed=0)
    return d["train"], d["val"]


def same_weights(a, b) -> bool:
    sa, sb = a.state_dict(), b.state_dict()
    return sa.keys() == sb.keys() and all(torch.equal(sa[k], sb[k]) for k in sa)


def erm(tr, va, seed=0, **kw):
    return train_erm(get_model("cnn", seed=seed), tr, va, seed=seed, **{**KW, **kw})[0]


def test_mean_objective_has_the_built_in_gradient():
    "ERM's objective (mean of per-sample cross-entropies) has F.cross_entropy's gradient exactly."
    torch.manual_seed(0)
    for n in (1, 7, 64, 129):
        x, y = torch.randn(n, 2, requires_grad=True), torch.randint(0, 2, (n,))
        g_ref, = torch.autograd.grad(F.cross_entropy(x, y), x)
        g_obj, = torch.autograd.grad(Objective()(x, y, torch.arange(n), None), x)
        assert torch.equal(g_ref, g_obj)


def test_train_erm_is_train_model(data):
    tr, va = data
    a = erm(tr, va, repeats=np.where(np.arange(len(tr)) % 5 == 0, 3, 1))
    b = train_model(get_model("cnn", seed=0), tr, va, Objective(), random_state=0,
                    repeats=np.where(np.arange(len(tr)) % 5 == 0, 3, 1), **KW)[0]
    assert same_weights(a, b)


def test_one_group_dro_and_full_cvar_are_erm(data):
    "Group DRO with one group and CVaR at alpha = 1 minimise the mean loss: the ERM weights, bit for bit."
    tr, va = data
    ref = erm(tr, va)
    one = GroupDROObjective(np.zeros(len(tr), np.int64))
    assert same_weights(ref, train_model(get_model("cnn", seed=0), tr, va, one, **KW)[0])
    assert same_weights(ref, train_model(get_model("cnn", seed=0), tr, va, CVaRObjective(1.0), **KW)[0])
    assert same_weights(ref, GroupDRO(**{k: v for k, v in KW.items() if k != "progress"}).fit(tr, va).model_)


def test_estimators_run_the_loop_with_their_objective(data):
    "GroupDRO and CVaRDRO give what train_model gives with their objectives."
    tr, va = data
    g = tr.g
    gd = GroupDRO(eta=0.5, epochs=1, batch_size=64, random_state=3).fit(tr, va, g, va.g)
    obj = GroupDROObjective(g, eta=0.5)
    assert same_weights(gd.model_, train_model(get_model("cnn", seed=3), tr, va, obj, random_state=3, **KW)[0])
    np.testing.assert_allclose(gd.q_, obj.loss.q.numpy(), rtol=0, atol=1e-7)
    cv = CVaRDRO(alpha=0.3, epochs=1, batch_size=64).fit(tr, va)
    assert same_weights(cv.model_, train_model(get_model("cnn", seed=0), tr, va, CVaRObjective(0.3), **KW)[0])


class _LfFWrittenOut(Objective):
    "LfF's batch loss as the estimator computed it in its own loop (no per-class normalisation)."
    def __init__(self, biased, n, q=0.7, ema=0.7):
        self.biased, self.q, self.ema = biased, q, ema
        self.ema_b, self.ema_d = torch.zeros(n), torch.zeros(n)
    def parameters(self): return list(self.biased.parameters())
    def __call__(self, out, y, idx, x):
        out_b = self.biased(x)
        ce_b = F.cross_entropy(out_b, y, reduction="none").detach().cpu()
        ce_d = F.cross_entropy(out, y, reduction="none").detach().cpu()
        self.ema_b[idx] = self.ema * self.ema_b[idx] + (1 - self.ema) * ce_b
        self.ema_d[idx] = self.ema * self.ema_d[idx] + (1 - self.ema) * ce_d
        w = self.ema_b[idx] / (self.ema_b[idx] + self.ema_d[idx] + 1e-8)
        return (F.cross_entropy(out, y, reduction="none") * w).mean() + gce_loss(out_b, y, self.q).mean()


def test_lff_without_class_norm_is_the_written_out_loss(data):
    tr, va = data
    lf = LfF(class_norm=False, epochs=1, batch_size=64).fit(tr, va)
    biased = get_model("cnn", seed=1).train()
    ref = train_model(get_model("cnn", seed=0), tr, va, _LfFWrittenOut(biased, len(tr)), **KW)[0]
    assert same_weights(lf.model_, ref) and same_weights(lf.biased_model_, biased)


def test_lff_class_norm_divides_by_the_class_maximum():
    obj = LfFObjective(torch.nn.Identity(), [0, 0, 1, 1], class_norm=True)
    obj.ema_b, obj.ema_d = torch.tensor([1., 4., 2., 2.]), torch.tensor([2., 2., 1., 3.])
    b, d = torch.tensor([.25, 1., 1., 1.]), torch.tensor([1., 1., 1 / 3, 1.])
    torch.testing.assert_close(obj.weights(), b / (b + d + 1e-8))
    torch.testing.assert_close(obj.weights(torch.tensor([3, 0])), (b / (b + d + 1e-8))[[3, 0]])


def test_jtt_retraining_is_erm_with_repeats(data):
    "A JTT candidate is ERM on the upsampled epoch: train_erm(repeats=...) with the same seed, bit for bit."
    tr, va = data
    errors = {1: (np.arange(len(tr)) % 9 == 0)}
    j = JTT(T_grid=(1,), lambdas=(4,), epochs=1, batch_size=64, random_state=2).fit(tr, va, errors=errors)
    ref = erm(tr, va, seed=2, repeats=upsample_repeats(errors[1], 4))
    assert same_weights(j.model_, ref)


class _StopInEpoch2(GroupDROObjective):
    "Group DRO that stops the run at the end of epoch 2 (after epoch 1's state was saved) when `stop`."
    stop, epochs_seen = False, 0
    def on_epoch(self):
        self.epochs_seen += 1
        if self.stop and self.epochs_seen == 2: raise KeyError("stopped")
        return super().on_epoch()


def test_resumed_group_dro_equals_uninterrupted(data, tmp_path):
    "The objective's state (Group DRO's q) is saved with the per-epoch state, so a resumed run ends the same."
    tr, _ = data
    kw = dict(KW, epochs=2)
    full_obj = GroupDROObjective(tr.g, eta=0.5)
    full = train_model(get_model("cnn", seed=0), tr, None, full_obj, **kw)[0]
    stopper = _StopInEpoch2(tr.g, eta=0.5); stopper.stop = True
    with pytest.raises(KeyError):
        train_model(get_model("cnn", seed=0), tr, None, stopper, resume_path=tmp_path/"s.pt", **kw)
    obj = _StopInEpoch2(tr.g, eta=0.5)
    resumed = train_model(get_model("cnn", seed=0), tr, None, obj, resume_path=tmp_path/"s.pt", **kw)[0]
    assert obj.epochs_seen == 1                       # only epoch 2 was trained again
    assert same_weights(full, resumed) and torch.equal(full_obj.loss.q, obj.loss.q)


def test_random_state_everywhere(data):
    tr, va = data
    rs = lambda: np.random.RandomState(5)
    a = train_model(get_model("cnn", seed=0), tr, None, random_state=rs(), **KW)[0]
    b = train_model(get_model("cnn", seed=0), tr, None, random_state=rs(), **KW)[0]
    assert same_weights(a, b)
    for est in (GroupDRO, CVaRDRO, LfF):
        assert "random_state" in est().get_params() and "seed" not in est().get_params()
        with pytest.raises(TypeError): est(seed=0)
