"The shortcut suite (exmap.suite): every benchmark builds, is seeded, has its groups and masks; the experiment notebook's parameters."
import json
from pathlib import Path
import numpy as np
import pytest
import torch
import exmap
from exmap.suite import SUITE, SUITE_SIZES, suite_dataset, suite_settings, draw_shortcut

SMALL = dict(n_train=60, n_val=40, n_test=300)

def test_thirteen_benchmarks_two_strengths():
    kinds = {v["kind"] for v in SUITE.values()}
    assert kinds == {"color", "patch", "texture", "object", "multiclass", "noise", "shade", "glyph"}
    assert sorted({v["p"] for v in SUITE.values()}) == [0.95, 0.995]
    assert len(SUITE) == 13

@pytest.mark.parametrize("name", sorted(SUITE))
def test_every_benchmark_builds_with_groups_and_masks(name):
    ds = suite_dataset(name, seed=1, **SMALL)
    for split, n in zip(("train", "val", "test"), SMALL.values()):
        d = ds[split]
        assert d.x.shape == (n, 3, 28, 28) and d.x.dtype == torch.float32
        assert 0 <= float(d.x.min()) and float(d.x.max()) <= 1
        for k in ("mask_object", "mask_shortcut"):
            assert d.extras[k].shape == (n, 28, 28) and d.extras[k].dtype == bool
    te = ds["test"]
    assert te.info.n_groups == (25 if SUITE[name]["kind"] == "multiclass" else 4)
    assert (te.group_counts() > 0).all()  # balanced test: every group has samples

def test_seeded_and_balanced_only_in_test():
    a = suite_dataset("texture_95", seed=5, **SMALL)
    b = suite_dataset("texture_95", seed=5, **SMALL)
    assert torch.equal(a["train"].x, b["train"].x) and np.array_equal(a["test"].attrs, b["test"].attrs)
    big = suite_dataset("patch_95", seed=0, n_train=4000, n_val=100, n_test=4000)
    agree = lambda d: (d.attrs[:, 0] == d.y.numpy()).mean()
    assert abs(agree(big["train"]) - 0.95) < 0.015 and abs(agree(big["test"]) - 0.5) < 0.03

def test_colours_mix_channels():
    imgs = np.full((5, 12, 12), 255, np.uint8)
    x, _ = draw_shortcut(imgs, np.arange(5), "multiclass")
    assert (x.amin((2, 3)) >= 0.25).all()  # every hue lights every channel: no channel per class

def test_settings_fill_default_sizes_and_bad_names():
    s = suite_settings("object_995", seed=2)
    assert s["name"] == "suite/object_995" and s["seed"] == 2 and {k: s[k] for k in SUITE_SIZES} == SUITE_SIZES
    assert suite_settings("object_995", seed=2, n_train=SUITE_SIZES["n_train"]) == s
    with pytest.raises(ValueError, match="Unknown suite benchmark 'waterbirds'. Known: color_95, color_995"): suite_dataset("waterbirds")
    with pytest.raises(ValueError, match="n_test=0"): suite_dataset("patch_95", n_test=0)

def test_experiment_notebook_parameters():
    nb = json.loads((Path(exmap.__file__).parents[1]/"nbs"/"23_suite.ipynb").read_text())
    params = [c for c in nb["cells"] if "parameters" in c.get("metadata", {}).get("tags", [])]
    assert len(params) == 1
    src = "".join(params[0]["source"])
    for name in ("benchmark", "seed", "smoke", "cache_dir", "out_dir"): assert f"\n{name}:" in "\n" + src, name
