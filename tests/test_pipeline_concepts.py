"""ExMap's pipeline with concept relevance as its input (`representation` of `exmap.pipeline`): a shortcut carried by
one channel is found from the channels, the argument is checked, and the diagnostics say what was clustered."""
import exmap  # torchvision fix first: zennit and the tests import torchvision
import numpy as np
import pytest
import torch
from torch import nn
from exmap.cluster import group_inference_quality, make_pseudo_groups
from exmap.concepts import concept_relevance, prepare_concepts
from exmap.pipeline import EXMAP_DEFAULTS, REPRESENTATIONS, exmap_groups, exmap_matrix, exmap_pseudo_groups
from exmap.strategy import infer_groups
from exmap.train import predict


class Tiny(nn.Module):
    "Channel c of the image feeds logit c (c = 0, 1); channel 2 feeds nothing. Pooling after `features.1`."
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(nn.Conv2d(3, 3, 1), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten())
        self.fc = nn.Linear(3, 2)
        with torch.no_grad():
            self.features[0].weight.copy_(torch.eye(3)[:, :, None, None]); self.features[0].bias.zero_()
            self.fc.weight.copy_(torch.tensor([[8., 0, 0], [0, 8., 0]])); self.fc.bias.zero_()
    def forward(self, x): return self.fc(self.features(x))


def shortcut_data(n=500, p=0.9, seed=0):
    """Class y; a 4x4 blob at a random place in channel s (s = y with probability p), noise in channel 2. The model
    predicts s, so it errs on the minority (s != y)."""
    r = np.random.default_rng(seed)
    y = r.integers(0, 2, n)
    s = np.where(r.random(n) < p, y, 1 - y)
    x = np.zeros((n, 3, 16, 16), np.float32)
    x[:, 2] = 0.2 * r.random((n, 16, 16))
    for i, (a, b) in enumerate(r.integers(0, 12, (n, 2))): x[i, s[i], a:a + 4, b:b + 4] = 1 + 0.2 * r.random()
    g = 2 * y + s
    return torch.from_numpy(x), torch.from_numpy(y), g


@pytest.fixture(scope="module")
def toy():
    torch.manual_seed(0)
    m = Tiny().eval()
    x, y, g = shortcut_data()
    return m, x, y, g, concept_relevance(m, x, progress=False)[0], predict(m, x)


def test_concept_finds_the_one_channel_shortcut(toy):
    "The minority (blob in the other class's channel) lies in channel space: 'concept' recovers it, no fallback."
    m, x, y, g, _, _ = toy
    groups, d = exmap_pseudo_groups(m, x, y, representation="concept", progress=False)
    q = group_inference_quality(groups, g, y.numpy())
    assert not d["fallback"] and d["minority_found"], d["case"]
    assert q["minority_recall"] > 0.9 and q["ari"] > 0.9, q
    assert d["representation"] == "concept" and d["settings"]["representation"] == "concept"


def test_errors_without_pattern_fall_back(toy):
    "The same channels, but logits of a model whose errors have no pattern: no minority, class balance."
    m, x, y, *_ = toy
    noisy = np.random.default_rng(1).normal(size=(len(y), 2))
    groups, d = exmap_pseudo_groups(m, x, y, logits=noisy, representation="concept", progress=False)
    assert d["fallback"] and d["representation"] == "concept" and len(np.unique(d["clusters"])) >= 2
    np.testing.assert_array_equal(groups, y.numpy())


def test_concept_is_the_prepared_matrix(toy):
    "Computed inside the pipeline or prepared by hand and passed as a 2-D matrix: the same groups."
    m, x, y, g, R, L = toy
    a, _ = exmap_pseudo_groups(m, x, y, representation="concept", progress=False)
    b, db = exmap_groups(prepare_concepts(R, "l1"), y, L, representation="pixel")
    c, _ = exmap_groups(None, y, L, concepts=R, representation="concept")
    np.testing.assert_array_equal(a, b); np.testing.assert_array_equal(a, c)
    assert db["representation"] == "pixel"  # a prepared matrix is taken as given, whatever it holds


@pytest.mark.parametrize("bad", ["concepts", "Pixel", "", None])
def test_bad_representation_names_the_choices(toy, bad):
    "Refused before anything is computed (model=None would fail later), naming every choice."
    _, x, y, *_ = toy
    with pytest.raises(ValueError, match="representation") as e:
        exmap_pseudo_groups(None, x, y, representation=bad)
    assert all(r in str(e.value) for r in REPRESENTATIONS)
    with pytest.raises(ValueError, match="Known: auto, both, concept, pixel"):
        exmap_groups(np.zeros((4, 3)), np.array([0, 0, 1, 1]), np.zeros((4, 2)), representation=bad)


def test_missing_input_is_named(toy):
    _, x, y, g, R, L = toy
    H = np.random.default_rng(0).random((len(y), 3, 16, 16))
    with pytest.raises(ValueError, match="needs concepts="): exmap_groups(H, y, L, representation="concept")
    with pytest.raises(ValueError, match="needs heatmaps="): exmap_groups(None, y, L, concepts=R, representation="both")
    with pytest.raises(ValueError, match="Lengths differ"):
        exmap_groups(H, y, L, concepts=R[:-1], representation="both")


@pytest.mark.parametrize("rep", REPRESENTATIONS)
def test_diagnostics_record_the_representation(toy, rep):
    m, x, y, g, R, L = toy
    H = np.random.default_rng(0).random((len(y), 3, 16, 16)).astype(np.float32)
    F = np.random.default_rng(1).normal(size=(len(y), 8)) + y.numpy()[:, None]
    groups, d = exmap_groups(H, y, L, concepts=R, features=F, representation=rep, fallback=False)
    assert d["settings"]["representation"] == rep
    assert d["representation"] == (d["auto"]["chosen"] if rep == "auto" else rep)
    assert len(groups) == len(y)


def test_both_scales_each_part_to_unit_mean_norm(toy):
    R = toy[4]
    H = np.random.default_rng(0).random((len(R), 3, 16, 16)) * 50
    P = exmap_matrix(H, R, representation="both")
    d_pix = exmap_matrix(H, representation="pixel").shape[1]
    assert P.shape == (len(R), d_pix + R.shape[1])
    norms = [np.linalg.norm(P[:, :d_pix], axis=1).mean(), np.linalg.norm(P[:, d_pix:], axis=1).mean()]
    np.testing.assert_allclose(norms, [1, 1], rtol=1e-5)


def test_pixel_default_and_every_door_agree(toy):
    "The shipped default is a known representation; pixel through the defaults, the keyword and infer_groups agree."
    m, x, y, g, R, L = toy
    assert EXMAP_DEFAULTS["representation"] in REPRESENTATIONS
    from exmap.lrp import compute_heatmaps
    H = compute_heatmaps(m, x, EXMAP_DEFAULTS["explainer"], progress=False)[0]
    a, da = exmap_groups(H, y, L, representation="pixel")
    b, _ = exmap_pseudo_groups(m, x, y, heatmaps=H, logits=L, representation="pixel", progress=False)
    np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(infer_groups("exmap", y, heatmaps=H, logits=L, params=dict(representation="pixel")),
                                  make_pseudo_groups(y, a))


def test_auto_default_every_door_agrees(toy):
    "The default ('auto') through the model, the arrays and infer_groups: the same groups and the same choice."
    m, x, y, g, R, L = toy
    assert EXMAP_DEFAULTS["representation"] == "auto"
    from exmap.lrp import compute_heatmaps
    from exmap.train import extract_features
    H, F = compute_heatmaps(m, x, EXMAP_DEFAULTS["explainer"], progress=False)[0], extract_features(m, x)
    a, da = exmap_pseudo_groups(m, x, y, heatmaps=H, concepts=R, logits=L, progress=False)
    b, db = exmap_groups(H, y, L, concepts=R, features=F)
    np.testing.assert_array_equal(a, b)
    assert da["auto"]["chosen"] == db["auto"]["chosen"] == da["representation"]
    assert da["settings"]["representation"] == "auto" and set(da["fallback_per_input"]) == {"pixel", "concept"}
    np.testing.assert_array_equal(infer_groups("exmap", y, heatmaps=H, logits=L, concepts=R, features=F),
                                  make_pseudo_groups(y, a))
    with pytest.raises(ValueError, match="needs concepts=..., features=..."): exmap_groups(H, y, L)


def test_infer_groups_takes_concepts():
    "infer_groups('exmap', concepts=...) gives the pipeline's groups for the concept representation."
    import numpy as np
    from exmap.cluster import make_pseudo_groups
    from exmap.pipeline import exmap_groups
    from exmap.strategy import infer_groups
    rng = np.random.default_rng(0)
    y = np.repeat([0, 1], 200); C = rng.random((400, 16)); C[::10, 3] += 5; L = np.stack([1 - y, y], 1) * 3.0
    a = infer_groups("exmap", y, concepts=C, logits=L, params=dict(representation="concept"))
    b = exmap_groups(None, y, L, concepts=C, representation="concept")[0]
    np.testing.assert_array_equal(a, make_pseudo_groups(y, b))
