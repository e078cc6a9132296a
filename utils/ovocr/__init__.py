"""ovocr: find and read text in images with OpenVINO.

The helper package of the OCR tutorial suite. Start with ``load_pipeline``::

    import ovocr
    ocr = ovocr.load_pipeline()
    page = ocr("photo.jpg")
    print(page.text)
"""

from importlib.metadata import PackageNotFoundError, version

from .errors import DeviceError, ImageError, ModelError, OfflineError, OvocrError
from .images import load_image
from .pdf import load_pdf_pages
from .pipeline import OcrPipeline, load_pipeline
from .settings import SettingsError
from .types import Line, Page, Word

try:
    __version__ = version("ovocr")  # one source of truth: pyproject.toml
except PackageNotFoundError:  # imported from a source tree that was never installed
    __version__ = "0+unknown"

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
