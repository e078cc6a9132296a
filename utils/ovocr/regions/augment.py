"""Scans made to look like phone photos, with their region boxes moved alongside.

A receipt photographed with a phone is turned a few degrees, seen slightly from one side
(perspective), lit dimly and unevenly, and a little soft. :func:`photograph` does all of
that to a scan with one random 3x3 perspective matrix, a light gradient and a blur, and
:func:`move_annotation` carries an annotation's boxes through the same matrix. Used for
two things: training-time augmentation (more varied training images, each read by the
OCR like any other) and the "photographed" variants of the test receipts that measure
how much a tilt costs. Plain OpenCV and NumPy, deterministic for a given seed.
Explained in 06-custom-text-regions.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from pathlib import Path

import cv2
import numpy as np

from ..errors import ImageError
from ..types import Line, Page, Quad, Word, as_quad
from .annotations import Annotation, RelBox


@dataclass(frozen=True)
class PhotoSettings:
    """Ranges the random photo effects are drawn from.

    Attributes:
        degrees: (min, max) absolute rotation; the sign is random.
        tilt: largest corner shift of the perspective, as a fraction of the image width.
        light: (min, max) brightness of the darkest and brightest corner of the light
            gradient (1.0 = as scanned).
        blur: (min, max) Gaussian blur sigma in pixels.
        margin: background border around the receipt, as a fraction of its width.
    """

    degrees: tuple[float, float] = (3.0, 7.0)
    tilt: float = 0.04
    light: tuple[float, float] = (0.45, 0.85)
    blur: tuple[float, float] = (0.6, 1.2)
    margin: float = 0.06


PHOTO = PhotoSettings()
# Training augmentation: also small and zero angles, milder light, so scans stay covered.
TRAINING = PhotoSettings(degrees=(0.0, 7.0), tilt=0.03, light=(0.6, 1.0), blur=(0.0, 1.0))


def photo_matrix(
    width: int, height: int, rng: np.random.Generator, settings: PhotoSettings = PHOTO
) -> tuple[np.ndarray, tuple[int, int]]:
    """A 3x3 matrix that turns and tilts a ``width x height`` image, and the output size
    that holds all of it plus a margin."""
    angle = math.radians(rng.uniform(*settings.degrees) * rng.choice([-1, 1]))
    corners = np.array([[0, 0], [width, 0], [width, height], [0, height]], dtype=np.float64)
    shift = rng.uniform(-settings.tilt, settings.tilt, size=(4, 2)) * width
    centre = corners.mean(axis=0)
    cos, sin = math.cos(angle), math.sin(angle)
    turned = (corners + shift - centre) @ np.array([[cos, sin], [-sin, cos]]) + centre
    margin = settings.margin * width
    turned -= turned.min(axis=0) - margin
    size = (
        int(math.ceil(turned[:, 0].max() + margin)),
        int(math.ceil(turned[:, 1].max() + margin)),
    )
    matrix = cv2.getPerspectiveTransform(corners.astype(np.float32), turned.astype(np.float32))
    return matrix, size


def photograph(
    rgb: np.ndarray, seed: int, settings: PhotoSettings = PHOTO
) -> tuple[np.ndarray, np.ndarray]:
    """The scan ``rgb`` as a phone photo (turned, tilted, dim uneven light, soft), and the
    3x3 matrix that maps scan pixels to photo pixels.

    Example:
        >>> photo, matrix = photograph(np.full((200, 100, 3), 255, np.uint8), seed=1)
        >>> photo.shape[0] > 200 and matrix.shape == (3, 3)
        True
    """
    rng = np.random.default_rng(seed)
    height, width = rgb.shape[:2]
    matrix, size = photo_matrix(width, height, rng, settings)
    table = rng.uniform(90, 150, size=3)  # a darker surface the receipt lies on
    out = cv2.warpPerspective(
        rgb, matrix, size, flags=cv2.INTER_LINEAR, borderValue=tuple(float(v) for v in table)
    )
    low, high = sorted(rng.uniform(*settings.light, size=2))
    direction = rng.uniform(0, 2 * math.pi)
    ys, xs = np.mgrid[0 : size[1], 0 : size[0]].astype(np.float32)
    along = xs / size[0] * math.cos(direction) + ys / size[1] * math.sin(direction)
    along = (along - along.min()) / max(float(np.ptp(along)), 1e-6)
    light = (low + (high - low) * along)[..., None]
    out = np.clip(out.astype(np.float32) * light, 0, 255).astype(np.uint8)
    sigma = rng.uniform(*settings.blur)
    if sigma > 0.3:
        out = cv2.GaussianBlur(out, (0, 0), sigma)
    return out, matrix


def move_box(box: RelBox, matrix: np.ndarray, src: tuple[int, int], dst: tuple[int, int]) -> RelBox:
    """The axis-aligned box around ``box`` after the perspective ``matrix``.

    Args:
        box: relative to an image of size ``src`` = (width, height).
        matrix: 3x3 pixel transform, e.g. from :func:`photograph`.
        dst: (width, height) of the transformed image.
    """
    quad = np.array(box.to_quad(*src), dtype=np.float32).reshape(-1, 1, 2)
    moved = cv2.perspectiveTransform(quad, matrix).reshape(-1, 2)
    x0, y0 = moved.min(axis=0)
    x1, y1 = moved.max(axis=0)
    return RelBox.from_pixels(x0, y0, x1, y1, *dst)


def move_annotation(
    annotation: Annotation, matrix: np.ndarray, size: tuple[int, int], image: str | Path
) -> Annotation:
    """``annotation`` for the transformed image (saved at ``image``, ``size`` = (w, h))."""
    src = (annotation.width, annotation.height)
    regions = tuple(replace(r, box=move_box(r.box, matrix, src, size)) for r in annotation.regions)
    return replace(annotation, image=Path(image), width=size[0], height=size[1], regions=regions)


def photographed_set(
    annotations: list[Annotation],
    folder: str | Path,
    seed: int = 0,
    settings: PhotoSettings = PHOTO,
) -> list[Annotation]:
    """Photographed variants of annotated images, written once as JPEG into ``folder``.

    Image ``i`` uses seed ``seed + i``; an existing file is reused (the same seed gives
    the same picture), so OCR pages cached for it stay valid.
    """
    target = Path(folder)
    target.mkdir(parents=True, exist_ok=True)
    out = []
    for i, annotation in enumerate(annotations):
        path = target / f"{Path(annotation.image).stem}-photo{seed + i}.jpg"
        rng = np.random.default_rng(seed + i)
        matrix, size = photo_matrix(annotation.width, annotation.height, rng, settings)
        if not path.is_file():
            bgr = cv2.imread(str(annotation.image))
            if bgr is None:
                raise ImageError(f"{annotation.image}: cannot read the image")
            rgb = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
            photo, _ = photograph(rgb, seed + i, settings)
            cv2.imwrite(
                str(path), cv2.cvtColor(photo, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, 90]
            )
        out.append(move_annotation(annotation, matrix, size, path))
    return out


def unwarp_page(page: Page, matrix: np.ndarray, width: int, height: int) -> Page:
    """The OCR page of a photo with every quad mapped back onto the scan (``width`` x
    ``height``) through the inverse of ``matrix``.

    Paired with the scan's own annotation, it labels the photo's lines exactly: boxes
    moved the other way (:func:`move_annotation`) become axis-aligned bounds of turned
    boxes, which also cover parts of the neighbouring lines.
    """
    inverse = np.linalg.inv(matrix)

    def back(quad: Quad) -> Quad:
        points = cv2.perspectiveTransform(np.array(quad, np.float32).reshape(-1, 1, 2), inverse)
        return as_quad(points.reshape(-1, 2).tolist())

    lines = tuple(
        Line(
            tuple(Word(w.text, w.confidence, back(w.quad)) for w in line.words),
            back(line.quad) if line.quad is not None else None,
        )
        for line in page.lines
    )
    return Page(width, height, lines, page.rows)
