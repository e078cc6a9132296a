"""Tall pages in horizontal strips: a detector's memory bounded whatever the page length.

Explained in 08-performance. A segmentation detector such as DB needs memory in proportion
to its input: a receipt resized to 960 x 2560 costs OpenVINO about 0.6 GB per stream, a
photo (960 x 544) a fifth of that. DB is fully convolutional and looks only a few dozen
pixels around each one, so a tall input can be cut into overlapping strips, each run on
its own, and the probability maps glued back together: each output row is taken from the
strip in which it lies farthest from a cut, so every kept row saw enough context. On
SROIE receipts the glued map gives the same line CER as one pass (0.258 vs 0.261 on 20
receipts) with a third less peak memory.

>>> [(s.start, s.stop, s.keep_from, s.keep_to) for s in plan_strips(1600, 1024, 128)]
[(0, 864, 0, 800), (736, 1600, 64, 864)]

With a ``step``, every strip of a page is equally tall, a multiple of ``step``: pages of
many lengths then give the network a few input shapes (OpenVINO keeps memory for each):

>>> [(s.start, s.stop, s.keep_from, s.keep_to) for s in plan_strips(1600, 1024, 128, 128)]
[(0, 896, 0, 800), (704, 1600, 96, 896)]
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

ALIGN = 32  # DB inputs are multiples of 32 rows


@dataclass(frozen=True)
class Strip:
    """Rows ``start:stop`` of the input; rows ``keep_from:keep_to`` of its output are kept.

    ``keep_from``/``keep_to`` count from the strip's first row.
    """

    start: int
    stop: int
    keep_from: int
    keep_to: int


def plan_strips(height: int, max_rows: int, overlap: int, step: int = ALIGN) -> list[Strip]:
    """Cut ``height`` rows into the fewest strips of at most about ``max_rows`` rows.

    Neighbouring strips share ``overlap`` rows (rounded up to 64); the cut between them
    lies in the middle of the shared rows, so each kept row has at least ``overlap // 2``
    rows of context.
    Strip boundaries are multiples of 32. A page no taller than ``max_rows`` is one strip.

    Args:
        height: rows of the detector input (a multiple of 32 for DB).
        max_rows: strip height to aim for (rounded up to a multiple of 32).
        overlap: rows shared by neighbouring strips (at least 64 is sensible).
        step: above 32, all strips of a page are equally tall, a multiple of ``step``
            (``_even_strips``); the first and last strips may then share more rows.
    """
    if height <= 0 or max_rows <= 0 or overlap < 0:
        raise ValueError(f"bad strip plan: height={height}, rows={max_rows}, overlap={overlap}")
    max_rows = _round_up(max_rows)
    if height <= max_rows:
        return [Strip(0, height, 0, height)]
    half = _round_up(overlap // 2)
    # a span between cuts is at most height / count + 31 rows after rounding to 32
    count = math.ceil(height / max(max_rows - 2 * half - ALIGN, ALIGN))
    if step > ALIGN:
        return _even_strips(height, max_rows, half, _round_up(step), count)
    cuts = [_round_up(round(i * height / count)) for i in range(count + 1)]
    cuts[-1] = height
    strips = []
    for i in range(count):
        start = max(cuts[i] - half, 0)
        stop = min(cuts[i + 1] + half, height)
        strips.append(Strip(start, stop, cuts[i] - start, cuts[i + 1] - start))
    return strips


def _even_strips(height: int, max_rows: int, half: int, step: int, count: int) -> list[Strip]:
    """``count`` or more strips of one height (a multiple of ``step``), evenly spaced."""
    while True:
        # neighbours share at least 2 * half rows plus the 32-row rounding of the starts
        rows = _round_up(math.ceil((height + (count - 1) * (2 * half + ALIGN)) / count), step)
        if rows <= max(max_rows, step) or count >= height // ALIGN:
            break
        count += 1
    rows = min(rows, height)
    starts = [(height - rows) * i // max(count - 1, 1) // ALIGN * ALIGN for i in range(count)]
    starts[-1] = height - rows
    cuts = [0] + [_round_up((a + b + rows + 1) // 2) for a, b in zip(starts, starts[1:])] + [height]
    return [Strip(s, s + rows, cuts[i] - s, cuts[i + 1] - s) for i, s in enumerate(starts)]


def stitch(maps: Sequence[np.ndarray], strips: Sequence[Strip]) -> np.ndarray:
    """Glue the strips' output maps ``[rows, W]`` into one map of the whole input."""
    if len(maps) != len(strips):
        raise ValueError(f"{len(maps)} maps for {len(strips)} strips")
    if len(maps) == 1:
        return maps[0]
    return np.concatenate([m[s.keep_from : s.keep_to] for m, s in zip(maps, strips)], axis=0)


def _round_up(rows: int, step: int = ALIGN) -> int:
    return -(-int(rows) // step) * step
