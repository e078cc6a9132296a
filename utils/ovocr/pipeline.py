"""The two-stage OCR pipeline: detect regions, crop, read, assemble a ``Page``.

Explained in 05-ocr-pipeline. Detection and recognition never import each other; this
module joins them, splits recognised lines into words and puts them in reading order.
``OcrPipeline.map`` reads many images with overlapping asynchronous requests
(``ovocr.throughput``, explained in 07-performance).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .detection import Detections, TextDetector
from .devices import CompileOptions, resolve_cache_dir
from .errors import ImageError
from .geometry import crop_quad, quad_size, sub_quad
from .images import load_image
from .models import DEFAULT_DET, DEFAULT_REC, get_model
from .recognition import AngleClassifier, Reading, TextRecognizer
from .text import read_upright
from .types import Line, Page, Word

# Lines read less confidently are dropped, as PaddleOCR's drop_score does (08-accuracy).
MIN_CONFIDENCE = 0.5


def split_words(
    reading: Reading,
    quad: np.ndarray,
    flipped: bool = False,
    min_confidence: float = MIN_CONFIDENCE,
) -> list[Word]:
    """Cut one recognised line into words at its spaces.

    The CTC time steps say where each character sits (``reading.positions``, 0..1 of the
    crop width); each word gets the slice of the line's quad from half a character before
    its first character to half a character after its last one. A line read with a
    confidence below ``min_confidence`` is most likely not text and gives no words.
    """
    text, positions = reading.text, reading.positions
    width, height = quad_size(quad)
    if not text.strip() or reading.confidence < min_confidence:
        return []
    if len(positions) != len(text) or height > width * 1.5:  # vertical text: keep whole
        return [Word(text.strip(), reading.confidence, _as_tuple(quad))]
    pos = np.asarray(positions, dtype=np.float64)
    spacing = float(np.median(np.diff(pos))) if len(pos) > 1 else min(0.5, 1.0 / max(len(text), 1))
    words = []
    start = None
    for i, ch in enumerate(text + " "):
        if ch.isspace():
            if start is not None:
                a = max(0.0, pos[start] - spacing / 2)
                b = min(1.0, pos[i - 1] + spacing / 2)
                if flipped:  # crop was turned 180 degrees: fractions run right to left
                    a, b = 1.0 - b, 1.0 - a
                words.append(
                    Word(text[start:i], reading.confidence, _as_tuple(sub_quad(quad, a, b)))
                )
            start = None
        elif start is None:
            start = i
    return words


def _as_tuple(quad: np.ndarray) -> tuple:
    return tuple((float(x), float(y)) for x, y in np.asarray(quad).reshape(4, 2))


def reading_order(lines: Sequence[Line]) -> tuple[list[Line], list[tuple[int, ...]]]:
    """Sort lines top to bottom, grouping those that share a visual row left to right.

    Two lines share a row when they overlap vertically by more than half the smaller
    line's height. Returns the sorted lines and the rows as index tuples into them.
    """
    items = sorted(lines, key=lambda ln: (ln.bounds[1] + ln.bounds[3]) / 2)
    rows: list[list[Line]] = []
    for line in items:
        y0, y1 = line.bounds[1], line.bounds[3]
        for row in reversed(rows[-3:]):
            r0 = float(np.median([r.bounds[1] for r in row]))
            r1 = float(np.median([r.bounds[3] for r in row]))
            overlap = min(y1, r1) - max(y0, r0)
            if overlap > 0.5 * min(y1 - y0, r1 - r0):
                row.append(line)
                break
        else:
            rows.append([line])
    ordered: list[Line] = []
    index_rows: list[tuple[int, ...]] = []
    for row in rows:
        row.sort(key=lambda ln: ln.bounds[0])
        index_rows.append(tuple(range(len(ordered), len(ordered) + len(row))))
        ordered.extend(row)
    return ordered, index_rows


@dataclass
class OcrPipeline:
    """Detector + optional angle classifier + recogniser.

    Use ``load_pipeline`` to build one. Calling it with a path or an RGB array returns
    a ``Page`` as fast as possible for that one image; ``map`` reads many images with
    overlapping requests (higher images/s); ``read_crops`` reads already-cropped word or
    line images.
    """

    detector: TextDetector
    recognizer: TextRecognizer
    classifier: AngleClassifier | None = None

    def detect(self, image: np.ndarray) -> Detections:
        return self.detector(image)

    def crops(
        self, image: np.ndarray, detections: Detections
    ) -> tuple[list[np.ndarray], list[bool]]:
        """Cut out every detected quad, turned upright; also say which crops were flipped."""
        crops = [crop_quad(image, q) for q in detections.quads]
        flipped = self.classifier(crops) if self.classifier else [False] * len(crops)
        crops = [np.ascontiguousarray(c[::-1, ::-1]) if f else c for c, f in zip(crops, flipped)]
        return crops, flipped

    def assemble(
        self,
        size: tuple[int, int],
        detections: Detections,
        readings: Sequence[Reading],
        flipped: Sequence[bool],
    ) -> Page:
        """Words from the readings of each region, in reading order; ``size`` is ``(h, w)``."""
        lines = []
        for quad, reading, flip in zip(detections.quads, readings, flipped):
            words = split_words(reading, quad, flip)
            if words:
                lines.append(Line(tuple(words), _as_tuple(quad)))
        ordered, rows = reading_order(lines)
        return Page(size[1], size[0], tuple(ordered), tuple(rows))

    def read_regions(self, image: np.ndarray, detections: Detections) -> Page:
        """Crop every detected quad, read it, and assemble the ``Page``."""
        crops, flipped = self.crops(image, detections)
        return self.assemble(image.shape[:2], detections, self.recognizer(crops), flipped)

    def __call__(self, image: str | os.PathLike | np.ndarray) -> Page:
        rgb = load_image(image)
        return self.read_regions(rgb, self.detect(rgb))

    def map(
        self, images: Iterable[str | os.PathLike | np.ndarray], return_errors: bool = False
    ) -> Iterator[Page | ImageError]:
        """Read many images; yields one result per input, in input order.

        Detection of the next images runs while the crops of earlier ones are recognised,
        and images are decoded on a helper thread, so all cores stay busy. Pages are the
        same as one-at-a-time calls give. Fastest with ``load_pipeline(hint="THROUGHPUT")``.
        Explained in 07-performance.

        Args:
            images: paths or RGB arrays (any iterable; it is read a few items ahead).
            return_errors: yield the ``ImageError`` of an unreadable image in its place
                instead of raising it, so a batch can report it and go on.
        """
        from .throughput import run_many

        return run_many(self, images, return_errors=return_errors)

    def read_crops(self, crops: Sequence[str | os.PathLike | np.ndarray]) -> list[Reading]:
        """Recognise crops (paths or arrays) in one batched call."""
        return CropReader(self.recognizer, self.classifier)([load_image(c) for c in crops])


@dataclass
class CropReader:
    """Recogniser (+ optional angle classifier) for images that are already cropped."""

    recognizer: TextRecognizer
    classifier: AngleClassifier | None = None

    def __call__(self, crops: Sequence[np.ndarray]) -> list[Reading]:
        if self.classifier:
            flipped = self.classifier(crops)
            crops = [
                np.ascontiguousarray(c[::-1, ::-1]) if f else c for c, f in zip(crops, flipped)
            ]
        return read_upright(self.recognizer, crops)  # tall crops: turned words (08-accuracy)


def load_pipeline(
    det: str = DEFAULT_DET,
    rec: str = DEFAULT_REC,
    cls: str | None = None,
    device: str = "AUTO",
    precision: str | None = None,
    hint: str = "LATENCY",
    cache_dir: str | None = None,
    progress: Callable[[str], None] | None = None,
    **det_params: Any,
) -> OcrPipeline:
    """Build an OCR pipeline from model names (``ovocr models list``) or local paths.

    Args:
        det: detection model name or ``.xml``/``.onnx`` path.
        rec: recognition model name or path.
        cls: optional angle classifier (e.g. ``"ppocrv5-cls"``) for upside-down text.
        device: OpenVINO device (``CPU``, ``GPU``, ``AUTO``...).
        precision: inference precision hint (``"f32"`` for bit-stable results).
        hint: ``LATENCY`` (one image as fast as possible) or ``THROUGHPUT`` (most images
            per second with ``OcrPipeline.map``).
        cache_dir: OpenVINO compiled-model cache folder; ``None`` means the default
            (``$OVOCR_CACHE_DIR``, else ``.ov_cache`` in the models folder), ``""`` none.
        progress: called with status messages while models are prepared.
        **det_params: overrides of the detector's post-processing (e.g. ``box_thresh``).

    Example:
        >>> ocr = load_pipeline(precision="f32")  # doctest: +SKIP
        >>> ocr("photo.jpg").text  # doctest: +SKIP
    """
    options = CompileOptions(
        device=device, hint=hint, precision=precision, cache_dir=resolve_cache_dir(cache_dir)
    )
    detector = TextDetector(get_model(det, "det", progress), options, **det_params)
    recognizer = TextRecognizer(get_model(rec, "rec", progress), options)
    classifier = AngleClassifier(get_model(cls, "cls", progress), options) if cls else None
    return OcrPipeline(detector, recognizer, classifier)


def load_recognizer(
    rec: str = DEFAULT_REC,
    cls: str | None = None,
    device: str = "AUTO",
    precision: str | None = None,
    hint: str = "LATENCY",
    cache_dir: str | None = None,
    progress: Callable[[str], None] | None = None,
) -> CropReader:
    """Build a reader for cropped word or line images (no detector); see ``load_pipeline``."""
    options = CompileOptions(
        device=device, hint=hint, precision=precision, cache_dir=resolve_cache_dir(cache_dir)
    )
    recognizer = TextRecognizer(get_model(rec, "rec", progress), options)
    classifier = AngleClassifier(get_model(cls, "cls", progress), options) if cls else None
    return CropReader(recognizer, classifier)
