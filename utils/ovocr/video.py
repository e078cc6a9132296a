"""Video: read frames with OpenCV, OCR every Nth one, write an annotated copy.

Explained in 11-ocr-at-scale. ``ocr_video`` reads a file (or a webcam) frame by frame
with ``cv2.VideoCapture``, sends every ``every``-th frame through ``OcrPipeline.map``
(several frames in flight at once: build the pipeline with ``hint="THROUGHPUT"``) and,
when ``output`` is given, writes every frame with the boxes and texts of the latest
read frame drawn on it. ``render_text_clip`` makes a short clip of text moving across a
background, so tests and rooms without a camera need no download.

Example:
    >>> import tempfile, pathlib
    >>> clip = render_text_clip(pathlib.Path(tempfile.mkdtemp()) / "clip.avi", seconds=1)
    >>> sum(1 for _ in read_frames(clip))
    10
"""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from .errors import ImageError
from .types import Page

if TYPE_CHECKING:
    import cv2

    from .pipeline import OcrPipeline

CLIP_TEXTS = ("OPENVINO", "RAY DATA 2026", "EXIT 42")
# FourCC codes by file suffix: both ship with the opencv-python wheels.
_CODECS = {".mp4": "mp4v", ".avi": "MJPG"}


@dataclass(frozen=True)
class FrameResult:
    """The OCR result of one video frame.

    Attributes:
        index: 0-based frame number in the video.
        seconds: time of the frame in the video (index / frames per second).
        page: what was read in it.
    """

    index: int
    seconds: float
    page: Page


def open_video(source: str | os.PathLike | int) -> tuple[cv2.VideoCapture, float]:
    """Open a video file or a camera (an int, e.g. ``0``); return the capture and its fps.

    Raises:
        ImageError: the file is missing or OpenCV cannot decode it, or there is no camera.
    """
    import cv2

    if not isinstance(source, int) and not Path(source).is_file():
        raise ImageError(f"{source}: no such file")
    if isinstance(source, int):  # probing a camera that is not there logs C++ warnings
        quiet = cv2.utils.logging.getLogLevel()
        cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_SILENT)
        try:
            capture = cv2.VideoCapture(source)
        finally:
            cv2.utils.logging.setLogLevel(quiet)
    else:
        capture = cv2.VideoCapture(str(source))
    if not capture.isOpened():
        what = f"camera {source}" if isinstance(source, int) else str(source)
        raise ImageError(f"{what}: cannot open video (not a video, or no such camera)")
    fps = capture.get(cv2.CAP_PROP_FPS)
    return capture, fps if fps and fps > 0 else 25.0


def webcam_available(index: int = 0) -> bool:
    """True when a camera can be opened and gives a frame (never on CI machines)."""
    try:
        capture, _ = open_video(index)
    except ImageError:
        return False
    ok, _frame = capture.read()
    capture.release()
    return bool(ok)


def read_frames(
    source: str | os.PathLike | int, max_frames: int | None = None
) -> Iterator[np.ndarray]:
    """Yield the frames of a video file or camera as RGB ``uint8`` arrays, one at a time."""
    import cv2

    capture, _ = open_video(source)
    try:
        count = 0
        while max_frames is None or count < max_frames:
            ok, frame = capture.read()
            if not ok:
                return
            count += 1
            yield cv2.cvtColor(frame, cv2.COLOR_BGR2RGB)
    finally:
        capture.release()


def ocr_video(
    ocr: OcrPipeline,
    source: str | os.PathLike | int,
    every: int = 5,
    output: str | os.PathLike | None = None,
    max_frames: int | None = None,
) -> Iterator[FrameResult]:
    """OCR every ``every``-th frame of a video; optionally write an annotated copy.

    Frames between two read frames are written with the boxes of the earlier one, so
    the annotated video has every frame of the input, at its frame rate. Frames longer
    than ``ovocr.images.MAX_SIDE`` are shrunk as soon as they are read (as ``load_image``
    would shrink them for OCR), so few full-size frames are ever held; the annotated copy
    then has the smaller size, and pages are still given in the video's own pixels.

    Args:
        ocr: the pipeline (``load_pipeline(hint="THROUGHPUT")`` keeps all cores busy).
        source: a video file, or a camera index such as ``0``.
        every: read one frame in this many (1 reads all; text rarely changes faster).
        output: write the annotated video here (``.mp4`` or ``.avi``).
        max_frames: stop after this many frames (a camera never ends by itself).

    Yields:
        one ``FrameResult`` per frame read, in order.
    """
    import cv2

    from .images import MAX_SIDE, shrink
    from .viz import draw_page

    if every < 1:
        raise ValueError(f"every must be at least 1, got {every}")
    capture, fps = open_video(source)
    capture.release()
    # Frames wait here, behind the frame read for them, until its page is back and the
    # next read frame has arrived (the group is complete): map() holds only a few frames
    # in flight, so this stays small. A group is [index, frames, page, complete].
    groups: deque[list[Any]] = deque()
    size = (0, 0)  # (width, height) of the video's frames

    def sampled() -> Iterator[np.ndarray]:
        nonlocal size
        for index, full in enumerate(read_frames(source, max_frames)):
            size = (full.shape[1], full.shape[0])
            frame = shrink(full, MAX_SIDE)
            del full
            if index % every == 0:
                if groups:
                    groups[-1][3] = True
                groups.append([index, [frame], None, False])
                yield frame
            else:
                groups[-1][1].append(frame)
        if groups:
            groups[-1][3] = True

    writer = None

    def flush() -> None:
        nonlocal writer
        while groups and groups[0][2] is not None and groups[0][3]:
            _, frames, page, _ = groups.popleft()
            if output is None:
                continue
            if writer is None:
                writer = _writer(output, fps, frames[0].shape)
            for frame in frames:
                writer.write(cv2.cvtColor(draw_page(frame, page), cv2.COLOR_RGB2BGR))

    try:
        for page in ocr.map(sampled()):
            if isinstance(page, ImageError):  # a frame OCR could not read: stop with its error
                raise page
            group = next(g for g in groups if g[2] is None)
            group[2] = page
            flush()
            yield FrameResult(group[0], group[0] / fps, page.resized(*size))
        flush()
    finally:
        if writer is not None:
            writer.release()


def _writer(path: str | os.PathLike, fps: float, shape: tuple[int, ...]) -> cv2.VideoWriter:
    import cv2

    path = Path(path)
    codec = _CODECS.get(path.suffix.lower())
    if codec is None:
        raise ValueError(f"{path}: write video as one of {', '.join(_CODECS)}")
    path.parent.mkdir(parents=True, exist_ok=True)
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter.fourcc(*codec), fps, (shape[1], shape[0]))
    if not writer.isOpened():
        raise ImageError(f"{path}: OpenCV cannot write {codec} video here")
    return writer


def render_text_clip(
    path: str | os.PathLike,
    texts: Sequence[str] = CLIP_TEXTS,
    seconds: float = 3.0,
    fps: float = 10.0,
    size: tuple[int, int] = (640, 360),
) -> Path:
    """Write a short clip: dark text lines sliding right across a light, moving background.

    Each text is on its own row and moves by a few pixels a frame, so consecutive frames
    differ and every frame stays readable. Returns ``path`` (``.mp4`` or ``.avi``).
    """
    import cv2
    from PIL import Image, ImageDraw

    from .viz import unicode_font

    width, height = size
    font = unicode_font(max(14, height // 10), bold=True)
    n = max(1, round(seconds * fps))
    rows = np.linspace(0.15, 0.75, len(texts)) * height
    writer = _writer(path, fps, (height, width, 3))
    try:
        ys, xs = np.mgrid[0:height, 0:width]
        for i in range(n):
            t = i / max(n - 1, 1)
            shade = 200 + 30 * np.sin((xs + 6 * i) / 37.0) * np.cos(ys / 53.0)
            background = np.dstack([shade, shade * 0.97, shade * 0.9]).clip(0, 255)
            img = Image.fromarray(background.astype(np.uint8))
            draw = ImageDraw.Draw(img)
            for k, (text, y) in enumerate(zip(texts, rows)):
                x = 0.05 * width + t * 0.25 * width + (k % 2) * 0.1 * width
                draw.text((x, y), text, fill=(20, 24, 40), font=font)
            writer.write(cv2.cvtColor(np.asarray(img), cv2.COLOR_RGB2BGR))
    finally:
        writer.release()
    return Path(path)
