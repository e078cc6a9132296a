"""From stage outputs to a ``Page``: crops, words, reading order.

The part of the pipeline between and after the two networks, as plain functions, so that
the one-image path (``ovocr.pipeline``) and the many-image path (``ovocr.throughput``)
assemble pages the same way:

* ``cut_crops``: each detected quad cut out and turned upright (optional angle classifier);
* ``split_words``: one recognised line cut into words at its spaces, each word with its
  own box and confidence;
* ``reading_order`` and ``assemble``: lines sorted into visual rows, a ``Page`` out.

Explained in 05-ocr-pipeline.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .detection import Detections
from .geometry import crop_quad, crop_size, is_vertical, reading_rows, sub_quad
from .recognition import AngleClassifier, Reading
from .refine import GAP_RATIO, split_at_gaps
from .types import Line, Page, Quad, Word

# Lines read less confidently are dropped, as PaddleOCR's drop_score does (09-measuring-accuracy).
MIN_CONFIDENCE = 0.5


def as_quad_tuple(quad: np.ndarray) -> Quad:
    """A ``4x2`` array as the tuple quad the result types hold."""
    return tuple((float(x), float(y)) for x, y in np.asarray(quad).reshape(4, 2))  # type: ignore[return-value]


def upright(
    crops: Sequence[np.ndarray], classifier: AngleClassifier | None
) -> tuple[list[np.ndarray], list[bool]]:
    """Turn the crops ``classifier`` finds upside down by 180 degrees; say which it turned."""
    flipped = classifier(crops) if classifier else [False] * len(crops)
    turned = [np.ascontiguousarray(c[::-1, ::-1]) if f else c for c, f in zip(crops, flipped)]
    return turned, flipped


def cut_crops(
    image: np.ndarray, detections: Detections, classifier: AngleClassifier | None = None
) -> tuple[list[np.ndarray], list[bool]]:
    """Cut out every detected quad, turned upright; also say which crops were flipped."""
    return upright([crop_quad(image, q) for q in detections.quads], classifier)


def word_confidence(reading: Reading, start: int, stop: int) -> float:
    """Mean probability of the characters ``text[start:stop]`` (spaces left out).

    Falls back to the line's confidence when the reading has no per-character values.
    """
    chars = reading.char_confidences
    if len(chars) != len(reading.text):
        return reading.confidence
    own = [p for c, p in zip(reading.text[start:stop], chars[start:stop]) if not c.isspace()]
    return float(np.mean(own)) if own else reading.confidence


def split_words(
    reading: Reading,
    quad: np.ndarray,
    flipped: bool = False,
    min_confidence: float = MIN_CONFIDENCE,
) -> list[Word]:
    """Cut one recognised line into words at its spaces.

    The CTC time steps say where each character sits (``reading.positions``, 0..1 of the
    crop width); each word gets the slice of the line's quad from half a character before
    its first character to half a character after its last one, and the mean probability
    of its own characters as confidence. A line read with a confidence below
    ``min_confidence`` is most likely not text and gives no words.
    """
    text, positions = reading.text, reading.positions
    if not text.strip() or reading.confidence < min_confidence:
        return []
    if len(positions) != len(text) or is_vertical(*crop_size(quad)):  # turned: keep whole
        confidence = word_confidence(reading, 0, len(text))
        return [Word(text.strip(), confidence, as_quad_tuple(quad))]
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
                confidence = word_confidence(reading, start, i)
                words.append(Word(text[start:i], confidence, as_quad_tuple(sub_quad(quad, a, b))))
            start = None
        elif start is None:
            start = i
    return words


def reading_order(lines: Sequence[Line]) -> tuple[list[Line], list[tuple[int, ...]]]:
    """Sort lines into visual rows, top to bottom, each row left to right.

    The rule is ``ovocr.geometry.reading_rows`` (the one ground truth is ordered with for
    page CER). Returns the sorted lines and the rows as index tuples into them.
    """
    rows = reading_rows([line.bounds for line in lines])
    ordered = [lines[i] for row in rows for i in row]
    index_rows, start = [], 0
    for row in rows:
        index_rows.append(tuple(range(start, start + len(row))))
        start += len(row)
    return ordered, index_rows


def assemble(
    size: tuple[int, int],
    detections: Detections,
    readings: Sequence[Reading],
    flipped: Sequence[bool],
    min_confidence: float = MIN_CONFIDENCE,
    gap_ratio: float | None = GAP_RATIO,
) -> Page:
    """Words from the readings of each region, in reading order; ``size`` is ``(h, w)``.

    A region whose words stand more than ``gap_ratio`` line heights apart is cut there
    into several lines (``ovocr.refine.split_at_gaps``: two columns, 10-improving-accuracy);
    ``None`` keeps every region one line.
    """
    lines = []
    for quad, reading, flip in zip(detections.quads, readings, flipped):
        words = split_words(reading, quad, flip, min_confidence)
        if words:
            line = Line(tuple(words), as_quad_tuple(quad))
            lines.extend([line] if gap_ratio is None else split_at_gaps(line, gap_ratio))
    ordered, rows = reading_order(lines)
    return Page(size[1], size[0], tuple(ordered), tuple(rows))
