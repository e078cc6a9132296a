"""Region annotations: a concept name and a box in relative coordinates.

A box is ``top_row, left_col, bottom_row, right_col``, each a fraction 0..1 of the image
height (rows) or width (columns), the format of cloud vision services such as Clarifai.
Relative boxes survive resizing, so one annotation file serves every scale of an image.
Converters go to and from pixel bounds, ``ovocr`` quads and lines, and the ``bboxes`` of
the ``jupyter_bbox_widget`` annotator. Explained in 06-custom-text-regions.

Example:
    >>> box = RelBox.from_pixels(50, 100, 150, 120, width=200, height=400)
    >>> box
    RelBox(top_row=0.25, left_col=0.25, bottom_row=0.3, right_col=0.75)
    >>> box.to_pixels(200, 400)
    (50.0, 100.0, 150.0, 120.0)
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import OvocrError
from ..types import Line, Quad, quad_bounds

# Boxes computed from pixels may overshoot 0..1 by rounding; more than this is an error.
TOLERANCE = 1e-6


class AnnotationError(OvocrError):
    """An annotation file or record is missing or malformed; the message names it."""


@dataclass(frozen=True)
class RelBox:
    """An axis-aligned box in relative coordinates (rows = y / height, cols = x / width).

    Attributes:
        top_row: top edge, 0 at the top of the image.
        left_col: left edge, 0 at the left of the image.
        bottom_row: bottom edge, 1 at the bottom of the image.
        right_col: right edge, 1 at the right of the image.
    """

    top_row: float
    left_col: float
    bottom_row: float
    right_col: float

    def __post_init__(self) -> None:
        values = [float(v) for v in (self.top_row, self.left_col, self.bottom_row, self.right_col)]
        if any(v < -TOLERANCE or v > 1 + TOLERANCE for v in values):
            raise ValueError(f"relative box values must lie in 0..1, got {values}")
        top, left, bottom, right = (min(max(v, 0.0), 1.0) for v in values)
        if bottom < top or right < left:
            raise ValueError(f"box has bottom < top or right < left: {values}")
        for name, value in zip(
            ("top_row", "left_col", "bottom_row", "right_col"), (top, left, bottom, right)
        ):
            object.__setattr__(self, name, value)

    @classmethod
    def from_pixels(
        cls, x0: float, y0: float, x1: float, y1: float, width: int, height: int
    ) -> RelBox:
        """From pixel bounds ``(x_min, y_min, x_max, y_max)``, clipped to the image."""
        if width <= 0 or height <= 0:
            raise ValueError(f"image size must be positive, got {width}x{height}")
        clip = lambda v, top: min(max(float(v), 0.0), float(top))  # noqa: E731
        return cls(
            clip(y0, height) / height,
            clip(x0, width) / width,
            clip(y1, height) / height,
            clip(x1, width) / width,
        )

    @classmethod
    def from_quad(cls, quad: Quad, width: int, height: int) -> RelBox:
        """The relative bounding box of a pixel quad (``ovocr.types`` order)."""
        return cls.from_pixels(*quad_bounds(quad), width, height)

    @classmethod
    def from_line(cls, line: Line, width: int, height: int) -> RelBox:
        """The relative bounding box of a recognised ``Line``."""
        return cls.from_pixels(*line.bounds, width, height)

    def to_pixels(self, width: int, height: int) -> tuple[float, float, float, float]:
        """Pixel bounds ``(x_min, y_min, x_max, y_max)`` in an image of this size."""
        return (
            self.left_col * width,
            self.top_row * height,
            self.right_col * width,
            self.bottom_row * height,
        )

    def to_quad(self, width: int, height: int) -> Quad:
        """Four pixel corners, clockwise from the top-left, as in ``ovocr.types``."""
        x0, y0, x1, y1 = self.to_pixels(width, height)
        return ((x0, y0), (x1, y0), (x1, y1), (x0, y1))

    @property
    def area(self) -> float:
        return (self.bottom_row - self.top_row) * (self.right_col - self.left_col)

    def intersection(self, other: RelBox) -> float:
        """Area of the overlap with ``other`` (relative units: 1.0 is the whole image)."""
        rows = min(self.bottom_row, other.bottom_row) - max(self.top_row, other.top_row)
        cols = min(self.right_col, other.right_col) - max(self.left_col, other.left_col)
        return max(rows, 0.0) * max(cols, 0.0)

    def iou(self, other: RelBox) -> float:
        """Intersection over union (0.0 when both boxes are empty).

        >>> RelBox(0, 0, 1, 0.5).iou(RelBox(0, 0.25, 1, 0.75))
        0.3333333333333333
        """
        inter = self.intersection(other)
        union = self.area + other.area - inter
        return inter / union if union > 0 else 0.0

    def union(self, other: RelBox) -> RelBox:
        """The smallest box holding both."""
        return RelBox(
            min(self.top_row, other.top_row),
            min(self.left_col, other.left_col),
            max(self.bottom_row, other.bottom_row),
            max(self.right_col, other.right_col),
        )

    def pad(self, rows: float, cols: float) -> RelBox:
        """Grow by ``rows`` / ``cols`` (relative units) on each side, clipped to the image."""
        return RelBox(
            max(self.top_row - rows, 0.0),
            max(self.left_col - cols, 0.0),
            min(self.bottom_row + rows, 1.0),
            min(self.right_col + cols, 1.0),
        )

    def to_dict(self) -> dict[str, float]:
        return {
            "top_row": round(self.top_row, 5),
            "left_col": round(self.left_col, 5),
            "bottom_row": round(self.bottom_row, 5),
            "right_col": round(self.right_col, 5),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RelBox:
        return cls(
            float(data["top_row"]),
            float(data["left_col"]),
            float(data["bottom_row"]),
            float(data["right_col"]),
        )


def union_box(boxes: Iterable[RelBox]) -> RelBox:
    """The smallest box holding all ``boxes`` (at least one)."""
    items = list(boxes)
    if not items:
        raise ValueError("union_box needs at least one box")
    out = items[0]
    for box in items[1:]:
        out = out.union(box)
    return out


@dataclass(frozen=True)
class Region:
    """A region of one concept, annotated by hand or predicted.

    Attributes:
        concept: what the region holds, e.g. ``"total"``.
        box: where, in relative coordinates.
        score: confidence 0..1 (1.0 for hand annotations).
        text: the text read in the region (empty until read).
    """

    concept: str
    box: RelBox
    score: float = 1.0
    text: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "concept": self.concept,
            "box": self.box.to_dict(),
            "score": round(float(self.score), 4),
            "text": self.text,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Region:
        return cls(
            str(data["concept"]),
            RelBox.from_dict(data["box"]),
            float(data.get("score", 1.0)),
            str(data.get("text", "")),
        )


@dataclass(frozen=True)
class Annotation:
    """The annotated regions of one image.

    Attributes:
        image: path of the image.
        width: image width in pixels (to convert boxes back to pixels).
        height: image height in pixels.
        regions: the regions; a concept may appear more than once.
        values: optional known field values, e.g. SROIE's keys, to score reading.
    """

    image: Path
    width: int
    height: int
    regions: tuple[Region, ...] = ()
    values: dict[str, str] = field(default_factory=dict)

    def regions_of(self, concept: str) -> list[Region]:
        return [r for r in self.regions if r.concept == concept]

    def to_dict(self, relative_to: Path | None = None) -> dict[str, Any]:
        image = os.path.relpath(self.image, relative_to) if relative_to else str(self.image)
        data: dict[str, Any] = {
            "image": Path(image).as_posix(),
            "width": self.width,
            "height": self.height,
            "regions": [
                {k: v for k, v in r.to_dict().items() if k in ("concept", "box")}
                for r in self.regions
            ],
        }
        if self.values:
            data["values"] = dict(self.values)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any], relative_to: Path | None = None) -> Annotation:
        image = Path(data["image"])
        if relative_to is not None and not image.is_absolute():
            image = relative_to / image
        return cls(
            image,
            int(data["width"]),
            int(data["height"]),
            tuple(Region.from_dict(r) for r in data.get("regions", [])),
            {str(k): str(v) for k, v in data.get("values", {}).items()},
        )


def save_annotations(path: str | os.PathLike, annotations: Sequence[Annotation]) -> Path:
    """Write annotations as one JSON file; image paths are stored relative to its folder.

    The format: ``{"annotations": [{"image", "width", "height", "regions": [{"concept",
    "box": {"top_row", "left_col", "bottom_row", "right_col"}}], "values"?}]}``.
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    base = target.parent.resolve()
    records = [a.to_dict(relative_to=base) for a in annotations]
    target.write_text(
        json.dumps({"annotations": records}, indent=1, ensure_ascii=False) + "\n",
        encoding="utf-8",  # read back as UTF-8; Windows would write its ANSI code page
    )
    return target


def load_annotations(path: str | os.PathLike) -> list[Annotation]:
    """Read a file written by :func:`save_annotations`.

    Raises:
        AnnotationError: the file is missing, not JSON, or a record is malformed.
    """
    source = Path(path)
    if not source.is_file():
        raise AnnotationError(f"{source}: annotation file not found")
    try:
        data = json.loads(source.read_text(encoding="utf-8"))
        records = data["annotations"]
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise AnnotationError(f"{source}: not a JSON file ({exc})") from None
    except (KeyError, TypeError):
        records = None
    if not isinstance(records, list):
        raise AnnotationError(f"{source}: expected an object with an 'annotations' list")
    out = []
    for number, record in enumerate(records, start=1):
        try:
            out.append(Annotation.from_dict(record, relative_to=source.parent.resolve()))
        except (KeyError, TypeError, ValueError) as exc:
            raise AnnotationError(f"{source}: annotation {number} is malformed ({exc!r})") from None
    return out


def from_bbox_widget(bboxes: Iterable[dict[str, Any]], width: int, height: int) -> list[Region]:
    """Regions from ``jupyter_bbox_widget.BBoxWidget.bboxes`` (pixel ``x, y, width, height``)."""
    return [
        Region(
            str(b["label"]),
            RelBox.from_pixels(
                b["x"], b["y"], b["x"] + b["width"], b["y"] + b["height"], width, height
            ),
        )
        for b in bboxes
    ]


def to_bbox_widget(regions: Iterable[Region], width: int, height: int) -> list[dict[str, Any]]:
    """The inverse of :func:`from_bbox_widget`: pre-fill the annotator with regions."""
    out = []
    for region in regions:
        x0, y0, x1, y1 = region.box.to_pixels(width, height)
        out.append(
            {
                "x": round(x0),
                "y": round(y0),
                "width": round(x1 - x0),
                "height": round(y1 - y0),
                "label": region.concept,
            }
        )
    return out


def annotator(image: str | os.PathLike, regions: Iterable[Region], classes: Iterable[str]) -> Any:
    """A ``jupyter_bbox_widget`` annotator showing ``image``, pre-filled with ``regions``.

    Draw or correct boxes in JupyterLab, then read them back with :func:`from_bbox_widget`.
    A saved notebook stores the widget's plain-text form for readers without JupyterLab:
    here a sentence saying so, instead of an object's memory address.
    """
    from jupyter_bbox_widget import BBoxWidget
    from PIL import Image

    class Annotator(BBoxWidget):
        def __repr__(self) -> str:
            return "BBoxWidget (run the notebook in JupyterLab to draw boxes)"

    path = Path(image)
    with Image.open(path) as opened:
        width, height = opened.size
    widget = Annotator(image_bytes=path.read_bytes(), classes=list(classes))
    widget.bboxes = to_bbox_widget(regions, width, height)
    return widget
