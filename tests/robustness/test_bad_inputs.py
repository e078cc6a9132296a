"""The bad-input battery: the real CLI on every kind of broken or unusual input at once.

Each input either works (its text is read) or yields exactly ``ovocr: <path>: <problem>``
on stderr; the batch goes on past every failure, nothing prints a traceback, and the exit
code is 1 at the end. Every input is generated here, in a temporary folder.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import stat
import struct
import subprocess
import sys
import threading
import time
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from conftest import render_text
from PIL import Image

TEXT = "HELLO 2024"
# The CLI's peak memory with the default models is ~0.4 GB; decoding the 20000 x 20000
# image would add 0.4 GB (gray) and 1.2 GB (as RGB).
MAX_RSS_MB = 1000


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def write_blank_png(path: Path, width: int, height: int) -> Path:
    """A valid all-black gray PNG of any size, written row by row: a few MB of memory."""
    deflate = zlib.compressobj(1)
    row = bytes(width + 1)  # filter byte + pixels
    idat = b"".join(deflate.compress(row) for _ in range(height)) + deflate.flush()
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)  # 8-bit gray
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", header)
        + _png_chunk(b"IDAT", idat)
        + _png_chunk(b"IEND", b"")
    )
    return path


def text_rgb() -> np.ndarray:
    return render_text([TEXT])


def text_gray() -> np.ndarray:
    return np.asarray(Image.fromarray(text_rgb()).convert("L"))


def save(array: np.ndarray, mode: str | None = None, **options) -> Callable[[Path], Path]:
    def make(path: Path) -> Path:
        image = Image.fromarray(array)
        (image.convert(mode) if mode else image).save(path, **options)
        return path

    return make


def write_bytes(data: bytes) -> Callable[[Path], Path]:
    def make(path: Path) -> Path:
        path.write_bytes(data)
        return path

    return make


def cut_jpeg(keep: int) -> Callable[[Path], Path]:
    """A JPEG of the text whose download stopped after ``keep`` bytes."""

    def make(path: Path) -> Path:
        save(text_rgb())(path)
        path.write_bytes(path.read_bytes()[:keep])
        return path

    return make


def exif_rotated(orientation: int, turns: int) -> Callable[[Path], Path]:
    """A photo stored turned by ``turns`` x 90 degrees whose EXIF tag says how to undo it."""
    exif = Image.Exif()
    exif[0x0112] = orientation
    return save(np.ascontiguousarray(np.rot90(text_rgb(), turns)), exif=exif)


def alpha_only(mode: str) -> Callable[[Path], Path]:
    """Black ink everywhere; only the alpha channel draws the text (transparent paper)."""

    def make(path: Path) -> Path:
        ink = 255 - text_gray()
        if mode == "RGBA":
            rgba = np.zeros((*ink.shape, 4), np.uint8)
            rgba[..., 3] = ink
            Image.fromarray(rgba, "RGBA").save(path)
        elif mode == "LA":
            Image.fromarray(np.dstack([np.zeros_like(ink), ink]), "LA").save(path)
        else:  # palette: index 0 transparent black, index 1 opaque black (PNG tRNS chunk)
            image = Image.fromarray((ink > 127).astype(np.uint8), "P")
            image.putpalette([0, 0, 0, 0, 0, 0])
            image.save(path, transparency=0)
        return path

    return make


def fifo(path: Path) -> Path:
    os.mkfifo(path)  # opening it to read would wait for a writer forever
    return path


def symlink_to(target: str) -> Callable[[Path], Path]:
    def make(path: Path) -> Path:
        path.symlink_to(target)
        return path

    return make


def folder_without_images(path: Path) -> Path:
    path.mkdir()
    (path / "notes.txt").write_text("no images here\n")
    (path / "._scan.jpg").write_bytes(b"\x00\x05\x16\x07 macOS resource fork")
    return path


def panorama(path: Path) -> Path:
    canvas = np.full((200, 9000, 3), 255, np.uint8)
    line = text_rgb()
    canvas[: line.shape[0], : line.shape[1]] = line
    return save(canvas)(path)


def scene(path: Path) -> Path:
    """Sky, grass, sun and a roof: shapes and edges but no text."""
    from PIL import ImageDraw

    image = Image.new("RGB", (480, 320), (135, 190, 235))
    draw = ImageDraw.Draw(image)
    draw.rectangle([0, 220, 480, 320], fill=(60, 140, 60))
    draw.ellipse([340, 30, 420, 110], fill=(250, 210, 40))
    draw.polygon([(60, 220), (140, 120), (220, 220)], fill=(120, 90, 60))
    image.save(path)
    return path


@dataclass(frozen=True)
class Case:
    """One input: how to make it, and the stderr problem or the text the user gets."""

    make: Callable[[Path], Path]
    problem: str | None = None  # the ``<problem>`` of ``ovocr: <path>: <problem>``
    text: str | None = None  # the recognised text when the input works
    note: str | None = None  # a stderr line for an input that works but was changed


def float_with(bad: float) -> Callable[[Path], Path]:
    """The text as a 32-bit float TIFF (0..1) with one NaN or infinite pixel."""

    def make(path: Path) -> Path:
        pixels = text_gray().astype(np.float32) / 255.0
        pixels[0, 0] = bad
        Image.fromarray(pixels, "F").save(path)
        return path

    return make


EPS = b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 10 10\nnewpath 0 0 moveto showpage\n"
IM_HEADER = b"Image type: RGB image\r\nImage size (x*y): 1e0*40\r\n".ljust(512, b"\0")
PDF = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\ntrailer\n%%EOF\n"
HTML = b"<!DOCTYPE html>\n<html><head><title>502 Bad Gateway</title></head></html>\n"
TOO_LARGE = "is too large to decode safely (limit 120 megapixels); shrink it first"

CASES: dict[str, Case] = {
    "missing.jpg": Case(lambda p: p, problem="no such file"),
    "folder-without-images": Case(folder_without_images, "directory contains no images"),
    "empty.jpg": Case(write_bytes(b""), "empty file (0 bytes)"),
    "truncated.jpg": Case(cut_jpeg(1500), "truncated file (an interrupted download or copy?)"),
    "header-only.jpg": Case(
        cut_jpeg(20), "starts like a JPEG image but cannot be read (truncated or corrupt)"
    ),
    "notes.png": Case(write_bytes(b"shopping list\n- milk\n"), "not an image file (a text file)"),
    "report.jpg": Case(
        write_bytes(PDF),
        "not an image file (a PDF document: ovocr predict reads it when it is named .pdf)",
    ),
    "download.jpg": Case(write_bytes(HTML), "not an image file (an HTML page: a failed download?)"),
    "huge-20000x20000.png": Case(lambda p: write_blank_png(p, 20000, 20000), f"image {TOO_LARGE}"),
    "huge-11000x11000.png": Case(
        lambda p: write_blank_png(p, 11000, 11000), f"11000x11000 pixels {TOO_LARGE}"
    ),
    "eps-named-scan.jpg": Case(
        write_bytes(EPS),
        "not an image file (PostScript or EPS, which ovocr does not open: "
        "convert it to PNG or PDF)",
    ),
    "im-header.jpg": Case(
        write_bytes(IM_HEADER),
        "not an image file (unknown or unsupported format; ovocr reads JPEG, PNG, BMP, TIFF, "
        "WebP, GIF and PNM)",
    ),
    "float-nan.tif": Case(float_with(np.nan), text=TEXT),
    "float-inf.tif": Case(float_with(np.inf), text=TEXT),
    "one-pixel.png": Case(save(np.full((1, 1, 3), 255, np.uint8)), text=""),
    "all-white.png": Case(save(np.full((480, 640, 3), 255, np.uint8)), text=""),
    "all-black.png": Case(save(np.zeros((480, 640, 3), np.uint8)), text=""),
    "no-text-scene.png": Case(scene, text=""),
    "rgb.png": Case(save(text_rgb()), text=TEXT),
    "gray.png": Case(save(text_gray()), text=TEXT),
    "gray.jpg": Case(save(text_gray()), text=TEXT),
    "bilevel.png": Case(save(text_gray(), "1"), text=TEXT),
    "palette.gif": Case(save(text_rgb()), text=TEXT),
    "rgba-alpha-only.png": Case(alpha_only("RGBA"), text=TEXT),
    "la-alpha-only.png": Case(alpha_only("LA"), text=TEXT),
    "pa-transparent-palette.png": Case(alpha_only("P"), text=TEXT),
    "16-bit.png": Case(save(text_gray().astype(np.uint16) * 257), text=TEXT),
    "12-bit-in-16.png": Case(save(text_gray().astype(np.uint16) * 16), text=TEXT),
    "cmyk.jpg": Case(save(text_rgb(), "CMYK"), text=TEXT),
    "exif-rotate-90.jpg": Case(exif_rotated(6, 1), text=TEXT),
    "exif-rotate-180.jpg": Case(exif_rotated(3, 2), text=TEXT),
    "exif-rotate-270.jpg": Case(exif_rotated(8, -1), text=TEXT),
    "named-pipe.png": Case(fifo, "is a named pipe (FIFO), not an image file"),
    "loop.png": Case(
        symlink_to("loop.png"), "symbolic link loop (too many levels of symbolic links)"
    ),
    "dangling.png": Case(
        symlink_to("gone.png"), "broken symbolic link (its target does not exist)"
    ),
    "x" * 300 + ".png": Case(lambda p: p, "file name too long"),
    # A name that splits the error line, and one that is not UTF-8 (bytes b"caf\xe9"):
    # their error lines show the name's bytes, escaped.
    "notes\nsplit.png": Case(write_bytes(b"shopping list\n"), "not an image file (a text file)"),
    "caf\udce9.png": Case(
        save(text_rgb()), "file name is not UTF-8, which JSON output cannot hold; rename the file"
    ),
    "new\nline.png": Case(save(text_rgb()), text=TEXT),
    "panorama-9000x200.png": Case(
        panorama,
        text=TEXT,
        note="downscaled to 8192x182 pixels for OCR (longest side 8192); "
        "coordinates are scaled back to the original",
    ),
}
FAILING = [name for name, case in CASES.items() if case.problem]
WORKING = [name for name, case in CASES.items() if case.problem is None]


@dataclass
class Run:
    returncode: int
    stdout: str
    stderr: str
    max_rss_mb: float


# A child's ru_maxrss on Linux starts from its parent's peak (fork and exec carry the
# high-water mark over), and this pytest process may be gigabytes by now: a small
# go-between starts the CLI and reports the CLI's own peak from wait4.
_MEASURE = """
import os, signal, subprocess, sys
proc = subprocess.Popen(sys.argv[2:])
_, status, usage = os.wait4(proc.pid, 0)
with open(sys.argv[1], "w") as out:
    out.write(str(usage.ru_maxrss))
code = os.waitstatus_to_exitcode(status)
if code < 0:
    signal.signal(-code, signal.SIG_DFL)
    os.kill(os.getpid(), -code)
sys.exit(code)
"""


def run_cli(args: list[str], tmp: Path) -> Run:
    """Run ``python -m ovocr.cli`` and measure its own peak memory (``wait4``)."""
    out, err, peak = tmp / "stdout.txt", tmp / "stderr.txt", tmp / "peak-kb.txt"
    env = {**os.environ, "OVOCR_DEVICE": "CPU"}
    cli = [sys.executable, "-m", "ovocr.cli", *args]
    with open(out, "w") as stdout, open(err, "w") as stderr:
        done = subprocess.run(
            [sys.executable, "-c", _MEASURE, str(peak), *cli], stdout=stdout, stderr=stderr, env=env
        )
    return Run(done.returncode, out.read_text(), err.read_text(), int(peak.read_text()) / 1024)


@pytest.fixture(scope="module")
def inputs(requires_models, tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("bad-inputs")
    return {name: case.make(folder / name) for name, case in CASES.items()}


@pytest.fixture(scope="module")
def predict(inputs, tmp_path_factory) -> Run:
    """One ``ovocr predict`` over every input, in the order of ``CASES``."""
    paths = [str(path) for path in inputs.values()]
    return run_cli(["predict", *paths, "--precision", "f32", "-q"], tmp_path_factory.mktemp("run"))


def shown(path: Path) -> str:
    """How an error line names ``path``: as is, or its bytes when not all printable."""
    return str(path) if str(path).isprintable() else repr(os.fsencode(path))


def expected_lines(inputs: dict[str, Path], names: list[str]) -> list[str]:
    lines = []
    for name in names:
        case = CASES[name]
        if case.problem or case.note:
            lines.append(f"ovocr: {shown(inputs[name])}: {case.problem or case.note}")
    return lines


def test_batch_goes_on_and_exits_1_with_one_line_per_problem(inputs, predict):
    assert predict.returncode == 1
    assert "Traceback" not in predict.stderr
    # Exactly the expected lines (folders are expanded first): no noise, nothing twice.
    assert sorted(predict.stderr.splitlines()) == sorted(expected_lines(inputs, list(CASES)))


@pytest.mark.parametrize("name", FAILING)
def test_bad_input_gets_its_message(inputs, predict, name):
    assert f"ovocr: {shown(inputs[name])}: {CASES[name].problem}" in predict.stderr.splitlines()
    assert json.dumps(str(inputs[name]))[1:-1] not in predict.stdout


@pytest.mark.parametrize("name", WORKING)
def test_usable_input_is_read(inputs, predict, name):
    records = {r["image"]: r for r in map(json.loads, predict.stdout.splitlines())}
    assert records[str(inputs[name])]["text"] == CASES[name].text


def test_downscaled_image_is_reported_in_its_own_pixels(inputs, predict):
    """The 9000 px panorama is read at 8192 px; its record gives the original's size and
    quads (types.py: pixels of the original image)."""
    records = {r["image"]: r for r in map(json.loads, predict.stdout.splitlines())}
    record = records[str(inputs["panorama-9000x200.png"])]
    assert (record["width"], record["height"]) == (9000, 200)
    line = text_rgb()
    xs = [x for word in record["words"] for x, _ in word["quad"]]
    ys = [y for word in record["words"] for _, y in word["quad"]]
    # the text sits in the top-left line.shape of the canvas, in original pixels
    assert max(xs) <= line.shape[1] + 8 and max(ys) <= line.shape[0] + 8
    assert max(xs) > 0.8 * line.shape[1]


def test_huge_images_are_refused_before_decoding(predict):
    assert predict.max_rss_mb < MAX_RSS_MB, f"peak memory {predict.max_rss_mb:.0f} MB"


def test_recognize_batch_goes_on_too(inputs, tmp_path):
    names = ["empty.jpg", "report.jpg", "rgb.png", "truncated.jpg", "exif-rotate-90.jpg"]
    done = run_cli(["recognize", *(str(inputs[n]) for n in names), "-q"], tmp_path)
    assert done.returncode == 1
    assert done.stderr.splitlines() == expected_lines(inputs, names)
    read = [json.loads(line)["image"] for line in done.stdout.splitlines()]
    assert read == [str(inputs["rgb.png"]), str(inputs["exif-rotate-90.jpg"])]


def test_unusable_output_path_is_a_one_line_error(inputs, tmp_path):
    image = str(inputs["rgb.png"])
    a_file = tmp_path / "results.txt"
    a_file.write_text("keep me\n")
    for output, problem in [
        (tmp_path, "is a directory; -o needs a file name"),
        (a_file / "out.jsonl", f"cannot write here (File exists: {a_file})"),
    ]:
        done = run_cli(["predict", image, "-q", "-o", str(output)], tmp_path)
        assert done.returncode == 2
        assert done.stderr.splitlines() == [f"ovocr: {output}: {problem}"]
    assert a_file.read_text() == "keep me\n"


# -- Where results go: files, pipes, devices and full disks (issue 13) -----------------------

ENV = {**os.environ, "OVOCR_DEVICE": "CPU"}
OVOCR = [sys.executable, "-m", "ovocr.cli"]


@pytest.fixture(scope="module")
def batch(requires_models, tmp_path_factory) -> Path:
    """A folder of 24 small readable images: long enough that a run can be cut short."""
    folder = tmp_path_factory.mktemp("batch")
    image = Image.fromarray(render_text([TEXT], size=32))
    for i in range(24):
        image.save(folder / f"{i:02d}.png")
    return folder


def hidden_files(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("."))


def test_output_into_a_fifo_is_written_not_replaced(inputs, tmp_path):
    pipe = tmp_path / "results.fifo"
    os.mkfifo(pipe)
    received: list[bytes] = []
    reader = threading.Thread(target=lambda: received.append(pipe.read_bytes()))
    reader.start()
    done = run_cli(["predict", str(inputs["rgb.png"]), "-q", "-o", str(pipe)], tmp_path)
    reader.join(timeout=300)
    assert done.returncode == 0, done.stderr
    assert stat.S_ISFIFO(os.lstat(pipe).st_mode)  # still the FIFO, not a new plain file
    assert json.loads(received[0])["text"] == TEXT
    assert hidden_files(tmp_path) == []


def test_output_through_a_symlink_replaces_its_target_and_keeps_the_link(inputs, tmp_path):
    target = tmp_path / "store" / "results.jsonl"
    target.parent.mkdir()
    target.write_text("old results\n")
    target.chmod(0o640)
    link = tmp_path / "latest.jsonl"
    link.symlink_to(target)
    done = run_cli(["predict", str(inputs["rgb.png"]), "-q", "-o", str(link)], tmp_path)
    assert done.returncode == 0, done.stderr
    assert link.is_symlink() and link.resolve() == target
    assert json.loads(target.read_text())["text"] == TEXT
    assert stat.S_IMODE(target.stat().st_mode) == 0o640  # the old file's mode is kept
    assert hidden_files(target.parent) == [] and hidden_files(tmp_path) == []


@pytest.mark.parametrize("umask, mode", [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)])
def test_new_result_file_respects_the_umask(inputs, tmp_path, umask, mode):
    out = tmp_path / "results.jsonl"
    done = subprocess.run(
        [*OVOCR, "predict", str(inputs["rgb.png"]), "-q", "-o", str(out)],
        capture_output=True, text=True, env=ENV, timeout=300, umask=umask,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert stat.S_IMODE(out.stat().st_mode) == mode


def test_non_utf8_name_with_output_file_is_one_line_and_the_batch_goes_on(inputs, tmp_path):
    out = tmp_path / "results.jsonl"
    odd, good = inputs["caf\udce9.png"], inputs["rgb.png"]
    done = run_cli(["predict", str(odd), str(good), "-q", "-o", str(out)], tmp_path)
    assert done.returncode == 1
    assert done.stderr.splitlines() == [f"ovocr: {shown(odd)}: {CASES[odd.name].problem}"]
    assert [json.loads(line)["image"] for line in out.read_text().splitlines()] == [str(good)]


def test_closed_pipe_ends_quietly_with_the_sigpipe_code(batch):
    """`ovocr predict DIR | head -n 1`: 141 (128 + SIGPIPE) as `seq` or `cat` give, no
    message; several runs, as an abort at exit used to come in about one run in four."""
    for _ in range(3):
        proc = subprocess.Popen(
            [*OVOCR, "predict", str(batch), "-q"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=ENV,
        )  # fmt: skip
        assert proc.stdout is not None and proc.stderr is not None
        first = proc.stdout.readline()
        proc.stdout.close()  # what `head -n 1` does after its line
        stderr = proc.stderr.read().decode()
        assert proc.wait(timeout=300) == 141, stderr
        assert json.loads(first)["text"] == TEXT
        assert stderr == ""


def test_full_stdout_is_one_line_and_exit_2(batch, tmp_path):
    if not Path("/dev/full").exists():
        pytest.skip("/dev/full not found on this system")
    for args in (["predict", str(batch), "-q"], ["models", "list"]):
        with open("/dev/full", "w") as full:  # as stdout only: never written as a file
            done = subprocess.run(
                [*OVOCR, *args], stdout=full, stderr=subprocess.PIPE, text=True, env=ENV,
                timeout=300,
            )  # fmt: skip
        assert (done.returncode, done.stderr) == (
            2,
            "ovocr: <stdout>: No space left on device\n",
        ), args


@pytest.fixture
def tiny_disk(tmp_path) -> Iterator[Path]:
    """A 64 kB tmpfs, filled up; skipped (with the reason) where mounting is not allowed."""
    mount = tmp_path / "tiny"
    mount.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(mount)],
        capture_output=True, text=True,
    )  # fmt: skip
    if done.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here: {done.stderr.strip() or done.returncode}")
    try:
        (mount / "results.jsonl").write_text("old results\n")
        fd = os.open(mount / "filler", os.O_WRONLY | os.O_CREAT)
        try:
            while os.write(fd, bytes(4096)):
                pass
        except OSError:  # full
            pass
        finally:
            os.close(fd)
        yield mount
    finally:
        subprocess.run(["umount", str(mount)], check=True)


def test_output_on_a_full_disk_is_one_line_and_keeps_the_old_file(batch, tiny_disk, tmp_path):
    out = tiny_disk / "results.jsonl"
    done = run_cli(["predict", str(batch), "-q", "-o", str(out)], tmp_path)
    assert (done.returncode, done.stderr) == (2, f"ovocr: {out}: No space left on device\n")
    assert out.read_text() == "old results\n"
    assert hidden_files(tiny_disk) == []


def test_sigterm_leaves_no_temporary_file_and_the_old_results(batch, tmp_path):
    out = tmp_path / "results.jsonl"
    out.write_text("old results\n")
    proc = subprocess.Popen(
        [*OVOCR, "predict", str(batch), "-q", "-o", str(out)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=ENV,
    )  # fmt: skip
    while not hidden_files(tmp_path) and proc.poll() is None:  # the run has begun writing
        time.sleep(0.01)
    if proc.poll() is not None:
        pytest.fail(f"the run ended before it could be stopped: {proc.communicate()}")
    proc.send_signal(signal.SIGTERM)
    _, stderr = proc.communicate(timeout=300)
    assert (proc.returncode, stderr) == (143, "ovocr: terminated\n")
    assert hidden_files(tmp_path) == []
    assert out.read_text() == "old results\n"


def test_ctrl_c_while_importing_is_one_line(inputs, tmp_path):
    """A stand-in `openvino` that is interrupted while it is imported, as Ctrl-C during the
    second it takes would do."""
    fake = tmp_path / "fake" / "openvino"
    fake.mkdir(parents=True)
    (fake / "__init__.py").write_text("raise KeyboardInterrupt\n")
    env = {**ENV, "PYTHONPATH": str(fake.parent)}
    done = subprocess.run(
        [*OVOCR, "predict", str(inputs["rgb.png"]), "-q"],
        capture_output=True, text=True, env=env, timeout=300,
    )  # fmt: skip
    assert (done.returncode, done.stderr) == (130, "ovocr: interrupted\n")


def without_root_powers() -> list[str]:
    """A command prefix under which file permissions apply (root ignores them)."""
    if os.geteuid() != 0:
        return []
    if shutil.which("setpriv") is None:
        pytest.skip("running as root and setpriv (util-linux) is missing: permissions not enforced")
    return ["setpriv", "--bounding-set", "-dac_override,-dac_read_search"]


def test_unreadable_file_and_subfolder_are_reported(inputs, tmp_path):
    folder = tmp_path / "scans"
    (folder / "locked").mkdir(parents=True)
    shutil.copy(inputs["rgb.png"], folder / "locked" / "a.png")
    shutil.copy(inputs["rgb.png"], folder / "b.png")
    shutil.copy(inputs["rgb.png"], folder / "secret.png")
    (folder / "secret.png").chmod(0)
    (folder / "locked").chmod(0)
    try:
        done = subprocess.run(
            [*without_root_powers(), *OVOCR, "predict", str(folder), "-q"],
            capture_output=True, text=True, env=ENV, timeout=300,
        )  # fmt: skip
    finally:
        (folder / "locked").chmod(0o755)
    assert done.returncode == 1
    assert sorted(done.stderr.splitlines()) == [
        f"ovocr: {folder / 'locked'}: cannot read folder (permission denied)",
        f"ovocr: {folder / 'secret.png'}: permission denied",
    ]
    assert [json.loads(line)["image"] for line in done.stdout.splitlines()] == [
        str(folder / "b.png")
    ]


# -- Secrets never printed (issue 13) --------------------------------------------------------


def test_clarifai_token_with_a_newline_is_used_clean_and_never_echoed(tmp_path, monkeypatch):
    """A token saved with `echo` ends in a newline; one with a newline inside makes the
    header invalid, and the error (which tracebacks and notebooks keep) must not show it."""
    import requests
    from ovocr.regions import clarifai

    image = save(text_rgb())(tmp_path / "receipt.png")
    sent: list[str] = []

    class Answer:
        status_code = 200

        def json(self) -> dict:
            return {"status": {"code": 10000}}

    def post(url: str, json: dict, headers: dict, timeout: float) -> Answer:
        sent.append(headers["Authorization"])
        return Answer()

    monkeypatch.setenv("CLARIFAI_PAT", "s3cret-token\n")
    monkeypatch.setattr(requests, "post", post)
    clarifai.predict(image)
    assert sent == ["Key s3cret-token"]

    monkeypatch.undo()  # the real requests: it refuses the header before any network use
    monkeypatch.setenv("CLARIFAI_PAT", "s3cret\ntoken")
    with pytest.raises(clarifai.ClarifaiError) as caught:
        clarifai.predict(image)
    assert "s3cret" not in str(caught.value) and "token" in str(caught.value)
