"File-backed datasets on tiny generated trees in each real layout: loading, groups, masks, FG-only images, errors."
import numpy as np, pandas as pd, pytest, torch
import exmap
from PIL import Image
from exmap.images import (WATERBIRDS_INFO, celeba, get_image_dataset, image_folder, make_tiny_celeba, make_tiny_folder,
                          make_tiny_waterbirds, urbancars_images, waterbirds)
from exmap.multishortcut import make_tiny_urbancars


@pytest.fixture(scope="module")
def trees(tmp_path_factory):
    d = tmp_path_factory.mktemp("trees")
    make_tiny_waterbirds(d/"wb", n_major=4, n_minor=1, n_eval=2, size=32)
    make_tiny_celeba(d/"celeba", n_major=4, n_minor=1, n_eval=2, size=32)
    make_tiny_urbancars(d, n_per_group=1, size=16)
    csv = make_tiny_folder(d/"mine", n_major=4, n_minor=1, n_eval=2, size=32)
    return d, csv


def test_waterbirds_groups_and_masks(trees, capsys):
    d, _ = trees
    wb = waterbirds(d/"wb", image_size=24)
    assert "Waterbirds: found 26 images (train 10, val 8, test 8), with bird masks" in capsys.readouterr().out
    assert wb["train"].group_counts().tolist() == [4, 1, 1, 4]
    assert wb["test"].info.names == WATERBIRDS_INFO.names
    # the metadata rows match the groups: group = 2 * y + place
    meta = pd.read_csv(d/"wb/waterbird_complete95_forest2water2/metadata.csv").query("split == 2")
    assert (wb["test"].g == 2 * meta.y.to_numpy() + meta.place.to_numpy()).all()
    x = wb["test"].x[:4]
    assert x.shape == (4, 3, 24, 24) and x.dtype == torch.float32
    m = wb["test"].fg_masks[0]
    assert m.dtype == torch.bool and 0 < m.float().mean() < 0.6


def test_fg_only_removes_background(trees):
    d, _ = trees
    fg = waterbirds(d/"wb", splits="test", fg_only=True, verbose=False)["test"]
    plain = waterbirds(d/"wb", splits="test", verbose=False)["test"]
    for i in range(len(fg)):
        a, b = np.asarray(fg.load_pil(i), int), np.asarray(plain.load_pil(i), int)
        mask = np.asarray(Image.open(fg.masks[i]).convert("L")) > 127
        assert a[~mask].max() == 0 and (a[mask] == b[mask]).all()
    # through the normalising transform, the background becomes the normalised black
    t = fg.x[0]; black = (torch.zeros(3) - torch.tensor((0.485, 0.456, 0.406))) / torch.tensor((0.229, 0.224, 0.225))
    assert torch.allclose(t[:, 0, 0], black, atol=1e-5)


def test_celeba_urbancars_folder(trees):
    d, csv = trees
    cb = celeba(d/"celeba", image_size=24, verbose=False)
    assert cb["train"].group_counts().tolist() == [1, 4, 4, 1] and cb["train"].train and not cb["val"].train
    uc = urbancars_images(d/"urbancars", image_size=16, verbose=False)
    assert uc["train"].info.n_groups == 8 and uc["train"].group_counts().tolist() == [1] * 8
    assert (uc["val"].extras["bg"] == uc["val"].attrs[:, 0]).all()
    mine = get_image_dataset("folder", csv, attr_cols="background", image_size=24, verbose=False)
    assert mine["val"].group_counts().tolist() == [2, 2, 2, 2]
    xb, yb = next(iter(mine["train"].loader(batch_size=5, shuffle=True, num_workers=2)))
    assert xb.shape == (5, 3, 24, 24) and yb.dtype == torch.long


def test_error_cases(trees, tmp_path):
    d, csv = trees
    with pytest.raises(FileNotFoundError, match="does not exist"): waterbirds(tmp_path/"missing")
    with pytest.raises(FileNotFoundError, match="no metadata file"): waterbirds(tmp_path)
    root = make_tiny_waterbirds(tmp_path/"w", n_major=1, n_minor=1, n_eval=1, size=16, masks=False)
    meta = pd.read_csv(root/"metadata.csv")
    (root/"metadata.csv").write_text("this is, not\n\"a csv")
    with pytest.raises(ValueError, match="not a readable CSV"): waterbirds(root)
    meta.drop(columns=["split"]).to_csv(root/"metadata.csv", index=False)
    with pytest.raises(ValueError, match=r"lacks the columns \['split'\]"): waterbirds(root)
    meta.assign(split=7).to_csv(root/"metadata.csv", index=False)
    with pytest.raises(ValueError, match="column 'split'"): waterbirds(root)
    meta.to_csv(root/"metadata.csv", index=False)
    (root/meta.img_filename[1]).unlink()
    with pytest.raises(FileNotFoundError, match="1 of 4 image files are missing"): waterbirds(root)
    with pytest.raises(FileNotFoundError, match="needs a bird mask"): waterbirds(d/"wb", fg_only=True, masks_dir=tmp_path)
    with pytest.raises(FileNotFoundError, match="img_align_celeba"): celeba(tmp_path)
    with pytest.raises(ValueError, match="Unknown split"): waterbirds(d/"wb", splits="dev")
    pd.read_csv(csv).assign(split="holdout").to_csv(tmp_path/"l.csv", index=False)
    with pytest.raises(ValueError, match="holdout"): image_folder(tmp_path/"l.csv", images_dir=csv.parent)
