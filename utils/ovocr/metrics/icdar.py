"""ICDAR 2015 (Challenge 4) detection and end-to-end scoring.

One-to-one matching at IoU > 0.5, do-not-care regions ignored on both sides, precision /
recall / H-mean, as the official script does. Explained in 09-measuring-accuracy.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any

import shapely
from shapely.geometry import Polygon
from shapely.geometry.base import BaseGeometry

from ..types import Quad, as_quad

DONT_CARE = "###"
# The end-to-end text rule (no lexicon) lets a GT word start and/or end with one of these.
SPECIAL_CHARACTERS = "!?.:,*\"()·[]/'"
# A prediction lying more than this fraction inside a do-not-care region is ignored.
DONT_CARE_AREA = 0.5


def quad_polygon(quad: Any) -> BaseGeometry:
    """A shapely geometry for a quad, repaired when self-intersecting.

    ``make_valid`` keeps both halves of a bow-tie (``buffer(0)`` would drop one); a
    zero-area quad becomes a line with area 0, which then never matches anything.
    """
    polygon = Polygon(as_quad(quad))
    return polygon if polygon.is_valid else shapely.make_valid(polygon)


def quad_iou(a: Any, b: Any) -> float:
    """Intersection over union of two quads (0.0 when both have no area).

    Example:
        >>> quad_iou(((0, 0), (2, 0), (2, 1), (0, 1)), ((1, 0), (3, 0), (3, 1), (1, 1)))
        0.3333333333333333
    """
    return polygon_iou(quad_polygon(a), quad_polygon(b))


def polygon_iou(a: BaseGeometry, b: BaseGeometry) -> float:
    """Intersection over union of two shapely geometries (0.0 when both have no area)."""
    inter = a.intersection(b).area
    union = a.area + b.area - inter
    return inter / union if union > 0 else 0.0


def transcription_match(gt: str, pred: str) -> bool:
    """The ICDAR 2015 end-to-end text rule, case-insensitive and with no lexicon.

    Case is ignored. The ground truth may additionally lose one leading and/or one trailing
    character from :data:`SPECIAL_CHARACTERS` (``"HELLO!"`` accepts ``hello``); the
    prediction is taken as is. Possessive ``'s`` removal and the dictionary filter belong
    to the official word-spotting mode, not to this one.

    Example:
        >>> transcription_match("Hello!", "HELLO"), transcription_match("Hello", "Hello!")
        (True, False)
    """
    gt, pred = gt.upper(), pred.upper()
    if gt == pred:
        return True
    if not gt:
        return False
    head, tail = gt[0] in SPECIAL_CHARACTERS, gt[-1] in SPECIAL_CHARACTERS
    return (
        (head and gt[1:] == pred)
        or (tail and gt[:-1] == pred)
        or (head and tail and gt[1:-1] == pred)
    )


@dataclass(frozen=True)
class IcdarMatch:
    """One matched pair: indices into the ground truth and predictions of an image."""

    gt_index: int
    pred_index: int
    iou: float
    text_ok: bool


@dataclass(frozen=True)
class IcdarResult:
    """ICDAR 2015 counts and scores for one image, or a total over many (``+``).

    Attributes:
        gt_care: ground-truth words that count (not ``###``).
        pred_care: predictions that count (not ignored by a do-not-care region).
        det_matched: one-to-one matches at IoU above the threshold.
        e2e_matched: matches whose transcription also matches.
        matches: the matched pairs of one image (empty in a total).
        ignored_preds: indices of predictions ignored as do-not-care (empty in a total).

    Scores follow the official per-image rule: with no ground truth to find, recall is
    1.0 and precision is 1.0 only if nothing was predicted either.
    """

    gt_care: int = 0
    pred_care: int = 0
    det_matched: int = 0
    e2e_matched: int = 0
    matches: tuple[IcdarMatch, ...] = ()
    ignored_preds: tuple[int, ...] = ()

    def __add__(self, other: IcdarResult) -> IcdarResult:
        # Pair indices belong to one image, so a total keeps counts only.
        return IcdarResult(
            self.gt_care + other.gt_care,
            self.pred_care + other.pred_care,
            self.det_matched + other.det_matched,
            self.e2e_matched + other.e2e_matched,
        )

    @property
    def det_precision(self) -> float:
        return _scores(self.det_matched, self.gt_care, self.pred_care)[0]

    @property
    def det_recall(self) -> float:
        return _scores(self.det_matched, self.gt_care, self.pred_care)[1]

    @property
    def det_hmean(self) -> float:
        return _scores(self.det_matched, self.gt_care, self.pred_care)[2]

    @property
    def e2e_precision(self) -> float:
        return _scores(self.e2e_matched, self.gt_care, self.pred_care)[0]

    @property
    def e2e_recall(self) -> float:
        return _scores(self.e2e_matched, self.gt_care, self.pred_care)[1]

    @property
    def e2e_hmean(self) -> float:
        return _scores(self.e2e_matched, self.gt_care, self.pred_care)[2]

    def to_dict(self) -> dict[str, Any]:
        det = _scores(self.det_matched, self.gt_care, self.pred_care)
        e2e = _scores(self.e2e_matched, self.gt_care, self.pred_care)
        return {
            "detection": dict(zip(("precision", "recall", "hmean"), det, strict=True)),
            "end_to_end": dict(zip(("precision", "recall", "hmean"), e2e, strict=True)),
            "gt_care": self.gt_care,
            "pred_care": self.pred_care,
            "det_matched": self.det_matched,
            "e2e_matched": self.e2e_matched,
            "matches": [asdict(m) for m in self.matches],
            "ignored_preds": list(self.ignored_preds),
        }


def _scores(matched: int, gt: int, pred: int) -> tuple[float, float, float]:
    """Precision, recall and H-mean with the official conventions for empty sets."""
    if gt == 0:
        recall, precision = 1.0, (0.0 if pred > 0 else 1.0)
    else:
        recall, precision = matched / gt, (matched / pred if pred > 0 else 0.0)
    hmean = 0.0 if precision + recall == 0 else 2 * precision * recall / (precision + recall)
    return precision, recall, hmean


def evaluate_icdar(
    pred_words: Iterable[Any], gt_words: Iterable[Any], iou: float = 0.5
) -> IcdarResult:
    """Score one image with the ICDAR 2015 detection and end-to-end protocols.

    Ground truth marked do-not-care (a ``dont_care`` attribute, or the text ``###``) is not
    counted in recall. A prediction that lies more than 50% inside a do-not-care region (by
    its own area) is ignored. The rest are matched one-to-one as the official script does:
    for each ground-truth word in order, the first free prediction with IoU above ``iou``.
    A match counts for end-to-end when :func:`transcription_match` accepts it.

    Args:
        pred_words: predictions with ``.quad`` and ``.text``, or ``(quad, text)`` tuples.
        gt_words: ground truth in the same forms, optionally with ``.dont_care``.
        iou: IoU threshold; a pair matches when its IoU is strictly above it.

    Returns:
        Counts, scores and the matched pairs of this image.
    """
    gts = [word_parts(w) for w in gt_words]
    preds = [word_parts(w) for w in pred_words]
    gt_polys = [quad_polygon(q) for q, _, _ in gts]
    pred_polys = [quad_polygon(q) for q, _, _ in preds]
    dont_care = [gt_polys[i] for i, (_, _, dc) in enumerate(gts) if dc]
    ignored = tuple(
        j
        for j, p in enumerate(pred_polys)
        if p.area > 0 and any(p.intersection(d).area / p.area > DONT_CARE_AREA for d in dont_care)
    )
    taken = set(ignored)
    matches = []
    for i, (_, gt_text, gt_dont_care) in enumerate(gts):
        if gt_dont_care:
            continue
        for j in range(len(preds)):
            overlap = 0.0 if j in taken else polygon_iou(gt_polys[i], pred_polys[j])
            if overlap > iou:
                taken.add(j)
                text_ok = transcription_match(gt_text, preds[j][1])
                matches.append(IcdarMatch(i, j, overlap, text_ok))
                break
    return IcdarResult(
        gt_care=len(gts) - len(dont_care),
        pred_care=len(preds) - len(ignored),
        det_matched=len(matches),
        e2e_matched=sum(m.text_ok for m in matches),
        matches=tuple(matches),
        ignored_preds=ignored,
    )


class IcdarAccumulator:
    """Sum ICDAR counts over a data set; scores come from the summed counts.

    Example:
        >>> box = ((0, 0), (10, 0), (10, 10), (0, 10))
        >>> acc = IcdarAccumulator()
        >>> _ = acc.add([(box, "a")], [(box, "a")])
        >>> _ = acc.add([], [(box, "b")])
        >>> acc.total.det_recall
        0.5
    """

    def __init__(self, iou: float = 0.5) -> None:
        self.iou = iou
        self.total = IcdarResult()

    def add(self, pred_words: Iterable[Any], gt_words: Iterable[Any]) -> IcdarResult:
        """Score one image, add it to the total and return the image's own result."""
        result = evaluate_icdar(pred_words, gt_words, self.iou)
        self.total = self.total + result
        return result


def word_parts(word: Any) -> tuple[Quad, str, bool]:
    """``(quad, text, dont_care)`` from an object with ``.quad``/``.text`` or a tuple.

    Do-not-care is a ``dont_care`` attribute, or the text ``###``.
    """
    quad, text = (word.quad, word.text) if hasattr(word, "quad") else word
    return as_quad(quad), text, bool(getattr(word, "dont_care", text == DONT_CARE))
