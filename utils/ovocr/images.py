"""Loading images safely: any path or array in, an RGB ``uint8`` array out.

Explained in 05-ocr-pipeline. Every failure is an ``ImageError`` whose message
names the file and the problem, so a batch can report it and go on.
"""

from __future__ import annotations

import codecs
import errno
import math
import os
import stat
import struct
import warnings
from collections.abc import Callable, Collection, Iterable, Iterator
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
# Pages (taller than wide) with a longer side above this are read shrunk to it: a 300-dpi
# A4 scan's print is still taller than the recogniser's 48 rows, the detector reads pages
# 960 wide anyway, and a JPEG page is decoded at a reduced scale. 50 SROIE dev receipts
# (seven are longer): peak of map() 1527 -> 1115 MB, page CER 0.0368 -> 0.0367
# (benchmarks/SPEED.md). Results are still given in the original's pixels.
PAGE_MAX_SIDE = 3072
# Refuse to decode more pixels than this (decompression bombs): 360 MB as RGB, enough for
# the 108-megapixel photos of current phones. JPEGs are measured after reduced-scale decoding.
MAX_PIXELS = 120_000_000
# What a file starts with -> what it is, to say why it is not an image.
_NOT_IMAGES = {
    b"%PDF": "a PDF document: ovocr predict reads it when it is named .pdf",
    b"PK\x03\x04": "a ZIP archive or office document",
    b"%!PS": "PostScript or EPS, which ovocr does not open: convert it to PNG or PDF",
    b"\xc5\xd0\xd3\xc6": "EPS, which ovocr does not open: convert it to PNG or PDF",
}
# The only decoders ever used: Pillow picks a decoder by content, not by name, and some
# of its others run programs (EPS: Ghostscript) or fail with a traceback (IM headers).
PILLOW_FORMATS = ("JPEG", "PNG", "BMP", "TIFF", "WEBP", "GIF", "PPM")
TIFF_EXTENSIONS = frozenset({".tif", ".tiff"})
_IMAGE_MAGIC = {
    b"\xff\xd8\xff": "JPEG",
    b"\x89PNG": "PNG",
    b"GIF8": "GIF",
    b"BM": "BMP",
    b"II*\x00": "TIFF",
    b"MM\x00*": "TIFF",
}


def load_image(
    source: str | os.PathLike | np.ndarray | Image.Image,
    max_side: int = MAX_SIDE,
    page: int | None = None,
) -> np.ndarray:
    """Read an image as an RGB ``uint8`` array of shape ``(height, width, 3)``.

    Honours EXIF orientation, flattens alpha onto white, converts grayscale, palette,
    16-bit, float and CMYK images, and shrinks images whose longer side exceeds
    ``max_side``. Files are decoded only as JPEG, PNG, BMP, TIFF, WebP, GIF or PNM,
    whatever their name says.

    Args:
        source: a file path, a PIL image, or an array (``HxW`` gray, ``HxWx3`` RGB,
            ``HxWx4`` RGBA).
        max_side: longest side kept; larger images are downscaled.
        page: 1-based page of a multi-page TIFF (``tiff_page_count``); ``None``: the first.

    Raises:
        ImageError: the file is missing, unreadable, empty, not an image, truncated or too
            large, or ``source`` is none of the accepted kinds.
    """
    return load_image_and_size(source, max_side, page)[0]


def load_for_ocr(
    source: str | os.PathLike | np.ndarray | Image.Image,
) -> tuple[np.ndarray, tuple[int, int]]:
    """``load_image_and_size`` as the OCR pipeline reads: a page (taller than wide)
    longer than ``PAGE_MAX_SIDE`` is shrunk to it, photos only above ``MAX_SIDE``."""
    return load_image_and_size(source, page_max_side=PAGE_MAX_SIDE)


def load_image_and_size(
    source: str | os.PathLike | np.ndarray | Image.Image,
    max_side: int = MAX_SIDE,
    page: int | None = None,
    page_max_side: int | None = None,
) -> tuple[np.ndarray, tuple[int, int]]:
    """``load_image``, and the ``(width, height)`` of the image before it was shrunk, so
    that what is found in the smaller array can be given in the original's pixels.

    ``page_max_side`` replaces ``max_side`` for images taller than wide (pages); a JPEG
    page is then decoded at a reduced scale already (``load_for_ocr``)."""

    def limit(width: int, height: int) -> int:
        return min(max_side, page_max_side) if page_max_side and height > width else max_side

    if isinstance(source, np.ndarray):
        side = limit(source.shape[1], source.shape[0]) if source.ndim >= 2 else max_side
        return _normalise_array(source, "<array>", side)
    if isinstance(source, Image.Image):
        side = limit(*source.size)
        return _normalise_array(np.asarray(_pil_to_rgb(source)), "<PIL image>", side)
    if not isinstance(source, (str, os.PathLike)):
        hint = "; for encoded bytes use PIL.Image.open(io.BytesIO(data))"
        raise ImageError(
            f"<{type(source).__name__}>: expected a file path, a NumPy array or a PIL image"
            + (hint if isinstance(source, (bytes, bytearray)) else "")
        )
    path = Path(source)
    name = display_name(path)
    _check_file(path, name)
    try:
        fh = open(path, "rb")  # noqa: SIM115 (closed by the with below)
    except OSError as exc:
        raise ImageError(f"{name}: {os_problem(exc)}") from None
    try:
        with fh, warnings.catch_warnings():
            # Pillow warns above 89 megapixels; MAX_PIXELS is checked below instead, on the
            # size really decoded. Pillow itself still refuses files above 179 megapixels.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(fh, formats=PILLOW_FORMATS) as img:
                if page is not None:
                    _seek_page(img, name, page)
                full = img.size  # the file's own pixels
                max_side = limit(*img.size)
                if max(img.size) > 2 * max_side:
                    # JPEG only: decode at 1/2, 1/4 or 1/8 scale, keeping >= max_side.
                    scale = max_side / max(img.size)
                    img.draft("RGB", (math.ceil(img.width * scale), math.ceil(img.height * scale)))
                if img.width * img.height > MAX_PIXELS:
                    raise ImageError(_too_large(name, img.size))
                img.load()
                decoded = img.size
                ImageOps.exif_transpose(img, in_place=True)  # in place: no second copy
                if img.size != decoded:  # turned by 90 degrees
                    full = full[::-1]
                rgb = _to_rgb(img)
    except ImageError:
        raise
    except UnidentifiedImageError:
        raise ImageError(f"{name}: {_what_instead(path)}") from None
    except Image.DecompressionBombError:
        raise ImageError(_too_large(name)) from None
    except (OSError, SyntaxError, ValueError, TypeError, EOFError, struct.error) as exc:
        if isinstance(exc, OSError) and exc.errno is not None:  # the disk, not the format
            raise ImageError(f"{name}: cannot read file ({os_problem(exc)})") from None
        if "truncated" in str(exc):
            raise ImageError(f"{name}: truncated file (an interrupted download or copy?)") from None
        raise ImageError(f"{name}: cannot decode image ({exc})") from None
    return _normalise_array(np.asarray(rgb), name, max_side)[0], full


def tiff_page_count(path: str | os.PathLike) -> int:
    """Pages of a TIFF file (a fax, a scanned document); 1 for any other file, and for a
    file that cannot be read (loading it reports why)."""
    if Path(path).suffix.lower() not in TIFF_EXTENSIONS:
        return 1
    try:
        with Image.open(path, formats=("TIFF",)) as img:
            return max(1, int(getattr(img, "n_frames", 1)))
    except (OSError, SyntaxError, ValueError, TypeError, EOFError, struct.error):
        return 1


def _seek_page(img: Image.Image, name: str, page: int) -> None:
    count = int(getattr(img, "n_frames", 1))
    if not 1 <= page <= count:
        raise ImageError(f"{name}: no page {page} (the file has {count})")
    img.seek(page - 1)


def display_name(path: str | os.PathLike) -> str:
    """``path`` as a one-line message shows it: as is when every character is printable,
    else its bytes in Python notation (``b'scan\\n1.png'``), so that a newline or a byte
    that is not UTF-8 can neither split the line nor hide which file is meant."""
    text = os.fspath(path)
    if isinstance(text, bytes):
        return repr(text)
    return text if text.isprintable() else repr(os.fsencode(text))


# What an errno means for a file the user named, in the words of a one-line message.
_OS_PROBLEMS = {
    errno.ENOENT: "no such file",
    errno.ENOTDIR: "no such file (a part of the path is not a folder)",
    errno.ELOOP: "symbolic link loop (too many levels of symbolic links)",
    errno.ENAMETOOLONG: "file name too long",
    errno.EACCES: "permission denied",
    errno.EPERM: "permission denied",
}


def os_problem(exc: OSError) -> str:
    """The problem an ``OSError`` reports, in the words of a one-line message."""
    return _OS_PROBLEMS.get(exc.errno or 0) or (exc.strerror or str(exc)).lower()


def _check_file(path: Path, name: str) -> None:
    """Raise an ``ImageError`` unless ``path`` is a non-empty regular file (never opened
    otherwise: opening a FIFO would wait for a writer forever)."""
    try:
        info = os.stat(path)
    except OSError as exc:
        if exc.errno == errno.ENOENT and os.path.islink(path):
            raise ImageError(f"{name}: broken symbolic link (its target does not exist)") from None
        raise ImageError(f"{name}: {os_problem(exc)}") from None
    if stat.S_ISDIR(info.st_mode):
        raise ImageError(f"{name}: is a directory, not an image")
    if stat.S_ISFIFO(info.st_mode):
        raise ImageError(f"{name}: is a named pipe (FIFO), not an image file")
    if stat.S_ISCHR(info.st_mode) or stat.S_ISBLK(info.st_mode):
        raise ImageError(f"{name}: is a device, not an image file")
    if not stat.S_ISREG(info.st_mode):
        raise ImageError(f"{name}: is a socket or special file, not an image file")
    if info.st_size == 0:
        raise ImageError(f"{name}: empty file (0 bytes)")


def _pil_to_rgb(img: Image.Image) -> Image.Image:
    """A PIL image from the caller, upright as its EXIF says, as RGB; never changed in place."""
    if img.width * img.height > MAX_PIXELS:
        raise ImageError(_too_large("<PIL image>", img.size))
    try:
        return _to_rgb(ImageOps.exif_transpose(img))
    except (OSError, ValueError) as exc:  # a lazily loaded image whose file went bad
        raise ImageError(f"<PIL image>: cannot decode image ({exc})") from None


def _too_large(name: str, size: tuple[int, int] | None = None) -> str:
    pixels = f"{size[0]}x{size[1]} pixels" if size else "image"
    return (
        f"{name}: {pixels} is too large to decode safely (limit {MAX_PIXELS // 10**6} "
        "megapixels); shrink it first"
    )


def _what_instead(path: Path) -> str:
    """Why Pillow could not identify ``path``: say what the file is instead, if we can.

    The one place that sniffs a file's first bytes (PDF, ZIP, HTML, text).
    """
    try:
        with open(path, "rb") as fh:
            head = fh.read(1024)
    except OSError as exc:
        return f"cannot read file ({os_problem(exc)})"
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
    return (
        "not an image file (unknown or unsupported format; ovocr reads JPEG, PNG, BMP, "
        "TIFF, WebP, GIF and PNM)"
    )


def _to_rgb(img: Image.Image) -> Image.Image:
    if img.mode in ("I;16", "I;16B", "I;16L", "I"):
        arr = np.asarray(img, dtype=np.float32)  # not float64: 4 bytes a pixel is plenty
        top = float(arr.max()) or 1.0
        img = Image.fromarray((arr * (255.0 / top)).clip(0, 255).astype(np.uint8))
    if img.mode == "F":  # stretched between its finite extremes; NaN dark, infinities clipped
        arr = np.asarray(img, dtype=np.float32)
        finite = np.isfinite(arr)
        lo = float(np.min(arr, where=finite, initial=np.inf)) if finite.any() else 0.0
        hi = float(np.max(arr, where=finite, initial=-np.inf)) if finite.any() else 0.0
        arr = np.nan_to_num(arr, nan=lo, posinf=hi, neginf=lo)
        img = Image.fromarray(((arr - lo) * (255.0 / ((hi - lo) or 1.0))).astype(np.uint8))
    if img.mode in ("P", "PA"):
        img = img.convert("RGBA")
    if img.mode in ("RGBA", "LA", "La", "RGBa"):
        background = Image.new("RGB", img.size, (255, 255, 255))
        rgba = img.convert("RGBA")
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    return img if img.mode == "RGB" else img.convert("RGB")


def _normalise_array(
    arr: np.ndarray, name: str, max_side: int
) -> tuple[np.ndarray, tuple[int, int]]:
    """An RGB ``uint8`` array within ``max_side``, and the ``(width, height)`` it had."""
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
    size = (arr.shape[1], arr.shape[0])
    arr = shrink(arr, max_side, name)
    return np.ascontiguousarray(arr), size


def shrink(arr: np.ndarray, max_side: int = MAX_SIDE, name: str | None = None) -> np.ndarray:
    """``arr`` resized so its longer side is at most ``max_side`` (as is when it fits).

    With a ``name``, an ``ImageWarning`` says so: details smaller than a pixel of the
    smaller image are lost, though results are given in the original's pixels.
    """
    longest = max(arr.shape[:2])
    if longest <= max_side:
        return arr
    import cv2

    scale = max_side / longest
    size = (max(1, round(arr.shape[1] * scale)), max(1, round(arr.shape[0] * scale)))
    small = cv2.resize(arr, size, interpolation=cv2.INTER_AREA)
    if name is not None:
        warnings.warn(
            f"{name}: downscaled to {size[0]}x{size[1]} pixels for OCR (longest side "
            f"{max_side}); coordinates are scaled back to the original",
            ImageWarning,
            stacklevel=4,
        )
    return small


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


def iter_image_paths(
    paths: Iterable[str | os.PathLike],
    on_error: Callable[[ImageError], None] | None = None,
    extensions: Collection[str] = IMAGE_EXTENSIONS,
) -> Iterator[Path]:
    """Expand files and directories (recursively, sorted) into image paths.

    A named file is yielded whatever its extension, so that a bad file is reported
    rather than silently skipped. A directory yields only files with an image extension,
    skipping hidden ones (``.ipynb_checkpoints/``, the ``._name.jpg`` files macOS leaves).
    A path that does not exist is yielded as is; loading it raises the error.

    Args:
        paths: files and folders.
        on_error: called with the ``ImageError`` of a folder that holds no images or of a
            subfolder that cannot be read, and the expansion goes on; without it, the
            first such error is raised.
        extensions: the file types a directory is searched for (``ovocr predict`` adds
            ``.pdf``).
    """
    for raw in paths:
        path = Path(raw)
        try:
            is_dir = path.is_dir()
        except OSError:  # e.g. a name too long: loading the path reports it
            is_dir = False
        if not is_dir:
            yield path
            continue
        found, problems = _scan(path, extensions)
        if not found and not problems:
            problems.append(ImageError(f"{display_name(path)}: directory contains no images"))
        for problem in problems:
            if on_error is None:
                raise problem
            on_error(problem)
        yield from found


def _scan(folder: Path, extensions: Collection[str]) -> tuple[list[Path], list[ImageError]]:
    """Image files under ``folder`` in natural order, and the subfolders that cannot be read.

    Symbolic links to folders are not followed (no loops); links to files are kept.
    """
    found: list[Path] = []
    problems: list[ImageError] = []

    def unreadable(exc: OSError) -> None:
        where = display_name(exc.filename or folder)
        problems.append(ImageError(f"{where}: cannot read folder ({os_problem(exc)})"))

    for root, dirs, files in os.walk(folder, onerror=unreadable):
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        for file in files:
            path = Path(root, file)
            if file.startswith(".") or path.suffix.lower() not in extensions:
                continue
            try:
                keep = path.is_file()
            except OSError:  # cannot even look at it: loading it reports why
                keep = True
            if keep:
                found.append(path)
    return sorted(found, key=_natural_key), problems


def _natural_key(path: Path) -> list:
    """Sort img_2 before img_10."""
    import re

    return [int(t) if t.isdigit() else t for t in re.split(r"(\d+)", str(path))]
