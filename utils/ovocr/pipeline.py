"""The two-stage OCR pipeline: detect regions, crop, read, assemble a ``Page``.

Explained in 05-ocr-pipeline. Detection and recognition never import each other; this
module joins them (``ovocr.builder`` cuts crops, splits words and puts them in reading
order). ``OcrPipeline.map`` reads many images with overlapping asynchronous requests
(``ovocr.throughput``, explained in 08-performance).
"""

from __future__ import annotations

import ctypes
import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from PIL.Image import Image as PILImage

from . import builder
from .detection import Detections, TextDetector
from .devices import CompileOptions, check_device, default_device, resolve_cache_dir
from .errors import ImageError
from .images import load_for_ocr, load_image
from .models import DEFAULT_DET, DEFAULT_REC, get_model
from .recognition import AngleClassifier, Reading, TextRecognizer
from .refine import GAP_RATIO, RereadSettings, reread_unsure
from .settings import Device, Hint, Precision, check_hint, check_precision
from .text import read_upright
from .throughput import run_many
from .types import Page

# What the pipeline reads (``load_image``): a path, an RGB (or gray, RGBA) array, a PIL image.
ImageSource = str | os.PathLike | np.ndarray | PILImage

# glibc raises its mmap threshold each time a large block is freed (up to 32 MB); after that,
# the buffers OpenVINO sizes for each new input shape come from the heap, and freed ones stay
# resident. A fixed 1 MB threshold gives them back: peak memory over 50 SROIE receipts
# 1537 -> 1189 MB (benchmarks/SPEED.md). Off with OVOCR_HEAP=default.
HEAP_MMAP_THRESHOLD = 1 << 20
_M_MMAP_THRESHOLD = -3  # mallopt parameter number (malloc.h)
_heap_bounded: bool | None = None


def bound_heap() -> bool:
    """Fix glibc's mmap threshold at ``HEAP_MMAP_THRESHOLD`` (once per process).

    ``OcrPipeline.map`` calls it: reading many pages of many sizes otherwise leaves
    hundreds of MB of freed OpenVINO buffers resident. Returns whether the threshold is set
    (``False`` off glibc, or with ``OVOCR_HEAP=default`` in the environment).
    """
    global _heap_bounded
    if _heap_bounded is None:
        _heap_bounded = False
        if os.environ.get("OVOCR_HEAP", "").strip().lower() != "default":
            try:
                libc = ctypes.CDLL(None)
                libc.gnu_get_libc_version  # noqa: B018 (glibc only: musl, macOS lack it)
                _heap_bounded = bool(libc.mallopt(_M_MMAP_THRESHOLD, HEAP_MMAP_THRESHOLD))
            except (OSError, AttributeError):
                pass
    return _heap_bounded


@dataclass
class OcrPipeline:
    """Detector + optional angle classifier + recogniser.

    Use ``load_pipeline`` to build one. Calling it with a path or an RGB array returns
    a ``Page`` as fast as possible for that one image; ``map`` reads many images with
    overlapping requests (higher images/s); ``read_crops`` reads already-cropped word or
    line images.

    One pipeline may be shared by several threads: each stage runs a separate inference
    request per calling thread (``ovocr.devices.ThreadRequests``), so concurrent calls
    give the same pages as one call after another.
    """

    detector: TextDetector
    recognizer: TextRecognizer
    classifier: AngleClassifier | None = None
    # Lines read less confidently give no words (PaddleOCR's drop_score, 09-measuring-accuracy).
    min_confidence: float = builder.MIN_CONFIDENCE
    # Regions are cut into lines where words stand this many line heights apart
    # (two columns, ``ovocr.refine.split_at_gaps``, 10-improving-accuracy); None: never.
    gap_ratio: float | None = GAP_RATIO

    def detect(self, image: np.ndarray) -> Detections:
        return self.detector(image)

    def crops(
        self, image: np.ndarray, detections: Detections
    ) -> tuple[list[np.ndarray], list[bool]]:
        """Cut out every detected quad, turned upright; also say which crops were flipped."""
        return builder.cut_crops(image, detections, self.classifier)

    def assemble(
        self,
        size: tuple[int, int],
        detections: Detections,
        readings: Sequence[Reading],
        flipped: Sequence[bool],
    ) -> Page:
        """Words from the readings of each region, in reading order; ``size`` is ``(h, w)``."""
        return builder.assemble(
            size, detections, readings, flipped, self.min_confidence, self.gap_ratio
        )

    def read_regions(self, image: np.ndarray, detections: Detections) -> Page:
        """Crop every detected quad, read it, and assemble the ``Page``."""
        crops, flipped = self.crops(image, detections)
        return self.assemble(image.shape[:2], detections, self.recognizer(crops), flipped)

    def __call__(self, image: ImageSource) -> Page:
        """Read one image: a path, an RGB array or a PIL image (``load_image``)."""
        rgb, size = load_for_ocr(image)  # size: before a very large image shrank
        return self.read_regions(rgb, self.detect(rgb)).resized(*size)

    def map(
        self, images: Iterable[ImageSource], return_errors: bool = False
    ) -> Iterator[Page | ImageError]:
        """Read many images; yields one result per input, in input order.

        Detection of the next images runs while the crops of earlier ones are recognised,
        and images are decoded on a helper thread, so all cores stay busy. Pages are the
        same as one-at-a-time calls give. Fastest with ``load_pipeline(hint="THROUGHPUT")``.
        Explained in 08-performance. The first call fixes glibc's mmap threshold for the
        process (``bound_heap``: lower peak memory over pages of many sizes).

        Args:
            images: paths, RGB arrays or PIL images (any iterable; it is read a few items
                ahead).
            return_errors: yield the ``ImageError`` of an unreadable input (a broken file,
                or something that is no image at all, such as ``None``) in its place
                instead of raising it, so a batch can report it and go on.
        """
        if isinstance(images, (str, bytes, os.PathLike, np.ndarray, PILImage)):
            raise TypeError(
                f"map() takes a list of images, got one {type(images).__name__}: "
                "write ocr.map([image]) (or ocr(image) for a single one)"
            )
        bound_heap()
        return run_many(
            self.detector,
            self.recognizer,
            self.classifier,
            images,
            return_errors=return_errors,
            min_confidence=self.min_confidence,
            gap_ratio=self.gap_ratio,
        )

    def read_crops(self, crops: Sequence[ImageSource]) -> list[Reading]:
        """Recognise crops (paths or arrays) in one batched call."""
        return CropReader(self.recognizer, self.classifier)([load_image(c) for c in crops])


@dataclass
class CropReader:
    """Recogniser (+ optional angle classifier) for images that are already cropped.

    Unsure readings get a second look, stretched wider (``ovocr.refine.reread_unsure``,
    measured in 10-improving-accuracy); ``reread=RereadSettings(enabled=False)`` turns it off.
    """

    recognizer: TextRecognizer
    classifier: AngleClassifier | None = None
    reread: RereadSettings = field(default_factory=RereadSettings)

    def __call__(self, crops: Sequence[np.ndarray]) -> list[Reading]:
        crops, _ = builder.upright(crops, self.classifier)
        readings = read_upright(
            self.recognizer, crops
        )  # tall crops: turned words (09-measuring-accuracy)
        return reread_unsure(self.recognizer, crops, readings, self.reread)


def runtime_options(
    device: str | None, precision: str | None, hint: str, cache_dir: str | os.PathLike | None
) -> CompileOptions:
    """Checked compile options: an unknown device, precision or hint is one clear error.

    ``device=None`` is ``default_device()``: ``$OVOCR_DEVICE`` when set, else ``AUTO`` (the
    one rule, for Python and the command line alike).

    Raises:
        DeviceError: no such device on this machine (the message lists those there are).
        SettingsError: an unknown precision or hint (the message names the valid ones).
    """
    return CompileOptions(
        device=check_device(device or default_device()),
        hint=check_hint(hint),
        precision=check_precision(precision),
        cache_dir=resolve_cache_dir(cache_dir),
    )


def load_pipeline(
    det: str = DEFAULT_DET,
    rec: str = DEFAULT_REC,
    cls: str | None = None,
    *,
    device: Device | str | None = None,
    precision: Precision | None = None,
    hint: Hint = "LATENCY",
    cache_dir: str | os.PathLike | None = None,
    progress: Callable[[str], None] | None = None,
    rec_settings: dict[str, Any] | None = None,
    **det_settings: Any,
) -> OcrPipeline:
    """Build an OCR pipeline from model names (``ovocr models list``) or local paths.

    Args:
        det: detection model name or ``.xml``/``.onnx`` path.
        rec: recognition model name or path.
        cls: optional angle classifier (e.g. ``"ppocrv5-cls"``) for upside-down text.
        device: OpenVINO device (``CPU``, ``GPU``, ``AUTO``, ``GPU.1``...); ``None``:
            ``$OVOCR_DEVICE`` when set, else ``AUTO`` (``ovocr.devices.default_device``).
        precision: inference precision hint (``"f32"`` for bit-stable results).
        hint: ``LATENCY`` (one image as fast as possible) or ``THROUGHPUT`` (most images
            per second with ``OcrPipeline.map``).
        cache_dir: OpenVINO compiled-model cache folder; ``None`` means the default
            (``$OVOCR_CACHE_DIR``, else ``.ov_cache`` in the models folder), ``""`` none.
        progress: called with status messages while models are prepared.
        rec_settings: recogniser settings (``ovocr.settings.RecParams``, e.g.
            ``{"alphabet": "english"}``).
        **det_settings: detector settings (``ovocr.settings.DbParams`` for DB detectors,
            e.g. ``box_thresh=0.5``).

    Raises:
        SettingsError: an unknown setting (the message names the closest valid one), a
            wrong type or a value out of range; an unknown precision or hint.
        DeviceError: the device does not exist here.
        ModelError: a model cannot be found, prepared or compiled.

    Example:
        >>> ocr = load_pipeline(precision="f32")  # doctest: +SKIP
        >>> ocr("photo.jpg").text  # doctest: +SKIP
    """
    options = runtime_options(device, precision, hint, cache_dir)
    detector = TextDetector(get_model(det, "det", progress), options, **det_settings)
    recognizer = TextRecognizer(get_model(rec, "rec", progress), options, **(rec_settings or {}))
    classifier = AngleClassifier(get_model(cls, "cls", progress), options) if cls else None
    return OcrPipeline(detector, recognizer, classifier)


def load_recognizer(
    rec: str = DEFAULT_REC,
    cls: str | None = None,
    *,
    device: Device | str | None = None,
    precision: Precision | None = None,
    hint: Hint = "LATENCY",
    cache_dir: str | os.PathLike | None = None,
    progress: Callable[[str], None] | None = None,
    **rec_settings: Any,
) -> CropReader:
    """Build a reader for cropped word or line images (no detector); see ``load_pipeline``."""
    options = runtime_options(device, precision, hint, cache_dir)
    recognizer = TextRecognizer(get_model(rec, "rec", progress), options, **rec_settings)
    classifier = AngleClassifier(get_model(cls, "cls", progress), options) if cls else None
    return CropReader(recognizer, classifier)
