"""A disk cache of OCR pages, so that retraining does not read every image again.

Reading a receipt takes seconds on a small CPU; training reads the same images each
time. Pages are stored as ``Page.to_dict()`` JSON under a key made of the image's
SHA-256 and the OCR settings. A fresh result goes through the same JSON round trip as
a cached one, so training gives identical numbers with a cold or a warm cache.
Explained in 06-custom-text-regions.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Sequence
from dataclasses import asdict, fields
from pathlib import Path
from typing import Any

import numpy as np

from ..detection import DETECTORS
from ..models import REGISTRY, models_dir
from ..pipeline import OcrPipeline
from ..recognition import RECOGNIZERS
from ..types import PAGE_SCHEMA, Page


def default_cache_dir() -> Path:
    """``$OVOCR_MODELS/cache/pages`` (``models/`` of the checkout by default; not in git)."""
    return models_dir() / "cache" / "pages"


def settings_key(det: str, rec: str, precision: str | None) -> str:
    """The part of the cache key that names the OCR models, their settings and precision.

    Each stage's settings as the stage will run them (the registry's values over the
    settings class defaults: detector resize, thresholds and strips, recogniser alphabet
    and batching), the pipeline's default settings (``OcrPipeline`` fields such as
    ``gap_ratio``) and the page schema are hashed in, so pages read before a default
    changed are not reused after it.
    """
    params: dict[str, Any] = {
        det: _stage_settings(det, DETECTORS),
        rec: _stage_settings(rec, RECOGNIZERS),
        "schema": PAGE_SCHEMA,
    }
    params["pipeline"] = {  # page assembly: confidence floor, line splitting at gaps...
        f.name: f.default
        for f in fields(OcrPipeline)
        if isinstance(f.default, (bool, int, float, str, type(None)))
    }
    digest = hashlib.sha256(json.dumps(params, sort_keys=True, default=str).encode())
    return f"{det}|{rec}|{precision or 'default'}|{digest.hexdigest()[:12]}"


def _stage_settings(name: str, stages: dict[str, Any]) -> Any:
    spec = REGISTRY.get(name)
    if spec is None or spec.family not in stages:
        return None  # a local model file: its name is in the key, its settings are not known
    return asdict(stages[spec.family].settings_for(spec))  # as the stage decides


def page_key(image: str | os.PathLike, settings: str) -> str:
    """Cache key of one image under some OCR settings (e.g. ``"det|rec|f32"``)."""
    digest = hashlib.sha256(Path(image).read_bytes())
    digest.update(settings.encode())
    return digest.hexdigest()[:32]


def round_trip(page: Page) -> Page:
    """The page as it comes back from the cache (coordinates rounded as in JSON output)."""
    return Page.from_dict(json.loads(json.dumps(page.to_dict())))


def _read_cached(path: Path) -> Page | None:
    """The page stored at ``path``; ``None`` when there is none or it is damaged (a run
    killed while writing, a full disk): the page is then read again and stored afresh."""
    try:
        return Page.from_dict(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, UnicodeDecodeError, ValueError, KeyError, TypeError, IndexError):
        return None


def cached_pages(
    images: Sequence[str | os.PathLike],
    ocr: Callable[[str | os.PathLike], Page],
    settings: str,
    cache_dir: str | os.PathLike | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> list[Page]:
    """OCR pages of ``images``, read from the cache when there, else computed and stored.

    Args:
        images: image paths.
        ocr: reads one image, e.g. an ``OcrPipeline``.
        settings: describes ``ocr`` (:func:`settings_key`): part of the cache key.
        cache_dir: the cache folder (default :func:`default_cache_dir`); ``None`` to use it.
        progress: called with ``(done, total)`` after each image.
    """
    folder = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    folder.mkdir(parents=True, exist_ok=True)
    pages = []
    for done, image in enumerate(images, start=1):
        path = folder / f"{page_key(image, settings)}.json"
        page = _read_cached(path)
        if page is None:
            page = round_trip(ocr(image))
            tmp = path.with_suffix(f".{os.getpid()}.tmp")
            tmp.write_text(json.dumps(page.to_dict(), ensure_ascii=False), encoding="utf-8")
            os.replace(tmp, path)
        pages.append(page)
        if progress:
            progress(done, len(images))
    return pages


def cached_array_page(
    rgb: np.ndarray,
    ocr: Callable[[np.ndarray], Page],
    settings: str,
    cache_dir: str | os.PathLike | None = None,
) -> Page:
    """The OCR page of an image array (e.g. a region crop), cached by its pixels."""
    folder = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    folder.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256(np.ascontiguousarray(rgb).tobytes())
    digest.update(f"{rgb.shape}|{settings}".encode())
    path = folder / f"a{digest.hexdigest()[:31]}.json"
    cached = _read_cached(path)
    if cached is not None:
        return cached
    page = round_trip(ocr(rgb))
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_text(json.dumps(page.to_dict(), ensure_ascii=False), encoding="utf-8")
    os.replace(tmp, path)
    return page
