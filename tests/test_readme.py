"""The README's worked example runs as written and does what it says: DFR+ExMap finds the colour minority of Colored
MNIST without a group label and beats class balance on the worst group."""
import re, runpy, sys
from pathlib import Path
import pytest

ROOT = Path(__file__).resolve().parents[1]


def readme_example() -> str:
    "The first ```python block after '## One example'."
    text = (ROOT/"README.md").read_text()
    section = text.split("## One example", 1)[1]
    return re.search(r"```python\n(.*?)```", section, re.S).group(1)


def test_readme_example_runs(tmp_path, capsys):
    code = readme_example()
    assert "exmap_pseudo_groups" in code and "DFR()" in code
    script = tmp_path/"example.py"
    script.write_text(code + "\nRESULT = dict(case=diag['case'], n_groups=diag['n_groups'], "
                      "wga=worst_group_accuracy(test.y, dfr.predict(extract_features(erm, test.x)), test.g))\n")
    ns = runpy.run_path(str(script), run_name="__readme__")
    r = ns["RESULT"]
    out = capsys.readouterr().out
    assert r["case"] in out and str(r["n_groups"]) in out, out   # the example prints what it says it prints
    assert r["case"] == "exmap" and r["n_groups"] >= 4, r      # at least two classes x (majority, colour minority)
    from exmap.dfr import DFR
    from exmap.metrics import worst_group_accuracy
    ns_cb = DFR().fit(ns["extract_features"](ns["erm"], ns["val"].x), ns["val"].y, groups=ns["val"].y.numpy())
    cb = worst_group_accuracy(ns["test"].y, ns_cb.predict(ns["extract_features"](ns["erm"], ns["test"].x)),
                              ns["test"].g)
    print(f"DFR+ExMap WGA {r['wga']:.3f}, class balance {cb:.3f}")
    assert r["wga"] > cb + 0.1, (r["wga"], cb)                 # ExMap's groups beat class balance by 10 points
