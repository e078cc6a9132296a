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

Explained in 08-accuracy.

Example:
    >>> box = ((0, 0), (10, 0), (10, 10), (0, 10))
    >>> result = evaluate_icdar([(box, "Hello")], [(box, "hello!")])
    >>> result.det_hmean, result.e2e_hmean
    (1.0, 1.0)
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import shapely
from rapidfuzz.distance import Levenshtein
from shapely.geometry import Polygon
from shapely.geometry.base import BaseGeometry

from .geometry import reading_rows
from .types import Quad, as_quad, quad_bounds

DONT_CARE = "###"
# The official "generic" end-to-end rule lets a GT word start and/or end with one of these.
SPECIAL_CHARACTERS = "!?.:,*\"()·[]/'"
# A prediction lying more than this fraction inside a do-not-care region is ignored.
DONT_CARE_AREA = 0.5


def normalize_word(text: str) -> str:
    """Lower-case and keep only ``[0-9a-z]``: the word recognition protocol.

    Example:
        >>> normalize_word("Café-2200!")
        'caf2200'
    """
    return re.sub(r"[^0-9a-z]", "", text.lower())


def cer(pred: str, gt: str) -> float:
    """Character error rate: Levenshtein distance divided by the length of ``gt``.

    Not capped: many insertions can push it above 1. An empty ``gt`` scores 0.0 against an
    empty prediction and 1.0 against anything else.

    Example:
        >>> cer("helo", "hello")
        0.2
    """
    if not gt:
        return 0.0 if not pred else 1.0
    return Levenshtein.distance(pred, gt) / len(gt)


def word_accuracy(preds: Sequence[str], gts: Sequence[str], normalize: bool = True) -> float:
    """Fraction of words read exactly, after :func:`normalize_word` unless told otherwise.

    Example:
        >>> word_accuracy(["Hello", "w0rld"], ["HELLO!", "world"])
        0.5
    """
    pairs = _pairs(preds, gts, normalize)
    return sum(p == g for p, g in pairs) / len(pairs)


def mean_cer(preds: Sequence[str], gts: Sequence[str], normalize: bool = True) -> float:
    """Mean of the per-word :func:`cer`, after :func:`normalize_word` unless told otherwise.

    Example:
        >>> mean_cer(["helo", "world"], ["hello", "world"])
        0.1
    """
    pairs = _pairs(preds, gts, normalize)
    return sum(cer(p, g) for p, g in pairs) / len(pairs)


def _pairs(preds: Sequence[str], gts: Sequence[str], normalize: bool) -> list[tuple[str, str]]:
    if len(preds) != len(gts):
        raise ValueError(f"{len(preds)} predictions for {len(gts)} ground-truth words")
    if not gts:
        raise ValueError("no words to score")
    if normalize:
        return [(normalize_word(p), normalize_word(g)) for p, g in zip(preds, gts, strict=True)]
    return list(zip(preds, gts, strict=True))


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
    return _iou(quad_polygon(a), quad_polygon(b))


def _iou(a: BaseGeometry, b: BaseGeometry) -> float:
    inter = a.intersection(b).area
    union = a.area + b.area - inter
    return inter / union if union > 0 else 0.0


def transcription_match(gt: str, pred: str) -> bool:
    """The official ICDAR 2015 "generic" end-to-end text rule.

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
            overlap = 0.0 if j in taken else _iou(gt_polys[i], pred_polys[j])
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
            overlap = _iou(g, p)
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
