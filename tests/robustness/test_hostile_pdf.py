"""``ovocr predict`` on PDF render bombs and multi-page TIFFs (issue 22): a bomb page is one
``ovocr:`` line and the batch goes on, within 3 GB in all; Ctrl-C and SIGTERM stop a render
at once and leave no renderer behind; a fax TIFF gives one record per page."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import render_text
from ovocr.pdf import PAGE_MEMORY
from pdf_factory import inflating_pdf, nested_forms_pdf
from PIL import Image
from test_bad_inputs import run_cli

OVOCR = [sys.executable, "-m", "ovocr.cli"]
ENV = {**os.environ, "OVOCR_DEVICE": "CPU"}
LIMIT_MB = 3000


@pytest.fixture(scope="module")
def bombs(requires_models, tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("bombs")
    sign = folder / "sign.png"
    Image.fromarray(render_text(["EXIT 3"])).save(sign)
    return {
        "nested": nested_forms_pdf(folder / "nested.pdf", after="NEXT PAGE"),
        "inflating": inflating_pdf(folder / "inflating.pdf", after="NEXT PAGE"),
        "sign": sign,
    }


def test_bomb_pages_are_one_line_each_and_the_batch_goes_on(bombs, tmp_path):
    paths = [str(bombs[k]) for k in ("nested", "inflating", "sign")]
    done = run_cli(["predict", *paths, "--precision", "f32", "-q"], tmp_path)
    assert done.returncode == 1
    problem = "needs more than 1.0 GB of memory to render (a PDF bomb?); skipped"
    lines = done.stderr.splitlines()
    assert len(lines) == 2 and "Traceback" not in done.stderr
    for key, line in zip(("nested", "inflating"), lines):
        # whichever budget a loaded machine reaches first: memory or time
        assert line in (
            f"ovocr: {bombs[key]}: page 1: {problem}",
            f"ovocr: {bombs[key]}: page 1: not rendered within 30 s (a PDF bomb?); skipped",
            f"ovocr: {bombs[key]}: page 1: not rendered within 30 s of CPU time (a PDF bomb?); "
            "skipped",
        ), line
    records = [json.loads(line) for line in done.stdout.splitlines()]
    assert [(Path(r["image"]).name, r.get("page"), r["text"]) for r in records] == [
        ("nested.pdf", 2, "NEXT PAGE"),
        ("inflating.pdf", 2, "NEXT PAGE"),
        ("sign.png", None, "EXIT 3"),
    ]
    # wait4 reports the larger of the CLI's peak and its renderer's; the renderer cannot
    # pass PAGE_MEMORY, so both together stay below this:
    print(f"peak of the CLI or its renderer: {done.max_rss_mb:.0f} MB")
    assert done.max_rss_mb + PAGE_MEMORY / 2**20 < LIMIT_MB


def renderer_of(pid: int) -> int | None:
    """The pid of the CLI's PDF renderer, once it runs."""
    children = Path(f"/proc/{pid}/task/{pid}/children")
    for child in children.read_text().split() if children.exists() else []:
        if b"pdf_worker.py" in Path(f"/proc/{child}/cmdline").read_bytes():
            return int(child)
    return None


@pytest.mark.parametrize(
    "sig, code, line", [(signal.SIGTERM, 143, "terminated"), (signal.SIGINT, 130, "interrupted")]
)
def test_signal_during_a_render_stops_at_once(bombs, sig, code, line):
    if not Path("/proc/self/task").exists():
        pytest.skip("needs /proc to find the renderer process")
    proc = subprocess.Popen(
        [*OVOCR, "predict", str(bombs["nested"]), "-q"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=ENV,
    )  # fmt: skip
    child = None
    while child is None and proc.poll() is None:
        child = renderer_of(proc.pid)
        time.sleep(0.05)
    if child is None:
        pytest.fail(f"no renderer started: {proc.communicate()}")
    time.sleep(1)  # well into the bomb page
    proc.send_signal(sig)
    _, stderr = proc.communicate(timeout=20)  # a hang fails here
    assert (proc.returncode, stderr) == (code, f"ovocr: {line}\n")
    assert not Path(f"/proc/{child}").exists()  # ended and reaped by the CLI


def test_fax_tiff_gives_one_record_per_page(requires_models, tmp_path):
    fax = tmp_path / "fax.tif"
    pages = [
        Image.fromarray(render_text([text])).convert("1")
        for text in ("PAGE ONE", "PAGE TWO", "PAGE 3")
    ]
    pages[0].save(fax, save_all=True, append_images=pages[1:], compression="group4")
    done = run_cli(["predict", str(fax), "--precision", "f32", "-q"], tmp_path)
    assert done.returncode == 0, done.stderr
    records = [json.loads(line) for line in done.stdout.splitlines()]
    assert [(r["page"], r["text"]) for r in records] == [
        (1, "PAGE ONE"),
        (2, "PAGE TWO"),
        (3, "PAGE 3"),
    ]
