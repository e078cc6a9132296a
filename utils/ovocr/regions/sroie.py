"""Region annotations for SROIE receipts, derived from their text lines and key values.

SROIE gives every receipt its text lines (boxes + text) and four key values (``company``,
``date``, ``address``, ``total``) but no box for a key. This module finds the lines that
hold each value and turns them into a region:

- ``company`` and ``address``: the run of consecutive lines (at most ``MAX_RUN``) whose
  joined text is closest to the value, accepted when the similarity reaches
  ``MIN_SIMILARITY`` (spaces and case ignored: annotators and key files disagree on them,
  and typos are corrected in one but not the other); failing that, the one line that
  contains the value (a company name followed by its registration number).
- ``date``: the line that contains the value, or failing that the line that contains it
  best (fuzzy partial match).
- ``total``: among lines holding the amount as a number, the one on a row with the word
  TOTAL (not SUBTOTAL), else one on any TOTAL row, else the last one.

Explained in 06-custom-text-regions.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

from PIL import Image
from rapidfuzz import fuzz

from ..datasets import DocumentSample, GroundTruthWord, load_sroie
from ..types import quad_bounds
from .annotations import Annotation, Region, RelBox, union_box

CONCEPTS = ("company", "date", "address", "total")
# How a concept's value is cut out of the text of its region (see values.extract_value).
# ``name`` and ``address`` apply receipt rules (legal suffixes, Malaysian postcodes):
# part of the receipt prior. Without it, company and address are read as plain text.
KINDS = {"company": "name", "date": "date", "address": "address", "total": "amount"}
GENERIC_KINDS = {"company": "text", "date": "date", "address": "text", "total": "amount"}


def kinds_for(prior: str | None) -> dict[str, str]:
    """SROIE's value kinds: with the receipt rules for ``prior="receipts"``, else generic."""
    return dict(KINDS if prior == "receipts" else GENERIC_KINDS)


MAX_RUN = 8
MIN_SIMILARITY = 80.0
AMOUNT = re.compile(r"\d[\d,]*\.\d{2}")


def squash(text: str) -> str:
    """Upper-case without whitespace: the form values are compared in while matching."""
    return re.sub(r"\s+", "", text).upper()


def find_run(lines: Sequence[str], value: str) -> tuple[list[int], float]:
    """Indices of the consecutive lines whose joined text best matches ``value``, and the
    similarity 0..100 (spaces and case ignored).

    >>> find_run(["ACME", "12 MAIN ST,", "SPRINGFIELD", "TOTAL 9.00"], "12 Main St, Springfield")
    ([1, 2], 100.0)
    """
    target = squash(value)
    best: tuple[list[int], float] = ([], 0.0)
    if not target:
        return best
    for start in range(len(lines)):
        joined = ""
        for end in range(start, min(start + MAX_RUN, len(lines))):
            joined += squash(lines[end])
            score = fuzz.ratio(joined, target)
            if score > best[1]:
                best = (list(range(start, end + 1)), score)
            if len(joined) > 1.5 * len(target):
                break
    if best[1] < MIN_SIMILARITY:
        for i, line in enumerate(lines):
            if len(squash(line)) >= len(target):
                score = fuzz.partial_ratio(target, squash(line))
                if score > best[1]:
                    best = ([i], score)
    return best


def find_date(lines: Sequence[str], value: str) -> tuple[list[int], float]:
    """The line containing the date ``value``: exact substring first, else fuzzy."""
    target = squash(value)
    if not target:
        return [], 0.0
    for i, line in enumerate(lines):
        if target in squash(line):
            return [i], 100.0
    scores = [fuzz.partial_ratio(target, squash(line)) for line in lines]
    if not scores:
        return [], 0.0
    best = max(range(len(lines)), key=lambda i: scores[i])
    return [best], scores[best]


def _same_row(a: GroundTruthWord, b: GroundTruthWord) -> bool:
    _, ay0, _, ay1 = quad_bounds(a.quad)
    _, by0, _, by1 = quad_bounds(b.quad)
    overlap = min(ay1, by1) - max(ay0, by0)
    return overlap > 0.5 * min(ay1 - ay0, by1 - by0)


def find_total(lines: Sequence[GroundTruthWord], value: str) -> tuple[list[int], float]:
    """The line showing the total amount, preferring rows labelled TOTAL (not SUBTOTAL)."""
    amounts = AMOUNT.findall(value.replace(" ", ""))
    if not amounts:
        return [], 0.0
    number = amounts[0].replace(",", "")
    candidates = [
        i
        for i, line in enumerate(lines)
        if number in (a.replace(",", "") for a in AMOUNT.findall(line.text.replace(" ", "")))
    ]
    if not candidates:
        return [], 0.0

    def rank(i: int) -> tuple[int, int]:
        row = " ".join(ln.text.upper() for ln in lines if _same_row(ln, lines[i]))
        total = "TOTAL" in row.replace(" ", "")
        sub = re.search(r"SUB\s*-?\s*TOTAL", row) is not None
        return (2 if total and not sub else 1 if total else 0), i

    return [max(candidates, key=rank)], 100.0


def derive_regions(sample: DocumentSample, width: int, height: int) -> list[Region]:
    """Regions for the keys of one SROIE receipt; a key that cannot be found is left out."""
    texts = [line.text for line in sample.lines]
    regions = []
    for concept in CONCEPTS:
        value = sample.keys.get(concept, "")
        if not value.strip():
            continue
        if concept == "date":
            indices, score = find_date(texts, value)
        elif concept == "total":
            indices, score = find_total(sample.lines, value)
        else:
            indices, score = find_run(texts, value)
        if not indices or score < MIN_SIMILARITY:
            continue
        box = union_box(RelBox.from_quad(sample.lines[i].quad, width, height) for i in indices)
        regions.append(Region(concept, box, 1.0, " ".join(texts[i] for i in indices)))
    return regions


def load_sroie_annotations(root: str | Path, limit: int | None = None) -> list[Annotation]:
    """Region annotations and key values for every receipt of a SROIE-layout folder.

    Args:
        root: folder with ``boxes/``, ``images/`` and ``keys/`` (``../shared/data/sroie_train``).
        limit: only the first ``limit`` receipts in natural order.

    Raises:
        ovocr.datasets.DatasetError: a folder, an image or a box line is missing.
    """
    out = []
    for sample in load_sroie(root, limit=limit):
        with Image.open(sample.image) as img:
            width, height = img.size
        regions = derive_regions(sample, width, height)
        values = {k: v for k, v in sample.keys.items() if k in CONCEPTS}
        out.append(Annotation(sample.image, width, height, tuple(regions), values))
    return out
