"""The SLIM annotation widget driven programmatically: answers given with the buttons, saved at every click, the widget
and its state dropped (new Python objects, and a new Python process: a real kernel restart), reloaded from the file,
and the session continues at the next unanswered sample."""
import json, subprocess, sys, textwrap
import numpy as np
import pytest
import torch
import exmap
from exmap.slim import AnnotationWidget, SimulatedAnnotator, spread_answers

QUERIES = [7, 2, 9, 4, 0]

def data():
    g = torch.Generator().manual_seed(0)
    return torch.rand(10, 3, 12, 12, generator=g), torch.rand(10, 1, 12, 12, generator=g)

def test_answers_saved_and_resumed_in_process(tmp_path):
    imgs, maps = data(); path = tmp_path/"answers.json"
    w = AnnotationWidget(imgs, maps, QUERIES, path, labels=np.arange(10) % 2)
    assert w.current == 7 and not path.exists()
    w.yes_button.click()
    assert json.loads(path.read_text())["answers"] == {"7": 1}      # saved at the first click
    w.no_button.click()
    assert w.current == 9
    del w                                                            # the widget and its state are gone
    w = AnnotationWidget(imgs, maps, QUERIES, path)
    assert (w.current, w.answers) == (9, {7: 1, 2: 0})
    w.unsure_button.click(); w.yes_button.click(); w.no_button.click()
    assert w.done and w.current is None and w.yes_button.disabled
    assert w.answer().tolist() == [1, 0, -1, 1, 0]
    w.yes_button.click()                                             # clicks after the end change nothing
    assert json.loads(path.read_text())["answers"] == {"7": 1, "2": 0, "9": -1, "4": 1, "0": 0}
    assert not list(tmp_path.glob(".*tmp"))                          # atomic writes leave no temporary files

def test_kernel_restart_in_a_subprocess(tmp_path):
    "Two answers in one Python process; a second process (a fresh kernel) resumes at the third query."
    path = tmp_path/"answers.json"
    script = textwrap.dedent(f"""
        import sys, json, torch
        import exmap
        from exmap.slim import AnnotationWidget
        from tests.test_slim_widget import data, QUERIES
        imgs, maps = data()
        w = AnnotationWidget(imgs, maps, QUERIES, {str(path)!r})
        for b in sys.argv[1:]: getattr(w, b + "_button").click()
        print(json.dumps({{"current": w.current, "answers": {{str(k): v for k, v in w.answers.items()}}}}))
    """)
    from pathlib import Path
    root = Path(__file__).resolve().parents[1]
    run = lambda *buttons: json.loads(subprocess.run([sys.executable, "-c", script, *buttons], cwd=root, check=True,
                                                     capture_output=True, text=True).stdout.strip().splitlines()[-1])
    first = run("yes", "no")
    assert first == {"current": 9, "answers": {"7": 1, "2": 0}}
    second = run()                                                   # a new process: nothing but the file
    assert second == first
    third = run("yes")
    assert third["current"] == 4 and third["answers"]["9"] == 1

def test_same_interface_as_the_simulated_annotator(tmp_path):
    imgs, maps = data()
    sim = SimulatedAnnotator(np.linspace(0, 1, 10))
    w = AnnotationWidget(imgs, maps, QUERIES, tmp_path/"a.json")
    for a in sim.answer(QUERIES): (w.yes_button if a == 1 else w.no_button).click()
    assert w.answer(QUERIES).tolist() == sim.answer(QUERIES).tolist()
    Z = np.random.default_rng(0).normal(size=(10, 2)); y = np.arange(10) % 2
    np.testing.assert_array_equal(spread_answers(Z, y, QUERIES, w.answer()), spread_answers(Z, y, QUERIES, sim.answer(QUERIES)))

def test_bad_files_and_queries(tmp_path):
    imgs, maps = data()
    bad = tmp_path/"bad.json"; bad.write_text("{not json")
    with pytest.raises(ValueError, match="not an answers file"): AnnotationWidget(imgs, maps, QUERIES, bad)
    AnnotationWidget(imgs, maps, QUERIES, tmp_path/"a.json").yes_button.click()
    with pytest.raises(ValueError, match="other queries"): AnnotationWidget(imgs, maps, [1, 2], tmp_path/"a.json")
    with pytest.raises(ValueError, match="index the 10 images"): AnnotationWidget(imgs, maps, [10], tmp_path/"b.json")
    with pytest.raises(ValueError, match="Lengths differ"): AnnotationWidget(imgs[:5], maps, [1], tmp_path/"c.json")
