"""Shared fixtures: rendered text images, the shared data folder, prepared models."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

ROOT = Path(__file__).resolve().parents[1]
# The shared folder: the parent of $OVOCR_SHARED_DATA when set (the package's and README's
# variable), else ../shared beside the checkout; its data/ is found as the package finds it.
_SHARED_DATA_ENV = os.environ.get("OVOCR_SHARED_DATA", "").strip()
SHARED = Path(_SHARED_DATA_ENV).expanduser().parent if _SHARED_DATA_ENV else ROOT.parent / "shared"
FONT_CANDIDATES = [
    "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
]


def font(size: int) -> ImageFont.FreeTypeFont:
    for candidate in FONT_CANDIDATES:
        if Path(candidate).exists():
            return ImageFont.truetype(candidate, size)
    import matplotlib

    return ImageFont.truetype(
        str(Path(matplotlib.get_data_path()) / "fonts/ttf/DejaVuSans-Bold.ttf"), size
    )


def render_text(
    lines: list[str], size: int = 48, margin: int = 40, width: int | None = None
) -> np.ndarray:
    """Black text on white, one line per entry: a tiny, known-answer OCR input."""
    f = font(size)
    line_h = int(size * 1.6)
    w = width or max(int(f.getlength(t)) for t in lines) + 2 * margin
    img = Image.new("RGB", (w, line_h * len(lines) + 2 * margin), "white")
    draw = ImageDraw.Draw(img)
    for i, text in enumerate(lines):
        draw.text((margin, margin + i * line_h), text, fill="black", font=f)
    return np.asarray(img)


@pytest.fixture(scope="session")
def shared_data() -> Path:
    from ovocr.paths import shared_data_dir

    data = shared_data_dir()
    if data is None:
        where = _SHARED_DATA_ENV or ROOT.parent / "shared" / "data"
        pytest.skip(f"shared evaluation data not found at {where} (OVOCR_SHARED_DATA)")
    return data


@pytest.fixture(scope="session")
def rnb_photo(shared_data: Path) -> Path:
    path = shared_data / "samples" / "intel_rnb.jpg"
    if not path.exists():
        pytest.skip(f"tutorial photo not found at {path}")
    return path


def missing_models(reason: str) -> None:
    """Skip with ``reason``; under ``CI`` (where ``make models`` ran) fail instead."""
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (CI is set: prepared models are required)", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def requires_models() -> dict:
    """The prepared default models, ``{"det": ..., "rec": ..., "cls": ...}``.

    The one gate of every test that needs models: it never prepares (downloads) one. A
    missing model skips the test with the reason printed, or fails it when ``CI`` is set.
    """
    from ovocr import models

    names = {"det": models.DEFAULT_DET, "rec": models.DEFAULT_REC, "cls": models.DEFAULT_CLS}
    missing = [name for name in names.values() if not models.is_prepared(name)]
    if missing:
        missing_models(f"default models not prepared: {', '.join(missing)}; run `make models`")
    return {task: models.get_model(name, task) for task, name in names.items()}


@pytest.fixture(scope="session")
def pipeline(requires_models):
    """The default pipeline, f32 so that recognised text is the same on every CPU."""
    import ovocr

    return ovocr.load_pipeline(device="CPU", precision="f32")
