"""Text recognition: read the characters in cropped text images.

Three steps kept apart (explained in 04-text-recognition):

1. ``resize_normalise`` + ``make_batches``: crops in, padded tensors out. Crops are sorted
   by width and batched so that crops of similar width share a batch (little padding).
2. the compiled OpenVINO model: one probability row per time step (a slice of the crop).
3. ``ctc_greedy_decode``: best class per time step, collapse repeats, drop blanks.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np

from .devices import CompileOptions, compile_model
from .models import PreparedModel


@dataclass(frozen=True)
class Reading:
    """What the recogniser read in one crop.

    Attributes:
        text: the decoded characters.
        confidence: mean probability of the emitted characters (0 for empty text).
        positions: centre of each character as a fraction (0..1) of the crop width.
    """

    text: str
    confidence: float
    positions: tuple[float, ...] = ()


def ctc_greedy_decode(
    probs: np.ndarray, charset: Sequence[str], blank: int = 0
) -> tuple[str, float, np.ndarray]:
    """Greedy CTC decoding of one ``[T, C]`` probability matrix.

    Keeps the best class per time step, then collapses runs of the same class and drops
    the blank: ``b-uu-i-l-d-i-n--n-g`` -> ``building`` (the blank between the two ``n``
    is what lets a real double letter survive).

    Returns:
        text, mean probability of kept steps, and the indices of the kept time steps.

    >>> p = np.eye(4)[[1, 1, 0, 2, 0, 2, 3]]
    >>> ctc_greedy_decode(p, ["-", "a", "b", "c"])[0]
    'abbc'
    """
    best = probs.argmax(axis=1)
    keep = best != blank
    keep[1:] &= best[1:] != best[:-1]
    steps = np.flatnonzero(keep)
    text = "".join(charset[i] for i in best[steps])
    confidence = float(probs[steps, best[steps]].mean()) if len(steps) else 0.0
    return text, confidence, steps


def eos_decode(
    probs: np.ndarray, charset: Sequence[str], eos: int = 0
) -> tuple[str, float, np.ndarray]:
    """Decode one symbol per step until the end symbol (Open Model Zoo ResNet-FC)."""
    best = probs.argmax(axis=1)
    stop = np.flatnonzero(best == eos)
    steps = np.arange(stop[0] if len(stop) else len(best))
    text = "".join(charset[i] for i in best[steps])
    confidence = float(probs[steps, best[steps]].mean()) if len(steps) else 0.0
    return text, confidence, steps


def resize_normalise(
    crop: np.ndarray, height: int, width: int, params: dict[str, Any], pad_to: int | None = None
) -> np.ndarray:
    """Resize a crop to ``height`` x ``width`` and pad on the right to ``pad_to``; ``CxHxW``.

    Padding is zeros *after* normalisation, as PP-OCR does in training.
    """
    channels = params.get("channels", "BGR")
    if channels == "GRAY":
        img = cv2.cvtColor(crop, cv2.COLOR_RGB2GRAY)[:, :, None]
    else:
        img = crop[:, :, ::-1] if channels == "BGR" else crop
    img = cv2.resize(img, (width, height), interpolation=cv2.INTER_LINEAR)
    if img.ndim == 2:
        img = img[:, :, None]
    x = img.astype(np.float32) * (1.0 / 255.0)
    x = (x - np.asarray(params["mean"], np.float32)) / np.asarray(params["std"], np.float32)
    x = x.transpose(2, 0, 1)
    if pad_to and pad_to > width:
        x = np.pad(x, ((0, 0), (0, 0), (0, pad_to - width)))
    return x


def make_batches(widths: Sequence[int], batch_size: int) -> list[list[int]]:
    """Group crop indices by width: sort, then cut into runs of at most ``batch_size``."""
    order = sorted(range(len(widths)), key=lambda i: widths[i])
    return [order[i : i + batch_size] for i in range(0, len(order), batch_size)]


class TextRecognizer:
    """A compiled recogniser with its pre- and post-processing.

    Args:
        model: a prepared recognition model (``get_model("ppocrv6-small-rec")``).
        options: device and compile settings.
        batch_size: crops per inference request.
        min_width: narrowest padded input; PP-OCR models were trained on 320-wide inputs.
        max_width: widest input; longer lines are squeezed to fit.
    """

    def __init__(
        self,
        model: PreparedModel,
        options: CompileOptions | None = None,
        batch_size: int = 8,
        min_width: int = 320,
        max_width: int = 3200,
    ) -> None:
        self.model = model
        self.params = model.spec.params
        self.charset = model.charset
        self.family = model.spec.family
        self.height = int(self.params["height"])
        self.fixed_width = self.params.get("width")
        self.batch_size = 1 if self.fixed_width else batch_size
        self.min_width = min_width
        self.max_width = max_width
        self.compiled = compile_model(model.path, options)
        self.request = self.compiled.create_infer_request()

    def target_width(self, crop: np.ndarray) -> int:
        """Width the crop is resized to, keeping its aspect ratio at the model height."""
        if self.fixed_width:
            return int(self.fixed_width)
        ratio = crop.shape[1] / max(crop.shape[0], 1)
        return int(min(max(math.ceil(self.height * ratio), 1), self.max_width))

    def infer(self, batch: np.ndarray) -> np.ndarray:
        """Run the network on ``[N, C, H, W]``; return probabilities ``[N, T, classes]``."""
        self.request.infer({0: batch})
        out = self.request.get_output_tensor(0).data
        if self.family == "ctc_tbc":  # time-major output [T, N, C] with raw logits
            out = out.transpose(1, 0, 2)
            out = np.exp(out - out.max(axis=2, keepdims=True))
            out /= out.sum(axis=2, keepdims=True)
        return out.copy()

    def decode(self, probs: np.ndarray, width: int, padded: int) -> Reading:
        decode = eos_decode if self.family == "fc_eos" else ctc_greedy_decode
        text, confidence, steps = decode(probs, self.charset)
        step_px = padded / probs.shape[0]
        positions = tuple(float(min((s + 0.5) * step_px / width, 1.0)) for s in steps)
        return Reading(text, confidence, positions)

    def __call__(self, crops: Sequence[np.ndarray]) -> list[Reading]:
        """Read each crop; an empty crop gives an empty ``Reading``."""
        results: list[Reading] = [Reading("", 0.0)] * len(crops)
        valid = [i for i, c in enumerate(crops) if c.ndim == 3 and min(c.shape[:2]) >= 2]
        widths = [self.target_width(crops[i]) for i in valid]
        for group in make_batches(widths, self.batch_size):
            padded = self.fixed_width or max(max(widths[g] for g in group), self.min_width)
            batch = np.stack(
                [
                    resize_normalise(crops[valid[g]], self.height, widths[g], self.params, padded)
                    for g in group
                ]
            )
            probs = self.infer(batch)
            for row, g in enumerate(group):
                results[valid[g]] = self.decode(probs[row], widths[g], padded)
        return results


class AngleClassifier:
    """Tells whether a text crop is upside down (PP-OCR 0/180 degree classifier)."""

    def __init__(
        self, model: PreparedModel, options: CompileOptions | None = None, batch_size: int = 8
    ) -> None:
        self.params = model.spec.params
        self.batch_size = batch_size
        self.compiled = compile_model(model.path, options)
        self.request = self.compiled.create_infer_request()

    def __call__(self, crops: Sequence[np.ndarray]) -> list[bool]:
        """``True`` for each crop the model is confident is rotated by 180 degrees."""
        height, width = int(self.params["height"]), int(self.params["width"])
        flipped = [False] * len(crops)
        valid = [i for i, c in enumerate(crops) if c.ndim == 3 and min(c.shape[:2]) >= 2]
        for start in range(0, len(valid), self.batch_size):
            idx = valid[start : start + self.batch_size]
            batch = []
            for i in idx:
                crop = crops[i]
                w = min(width, max(1, math.ceil(height * crop.shape[1] / crop.shape[0])))
                batch.append(resize_normalise(crop, height, w, self.params, width))
            self.request.infer({0: np.stack(batch)})
            probs = self.request.get_output_tensor(0).data
            for row, i in enumerate(idx):
                flipped[i] = bool(
                    probs[row].argmax() == 1 and probs[row, 1] > self.params["thresh"]
                )
        return flipped
