"""Word recognition metrics (IIIT5K, ICDAR 2015 words): accuracy and CER.

Both sides are compared after :func:`normalize_word` unless told otherwise, as the
published protocol does. Explained in 09-measuring-accuracy.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from rapidfuzz.distance import Levenshtein


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
