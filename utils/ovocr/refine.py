"""Second looks: re-read the crops the recogniser was unsure of.

The recogniser reads every crop once. Where it was unsure (a low mean probability over
the characters it emitted), a slightly different view of the same crop often reads better:
blurred or low-resolution words (street signs, incidental scene text) whose characters
the network sees squeezed together read more clearly stretched wider, because each
character then spans more CTC time steps. ``reread_unsure`` reads such variants of the
unsure crops only and keeps, per crop, the most confident reading: confident crops,
most of them, cost nothing.

Measured on the development sets in 10-improving-accuracy (``benchmarks/ACCURACY.md``): stretching
the width by 1.3 helps word crops and scene photos; padding, contrast stretching and
narrowing were measured too and lost, so they are not offered.

Example:
    >>> from dataclasses import dataclass, field
    >>> @dataclass
    ... class R:
    ...     text: str
    ...     confidence: float
    >>> read = lambda crops: [R(f"w{c.shape[1]}", c.shape[1] / 100) for c in crops]
    >>> crops = [np.zeros((10, 40, 3), np.uint8), np.zeros((10, 99, 3), np.uint8)]
    >>> [r.text for r in reread_unsure(read, crops, read(crops))]
    ['w52', 'w99']
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import cv2
import numpy as np

from .geometry import quad_size
from .settings import StageSettings
from .types import Line, Word

# Readings below this mean character probability get a second look (10-improving-accuracy).
UNSURE = 0.95
# The second look stretches the crop's width by this factor.
STRETCH = 1.3
# Words further apart than this many line heights belong to different lines (columns);
# chosen on the SROIE training receipts (10-improving-accuracy).
GAP_RATIO = 0.8


@dataclass(frozen=True)
class RereadSettings(StageSettings):
    """Settings of ``reread_unsure`` (validated like every stage setting).

    Attributes:
        enabled: give unsure crops a second look at all.
        unsure: readings with a confidence below this are re-read.
        stretch: width factor of the re-read view (above 1: wider).

    >>> RereadSettings.from_dict({"stretch": 0.5})
    Traceback (most recent call last):
    ...
    ovocr.settings.SettingsError: re-read setting stretch=0.5: must be from 1.0 to 3.0
    """

    KIND = "re-read"

    enabled: bool = True
    unsure: float = field(default=UNSURE, metadata={"lo": 0.0, "hi": 1.0})
    stretch: float = field(default=STRETCH, metadata={"lo": 1.0, "hi": 3.0, "above": 1.0})


def stretch_width(crop: np.ndarray, factor: float = STRETCH) -> np.ndarray:
    """The crop resized to ``factor`` times its width, same height (bicubic).

    >>> stretch_width(np.zeros((8, 10, 3), np.uint8)).shape
    (8, 13, 3)
    """
    height, width = crop.shape[:2]
    return cv2.resize(crop, (max(1, round(width * factor)), height), interpolation=cv2.INTER_CUBIC)


def reread_unsure(
    read: Callable[[Sequence[np.ndarray]], Sequence[Any]],
    crops: Sequence[np.ndarray],
    readings: Sequence[Any],
    settings: RereadSettings | None = None,
) -> list[Any]:
    """Re-read the crops whose reading is unsure, stretched wider; keep the more confident.

    Args:
        read: reads a list of RGB crops, returning objects with a ``confidence``
            (``TextRecognizer``).
        crops: the crops that were read.
        readings: their readings, one per crop.
        settings: threshold and stretch (``RereadSettings()`` when ``None``).

    Returns:
        One reading per crop: the first reading, or the re-read one when it is more
        confident. Character positions (fractions of the crop width) stay valid, since
        stretching keeps them.
    """
    settings = settings or RereadSettings()
    out = list(readings)
    if not settings.enabled:
        return out
    unsure = [
        i
        for i, (crop, reading) in enumerate(zip(crops, readings))
        if crop.size and min(crop.shape[:2]) >= 2 and reading.confidence < settings.unsure
    ]
    if not unsure:
        return out
    again = read([stretch_width(crops[i], settings.stretch) for i in unsure])
    for i, reading in zip(unsure, again):
        if reading.confidence > out[i].confidence:
            out[i] = reading
    return out


def split_at_gaps(line: Line, ratio: float = GAP_RATIO) -> list[Line]:
    """Cut a line where two words stand further apart than ``ratio`` line heights.

    A detector region sometimes spans two columns of a document ("4.40 ... SR",
    "INV No.: 1134279 ... Cashier: Thandar"); documents label such columns as separate
    lines. The words keep their boxes and their reading order; each part gets the slice of
    the line's quad from its leftmost word to its rightmost one. The gap is measured
    between facing edges, so a line turned upside down (words running right to left, from
    the angle classifier) is cut the same way. Lines without a quad, or with fewer than
    two words, are returned as they are.

    >>> def w(x0, x1, t):
    ...     return Word(t, 1.0, ((x0, 0), (x1, 0), (x1, 10), (x0, 10)))
    >>> line = Line((w(0, 30, "4.40"), w(80, 95, "SR")), ((0, 0), (95, 0), (95, 10), (0, 10)))
    >>> [part.text for part in split_at_gaps(line)]
    ['4.40', 'SR']
    """
    words = line.words
    if line.quad is None or len(words) < 2:
        return [line]
    quad = np.asarray(line.quad, dtype=np.float64)
    height = quad_size(quad)[1]
    axis = quad[1] - quad[0]  # along the line, left to right in the image
    axis = axis / (np.linalg.norm(axis) or 1.0)
    along = [float(np.asarray(w.quad).mean(axis=0) @ axis) for w in words]
    parts: list[list[int]] = [[0]]
    for i in range(1, len(words)):
        # The facing edges of two neighbours: on an upside-down line (angle classifier)
        # the words run right to left, so the next word stands left of this one.
        first, second = (i - 1, i) if along[i - 1] <= along[i] else (i, i - 1)
        right = _edge_middle(words[first], 1, 2)
        left = _edge_middle(words[second], 0, 3)
        if float(np.linalg.norm(left - right)) > ratio * height:
            parts.append([])
        parts[-1].append(i)
    if len(parts) == 1:
        return [line]
    out = []
    for part in parts:
        start = words[min(part, key=lambda i: along[i])]  # leftmost in the image
        end = words[max(part, key=lambda i: along[i])]
        quad_part = (start.quad[0], end.quad[1], end.quad[2], start.quad[3])
        out.append(Line(tuple(words[i] for i in part), quad_part))
    return out


def _edge_middle(word: Word, a: int, b: int) -> np.ndarray:
    """The middle of the edge from corner ``a`` to corner ``b`` of a word's quad."""
    return (np.asarray(word.quad[a], dtype=np.float64) + np.asarray(word.quad[b])) / 2
