"""Typed OCR results: ``Page`` > ``Line`` > ``Word``.

Geometry is kept in pixels of the original image; relative boxes are derived on
demand. Coordinates follow image conventions: ``x`` is the column (0 at the left
edge), ``y`` is the row (0 at the top edge). A quadrilateral ("quad") is four
``(x, y)`` points, clockwise from the top-left corner.

This module imports nothing else from ``ovocr`` on purpose: every other module
may depend on it. Explained in 05-ocr-pipeline.

JSON layout (``Page.to_dict``, schema ``PAGE_SCHEMA`` = 2): ``schema``, ``width``,
``height``, ``words`` (each ``text``, ``confidence`` and ``quad``, line after line),
``text`` (rows joined by newlines), ``lines`` (each its ``text``, detected ``quad`` or
``null``, and its words as ``first_word`` index and ``word_count``) and ``rows`` (lists of
line indices). Every word is written once; the texts of lines and page are derived from
the words, for readers of the JSON.

Example:
    >>> w = Word("2200", 0.98, ((10, 5), (50, 5), (50, 20), (10, 20)))
    >>> page = Page(width=100, height=40, lines=(Line((w,)),))
    >>> page.text
    '2200'
    >>> page.words[0].relative_box(page.width, page.height)
    (0.1, 0.125, 0.5, 0.5)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# Version of the JSON layout of ``Page.to_dict``; pages without "schema" are version 1.
PAGE_SCHEMA = 2

Point = tuple[float, float]
Quad = tuple[Point, Point, Point, Point]


def as_quad(points: Any) -> Quad:
    """Turn any 4x2 sequence (list, tuple, NumPy array) into a tuple quad of floats."""
    rows = [tuple(float(v) for v in p) for p in points]
    if len(rows) != 4 or any(len(p) != 2 for p in rows):
        raise ValueError(f"a quad needs 4 points of (x, y), got {points!r}")
    return tuple(rows)  # type: ignore[return-value]


def quad_bounds(quad: Quad) -> tuple[float, float, float, float]:
    """Axis-aligned bounds ``(x_min, y_min, x_max, y_max)`` of a quad, in pixels."""
    xs = [p[0] for p in quad]
    ys = [p[1] for p in quad]
    return min(xs), min(ys), max(xs), max(ys)


@dataclass(frozen=True)
class Word:
    """One recognised word.

    Attributes:
        text: the recognised characters.
        confidence: mean per-character probability, 0..1.
        quad: four ``(x, y)`` pixel points, clockwise from the top-left.
    """

    text: str
    confidence: float
    quad: Quad

    def __post_init__(self) -> None:
        object.__setattr__(self, "quad", as_quad(self.quad))

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        """Pixel bounds ``(x_min, y_min, x_max, y_max)``."""
        return quad_bounds(self.quad)

    def relative_box(self, width: int, height: int) -> tuple[float, float, float, float]:
        """Bounds relative to the page size: ``(x_min, y_min, x_max, y_max)`` in 0..1."""
        x0, y0, x1, y1 = self.bounds
        return x0 / width, y0 / height, x1 / width, y1 / height

    def to_dict(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "confidence": round(float(self.confidence), 4),
            "quad": _rounded(self.quad),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Word:
        return cls(data["text"], float(data["confidence"]), as_quad(data["quad"]))


@dataclass(frozen=True)
class Line:
    """Words read from one detected text region, left to right.

    Attributes:
        words: the words of the region, in reading order.
        quad: the detected region in pixels (``None`` when built from words alone).
    """

    words: tuple[Word, ...]
    quad: Quad | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "words", tuple(self.words))
        if self.quad is not None:
            object.__setattr__(self, "quad", as_quad(self.quad))

    @property
    def text(self) -> str:
        return " ".join(w.text for w in self.words)

    @property
    def confidence(self) -> float:
        """Mean word confidence weighted by word length (0 for an empty line)."""
        total = sum(len(w.text) for w in self.words)
        if total == 0:
            return 0.0
        return sum(w.confidence * len(w.text) for w in self.words) / total

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        """Pixel bounds of the region (or of its words)."""
        if self.quad is not None:
            return quad_bounds(self.quad)
        boxes = [w.bounds for w in self.words]
        return (
            min(b[0] for b in boxes),
            min(b[1] for b in boxes),
            max(b[2] for b in boxes),
            max(b[3] for b in boxes),
        )

    def to_dict(self) -> dict[str, Any]:
        return {"words": [w.to_dict() for w in self.words], "quad": _rounded(self.quad)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Line:
        quad = as_quad(data["quad"]) if data.get("quad") is not None else None
        return cls(tuple(Word.from_dict(w) for w in data["words"]), quad)


@dataclass(frozen=True)
class Page:
    """The OCR result of one image.

    Attributes:
        width: image width in pixels.
        height: image height in pixels.
        lines: text regions in reading order (top to bottom, then left to right).
        rows: how lines group into visual rows, as tuples of indices into ``lines``;
            empty means one row per line.
    """

    width: int
    height: int
    lines: tuple[Line, ...] = ()
    rows: tuple[tuple[int, ...], ...] = field(default=())

    def __post_init__(self) -> None:
        object.__setattr__(self, "lines", tuple(self.lines))
        object.__setattr__(self, "rows", tuple(tuple(r) for r in self.rows))

    @property
    def words(self) -> list[Word]:
        return [w for line in self.lines for w in line.words]

    @property
    def text(self) -> str:
        """Plain text in reading order: one visual row per line of text."""
        rows = self.rows or tuple((i,) for i in range(len(self.lines)))
        out = []
        for row in rows:
            row_text = " ".join(self.lines[i].text for i in row if self.lines[i].text)
            if row_text:
                out.append(row_text)
        return "\n".join(out)

    def to_dict(self) -> dict[str, Any]:
        """The JSON layout of the module docstring: each word once, lines point to theirs."""
        lines, first = [], 0
        for line in self.lines:
            lines.append(
                {
                    "text": line.text,
                    "quad": _rounded(line.quad),
                    "first_word": first,
                    "word_count": len(line.words),
                }
            )
            first += len(line.words)
        return {
            "schema": PAGE_SCHEMA,
            "width": self.width,
            "height": self.height,
            "words": [w.to_dict() for w in self.words],
            "text": self.text,
            "lines": lines,
            "rows": [list(r) for r in self.rows],
        }

    def resized(self, width: int, height: int) -> Page:
        """The same page for the image at ``width`` x ``height`` pixels: every quad scaled
        (the page of a downscaled image given in the original's pixels)."""
        if (width, height) == (self.width, self.height):
            return self
        sx, sy = width / self.width, height / self.height

        def scale(quad: Quad | None) -> Quad | None:
            return None if quad is None else as_quad([(x * sx, y * sy) for x, y in quad])

        lines = tuple(
            Line(
                tuple(Word(w.text, w.confidence, scale(w.quad)) for w in line.words),  # type: ignore[arg-type]
                scale(line.quad),
            )
            for line in self.lines
        )
        return Page(width, height, lines, self.rows)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Page:
        """The inverse of ``to_dict``; also reads schema 1 (words repeated under lines)."""
        schema = data.get("schema", 1)
        if schema == 1:
            lines = tuple(Line.from_dict(d) for d in data.get("lines", []))
            if not lines and data.get("words"):
                lines = tuple(Line((Word.from_dict(w),)) for w in data["words"])
        elif schema == PAGE_SCHEMA:
            words = [Word.from_dict(w) for w in data.get("words", [])]
            lines = tuple(
                Line(
                    tuple(words[d["first_word"] : d["first_word"] + d["word_count"]]),
                    as_quad(d["quad"]) if d.get("quad") is not None else None,
                )
                for d in data.get("lines", [])
            )
        else:
            raise ValueError(f"page schema {schema!r} is newer than this ovocr ({PAGE_SCHEMA})")
        rows = tuple(tuple(r) for r in data.get("rows", []))
        return cls(int(data["width"]), int(data["height"]), lines, rows)


def _rounded(quad: Quad | None) -> list[list[float]] | None:
    """A quad as JSON: pixel coordinates to 0.1 pixel."""
    return None if quad is None else [[round(x, 1), round(y, 1)] for x, y in quad]
