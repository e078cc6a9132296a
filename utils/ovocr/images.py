"""Loading images safely: any path or array in, an RGB ``uint8`` array out.

Explained in 05-ocr-pipeline. Every failure is an ``ImageError`` whose message
names the file and the problem, so a batch can report it and go on.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Iterable, Iterator
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from .errors import ImageError

IMAGE_EXTENSIONS = frozenset(
    {".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".webp", ".gif", ".pbm", ".pgm", ".ppm"}
)
# Larger images are shrunk before OCR: detection never works above ~4000 px anyway,
# and a 20000 x 20000 RGB array alone would take 1.2 GB.
MAX_SIDE = 8192
# Refuse files that claim more pixels than this before decoding them (decompression bombs).
MAX_PIXELS = 40_000 * 40_000


def load_image(source: str | os.PathLike | np.ndarray, max_side: int = MAX_SIDE) -> np.ndarray:
    """Read an image as an RGB ``uint8`` array of shape ``(height, width, 3)``.

    Honours EXIF orientation, flattens alpha onto white, converts grayscale, palette,
    16-bit and CMYK images, and shrinks images whose longer side exceeds ``max_side``.

    Args:
        source: a file path, or an array (``HxW`` gray, ``HxWx3`` RGB, ``HxWx4`` RGBA).
        max_side: longest side kept; larger images are downscaled.

    Raises:
        ImageError: the file is missing, empty, not an image, truncated or too large.
    """
    if isinstance(source, np.ndarray):
        return _normalise_array(source, "<array>", max_side)
    path = Path(source)
    if not path.exists():
        raise ImageError(f"{path}: no such file")
    if path.is_dir():
        raise ImageError(f"{path}: is a directory, not an image")
    if path.stat().st_size == 0:
        raise ImageError(f"{path}: empty file (0 bytes)")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(path) as img:
                if img.width * img.height > MAX_PIXELS:
                    raise ImageError(
                        f"{path}: {img.width}x{img.height} pixels is too large to decode safely"
                    )
                if max(img.size) > 2 * max_side:
                    # draft() lets JPEG decode at a reduced scale: far less memory.
                    img.draft("RGB", (max_side, max_side))
                img.load()
                rgb = _to_rgb(ImageOps.exif_transpose(img))
    except ImageError:
        raise
    except UnidentifiedImageError:
        raise ImageError(f"{path}: not an image file (unknown or unsupported format)") from None
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ImageError(f"{path}: too many pixels to decode safely") from None
    except (OSError, SyntaxError, ValueError) as exc:
        raise ImageError(f"{path}: cannot decode image ({exc})") from None
    return _normalise_array(np.asarray(rgb), str(path), max_side)


def _to_rgb(img: Image.Image) -> Image.Image:
    if img.mode in ("I;16", "I;16B", "I;16L", "I"):
        arr = np.asarray(img, dtype=np.float64)
        top = arr.max() or 1.0
        img = Image.fromarray((arr * (255.0 / top)).clip(0, 255).astype(np.uint8))
    if img.mode == "F":
        arr = np.asarray(img)
        lo, hi = float(arr.min()), float(arr.max())
        img = Image.fromarray(((arr - lo) * (255.0 / ((hi - lo) or 1.0))).astype(np.uint8))
    if img.mode in ("P", "PA"):
        img = img.convert("RGBA")
    if img.mode in ("RGBA", "LA", "La", "RGBa"):
        background = Image.new("RGB", img.size, (255, 255, 255))
        rgba = img.convert("RGBA")
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    return img.convert("RGB")


def _normalise_array(arr: np.ndarray, name: str, max_side: int) -> np.ndarray:
    if arr.ndim == 2:
        arr = np.repeat(arr[:, :, None], 3, axis=2)
    elif arr.ndim == 3 and arr.shape[2] == 4:
        alpha = arr[:, :, 3:4].astype(np.float32) / 255.0
        arr = (arr[:, :, :3] * alpha + 255.0 * (1.0 - alpha)).astype(np.uint8)
    elif arr.ndim == 3 and arr.shape[2] == 1:
        arr = np.repeat(arr, 3, axis=2)
    if arr.ndim != 3 or arr.shape[2] != 3:
        raise ImageError(f"{name}: expected an HxW or HxWx3 image, got shape {arr.shape}")
    if arr.shape[0] < 1 or arr.shape[1] < 1:
        raise ImageError(f"{name}: image has no pixels (shape {arr.shape})")
    if arr.dtype != np.uint8:
        if np.issubdtype(arr.dtype, np.floating) and arr.max(initial=0) <= 1.0:
            arr = arr * 255.0
        arr = np.clip(arr, 0, 255).astype(np.uint8)
    longest = max(arr.shape[:2])
    if longest > max_side:
        import cv2

        scale = max_side / longest
        size = (max(1, round(arr.shape[1] * scale)), max(1, round(arr.shape[0] * scale)))
        arr = cv2.resize(arr, size, interpolation=cv2.INTER_AREA)
    return np.ascontiguousarray(arr)


def iter_image_paths(paths: Iterable[str | os.PathLike]) -> Iterator[Path]:
    """Expand files and directories (recursively, sorted) into image paths.

    A named file is yielded whatever its extension, so that a bad file is reported
    rather than silently skipped. A directory yields only files with an image extension.
    A path that does not exist is yielded as is; loading it raises the error.
    """
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found = sorted(
                (
                    p
                    for p in path.rglob("*")
                    if p.suffix.lower() in IMAGE_EXTENSIONS and p.is_file()
                ),
                key=_natural_key,
            )
            if not found:
                raise ImageError(f"{path}: directory contains no images")
            yield from found
        else:
            yield path


def _natural_key(path: Path) -> list:
    """Sort img_2 before img_10."""
    import re

    return [int(t) if t.isdigit() else t for t in re.split(r"(\d+)", str(path))]
