"Concept relevance (`exmap.concepts`): conservation, agreement with hand-computed relevances, a known channel."
import warnings
import exmap  # torchvision fix first: zennit and the tests import torchvision
import numpy as np
import pytest
import torch
import torch.nn.functional as F
import torchvision
from torch import nn
from zennit.attribution import Gradient
from exmap.concepts import concept_relevance, default_concept_layer, get_layer, grid_sum, prepare_concepts
from exmap.lrp import get_composite
from exmap.train import SmallCNN


def by_hand(model, x, name, composite="exmap"):
    "Output of layer `name` and the gradient arriving there, in a full zennit backward pass (tensor hook)."
    kept = {}
    def keep(m, i, o): kept["a"] = o; o.register_hook(lambda g: kept.update(g=g))
    h = dict(model.named_modules())[name].register_forward_hook(keep)
    with Gradient(model=model, composite=get_composite(composite, model)) as attributor:
        attributor(x.clone().requires_grad_(True), lambda z: F.one_hot(z.argmax(1), z.shape[1]).to(z.dtype))
    h.remove()
    return kept["a"].detach(), kept["g"].detach()


@pytest.fixture(scope="module")
def cnn():
    torch.manual_seed(0)
    m = SmallCNN(2, 3, 8).eval()
    with torch.no_grad():
        for bn in (m.features[1], m.features[5], m.features[9]):
            bn.running_var.uniform_(.5, 2); bn.bias.uniform_(-.2, .2)
        m.fc.bias.zero_()
    return m, torch.rand(6, 3, 28, 28)


@pytest.mark.parametrize("engine", ["auto", "zennit"])
def test_channels_sum_to_layer_total(cnn, engine):
    m, x = cnn
    R, L = concept_relevance(m, x, engine=engine, progress=False)
    a, g = by_hand(m, x, "features.10")
    assert R.shape == (6, 32)
    np.testing.assert_allclose(R, g.sum((2, 3)).numpy(), rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(R.sum(1), g.sum((1, 2, 3)).numpy(), rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(R.sum(1), 1, atol=1e-3)  # no classifier bias: the start relevance is conserved
    np.testing.assert_allclose(L, m(x).detach().numpy(), rtol=1e-4, atol=1e-5)


def test_grid_cells_add_up(cnn):
    m, x = cnn
    R, _ = concept_relevance(m, x, progress=False)
    R2, _ = concept_relevance(m, x, grid=2, progress=False)
    assert R2.shape == (6, 32 * 4)
    np.testing.assert_allclose(R2.reshape(6, 32, 4).sum(2), R, rtol=1e-4, atol=1e-6)
    r = torch.randn(2, 3, 7, 7)
    np.testing.assert_allclose(grid_sum(r, 2).sum((2, 3)).numpy(), grid_sum(r).numpy(), rtol=1e-4, atol=1e-5)


def test_gradient_composite_is_activation_times_gradient(cnn):
    m, x = cnn
    Rg, _ = concept_relevance(m, x, composite="gradient", progress=False)
    acts = {}
    h = m.features[10].register_forward_hook(lambda mod, i, o: acts.update(a=o))
    z = m(x.clone().requires_grad_(True))
    g, = torch.autograd.grad(z, acts["a"], F.one_hot(z.argmax(1), 2).float())
    h.remove()
    np.testing.assert_allclose(Rg, (acts["a"] * g).sum((2, 3)).detach().numpy(), rtol=1e-4, atol=1e-6)
    a, gh = by_hand(m, x, "features.10", "gradient")
    np.testing.assert_allclose(Rg, (a * gh).sum((2, 3)).numpy(), rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("target", [0, 1])
def test_known_channel_gets_the_relevance(target):
    torch.manual_seed(1)
    syn = nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(),
                        nn.Linear(4, 2))
    with torch.no_grad():
        syn[0].bias.fill_(.1); syn[4].bias.zero_()
        syn[4].weight.uniform_(-.01, .01); syn[4].weight[:, 2] = torch.tensor([1., -1.])
    assert default_concept_layer(syn) == "1"
    x = torch.rand(5, 3, 12, 12)
    for engine in ("auto", "zennit"):
        R, _ = concept_relevance(syn, x, target=np.full(5, target), engine=engine, progress=False)
        assert (R[:, 2] / np.abs(R).sum(1) > .95).all()


def test_resnet_layer4_fast_matches_zennit():
    torch.manual_seed(0)
    rn = torchvision.models.resnet18(num_classes=3).eval()
    x = torch.rand(2, 3, 64, 64)
    assert default_concept_layer(rn) == "layer4"
    Rf, Lf = concept_relevance(rn, x, progress=False)
    Rz, Lz = concept_relevance(rn, x, engine="zennit", progress=False)
    assert Rf.shape == (2, 512)
    np.testing.assert_allclose(Rf, Rz, rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(Lf, Lz, rtol=1e-4, atol=1e-5)


def test_bad_input(cnn, tmp_path):
    m, x = cnn
    with pytest.raises(ValueError, match="valid names include"): get_layer(m, "features.99")
    with pytest.raises(ValueError, match="valid names include"): concept_relevance(m, x, layer="nope")
    with pytest.raises(ValueError, match="does not expose"): concept_relevance(m, x, layer="fc", engine="fast")
    with pytest.raises(ValueError, match="batch of images"): concept_relevance(m, x[0])
    with pytest.raises(ValueError, match="Lengths differ"): concept_relevance(m, x, target=[0, 1])
    with pytest.raises(ValueError, match="int >= 1"): concept_relevance(m, x, grid=0)
    R, _ = concept_relevance(m, x, batch_size=4, out_path=tmp_path/"r.npy", progress=False)
    np.testing.assert_allclose(np.load(tmp_path/"r.npy"), concept_relevance(m, x, progress=False)[0], atol=1e-6)


def test_prepare_concepts():
    rng = np.random.default_rng(0)
    R = np.abs(rng.normal(size=(5, 8))) * rng.uniform(1, 100, (5, 1))
    np.testing.assert_allclose(np.abs(prepare_concepts(R)).sum(1), 1, rtol=1e-5)
    np.testing.assert_allclose(np.linalg.norm(prepare_concepts(R, "l2"), axis=1), 1, rtol=1e-5)
    np.testing.assert_allclose((prepare_concepts(R, "hellinger") ** 2).sum(1), 1, rtol=1e-5)
    np.testing.assert_allclose(prepare_concepts(R * 7), prepare_concepts(R), rtol=1e-5)  # scale-free
    assert prepare_concepts(R.reshape(5, 2, 2, 2)).shape == (5, 8)
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        assert (prepare_concepts(np.zeros((2, 3))) == 0).all() and "no concept relevance" in str(w[0].message)
    with pytest.raises(ValueError, match="NaN"): prepare_concepts(np.full((2, 3), np.nan))
    with pytest.raises(ValueError): prepare_concepts(R, "max")
