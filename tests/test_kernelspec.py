"""Opening a notebook in JupyterLab must not modify it: every notebook carries the kernel metadata JupyterLab writes
when its kernel starts, in the form nbdev-clean keeps (scripts/set_kernelspec.py; tests/test_browser.py checks the
same in a real browser for two notebooks)."""
import importlib.util, sys
from pathlib import Path
import pytest

ROOT = Path(__file__).resolve().parents[1]
spec = importlib.util.spec_from_file_location("set_kernelspec", ROOT/"scripts/set_kernelspec.py")
sk = importlib.util.module_from_spec(spec); spec.loader.exec_module(sk)
FIX = ".venv/bin/python scripts/set_kernelspec.py nbs/*.ipynb"


def test_every_notebook_has_the_kernel_metadata_jupyterlab_writes(capsys):
    nbs = sorted(str(p) for p in (ROOT/"nbs").glob("*.ipynb"))
    assert sk.main(["--check", *nbs]) == 0, f"{capsys.readouterr().out}\nfix: {FIX}"


def test_the_kernel_spec_shows_its_name():
    "JupyterLab writes the kernel spec's display name; nbdev-clean writes the name: they must be the same."
    shown = sk.installed_display_name()
    if shown is None: pytest.skip(f"no {sk.KERNEL!r} kernel spec installed")
    assert shown == sk.KERNEL, (f"the {sk.KERNEL!r} kernel spec shows as {shown!r}: {sys.executable} -m ipykernel "
                                f"install --sys-prefix --name {sk.KERNEL} --display-name {sk.KERNEL}")


def test_nbdev_clean_keeps_the_metadata(tmp_path):
    "nbdev-clean, with this project's settings, leaves a notebook that set_kernelspec wrote unchanged."
    from nbdev.clean import _nbdev_clean
    import json
    src = ROOT/"nbs"/"00_core.ipynb"
    nb = json.loads(src.read_text())
    nb["metadata"] = {**nb["metadata"], **sk.kernel_metadata()}
    before = sk.dumps(nb)
    cleaned = json.loads(before)
    _nbdev_clean(cleaned, path=src)
    assert sk.dumps(cleaned) == before, ("nbdev-clean changes the kernel metadata: pyproject.toml's [tool.nbdev] needs "
                                         "allowed_metadata_keys = [\"language_info\"]")
