"""Train a region model from annotated images: label OCR lines, fit a small classifier.

1. Every training image is read once by the generic OCR pipeline (cached on disk).
2. Each OCR line takes the concept of the annotated region that covers most of it
   (overlap / smaller area >= ``COVER``), else "none".
3. A classifier learns the concept of a line from its layout and content features:
   gradient-boosted trees (default) or softmax regression, both fitted here in NumPy and
   evaluated in NumPy at inference.

Explained in 06-custom-text-regions.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import numpy as np

from ..datasets import DatasetError
from ..types import Page
from .annotations import Annotation, RelBox, load_annotations
from .features import FEATURE_NAMES, page_features
from .model import BoostedTrees, ConceptSpec, RegionModel, SoftmaxRegression, softmax
from .sroie import KINDS as SROIE_KINDS
from .sroie import load_sroie_annotations

COVER = 0.5
METHODS = ("trees", "softmax")


def label_lines(page: Page, annotation: Annotation, concepts: Sequence[str]) -> np.ndarray:
    """Class of every line of ``page``: 0 for none, ``1 + concepts.index(c)`` for concept c.

    A line belongs to the region that covers the largest share of the smaller of the two
    boxes, if that share is at least ``COVER``: a long OCR line that holds a small
    annotated value counts, and so does a short line inside a large address block.
    """
    labels = np.zeros(len(page.lines), dtype=np.int64)
    for i, line in enumerate(page.lines):
        box = RelBox.from_line(line, page.width, page.height)
        best = COVER
        for region in annotation.regions:
            if region.concept not in concepts:
                continue
            smaller = min(box.area, region.box.area)
            share = box.intersection(region.box) / smaller if smaller > 0 else 0.0
            if share >= best:
                best, labels[i] = share, 1 + list(concepts).index(region.concept)
    return labels


def _bin_edges(x: np.ndarray, bins: int) -> list[np.ndarray]:
    """Split candidates per feature: midpoints between quantiles of its distinct values."""
    edges = []
    for column in x.T:
        values = np.unique(column)
        if len(values) > bins:
            values = np.unique(np.quantile(column, np.linspace(0, 1, bins + 1)))
        edges.append(((values[:-1] + values[1:]) / 2).astype(np.float32))
    return edges


def fit_trees(
    x: np.ndarray,
    y: np.ndarray,
    n_classes: int,
    rounds: int = 120,
    depth: int = 3,
    learning_rate: float = 0.15,
    l2: float = 1.0,
    min_hessian: float = 1.0,
    bins: int = 32,
) -> BoostedTrees:
    """Multi-class gradient boosting with Newton leaves (one tree per class per round).

    Deterministic: no sampling. Split candidates come from per-feature quantile bins, and
    one ``np.bincount`` per node builds the gradient histograms of all features at once.
    """
    n, n_features = x.shape
    edges = _bin_edges(x, bins)
    width = max(len(e) for e in edges) + 1
    binned = np.stack([np.searchsorted(e, x[:, f]) for f, e in enumerate(edges)], axis=1)
    flat = binned + np.arange(n_features) * width
    onehot = np.eye(n_classes)[y]
    prior = onehot.mean(axis=0).clip(1e-6)
    base = np.log(prior) - np.log(prior).mean()
    scores = np.tile(base, (n, 1))
    inner, leaves_n = 2**depth - 1, 2**depth
    feats, thrs, leaves, classes = [], [], [], []
    for _ in range(rounds):
        prob = softmax(scores)
        for k in range(n_classes):
            grad = onehot[:, k] - prob[:, k]
            hess = (prob[:, k] * (1 - prob[:, k])).clip(1e-6)
            feature = np.zeros(inner, dtype=np.int32)
            threshold = np.full(inner, np.inf, dtype=np.float32)
            node = np.zeros(n, dtype=np.int64)
            for j in range(inner):
                members = node == j
                split = _best_split(
                    flat[members], grad[members], hess[members], width, l2, min_hessian
                )
                if split is not None:
                    f, b = split
                    feature[j], threshold[j] = f, edges[f][b]
                right = x[:, feature[j]] > threshold[j]
                node = np.where(members, 2 * j + 1 + right, node)
            leaf = node - inner
            g = np.bincount(leaf, weights=grad, minlength=leaves_n)
            h = np.bincount(leaf, weights=hess, minlength=leaves_n)
            value = learning_rate * (n_classes - 1) / n_classes * g / (h + l2)
            scores[:, k] += value[leaf]
            feats.append(feature)
            thrs.append(threshold)
            leaves.append(value.astype(np.float32))
            classes.append(k)
    return BoostedTrees(
        np.array(feats),
        np.array(thrs),
        np.array(leaves),
        np.array(classes),
        base.astype(np.float32),
    )


def _best_split(
    flat: np.ndarray, grad: np.ndarray, hess: np.ndarray, width: int, l2: float, min_hessian: float
) -> tuple[int, int] | None:
    """(feature, bin) of the split with the largest gain, or None when none helps."""
    if len(grad) < 2:
        return None
    n_features = flat.shape[1]
    size = n_features * width
    g = np.bincount(flat.ravel(), np.repeat(grad, n_features), size).reshape(n_features, width)
    h = np.bincount(flat.ravel(), np.repeat(hess, n_features), size).reshape(n_features, width)
    gl, hl = np.cumsum(g, axis=1)[:, :-1], np.cumsum(h, axis=1)[:, :-1]
    gt, ht = g.sum(axis=1, keepdims=True), h.sum(axis=1, keepdims=True)
    gr, hr = gt - gl, ht - hl
    gain = gl**2 / (hl + l2) + gr**2 / (hr + l2) - gt**2 / (ht + l2)
    gain[(hl < min_hessian) | (hr < min_hessian)] = 0.0
    best = int(np.argmax(gain))
    if gain.flat[best] <= 1e-9:
        return None
    return divmod(best, width - 1)


def fit_softmax(
    x: np.ndarray,
    y: np.ndarray,
    n_classes: int,
    l2: float = 1e-3,
    steps: int = 800,
    lr: float = 0.5,
) -> SoftmaxRegression:
    """Multinomial logistic regression by full-batch gradient descent with momentum."""
    mean = x.mean(axis=0)
    scale = x.std(axis=0)
    scale[scale < 1e-6] = 1.0
    z = (x - mean) / scale
    onehot = np.eye(n_classes)[y]
    weights = np.zeros((x.shape[1], n_classes))
    bias = np.zeros(n_classes)
    vw, vb = np.zeros_like(weights), np.zeros_like(bias)
    for _ in range(steps):
        err = softmax(z @ weights + bias) - onehot
        vw = 0.9 * vw + z.T @ err / len(z) + l2 * weights
        vb = 0.9 * vb + err.mean(axis=0)
        weights -= lr * vw
        bias -= lr * vb
    return SoftmaxRegression(mean, scale, weights, bias)


def max_lines_per_concept(labels: Sequence[np.ndarray], n_concepts: int) -> list[int]:
    """How many lines one region of each concept may span: the 90th percentile seen."""
    out = []
    for k in range(1, n_concepts + 1):
        counts = [int((lab == k).sum()) for lab in labels if (lab == k).any()]
        out.append(max(1, int(np.ceil(np.percentile(counts, 90)))) if counts else 1)
    return out


def train_model(
    annotations: Sequence[Annotation],
    pages: Sequence[Page],
    kinds: Mapping[str, str] | None = None,
    method: str = "trees",
    ocr: Mapping[str, str] | None = None,
    progress: Callable[[str], None] | None = None,
    features: Sequence[str] = FEATURE_NAMES,
) -> RegionModel:
    """Fit a region model on OCR pages of annotated images.

    Args:
        annotations: one per image, with regions of the concepts to learn.
        pages: the OCR page of each image (same order), e.g. from ``cache.cached_pages``.
        kinds: value kind per concept (``date``, ``amount``, ``name``; default ``text``).
        method: ``"trees"`` (gradient-boosted trees) or ``"softmax"`` (logistic regression).
        ocr: the stage-one OCR settings to store with the model.
        progress: called with a status message.
        features: the line features to learn from (default all; a subset for ablations,
            e.g. layout only).

    Raises:
        ValueError: no annotations, pages that do not match, no region at all, an
            unknown method or feature.
    """
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}: expected one of {METHODS}")
    if not annotations or len(annotations) != len(pages):
        raise ValueError(f"need one page per annotation, got {len(pages)} for {len(annotations)}")
    unknown = set(features) - set(FEATURE_NAMES)
    if unknown:
        raise ValueError(f"unknown line features {sorted(unknown)}")
    columns = [FEATURE_NAMES.index(f) for f in features]
    names = sorted({r.concept for a in annotations for r in a.regions})
    if not names:
        raise ValueError("the annotations hold no region: nothing to learn")
    start = time.perf_counter()
    labels = [label_lines(p, a, names) for p, a in zip(pages, annotations)]
    x = np.concatenate([page_features(p)[:, columns] for p in pages]).astype(np.float64)
    y = np.concatenate(labels)
    if progress:
        progress(f"fitting {method} on {len(y)} lines of {len(pages)} images")
    fit = fit_trees if method == "trees" else fit_softmax
    classifier = fit(x, y, 1 + len(names))
    kinds = dict(kinds or {})
    spans = max_lines_per_concept(labels, len(names))
    concepts = tuple(ConceptSpec(c, kinds.get(c, "text"), m) for c, m in zip(names, spans))
    info = {
        "method": method,
        "images": len(pages),
        "lines": int(len(y)),
        "labelled_lines": {c: int((y == k + 1).sum()) for k, c in enumerate(names)},
        "fit_seconds": round(time.perf_counter() - start, 2),
    }
    return RegionModel(
        concepts, classifier, ocr=dict(ocr or {}), info=info, features=tuple(features)
    )


def load_training_data(
    folder: Path, limit: int | None = None
) -> tuple[list[Annotation], dict[str, str]]:
    """Annotations of a training folder and the value kinds that go with them.

    A folder with ``annotations.json`` (``annotations.save_annotations``) is read as is,
    with no kinds; otherwise it must have the SROIE layout, whose regions are derived
    from its lines and keys (``ovocr.regions.sroie``), with the SROIE kinds.

    Raises:
        ovocr.regions.annotations.AnnotationError: a bad ``annotations.json``.
        ovocr.datasets.DatasetError: neither layout, or a broken SROIE folder.
    """
    if (folder / "annotations.json").is_file():
        return load_annotations(folder / "annotations.json")[:limit], {}
    if not (folder / "boxes").is_dir():
        raise DatasetError(
            f"{folder}: no annotations.json and no boxes/ folder: expected the SROIE layout "
            "(boxes/, images/, keys/) or an annotations.json"
        )
    return load_sroie_annotations(folder, limit), dict(SROIE_KINDS)
