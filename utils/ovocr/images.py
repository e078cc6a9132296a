"""Loading images safely: any path or array in, an RGB ``uint8`` array out.

Explained in 05-ocr-pipeline. Every failure is an ``ImageError`` whose message
names the file and the problem, so a batch can report it and go on.
"""

from __future__ import annotations

import codecs
import math
import os
import warnings
from collections.abc import Iterable, Iterator
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from .errors import ImageError, ImageWarning

IMAGE_EXTENSIONS = frozenset(
    {".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".webp", ".gif", ".pbm", ".pgm", ".ppm"}
)
# Larger images are shrunk before OCR: detection never works above ~4000 px anyway,
# and a 20000 x 20000 RGB array alone would take 1.2 GB.
MAX_SIDE = 8192
# Refuse to decode more pixels than this (decompression bombs): 360 MB as RGB, enough for
# the 108-megapixel photos of current phones. JPEGs are measured after reduced-scale decoding.
MAX_PIXELS = 120_000_000
# What a file starts with -> what it is, to say why it is not an image.
_NOT_IMAGES = {
    b"%PDF": "a PDF document: export its pages as images first",
    b"PK\x03\x04": "a ZIP archive or office document",
}
_IMAGE_MAGIC = {
    b"\xff\xd8\xff": "JPEG",
    b"\x89PNG": "PNG",
    b"GIF8": "GIF",
    b"BM": "BMP",
    b"II*\x00": "TIFF",
    b"MM\x00*": "TIFF",
}


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
            # Pillow warns above 89 megapixels; MAX_PIXELS is checked below instead, on the
            # size really decoded. Pillow itself still refuses files above 179 megapixels.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(path) as img:
                if max(img.size) > 2 * max_side:
                    # JPEG only: decode at 1/2, 1/4 or 1/8 scale, keeping >= max_side.
                    scale = max_side / max(img.size)
                    img.draft("RGB", (math.ceil(img.width * scale), math.ceil(img.height * scale)))
                if img.width * img.height > MAX_PIXELS:
                    raise ImageError(_too_large(path, img.size))
                img.load()
                ImageOps.exif_transpose(img, in_place=True)  # in place: no second copy
                rgb = _to_rgb(img)
    except ImageError:
        raise
    except UnidentifiedImageError:
        raise ImageError(f"{path}: {_what_instead(path)}") from None
    except Image.DecompressionBombError:
        raise ImageError(_too_large(path)) from None
    except (OSError, SyntaxError, ValueError) as exc:
        if "truncated" in str(exc):
            raise ImageError(f"{path}: truncated file (an interrupted download or copy?)") from None
        raise ImageError(f"{path}: cannot decode image ({exc})") from None
    return _normalise_array(np.asarray(rgb), str(path), max_side)


def _too_large(path: Path, size: tuple[int, int] | None = None) -> str:
    pixels = f"{size[0]}x{size[1]} pixels" if size else "image"
    return (
        f"{path}: {pixels} is too large to decode safely (limit {MAX_PIXELS // 10**6} "
        "megapixels); shrink it first"
    )


def _what_instead(path: Path) -> str:
    """Why Pillow could not identify ``path``: say what the file is instead, if we can."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(1024)
    except OSError as exc:
        return f"cannot read file ({exc.strerror or exc})"
    for magic, kind in _NOT_IMAGES.items():
        if head.startswith(magic):
            return f"not an image file ({kind})"
    for magic, kind in _IMAGE_MAGIC.items():
        if head.startswith(magic):
            return f"starts like a {kind} image but cannot be read (truncated or corrupt)"
    if head.lstrip().lower().startswith((b"<!doctype html", b"<html")):
        return "not an image file (an HTML page: a failed download?)"
    if b"\0" not in head:
        try:
            # Incremental: a character cut at the 1024-byte boundary is not an error.
            codecs.getincrementaldecoder("utf-8")().decode(head)
            return "not an image file (a text file)"
        except UnicodeDecodeError:
            pass
    return "not an image file (unknown or unsupported format)"


def _to_rgb(img: Image.Image) -> Image.Image:
    if img.mode in ("I;16", "I;16B", "I;16L", "I"):
        arr = np.asarray(img, dtype=np.float32)  # not float64: 4 bytes a pixel is plenty
        top = float(arr.max()) or 1.0
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
    return img if img.mode == "RGB" else img.convert("RGB")


def _normalise_array(arr: np.ndarray, name: str, max_side: int) -> np.ndarray:
    arr = _as_uint8(arr, name)
    if arr.ndim == 2:
        arr = np.repeat(arr[:, :, None], 3, axis=2)
    elif arr.ndim == 3 and arr.shape[2] == 4:
        alpha = arr[:, :, 3:4].astype(np.float32) / 255.0
        arr = (arr[:, :, :3] * alpha + 255.0 * (1.0 - alpha)).astype(np.uint8)
    elif arr.ndim == 3 and arr.shape[2] == 1:
        arr = np.repeat(arr, 3, axis=2)
    if arr.ndim != 3 or arr.shape[2] != 3:
        raise ImageError(f"{name}: expected an HxW, HxWx3 or HxWx4 image, got shape {arr.shape}")
    if arr.shape[0] < 1 or arr.shape[1] < 1:
        raise ImageError(f"{name}: image has no pixels (shape {arr.shape})")
    longest = max(arr.shape[:2])
    if longest > max_side:
        import cv2

        scale = max_side / longest
        size = (max(1, round(arr.shape[1] * scale)), max(1, round(arr.shape[0] * scale)))
        arr = cv2.resize(arr, size, interpolation=cv2.INTER_AREA)
        warnings.warn(
            f"{name}: downscaled to {size[0]}x{size[1]} pixels for OCR (longest side "
            f"{max_side}); coordinates refer to the smaller image",
            ImageWarning,
            stacklevel=3,
        )
    return np.ascontiguousarray(arr)


def _as_uint8(arr: np.ndarray, name: str) -> np.ndarray:
    """Booleans, 0..1 floats and deeper integers (16-bit) as ``uint8`` 0..255, before the
    alpha channel is used."""
    if arr.dtype == np.uint8:
        return arr
    if arr.dtype == np.bool_:
        return arr.astype(np.uint8) * np.uint8(255)
    if not np.issubdtype(arr.dtype, np.number) or np.issubdtype(arr.dtype, np.complexfloating):
        raise ImageError(f"{name}: expected an array of numbers, got dtype {arr.dtype}")
    x = arr.astype(np.float32)
    top = float(np.max(x, where=np.isfinite(x), initial=0.0))
    x = np.nan_to_num(x, copy=False, nan=0.0, posinf=top, neginf=0.0)  # inf: brightest pixel
    if np.issubdtype(arr.dtype, np.floating) and top <= 1.0:
        x *= 255.0
    elif np.issubdtype(arr.dtype, np.integer) and top > 255.0:
        x *= 255.0 / top  # 16-bit and deeper: stretched like 16-bit files
    return np.clip(x, 0, 255).astype(np.uint8)


def iter_image_paths(paths: Iterable[str | os.PathLike]) -> Iterator[Path]:
    """Expand files and directories (recursively, sorted) into image paths.

    A named file is yielded whatever its extension, so that a bad file is reported
    rather than silently skipped. A directory yields only files with an image extension,
    skipping hidden ones (``.ipynb_checkpoints/``, the ``._name.jpg`` files macOS leaves).
    A path that does not exist is yielded as is; loading it raises the error.
    """
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found = sorted(
                (
                    p
                    for p in path.rglob("*")
                    if p.suffix.lower() in IMAGE_EXTENSIONS
                    and p.is_file()
                    and not any(part.startswith(".") for part in p.relative_to(path).parts)
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
