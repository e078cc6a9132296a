"""Fonts for figures and rendered pictures: DejaVu Sans, wherever it is installed.

DejaVu Sans (Debian's ``fonts-dejavu-core``, or the copy that ships with matplotlib) covers
Latin, Greek, Cyrillic and many symbols. Without either, Pillow's own scalable font is used
(Latin letters only), so figures still draw. ``ovocr.viz`` re-exports these names.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from PIL import ImageFont

from .errors import OvocrError

DEBIAN_FONTS = Path("/usr/share/fonts/truetype/dejavu")


class FontError(OvocrError, FileNotFoundError):
    """No TrueType font to draw labels with."""


@lru_cache(maxsize=4)
def font_path(bold: bool = False) -> Path:
    """Path of DejaVu Sans: Debian's ``fonts-dejavu-core`` first, else matplotlib's copy.

    Raises:
        FontError: neither is installed (``apt-get install fonts-dejavu-core``);
            ``unicode_font`` then falls back to Pillow's own font.
    """
    name = "DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf"
    candidates = [DEBIAN_FONTS / name]
    try:
        import matplotlib

        candidates.append(Path(matplotlib.get_data_path()) / "fonts" / "ttf" / name)
    except ImportError:
        pass
    for candidate in candidates:
        if candidate.is_file():
            return candidate
    raise FontError(
        f"{name}: font not found in {DEBIAN_FONTS} or matplotlib; "
        "install it with `apt-get install fonts-dejavu-core` or `pip install matplotlib`"
    )


def unicode_font(
    size: int, bold: bool = False, font: str | Path | None = None
) -> ImageFont.FreeTypeFont:
    """A TrueType font of ``size`` pixels: ``font`` when given, else DejaVu Sans.

    Without DejaVu Sans (no Debian fonts, no matplotlib) Pillow's own scalable font is
    used: Latin letters only, but figures still draw.

    Raises:
        FontError: ``font`` cannot be read, or there is no TrueType font at all.
    """
    if font is not None:
        try:
            return ImageFont.truetype(str(font), size)
        except OSError as exc:
            raise FontError(f"{font}: cannot read this font ({exc})") from None
    try:
        return ImageFont.truetype(str(font_path(bold)), size)
    except FontError as missing:
        fallback = ImageFont.load_default(size=size)  # FreeType's build of Pillow's font
        if not isinstance(fallback, ImageFont.FreeTypeFont):
            raise missing from None
        return fallback
