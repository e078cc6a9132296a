"""The line classifiers at inference: plain arrays and a few lines of NumPy, no pickle.

Training fits them with scikit-learn (``ovocr.regions.train``); what is kept is only their
numbers, so a model folder is data, never code:

- :class:`TreeEnsemble`: the trees of a ``HistGradientBoostingClassifier``, all nodes of
  all trees in flat arrays (feature, threshold, children, leaf value), walked for every
  sample and tree at once.
- :class:`LinearModel`: a multinomial logistic regression on standardised features.

:func:`classifier_from_arrays` rebuilds either one from an ``.npz`` read with
``allow_pickle=False`` and checks every array (names, dtypes, shapes, child indices) so a
damaged or hand-edited file gives one clear error instead of a wrong answer or a hang.
Explained in 06-custom-text-regions.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from functools import cached_property

import numpy as np


class ClassifierArraysError(ValueError):
    """The arrays of a saved classifier are missing, of the wrong type, or inconsistent."""


def softmax(scores: np.ndarray) -> np.ndarray:
    """Row-wise softmax, stable for large scores."""
    shifted = scores - scores.max(axis=1, keepdims=True)
    exp = np.exp(shifted)
    return exp / exp.sum(axis=1, keepdims=True)


@dataclass(frozen=True)
class TreeEnsemble:
    """Gradient-boosted trees as flat node arrays.

    Node ``j`` is a leaf when ``is_leaf[j]``, adding ``value[j]`` to the score of its
    tree's class; otherwise a sample goes to ``left[j]`` when ``x[feature[j]] <=
    threshold[j]`` (a missing value, NaN, goes left when ``missing_left[j]``), else to
    ``right[j]``. Tree ``t`` starts at node ``roots[t]`` and scores class
    ``tree_class[t]``; ``base`` holds the initial scores (the learning rate is already in
    the leaf values, as in scikit-learn).
    """

    feature: np.ndarray  # (nodes,) int32
    threshold: np.ndarray  # (nodes,) float64
    left: np.ndarray  # (nodes,) int32, global node index
    right: np.ndarray  # (nodes,) int32
    value: np.ndarray  # (nodes,) float64
    is_leaf: np.ndarray  # (nodes,) bool
    missing_left: np.ndarray  # (nodes,) bool
    roots: np.ndarray  # (trees,) int32
    tree_class: np.ndarray  # (trees,) int32
    base: np.ndarray  # (classes,) float64
    depth: int

    # Scoring walks only the samples not yet at a leaf (most trees end in 4-6 steps) and
    # finds a child as children[2 * node + went_right]; one-hot classes turn the leaves'
    # values into scores in one product.
    @cached_property
    def _children(self) -> np.ndarray:
        return np.stack([self.left, self.right], 1).ravel()

    @cached_property
    def _onehot(self) -> np.ndarray:
        onehot = np.zeros((len(self.roots), len(self.base)))
        onehot[np.arange(len(self.roots)), self.tree_class] = 1.0
        return onehot

    def scores(self, x: np.ndarray) -> np.ndarray:
        """``(len(x), classes)`` raw scores (before softmax)."""
        n, trees = len(x), len(self.roots)
        flat = np.ascontiguousarray(x, dtype=np.float64).ravel()
        node = np.tile(self.roots.astype(np.int64), n)  # sample-major: (n * trees,)
        offset = np.repeat(np.arange(n, dtype=np.int64) * x.shape[1], trees)
        active = np.flatnonzero(~self.is_leaf[node])
        for _ in range(self.depth):
            if not active.size:
                break
            at = node[active]
            values = flat[offset[active] + self.feature[at]]
            right = ~(values <= self.threshold[at])  # NaN goes right unless missing_left
            missing = np.isnan(values)
            if missing.any():
                right[missing] = ~self.missing_left[at[missing]]
            child = self._children[2 * at + right]
            node[active] = child
            active = active[~self.is_leaf[child]]
        return self.base + self.value[node].reshape(n, trees) @ self._onehot

    def arrays(self) -> dict[str, np.ndarray]:
        data = {f"trees_{k}": np.asarray(v) for k, v in asdict(self).items()}
        data["trees_depth"] = np.asarray(self.depth, dtype=np.int32)
        return data


@dataclass(frozen=True)
class LinearModel:
    """Multinomial logistic regression on standardised features."""

    mean: np.ndarray  # (features,)
    scale: np.ndarray  # (features,)
    weights: np.ndarray  # (features, classes)
    bias: np.ndarray  # (classes,)

    def scores(self, x: np.ndarray) -> np.ndarray:
        return ((x - self.mean) / self.scale) @ self.weights + self.bias

    def arrays(self) -> dict[str, np.ndarray]:
        return {f"linear_{k}": np.asarray(v) for k, v in asdict(self).items()}


Classifier = TreeEnsemble | LinearModel

_TREE_KINDS = {
    "feature": "i",
    "threshold": "f",
    "left": "i",
    "right": "i",
    "value": "f",
    "is_leaf": "b",
    "missing_left": "b",
    "roots": "i",
    "tree_class": "i",
    "base": "f",
    "depth": "i",
}
_LINEAR_KINDS = {"mean": "f", "scale": "f", "weights": "f", "bias": "f"}


def _take(arrays: dict[str, np.ndarray], prefix: str, kinds: dict[str, str]) -> dict:
    found = {k.removeprefix(prefix): v for k, v in arrays.items() if k.startswith(prefix)}
    if set(found) != set(kinds):
        missing, extra = sorted(set(kinds) - set(found)), sorted(set(found) - set(kinds))
        raise ClassifierArraysError(f"arrays missing {missing} or unexpected {extra}")
    for name, kind in kinds.items():
        array = found[name]
        ok = array.dtype.kind in ("iu" if kind == "i" else kind)
        if not ok or (kind == "f" and not np.isfinite(array).all()):
            raise ClassifierArraysError(f"array {prefix}{name} has dtype {array.dtype}")
    return found


def classifier_from_arrays(arrays: dict[str, np.ndarray], n_features: int) -> Classifier:
    """Rebuild and check a classifier from the arrays :meth:`arrays` wrote.

    Raises:
        ClassifierArraysError: names, dtypes or shapes do not fit, or a tree node points
            outside the arrays or backwards (which could loop).
    """
    if any(k.startswith("trees_") for k in arrays):
        a = _take(arrays, "trees_", _TREE_KINDS)
        nodes = len(a["feature"])
        if any(a[k].shape != (nodes,) for k in ("threshold", "left", "right", "value")):
            raise ClassifierArraysError("tree node arrays differ in length")
        inner = ~a["is_leaf"].astype(bool)
        index = np.arange(nodes)
        children_ok = all(
            ((a[k][inner] > index[inner]) & (a[k][inner] < nodes)).all() for k in ("left", "right")
        )
        roots_ok = ((a["roots"] >= 0) & (a["roots"] < nodes)).all()
        features_ok = ((a["feature"][inner] >= 0) & (a["feature"][inner] < n_features)).all()
        classes_ok = ((a["tree_class"] >= 0) & (a["tree_class"] < len(a["base"]))).all()
        if not (children_ok and roots_ok and features_ok and classes_ok):
            raise ClassifierArraysError("tree node indices point outside the trees")
        if a["roots"].shape != a["tree_class"].shape or not 0 < int(a["depth"]) <= 64:
            raise ClassifierArraysError("tree roots, classes or depth do not fit")
        return TreeEnsemble(
            a["feature"].astype(np.int32),
            a["threshold"].astype(np.float64),
            a["left"].astype(np.int32),
            a["right"].astype(np.int32),
            a["value"].astype(np.float64),
            a["is_leaf"].astype(bool),
            a["missing_left"].astype(bool),
            a["roots"].astype(np.int32),
            a["tree_class"].astype(np.int32),
            a["base"].astype(np.float64),
            int(a["depth"]),
        )
    if any(k.startswith("linear_") for k in arrays):
        a = _take(arrays, "linear_", _LINEAR_KINDS)
        classes = a["bias"].shape
        if a["weights"].shape != (n_features, *classes) or a["mean"].shape != (n_features,):
            raise ClassifierArraysError("linear weights do not fit the features")
        return LinearModel(**{k: v.astype(np.float64) for k, v in a.items()})
    raise ClassifierArraysError("no classifier arrays (trees_* or linear_*)")
