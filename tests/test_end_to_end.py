"ExMap end to end on a small Colored MNIST: ERM leans on colour, ExMap finds the colour groups, DFR+ExMap repairs the worst group."
import json, subprocess, sys
import numpy as np
import pytest
import exmap
from exmap.data import colored_mnist
from exmap.train import get_model, train_erm, predict, extract_features
from exmap.lrp import compute_heatmaps, prepare_heatmaps
from exmap.cluster import ExMapClusterer, group_inference_quality
from exmap.dfr import DFR
from exmap.metrics import worst_group_accuracy
from exmap.experiment import method_result, write_results, load_results, comparison_table

def test_exmap_pipeline_small(tmp_path):
    # p_val=0.9 gives the small validation set enough minority samples (~100 per class) to learn from
    ds = colored_mnist(n_train=4000, n_val=2000, n_test=2000, p_val=0.9, seed=0)
    tr, va, te = ds["train"], ds["val"], ds["test"]
    erm, _ = train_erm(get_model("cnn", seed=0), tr, va, epochs=1, seed=0, progress=False)
    erm_wga = worst_group_accuracy(te.y, predict(erm, te.x).argmax(1), te.g)
    H, _ = compute_heatmaps(erm, va.x, progress=False)
    c = ExMapClusterer(random_state=0).fit(prepare_heatmaps(H, size=14), va.y.numpy())
    q = group_inference_quality(c.labels_, va.g, va.y)
    assert q["minority_recall"] > 0.8, q
    Fv, Ft = extract_features(erm, va.x), extract_features(erm, te.x)
    d = DFR(random_state=0).fit(Fv, va.y, c.labels_)
    exmap_wga = worst_group_accuracy(te.y, d.predict(Ft), te.g)
    assert exmap_wga > erm_wga + 0.2, (erm_wga, exmap_wga)
    # results JSON in the shared shape, read back into a table
    p = write_results(tmp_path/"cmnist"/"seed0.json",
                      {"ERM": method_result(te.y, predict(erm, te.x).argmax(1), te.g, te.info),
                       "DFR+ExMap": method_result(te.y, d.predict(Ft), te.g, te.info)}, {"ExMap": q}, {}, {"seed": 0})
    r = json.loads(p.read_text())
    assert set(r) >= {"methods", "group_inference", "timings_s", "settings", "versions"}
    assert set(r["methods"]["ERM"]) >= {"test_wga", "test_mean", "test_group_acc"}
    t = comparison_table(load_results(tmp_path)[0], {"ERM": (39.6, 99.3)})
    assert t.loc["ERM", "WGA (paper)"] == "39.6"

def test_experiment_notebooks_keep_their_papermill_parameters(root):
    "nbdev-clean must keep the `parameters` tag, or papermill silently ignores -p."
    for nb in sorted((root/"nbs").glob("[234]*.ipynb")):
        cells = json.loads(nb.read_text())["cells"]
        tagged = [c for c in cells if "parameters" in c.get("metadata", {}).get("tags", [])]
        assert len(tagged) == 1, f"{nb.name}: {len(tagged)} cells tagged 'parameters'"
    out = subprocess.run([sys.executable, "-m", "papermill", "--help-notebook", str(root/"nbs"/"20_cmnist.ipynb")],
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert "seed" in out.stdout and "smoke" in out.stdout

def test_datasets_by_name_without_imports():
    "exmap.experiment.get_dataset knows msmnist with no prior import; importing exmap.multishortcut registers nothing."
    code = ("import exmap.experiment as e, exmap.data as d\n"
            "print(len(e.get_dataset('msmnist', n_train=8, n_val=8, n_test=8)['val']))\n"
            "import exmap.multishortcut\n"
            "print(','.join(sorted(d.DATASETS)))")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == ["8", "cmnist"], r.stdout

def test_cache_keys_cover_every_setting_and_the_code(monkeypatch):
    "An ERM cache key changes with any training setting (defaults included) and with the code that trains."
    from exmap import experiment as e
    data = {"name": "cmnist", "seed": 0}
    base = e.erm_settings(data, "cnn", epochs=3)
    assert e.erm_settings(data, "cnn", epochs=3, weight_decay=0.0) != base
    assert e.erm_settings(data, "cnn", epochs=3, optimizer="adam") == base  # adam is train_erm's default
    monkeypatch.setattr(e, "code_version", lambda *modules: "edited")
    assert e.erm_settings(data, "cnn", epochs=3)["code"] == "edited" != base["code"]
