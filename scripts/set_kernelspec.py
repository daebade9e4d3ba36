"""Give notebooks the kernel metadata that JupyterLab writes, in the form nbdev-clean keeps, so that opening a notebook
in JupyterLab (`make lab`) leaves it unmodified (no dirty tab, no autosaved rewrite).

    .venv/bin/python scripts/set_kernelspec.py nbs/*.ipynb           # rewrite the metadata where it differs
    .venv/bin/python scripts/set_kernelspec.py --check nbs/*.ipynb   # only report; exit 1 if any notebook differs

When its kernel starts, JupyterLab sets `kernelspec` to {name, display_name, language} of the kernel spec it started
(display_name from that spec's kernel.json) and `language_info` to what the kernel reports (ipykernel: python, the
interpreter's version, ...); a notebook without them is marked modified and autosaved. nbdev-clean sets
`kernelspec.display_name` to `kernelspec.name` and drops `language_info` unless `allowed_metadata_keys` lists it.
Both agree on the form written here when (1) pyproject.toml's [tool.nbdev] has `allowed_metadata_keys =
["language_info"]`, and (2) the environment's `python3` kernel spec has display_name "python3"
(`.venv/bin/python -m ipykernel install --sys-prefix --name python3 --display-name python3`); the script warns when
(2) does not hold. Other metadata (widgets, nbdev) and the cells are left as they are; the file is written the way
nbdev-clean writes it (sorted keys, one-space indent, UTF-8, final newline).
"""
import argparse, json, sys
from pathlib import Path

KERNEL = "python3"


def kernel_metadata() -> dict:
    "The kernelspec and language_info that this environment's ipykernel gives JupyterLab (display_name = name)."
    from ipykernel.ipkernel import IPythonKernel
    return {"kernelspec": {"display_name": KERNEL, "language": "python", "name": KERNEL},
            "language_info": json.loads(json.dumps(IPythonKernel.language_info))}


def installed_display_name() -> str | None:
    "display_name of the installed `python3` kernel spec (what JupyterLab writes), None when there is none."
    try:
        from jupyter_client.kernelspec import KernelSpecManager
        return KernelSpecManager().get_kernel_spec(KERNEL).display_name
    except Exception: return None


def dumps(nb: dict) -> str: return json.dumps(nb, sort_keys=True, indent=1, ensure_ascii=False) + "\n"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("notebooks", nargs="+", type=Path)
    ap.add_argument("--check", action="store_true", help="report notebooks whose metadata differs; change nothing")
    a = ap.parse_args(argv)
    want, differ = kernel_metadata(), []
    for path in a.notebooks:
        if path.suffix != ".ipynb" or not path.is_file(): sys.exit(f"{path}: not a notebook file (.ipynb)")
        text = path.read_text(encoding="utf-8")
        nb = json.loads(text)
        new = dumps({**nb, "metadata": {**nb.get("metadata", {}), **want}})
        if new == text: continue
        differ.append(path)
        if not a.check: path.write_text(new, encoding="utf-8")
    verb = "differ" if a.check else "rewritten"
    print(f"{len(differ)} of {len(a.notebooks)} notebook(s) {verb}" + "".join(f"\n  {p}" for p in differ))
    shown = installed_display_name()
    if shown not in (None, KERNEL):
        print(f"warning: the installed {KERNEL!r} kernel spec shows as {shown!r}: JupyterLab will write that display "
              f"name and nbdev-clean will write {KERNEL!r} back. Fix: .venv/bin/python -m ipykernel install "
              f"--sys-prefix --name {KERNEL} --display-name {KERNEL}", file=sys.stderr)
    return 1 if a.check and differ else 0


if __name__ == "__main__":
    sys.exit(main())
