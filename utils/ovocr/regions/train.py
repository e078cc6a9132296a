"""Train a region model from annotated images: label OCR lines, fit a small classifier.

1. Every training image is read once by the generic OCR pipeline (cached on disk).
2. Each OCR line takes the concept of the annotated region that covers most of it
   (overlap / smaller area >= ``COVER``), else "none".
3. A classifier learns the concept of a line from its layout and content features:
   gradient-boosted trees (default) or softmax regression, both fitted by scikit-learn
   and exported as plain arrays (``ovocr.regions.classifiers``): inference needs NumPy
   only, and a model folder holds no pickle.

Explained in 06-custom-text-regions.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ..datasets import DatasetError
from ..types import Page
from .annotations import Annotation, RelBox, load_annotations
from .classifiers import LinearModel, TreeEnsemble
from .features import FEATURE_NAMES, page_features, upright
from .model import ConceptSpec, RegionModel
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


def fit_trees(
    x: np.ndarray,
    y: np.ndarray,
    n_classes: int,
    max_iter: int = 100,
    learning_rate: float = 0.1,
    max_leaf_nodes: int = 15,
    l2: float = 1.0,
) -> TreeEnsemble:
    """Gradient-boosted trees fitted by scikit-learn, exported as plain node arrays.

    ``HistGradientBoostingClassifier`` with a fixed seed and no early stopping (so the
    same data gives the same model); its trees are copied node by node into a
    :class:`~ovocr.regions.classifiers.TreeEnsemble`, which scores exactly as
    ``decision_function`` does (tested) without scikit-learn.
    """
    from sklearn.ensemble import HistGradientBoostingClassifier
    from threadpoolctl import threadpool_limits

    clf = HistGradientBoostingClassifier(
        max_iter=max_iter,
        learning_rate=learning_rate,
        max_leaf_nodes=max_leaf_nodes,
        l2_regularization=l2,
        early_stopping=False,
        random_state=0,
    )
    with threadpool_limits(1):  # several threads on a small shared CPU are slower, not faster
        clf.fit(x, y)
    return export_trees(clf, n_classes)


def export_trees(clf: Any, n_classes: int) -> TreeEnsemble:
    """The trees of a fitted ``HistGradientBoostingClassifier`` as flat node arrays.

    Classes absent from the training labels get a very low base score. With two classes
    scikit-learn fits one tree per round for class 1; class 0 keeps score 0.
    """
    seen = [int(c) for c in clf.classes_]
    base = np.full(n_classes, -30.0)
    baseline = np.asarray(clf._baseline_prediction, dtype=np.float64).ravel()
    per_round = len(clf._predictors[0])
    if per_round == 1:
        base[seen[0]], base[seen[1]] = 0.0, baseline[0]
        tree_classes = [seen[1]]
    else:
        base[seen] = baseline
        tree_classes = seen
    parts: dict[str, list[np.ndarray]] = {k: [] for k in ("f", "t", "l", "r", "v", "leaf", "m")}
    roots, classes, offset, depth = [], [], 0, 1
    for predictors in clf._predictors:
        for k, predictor in enumerate(predictors):
            nodes = predictor.nodes
            if nodes["is_categorical"].any():
                raise ValueError("categorical splits are not exported")
            parts["f"].append(nodes["feature_idx"])
            parts["t"].append(nodes["num_threshold"])
            parts["l"].append(nodes["left"].astype(np.int64) + offset)
            parts["r"].append(nodes["right"].astype(np.int64) + offset)
            parts["v"].append(nodes["value"])
            parts["leaf"].append(nodes["is_leaf"].astype(bool))
            parts["m"].append(nodes["missing_go_to_left"].astype(bool))
            roots.append(offset)
            classes.append(tree_classes[k])
            depth = max(depth, int(nodes["depth"].max()))
            offset += len(nodes)
    cat = {k: np.concatenate(v) for k, v in parts.items()}
    leaf = cat["leaf"]
    return TreeEnsemble(
        cat["f"].astype(np.int32),
        cat["t"].astype(np.float64),
        np.where(leaf, 0, cat["l"]).astype(np.int32),
        np.where(leaf, 0, cat["r"]).astype(np.int32),
        np.where(leaf, cat["v"], 0.0).astype(np.float64),
        leaf,
        cat["m"],
        np.array(roots, dtype=np.int32),
        np.array(classes, dtype=np.int32),
        base,
        depth,
    )


def fit_softmax(x: np.ndarray, y: np.ndarray, n_classes: int, c: float = 1.0) -> LinearModel:
    """Multinomial logistic regression by scikit-learn on standardised features."""
    from sklearn.linear_model import LogisticRegression
    from threadpoolctl import threadpool_limits

    mean = x.mean(axis=0)
    scale = x.std(axis=0)
    scale[scale < 1e-6] = 1.0
    clf = LogisticRegression(C=c, max_iter=2000)
    with threadpool_limits(1):
        clf.fit((x - mean) / scale, y)
    weights = np.zeros((x.shape[1], n_classes))
    bias = np.full(n_classes, -30.0)
    seen = [int(k) for k in clf.classes_]
    if len(seen) == 2:  # one weight vector for class 1 against class 0
        weights[:, seen[1]], bias[seen[0]], bias[seen[1]] = clf.coef_[0], 0.0, clf.intercept_[0]
    else:
        weights[:, seen], bias[seen] = clf.coef_.T, clf.intercept_
    return LinearModel(mean, scale, weights, bias)


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
    sources: Mapping[str, str] | None = None,
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
        sources: per concept, ``"page"`` (default) or ``"crop"``: where the reader takes
            its value (see ``model.ConceptSpec``); cross-validation chose the page lines
            for all four SROIE concepts (``benchmarks/fields.py --cv --sources``).

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
    labels, rows = [], []
    for page, annotation in zip(pages, annotations):
        level, order = upright(page)
        labels.append(label_lines(page, annotation, names)[order])
        rows.append(page_features(level)[:, columns])
    x = np.concatenate(rows).astype(np.float64)
    y = np.concatenate(labels)
    if progress:
        progress(f"fitting {method} on {len(y)} lines of {len(pages)} images")
    fit = fit_trees if method == "trees" else fit_softmax
    classifier = fit(x, y, 1 + len(names))
    kinds = dict(kinds or {})
    spans = max_lines_per_concept(labels, len(names))
    sources = dict(sources or {})
    concepts = tuple(
        ConceptSpec(c, kinds.get(c, "text"), m, sources.get(c, "page"))
        for c, m in zip(names, spans)
    )
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
