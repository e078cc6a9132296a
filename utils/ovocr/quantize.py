"""INT8 models by post-training quantisation with NNCF.

Explained in 08-performance. ``ovocr models prepare ppocrv6-small-det-int8`` (or
``-rec-int8``) quantises a prepared model without any training or labels: NNCF runs it on
a few hundred calibration inputs, records the range of every activation, and stores the
weights as 8-bit integers with quantise/dequantise steps that OpenVINO turns into INT8
kernels (VNNI instructions on recent x86 CPUs).

Calibration inputs never come from an evaluation set: they are the SROIE *training*
receipts in ``../shared/data/sroie_train`` (real scans) when present, plus scene-like
pictures rendered here with a seeded random generator (so a fresh clone can prepare the
models offline). The recogniser is calibrated on the text regions the default detector
finds in the same pictures, batched exactly as the pipeline batches them.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from PIL import Image, ImageDraw

from .detection import TextDetector
from .devices import CompileOptions, get_core
from .errors import ModelError
from .geometry import crop_quad
from .images import load_image
from .paths import shared_data_dir
from .recognition import TextRecognizer
from .specs import ModelSpec, PreparedModel
from .store import CHARSET, write_entry

SCENES = 120  # rendered calibration pictures
RECEIPTS = 100  # SROIE training receipts, when present
REC_INPUTS = 300  # recogniser batches used for calibration
# Detector inputs are cut to at most this many rows: a receipt 960 pixels wide can be 2560
# tall, and NNCF's memory grows with the input (12 GB for whole receipts). The network is
# convolutional, so a window at the same scale shows the same activation ranges.
DET_ROWS = 960
SEED = 2024
# Sign and receipt vocabulary for the rendered scenes, one word per space.
WORDS = (
    "OPEN CLOSED EXIT ENTRANCE SALE 50% OFF Coffee Bakery Street Avenue Road PARKING "
    "Hotel Station Platform 3 Gate B12 Pharmacy Open 24h Welcome Thank you TOTAL 12.50 "
    "Cash Change Tel: +65 6123 4567 www.example.com NO SMOKING Caution Wet Floor Level 2 "
    "Lift Toilets Information Tickets Departures Arrivals Menu Tea Noodles Rice Fresh Fruit"
)


def render_scene(rng: np.random.Generator, size: tuple[int, int] = (1280, 720)) -> np.ndarray:
    """A scene-like RGB picture: a smooth blotchy background with signs of random text."""
    from .viz import unicode_font

    width, height = size
    corners = (rng.uniform(40, 220) + rng.normal(0, 35, (3, 4, 3))).astype(np.float32)
    background = cv2.resize(corners, (width, height), interpolation=cv2.INTER_CUBIC)
    blotches = cv2.resize(
        rng.normal(0, 15, (height // 40, width // 40, 3)).astype(np.float32),
        (width, height),
        interpolation=cv2.INTER_CUBIC,
    )
    picture = Image.fromarray(np.clip(background + blotches, 0, 255).astype(np.uint8))
    for _ in range(int(rng.integers(3, 9))):
        text = " ".join(rng.choice(WORDS.split(), size=int(rng.integers(1, 4))))
        font = unicode_font(int(rng.integers(14, 80)), bold=bool(rng.integers(2)))
        ink = tuple(int(v) for v in rng.integers(0, 256, 3))
        plate = tuple(255 - v for v in ink)
        left, top, right, bottom = font.getbbox(text)
        margin = int(rng.integers(2, 20))
        sign = Image.new("RGBA", (int(right) + 2 * margin, int(bottom) + 2 * margin), (0, 0, 0, 0))
        draw = ImageDraw.Draw(sign)
        if rng.random() < 0.6:
            draw.rectangle((0, 0, *sign.size), fill=(*plate, 255))
        draw.text((margin - left, margin - top), text, font=font, fill=(*ink, 255))
        sign = sign.rotate(float(rng.normal(0, 8)), expand=True, resample=Image.Resampling.BICUBIC)
        x = int(rng.integers(0, max(1, width - sign.width)))
        y = int(rng.integers(0, max(1, height - sign.height)))
        picture.paste(sign, (x, y), sign)
    return np.asarray(picture)


def calibration_images(scenes: int = SCENES, receipts: int = RECEIPTS) -> list[np.ndarray]:
    """Rendered scenes, plus the SROIE training receipts when ``../shared/data`` is there."""
    rng = np.random.default_rng(SEED)
    images = [render_scene(rng) for _ in range(scenes)]
    data = shared_data_dir()
    folder = data / "sroie_train" / "images" if data else None
    if folder is not None and folder.is_dir():
        images += [load_image(p) for p in sorted(folder.glob("*.jpg"))[:receipts]]
    return images


def calibration_inputs(
    task: str, images: list[np.ndarray], detector: TextDetector, recognizer: TextRecognizer | None
) -> list[np.ndarray]:
    """The network inputs the pipeline would make from ``images``, for ``det`` or ``rec``."""
    inputs: list[np.ndarray] = []
    for image in images:
        tensor, scale = detector.preprocess(image)
        if task == "det":
            top = max(0, (tensor.shape[2] - DET_ROWS) // 2 // 32 * 32)  # the middle window
            inputs.append(np.ascontiguousarray(tensor[:, :, top : top + DET_ROWS]))
            continue
        assert recognizer is not None
        detections = detector.postprocess(detector.infer(tensor), scale, image.shape[:2])
        crops = [crop_quad(image, q) for q in detections.quads]
        inputs += [recognizer.tensor(crops, batch) for batch in recognizer.plan(crops)]
    if task == "rec":  # spread over the images rather than the first ones only
        step = max(1, len(inputs) // REC_INPUTS)
        inputs = inputs[::step][:REC_INPUTS]
    return inputs


def quantize_model(path: Path, inputs: list[np.ndarray], transformer: bool) -> Any:
    """An INT8 ``ov.Model`` of the model at ``path``, calibrated on ``inputs``."""
    import nncf

    nncf.set_log_level(logging.WARNING)
    model = get_core().read_model(str(path))
    return nncf.quantize(
        model,
        nncf.Dataset(inputs),
        subset_size=len(inputs),
        fast_bias_correction=True,
        model_type=nncf.ModelType.TRANSFORMER if transformer else None,
    )


def require_nncf(name: str) -> None:
    """Raise a clear ``ModelError`` when NNCF is not installed (before any slow work)."""
    try:
        import nncf  # noqa: F401
    except ImportError:
        raise ModelError(
            f"{name}: quantising needs the nncf package (pip install nncf==3.4.0)"
        ) from None


def prepare_int8(
    spec: ModelSpec,
    target: Path,
    base: PreparedModel,
    detector: PreparedModel,
    say: Callable[[str], None],
) -> None:
    """Quantise ``base`` (the prepared ``spec.base``) and commit it as the entry ``target``.

    ``detector`` finds the text regions that calibrate a recogniser (``base`` itself when
    ``spec`` is a detector). The caller prepares both, so this module needs no model store
    lookups (``ovocr.models.prepare`` calls it).
    """
    require_nncf(spec.name)
    import nncf
    import openvino as ov

    options = CompileOptions("CPU", precision="f32", cache_dir=None)
    det = TextDetector(detector, options)
    recognizer = TextRecognizer(base, options) if spec.task == "rec" else None
    say(f"{spec.name}: rendering calibration pictures")
    inputs = calibration_inputs(spec.task, calibration_images(), det, recognizer)
    say(f"{spec.name}: quantising {spec.base} on {len(inputs)} inputs (a few minutes)")
    model = quantize_model(base.path, inputs, transformer=spec.task == "rec")

    def build(tmp: Path) -> tuple[str, dict[str, Any]]:
        ov.save_model(model, str(tmp / "model.xml"))
        if base.charset:
            (tmp / CHARSET).write_text(
                json.dumps(list(base.charset), ensure_ascii=False), encoding="utf-8"
            )
        return "model.xml", {
            "source": f"nncf=={nncf.__version__}",
            "base": spec.base,
            "calibration": f"{len(inputs)} {spec.task} inputs (rendered scenes, SROIE train)",
            "openvino": ov.__version__,
        }

    write_entry(target, build)
