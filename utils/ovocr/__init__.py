"""ovocr: find and read text in images with OpenVINO.

The helper package of the OCR tutorial suite. Start with ``load_pipeline``::

    import ovocr
    ocr = ovocr.load_pipeline()
    page = ocr("photo.jpg")
    print(page.text)

``import ovocr`` loads only the error types and the result types: the rest (NumPy,
OpenCV, Pillow, OpenVINO) is imported on first use of a name below (PEP 562), so the
import is quick and a Ctrl-C while the ``ovocr`` command starts finds its handler.
"""

from __future__ import annotations

from importlib import import_module
from importlib.metadata import PackageNotFoundError, version
from importlib.util import find_spec
from typing import TYPE_CHECKING, Any

from .errors import DeviceError, ImageError, ModelError, OfflineError, OvocrError
from .types import Line, Page, Word

if TYPE_CHECKING:
    from .images import load_image
    from .pdf import load_pdf_pages
    from .pipeline import OcrPipeline, load_pipeline
    from .settings import SettingsError

try:
    __version__ = version("ovocr")  # one source of truth: pyproject.toml
except PackageNotFoundError:  # imported from a source tree that was never installed
    __version__ = "0+unknown"

# Public names imported when first used: name -> the module that defines it.
_LAZY = {
    "OcrPipeline": ".pipeline",
    "SettingsError": ".settings",
    "load_image": ".images",
    "load_pdf_pages": ".pdf",
    "load_pipeline": ".pipeline",
}

__all__ = [
    "DeviceError",
    "ImageError",
    "Line",
    "ModelError",
    "OcrPipeline",
    "OfflineError",
    "OvocrError",
    "Page",
    "SettingsError",
    "Word",
    "load_image",
    "load_pdf_pages",
    "load_pipeline",
]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = getattr(import_module(_LAZY[name], __name__), name)
        globals()[name] = value  # later lookups skip this function
        return value
    if find_spec(f"{__name__}.{name}") is not None:
        # ``ovocr.devices`` and the other modules work without their own import, as before
        # the names above became lazy: importing a submodule binds it on the package.
        return import_module(f".{name}", __name__)
    raise AttributeError(f"module 'ovocr' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))
