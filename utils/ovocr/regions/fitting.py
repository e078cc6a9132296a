"""Fit the classifiers of a region model with scikit-learn and export them as plain arrays.

``fit_trees`` (gradient-boosted trees) and ``fit_softmax`` (softmax regression) learn the
concept of an OCR line from its features; ``fit_text`` learns a logistic regression on the
hashed n-grams of a line and its neighbours (``ovocr.regions.text``). Each returns the
NumPy-only form of ``ovocr.regions.classifiers`` / ``ovocr.regions.text`` that a model
folder stores without pickle. scikit-learn (and SciPy, for the sparse n-gram matrix) are
needed here only, to train. Explained in 06-custom-text-regions.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from .classifiers import LinearModel, TreeEnsemble
from .text import CONTEXTS, TextModel

TEXT_C = 4.0


def fit_trees(
    x: np.ndarray,
    y: np.ndarray,
    n_classes: int,
    max_iter: int = 100,
    learning_rate: float = 0.1,
    max_leaf_nodes: int = 15,
    l2: float = 1.0,
    min_leaf: int | None = None,
) -> TreeEnsemble:
    """Gradient-boosted trees fitted by scikit-learn, exported as plain node arrays.

    ``HistGradientBoostingClassifier`` with a fixed seed and no early stopping (so the
    same data gives the same model); its trees are copied node by node into a
    :class:`~ovocr.regions.classifiers.TreeEnsemble`, which scores exactly as
    ``decision_function`` does (tested) without scikit-learn. ``min_leaf`` (lines per
    leaf) defaults to a quarter of the rarest class's lines, 2 to 20: 20 forms hold about
    20 title lines, which leaves of scikit-learn's default 20 lines could not set apart.
    """
    from sklearn.ensemble import HistGradientBoostingClassifier
    from threadpoolctl import threadpool_limits

    if min_leaf is None:  # a leaf may hold a quarter of the rarest class's lines, 2 to 20
        counts = np.bincount(y)
        min_leaf = int(np.clip(counts[counts > 0].min() // 4, 2, 20))
    clf = HistGradientBoostingClassifier(
        max_iter=max_iter,
        learning_rate=learning_rate,
        max_leaf_nodes=max_leaf_nodes,
        l2_regularization=l2,
        min_samples_leaf=min_leaf,
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


def fit_text(
    hashed: Sequence[Any],
    labels: Sequence[np.ndarray],
    n_classes: int,
    contexts: Sequence[str],
    buckets: int,
    c: float = TEXT_C,
) -> TextModel:
    """A logistic regression on the hashed ``contexts`` of the lines of several pages
    (``text.hash_page`` output), fitted by scikit-learn on a sparse matrix."""
    from scipy.sparse import csr_matrix
    from sklearn.linear_model import LogisticRegression
    from threadpoolctl import threadpool_limits

    blocks = [CONTEXTS.index(k) for k in contexts]
    remap = np.full(len(CONTEXTS), -1)
    remap[blocks] = np.arange(len(blocks))
    rows, cols, vals, offset = [], [], [], 0
    for h in hashed:
        block = remap[h.columns // buckets]
        keep = block >= 0
        rows.append(h.rows[keep] + offset)
        cols.append(block[keep] * buckets + h.columns[keep] % buckets)
        vals.append(h.values[keep])
        offset += h.n_lines
    x = csr_matrix(
        (np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
        shape=(offset, len(blocks) * buckets),
    )
    y = np.concatenate(labels)
    weights = np.zeros((x.shape[1], n_classes), dtype=np.float32)
    bias = np.full(n_classes, -30.0)
    seen = [int(k) for k in np.unique(y)]
    if len(seen) == 1:
        bias[seen[0]] = 0.0
        return TextModel(tuple(contexts), weights, bias)
    clf = LogisticRegression(C=c, max_iter=300)
    with threadpool_limits(1):
        clf.fit(x, y)
    if len(seen) == 2:  # one weight vector for class 1 against class 0
        weights[:, seen[1]], bias[seen[0]], bias[seen[1]] = clf.coef_[0], 0.0, clf.intercept_[0]
    else:
        weights[:, seen], bias[seen] = clf.coef_.T, clf.intercept_
    return TextModel(tuple(contexts), weights, bias)
