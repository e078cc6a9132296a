"""Where OCR loses its points: every ground-truth word or line put in one bin.

A score such as ICDAR 2015's end-to-end H-mean says *how many* words were lost, not
*where*. ``word_breakdown`` and ``line_breakdown`` sort every ground-truth item (do-not-care
words aside) into exactly one of four bins, so a change to the pipeline can be judged by
the bin it empties:

* **missed**: no prediction covers even half of it (the detector never saw it);
* **badly boxed**: predictions cover it, but none matches it one-to-one with IoU above
  0.5 (a box too large or too small, a line box not cut into words, a word cut in two);
* **misread**: matched, but the text is wrong;
* **read**: matched and read right.

Predictions that match nothing are counted as **false** (do-not-care ones aside). Matching
and the text rule are those of ``ovocr.metrics`` (``evaluate_icdar`` for words,
``match_lines`` for lines). Explained in 09-measuring-accuracy.

Example:
    >>> box = lambda x0, x1: ((x0, 0), (x1, 0), (x1, 10), (x0, 10))
    >>> truth = [(box(0, 40), "OPEN"), (box(60, 100), "DAILY"), (box(200, 240), "EXIT")]
    >>> found = [(box(0, 41), "OPEN"), (box(60, 101), "DAIIY"), (box(300, 340), "wall")]
    >>> word_breakdown(found, truth).counts()
    {'missed': 1, 'badly boxed': 0, 'misread': 1, 'read': 1, 'false': 1}
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from shapely import union_all

from .metrics import evaluate_icdar, match_lines, quad_polygon, word_parts

# A ground-truth item counts as seen when predictions cover at least this share of it.
COVER = 0.5
BINS = ("missed", "badly boxed", "misread", "read")


@dataclass(frozen=True)
class Breakdown:
    """Ground-truth items per bin (see the module docstring); ``+`` sums pages.

    Attributes:
        items: ground-truth items that count (do-not-care words aside).
        missed: items no prediction covers by half.
        badly_boxed: covered items without a one-to-one match above the IoU threshold.
        misread: matched items read wrong.
        read: matched items read right.
        false: predictions that match nothing (do-not-care ones aside).
    """

    items: int = 0
    missed: int = 0
    badly_boxed: int = 0
    misread: int = 0
    read: int = 0
    false: int = 0

    def __add__(self, other: Breakdown) -> Breakdown:
        return Breakdown(*(a + b for a, b in zip(asdict(self).values(), asdict(other).values())))

    def counts(self) -> dict[str, int]:
        """The four bins and the false predictions, as a dict with readable keys."""
        bins = (self.missed, self.badly_boxed, self.misread, self.read)
        return {**dict(zip(BINS, bins)), "false": self.false}

    def shares(self) -> dict[str, float]:
        """The four bins as fractions of ``items`` (rounded to 3 places)."""
        total = max(self.items, 1)
        return {k: round(v / total, 3) for k, v in self.counts().items() if k != "false"}

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _same_text(a: str, b: str, ignore_case: bool) -> bool:
    """Equal after collapsing whitespace (and case, when asked): ``line_metrics``' rule."""
    a, b = " ".join(a.split()), " ".join(b.split())
    return a.lower() == b.lower() if ignore_case else a == b


def _covered(gt_polygon: Any, pred_polygons: Sequence[Any], cover: float) -> bool:
    """True when the union of the predictions covers ``cover`` of the ground truth."""
    if gt_polygon.area <= 0:
        return False
    near = [p for p in pred_polygons if p.area > 0 and p.intersects(gt_polygon)]
    if not near:
        return False
    return union_all(near).intersection(gt_polygon).area / gt_polygon.area >= cover


def word_breakdown(
    pred_words: Iterable[Any], gt_words: Iterable[Any], iou: float = 0.5, cover: float = COVER
) -> Breakdown:
    """Sort the ground-truth words of one image into the four bins (ICDAR 2015 rules).

    Args:
        pred_words: predictions with ``.quad``/``.text`` or ``(quad, text)`` tuples.
        gt_words: ground truth in the same forms, optionally with ``.dont_care``.
        iou: the matching threshold of ``evaluate_icdar``.
        cover: share of a word the predictions must cover for it not to count as missed.
    """
    preds, gts = list(pred_words), list(gt_words)
    result = evaluate_icdar(preds, gts, iou)
    matched = {m.gt_index: m.text_ok for m in result.matches}
    ignored = set(result.ignored_preds)
    polygons = [quad_polygon(word_parts(p)[0]) for j, p in enumerate(preds) if j not in ignored]
    missed = badly = 0
    for i, word in enumerate(gts):
        quad, _, dont_care = word_parts(word)
        if dont_care or i in matched:
            continue
        if _covered(quad_polygon(quad), polygons, cover):
            badly += 1
        else:
            missed += 1
    read = sum(matched.values())
    return Breakdown(
        items=result.gt_care,
        missed=missed,
        badly_boxed=badly,
        misread=len(matched) - read,
        read=read,
        false=result.pred_care - result.det_matched,
    )


def line_breakdown(
    pred_lines: Iterable[Any],
    gt_lines: Iterable[Any],
    iou: float = 0.5,
    cover: float = COVER,
    ignore_case: bool = True,
) -> Breakdown:
    """Sort the ground-truth lines of one document into the four bins.

    Lines are matched as ``line_metrics`` matches them (``match_lines``, highest IoU
    first); a matched line is read when its text equals the truth after whitespace
    clean-up (and case folding with ``ignore_case``, as SROIE is scored).
    """
    preds = [word_parts(p)[:2] for p in pred_lines]
    gts = [word_parts(g)[:2] for g in gt_lines]
    pairs = dict(match_lines(preds, gts, iou))
    polygons = [quad_polygon(q) for q, _ in preds]
    missed = badly = read = 0
    for i, (quad, text) in enumerate(gts):
        if i in pairs:
            read += _same_text(preds[pairs[i]][1], text, ignore_case)
        elif _covered(quad_polygon(quad), polygons, cover):
            badly += 1
        else:
            missed += 1
    return Breakdown(
        items=len(gts),
        missed=missed,
        badly_boxed=badly,
        misread=len(pairs) - read,
        read=read,
        false=len(preds) - len(pairs),
    )
