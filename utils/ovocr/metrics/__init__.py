"""Accuracy metrics: word recognition, ICDAR 2015 detection and end-to-end, documents.

Three families, each matching a published protocol so numbers compare with papers:

- Word recognition (IIIT5K, ICDAR 2015 words): accuracy after :func:`normalize_word` on
  both sides, plus character error rate (CER).
- ICDAR 2015 (Challenge 4) detection and end-to-end: one-to-one matching at IoU > 0.5,
  do-not-care regions ignored on both sides, precision / recall / H-mean.
- Documents (SROIE, FUNSD): lines matched by IoU, then line CER and exact-match rate, and
  a page-level CER on the text in reading order.

Quads are four ``(x, y)`` pixel points (``x`` = column, ``y`` = row). Predictions and
ground truth can be any objects with ``.quad`` and ``.text`` (``ovocr.types.Word``,
``ovocr.datasets.GroundTruthWord``) or plain ``(quad, text)`` tuples.

Explained in 09-measuring-accuracy.

Example:
    >>> box = ((0, 0), (10, 0), (10, 10), (0, 10))
    >>> result = evaluate_icdar([(box, "Hello")], [(box, "hello!")])
    >>> result.det_hmean, result.e2e_hmean
    (1.0, 1.0)
"""

from .documents import (
    LineResult,
    line_metrics,
    match_lines,
    page_cer,
    page_text_in_rows,
    tilt_degrees,
)
from .icdar import (
    DONT_CARE,
    DONT_CARE_AREA,
    SPECIAL_CHARACTERS,
    IcdarAccumulator,
    IcdarMatch,
    IcdarResult,
    evaluate_icdar,
    polygon_iou,
    quad_iou,
    quad_polygon,
    transcription_match,
    word_parts,
)
from .words import cer, mean_cer, normalize_word, word_accuracy

__all__ = [
    "DONT_CARE",
    "DONT_CARE_AREA",
    "SPECIAL_CHARACTERS",
    "IcdarAccumulator",
    "IcdarMatch",
    "IcdarResult",
    "LineResult",
    "cer",
    "evaluate_icdar",
    "line_metrics",
    "match_lines",
    "mean_cer",
    "normalize_word",
    "page_cer",
    "page_text_in_rows",
    "polygon_iou",
    "quad_iou",
    "quad_polygon",
    "tilt_degrees",
    "transcription_match",
    "word_accuracy",
    "word_parts",
]
