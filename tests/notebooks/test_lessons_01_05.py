"""Lessons 01-05 teach OpenVINO itself, then show that ``ovocr`` does the same.

Issue 20: each step these lessons teach is written in a code cell with OpenVINO and NumPy
(the call listed under ``WRITTEN_OUT``), and a later ``# NBVAL_CHECK_OUTPUT`` cell names the
``ovocr`` function it must agree with; every comparison a checked cell printed says True.
Besides: the markdown by the device dropdown says that changing it needs the cells below to
run again, exercises and code reach the shared data through ``ovocr`` (never a literal
``../shared/data``), and no stored output is a stderr box (a warning shown as a pink box).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHECK_MARK = "# NBVAL_CHECK_OUTPUT"

# notebook -> (OpenVINO / NumPy code written out, the ovocr call a later checked cell compares)
WRITTEN_OUT: dict[str, list[tuple[str, str | None]]] = {
    "01-model-preparation": [
        ("ov.convert_model(", None),
        ("ov.save_model(", None),
        (".read_model(", None),
        (".reshape(", None),
        ("ov.PartialShape(", None),
        ("get_partial_shape()", None),
    ],
    "02-device-selection": [
        ("ov.Core()", None),
        ("props.device.full_name", None),
        ("props.num_streams", "compile_model(detector_model.path"),
        ("props.cache_dir", None),
        ("create_infer_request()", None),
        ("ov.AsyncInferQueue(", None),
    ],
    "03-text-detection": [
        (".transpose(2, 0, 1)", "preprocess_db("),
        ("compiled(tensor)[output]", "detector.infer("),
    ],
    "04-text-recognition": [
        ("np.pad(", "resize_normalise("),
        ("compiled(batch)[output]", "recognizer.infer("),
        ("np.flatnonzero(first_of_run", "ctc_greedy_decode("),
    ],
}
LESSONS = sorted(ROOT.glob("notebooks/0[1-5]-*.ipynb"))


def _cells(path: Path) -> list[dict[str, Any]]:
    return json.loads(path.read_text(encoding="utf-8"))["cells"]


def _source(cell: dict[str, Any]) -> str:
    source = cell["source"]
    return source if isinstance(source, str) else "".join(source)


def _output_text(cell: dict[str, Any]) -> str:
    parts = []
    for output in cell.get("outputs", []):
        text = output.get("text", output.get("data", {}).get("text/plain", ""))
        parts.append(text if isinstance(text, str) else "".join(text))
    return "".join(parts)


@pytest.fixture(params=LESSONS, ids=[p.stem for p in LESSONS])
def lesson(request: pytest.FixtureRequest) -> Path:
    return request.param


def test_the_five_lessons_are_there():
    assert [p.stem[:2] for p in LESSONS] == ["01", "02", "03", "04", "05"], LESSONS


@pytest.mark.parametrize("stem", sorted(WRITTEN_OUT))
def test_openvino_written_out_then_checked_against_ovocr(stem: str):
    code = [c for c in _cells(ROOT / "notebooks" / f"{stem}.ipynb") if c["cell_type"] == "code"]
    for written, library in WRITTEN_OUT[stem]:
        at = [i for i, c in enumerate(code) if written in _source(c)]
        assert at, f"{stem}: no code cell writes out `{written}`"
        if library is None:
            continue
        checked = [
            i
            for i, c in enumerate(code)
            if i >= at[0] and CHECK_MARK in _source(c) and library in _source(c)
        ]
        assert checked, f"{stem}: no checked cell after `{written}` compares it with `{library}`"


def test_checked_comparisons_all_say_true(lesson: Path):
    for index, cell in enumerate(_cells(lesson)):
        if cell["cell_type"] != "code" or CHECK_MARK not in _source(cell):
            continue
        printed = _output_text(cell)
        assert not re.search(r"\bFalse\b", printed), (
            f"{lesson.name}: checked cell {index} printed False:\n{printed}"
        )


def test_the_dropdown_says_to_run_the_cells_below_again(lesson: Path):
    cells = _cells(lesson)
    first_code = next(i for i, c in enumerate(cells) if c["cell_type"] == "code")
    assert "device_selector()" in _source(cells[first_code]), f"{lesson.name}: no dropdown"
    before = _source(cells[first_code - 1]).lower()
    assert "run the cells below" in before, (
        f"{lesson.name}: the markdown by the dropdown must say that after changing it the "
        "cells below have to run again"
    )


def test_no_literal_shared_data_path(lesson: Path):
    for index, cell in enumerate(_cells(lesson)):
        assert "../shared/data" not in _source(cell), (
            f"{lesson.name}: cell {index} names ../shared/data; use ovocr.paths.shared_data_dir() "
            "(OVOCR_SHARED_DATA) and say what to do without the data"
        )


def test_no_stderr_box_in_the_stored_outputs(lesson: Path):
    for index, cell in enumerate(_cells(lesson)):
        for output in cell.get("outputs", []):
            assert output.get("name") != "stderr", (
                f"{lesson.name}: cell {index} stored a stderr output (a pink box): "
                f"{''.join(output.get('text', ''))[:200]!r}"
            )
