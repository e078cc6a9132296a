"""Labelled development sets the project renders itself, for when the public sets are absent.

Notebook 08 measures accuracy on ICDAR 2015, IIIT5K and SROIE from ``../shared/data``.
Without them it falls back to three small sets drawn here with DejaVu Sans (shipped in
matplotlib's wheel), in the same types the ``ovocr.datasets`` loaders return, so the
same scoring code runs on both:

* ``render_scenes``: photos-like images with words at an angle (up to 30 degrees),
  labelled with word quads, like ICDAR 2015;
* ``render_words``: word crops, some at low resolution and blurred, like IIIT5K;
* ``render_receipts``: receipt-like pages whose item rows hold a name and, after a gap,
  a price, labelled as two lines per row, as SROIE labels them.

Rendered text is easier than real photos: scores here show *how* to measure and which
way a change moves, not how good OCR is on real images. Everything is seeded, so the
same images (and the same scores) come back on every run.

Example:
    >>> import tempfile
    >>> crops = render_words(Path(tempfile.mkdtemp()), count=3)
    >>> [len(c.text) > 0 for c in crops]
    [True, True, True]
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFilter

from .datasets import CropSample, DocumentSample, GroundTruthWord, SceneSample
from .viz import unicode_font

WORDS = (
    "OPEN", "EXIT", "Coffee", "STATION", "Street", "Parking", "Hotel", "SALE", "Bakery",
    "Pharmacy", "Garden", "Museum", "Library", "Entrance", "Market", "Cinema", "Theatre",
    "Office", "Airport", "Ticket", "Police", "School", "Bridge", "Harbour", "Tower",
    "Central", "North", "Square", "Avenue", "Station", "Bank", "Books", "Music", "Pizza",
    "Fresh", "Sushi", "Dental", "Clinic", "Taxi", "Metro",
)  # fmt: skip
ITEMS = (
    "COFFEE", "TEA", "MUFFIN", "BAGEL", "WATER", "JUICE", "SANDWICH", "SALAD", "SOUP",
    "COOKIE", "CROISSANT", "TOAST",
)  # fmt: skip


def _save(image: Image.Image, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    image.save(path)
    return path


def render_words(folder: Path, count: int = 40, seed: int = 0) -> list[CropSample]:
    """Word crops written to ``folder``; every third one is condensed to 60% of its width,
    shrunk to 9-12 pixels high and blurred, as low-resolution street-view crops are."""
    rng = np.random.default_rng(seed)
    out = []
    for i in range(count):
        text = WORDS[int(rng.integers(len(WORDS)))]
        font = unicode_font(int(rng.integers(28, 44)), bold=bool(rng.integers(2)))
        left, top, right, bottom = font.getbbox(text)
        pad = int(rng.integers(4, 10))
        ink = tuple(int(v) for v in rng.integers(0, 90, 3))
        paper = tuple(int(v) for v in rng.integers(170, 256, 3))
        image = Image.new("RGB", (int(right - left) + 2 * pad, int(bottom - top) + 2 * pad), paper)
        ImageDraw.Draw(image).text((pad - left, pad - top), text, fill=ink, font=font)
        if i % 3 == 2:  # condensed, low resolution, blurred
            small = int(rng.integers(9, 13))
            size = (max(2, image.width * small * 6 // (10 * image.height)), small)
            image = image.resize(size, Image.Resampling.BILINEAR).filter(
                ImageFilter.GaussianBlur(0.6)
            )
        out.append(CropSample(_save(image, folder / f"word_{i}.png"), text))
    return out


def _rotate(points: np.ndarray, center: tuple[float, float], degrees: float) -> np.ndarray:
    matrix = cv2.getRotationMatrix2D(center, degrees, 1.0)
    return np.hstack([points, np.ones((len(points), 1))]) @ matrix.T


def render_scenes(folder: Path, count: int = 6, seed: int = 0) -> list[SceneSample]:
    """Scene-like images (960 x 540) with 5 words each, turned by up to 30 degrees.

    Each word is drawn on its own transparent layer, turned about its centre and pasted
    on a noisy background; its ground-truth quad is its text box turned the same way.
    """
    rng = np.random.default_rng(seed)
    out = []
    for n in range(count):
        base = rng.integers(90, 200, 3)
        noise = rng.normal(0, 12, (540, 960, 1))
        background = np.clip(base + noise, 0, 255).astype(np.uint8)
        image = Image.fromarray(background)
        words: list[GroundTruthWord] = []
        for k in range(5):
            text = WORDS[int(rng.integers(len(WORDS)))]
            font = unicode_font(int(rng.integers(26, 48)), bold=True)
            x, y = 40 + 180 * k, int(rng.integers(60, 440))
            angle = float(rng.uniform(-30, 30)) if k % 2 else float(rng.uniform(-5, 5))
            layer = Image.new("RGBA", image.size, (0, 0, 0, 0))
            draw = ImageDraw.Draw(layer)
            left, top, right, bottom = draw.textbbox((x, y), text, font=font)
            draw.rectangle((left - 8, top - 6, right + 8, bottom + 6), fill=(250, 250, 245, 255))
            draw.text((x, y), text, fill=(20, 20, 30, 255), font=font)
            center = ((left + right) / 2, (top + bottom) / 2)
            layer = layer.rotate(angle, resample=Image.Resampling.BICUBIC, center=center)
            image.paste(layer, mask=layer)
            corners = np.array([[left, top], [right, top], [right, bottom], [left, bottom]], float)
            quad = _rotate(corners, center, angle)  # PIL and OpenCV both turn anticlockwise
            (ax, ay), (bx, by), (cx, cy), (dx, dy) = (tuple(map(float, p)) for p in quad)
            words.append(GroundTruthWord(((ax, ay), (bx, by), (cx, cy), (dx, dy)), text))
        out.append(SceneSample(_save(image, folder / f"scene_{n}.png"), tuple(words)))
    return out


def render_receipts(folder: Path, count: int = 2, seed: int = 0) -> list[DocumentSample]:
    """Receipt-like pages: a header, item rows (a name, a gap, a price), a total.

    Lines are labelled as SROIE labels them: a name and its price, apart on one row, are
    two lines.
    """
    rng = np.random.default_rng(seed)
    font = unicode_font(22)
    out = []
    for n in range(count):
        rows: list[tuple[str, str | None]] = [
            ("INVOICE NO: " + str(int(rng.integers(10000, 99999))), None)
        ]
        rows += [
            (ITEMS[int(rng.integers(len(ITEMS)))], f"{rng.uniform(1, 30):.2f}") for _ in range(8)
        ]
        rows.append(("TOTAL", f"{rng.uniform(20, 200):.2f}"))
        image = Image.new("RGB", (420, 60 + 40 * len(rows)), (250, 250, 246))
        draw = ImageDraw.Draw(image)
        lines: list[GroundTruthWord] = []
        for r, (left_text, right_text) in enumerate(rows):
            y, x = 30 + 40 * r, 30
            for text in (left_text, right_text):
                if text is None:
                    continue
                x0, y0, x1, y1 = draw.textbbox((x, y), text, font=font)
                draw.text((x, y), text, fill=(25, 25, 25), font=font)
                lines.append(GroundTruthWord(((x0, y0), (x1, y0), (x1, y1), (x0, y1)), text))
                x = int(x1) + int(rng.integers(14, 44))  # the price: two to six spaces on
        out.append(DocumentSample(_save(image, folder / f"receipt_{n}.png"), tuple(lines)))
    return out
