"""What a person sees in JupyterLab: a library notebook and an experiment notebook in a real (headless) browser.

Starts JupyterLab on a free localhost port (no token), opens `nbs/05_cluster.ipynb` and `nbs/20_cmnist.ipynb` in
Debian's Chromium (driven by Playwright's Python API; no browser is downloaded), and checks that the title is the
only top-level heading, that the prose renders as paragraphs (no heading reads like a sentence), that an experiment
notebook shows its saved tables and figures, and that running cells puts an output under the cell that ran.
Screenshots go to a temporary folder (`EXMAP_SCREENS=folder` keeps them there instead).

Run it alone: `.venv/bin/pytest -q tests/test_browser.py` (CI installs Chromium with `scripts/ci_browser.sh`).
Outside CI it is skipped when /usr/bin/chromium is missing; in CI (`CI=true`) a missing browser is a failure.
"""
import json, os, shutil, socket, subprocess, sys, time, urllib.request
from pathlib import Path
import pytest

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = Path(os.environ.get("EXMAP_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
NOTEBOOKS = {"05_cluster.ipynb": "library", "20_cmnist.ipynb": "experiment"}
MAX_RUN = 40  # cells run from the top, at most, until one shows an output


def _need_browser():
    if CHROMIUM.exists(): return
    msg = f"{CHROMIUM} is missing: install Debian's chromium (bash scripts/ci_browser.sh)"
    if IN_CI: pytest.fail(msg + "; CI must run the browser test.")
    pytest.skip(msg + " to run the browser test.")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0)); return s.getsockname()[1]


def _title(nb: dict) -> str:
    md = next(c for c in nb["cells"] if c["cell_type"] == "markdown")
    return "".join(md["source"]).splitlines()[0].lstrip("#").strip()


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    "A token-less JupyterLab serving a copy of the notebooks (so autosave never touches nbs/); yields its base URL."
    _need_browser()
    pytest.importorskip("playwright")
    tmp = tmp_path_factory.mktemp("lab")
    work = tmp/"work"; (work/"nbs").mkdir(parents=True)
    shutil.copy(ROOT/"pyproject.toml", work/"pyproject.toml")  # project_root() finds the copy, outputs stay in tmp
    for name in NOTEBOOKS:
        nb = json.loads((ROOT/"nbs"/name).read_text())
        # the cells the test runs (from the top to the first one with a saved output) start without outputs, so what
        # appears is fresh; every later cell keeps its saved outputs (the tables and figures a reader sees)
        code = [i for i, c in enumerate(nb["cells"]) if c["cell_type"] == "code"]
        last = next((i for i in code if nb["cells"][i].get("outputs")), len(nb["cells"]) - 1)
        for c in nb["cells"][:last + 1]:
            if c["cell_type"] == "code": c["outputs"], c["execution_count"] = [], None
        (work/"nbs"/name).write_text(json.dumps(nb))
    settings = tmp/"settings"
    for rel, obj in {"@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
                     "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {"fetchNews": "false",
                                                                                         "checkForUpdates": False}}.items():
        (settings/rel).parent.mkdir(parents=True, exist_ok=True); (settings/rel).write_text(json.dumps(obj))
    port = _free_port()
    env = {**os.environ, "JUPYTERLAB_SETTINGS_DIR": str(settings), "JUPYTERLAB_WORKSPACES_DIR": str(tmp/"workspaces"),
           "JUPYTER_RUNTIME_DIR": str(tmp/"runtime"), "MPLBACKEND": "Agg", "OMP_NUM_THREADS": "1"}
    cmd = [sys.executable, "-m", "jupyterlab", "--no-browser", "--allow-root", f"--port={port}", "--ip=127.0.0.1",
           "--ServerApp.token=", "--ServerApp.password=", "--ServerApp.disable_check_xsrf=True",
           f"--ServerApp.root_dir={work}", "--LabApp.news_url=None"]
    log = open(tmp/"lab.log", "w")
    proc = subprocess.Popen(cmd, cwd=work, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(240):
            if proc.poll() is not None: break
            try:
                urllib.request.urlopen(url + "/api", timeout=2); break
            except OSError: time.sleep(0.5)
        else: pytest.fail(f"JupyterLab did not answer on {url} within 120 s; see {tmp/'lab.log'}")
        if proc.poll() is not None: pytest.fail(f"JupyterLab exited: {(tmp/'lab.log').read_text()[-2000:]}")
        yield url
    finally:
        proc.terminate()
        try: proc.wait(20)
        except subprocess.TimeoutExpired: proc.kill()
        log.close()


@pytest.fixture(scope="module")
def browser():
    _need_browser()
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture(scope="module")
def screens(tmp_path_factory):
    d = Path(os.environ["EXMAP_SCREENS"]) if os.environ.get("EXMAP_SCREENS") else tmp_path_factory.mktemp("screens")
    d.mkdir(parents=True, exist_ok=True)
    return d


def _run_until_output(page, cells, start: int, max_cells: int = MAX_RUN, timeout_s: float = 600) -> int:
    "Shift+Enter from cell `start` on until a code cell that ran shows an output; return its index (generous timeout: the kernel starts with the first cell, slowly on a loaded machine)."
    cells.nth(start).locator(".jp-InputArea-prompt").click()
    for i in range(start, min(start + max_cells, cells.count())):
        cell = cells.nth(i)
        is_code = "jp-CodeCell" in (cell.get_attribute("class") or "")
        page.keyboard.press("Shift+Enter")
        if not is_code: continue
        prompt = cell.locator(".jp-InputArea-prompt")
        t0 = time.time()
        while time.time() - t0 < timeout_s:  # "[*]:" while it runs, "[n]:" when done
            txt = prompt.inner_text().strip()
            if txt[1:-2].isdigit(): break
            time.sleep(0.5)
        else: raise AssertionError(f"cell {i} did not finish within {timeout_s} s (prompt {prompt.inner_text()!r})")
        if cell.locator(".jp-OutputArea-output").count(): return i
    raise AssertionError(f"none of cells {start}..{start + max_cells - 1} showed an output after running")


@pytest.mark.parametrize("name", list(NOTEBOOKS))
def test_notebook_in_jupyterlab(lab, browser, screens, name):
    nb = json.loads((ROOT/"nbs"/name).read_text())
    title = _title(nb)
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    try:
        page.goto(f"{lab}/lab/tree/nbs/{name}", timeout=120_000)
        page.wait_for_selector(".jp-Notebook .jp-MarkdownCell .jp-RenderedMarkdown h1", timeout=120_000)
        page.wait_for_timeout(1500)  # let every markdown cell render
        book = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook")
        h1 = book.locator(".jp-RenderedMarkdown h1")
        assert h1.count() == 1, f"{name}: {h1.count()} top-level headings: {h1.all_inner_texts()[:5]}"
        assert h1.first.inner_text().strip().rstrip("¶").strip() == title, h1.first.inner_text()
        first_md = book.locator(".jp-MarkdownCell").first
        assert first_md.locator("blockquote").count() == 1, f"{name}: no '> summary' under the title"
        paras = book.locator(".jp-RenderedMarkdown p")
        assert paras.count() >= 3, f"{name}: only {paras.count()} paragraphs of prose rendered"
        for h in book.locator(".jp-RenderedMarkdown h2, .jp-RenderedMarkdown h3").all_inner_texts():
            h = h.rstrip("¶").strip()
            assert len(h) <= 80 and not h.endswith("."), f"{name}: a heading reads as prose: {h!r}"
        if NOTEBOOKS[name] == "experiment":  # the saved outputs of the full-size run: tables and figures
            assert book.locator(".jp-OutputArea-output table").count() >= 2, f"{name}: no saved tables"
            assert book.locator(".jp-OutputArea-output img").count() >= 1, f"{name}: no saved figures"
        page.screenshot(path=str(screens/f"{name}_opened.png"))
        cells = book.locator(".jp-Cell")
        start = next(i for i, c in enumerate(nb["cells"]) if c["cell_type"] == "code")
        i = _run_until_output(page, cells, start)
        out = cells.nth(i).locator(".jp-OutputArea-output")
        assert out.first.inner_text().strip() or out.first.locator("img, table").count(), f"{name}: cell {i}'s output is empty"
        assert "Error" not in out.first.inner_text()[:200], f"{name}: cell {i} failed: {out.first.inner_text()[:500]}"
        cells.nth(i).scroll_into_view_if_needed()
        page.screenshot(path=str(screens/f"{name}_ran_cell{i}.png"))
    finally:
        page.close()
