"The defaults study's comparison summary (scripts/defaults_study.py): counts and means from known rows."
import importlib.util, sys
from pathlib import Path
import pandas as pd
import pytest

ROOT = Path(__file__).parents[1]

@pytest.fixture(scope="module")
def study():
    spec = importlib.util.spec_from_file_location("defaults_study", ROOT/"scripts"/"defaults_study.py")
    mod = importlib.util.module_from_spec(spec); sys.modules["defaults_study"] = mod; spec.loader.exec_module(mod)
    return mod

def rows(key, values, wga):
    "One row per (benchmark, seed, value): wga[(benchmark, seed)] = WGA per value, class balance 10, true groups 90."
    return pd.DataFrame([{"benchmark": b, "seed": s, key: v, "dfr_exmap": w, "n_groups": 4, "proxy_dfr_gain": 0.0,
                          "dfr_class": 10.0, "dfr_true": 90.0}
                         for (b, s), ws in wga.items() for v, w in zip(values, ws)])

def test_comparison_summary_three_values(study):
    vals = study.VARIANTS["norm"]; assert vals[0] == "max"  # the default comes first: the others are compared to it
    wga = {("heldout_a", 0): (20, 50, 20.01), ("heldout_a", 1): (40, 30, 5), ("heldout_b", 0): (7, 7, 60)}
    table, counts = study.comparison_summary(rows("norm", vals, wga), "norm")
    assert counts["runs"] == 3
    assert (counts["none_higher"], counts["none_equal"], counts["none_lower"]) == (1, 1, 1)
    assert (counts["l2_higher"], counts["l2_equal"], counts["l2_lower"]) == (1, 1, 1)
    assert counts["mean_max"] == 22.3 and counts["mean_none"] == 29.0
    # below class balance (10) by more than 2 points: max 7 (b), none 7 (b), l2 5 (a, seed 1)
    assert (counts["below_class_by_2_max"], counts["below_class_by_2_none"], counts["below_class_by_2_l2"]) == (1, 1, 1)
    assert list(table.index) == ["a", "b"] and table.loc["a", "none"] == "40.0 ± 14.1"

def test_comparison_summary_two_values_keeps_merge_keys(study):
    "Stage merge's summary keeps the keys the README and merge.json were written with."
    wga = {("heldout_a", 0): (20, 30), ("heldout_a", 1): (40, 40)}
    _, counts = study.comparison_summary(rows("merge", study.VARIANTS["merge"], wga), "merge")
    assert {k: counts[k] for k in ("evidence_higher", "equal", "evidence_lower")} == dict(evidence_higher=1, equal=1, evidence_lower=0)

def test_summary_aligns_references_whatever_the_row_order(study):
    "Rows come in file order (color_95_balval before color_95); the references must follow each run, not the position."
    df = pd.DataFrame([{"benchmark": b, "seed": 0, "norm": v, "dfr_exmap": w, "n_groups": 4, "proxy_dfr_gain": 0.0,
                        "dfr_class": c, "dfr_true": t}
                       for b, c, t, ws in [("color_95_balval", 90.0, 91.0, (89.0, 87.5, 95.0)),
                                           ("color_95", 60.0, 90.0, (90.0, 50.0, 86.0))]
                       for v, w in zip(study.VARIANTS["norm"], ws)])
    table, counts = study.comparison_summary(df, "norm", "study benchmark")
    assert list(table.index) == ["color_95", "color_95_balval"] and table.index.name == "study benchmark"
    assert (counts["below_class_by_2_max"], counts["below_class_by_2_none"], counts["below_class_by_2_l2"]) == (0, 2, 0)
    assert (counts["within_3_of_true_max"], counts["within_3_of_true_none"], counts["within_3_of_true_l2"]) == (2, 0, 1)
