"""exmap.masktune: the mask falls where the threshold says and, on a patch shortcut, on the patch; MaskTune lifts the
worst group of a patch-reliant ERM model; the ERM model is left unchanged; bad input is refused with a message."""
import os
os.environ.setdefault("OMP_NUM_THREADS", "1")
import numpy as np
import pytest
import torch
from sklearn.base import clone
from exmap.masktune import MaskTune, cam_maps, mask_images, saliency_maps, saliency_mask
from exmap.metrics import group_accuracy
from exmap.train import get_model, predict, train_erm

torch.set_num_threads(1)

class Split:
    def __init__(self, x, y): self.x, self.y = x, y
    def __len__(self): return len(self.y)

def bars(n, p, seed, *, bar=1.0, two_patches=False, size=28, patch=8):
    """Class y: a horizontal (0) or vertical (1) bar of brightness `bar` on noise; shortcut s (= y with probability p):
    a red patch top-left when s=0, and top-right (`two_patches`) or none when s=1. Groups 2 * y + s."""
    r = np.random.default_rng(seed)
    y = r.integers(0, 2, n); s = np.where(r.random(n) < p, y, 1 - y)
    x = r.uniform(0, 0.3, (n, 3, size, size)).astype(np.float32)
    for i in range(n):
        c, L = r.integers(size // 2 - 2, size // 2 + 2), r.integers(size // 3, size // 2)
        o = r.integers(size // 4, size - size // 4 - L)
        if bar:
            if y[i] == 0: x[i, :, c, o:o + L] = bar
            else: x[i, :, o:o + L, c] = bar
        if s[i] == 0: x[i, 0, :patch, :patch] = 1.0
        elif two_patches: x[i, 0, :patch, size - patch:] = 1.0
    return torch.from_numpy(x), torch.from_numpy(y), 2 * y + s

def wga(y, pred, g): return 100 * float(np.nanmin(group_accuracy(np.asarray(y), np.asarray(pred), g)))

def test_mask_follows_the_threshold():
    sal = np.full((2, 8, 8), 0.1, np.float32); sal[:, 2:4, 5:7] = 1.0; sal[1] = 0
    x = torch.ones(2, 3, 8, 8)
    xm, m = mask_images(x, sal, fill=-1.0)
    assert m[0].sum() == 4 and m[0, 2:4, 5:7].all() and m[1].sum() == 0   # an all-zero map masks nothing
    assert torch.equal(xm[0, :, 2:4, 5:7], torch.full((3, 2, 2), -1.0)) and torch.equal(xm[1], x[1])
    assert torch.equal(x, torch.ones(2, 3, 8, 8))                         # the input is not changed
    coarse = np.full((1, 4, 4), 0.1, np.float32); coarse[0, 3, 3] = 1.0  # upsampled 4 x 4 -> 8 x 8: the hot corner
    mc = saliency_mask(coarse, (8, 8))[0]
    assert mc[6:, 6:].all() and mc.sum() == 4
    assert saliency_mask(sal, (8, 8), n_std=np.inf).sum() == 0
    # lower thresholds mask more (monotone in n_std)
    r = np.random.default_rng(0).exponential(1.0, (5, 8, 8)).astype(np.float32)  # a long tail above mean + 2 std
    assert (saliency_mask(r, (8, 8), 0.5).sum() >= saliency_mask(r, (8, 8), 1).sum()
            >= saliency_mask(r, (8, 8), 2).sum() > 0)

@pytest.fixture(scope="module")
def patch_only():
    "An ERM model that can only use the patch: no bars, top-left patch for class 0, top-right for class 1."
    x, y, g = bars(2000, 1.0, 0, bar=0.0, two_patches=True)
    erm, _ = train_erm(get_model("cnn", 2, 3, seed=0), Split(x, y), epochs=3, progress=False)
    assert (predict(erm, x).argmax(1) == y).float().mean() > 0.95
    return erm, x[:300], g[:300]

def test_lrp_mask_lies_on_the_shortcut(patch_only):
    erm, x, g = patch_only
    s, _ = saliency_maps(erm, x, "lrp", progress=False)
    m = saliency_mask(s, (28, 28))
    for k, cols in ((0, slice(0, 8)), (3, slice(20, 28))):
        region = np.zeros((28, 28), bool); region[:8, cols] = True
        mk = m[g == k]
        assert mk.any(axis=(1, 2)).mean() > 0.9                 # almost every image gets a mask
        assert (mk & region).sum() / mk.sum() > 0.9              # and the mask lies on the patch
    cx, _ = cam_maps(erm, x, progress=False)
    assert cx.shape == (300, 7, 7) and (cx >= 0).all()

def test_masktune_lifts_the_worst_group():
    xtr, ytr, _ = bars(2000, 0.99, 1); xte, yte, gte = bars(1000, 0.5, 11)
    erm, _ = train_erm(get_model("cnn", 2, 3, seed=1), Split(xtr, ytr), epochs=2, progress=False)
    before = {k: v.clone() for k, v in erm.state_dict().items()}
    erm_wga = wga(yte, predict(erm, xte).argmax(1), gte)
    mt = MaskTune(erm, random_state=1, progress=False).fit(xtr, ytr)
    assert erm_wga < 80 and wga(yte, mt.predict(xte), gte) > erm_wga + 20
    assert all(torch.equal(before[k], v) for k, v in erm.state_dict().items())   # the ERM model is left as it was
    assert 0 < mt.masked_fraction_.mean() < 0.2 and len(mt.history_) == 1
    np.testing.assert_allclose(mt.predict_proba(xte[:50]).sum(1), 1.0, atol=1e-5)
    assert clone(mt).get_params()["n_std"] == 2.0 and not hasattr(clone(mt), "model_")

def test_bad_input_is_refused():
    net, x, y = get_model("cnn", 2, 3, seed=0), torch.rand(6, 3, 28, 28), np.array([0, 1, 0, 1, 0, 1])
    cases = [(lambda: MaskTune().fit(x, y), TypeError, "needs the trained (ERM) model"),
             (lambda: MaskTune(net, saliency="gradient").fit(x, y), ValueError, "Unknown saliency"),
             (lambda: MaskTune(net).fit(x[0], y), ValueError, "(N, C, H, W)"),
             (lambda: MaskTune(net).fit(x, y[:4]), ValueError, "Lengths differ"),
             (lambda: MaskTune(net).fit(x, y + 1), ValueError, "class indices 0..1"),
             (lambda: MaskTune(net).fit(x, y.astype(float) / 2), ValueError, "class indices 0..1"),
             (lambda: MaskTune(net, epochs=0).fit(x, y), ValueError, "at least one epoch"),
             (lambda: MaskTune(net, n_std=-1.0).fit(x, y), ValueError, "n_std must be"),
             (lambda: MaskTune(net).fit(torch.full_like(x, float("nan")), y), ValueError, "NaN"),
             (lambda: mask_images(x, np.ones((5, 7, 7))), ValueError, "Lengths differ"),
             (lambda: saliency_mask(np.ones((2, 3)), (4, 4)), ValueError, "saliency must be"),
             (lambda: cam_maps(net, x, layer="no.such.layer"), ValueError, "has no module named")]
    for f, exc, msg in cases:
        with pytest.raises(exc, match=None) as e: f()
        assert msg in str(e.value), (msg, str(e.value))
    with pytest.raises(Exception, match="not fitted"): MaskTune(net).predict(x)
