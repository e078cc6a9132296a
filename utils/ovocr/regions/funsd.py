"""Region annotations for FUNSD forms: the form's title and its date, from FUNSD's entities.

FUNSD (``../shared/data/funsd``, the original schema read by ``ovocr.datasets.load_funsd``)
labels every text segment of a scanned form as ``header``, ``question``, ``answer`` or
``other`` and links questions to their answers. Two concepts are derived from that:

- ``title``: the first ``header`` entity with text, in reading order (rows top to bottom,
  each left to right: ``ovocr.geometry.reading_rows``, the rule OCR pages follow);
- ``date``: every ``answer`` linked to a ``question`` whose text starts with "DATE"
  (``DATE:``, ``Date``, ``DATE FILED:``); a form may have several. The key value is the
  first of them in reading order.

A form without such a question has no date region and no date value. The key values
are the annotators' text, scored with spaces ignored (FUNSD's transcriptions space
``12 /10 /98``). Explained in 07-reading-fields.

Example:
    >>> from ovocr.datasets import shared_data_dir
    >>> forms = load_funsd_annotations(shared_data_dir() / "funsd")  # doctest: +SKIP
    >>> sorted(forms[0].values)  # doctest: +SKIP
    ['date', 'title']
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image

from ..datasets import DocumentSample, FormEntity, load_funsd
from ..geometry import reading_rows
from ..types import quad_bounds
from .annotations import Annotation, Region, RelBox

CONCEPTS = ("title", "date")
# The kinds training infers from the values (train.infer_kinds): most dates are whole dates.
KINDS = {"title": "text", "date": "date"}


def _in_reading_order(entities: list[FormEntity]) -> list[FormEntity]:
    rows = reading_rows([quad_bounds(e.quad) for e in entities])
    return [entities[i] for row in rows for i in row]


def date_answers(sample: DocumentSample) -> list[FormEntity]:
    """The answers linked to a question starting with "DATE", in reading order."""
    by_id = {e.id: e for e in sample.entities}
    found: dict[int, FormEntity] = {}
    for question in sample.entities:
        if question.label != "question" or not question.text.strip().upper().startswith("DATE"):
            continue
        for a, b in question.links:
            other = by_id.get(b if a == question.id else a)
            if other is not None and other.label == "answer" and other.text.strip():
                found[other.id] = other
    return _in_reading_order(list(found.values())) if found else []


def derive_regions(sample: DocumentSample, width: int, height: int) -> tuple[list[Region], dict]:
    """The ``title`` and ``date`` regions of one form and its key values."""
    regions, values = [], {}
    headers = [e for e in sample.entities if e.label == "header" and e.text.strip()]
    if headers:
        title = _in_reading_order(headers)[0]
        regions.append(Region("title", RelBox.from_quad(title.quad, width, height)))
        values["title"] = title.text.strip()
    dates = date_answers(sample)
    for answer in dates:
        regions.append(Region("date", RelBox.from_quad(answer.quad, width, height)))
    if dates:
        values["date"] = dates[0].text.strip()
    return regions, values


def load_funsd_annotations(root: str | Path, limit: int | None = None) -> list[Annotation]:
    """Region annotations (``title``, ``date``) and key values of every form in ``root``.

    Raises:
        ovocr.datasets.DatasetError: a folder or an image is missing.
    """
    out = []
    for sample in load_funsd(root, limit=limit):
        with Image.open(sample.image) as img:
            width, height = img.size
        regions, values = derive_regions(sample, width, height)
        out.append(Annotation(sample.image, width, height, tuple(regions), values))
    return out
