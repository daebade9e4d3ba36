"Bad input gets a clear error that says what is wrong and what to do."
import gzip, shutil
import numpy as np
import pytest
import torch
import exmap
from exmap.data import load_mnist, colored_mnist, get_dataset, default_data_root, MNIST_MD5
from exmap.lrp import prepare_heatmaps, compute_heatmaps
from exmap.cluster import ExMapClusterer
from exmap.train import get_model

def test_missing_mnist_names_the_path_and_how_to_get_it(tmp_path):
    with pytest.raises(FileNotFoundError) as e: colored_mnist(root=tmp_path/"mnist")
    assert str(tmp_path/"mnist") in str(e.value) and "data/mnist" in str(e.value) and "download_mnist" in str(e.value)

def test_corrupt_mnist_is_found_by_md5(tmp_path):
    src = default_data_root()/"mnist"
    for n in MNIST_MD5: shutil.copy(src/f"{n}.gz", tmp_path)
    f = tmp_path/"train-labels-idx1-ubyte.gz"
    raw = bytearray(gzip.decompress(f.read_bytes())); raw[100] ^= 1
    f.write_bytes(gzip.compress(bytes(raw)))
    with pytest.raises(ValueError, match="train-labels-idx1-ubyte.gz is corrupt: md5"): load_mnist(tmp_path, "train")

def test_unknown_dataset_and_composite():
    with pytest.raises(ValueError, match="Unknown dataset 'celeba'. Known: .*cmnist"): get_dataset("celeba")
    with pytest.raises(ValueError, match="Unknown composite 'lrp-z'"): compute_heatmaps(get_model("cnn"), torch.rand(2, 3, 28, 28), "lrp-z")

def test_heatmaps_and_labels_of_different_lengths():
    with pytest.raises(ValueError, match="heatmaps has 10, y has 9"): ExMapClusterer().fit(np.random.rand(10, 4), np.zeros(9))

def test_nan_heatmaps():
    h = np.random.rand(5, 3, 4, 4); h[2, 0, 1, 1] = np.nan
    with pytest.raises(ValueError, match="NaN"): prepare_heatmaps(h)
    with pytest.raises(ValueError, match="NaN"): ExMapClusterer().fit(h.reshape(5, -1), np.zeros(5))

def test_fewer_samples_than_clusters():
    with pytest.raises(ValueError, match="3 samples"): ExMapClusterer(method="kmeans", n_clusters=5).fit(np.random.rand(3, 4), np.zeros(3))
