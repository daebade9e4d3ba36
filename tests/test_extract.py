"""Extraction at scale on tiny trees: torchrun with 2 CPU processes (gloo) equals one process; a killed run resumes
to the same arrays; the whole pipeline (ERM ResNet-50, heatmaps, ExMap clusters, DFR) end to end on CPU."""
import os, signal, subprocess, sys, time
from pathlib import Path
import numpy as np, pytest, torch
import exmap
from exmap.images import make_tiny_waterbirds, waterbirds

ROOT = Path(__file__).resolve().parents[1]
ENV = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(ROOT)}


def cli(out, data, *extra):
    return ["--dataset", "waterbirds", "--data-dir", str(data), "--split", "val", "--image-size", "32", "--size", "8",
            "--num-workers", "0", "--threads", "1", "--seed", "0", "--out", str(out), *extra]


@pytest.fixture(scope="module")
def tree(tmp_path_factory):
    d = tmp_path_factory.mktemp("wb")
    make_tiny_waterbirds(d, n_major=3, n_minor=1, n_eval=3, size=32)  # 12 validation images
    return d


@pytest.fixture(scope="module")
def reference(tree, tmp_path_factory):
    out = tmp_path_factory.mktemp("ref")/"one"
    subprocess.run([sys.executable, "-m", "exmap.extract", *cli(out, tree, "--batch-size", "2")], check=True, env=ENV,
                   cwd=ROOT, capture_output=True)
    from exmap.extract import load_extraction
    return load_extraction(out)


def test_torchrun_two_cpu_processes_equal_one(tree, reference, tmp_path):
    out = tmp_path/"two"
    r = subprocess.run([sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2",
                        str(ROOT/"scripts/extract.py"), *cli(out, tree, "--batch-size", "2")],
                       env=ENV, cwd=ROOT, capture_output=True, text=True, timeout=900)
    assert r.returncode == 0, r.stderr[-3000:]
    assert "2 process(es)" in r.stdout
    from exmap.extract import load_extraction
    two = load_extraction(out)
    shards = {p.name: p.read_text().split() for p in (out/"progress").glob("rank*.txt")}
    assert sorted(shards) == ["rank0.txt", "rank1.txt"] and all(shards.values())  # both ranks did a share
    np.testing.assert_array_equal(np.asarray(two["explained"]), np.asarray(reference["explained"]))
    for k in ("heatmaps", "features", "logits"):   # same batches, same CPU: equal up to the last bits
        np.testing.assert_allclose(np.asarray(two[k]), np.asarray(reference[k]), rtol=1e-5, atol=1e-7, err_msg=k)


def test_killed_extraction_resumes_to_same_result(tree, reference, tmp_path):
    out = tmp_path/"killed"
    p = subprocess.Popen([sys.executable, "-m", "exmap.extract", *cli(out, tree, "--batch-size", "1")], env=ENV, cwd=ROOT,
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    log = out/"progress"/"rank0.txt"
    t0 = time.time()
    while time.time() - t0 < 240 and p.poll() is None:
        if log.exists() and len(log.read_text().split()) >= 3: break
        time.sleep(0.05)
    assert p.poll() is None, "the extraction ended before it could be killed"
    p.send_signal(signal.SIGKILL); p.wait()
    done = len(log.read_text().split())
    assert 3 <= done < 12 and not (out/"complete.json").exists()
    subprocess.run([sys.executable, "-m", "exmap.extract", *cli(out, tree, "--batch-size", "1")], check=True, env=ENV,
                   cwd=ROOT, capture_output=True)
    from exmap.extract import load_extraction
    res = load_extraction(out)
    # batch size 1 here, 2 in the reference: same numbers up to float summation order
    np.testing.assert_allclose(np.asarray(res["heatmaps"]), np.asarray(reference["heatmaps"]), rtol=1e-4, atol=1e-6)
    np.testing.assert_array_equal(np.asarray(res["explained"]), np.asarray(reference["explained"]))


def test_pipeline_end_to_end_resnet50_cpu(tree, tmp_path):
    "ERM ResNet-50 -> streamed extraction -> ExMap -> DFR: the arrays streamed to disk equal the same model's in-memory"
    " heatmaps, features and logits, and every stage hands the next what it needs."
    from exmap.cluster import ExMapClusterer
    from exmap.dfr import DFR
    from exmap.experiment import method_result
    from exmap.extract import extract
    from exmap.lrp import compute_heatmaps, prepare_heatmaps
    from exmap.metrics import group_accuracy
    from exmap.train import erm_preset, extract_features, get_model, predict, train_erm
    torch.set_num_threads(1)
    ds = waterbirds(tree, image_size=32, verbose=False)
    model, hist = train_erm(get_model("tv:resnet50", seed=0), ds["train"], ds["val"],
                            **erm_preset("waterbirds", epochs=1, batch_size=8), progress=False, num_workers=0)
    assert len(hist) == 1
    model.eval()
    res = extract(model, ds["val"], tmp_path/"val", size=8, batch_size=5, progress=False)  # 12 images: a ragged last batch
    xv = torch.stack([ds["val"].x[i] for i in range(len(ds["val"]))])
    H, explained = compute_heatmaps(model, xv, size=8, batch_size=12, progress=False)   # in memory, one batch
    np.testing.assert_allclose(np.asarray(res["heatmaps"]), H, rtol=2e-3, atol=1e-4 * np.abs(H).max())
    np.testing.assert_array_equal(np.asarray(res["explained"]), explained)
    logits = predict(model, xv, batch_size=12).numpy()
    # float32 ResNet-50 in batches of 5 vs 12: oneDNN sums in another order (relative differences ~1e-4 seen)
    np.testing.assert_allclose(np.asarray(res["logits"]), logits, rtol=2e-3, atol=2e-4 * np.abs(logits).max())
    np.testing.assert_array_equal(explained, logits.argmax(1))               # LRP explains the predicted class
    F_val = extract_features(model, xv, batch_size=12)
    np.testing.assert_allclose(np.asarray(res["features"]), F_val, rtol=2e-3, atol=2e-4 * np.abs(F_val).max())
    y_val = ds["val"].y.numpy()
    pseudo = ExMapClusterer(random_state=0).fit_predict(prepare_heatmaps(np.asarray(res["heatmaps"])), y_val)
    assert len(np.unique(pseudo)) >= 2
    assert all(len(np.unique(y_val[pseudo == p])) == 1 for p in np.unique(pseudo)), "a pseudo-group spans two classes"
    # the one-call path on file-backed images (`ImageGroupDataset.x`), as 26_natural calls it: the default
    # representation='auto' computes concept relevance from the lazy images, equal to the in-memory one
    from exmap.concepts import concept_relevance
    from exmap.pipeline import exmap_pseudo_groups
    R_lazy = concept_relevance(model, ds["val"].x, batch_size=5, progress=False)[0]
    R_mem = concept_relevance(model, xv, batch_size=12, progress=False)[0]
    np.testing.assert_allclose(R_lazy, R_mem, rtol=2e-3, atol=1e-4 * np.abs(R_mem).max())
    auto, diag = exmap_pseudo_groups(model, ds["val"].x, y_val, heatmaps=np.asarray(res["heatmaps"]),
                                     logits=np.asarray(res["logits"]), size=8, random_state=0, progress=False)
    assert len(auto) == len(y_val) and diag["settings"]["representation"] == "auto"
    dfr = DFR(random_state=0).fit(np.asarray(res["features"]), y_val, pseudo)
    pred = dfr.predict(extract_features(model, ds["test"].x, batch_size=8))
    yt, gt = ds["test"].y.numpy(), ds["test"].g
    r = method_result(yt, pred, gt, ds["test"].info)
    acc = 100 * group_accuracy(yt, pred, gt, n_groups=ds["test"].info.n_groups)
    assert r["test_wga"] == pytest.approx(np.nanmin(acc)) and r["test_mean"] == pytest.approx(100 * (pred == yt).mean())
