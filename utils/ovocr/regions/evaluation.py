"""Scores for field reading: per-concept precision, recall and F1 of exact values, and
region IoU against annotated boxes.

A predicted value is correct when it equals the true value, case-insensitive, after
whitespace normalisation: by default all whitespace is removed (SROIE's key files and
the receipts disagree on spaces, ``27,JALAN`` vs ``27, JALAN``); ``ignore_spaces=False``
only collapses runs of whitespace. Precision counts non-empty predictions, recall
non-empty true values. The field CER (character error rate, same normalisation) shows
how close the misses are, and ``read_right`` the share of true values read within a CER
of ``CLOSE`` (0.2, the forms target: a form's title with one slip still reads). Region
IoU is the mean, over images with an annotated region
of the concept, of the IoU of the predicted region with it (0 when none was predicted).
Explained in 06-custom-text-regions.

Example:
    >>> s = score_fields([{"total": "9.00"}, {"total": ""}], [{"total": "9.00"}, {"total": "4.50"}])
    >>> s["total"].precision, s["total"].recall, round(s["total"].f1, 3)
    (1.0, 0.5, 0.667)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from ..metrics import cer
from .annotations import Annotation, Region
from .values import normalize_space

# A value "read right" for forms: character error rate at most this (spaces ignored).
CLOSE = 0.2


def comparable(text: str, ignore_spaces: bool = True) -> str:
    """The form values are compared in: upper-case, whitespace removed or collapsed."""
    text = normalize_space(text).upper()
    return text.replace(" ", "") if ignore_spaces else text


def same_value(predicted: str, expected: str, ignore_spaces: bool = True) -> bool:
    """Exact match in :func:`comparable` form; an empty value never matches.

    >>> same_value("27,JALAN DEDAP", "27, Jalan  Dedap"), same_value("27,JALAN", "27, JALAN", False)
    (True, False)
    """
    a, b = comparable(predicted, ignore_spaces), comparable(expected, ignore_spaces)
    return bool(a) and a == b


@dataclass
class ConceptScore:
    """Counts for one concept over a set of images."""

    correct: int = 0
    predicted: int = 0
    expected: int = 0
    iou_sum: float = 0.0
    iou_images: int = 0
    cer_sum: float = 0.0
    close: int = 0

    @property
    def precision(self) -> float:
        return self.correct / self.predicted if self.predicted else 0.0

    @property
    def recall(self) -> float:
        return self.correct / self.expected if self.expected else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    @property
    def mean_cer(self) -> float:
        """Mean character error rate over images with a true value (1.0 for a miss)."""
        return self.cer_sum / self.expected if self.expected else 0.0

    @property
    def read_right(self) -> float:
        """Share of images with a true value whose prediction is within ``CLOSE`` CER."""
        return self.close / self.expected if self.expected else 0.0

    @property
    def mean_iou(self) -> float:
        return self.iou_sum / self.iou_images if self.iou_images else 0.0


def score_fields(
    predictions: Sequence[Mapping[str, str]],
    truths: Sequence[Mapping[str, str]],
    concepts: Sequence[str] | None = None,
    ignore_spaces: bool = True,
) -> dict[str, ConceptScore]:
    """Per-concept exact-value counts and CER; concepts default to those of the truths."""
    if len(predictions) != len(truths):
        raise ValueError(f"{len(predictions)} predictions for {len(truths)} images")
    names = list(concepts or sorted({k for t in truths for k in t}))
    scores = {c: ConceptScore() for c in names}
    for pred, truth in zip(predictions, truths):
        for c in names:
            p, t = pred.get(c, "").strip(), truth.get(c, "").strip()
            scores[c].predicted += bool(p)
            scores[c].expected += bool(t)
            scores[c].correct += same_value(p, t, ignore_spaces)
            if t:
                a, b = comparable(p, ignore_spaces), comparable(t, ignore_spaces)
                error = min(cer(a, b), 1.0) if a else 1.0
                scores[c].cer_sum += error
                scores[c].close += error <= CLOSE
    return scores


def add_region_iou(
    scores: dict[str, ConceptScore],
    predicted: Sequence[Sequence[Region]],
    annotations: Sequence[Annotation],
) -> dict[str, ConceptScore]:
    """Add region IoU (best predicted vs union-free annotated region) to ``scores``."""
    for regions, annotation in zip(predicted, annotations, strict=True):
        for concept, score in scores.items():
            truth = annotation.regions_of(concept)
            if not truth:
                continue
            guesses = [r for r in regions if r.concept == concept]
            best = max((g.box.iou(t.box) for g in guesses for t in truth), default=0.0)
            score.iou_sum += best
            score.iou_images += 1
    return scores


def score_table(scores: Mapping[str, ConceptScore], title: str = "") -> str:
    """A Markdown table: concept, precision, recall, F1, field CER, mean region IoU."""
    lines = [
        f"| {title or 'concept'} | precision | recall | F1 | CER | region IoU |",
        "|---|---|---|---|---|---|",
    ]
    for concept, s in scores.items():
        lines.append(
            f"| {concept} | {s.precision:.3f} | {s.recall:.3f} | {s.f1:.3f} "
            f"| {s.mean_cer:.3f} | {s.mean_iou:.3f} |"
        )
    return "\n".join(lines)
