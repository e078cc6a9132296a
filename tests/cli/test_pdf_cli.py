"""`ovocr predict` on PDFs and with `--engine ray`: one record per page, one line per bad
file, exit code 1; the Ray engine writes the same records and lines as the local one."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from conftest import render_text
from ovocr.pdf import render_text_pdf
from pdf_factory import broken_pdf, encrypted_pdf
from PIL import Image

OVOCR = [sys.executable, "-m", "ovocr.cli"]


def run(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "OVOCR_DEVICE": "CPU", "RAY_USAGE_STATS_ENABLED": "0"}
    return subprocess.run([*OVOCR, *args], capture_output=True, text=True, env=env, timeout=600)


@pytest.fixture(scope="module")
def files(tmp_path_factory, requires_models):
    folder = tmp_path_factory.mktemp("pdfs")
    doc = render_text_pdf(folder / "doc.pdf", [["Invoice 42"], ["Total 9.50", "Paid"]], 16)
    broken_pdf(folder / "broken.pdf", doc)
    encrypted_pdf(folder / "locked.pdf")
    images = folder / "images"
    images.mkdir()
    for i, text in enumerate(["EXIT 3", "ROOM 101"]):
        Image.fromarray(render_text([text])).save(images / f"sign_{i}.png")
    (images / "notes.png").write_text("not a picture")
    return folder


def test_pdf_gives_one_record_per_page_and_bad_pdfs_one_line(files):
    done = run(
        "predict",
        str(files / "doc.pdf"),
        str(files / "broken.pdf"),
        str(files / "locked.pdf"),
        "--precision",
        "f32",
        "-q",
    )
    assert done.returncode == 1
    records = [json.loads(line) for line in done.stdout.splitlines()]
    assert [(r["image"], r["page"], r["text"]) for r in records] == [
        (str(files / "doc.pdf"), 1, "Invoice 42"),
        (str(files / "doc.pdf"), 2, "Total 9.50\nPaid"),
    ]
    assert records[0]["width"] == 1275 and records[0]["height"] == 1650  # letter, 150 DPI
    assert done.stderr.splitlines() == [
        f"ovocr: {files / 'broken.pdf'}: not a valid PDF (damaged or truncated file?)",
        f"ovocr: {files / 'locked.pdf'}: encrypted PDF: it needs a password; "
        "save an unprotected copy first",
    ]


def test_dpi_sets_the_page_size_and_is_checked(files):
    done = run("predict", str(files / "doc.pdf"), "--dpi", "72", "--precision", "f32", "-q")
    assert done.returncode == 0, done.stderr
    first = json.loads(done.stdout.splitlines()[0])
    assert (first["width"], first["height"], first["text"]) == (612, 792, "Invoice 42")
    done = run("predict", str(files / "doc.pdf"), "--dpi", "0")
    assert done.returncode == 2 and "expected a positive number" in done.stderr


def test_photos_do_not_import_ray_or_pdfium(files):
    image = files / "images" / "sign_0.png"
    code = (
        "import sys; from ovocr.cli import main; "
        f"status = main(['predict', {str(image)!r}, '-q', '--precision', 'f32']); "
        "print(sorted(m for m in ('ray', 'pypdfium2') if m in sys.modules), status)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env={**os.environ, "OVOCR_DEVICE": "CPU"},
        timeout=300,
    )
    assert done.stdout.splitlines()[-1] == "[] 0", done.stderr


def test_ray_engine_writes_the_same_records_and_lines(files):
    pytest.importorskip("ray", reason="ray[data] is not installed (pip install ovocr[scale])")
    args = [str(files / "images"), str(files / "doc.pdf"), str(files / "broken.pdf")]
    local = run("predict", *args, "--precision", "f32", "-q")
    on_ray = run("predict", *args, "--precision", "f32", "-q", "--engine", "ray")
    assert local.returncode == on_ray.returncode == 1
    assert len(local.stdout.splitlines()) == 4  # two signs, two pages
    assert on_ray.stdout == local.stdout
    assert "Traceback" not in on_ray.stderr
    # Ray's C++ core adds a notice of its own (actor arguments in the object store,
    # ray-project/ray#53727); the error lines are the same
    assert ovocr_lines(on_ray.stderr) == ovocr_lines(local.stderr) == local.stderr.splitlines()


def ovocr_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith("ovocr: ")]


def test_folders_are_searched_for_pdfs_too(files, tmp_path):
    (tmp_path / "b_sign.png").write_bytes((files / "images" / "sign_0.png").read_bytes())
    (tmp_path / "a_doc.pdf").write_bytes((files / "doc.pdf").read_bytes())
    done = run("predict", str(tmp_path), "--precision", "f32", "-q")
    assert done.returncode == 0, done.stderr
    records = [json.loads(line) for line in done.stdout.splitlines()]
    assert [(r["image"], r.get("page"), r["text"]) for r in records] == [
        (str(tmp_path / "a_doc.pdf"), 1, "Invoice 42"),
        (str(tmp_path / "a_doc.pdf"), 2, "Total 9.50\nPaid"),
        (str(tmp_path / "b_sign.png"), None, "EXIT 3"),
    ]


@pytest.mark.parametrize(
    "option, problem",
    [(("--device", "GPU"), "device 'GPU' is not available"), (("--det", "nope"), "nope: unknown")],
)
def test_ray_engine_checks_settings_before_any_worker_starts(files, option, problem):
    pytest.importorskip("ray", reason="ray[data] is not installed (pip install ovocr[scale])")
    done = run("predict", str(files / "doc.pdf"), "--engine", "ray", "-q", *option)
    assert done.returncode == 2
    assert done.stderr.splitlines() == [done.stderr.strip()]  # one line, no traceback
    assert done.stderr.startswith("ovocr: ") and problem in done.stderr
