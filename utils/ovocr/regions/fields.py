"""Two-stage field reading: predict the regions of concepts, crop them, read each crop.

Stage one finds regions, with the trained :class:`~ovocr.regions.model.RegionModel` on
top of the generic OCR pipeline, or with any other source of regions (a Clarifai model,
hand annotations). Stage two cuts each region out of the image with a margin (the text
detector needs a border), reads the crop with the ``ovocr`` pipeline (a region may hold
several lines), keeps the lines whose centre lies inside the region (the margin catches
halves of neighbouring lines, read as garbage), and cuts the field value out of the
text by the concept's kind. A crop that cannot be read is reported in ``errors`` and
the other fields are still returned.

Explained in 07-reading-fields.

Example:
    >>> reader = load_field_reader("models/fields-sroie", precision="f32")  # doctest: +SKIP
    >>> reader("receipt.jpg").fields["total"]  # doctest: +SKIP
    '9.00'
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from ..errors import OvocrError
from ..images import load_image
from ..pipeline import OcrPipeline, load_pipeline
from ..settings import Precision
from ..types import Page
from .annotations import Region, RelBox
from .model import RegionModel
from .values import extract_value, normalize_space

# Margin around a region before cropping, in line heights: the detector needs a border.
PAD_LINES = 0.5
REREAD = ("model", "all", "none")


@dataclass(frozen=True)
class FieldsResult:
    """Fields read from one image.

    Attributes:
        image: the image path (or ``"<array>"``).
        fields: ``{concept: value}`` of the best region of each concept; empty string
            when the concept was not found or read.
        regions: every region found, each with its concept, box, score and text.
        errors: ``{concept: message}`` for regions whose crop could not be read.
        values: ``{concept: [value, ...]}``: the value of every region of each concept,
            best score first (several for concepts that occur several times per image).
    """

    image: str
    fields: dict[str, str]
    regions: tuple[Region, ...]
    errors: dict[str, str] = field(default_factory=dict)
    values: dict[str, list[str]] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "image": self.image,
            "fields": dict(self.fields),
            "values": {k: list(v) for k, v in self.values.items()},
            "regions": [r.to_dict() for r in self.regions],
        }
        if self.errors:
            data["errors"] = dict(self.errors)
        return data


def crop_region(
    image: np.ndarray, box: RelBox, pad_px: float = 0.0
) -> tuple[np.ndarray, tuple[int, int]]:
    """The pixels of ``box`` plus ``pad_px`` on every side, clipped to the image, and the
    ``(x, y)`` pixel offset of the crop in the image.

    Raises:
        ValueError: the box covers no pixel.
    """
    height, width = image.shape[:2]
    x0, y0, x1, y1 = box.to_pixels(width, height)
    left, top = max(int(np.floor(x0 - pad_px)), 0), max(int(np.floor(y0 - pad_px)), 0)
    right = min(int(np.ceil(x1 + pad_px)), width)
    bottom = min(int(np.ceil(y1 + pad_px)), height)
    if right - left < 2 or bottom - top < 2:
        raise ValueError(f"region {box.to_dict()} is smaller than 2x2 pixels")
    return np.ascontiguousarray(image[top:bottom, left:right]), (left, top)


def text_inside(page: Page, box: RelBox, offset: tuple[int, int], size: tuple[int, int]) -> str:
    """Text of the lines of a crop's ``page`` whose centre lies in ``box``, in reading order.

    Args:
        page: OCR result of the crop.
        box: the region, relative to the whole image.
        offset: ``(x, y)`` of the crop in the image, in pixels.
        size: ``(width, height)`` of the whole image.
    """
    x0, y0, x1, y1 = box.to_pixels(*size)
    rows = page.rows or tuple((i,) for i in range(len(page.lines)))
    words = []
    for row in rows:
        for i in row:
            bx0, by0, bx1, by1 = page.lines[i].bounds
            cx, cy = offset[0] + (bx0 + bx1) / 2, offset[1] + (by0 + by1) / 2
            if x0 <= cx <= x1 and y0 <= cy <= y1:
                words.append(page.lines[i].text)
    return normalize_space(" ".join(words))


def read_regions(
    image: np.ndarray,
    regions: Sequence[Region],
    ocr: Callable[[np.ndarray], Page],
    line_height: float,
) -> tuple[list[Region], dict[str, str]]:
    """Read every region's crop with ``ocr``; failures go to the returned errors.

    Args:
        image: the RGB image.
        regions: regions to read.
        ocr: reads a crop into a ``Page`` (an ``OcrPipeline``).
        line_height: typical text height in pixels, sets the crop margin.

    Returns:
        The regions with their ``text`` filled in, and ``{concept: message}`` for the
        crops that failed (their regions keep an empty text).
    """
    out, errors = [], {}
    for region in regions:
        try:
            crop, offset = crop_region(image, region.box, PAD_LINES * line_height)
            size = (image.shape[1], image.shape[0])
            text = text_inside(ocr(crop), region.box, offset, size)
        except (OvocrError, ValueError, RuntimeError, cv2.error) as exc:
            errors[region.concept] = f"cannot read the {region.concept} region: {exc}"
            text = ""
        out.append(replace(region, text=text))
    return out, errors


def fields_from_regions(
    regions: Sequence[Region], kinds: Mapping[str, str], concepts: Sequence[str]
) -> dict[str, str]:
    """``{concept: value}`` from region texts; the best-scoring region of a concept wins
    (of equal scores the first, as in :func:`values_from_regions`)."""
    fields = dict.fromkeys(concepts, "")
    for region in sorted(regions, key=lambda r: -r.score):
        value = extract_value(kinds.get(region.concept, "text"), region.text)
        if value and not fields.get(region.concept):
            fields[region.concept] = value
    return fields


def values_from_regions(
    regions: Sequence[Region], kinds: Mapping[str, str], concepts: Sequence[str]
) -> dict[str, list[str]]:
    """``{concept: [value, ...]}``: every non-empty value, best-scoring region first."""
    out: dict[str, list[str]] = {c: [] for c in concepts}
    for region in sorted(regions, key=lambda r: -r.score):
        value = extract_value(kinds.get(region.concept, "text"), region.text)
        if value and region.concept in out:
            out[region.concept].append(value)
    return out


def median_line_height(page: Page) -> float:
    """Median height of the page's lines in pixels (1/40 of the page height without lines)."""
    heights = [line.bounds[3] - line.bounds[1] for line in page.lines]
    return float(np.median(heights)) if heights else page.height / 40


@dataclass
class FieldReader:
    """Region model + OCR pipeline: an image in, a :class:`FieldsResult` out.

    Attributes:
        model: the trained region model.
        ocr: the generic pipeline, used for the whole page and for each crop.
        reread: which regions are cut out and read again: ``"model"`` (default) those
            of the concepts whose ``source`` is ``"crop"`` (chosen by cross-validation
            when the model was trained), ``"all"`` every region (two-stage, as with a
            cloud detector), ``"none"`` none (the text of the page's own lines).
        every: passed to ``RegionModel.predict``: ``None`` every region of the concepts
            seen several times per image in training and the best of the others,
            ``True`` every region above the score for all, ``False`` the best only.
    """

    model: RegionModel
    ocr: OcrPipeline
    reread: str = "model"
    every: bool | None = None

    def __post_init__(self) -> None:
        if self.reread not in REREAD:
            raise ValueError(f"reread={self.reread!r}: expected one of {REREAD}")

    @property
    def kinds(self) -> dict[str, str]:
        return {c.name: c.kind for c in self.model.concepts}

    def from_page(self, rgb: np.ndarray, page: Page, name: str = "<array>") -> FieldsResult:
        """Fields of an image whose page was already read (e.g. from a cache)."""
        regions = self.model.predict(page, self.every)
        errors: dict[str, str] = {}
        crop = {c.name for c in self.model.concepts if self.reread == "all" or c.source == "crop"}
        chosen = [i for i, r in enumerate(regions) if r.concept in crop and self.reread != "none"]
        if chosen:
            read, errors = read_regions(
                rgb, [regions[i] for i in chosen], self.ocr, median_line_height(page)
            )
            for i, region in zip(chosen, read):
                regions[i] = region
        concepts = [c.name for c in self.model.concepts]
        fields = fields_from_regions(regions, self.kinds, concepts)
        values = values_from_regions(regions, self.kinds, concepts)
        return FieldsResult(name, fields, tuple(regions), errors, values)

    def __call__(self, image: str | os.PathLike | np.ndarray) -> FieldsResult:
        rgb = load_image(image)
        name = "<array>" if isinstance(image, np.ndarray) else str(image)
        return self.from_page(rgb, self.ocr(rgb), name)


def load_field_reader(
    model_dir: str | os.PathLike,
    device: str = "AUTO",
    precision: Precision | None = None,
    cache_dir: str | None = None,
    reread: str = "model",
    progress: Callable[[str], None] | None = None,
    every: bool | None = None,
) -> FieldReader:
    """Load a region model folder and the OCR models it was trained with.

    Raises:
        ovocr.ModelError: the model folder is missing or invalid, or an OCR model it
            names is not prepared (it is never downloaded on a model folder's say-so).
    """
    model = RegionModel.load(Path(model_dir))
    names = model.ocr_models()  # refuses, rather than downloads, what is not prepared
    ocr = load_pipeline(
        det=names["det"],
        rec=names["rec"],
        device=device,
        precision=precision,
        cache_dir=cache_dir,
        progress=progress,
    )
    return FieldReader(model, ocr, reread, every)
