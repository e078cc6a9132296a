"""Every tutorial notebook keeps the house frame and is committed as one clean run.

Checked for each ``notebooks/NN-*.ipynb``: a ``# `` title first; the headings "What you
will learn", "Prerequisites", "Summary" and "Exercises" in that order; no code cell longer
than ``MAX_CODE_LINES``; at least one ``# NBVAL_CHECK_OUTPUT`` cell with a stored output;
every code cell executed once, top to bottom (execution counts 1..n), with no error output;
a markdown cell (the "why") before every code cell but the first; and a row for it in the
README's notebook table.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]-*.ipynb"))
HEADINGS = ("What you will learn", "Prerequisites", "Summary", "Exercises")
MAX_CODE_LINES = 20
CHECK_MARK = "# NBVAL_CHECK_OUTPUT"


def _cells(path: Path) -> list[dict[str, Any]]:
    return json.loads(path.read_text(encoding="utf-8"))["cells"]


def _source(cell: dict[str, Any]) -> str:
    source = cell["source"]
    return source if isinstance(source, str) else "".join(source)


def _code_cells(path: Path) -> list[dict[str, Any]]:
    return [c for c in _cells(path) if c["cell_type"] == "code" and _source(c).strip()]


def _headings(path: Path) -> list[str]:
    found = []
    for cell in _cells(path):
        if cell["cell_type"] == "markdown":
            found += re.findall(r"^#{1,6}\s+(.+?)\s*#*\s*$", _source(cell), flags=re.MULTILINE)
    return found


def test_there_are_notebooks():
    assert NOTEBOOKS, f"no notebooks/NN-*.ipynb under {ROOT}"


@pytest.fixture(params=NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def notebook(request: pytest.FixtureRequest) -> Path:
    return request.param


def test_starts_with_a_title(notebook: Path):
    first = _cells(notebook)[0]
    assert first["cell_type"] == "markdown", f"{notebook.name}: first cell is not markdown"
    assert re.match(r"#\s+\S", _source(first)), f"{notebook.name}: first cell has no '# ' title"


def test_has_the_frame_headings_in_order(notebook: Path):
    headings = [h.lower() for h in _headings(notebook)]
    positions = []
    for wanted in HEADINGS:
        at = [i for i, h in enumerate(headings) if h.startswith(wanted.lower())]
        assert at, f"{notebook.name}: no heading '{wanted}' (found {headings})"
        positions.append(at[0])
    assert positions == sorted(positions), f"{notebook.name}: headings out of order {HEADINGS}"


def test_code_cells_are_short(notebook: Path):
    for index, cell in enumerate(_cells(notebook)):
        if cell["cell_type"] != "code":
            continue
        lines = _source(cell).rstrip().splitlines()
        assert len(lines) <= MAX_CODE_LINES, (
            f"{notebook.name}: cell {index} has {len(lines)} lines (at most {MAX_CODE_LINES}); "
            "split it into steps"
        )


def test_has_a_checked_cell_with_output(notebook: Path):
    checked = [c for c in _code_cells(notebook) if CHECK_MARK in _source(c)]
    assert checked, f"{notebook.name}: no '{CHECK_MARK}' cell; check a deterministic result"
    for cell in checked:
        assert cell.get("outputs"), f"{notebook.name}: a checked cell has no stored output"


def test_committed_as_one_clean_run(notebook: Path):
    cells = _code_cells(notebook)
    counts = [c.get("execution_count") for c in cells]
    assert counts == list(range(1, len(cells) + 1)), (
        f"{notebook.name}: execution counts {counts}; re-run it top to bottom "
        "(make notebooks) before committing"
    )
    for index, cell in enumerate(cells):
        errors = [o for o in cell.get("outputs", []) if o.get("output_type") == "error"]
        assert not errors, f"{notebook.name}: code cell {index + 1} stored an error output"


def test_a_markdown_cell_says_why_before_each_code_cell(notebook: Path):
    cells = [c for c in _cells(notebook) if c["cell_type"] == "markdown" or _source(c).strip()]
    back_to_back = [
        index
        for index in range(1, len(cells))
        if cells[index]["cell_type"] == "code" and cells[index - 1]["cell_type"] == "code"
    ]
    assert not back_to_back, (
        f"{notebook.name}: code cells {back_to_back} (counting non-empty cells) follow another "
        "code cell; put a markdown cell before each that says why the step is there"
    )


def test_listed_in_the_readme(notebook: Path):
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert f"| `{notebook.stem}` |" in readme, (
        f"{notebook.name}: add a row for it to the notebook table in README.md"
    )
