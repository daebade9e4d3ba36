"""What a person sees in JupyterLab: a library notebook and an experiment notebook in a real (headless) browser.

Starts JupyterLab on a free localhost port (no token), opens `nbs/05_cluster.ipynb` and `nbs/20_cmnist.ipynb` in
Debian's Chromium (driven by Playwright's Python API; no browser is downloaded), and checks that the title is the
only top-level heading, that the prose renders as paragraphs (no heading reads like a sentence), that an experiment
notebook shows its saved tables and figures, that running cells puts an output under the cell that ran, and that
opening a notebook (kernel started, autosave given time) leaves its file byte-identical on disk. Each check opens its
notebook in a workspace of its own, reset on load (`/lab/workspaces/<test>/tree/...?reset`), so no tab of an earlier
check is restored, and looks only inside the notebook panel it opened.
Screenshots go to a temporary folder (`EXMAP_SCREENS=folder` keeps them there instead).

Run it alone: `.venv/bin/pytest -q tests/test_browser.py` (CI installs Chromium with `scripts/ci_browser.sh`).
Outside CI it is skipped when /usr/bin/chromium is missing; in CI (`CI=true`) a missing browser is a failure.
"""
import difflib, json, os, re, shutil, socket, subprocess, sys, time, urllib.request
from pathlib import Path
import pytest

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = Path(os.environ.get("EXMAP_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
NOTEBOOKS = {"05_cluster.ipynb": "library", "20_cmnist.ipynb": "experiment"}
MAX_RUN = 40  # cells run from the top, at most, until one shows an output
AUTOSAVE_S = 2  # JupyterLab's autosave interval here: a notebook JupyterLab marks modified is on disk within seconds
PANEL = ".jp-NotebookPanel:not(.lm-mod-hidden)"  # the notebook panel in view (a clean workspace has only one)


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
    "A token-less JupyterLab serving copies of the notebooks (autosave never touches nbs/); yields (base URL, folder)."
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
        (work/"pristine").mkdir(exist_ok=True)
        shutil.copyfile(ROOT/"nbs"/name, work/"pristine"/name)   # byte copies, opened and never run
    settings = tmp/"settings"
    for rel, obj in {"@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
                     "@jupyterlab/docmanager-extension/plugin.jupyterlab-settings": {"autosaveInterval": AUTOSAVE_S},
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
        yield url, work
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


def _open(browser, url: str, path: str, workspace: str):
    "A new page showing notebook `path` alone, in workspace `workspace` reset on load; returns (page, its panel)."
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(f"{url}/lab/workspaces/{workspace}/tree/{path}?reset", timeout=120_000)
    panel = page.locator(PANEL)
    panel.locator(".jp-Notebook .jp-MarkdownCell .jp-RenderedMarkdown h1").first.wait_for(timeout=120_000)
    n = page.locator(".jp-NotebookPanel").count()
    assert n == 1, f"{path}: {n} notebook panels in a reset workspace (an earlier tab was restored)"
    return page, panel


def _wait_kernel_idle(page, timeout_s: float = 300):
    "Until the status bar shows the (only) notebook's kernel idle: started, and its info (language_info) received."
    bar = page.locator("#jp-main-statusbar")
    t0 = time.time()
    while time.time() - t0 < timeout_s:
        if re.search(r"\bIdle\b", bar.inner_text()): return
        time.sleep(0.5)
    raise AssertionError(f"the kernel was not idle within {timeout_s} s (status bar: {bar.inner_text()!r})")


def _workspace(name: str, kind: str) -> str: return f"{kind}-{re.sub(r'[^A-Za-z0-9]', '-', name)}-{time.time_ns()}"


@pytest.mark.parametrize("name", list(NOTEBOOKS))
def test_opening_leaves_the_file_unchanged(lab, browser, name):
    """Open a byte copy of the notebook, let its kernel start and autosave run: the file on disk is unchanged and the
    tab is not marked modified. JupyterLab writes `kernelspec` and `language_info` when the kernel starts; notebooks
    get that metadata in the form both JupyterLab and nbdev-clean keep from scripts/set_kernelspec.py."""
    url, work = lab
    before = (work/"pristine"/name).read_bytes()
    page, panel = _open(browser, url, f"pristine/{name}", _workspace(name, "pristine"))
    try:
        _wait_kernel_idle(page)
        page.wait_for_timeout(3000 * AUTOSAVE_S)   # two autosave periods and then some
        after = (work/"pristine"/name).read_bytes()
        dirty = page.locator(".lm-DockPanel-tabBar .lm-TabBar-tab.jp-mod-dirty").count()
    finally:
        page.close()
    if after != before:
        diff = "".join(list(difflib.unified_diff(before.decode().splitlines(True), after.decode().splitlines(True),
                                                 "repository", "after opening", n=1))[:40])
        pytest.fail(f"{name}: opening it in JupyterLab rewrote the file (run .venv/bin/python scripts/set_kernelspec.py "
                    f"nbs/*.ipynb; see its docstring):\n{diff}")
    assert dirty == 0, f"{name}: JupyterLab marks the notebook modified right after opening it"


@pytest.mark.parametrize("name", list(NOTEBOOKS))
def test_notebook_in_jupyterlab(lab, browser, screens, name):
    nb = json.loads((ROOT/"nbs"/name).read_text())
    title = _title(nb)
    url, _ = lab
    page, panel = _open(browser, url, f"nbs/{name}", _workspace(name, "render"))
    try:
        page.wait_for_timeout(1500)  # let every markdown cell render
        book = panel.locator(".jp-Notebook")
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
