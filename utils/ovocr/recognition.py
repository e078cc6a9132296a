"""Text recognition: read the characters in cropped text images.

Three steps kept apart (explained in 04-text-recognition):

1. ``resize_normalise``: a crop in, a normalised tensor out. ``TextRecognizer`` pads each
   crop to a width picked from a few fixed sizes (``bucket_width``) and batches crops of
   the same size (``plan_batches``); why that is faster is explained in 08-performance.
2. the compiled OpenVINO model: one probability row per time step (a slice of the crop).
3. ``ctc_greedy_decode`` (or ``eos_decode``): best class per time step, collapse repeats,
   drop blanks; then the text rules of ``ovocr.text`` (spaces, look-alikes, alphabet).

Each model family has its own class (``RECOGNIZERS``): PP-OCR CTC models, time-major CTC
models (Open Model Zoo ``text-recognition-0014``) and end-of-sequence models
(``text-recognition-resnet-fc``). Settings are typed: ``ovocr.settings.RecParams``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np

from .devices import CompileOptions, ThreadRequests, compile_model
from .settings import ClsParams, RecParams
from .specs import ModelSpec, PreparedModel, family_class
from .text import TextRules


@dataclass(frozen=True)
class Reading:
    """What the recogniser read in one crop.

    Attributes:
        text: the decoded characters.
        confidence: mean probability of the emitted characters (0 for empty text).
        positions: centre of each character as a fraction (0..1) of the crop width.
        char_confidences: probability of each character (0..1); a word's confidence is
            the mean over its characters (``ovocr.builder.split_words``).
    """

    text: str
    confidence: float
    positions: tuple[float, ...] = ()
    char_confidences: tuple[float, ...] = ()


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
    crop: np.ndarray,
    height: int,
    width: int,
    params: RecParams | ClsParams,
    pad_to: int | None = None,
) -> np.ndarray:
    """Resize a crop to ``height`` x ``width`` and pad on the right to ``pad_to``; ``CxHxW``.

    ``params`` gives the channel order and normalisation. Padding is zeros *after*
    normalisation, as PP-OCR does in training.
    """
    if params.channels == "GRAY":
        img = cv2.cvtColor(crop, cv2.COLOR_RGB2GRAY)[:, :, None]
    else:
        img = crop[:, :, ::-1] if params.channels == "BGR" else crop
    img = cv2.resize(img, (width, height), interpolation=cv2.INTER_LINEAR)
    if img.ndim == 2:
        img = img[:, :, None]
    x = img.astype(np.float32) * (1.0 / 255.0)
    x = (x - np.asarray(params.mean, np.float32)) / np.asarray(params.std, np.float32)
    x = x.transpose(2, 0, 1)
    if pad_to and pad_to > width:
        x = np.pad(x, ((0, 0), (0, 0), (0, pad_to - width)))
    return x


def bucket_width(width: int, min_width: int = 160, max_width: int = 3200) -> int:
    """The padded input width for a crop resized to ``width``: one of four sizes per octave.

    Rounding up to a few fixed sizes keeps padding under 25%, makes a crop's padding (and
    so its text) independent of the crops it is batched with, and lets OpenVINO reuse the
    kernels it compiled for an input shape instead of compiling new ones for every width.
    Explained in 08-performance.

    >>> [bucket_width(w) for w in (40, 170, 300, 700, 5000)]
    [160, 192, 320, 768, 3200]
    """
    w = max(int(width), min_width, 8)
    step = 2 ** max(w.bit_length() - 3, 3)  # a quarter of the octave w lies in
    return min(-(-w // step) * step, max_width)


def plan_batches(
    widths: Sequence[int],
    batch_size: int,
    min_width: int = 160,
    max_width: int = 3200,
    max_columns: int = 0,
) -> list[tuple[int, list[int]]]:
    """Batches of crop indices that share a padded width: ``[(padded_width, indices)]``.

    Crops are grouped by ``bucket_width``; a group is cut into batches whose sizes are
    powers of two (7 crops -> 4 + 2 + 1), so few distinct input shapes ever reach the
    model. With ``max_columns``, a batch holds at most that many padded columns (but
    always one crop): wide lines go in smaller batches. Explained in 08-performance.

    >>> plan_batches([100, 700, 150, 120], batch_size=2)
    [(160, [0, 3]), (160, [2]), (768, [1])]
    >>> [len(b) for _, b in plan_batches([1500] * 4, batch_size=8, max_columns=3200)]
    [2, 2]
    """
    groups: dict[int, list[int]] = {}
    for i in sorted(range(len(widths)), key=lambda i: widths[i]):
        groups.setdefault(bucket_width(widths[i], min_width, max_width), []).append(i)
    batches = []
    for padded in sorted(groups):
        members = groups[padded]
        most = min(batch_size, max(max_columns // padded, 1)) if max_columns else batch_size
        while members:
            size = min(most, 1 << (len(members).bit_length() - 1))
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


class TextRecognizer(ThreadRequests):
    """A compiled recogniser with its pre- and post-processing; one subclass per family.

    ``TextRecognizer(model)`` builds the class of the model's family (``RECOGNIZERS``).
    Calling it reads a list of crops. The steps are public so that the many-image path
    (``ovocr.throughput``, 08-performance) runs them on asynchronous requests: ``plan``
    (which crops share a request), ``tensor`` (the padded input), ``output`` (a finished
    request's probabilities) and ``readings`` (decode them).

    The post-processor is ``text_rules`` (``ovocr.text.TextRules``): replace it, or pass
    ``rules`` to ``__call__``/``readings``, to read the same crops with another alphabet.

    Thread-safe: each thread that calls it runs its own inference request
    (``ovocr.devices.ThreadRequests``).

    Args:
        model: a prepared recognition model (``get_model("ppocrv6-small-rec")``).
        options: device and compile settings.
        **overrides: settings that replace the model's defaults (``RecParams``, e.g.
            ``batch_size`` or ``alphabet``); an unknown name raises ``SettingsError``.
    """

    @staticmethod
    def decoder(probs: np.ndarray, charset: Sequence[str]) -> tuple[str, float, np.ndarray]:
        """Decode one crop's ``[T, classes]`` probabilities: text, confidence, kept steps."""
        raise NotImplementedError  # each model family's class says how

    def __new__(
        cls, model: PreparedModel | None = None, *args: Any, **kwargs: Any
    ) -> TextRecognizer:
        # TextRecognizer(model) picks the family's class; copy.copy calls __new__ without a model.
        if cls is TextRecognizer and model is not None:
            cls = family_class(model, RECOGNIZERS, "recogniser")
        return super().__new__(cls)

    def __init__(
        self, model: PreparedModel, options: CompileOptions | None = None, **overrides: Any
    ) -> None:
        self.model = model
        self.settings: RecParams = self.settings_for(model.spec, overrides)
        self.charset = model.charset
        self.height = self.settings.height
        self.fixed_width = self.settings.width
        self.batch_size = 1 if self.fixed_width else self.settings.batch_size
        self.min_width = self.settings.min_width
        self.max_width = self.settings.max_width
        # Spaces, Unicode look-alikes, alphabet (ovocr.text, explained in 10-improving-accuracy).
        self.text_rules = self.rules(self.settings.alphabet)
        self.compiled = compile_model(model.path, options)

    @classmethod
    def settings_for(cls, spec: ModelSpec, overrides: dict[str, Any] | None = None) -> RecParams:
        """The settings this recogniser runs ``spec`` with: the registry's values (and
        ``overrides``) over ``RecParams``' defaults. The one rule, also for cache keys."""
        return RecParams.from_dict(spec.params, overrides or {})

    @property
    def params(self) -> RecParams:
        """The same as ``settings`` (the name notebook 04 uses)."""
        return self.settings

    def rules(self, alphabet: str | None) -> TextRules:
        """Text rules for this recogniser's charset with another ``alphabet``."""
        return TextRules(self.charset, alphabet)

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
            for padded, group in plan_batches(
                widths, self.batch_size, lo, hi, self.settings.max_batch_columns
            )
        ]

    def input_shape(self, batch: RecBatch) -> tuple[int, int, int, int]:
        """The ``[N, C, H, padded]`` shape of one request's input."""
        channels = 1 if self.settings.channels == "GRAY" else 3
        return (len(batch.indices), channels, self.height, batch.padded)

    def tensor(self, crops: Sequence[np.ndarray], batch: RecBatch) -> np.ndarray:
        """The ``[N, C, H, padded]`` input of one request, zero-padded on the right."""
        out = np.zeros(self.input_shape(batch), np.float32)
        for row, (i, width) in enumerate(zip(batch.indices, batch.widths)):
            out[row, :, :, :width] = resize_normalise(crops[i], self.height, width, self.settings)
        return out

    def probabilities(self, raw: np.ndarray) -> np.ndarray:
        """The model output as probabilities ``[N, T, classes]`` (PP-OCR: as it comes)."""
        return raw

    def output(self, request: Any) -> np.ndarray:
        """The probabilities of a finished request; valid until the request runs again."""
        return self.probabilities(request.get_output_tensor(0).data)

    def infer(self, batch: np.ndarray) -> np.ndarray:
        """Run the network on ``[N, C, H, W]``; return a copy of its probabilities."""
        self.request.infer({0: batch}, share_outputs=True)
        # A copy: the request reuses its output buffer on the next call.
        return np.array(self.output(self.request))

    def decode(
        self, probs: np.ndarray, width: int, padded: int, rules: TextRules | None = None
    ) -> Reading:
        """Decode one crop's ``[T, classes]`` probabilities; ``width`` of ``padded`` is text."""
        text, confidence, steps, chars = (rules or self.text_rules)(probs, self.decoder)
        step_px = padded / probs.shape[0]
        positions = tuple(float(min((s + 0.5) * step_px / width, 1.0)) for s in steps)
        return Reading(text, confidence, positions, tuple(float(c) for c in chars))

    def readings(
        self, probs: np.ndarray, batch: RecBatch, rules: TextRules | None = None
    ) -> list[Reading]:
        """Decode the probabilities of one request, one ``Reading`` per crop of ``batch``."""
        return [
            self.decode(probs[row], w, batch.padded, rules) for row, w in enumerate(batch.widths)
        ]

    def __call__(
        self, crops: Sequence[np.ndarray], rules: TextRules | None = None
    ) -> list[Reading]:
        """Read each crop (with ``rules`` instead of ``text_rules`` if given); an empty
        crop gives an empty ``Reading``."""
        results: list[Reading] = [Reading("", 0.0)] * len(crops)
        for batch in self.plan(crops):
            self.request.infer({0: self.tensor(crops, batch)}, share_outputs=True)
            for i, reading in zip(
                batch.indices, self.readings(self.output(self.request), batch, rules)
            ):
                results[i] = reading
        return results


class CtcRecognizer(TextRecognizer):
    """PP-OCR recognisers: probabilities ``[N, T, classes]``, greedy CTC decoding."""

    @staticmethod
    def decoder(probs: np.ndarray, charset: Sequence[str]) -> tuple[str, float, np.ndarray]:
        return ctc_greedy_decode(probs, charset)


class TimeMajorCtcRecognizer(CtcRecognizer):
    """CTC models that return raw scores time-major, ``[T, N, classes]``
    (Open Model Zoo ``text-recognition-0014``): transposed and soft-maxed first."""

    def probabilities(self, raw: np.ndarray) -> np.ndarray:
        out = raw.transpose(1, 0, 2)
        out = np.exp(out - out.max(axis=2, keepdims=True))
        return out / out.sum(axis=2, keepdims=True)


class EosRecognizer(TextRecognizer):
    """One symbol per step until an end symbol (Open Model Zoo ResNet-FC)."""

    @staticmethod
    def decoder(probs: np.ndarray, charset: Sequence[str]) -> tuple[str, float, np.ndarray]:
        return eos_decode(probs, charset)


# Model family (``ModelSpec.family``) -> the class that runs it.
RECOGNIZERS: dict[str, type[TextRecognizer]] = {
    "ctc": CtcRecognizer,
    "ctc_tbc": TimeMajorCtcRecognizer,
    "fc_eos": EosRecognizer,
}


class AngleClassifier(ThreadRequests):
    """Tells whether a text crop is upside down (PP-OCR 0/180 degree classifier).

    Thread-safe: each thread that calls it runs its own inference request.
    """

    def __init__(
        self, model: PreparedModel, options: CompileOptions | None = None, **overrides: Any
    ) -> None:
        self.settings: ClsParams = ClsParams.from_dict(model.spec.params, overrides)
        self.compiled = compile_model(model.path, options)

    def __call__(self, crops: Sequence[np.ndarray]) -> list[bool]:
        """``True`` for each crop the model is confident is rotated by 180 degrees."""
        height, width = self.settings.height, self.settings.width
        flipped = [False] * len(crops)
        valid = [i for i, c in enumerate(crops) if c.ndim == 3 and min(c.shape[:2]) >= 2]
        for start in range(0, len(valid), self.settings.batch_size):
            idx = valid[start : start + self.settings.batch_size]
            batch = []
            for i in idx:
                crop = crops[i]
                w = min(width, max(1, math.ceil(height * crop.shape[1] / crop.shape[0])))
                batch.append(resize_normalise(crop, height, w, self.settings, width))
            self.request.infer({0: np.stack(batch)})
            probs = self.request.get_output_tensor(0).data
            for row, i in enumerate(idx):
                flipped[i] = bool(probs[row].argmax() == 1 and probs[row, 1] > self.settings.thresh)
        return flipped
