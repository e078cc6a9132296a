"""``-o`` never replaces an input (issue 22): ``ovocr predict -o *.jpg`` puts the first
image after ``-o``, and ``-o`` may name an input itself; both are refused with one line
before any model loads, and every image is left as it was."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from PIL import Image

OVOCR = [sys.executable, "-m", "ovocr.cli"]
ENV = {**os.environ, "OVOCR_DEVICE": "CPU"}


@pytest.fixture
def photos(tmp_path):
    paths = []
    for i in range(3):
        path = tmp_path / f"photo{i}.jpg"
        Image.new("RGB", (40, 20), (i * 60, 90, 200)).save(path)
        paths.append(path)
    return paths


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([*OVOCR, *args], capture_output=True, text=True, env=ENV, timeout=300)


@pytest.mark.parametrize("command", ["predict", "recognize"])
def test_shell_expanded_output_glob_is_refused(photos, command):
    before = [p.read_bytes() for p in photos]
    done = run(command, "-q", "-o", *map(str, photos))  # what `-o *.jpg` becomes
    assert done.returncode == 2
    assert done.stderr == (
        f"ovocr: {photos[0]}: -o would replace this image with JSON lines; name a results "
        "file such as results.jsonl (did the shell expand -o *.jpg?)\n"
    )
    assert [p.read_bytes() for p in photos] == before


def test_output_that_is_an_input_is_refused(photos, tmp_path):
    """An input without an image suffix, named again after -o, directly and by a hard link."""
    scan = tmp_path / "scan"
    scan.write_bytes(photos[0].read_bytes())
    link = tmp_path / "same-scan"
    os.link(scan, link)
    for target in (scan, link):
        done = run("predict", str(scan), str(photos[1]), "-q", "-o", str(target))
        assert done.returncode == 2
        assert (
            done.stderr
            == f"ovocr: {target}: is also an input; -o would replace it with JSON lines\n"
        )
        assert scan.read_bytes() == photos[0].read_bytes()


def test_output_inside_an_input_folder_is_refused(photos, tmp_path):
    folder = tmp_path
    done = run("predict", str(folder), "-q", "-o", str(photos[2]))
    assert done.returncode == 2 and "-o would replace this image" in done.stderr
