"""The tutorial photo, and a stand-in the project renders itself.

Explained in 05-ocr-pipeline. ``sample_image()`` returns the first of:

1. ``../shared/data/samples/intel_rnb.jpg``, the photo of OpenVINO's OCR tutorial (the
   Robert N. Noyce building), when the shared evaluation data is present;
2. a copy of that photo downloaded from the OpenVINO notebooks repository (for online
   users: fetched with ``pooch``, time- and size-limited, checked against a pinned sha256,
   written atomically into the user's cache folder, ``~/.cache/ovocr/samples`` on Linux);
3. ``data/rnb_sign.png``, a picture rendered with PIL (``data/make_samples.py``) that
   carries the same words, so a fresh clone runs the notebooks offline.

``omz_detector()`` finds the Open Model Zoo detector the notebooks compare with.

Example:
    >>> path = sample_image(download_photo=False)
    >>> path.name in {"intel_rnb.jpg", "rnb_sign.png"}
    True
"""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from .errors import OfflineError, OvocrError
from .models import is_prepared, sha256_of
from .paths import project_data_dir, shared_data_dir, user_cache_dir
from .viz import unicode_font

PHOTO_NAME = "intel_rnb.jpg"
PHOTO_URL = (
    "https://github.com/openvinotoolkit/openvino_notebooks/raw/main/notebooks/"
    "optical-character-recognition/data/intel_rnb.jpg"
)
# sha256 of the copy in ../shared/data/samples (690 x 517 JPEG, 294,993 bytes).
PHOTO_SHA256 = "e3dcc3967b3ee971d71c383f0ffd683e43618173652c2e626dce324394d8a38d"
OMZ_DETECTOR = "horizontal-text-detection-0001"
# An older IR of it in the shared folder (see ../shared/models/README.md).
SEEDED_OMZ_DETECTOR = (
    "models/horizontal-text-detection-0001-ir10/horizontal-text-detection-0001.xml"
)
SIGN_NAME = "rnb_sign.png"
SIGN_SIZE = (690, 517)  # the photo's size, so both give the same network input shape
DOWNLOAD_TIMEOUT_S = 20.0
MAX_DOWNLOAD_BYTES = 5_000_000


def cache_dir() -> Path:
    """``samples`` in ``ovocr.paths.user_cache_dir()`` (``~/.cache/ovocr/samples`` on Linux)."""
    return user_cache_dir() / "samples"


def download(
    url: str,
    target: Path,
    sha256: str,
    timeout: float = DOWNLOAD_TIMEOUT_S,
    max_bytes: int = MAX_DOWNLOAD_BYTES,
) -> Path:
    """Fetch ``url`` into ``target`` only if it arrives whole, in time and with ``sha256``.

    ``pooch.retrieve`` does the bookkeeping: the bytes go to a temporary file beside
    ``target``, renamed into place only when the checksum matches, and a verified
    ``target`` is not fetched again. ``_limited_fetch`` adds what pooch leaves to its
    downloader: a size cap and a deadline for the whole transfer, not just each read.

    Raises:
        OfflineError: the server cannot be reached or the download takes over ``timeout`` s.
        OvocrError: the file is larger than ``max_bytes`` or its checksum differs.
    """
    import pooch

    logger = pooch.get_logger()
    level = logger.level
    logger.setLevel("WARNING")  # its INFO lines print the user's cache path
    try:
        path = pooch.retrieve(
            url,
            known_hash=f"sha256:{sha256}",
            fname=target.name,
            path=target.parent,
            downloader=_limited_fetch(timeout, max_bytes),
        )
    except OSError as exc:  # requests' errors are OSErrors (some also ValueErrors: first)
        raise OfflineError(f"{url}: cannot download ({exc})") from None
    except ValueError as exc:  # pooch's checksum mismatch
        if "hash" not in str(exc).lower():
            raise
        raise OvocrError(f"{url}: sha256 does not match {sha256}") from None
    finally:
        logger.setLevel(level)
    return Path(path)


def _limited_fetch(timeout: float, max_bytes: int) -> Callable[[str, str, object], None]:
    """A pooch downloader that streams with ``requests`` and stops at a size or time limit."""

    def fetch(url: str, output_file: str, _pooch: object) -> None:
        import requests

        deadline = time.monotonic() + timeout
        size = 0
        with (
            requests.get(url, stream=True, timeout=timeout) as resp,
            open(output_file, "wb") as out,
        ):
            resp.raise_for_status()
            for chunk in resp.iter_content(1 << 16):
                size += len(chunk)
                if size > max_bytes:
                    raise OvocrError(f"{url}: larger than {max_bytes} bytes; not a sample photo")
                if time.monotonic() > deadline:
                    raise OfflineError(f"{url}: download took longer than {timeout:.0f} s")
                out.write(chunk)

    return fetch


def render_sign(size: tuple[int, int] = SIGN_SIZE) -> np.ndarray:
    """Render the stand-in: a facade with the photo's three pieces of text.

    A slightly tilted ``ROBERT N. NOYCE BUILDING`` banner, the street number ``2200`` on a
    pillar and a small ``ENTRANCE`` sign on a glass door, drawn with DejaVu Sans Bold.
    Returns an RGB ``uint8`` array of ``size`` (width, height).
    """
    width, height = size
    img = Image.new("RGB", size, (58, 66, 78))  # dark glass
    draw = ImageDraw.Draw(img)
    draw.rectangle((0, 0, width, int(height * 0.25)), fill=(236, 236, 232))  # canopy
    draw.rectangle((int(width * 0.82), 0, width, height), fill=(226, 226, 222))  # pillar
    draw.rectangle(
        (int(width * 0.6), int(height * 0.48), int(width * 0.78), height), fill=(96, 110, 122)
    )  # door
    banner = Image.new("RGBA", size, (0, 0, 0, 0))
    ImageDraw.Draw(banner).text(
        (int(width * 0.04), int(height * 0.07)),
        "ROBERT  N.  NOYCE  BUILDING",
        fill=(92, 92, 98, 255),
        font=unicode_font(max(12, height // 19), bold=True),
    )
    tilted = banner.rotate(-2.0, resample=Image.Resampling.BICUBIC, center=(0, 0))
    img.paste(tilted, mask=tilted)
    number = unicode_font(max(12, height // 17), bold=True)
    draw.text((int(width * 0.85), int(height * 0.39)), "2200", fill=(120, 120, 126), font=number)
    door = unicode_font(max(10, height // 40), bold=True)
    x0, y0 = int(width * 0.63), int(height * 0.62)
    left, top, right, bottom = draw.textbbox((x0, y0), "ENTRANCE", font=door)
    draw.rectangle((left - 6, top - 5, right + 6, bottom + 5), fill=(245, 245, 240))
    draw.text((x0, y0), "ENTRANCE", fill=(160, 30, 30), font=door)
    return np.asarray(img)


def sign_image() -> Path:
    """The rendered stand-in: ``data/rnb_sign.png`` of the checkout, else rendered to the cache."""
    data = project_data_dir()
    if data is not None and (data / SIGN_NAME).is_file():
        return data / SIGN_NAME
    target = cache_dir() / SIGN_NAME
    if not target.is_file():
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{SIGN_NAME}.", suffix=".png", dir=target.parent)
        os.close(fd)
        Image.fromarray(render_sign()).save(tmp)
        os.replace(tmp, target)
    return target


def sample_image(download_photo: bool = True) -> Path:
    """Path of the tutorial photo, or of the rendered stand-in when the photo is unavailable.

    Args:
        download_photo: try the public photo when the shared copy is absent. A failed
            download prints one plain line saying so (no warning box, no path), then the
            stand-in is used.
    """
    data = shared_data_dir()
    if data is not None and (data / "samples" / PHOTO_NAME).is_file():
        return data / "samples" / PHOTO_NAME
    cached = cache_dir() / PHOTO_NAME
    if cached.is_file() and sha256_of(cached) == PHOTO_SHA256:
        return cached
    if download_photo:
        try:
            return download(PHOTO_URL, cached, PHOTO_SHA256)
        except OvocrError as exc:
            print(fallback_note(exc))
    return sign_image()


def fallback_note(exc: OvocrError) -> str:
    """The one line ``sample_image`` prints when the photo cannot be downloaded.

    A notebook shows a warning as a pink box with the kernel's temporary file path; a
    learner offline only needs to know that the stand-in is used, and why.

    >>> print(fallback_note(OfflineError("https://host/x.jpg: cannot download (refused)")))
    Tutorial photo not downloaded (no connection): using the rendered stand-in rnb_sign.png.
    """
    reason = (
        "no connection" if isinstance(exc, OfflineError) else "it failed the size or checksum check"
    )
    return f"Tutorial photo not downloaded ({reason}): using the rendered stand-in {SIGN_NAME}."


def omz_detector() -> str | Path | None:
    """The Open Model Zoo detector to compare with, as a name or path for ``get_model``.

    Its zoo name when it is prepared (online, notebook 01), else the pre-seeded IR in
    ``../shared/models``, else ``None``. Explained in 01-model-preparation.
    """
    if is_prepared(OMZ_DETECTOR):
        return OMZ_DETECTOR
    data = shared_data_dir()
    seeded = None if data is None else data.parent / SEEDED_OMZ_DETECTOR
    return seeded if seeded is not None and seeded.is_file() else None
