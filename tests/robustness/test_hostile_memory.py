"""Memory stays bounded on very large inputs (issue 22): the real CLI and ``ocr_video`` in
a child process, whose own peak (``wait4``) must stay within 2.5 GB."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest
from conftest import render_text
from test_bad_inputs import _MEASURE, run_cli

LIMIT_MB = 2500


@pytest.fixture(scope="module")
def big_photos(requires_models, tmp_path_factory) -> Path:
    """20 photos of 8000 x 6000 pixels (144 MB each as RGB), mostly paper: small files."""
    folder = tmp_path_factory.mktemp("photos")
    canvas = np.full((6000, 8000, 3), 235, np.uint8)
    line = render_text(["WIDE RECEIPT"], size=400)
    canvas[2000 : 2000 + line.shape[0], 500 : 500 + line.shape[1]] = line
    cv2.imwrite(str(folder / "00.jpg"), canvas, [cv2.IMWRITE_JPEG_QUALITY, 80])
    data = (folder / "00.jpg").read_bytes()
    for i in range(1, 20):
        (folder / f"{i:02d}.jpg").write_bytes(data)
    return folder


def test_recognize_bounds_its_read_ahead(big_photos, tmp_path):
    done = run_cli(["recognize", str(big_photos), "-q"], tmp_path)
    assert done.returncode == 0, done.stderr
    assert len(done.stdout.splitlines()) == 20
    print(f"recognize: peak {done.max_rss_mb:.0f} MB")
    assert done.max_rss_mb < LIMIT_MB, f"peak memory {done.max_rss_mb:.0f} MB"


VIDEO_JOB = """
import json, sys
import ovocr
from ovocr.video import ocr_video
ocr = ovocr.load_pipeline(device="CPU", precision="f32", hint="THROUGHPUT")
pages = [
    (r.index, r.page.width, r.page.height, r.page.text, [w.quad for w in r.page.words])
    for r in ocr_video(ocr, sys.argv[1], every=4, output=sys.argv[2])
]
print(json.dumps(pages))
"""


@pytest.fixture(scope="module")
def wide_video(requires_models, tmp_path_factory) -> Path:
    """Eight frames of 12000 x 6000 pixels (216 MB each as RGB): one text line on paper."""
    path = tmp_path_factory.mktemp("video") / "wide.avi"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 5, (12000, 6000))
    assert writer.isOpened()
    frame = np.full((6000, 12000, 3), 235, np.uint8)
    line = render_text(["EXIT 42"], size=600)
    frame[1000 : 1000 + line.shape[0], 3000 : 3000 + line.shape[1]] = line
    for _ in range(8):
        writer.write(frame)
    writer.release()
    return path


def test_ocr_video_of_huge_frames_is_bounded_and_in_video_pixels(wide_video, tmp_path):
    peak = tmp_path / "peak-kb.txt"
    job = [sys.executable, "-c", VIDEO_JOB, str(wide_video), str(tmp_path / "out.avi")]
    done = subprocess.run(
        [sys.executable, "-c", _MEASURE, str(peak), *job],
        capture_output=True, text=True, timeout=1200,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    pages = json.loads(done.stdout)
    assert [p[0] for p in pages] == [0, 4]
    for _, width, height, text, quads in pages:
        assert (width, height) == (12000, 6000)
        assert text == "EXIT 42"
        xs = [x for quad in quads for x, _ in quad]
        ys = [y for quad in quads for _, y in quad]
        # the line was drawn at column 3000, row 1000 of the video's own frames
        assert 2900 < min(xs) < 3300 and 900 < min(ys) < 1300
    peak_mb = int(peak.read_text()) / 1024
    print(f"ocr_video: peak {peak_mb:.0f} MB")
    assert peak_mb < LIMIT_MB, f"peak memory {peak_mb:.0f} MB"
