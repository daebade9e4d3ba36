"""The fast LRP engine (`exmap.lrp.FastLRP`) against zennit's hooks, for the composites "exmap" (EpsilonPlus) and
"exmap_authors" (EpsilonAlpha2Beta1 with SymmetricGamma on every convolution).

Equality is measured as the largest absolute difference divided by the largest |relevance| of zennit's maps (on the
raw maps, not normalised), and must be <= 1e-5. Models have random weights and randomised BatchNorm statistics and
affine parameters (eval mode), so that the folding of BatchNorm into the convolutions is exercised. Small images only.
"""
import numpy as np
import pytest
import torch
from torch import nn
import exmap
import torchvision
from exmap.lrp import FastLRP, compute_heatmaps, lrp_engine
from exmap.train import get_model


def randomise_batchnorm(m, seed=0):
    g = torch.Generator().manual_seed(seed)
    for b in m.modules():
        if isinstance(b, (nn.BatchNorm1d, nn.BatchNorm2d)):
            n = b.num_features
            b.running_mean.copy_(torch.randn(n, generator=g) * .5)
            b.running_var.copy_(torch.rand(n, generator=g) * 2 + .1)
            b.weight.data.copy_(torch.randn(n, generator=g))
            b.bias.data.copy_(torch.randn(n, generator=g) * .5)
    return m.eval()


def rel_diff(a, b): return float(np.abs(a - b).max() / np.abs(b).max())


def both(m, x, **kw):
    Hf, cf = compute_heatmaps(m, x, progress=False, engine="fast", **kw)
    Hz, cz = compute_heatmaps(m, x, progress=False, engine="zennit", **kw)
    np.testing.assert_array_equal(cf, cz)
    assert np.abs(Hz).max() > 0
    return rel_diff(Hf, Hz)


def chain_model():
    "Every kind of layer the chain parser knows: a biased first conv, BatchNorm after Linear, a non-ReLU activation before a conv."
    torch.manual_seed(0)
    return nn.Sequential(
        nn.Conv2d(3, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(), nn.MaxPool2d(3, 2, ceil_mode=True),
        nn.Sequential(nn.Conv2d(8, 8, 3, padding=1, bias=False), nn.BatchNorm2d(8), nn.LeakyReLU(0.1)),
        nn.Conv2d(8, 8, 3, stride=2, groups=2), nn.ReLU(), nn.AvgPool2d(2), nn.Dropout(0.5),
        nn.Conv2d(8, 6, 1), nn.Tanh(), nn.AdaptiveMaxPool2d(2), nn.Identity(), nn.Flatten(),
        nn.Linear(24, 16), nn.BatchNorm1d(16), nn.ReLU(), nn.Linear(16, 3))


@pytest.mark.parametrize("composite", ["exmap", "exmap_authors"])
@pytest.mark.parametrize("name,px,n", [("cnn", 28, 3), ("resnet18", 32, 3), ("resnet50", 16, 2), ("tv:resnet18", 64, 3),
                                       ("tv:resnet50", 64, 2)])
def test_fast_equals_zennit_on_package_models(name, px, n, composite):
    m = randomise_batchnorm(get_model(name, n_classes=3, seed=0))
    assert lrp_engine(m, composite) == "fast"
    x = torch.randn(n, 3, px, px, generator=torch.Generator().manual_seed(1))
    assert both(m, x, composite=composite) <= 1e-5
    assert both(m, x, composite=composite, target=[2, 0, 1][:n]) <= 1e-5


@pytest.mark.parametrize("composite", ["exmap", "exmap_authors"])
def test_fast_equals_zennit_on_sequential_chain(composite):
    m = randomise_batchnorm(chain_model())
    x = torch.randn(4, 3, 20, 20, generator=torch.Generator().manual_seed(2))
    kw = dict(composite=composite)
    assert both(m, x, **kw) <= 1e-5
    assert both(m, x, target=[0, 1, 2, 0], **kw) <= 1e-5
    assert both(m, x.abs(), **kw) <= 1e-5                    # non-negative images: the first layer's x- terms are zero
    assert both(m, x, canonizer="none", **kw) <= 1e-5        # BatchNorm not merged: it passes relevance
    assert both(m, x, size=5, **kw) <= 1e-5                  # pooled maps


def test_unsupported_falls_back_to_zennit():
    class Wrapped(nn.Module):
        def __init__(self): super().__init__(); self.net = get_model("cnn", seed=0)
        def forward(self, x): return self.net(x) * 2
    m, r18 = Wrapped().eval(), get_model("resnet18", seed=0).eval()
    assert lrp_engine(m) == "zennit"
    assert lrp_engine(r18, canonizer="sequential_bn") == "zennit"
    assert lrp_engine(r18, composite="epsilon_alpha2_beta1") == "zennit"
    with pytest.raises(ValueError, match="engine='fast' does not cover this call: Wrapped"):
        compute_heatmaps(m, torch.randn(2, 3, 28, 28), engine="fast", progress=False)
    H, _ = compute_heatmaps(m, torch.randn(2, 3, 28, 28), progress=False)  # auto: zennit
    assert np.isfinite(H).all() and np.abs(H).sum() > 0


def test_fast_leaves_the_model_unchanged():
    m = randomise_batchnorm(get_model("resnet18", seed=0))
    before = {k: v.clone() for k, v in m.state_dict().items()}
    FastLRP(m)(torch.randn(2, 3, 32, 32))
    after = m.state_dict()
    assert all(torch.equal(before[k], after[k]) for k in before)


def test_forward_hooks_on_the_last_layer_fire():
    "exmap.extract grabs penultimate features and logits with a forward hook on the last layer during compute_heatmaps."
    m = randomise_batchnorm(get_model("resnet18", seed=0))
    x = torch.randn(2, 3, 32, 32)
    grabbed = {}
    for engine in ["fast", "zennit"]:
        h = m.fc.register_forward_hook(lambda mod, i, o, e=engine: grabbed.__setitem__(e, (i[0].detach().clone(), o.detach().clone())))
        try: _, expl = compute_heatmaps(m, x, engine=engine, progress=False)
        finally: h.remove()
        f, z = grabbed[engine]
        assert f.shape == (2, 512) and np.array_equal(z.argmax(1).numpy(), expl)
    for a, b in zip(grabbed["fast"], grabbed["zennit"]):   # the same forward pass: equal up to float summation order
        torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-6)
