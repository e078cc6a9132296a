"""Progress bars: shown on a terminal for long CLI steps, never in piped output.

The terminal is a real pseudo-terminal (``pty``) with a window size, as in a shell.
"""

from __future__ import annotations

import fcntl
import os
import pty
import re
import struct
import subprocess
import sys
import termios
from pathlib import Path

import pytest
from conftest import render_text
from PIL import Image

OVOCR = [sys.executable, "-m", "ovocr.cli"]
ENV = {**os.environ, "OVOCR_DEVICE": "CPU"}


def on_terminal(args: list[str]) -> tuple[int, str, str]:
    """Run the CLI with stderr on a 100-column terminal; return code, stdout, stderr."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 30, 100, 0, 0))
    proc = subprocess.Popen(
        [*OVOCR, *args], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=slave, env=ENV
    )
    os.close(slave)
    chunks = []
    while True:
        try:
            data = os.read(master, 1 << 16)
        except OSError:  # EIO: the program closed the terminal
            break
        if not data:
            break
        chunks.append(data)
    os.close(master)
    stdout = proc.communicate(timeout=300)[0].decode()
    return proc.returncode, stdout, b"".join(chunks).decode(errors="replace")


def piped(args: list[str]) -> tuple[int, str, str]:
    done = subprocess.run([*OVOCR, *args], capture_output=True, text=True, env=ENV, timeout=300)
    return done.returncode, done.stdout, done.stderr


@pytest.fixture(scope="module")
def batch(requires_models, tmp_path_factory) -> list[Path]:
    folder = tmp_path_factory.mktemp("batch")
    paths = []
    for i, word in enumerate(["ALPHA", "BRAVO", "NOTES", "DELTA", "ECHO"]):
        path = folder / f"{i}.png"
        if word == "NOTES":
            path.write_text("not an image\n")
        else:
            Image.fromarray(render_text([word])).save(path)
        paths.append(path)
    return paths


def test_batch_ocr_shows_a_bar_on_a_terminal_with_errors_on_their_own_lines(batch):
    code, stdout, stderr = on_terminal(["predict", *map(str, batch)])
    assert code == 1
    assert len(stdout.splitlines()) == 4
    # tqdm's finished bar, counting input files ("file" since PDFs count as one each)
    assert re.search(r"100%\|.*\| 5/5 \[.*(img|file)", stderr), stderr
    error = f"ovocr: {batch[2]}: not an image file (a text file)"
    start = stderr.index(error)
    assert stderr[start - 1] in "\r\n", f"error glued to the progress bar: {stderr!r}"


def test_batch_ocr_prints_no_bar_when_piped(batch):
    code, stdout, stderr = piped(["predict", *map(str, batch)])
    assert code == 1 and len(stdout.splitlines()) == 4
    assert stderr == f"ovocr: {batch[2]}: not an image file (a text file)\n"


def test_model_preparation_shows_a_bar_on_a_terminal_only(batch):
    from ovocr.models import DEFAULT_DET, DEFAULT_REC

    args = ["models", "prepare", DEFAULT_DET, DEFAULT_REC]
    code, stdout, stderr = on_terminal(args)
    assert code == 0 and re.search(r"100%\|.*\| 2/2 \[.*model", stderr), stderr
    assert [line.split(":")[0] for line in stdout.splitlines()] == [DEFAULT_DET, DEFAULT_REC]
    code, stdout, stderr = piped(args)
    assert code == 0 and stderr == ""
    assert [line.split(":")[0] for line in stdout.splitlines()] == [DEFAULT_DET, DEFAULT_REC]
    assert "\r" not in stdout and "\x1b" not in stdout
