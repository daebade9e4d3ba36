"""The defaults study (nbs/28_defaults_study.ipynb, results/defaults_study/): it runs the package's own code, and the
defaults the package ships are the ones the study ran or the ones it picked."""
import json, re
from pathlib import Path
import numpy as np
import pytest

ROOT = Path(__file__).parents[1]
STUDY = ROOT/"results"/"defaults_study"
NB = ROOT/"nbs"/"28_defaults_study.ipynb"

def code_cells(path):
    return ["".join(c["source"]) for c in json.loads(path.read_text())["cells"] if c["cell_type"] == "code"]

def test_no_library_logic_in_scripts():
    "Model fitting, eigensolvers and kNN graphs live in exmap/ only: scripts/ holds thin wrappers at most."
    pat = re.compile(r"LogisticRegression|eigsh|lobpcg|kneighbors_graph")
    hits = [f"{p.name}:{i}" for p in (ROOT/"scripts").rglob("*") if p.is_file() and p.suffix in (".py", ".sh")
            for i, line in enumerate(p.read_text().splitlines(), 1) if pat.search(line)]
    assert hits == []

def test_notebook_calls_the_package():
    "The study imports exmap's public functions and nothing that fits models or clusters by itself."
    src = "\n".join(code_cells(NB))
    mods = {m.split(".")[0] for m in re.findall(r"^\s*(?:from|import) ([\w.]+)", src, re.M)}
    assert mods <= {"exmap", "json", "time", "warnings", "numpy", "pandas", "matplotlib", "torch"}, mods
    assert not re.search(r"from exmap\.\w+ import [^\n]*\b_\w", src), "private exmap names imported"
    assert "exmap_groups(" in src and "DFR(" in src and "proxy_worst_accuracy(" in src
    nb = json.loads(NB.read_text())
    params = [c for c in nb["cells"] if "parameters" in c["metadata"].get("tags", [])]
    assert len(params) == 1 and "smoke: bool = True" in "".join(params[0]["source"])

@pytest.fixture(scope="module")
def summary():
    return json.loads((STUDY/"summary.json").read_text())

def test_shipped_defaults_were_run_or_picked(summary):
    "Each default the package ships is what the study ran as shipped, or what its criterion picked."
    from exmap.pipeline import EXMAP_DEFAULTS
    from exmap.dfr import DFR
    now = {**EXMAP_DEFAULTS, "dfr_min_group_size": DFR().min_group_size}
    for k, ran in summary["shipped"].items():
        assert now[k] in (ran, summary["picked"][k]), f"{k}: ships {now[k]!r}, study ran {ran!r}, picked {summary['picked'][k]!r}"
    from exmap.suite import STUDY_BENCHMARKS, HELDOUT
    assert summary["benchmarks"] == list(STUDY_BENCHMARKS) and summary["heldout"] == list(HELDOUT)

@pytest.mark.parametrize("stage", ["explain", "cluster", "dfr"])
def test_choices_follow_the_declared_rule(stage):
    """A stage's choice differs from the shipped value only where its table has a 'better' verdict, and the verdicts
    follow the rule: 'better' means a mean paired difference above twice its standard error."""
    s = json.loads((STUDY/f"{stage}.json").read_text())
    t = s["table"]
    for r in t:
        if r["verdict"] == "better": assert r["diff"] > r["2se"]
        if r["verdict"] in ("tie", "worse"): assert not r["diff"] > r["2se"]
        assert r["n"] == len(s["benchmarks"])
    if all(r["verdict"] != "better" for r in t): assert s["chosen"] == s["shipped"], stage

def test_merge_follows_the_held_out_outcome():
    "Stage merge says what decided it (no label-free criterion does) and keeps the rule with the higher held-out mean."
    s = json.loads((STUDY/"merge.json").read_text())
    assert "held-out" in s["decided_by"] and "none decides" in s["criterion"]
    ev = np.mean([r["defaults"] for r in s["heldout_table"]]); no = np.mean([r["merge=none"] for r in s["heldout_table"]])
    assert s["chosen"]["merge"] == ("evidence" if ev >= no else "none")
    c = s["heldout_counts"]; assert c["higher"] + c["equal"] + c["lower"] == len(s["heldout_table"])
