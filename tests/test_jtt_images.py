"""JTT on file-backed datasets (tiny generated Waterbirds tree, small CNN, CPU): the same candidates as on in-memory
copies when augmentation is off; training through the dataset's own (augmenting) transform, scoring through the
evaluation transform, and the error set upsampled as repeated indices."""
import numpy as np, pytest, torch
import exmap
from exmap.data import GroupDataset
from exmap.images import ImageGroupDataset, make_tiny_waterbirds, waterbirds
from exmap.jtt import JTT

KW = dict(T_grid=(1,), lambdas=(3,), epochs=1, batch_size=8, random_state=0)


@pytest.fixture(scope="module")
def wb(tmp_path_factory):
    torch.set_num_threads(1)
    d = tmp_path_factory.mktemp("wb")
    make_tiny_waterbirds(d, n_major=5, n_minor=2, n_eval=2, size=24)
    return waterbirds(d, image_size=16, verbose=False)


def _copy(d):
    return GroupDataset(d.x[:], d.y, d.attrs, d.info, d.name)


def test_file_backed_matches_in_memory(wb):
    plain, val, test = wb["train"].with_options(train=False), wb["val"], wb["test"]
    f = JTT(**KW).fit(plain, val, val.g)
    m = JTT(**KW).fit(_copy(plain), _copy(val), val.g)
    np.testing.assert_array_equal(f.errors_[1], m.errors_[1])
    np.testing.assert_array_equal(f.val_pred_, m.val_pred_)
    np.testing.assert_array_equal(f.predict(test), m.predict(_copy(test)))
    np.testing.assert_array_equal(f.predict(test.x), f.predict(test))
    assert f.input_shape_ == (3, 16, 16)


def test_augmented_training_and_index_upsampling(wb, monkeypatch):
    train, val = wb["train"], wb["val"]
    assert train.train  # the training split augments
    calls = []
    orig = ImageGroupDataset.load_image
    def spy(self, i, train=None):
        calls.append(self.train if train is None else train)
        return orig(self, i, train)
    monkeypatch.setattr(ImageGroupDataset, "load_image", spy)
    j = JTT(**KW).fit(train, val, val.g)
    n_aug = sum(calls)                      # images drawn through the training transform
    n_seen = int(j.candidates_.n_seen.iloc[0])
    assert n_seen == len(train) + 2 * int(j.errors_[1].sum())
    assert n_aug == len(train) + n_seen      # identification epoch + one retraining epoch with the error set repeated
    # evaluation transform: the training set after the identification epoch, the validation set after the retraining one
    assert len(calls) - n_aug == len(train) + len(val)


def test_file_backed_errors(wb):
    j = JTT(**KW).fit(wb["train"], wb["val"])
    other = wb["test"].with_options(image_size=20)
    with pytest.raises(ValueError, match=r"fitted on \(3, 16, 16\)"): j.predict(other)
    with pytest.raises(ValueError, match="pass the validation GroupDataset"): JTT(**KW).fit(wb["train"], wb["train"].y)
