"""Stored notebook outputs hold nothing of the machine that ran them.

A committed notebook is read on GitHub and copied by learners, so its outputs must not leak
absolute paths (``/work/...``, ``/home/NAME``, ``C:\\Users\\NAME``, temporary folders), the
user name of whoever executed it, or memory addresses (``<object at 0x7f...>``), which also
change on every run. Paths belong relative to the repository, the models folder or the data
folder. Every output is checked: streams, results, displays, errors, and the saved widget
state in the notebook's metadata.
"""

from __future__ import annotations

import getpass
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]-*.ipynb"))

# Absolute paths: Unix roots that hold user or machine folders, temporary folders, any
# Windows drive. A path is only flagged where it starts (after a quote, space, bracket...),
# so URLs such as https://host/home/... and relative paths such as data/tmp/x pass.
_START = r"(?<![\w./~-])"
FORBIDDEN = {
    "absolute path": re.compile(
        _START + r"(?:/(?:work|root|home|Users|tmp|var/folders|private|mnt|opt|srv)/[^\s'\"]*"
        r"|/(?:root|tmp)\b|[A-Za-z]:\\\\?[^\s'\"]+)",
        re.MULTILINE,
    ),
    "memory address": re.compile(r"\b0x[0-9a-fA-F]{8,}\b|\bat 0x[0-9a-fA-F]+"),
}
# Names too common to flag as a user name in prose ("root" is a word in OCR too: a path
# under /root is caught above).
COMMON_USERS = {"root", "user", "runner", "jovyan", "admin", "ubuntu"}


def _text(value: Any) -> str:
    if isinstance(value, list):
        return "".join(str(v) for v in value)
    return value if isinstance(value, str) else json.dumps(value)


def _outputs(path: Path) -> Iterator[tuple[str, str]]:
    """(where, text) of every stored output, text-like data only (no base64 images)."""
    notebook = json.loads(path.read_text(encoding="utf-8"))
    number = 0
    for cell in notebook["cells"]:
        if cell["cell_type"] != "code":
            continue
        number += 1
        for output in cell.get("outputs", []):
            where = f"code cell {number}"
            if output.get("output_type") == "stream":
                yield where, _text(output.get("text", ""))
            elif output.get("output_type") == "error":
                yield where, "\n".join([output.get("evalue", ""), *output.get("traceback", [])])
            for mime, data in output.get("data", {}).items():
                if mime.startswith("text/") or mime.endswith("json"):
                    yield f"{where} ({mime})", _text(data)
    widgets = notebook.get("metadata", {}).get("widgets")
    if widgets:
        yield "saved widget state", json.dumps(widgets)


def find_leaks(text: str, user: str | None) -> list[str]:
    """Every forbidden fragment of ``text``, named by kind."""
    leaks = [f"{kind} {m.group(0)!r}" for kind, rx in FORBIDDEN.items() for m in rx.finditer(text)]
    if user and user.lower() not in COMMON_USERS and len(user) > 2:
        leaks += [f"user name {m.group(0)!r}" for m in re.finditer(rf"\b{re.escape(user)}\b", text)]
    return leaks


def test_there_are_notebooks():
    assert NOTEBOOKS, f"no notebooks/NN-*.ipynb under {ROOT.name}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_stored_outputs_hold_no_machine_details(path: Path):
    user = getpass.getuser()
    leaks = [
        f"{where}: {leak}" for where, text in _outputs(path) for leak in find_leaks(text, user)
    ]
    assert not leaks, (
        f"{path.name}: stored outputs leak this machine; print paths relative to the repository, "
        "models or data folder and never an object's repr, then re-execute:\n  "
        + "\n  ".join(leaks[:10])
    )


@pytest.mark.parametrize(
    ("text", "kinds"),
    [
        ("saved to /work/main/models/x.xml", ["absolute path"]),
        ("'/home/student/notebooks/a.png'", ["absolute path"]),
        ("cache in /tmp/ovocr-01-abc/rec.xml", ["absolute path"]),
        (r"C:\\Users\\student\\ovocr", ["absolute path"]),
        ("C:\\Users\\student", ["absolute path"]),
        ("<ovocr.Page object at 0x7f40b443d010>", ["memory address"]),
        ("user ana ran this", ["user name"]),
        ("models/ppocrv6-small-det/model.xml", []),
        ("https://github.com/home/tmp/x and 3/4 of 1/2", []),
        ("0.0869 at 1/8 resolution, ratio 1.2", []),
    ],
)
def test_the_checks_catch_leaks_and_pass_clean_text(text: str, kinds: list[str]):
    found = [leak.split(" '")[0] for leak in find_leaks(text, "ana")]
    assert found == kinds, found
