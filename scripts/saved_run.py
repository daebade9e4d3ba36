"""Make a notebook that papermill wrote back over itself read like the source again: drop the injected-parameters
cell (the `parameters` cell keeps its smoke-sized defaults, so nbdev-test still runs it small) and papermill's
metadata; the outputs of the run stay. Usage: python scripts/saved_run.py nbs/20_cmnist.ipynb [...]"""
import json, sys
from pathlib import Path

def clean(path: Path) -> int:
    nb = json.loads(path.read_text())
    n = len(nb["cells"])
    nb["cells"] = [c for c in nb["cells"] if "injected-parameters" not in c.get("metadata", {}).get("tags", [])]
    for c in nb["cells"]:
        c.get("metadata", {}).pop("papermill", None)
        for k in ("execution",): c.get("metadata", {}).pop(k, None)
    nb.get("metadata", {}).pop("papermill", None)
    path.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n")
    return n - len(nb["cells"])

if __name__ == "__main__":
    if len(sys.argv) < 2: sys.exit(__doc__)
    for p in sys.argv[1:]: print(f"{p}: removed {clean(Path(p))} injected cell(s)")
