"""Every notebook's markdown renders as a reader expects: one title, a summary, prose as paragraphs.

The markdown cells are parsed with mistune (the parser nbconvert renders notebooks with) into the blocks Jupyter
shows. A notebook fails when its first markdown cell is not `# Title` followed by `> one-line summary` (nbdev's
front matter), when it has more than one top-level heading, or when a heading looks like prose: longer than
`MAX_HEADING` characters, or ending in a full stop (what a `# ` prefix on every prose line produces).
"""
import json
from pathlib import Path
import mistune
import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT/"nbs").glob("*.ipynb"))
MAX_HEADING = 80
_parse = mistune.create_markdown(renderer=None, plugins=["table", "strikethrough"])


def _text(node) -> str:
    "The plain text of a mistune AST node."
    if "raw" in node and node.get("type") in ("text", "codespan"): return node["raw"]
    return "".join(_text(c) for c in node.get("children", []))


def blocks(source: str) -> list:
    "Top-level blocks of a markdown cell, blank lines dropped."
    return [b for b in _parse(source) if b["type"] != "blank_line"]


def headings(source: str) -> list:
    "(level, text) of every heading a markdown cell renders (ATX `#` and setext `===`/`---`)."
    return [(b["attrs"]["level"], _text(b).strip()) for b in blocks(source) if b["type"] == "heading"]


def markdown_cells(path: Path) -> list:
    nb = json.loads(path.read_text())
    return [(c.get("id"), "".join(c["source"])) for c in nb["cells"] if c["cell_type"] == "markdown"]


def problems(path: Path) -> list:
    "Everything wrong with how a notebook's markdown renders, as readable sentences."
    cells = markdown_cells(path)
    if not cells: return [f"{path.name}: no markdown cell; start with '# Title' and '> one-line summary'."]
    out = []
    first_id, first = cells[0]
    b = blocks(first)
    if not b or b[0]["type"] != "heading" or b[0]["attrs"]["level"] != 1:
        out.append(f"{path.name}: the first markdown cell ({first_id}) must start with a '# Title' line.")
    if len(b) < 2 or b[1]["type"] != "block_quote":
        out.append(f"{path.name}: the title must be followed by a '> one-line summary' (nbdev's description).")
    h1 = []
    for cid, src in cells:
        for level, text in headings(src):
            if level == 1: h1.append(text)
            if len(text) > MAX_HEADING:
                out.append(f"{path.name} cell {cid}: heading of {len(text)} characters reads as prose rendered as a "
                           f"heading: {text[:60]!r}...; remove the '#' prefix or shorten it to at most {MAX_HEADING}.")
            elif text.endswith("."):
                out.append(f"{path.name} cell {cid}: heading ending in a full stop reads as a sentence: {text!r}; "
                           "make it a paragraph (no '#').")
    if len(h1) > 1:
        out.append(f"{path.name}: {len(h1)} top-level headings {h1[:4]}; keep the title as the only '# ' heading "
                   "and use '## ' for sections.")
    return out


def test_checker_catches_prefixed_prose(tmp_path):
    "The check itself: prose with a '# ' prefix on every line fails, a proper notebook passes."
    def nb(*sources):
        return json.dumps({"cells": [{"cell_type": "markdown", "id": f"c{i}", "metadata": {}, "source": s}
                                     for i, s in enumerate(sources)], "metadata": {}, "nbformat": 4, "nbformat_minor": 5})
    bad = tmp_path/"bad.ipynb"
    bad.write_text(nb("# cluster\n# > Heatmaps to pseudo-groups.\n# This notebook clusters the heatmaps of a model and pairs them with classes."))
    msgs = problems(bad)
    assert any("top-level headings" in m for m in msgs) and any("full stop" in m for m in msgs), msgs
    good = tmp_path/"good.ipynb"
    good.write_text(nb("# cluster\n\n> Heatmaps to pseudo-groups.\n\nThis notebook clusters heatmaps.", "## Spectral clustering\n\nText."))
    assert problems(good) == []
    setext = tmp_path/"setext.ipynb"
    setext.write_text(nb("# t\n\n> s", "A long sentence of prose that happens to be followed by a line of dashes.\n---"))
    assert any("full stop" in m for m in problems(setext))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_markdown_renders(path):
    msgs = problems(path)
    assert not msgs, "\n".join(msgs)
