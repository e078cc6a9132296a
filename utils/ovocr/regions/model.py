"""The deployed region detector: classify OCR lines by concept, merge them into regions.

Stage one is the generic ``ovocr`` pipeline (OpenVINO): it finds and reads every text
line. This module then scores each line for each concept with a small classifier that
runs in plain NumPy (no training framework at inference) and turns the best lines of a
concept into one region: the single best line, or for concepts that span lines (an
address) the best line grown by neighbouring lines that also score high.

A model folder holds ``model.json`` (concepts, decoding settings, OCR models) and
``weights.npz`` (the classifier's arrays). Explained in 06-custom-text-regions.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import ModelError
from ..types import Page
from .annotations import Region, RelBox, union_box
from .features import FEATURE_NAMES, page_features
from .values import extract_value

FORMAT_VERSION = 1


@dataclass(frozen=True)
class ConceptSpec:
    """One concept the model finds.

    Attributes:
        name: the concept, e.g. ``"total"``.
        kind: how its value is cut out of the region text (``ovocr.regions.values``).
        max_lines: how many text lines one region of it may span (learnt from the data).
    """

    name: str
    kind: str = "text"
    max_lines: int = 1


def softmax(scores: np.ndarray) -> np.ndarray:
    """Row-wise softmax, stable for large scores."""
    shifted = scores - scores.max(axis=1, keepdims=True)
    exp = np.exp(shifted)
    return exp / exp.sum(axis=1, keepdims=True)


@dataclass(frozen=True)
class BoostedTrees:
    """Gradient-boosted trees of fixed depth, stored as complete binary trees.

    Tree ``t`` adds ``leaves[t, leaf]`` to the score of class ``classes[t]``; inner node
    ``j`` sends a sample right when ``x[features[t, j]] > thresholds[t, j]`` (children of
    ``j`` are ``2j + 1`` and ``2j + 2``). The learning rate is folded into the leaves.
    """

    features: np.ndarray  # (trees, 2**depth - 1) int
    thresholds: np.ndarray  # (trees, 2**depth - 1) float
    leaves: np.ndarray  # (trees, 2**depth) float
    classes: np.ndarray  # (trees,) int
    base: np.ndarray  # (n_classes,) initial scores

    def scores(self, x: np.ndarray) -> np.ndarray:
        n, trees = len(x), len(self.classes)
        depth = int(np.log2(self.leaves.shape[1]))
        node = np.zeros((n, trees), dtype=np.int64)
        cols = np.arange(trees)
        for _ in range(depth):
            feature = self.features[cols, node]
            right = x[np.arange(n)[:, None], feature] > self.thresholds[cols, node]
            node = 2 * node + 1 + right
        values = self.leaves[cols, node - (self.leaves.shape[1] - 1)]
        out = np.tile(self.base, (n, 1)).astype(np.float64)
        for k in range(len(self.base)):
            out[:, k] += values[:, self.classes == k].sum(axis=1)
        return out

    def arrays(self) -> dict[str, np.ndarray]:
        return {f"trees_{k}": v for k, v in asdict(self).items()}


@dataclass(frozen=True)
class SoftmaxRegression:
    """Multinomial logistic regression on standardised features."""

    mean: np.ndarray  # (features,)
    scale: np.ndarray  # (features,)
    weights: np.ndarray  # (features, n_classes)
    bias: np.ndarray  # (n_classes,)

    def scores(self, x: np.ndarray) -> np.ndarray:
        return ((x - self.mean) / self.scale) @ self.weights + self.bias

    def arrays(self) -> dict[str, np.ndarray]:
        return {f"softmax_{k}": v for k, v in asdict(self).items()}


Classifier = BoostedTrees | SoftmaxRegression


def _classifier_from_arrays(arrays: dict[str, np.ndarray]) -> Classifier:
    for prefix, cls in (("trees_", BoostedTrees), ("softmax_", SoftmaxRegression)):
        found = {k.removeprefix(prefix): v for k, v in arrays.items() if k.startswith(prefix)}
        if found:
            return cls(**found)
    raise KeyError("no classifier arrays")


@dataclass
class RegionModel:
    """Concepts + line classifier + decoding settings: a page in, regions out.

    Attributes:
        concepts: the concepts, in the order of the classifier's classes 1.. (0 = none).
        classifier: scores ``(lines, 1 + len(concepts))`` from line features.
        min_score: a concept whose best line scores less is left out of the page.
        grow_score: a neighbour line joins a multi-line region from this score on.
        ocr: the stage-one OCR settings the model was trained with (``det``, ``rec``).
        info: free training facts (images, method, time) kept with the model.
        features: the line features the classifier reads, by name (default: all of
            ``features.FEATURE_NAMES``).
    """

    concepts: tuple[ConceptSpec, ...]
    classifier: Classifier
    min_score: float = 0.05
    grow_score: float = 0.5
    ocr: dict[str, str] = field(default_factory=dict)
    info: dict[str, Any] = field(default_factory=dict)
    features: tuple[str, ...] = FEATURE_NAMES

    def line_probabilities(self, page: Page) -> np.ndarray:
        """``(len(page.lines), 1 + len(concepts))`` probabilities; column 0 is "none"."""
        if not page.lines:
            return np.zeros((0, 1 + len(self.concepts)))
        columns = [FEATURE_NAMES.index(name) for name in self.features]
        return softmax(self.classifier.scores(page_features(page)[:, columns]))

    def predict(self, page: Page) -> list[Region]:
        """One region per concept found on ``page``, with the text of its lines.

        For ``date`` and ``amount`` concepts, only lines that hold such a value compete
        when any of them scores at least ``min_score``.
        """
        probs = self.line_probabilities(page)
        rows = list(page.rows) or [(i,) for i in range(len(page.lines))]
        row_of = {i: r for r, members in enumerate(rows) for i in members}
        texts = [line.text for line in page.lines]
        regions = []
        for k, spec in enumerate(self.concepts, start=1):
            if not len(probs):
                break
            p = probs[:, k]
            candidates = list(range(len(p)))
            if spec.kind in ("date", "amount"):
                holding = [i for i in candidates if extract_value(spec.kind, texts[i])]
                if any(p[i] >= self.min_score for i in holding):
                    candidates = holding
            best = max(candidates, key=lambda i: p[i])
            if p[best] < self.min_score:
                continue
            group = self._grow(best, p, spec.max_lines, rows, row_of)
            group.sort()  # page lines are in reading order
            box = union_box(RelBox.from_line(page.lines[i], page.width, page.height) for i in group)
            text = " ".join(texts[i] for i in group)
            regions.append(Region(spec.name, box, float(np.mean(p[group])), text))
        return regions

    def _grow(
        self,
        best: int,
        p: np.ndarray,
        max_lines: int,
        rows: Sequence[tuple[int, ...]],
        row_of: dict[int, int],
    ) -> list[int]:
        """Add the best-scoring line of the same or an adjacent row until none qualifies."""
        group = [best]
        while len(group) < max_lines:
            near = {row_of[i] + d for i in group for d in (-1, 0, 1)}
            options = [
                j
                for r in near
                if 0 <= r < len(rows)
                for j in rows[r]
                if j not in group and p[j] >= self.grow_score
            ]
            if not options:
                break
            group.append(max(options, key=lambda j: p[j]))
        return group

    def save(self, folder: str | os.PathLike) -> Path:
        """Write ``model.json`` and ``weights.npz`` into ``folder`` (created if needed)."""
        target = Path(folder)
        target.mkdir(parents=True, exist_ok=True)
        meta = {
            "format": FORMAT_VERSION,
            "features": list(self.features),
            "concepts": [asdict(c) for c in self.concepts],
            "min_score": self.min_score,
            "grow_score": self.grow_score,
            "ocr": self.ocr,
            "info": self.info,
        }
        np.savez(target / "weights.npz", **self.classifier.arrays())
        (target / "model.json").write_text(json.dumps(meta, indent=1) + "\n", encoding="utf-8")
        return target

    @classmethod
    def load(cls, folder: str | os.PathLike) -> RegionModel:
        """Read a model folder written by :meth:`save`.

        Raises:
            ModelError: the folder or a file is missing, or was written for other features.
        """
        source = Path(folder)
        meta_file, weights_file = source / "model.json", source / "weights.npz"
        if not meta_file.is_file() or not weights_file.is_file():
            raise ModelError(
                f"{source}: not a region model (needs model.json and weights.npz); "
                "train one with `ovocr fields train --data DIR --out DIR`"
            )
        try:
            meta = json.loads(meta_file.read_text(encoding="utf-8"))
            with np.load(weights_file) as data:
                classifier = _classifier_from_arrays(dict(data))
        except (json.JSONDecodeError, KeyError, TypeError, ValueError, OSError) as exc:
            raise ModelError(f"{source}: unreadable region model ({exc})") from None
        features = meta.get("features") or []
        if not set(features) <= set(FEATURE_NAMES):
            raise ModelError(
                f"{meta_file}: trained with other line features than this ovocr version; "
                "retrain it with `ovocr fields train`"
            )
        return cls(
            tuple(ConceptSpec(**c) for c in meta["concepts"]),
            classifier,
            float(meta["min_score"]),
            float(meta["grow_score"]),
            dict(meta.get("ocr", {})),
            dict(meta.get("info", {})),
            tuple(features),
        )
