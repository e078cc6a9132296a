"""Text recognition: read the characters in cropped text images.

Three steps kept apart (explained in 04-text-recognition):

1. ``resize_normalise`` + ``make_batches``: crops in, padded tensors out. Crops are sorted
   by width and batched so that crops of similar width share a batch (little padding).
2. the compiled OpenVINO model: one probability row per time step (a slice of the crop).
3. ``ctc_greedy_decode``: best class per time step, collapse repeats, drop blanks.

``TextRecognizer`` pads each crop to a width picked from a few fixed sizes
(``bucket_width``) and batches crops of the same size (``plan_batches``); why that is
faster is explained in 07-performance.
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
from .text import TextRules


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
    the blank: ``b-uu-i-l-d-i-nn-g`` -> ``building``; a blank between two equal classes
    keeps both: ``2-2-0-0`` -> ``2200``.

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


def bucket_width(width: int, min_width: int = 160, max_width: int = 3200) -> int:
    """The padded input width for a crop resized to ``width``: one of four sizes per octave.

    Rounding up to a few fixed sizes keeps padding under 25%, makes a crop's padding (and
    so its text) independent of the crops it is batched with, and lets OpenVINO reuse the
    kernels it compiled for an input shape instead of compiling new ones for every width.
    Explained in 07-performance.

    >>> [bucket_width(w) for w in (40, 170, 300, 700, 5000)]
    [160, 192, 320, 768, 3200]
    """
    w = max(int(width), min_width, 8)
    step = 2 ** max(w.bit_length() - 3, 3)  # a quarter of the octave w lies in
    return min(-(-w // step) * step, max_width)


def plan_batches(
    widths: Sequence[int], batch_size: int, min_width: int = 160, max_width: int = 3200
) -> list[tuple[int, list[int]]]:
    """Batches of crop indices that share a padded width: ``[(padded_width, indices)]``.

    Crops are grouped by ``bucket_width``; a group is cut into batches whose sizes are
    powers of two (7 crops -> 4 + 2 + 1), so few distinct input shapes ever reach the
    model. Explained in 07-performance.

    >>> plan_batches([100, 700, 150, 120], batch_size=2)
    [(160, [0, 3]), (160, [2]), (768, [1])]
    """
    groups: dict[int, list[int]] = {}
    for i in sorted(range(len(widths)), key=lambda i: widths[i]):
        groups.setdefault(bucket_width(widths[i], min_width, max_width), []).append(i)
    batches = []
    for padded in sorted(groups):
        members = groups[padded]
        while members:
            size = min(batch_size, 1 << (len(members).bit_length() - 1))
            batches.append((padded, members[:size]))
            members = members[size:]
    return batches


@dataclass(frozen=True)
class RecBatch:
    """One inference request of the recogniser.

    Attributes:
        indices: positions of its crops in the list given to the recogniser.
        widths: each crop's width after resizing to the model height.
        padded: the common input width the crops are padded to.
    """

    indices: tuple[int, ...]
    widths: tuple[int, ...]
    padded: int


class TextRecognizer:
    """A compiled recogniser with its pre- and post-processing.

    Calling it reads a list of crops. The steps are public so that the many-image path of
    the pipeline (07-performance) can run them on asynchronous requests: ``plan`` (which
    crops share a request), ``tensor`` (the padded input), ``probabilities`` and
    ``readings`` (decode one request's output).

    Args:
        model: a prepared recognition model (``get_model("ppocrv6-small-rec")``).
        options: device and compile settings.
        batch_size: most crops per inference request.
        min_width: narrowest padded input. PP-OCR pads to at least 320 pixels; 160 reads
            short words as well (ICDAR 2015 and IIIT5K words, measured in 07-performance)
            at about half the cost.
        max_width: widest input; longer lines are squeezed to fit.
    """

    def __init__(
        self,
        model: PreparedModel,
        options: CompileOptions | None = None,
        batch_size: int = 8,
        min_width: int = 160,
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
        # Spaces, Unicode look-alikes, alphabet (ovocr.text, explained in 08-accuracy).
        self.text_rules = TextRules(self.charset, self.params.get("alphabet"))
        self.compiled = compile_model(model.path, options)
        self.request = self.compiled.create_infer_request()

    def target_width(self, crop: np.ndarray) -> int:
        """Width the crop is resized to, keeping its aspect ratio at the model height."""
        if self.fixed_width:
            return int(self.fixed_width)
        ratio = crop.shape[1] / max(crop.shape[0], 1)
        return int(min(max(math.ceil(self.height * ratio), 1), self.max_width))

    def plan(self, crops: Sequence[np.ndarray]) -> list[RecBatch]:
        """Split the readable crops into requests of one padded width (``plan_batches``).

        Crops smaller than 2 pixels are left out; they read as empty text.
        """
        valid = [i for i, c in enumerate(crops) if c.ndim == 3 and min(c.shape[:2]) >= 2]
        widths = [self.target_width(crops[i]) for i in valid]
        if self.fixed_width:
            lo = hi = int(self.fixed_width)
        else:
            lo, hi = self.min_width, self.max_width
        return [
            RecBatch(tuple(valid[g] for g in group), tuple(widths[g] for g in group), padded)
            for padded, group in plan_batches(widths, self.batch_size, lo, hi)
        ]

    def tensor(self, crops: Sequence[np.ndarray], batch: RecBatch) -> np.ndarray:
        """The ``[N, C, H, padded]`` input of one request, zero-padded on the right."""
        channels = 1 if self.params.get("channels") == "GRAY" else 3
        out = np.zeros((len(batch.indices), channels, self.height, batch.padded), np.float32)
        for row, (i, width) in enumerate(zip(batch.indices, batch.widths)):
            out[row, :, :, :width] = resize_normalise(crops[i], self.height, width, self.params)
        return out

    def probabilities(self, raw: np.ndarray) -> np.ndarray:
        """The model output as probabilities ``[N, T, classes]``.

        Time-major models (``ctc_tbc``, raw logits ``[T, N, C]``) are transposed and
        soft-maxed; the others already return probabilities and are passed through.
        """
        if self.family == "ctc_tbc":
            out = raw.transpose(1, 0, 2)
            out = np.exp(out - out.max(axis=2, keepdims=True))
            return out / out.sum(axis=2, keepdims=True)
        return raw

    def infer(self, batch: np.ndarray) -> np.ndarray:
        """Run the network on ``[N, C, H, W]``; return probabilities ``[N, T, classes]``."""
        self.request.infer({0: batch}, share_outputs=True)
        # A copy: the request reuses its output buffer on the next call.
        return np.array(self.probabilities(self.request.get_output_tensor(0).data))

    def decode(self, probs: np.ndarray, width: int, padded: int) -> Reading:
        """Decode one crop's ``[T, classes]`` probabilities; ``width`` of ``padded`` is text."""
        decode = eos_decode if self.family == "fc_eos" else ctc_greedy_decode
        text, confidence, steps = self.text_rules(probs, decode)
        step_px = padded / probs.shape[0]
        positions = tuple(float(min((s + 0.5) * step_px / width, 1.0)) for s in steps)
        return Reading(text, confidence, positions)

    def readings(self, probs: np.ndarray, batch: RecBatch) -> list[Reading]:
        """Decode the probabilities of one request, one ``Reading`` per crop of ``batch``."""
        return [self.decode(probs[row], w, batch.padded) for row, w in enumerate(batch.widths)]

    def __call__(self, crops: Sequence[np.ndarray]) -> list[Reading]:
        """Read each crop; an empty crop gives an empty ``Reading``."""
        results: list[Reading] = [Reading("", 0.0)] * len(crops)
        for batch in self.plan(crops):
            self.request.infer({0: self.tensor(crops, batch)}, share_outputs=True)
            probs = self.probabilities(self.request.get_output_tensor(0).data)
            for i, reading in zip(batch.indices, self.readings(probs, batch)):
                results[i] = reading
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
