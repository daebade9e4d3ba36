"""Every experiment notebook (a papermill `parameters` cell: nbs/20_cmnist ... nbs/28_defaults_study) rerun at smoke
size from an empty cache: it runs to the end, writes well-formed results JSON whose keys (methods, their metrics,
group-inference entries, top-level fields) match the committed full-size results of the same run, and, for the main
experiment (20_cmnist), a second run from another empty cache and a third served from the first run's cache give
identical results without rewriting the cache. `make test` executes the experiment notebooks here only (nbdev-test
skips them: same cells, run once). Cached artefacts are recomputed when the settings or the code that made them change."""
import json, math, os, subprocess, sys, time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
import numpy as np
import pytest
import torch
import exmap
from exmap import experiment

ROOT = Path(__file__).resolve().parents[1]
def _experiment_notebooks() -> list:
    "Notebooks with a papermill `parameters` cell (the experiment notebooks), e.g. 20_cmnist."
    out = []
    for nb in sorted((ROOT/"nbs").glob("[2-3][0-9]_*.ipynb")):
        cells = json.loads(nb.read_text())["cells"]
        if any("parameters" in c.get("metadata", {}).get("tags", []) for c in cells): out.append(nb.stem)
    return out

NOTEBOOKS = _experiment_notebooks()
MAIN = "20_cmnist"      # also rerun from a second empty cache and from the first run's cache
JOBS = int(os.environ.get("EXMAP_RERUN_JOBS", "2"))   # smoke runs at a time (each single-threaded)
VOLATILE = ("timings_s", "timings", "versions")   # keys whose values differ between identical runs by design

def _normalise(o, tmp: str):
    "The results without timings, versions and paths, so that two identical runs compare equal."
    if isinstance(o, dict):
        return {k: _normalise(v, tmp) for k, v in o.items()
                if k not in VOLATILE and not any(w in k.lower() for w in ("path", "dir"))}
    if isinstance(o, list): return [_normalise(v, tmp) for v in o]
    if isinstance(o, str): return o.replace(tmp, "<tmp>")
    return o

def _params(nb: Path) -> set:
    import papermill
    return set(papermill.inspect_notebook(str(nb)))

def _papermill(nb: Path, out: Path, tmp: Path, tag: str, cache: str) -> tuple[int, str, float]:
    "Run `nb` at its (smoke) defaults into tmp/out_<tag>, caching under tmp/<cache>; (return code, log tail, seconds)."
    known = _params(nb)
    p = {"out_dir": str(tmp/f"out_{tag}"), "fig_dir": str(tmp/f"fig_{tag}"), "cache_dir": str(tmp/cache)}
    args = [a for k, v in p.items() if k in known for a in ("-p", k, v)]
    env = {**os.environ, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "PYTHONHASHSEED": "0", "MPLBACKEND": "Agg"}
    t0 = time.perf_counter()
    r = subprocess.run([sys.executable, "-m", "papermill", str(nb), str(out), "--cwd", str(nb.parent), *args],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env, text=True, timeout=1500)
    return r.returncode, r.stdout[-3000:], time.perf_counter() - t0

def _written(nb: Path, tmp: Path, tag: str, t0: float) -> dict:
    "The results JSONs a run wrote, by path relative to its results folder (`_smoke/...`)."
    if "out_dir" in _params(nb): folder = tmp/f"out_{tag}"
    else: folder = ROOT/"results"   # a notebook without an out_dir parameter writes into results/_smoke/
    if not (folder/"_smoke").is_dir(): return {}
    base, folder = folder, folder/"_smoke"
    return {str(f.relative_to(base)): json.loads(f.read_text()) for f in sorted(folder.rglob("*.json"))
            if f.stat().st_mtime >= t0}

@pytest.fixture(scope="module")
def smoke_runs(tmp_path_factory):
    "Every experiment notebook run once at smoke size from an empty cache (MAIN twice more), JOBS at a time."
    tmp = tmp_path_factory.mktemp("reruns")
    jobs = [(name, tag, f"cache_{name}_{tag}") for name in NOTEBOOKS for tag in (("a", "b") if name == MAIN else ("a",))]
    def run(job):
        name, tag, cache = job
        nb, t0 = ROOT/"nbs"/f"{name}.ipynb", time.time() - 1
        rc, log, secs = _papermill(nb, tmp/f"{name}_{tag}.ipynb", tmp/name, tag, cache)
        return job, dict(rc=rc, log=log, seconds=secs, results=_written(nb, tmp/name, tag, t0) if rc == 0 else {})
    for d in NOTEBOOKS: (tmp/d).mkdir()
    with ThreadPoolExecutor(JOBS) as pool: done = dict(pool.map(run, jobs))
    return tmp, {(name, tag): r for (name, tag, _), r in done.items()}

def _committed(rel: str):
    "The committed full-size JSON for a smoke results path `_smoke/<run>/...`: same path, else one of its folder."
    rel = Path(rel.removeprefix("_smoke/"))
    same = ROOT/"results"/rel
    if same.is_file(): return same
    others = sorted((ROOT/"results"/rel.parent).glob("*.json")) if (ROOT/"results"/rel.parent).is_dir() else []
    return others[0] if others else None

def _check_run_json(rel: str, r: dict):
    "A run's results JSON: every method's worst group is its lowest group accuracy, and within 0..100."
    for m, v in r["methods"].items():
        assert {"test_wga", "test_mean"} <= set(v), f"{rel}: {m} lacks test_wga/test_mean: {sorted(v)}"
        wga, mean = v["test_wga"], v["test_mean"]
        if wga is None or (isinstance(wga, float) and math.isnan(wga)): continue
        assert 0 <= wga <= 100 and 0 <= mean <= 100, f"{rel}: {m}: test_wga {wga}, test_mean {mean}"
        accs = [a for a in v.get("test_group_acc", {}).values() if a is not None and not math.isnan(a)]
        if accs: assert wga == pytest.approx(min(accs)), f"{rel}: {m}: test_wga {wga} is not its worst group {min(accs)}"
    assert r.get("settings", {}).get("smoke", True) is True, f"{rel}: a smoke run recorded smoke={r['settings'].get('smoke')}"

def _same_keys(rel: str, smoke: dict, full: dict, where: Path) -> str:
    """Top-level keys as in the committed JSON; every method both have reports the same metrics, and they share ERM and
    at least one other method (method names carry parameters such as k-means' k or JTT's T, which smoke runs cut
    down, so the sets themselves may differ). Returns a note of the methods only one side has."""
    msg = f"{rel} vs committed {where.relative_to(ROOT)}"
    assert sorted(smoke) == sorted(full), f"{msg}: top-level keys {sorted(smoke)} vs {sorted(full)}"
    if "methods" not in full: return ""
    shared = sorted(set(smoke["methods"]) & set(full["methods"]))
    assert "ERM" in shared and len(shared) >= 2, f"{msg}: methods shared {shared}"
    for m in shared:
        a, b = set(smoke["methods"][m]), set(full["methods"][m])
        assert a == b, f"{msg}: {m}: metrics only in the smoke run {sorted(a - b)}, only committed {sorted(b - a)}"
    only_s, only_f = sorted(set(smoke["methods"]) - set(full["methods"])), sorted(set(full["methods"]) - set(smoke["methods"]))
    return f"{len(shared)} methods shared" + (f"; smoke only {only_s}" if only_s else "") + (f"; committed only {only_f}" if only_f else "")

@pytest.mark.parametrize("name", NOTEBOOKS)
def test_smoke_run_writes_the_committed_results_shape(name, smoke_runs):
    "The notebook runs at smoke size from an empty cache and writes results shaped like the committed full-size ones."
    tmp, runs = smoke_runs
    r = runs[(name, "a")]
    assert r["rc"] == 0, f"{name} failed at smoke size:\n{r['log']}"
    assert r["results"], f"{name} wrote no results JSON"
    notes = []
    for rel, obj in r["results"].items():
        if "methods" in obj: _check_run_json(rel, obj)
        where = _committed(rel)
        if where is None: continue   # no committed full-size run of this kind (e.g. natural images: data not here)
        notes.append(f"{rel}: {_same_keys(rel, obj, json.loads(where.read_text()), where)}")
    print(f"{name}: smoke run {r['seconds']:.0f} s, {len(r['results'])} JSON(s), {len(notes)} compared with committed "
          "ones" + "".join(f"\n  {n}" for n in notes))

def _snapshot(folder: Path) -> dict:
    return {str(p.relative_to(folder)): p.stat().st_mtime_ns for p in folder.rglob("*") if p.is_file()}

@pytest.mark.skipif(MAIN not in NOTEBOOKS, reason=f"{MAIN} has no parameters cell")
def test_same_seed_same_results(smoke_runs):
    "The main experiment: two smoke runs from separate empty caches, then a rerun served from the first cache, agree."
    tmp, runs = smoke_runs
    assert all(runs[(MAIN, t)]["rc"] == 0 for t in "ab"), runs[(MAIN, "b")]["log"]
    folder = tmp/MAIN
    cache_a = _snapshot(folder/f"cache_{MAIN}_a")
    assert cache_a, "the first run cached nothing"
    rc, log, _ = _papermill(ROOT/"nbs"/f"{MAIN}.ipynb", folder/"c.ipynb", folder, "c", f"cache_{MAIN}_a")
    assert rc == 0, log
    a, b, c = (_normalise(next(iter(_written(ROOT/"nbs"/f"{MAIN}.ipynb", folder, t, 0).values())), str(folder))
               for t in "abc")
    assert a == b, "two runs with the same seed and empty caches differ"
    assert a == c, "the rerun served from the cache differs from the run that filled it"
    assert _snapshot(folder/f"cache_{MAIN}_a") == cache_a, "the rerun recomputed or rewrote cached artefacts"

@pytest.fixture(scope="module")
def tiny():
    from exmap.data import colored_mnist
    ds = colored_mnist(n_train=64, n_val=32, n_test=8, seed=0)
    return ds["train"], ds["val"], dict(name="cmnist", seed=0, n_train=64, n_val=32, n_test=8)

def _files(folder: Path) -> list: return sorted(p.name for p in folder.rglob("*") if p.is_file())

def test_erm_cache_follows_settings_and_code(tiny, tmp_path, monkeypatch):
    "cached_erm: same settings and code -> served from the cache; other settings or other code -> trained again."
    train, val, ds = tiny
    kw = dict(epochs=1, batch_size=32, seed=0, cache_dir=tmp_path, progress=False)
    m1, _ = experiment.cached_erm(train, val, ds, **kw)
    first = _snapshot(tmp_path)
    assert len(first) == 1
    m2, _ = experiment.cached_erm(train, val, ds, **kw)                      # served from the cache
    assert _snapshot(tmp_path) == first
    assert all(torch.equal(a, b) for a, b in zip(m1.state_dict().values(), m2.state_dict().values()))
    experiment.cached_erm(train, val, ds, **{**kw, "lr": 2e-3})              # settings changed
    assert len(_snapshot(tmp_path)) == 2
    experiment.cached_erm(train, val, {**ds, "seed": 1}, **kw)               # data settings changed
    assert len(_snapshot(tmp_path)) == 3
    from exmap.train import get_model as original
    def get_model(name="cnn", n_classes=2, in_channels=3, seed=None, weights=None):   # the code that builds the model changed
        return original(name, n_classes, in_channels, seed, weights)
    monkeypatch.setattr(experiment, "get_model", get_model)
    experiment.cached_erm(train, val, ds, **kw)
    assert len(_snapshot(tmp_path)) == 4, "a change to the model-building code did not invalidate the ERM cache"

def test_heatmap_cache_follows_settings_and_code(tiny, tmp_path, monkeypatch):
    "cached_heatmaps: same settings and code -> the cached array; other settings or other code -> recomputed."
    import exmap.lrp
    train, val, ds = tiny
    model = exmap.train.get_model("cnn", seed=0).eval()
    x, settings = val.x[:8], dict(erm="tiny", split="val")
    h1 = experiment.cached_heatmaps(model, x, settings, cache_dir=tmp_path, progress=False)
    first = _snapshot(tmp_path)
    h2 = experiment.cached_heatmaps(model, x, settings, cache_dir=tmp_path, progress=False)
    assert _snapshot(tmp_path) == first and np.array_equal(h1, h2)           # served from the cache
    experiment.cached_heatmaps(model, x, settings, composite="gradient", cache_dir=tmp_path, progress=False)
    assert len(_snapshot(tmp_path)) == 2                                     # another composite: another entry
    experiment.cached_heatmaps(model, x, {**settings, "split": "test"}, cache_dir=tmp_path, progress=False)
    assert len(_snapshot(tmp_path)) == 3
    original = exmap.lrp.compute_heatmaps
    def compute_heatmaps(model, x, composite="exmap", **kwargs):              # the heatmap code changed
        h, target = original(model, x, composite, **kwargs)
        return 2 * h, target
    monkeypatch.setattr(exmap.lrp, "compute_heatmaps", compute_heatmaps)
    h3 = experiment.cached_heatmaps(model, x, settings, cache_dir=tmp_path, progress=False)
    assert len(_snapshot(tmp_path)) == 4, "a change to the heatmap code did not invalidate the heatmap cache"
    assert np.allclose(h3, 2 * h1)
