"""The vocabulary a region model learns: hashed word and character n-grams of each line
and of its neighbours, scored by weights fitted on the user's own annotations.

No word list is written here. Every text line becomes a set of hashed tokens: its words
and the character n-grams of its words, upper-cased with digits written as ``0`` (so
``25/12/2018`` and ``03/01/2019`` look alike). Each token falls into one of ``buckets``
columns by a stable hash (CRC-32, the same in every process and on every platform:
Python's ``hash()`` changes between runs). A line is described in several *contexts*:
its own text, the text left and right of it on its row, and the lines just above and
below it that overlap it horizontally, so a value learns its label ("DATE:" on the
left, "Total" above) the same way it learns its own words. Each context has its own
block of columns, so "DATE" on the left and "DATE" in the line itself get separate
weights.

A :class:`TextModel` is a multinomial logistic regression on those columns (fitted by
scikit-learn on a sparse matrix in ``ovocr.regions.train``, kept as plain arrays): its
class probabilities become features of the line classifier. At inference it is a sum of
weight rows in NumPy. Explained in 06-custom-text-regions.

Example:
    >>> config = HashingConfig(buckets=64)
    >>> tokens("Date: 25/12", config)[:4]
    ['w:DATE:', 'w:DATE', 'c: DA', 'c:DAT']
    >>> bucket_ids("Date: 25/12", config).tolist() == bucket_ids("DATE: 03/01", config).tolist()
    True
"""

from __future__ import annotations

import re
import zlib
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from ..types import Page

CONTEXTS = ("own", "left", "right", "above", "below")
HASHES = ("crc32",)


@dataclass(frozen=True)
class HashingConfig:
    """How line text becomes columns; stored in ``model.json`` with the model.

    Attributes:
        buckets: columns per context (a power of two, 16..65536).
        chars: character n-gram sizes taken inside each word (padded with a space).
        words: whether whole words are tokens too.
        hash: the hash function (``"crc32"``, stable across processes and machines).
    """

    buckets: int = 4096
    chars: tuple[int, ...] = (3, 4)
    words: bool = True
    hash: str = "crc32"

    def __post_init__(self) -> None:
        object.__setattr__(self, "chars", tuple(int(n) for n in self.chars))
        if self.hash not in HASHES:
            raise ValueError(f"hash {self.hash!r}: expected one of {HASHES}")
        if not 16 <= self.buckets <= 65536 or self.buckets & (self.buckets - 1):
            raise ValueError(f"buckets={self.buckets}: expected a power of two, 16..65536")
        if not all(1 <= n <= 8 for n in self.chars) or not (self.chars or self.words):
            raise ValueError(f"chars={self.chars}: n-gram sizes 1..8, or words")

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "chars": list(self.chars)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> HashingConfig:
        if not isinstance(data, dict) or set(data) - {"buckets", "chars", "words", "hash"}:
            raise ValueError(f"bad hashing settings {data!r}")
        return cls(
            int(data["buckets"]),
            tuple(data["chars"]),
            bool(data["words"]),
            str(data["hash"]),
        )


_DIGIT = re.compile(r"\d")
_CORE = re.compile(r"[^\w]+")


def normalise(text: str) -> str:
    """Upper case, every digit written as ``0``, whitespace collapsed."""
    return " ".join(_DIGIT.sub("0", text.upper()).split())


def tokens(text: str, config: HashingConfig) -> list[str]:
    """The tokens of ``text``: ``w:`` words (as printed and without punctuation) and
    ``c:`` character n-grams of each word with a space on either side."""
    out: list[str] = []
    for word in normalise(text).split(" "):
        if not word:
            continue
        if config.words:
            out.append(f"w:{word}")
            core = _CORE.sub("", word)
            if core and core != word:
                out.append(f"w:{core}")
        padded = f" {word} "
        for n in config.chars:
            out.extend(f"c:{padded[i : i + n]}" for i in range(max(len(padded) - n + 1, 1)))
    return out


def bucket_ids(text: str, config: HashingConfig) -> np.ndarray:
    """The sorted, distinct bucket indices of the tokens of ``text``."""
    ids = {zlib.crc32(t.encode("utf-8")) % config.buckets for t in tokens(text, config)}
    return np.array(sorted(ids), dtype=np.int64)


# Bucket ids by word: a word's tokens do not depend on the rest of its line, and words
# repeat across pages (digits are written as 0), so each is hashed once per process.
_WORD_IDS: dict[tuple[HashingConfig, str], np.ndarray] = {}
_WORD_CACHE_SIZE = 200_000


def _line_ids(text: str, config: HashingConfig) -> np.ndarray:
    """The bucket ids of the words of ``text`` (repeats possible: :func:`hash_page` makes
    them distinct); the same set as :func:`bucket_ids`."""
    parts = []
    for word in normalise(text).split(" "):
        if not word:
            continue
        ids = _WORD_IDS.get((config, word))
        if ids is None:
            if len(_WORD_IDS) >= _WORD_CACHE_SIZE:
                _WORD_IDS.clear()
            ids = bucket_ids(word, config)
            _WORD_IDS[(config, word)] = ids
        parts.append(ids)
    return np.concatenate(parts) if parts else np.zeros(0, np.int64)


def neighbours(page: Page) -> dict[str, list[list[int]]]:
    """For each context, the lines that make it up, for every line of ``page``.

    ``left`` / ``right``: the lines of the same row on that side; ``above`` / ``below``:
    the lines of the nearest row above / below that overlap the line horizontally (all
    of that row when none does).
    """
    n = len(page.lines)
    rows = list(page.rows) or [(i,) for i in range(n)]
    row_of = {i: r for r, members in enumerate(rows) for i in members}
    bounds = [line.bounds for line in page.lines]
    centre = [(b[0] + b[2]) / 2 for b in bounds]

    def overlapping(i: int, r: int) -> list[int]:
        members = rows[r]
        hit = [j for j in members if bounds[j][0] < bounds[i][2] and bounds[i][0] < bounds[j][2]]
        return hit or list(members)

    out: dict[str, list[list[int]]] = {"own": [[i] for i in range(n)]}
    out["left"] = [[j for j in rows[row_of[i]] if centre[j] < centre[i]] for i in range(n)]
    out["right"] = [[j for j in rows[row_of[i]] if centre[j] > centre[i]] for i in range(n)]
    out["above"] = [overlapping(i, row_of[i] - 1) if row_of[i] > 0 else [] for i in range(n)]
    out["below"] = [
        overlapping(i, row_of[i] + 1) if row_of[i] + 1 < len(rows) else [] for i in range(n)
    ]
    return out


@dataclass(frozen=True)
class HashedLines:
    """The hashed contexts of a page's lines as sparse coordinates.

    Row ``rows[k]`` has value ``values[k]`` in column ``columns[k]``; column
    ``c * buckets + b`` is bucket ``b`` of context ``contexts[c]``. Each context of a line
    has unit length (values ``1 / sqrt(tokens)``).
    """

    n_lines: int
    n_columns: int
    rows: np.ndarray = field(repr=False)
    columns: np.ndarray = field(repr=False)
    values: np.ndarray = field(repr=False)


def hash_page(page: Page, config: HashingConfig) -> HashedLines:
    """Hash every line of ``page`` once, then gather each of :data:`CONTEXTS` from its
    neighbours (:func:`neighbours`), for all lines and contexts in one NumPy pass."""
    n, buckets = len(page.lines), config.buckets
    own = [_line_ids(line.text, config) for line in page.lines]
    sizes = np.array([len(ids) for ids in own], dtype=np.int64)
    flat = np.concatenate(own) if own else np.zeros(0, np.int64)
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]]) if n else sizes
    members = neighbours(page)
    # (context, line, member) triples, then every id of every member in one array.
    pairs = [(c, i, j) for c, k in enumerate(CONTEXTS) for i in range(n) for j in members[k][i]]
    triples = np.array(pairs, dtype=np.int64).reshape(-1, 3)
    count = sizes[triples[:, 2]]
    total = int(count.sum())
    owner = np.repeat(np.arange(len(triples)), count)
    position = np.arange(total) - np.repeat(np.cumsum(count) - count, count)
    ids = flat[starts[triples[owner, 2]] + position] if total else np.zeros(0, np.int64)
    key = np.unique((triples[owner, 0] * n + triples[owner, 1]) * buckets + ids)
    context, line = np.divmod(key // buckets, n) if n else (key, key)
    length = np.bincount(key // buckets, minlength=len(CONTEXTS) * n)
    return HashedLines(
        n,
        len(CONTEXTS) * buckets,
        line.astype(np.int64),
        context * buckets + key % buckets,
        1.0 / np.sqrt(length[key // buckets]),
    )


@dataclass(frozen=True)
class TextModel:
    """Logistic regression on hashed contexts: ``(lines, classes)`` scores.

    Attributes:
        contexts: the contexts it reads, in column-block order.
        weights: ``(len(contexts) * buckets, classes)`` float32.
        bias: ``(classes,)``.
    """

    contexts: tuple[str, ...]
    weights: np.ndarray
    bias: np.ndarray

    def scores(self, hashed: HashedLines, buckets: int) -> np.ndarray:
        """Raw scores of the lines of :func:`hash_page` output (``buckets`` per context)."""
        remap = np.full(len(CONTEXTS), -1)
        remap[[CONTEXTS.index(k) for k in self.contexts]] = np.arange(len(self.contexts))
        block = remap[hashed.columns // buckets]
        keep = block >= 0
        columns = block[keep] * buckets + hashed.columns[keep] % buckets
        out = np.tile(self.bias.astype(np.float64), (hashed.n_lines, 1))
        contributions = self.weights[columns].astype(np.float64) * hashed.values[keep, None]
        rows = hashed.rows[keep]
        for k in range(out.shape[1]):
            out[:, k] += np.bincount(rows, contributions[:, k], minlength=hashed.n_lines)
        return out

    def arrays(self, prefix: str) -> dict[str, np.ndarray]:
        return {f"{prefix}_weights": self.weights, f"{prefix}_bias": self.bias}


def text_probabilities(model: TextModel, hashed: HashedLines, buckets: int) -> np.ndarray:
    """``(lines, classes)`` probabilities of a text model (softmax of its scores)."""
    scores = model.scores(hashed, buckets)
    shifted = scores - scores.max(axis=1, keepdims=True)
    exp = np.exp(shifted)
    return exp / exp.sum(axis=1, keepdims=True)
