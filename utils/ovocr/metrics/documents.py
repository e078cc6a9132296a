"""Document metrics (SROIE, FUNSD): line CER, exact lines, page CER in reading order.

Lines are matched by IoU (:func:`match_lines`), then compared; the page text of the ground
truth is put in rows by the rule OCR pages use (``ovocr.geometry.reading_rows``).
Explained in 09-measuring-accuracy.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any

from ..geometry import reading_rows
from ..types import as_quad, quad_bounds
from .icdar import polygon_iou, quad_polygon, word_parts
from .words import cer


def match_lines(
    pred_lines: Iterable[Any], gt_lines: Iterable[Any], iou: float = 0.5
) -> list[tuple[int, int]]:
    """Match predicted text lines to ground-truth lines one-to-one by IoU.

    Pairs are taken highest IoU first, so a line that overlaps two others goes to the
    better one; a pair needs an IoU strictly above ``iou``.

    Args:
        pred_lines: predicted lines with ``.quad``/``.text`` or ``(quad, text)`` tuples.
        gt_lines: ground-truth lines in the same forms.
        iou: IoU threshold.

    Returns:
        ``(gt_index, pred_index)`` pairs sorted by ground-truth index.
    """
    gt_polys = [quad_polygon(word_parts(w)[0]) for w in gt_lines]
    pred_polys = [quad_polygon(word_parts(w)[0]) for w in pred_lines]
    candidates = []
    for i, g in enumerate(gt_polys):
        for j, p in enumerate(pred_polys):
            overlap = polygon_iou(g, p)
            if overlap > iou:
                candidates.append((-overlap, i, j))
    pairs: dict[int, int] = {}
    used: set[int] = set()
    for _, i, j in sorted(candidates):
        if i not in pairs and j not in used:
            pairs[i] = j
            used.add(j)
    return sorted(pairs.items())


@dataclass(frozen=True)
class LineResult:
    """Line-level document scores for one page, or a total over many (``+``).

    Attributes:
        gt_lines: ground-truth lines scored.
        pred_lines: predicted lines offered.
        matched: ground-truth lines that found a predicted line.
        exact: matched lines whose text is exactly right (after whitespace clean-up).
        cer_sum: sum of line CERs; an unmatched ground-truth line counts as CER 1.0.
    """

    gt_lines: int = 0
    pred_lines: int = 0
    matched: int = 0
    exact: int = 0
    cer_sum: float = 0.0

    def __add__(self, other: LineResult) -> LineResult:
        return LineResult(
            self.gt_lines + other.gt_lines,
            self.pred_lines + other.pred_lines,
            self.matched + other.matched,
            self.exact + other.exact,
            self.cer_sum + other.cer_sum,
        )

    @property
    def cer(self) -> float:
        """Mean line CER over ground-truth lines (0.0 when there are none)."""
        return self.cer_sum / self.gt_lines if self.gt_lines else 0.0

    @property
    def exact_rate(self) -> float:
        """Fraction of ground-truth lines read exactly (0.0 when there are none)."""
        return self.exact / self.gt_lines if self.gt_lines else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "cer": self.cer, "exact_rate": self.exact_rate}


def line_metrics(
    pred_lines: Iterable[Any],
    gt_lines: Iterable[Any],
    iou: float = 0.5,
    ignore_case: bool = False,
) -> LineResult:
    """Line CER and exact-match rate after :func:`match_lines`.

    Texts are compared after collapsing runs of whitespace. A ground-truth line without a
    match counts as CER 1.0 (everything missed); unmatched predictions do not change the
    CER, so also look at ``matched`` against ``pred_lines``.

    Args:
        pred_lines: predicted lines with ``.quad``/``.text`` or ``(quad, text)`` tuples.
        gt_lines: ground-truth lines in the same forms.
        iou: IoU threshold for :func:`match_lines`.
        ignore_case: compare texts case-insensitively.

    Returns:
        The page's counts; add results of several pages with ``+``.
    """
    preds = [(q, _clean(t, ignore_case)) for q, t, _ in map(word_parts, pred_lines)]
    gts = [(q, _clean(t, ignore_case)) for q, t, _ in map(word_parts, gt_lines)]
    pairs = match_lines(preds, gts, iou)
    errors = [cer(preds[j][1], gts[i][1]) for i, j in pairs]
    return LineResult(
        gt_lines=len(gts),
        pred_lines=len(preds),
        matched=len(pairs),
        exact=sum(preds[j][1] == gts[i][1] for i, j in pairs),
        cer_sum=sum(errors) + (len(gts) - len(pairs)),
    )


def page_cer(pred_text: str, gt_text: str, ignore_case: bool = False) -> float:
    """CER of a whole page's text in reading order, whitespace runs collapsed to one space.

    Example:
        >>> page_cer("TOTAL  9.00\\nCASH", "total 9.00 cash", ignore_case=True)
        0.0
    """
    return cer(_clean(pred_text, ignore_case), _clean(gt_text, ignore_case))


def _clean(text: str, ignore_case: bool) -> str:
    text = " ".join(text.split())
    return text.lower() if ignore_case else text


def tilt_degrees(quad: Any) -> float:
    """Angle of a quad's top edge (first to second point) against the horizontal, 0..90.

    Upside-down and vertical words count by their edge, not their reading direction: a
    word turned by 180 degrees has tilt 0.

    Example:
        >>> tilt_degrees(((0, 0), (10, 10), (0, 20), (-10, 10)))
        45.0
    """
    (x0, y0), (x1, y1) = as_quad(quad)[:2]
    angle = abs(math.degrees(math.atan2(y1 - y0, x1 - x0))) % 180
    return min(angle, 180 - angle)


def page_text_in_rows(lines: Iterable[Any]) -> str:
    """Text of labelled lines read row by row, top to bottom, each row left to right.

    Annotation files do not always list lines in reading order (SROIE often lists the
    left column of a receipt first, then the prices), so page-level CER needs the ground
    truth put in rows first, by the same rule OCR pages are ordered with
    (``ovocr.geometry.reading_rows``).

    Args:
        lines: lines with ``.quad``/``.text`` or ``(quad, text)`` tuples.

    Example:
        >>> price = (((80, 0), (99, 0), (99, 10), (80, 10)), "9.00")
        >>> label = (((0, 1), (40, 1), (40, 11), (0, 11)), "TOTAL")
        >>> page_text_in_rows([(((0, 30), (40, 30), (40, 40), (0, 40)), "CASH"), price, label])
        'TOTAL 9.00\\nCASH'
    """
    parts = [word_parts(line) for line in lines]
    rows = reading_rows([quad_bounds(quad) for quad, _, _ in parts])
    return "\n".join(" ".join(parts[i][1] for i in row) for row in rows)
