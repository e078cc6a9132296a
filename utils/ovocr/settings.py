"""Typed, validated settings of the OCR stages and of the OpenVINO runtime.

Each model family reads its settings from one frozen dataclass: ``DbParams`` (DB
detectors), ``BoxParams`` (Open Model Zoo box detectors), ``RecParams`` (recognisers) and
``ClsParams`` (angle classifiers). The registry gives every model its defaults; a user
overrides some of them by name (``load_pipeline(box_thresh=0.5)``). Every value is checked
when a settings object is made, so a mistake is one clear line instead of a setting that is
silently ignored:

    >>> DbParams.from_dict({"box_thres": 0.9})
    Traceback (most recent call last):
    ...
    ovocr.settings.SettingsError: unknown detector setting 'box_thres'; did you mean 'box_thresh'?
    >>> DbParams(box_thresh=0.5).box_thresh
    0.5

Explained in 03-text-detection (detector settings) and 05-ocr-pipeline.
"""

from __future__ import annotations

import dataclasses
import difflib
import types
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, Union, get_args, get_origin, get_type_hints

from .errors import OvocrError
from .text import ALPHABETS

Precision = Literal["f32", "bf16", "f16"]
Hint = Literal["LATENCY", "THROUGHPUT"]
# The usual device names; "GPU.1" or "AUTO:GPU,CPU" are accepted too (``devices.check_device``).
Device = Literal["AUTO", "CPU", "GPU", "NPU"]
Channels = Literal["BGR", "RGB", "GRAY"]
LimitType = Literal["max", "min", "width"]

PRECISIONS: tuple[str, ...] = get_args(Precision)
HINTS: tuple[str, ...] = get_args(Hint)


class SettingsError(OvocrError, ValueError):
    """A setting has an unknown name, a value of the wrong type or outside its range."""


def closest(name: str, choices: list[str] | tuple[str, ...]) -> str | None:
    """The valid name most like ``name`` (for "did you mean ...?"), or ``None``.

    >>> closest("box_thres", ["thresh", "box_thresh", "unclip_ratio"])
    'box_thresh'
    """
    found = difflib.get_close_matches(name, list(choices), n=1, cutoff=0.6)
    return found[0] if found else None


def check_choice(what: str, value: Any, choices: tuple[str, ...], upper: bool = False) -> str:
    """``value`` when it is one of ``choices`` (compared upper- or lower-cased), else an error.

    >>> check_choice("hint", "throughput", HINTS, upper=True)
    'THROUGHPUT'
    """
    text = value.strip() if isinstance(value, str) else value
    if isinstance(text, str):
        text = text.upper() if upper else text.lower()
    if text in choices:
        return text
    hint = closest(text, choices) if isinstance(text, str) else None
    maybe = f"; did you mean {hint!r}?" if hint else ""
    raise SettingsError(f"unknown {what} {value!r}{maybe} (choose one of {', '.join(choices)})")


def check_precision(precision: str | None) -> str | None:
    """``None`` (OpenVINO's choice) or one of ``PRECISIONS``."""
    return None if precision is None else check_choice("precision", precision, PRECISIONS)


def check_hint(hint: str) -> str:
    """One of ``HINTS``."""
    return check_choice("hint", hint, HINTS, upper=True)


def _limits(lo: float | None = None, hi: float | None = None, above: float | None = None) -> Any:
    """Field metadata: ``lo <= value <= hi`` and ``value > above``, where given."""
    return {"lo": lo, "hi": hi, "above": above}


def _describe(hint: Any) -> str:
    origin, args = get_origin(hint), get_args(hint)
    if origin is Literal:
        return "one of " + ", ".join(repr(a) for a in args)
    if origin in (Union, types.UnionType):
        return " or ".join(_describe(a) for a in args)
    if origin is tuple:
        plural = {int: "whole numbers", float: "numbers", str: "texts"}.get(args[0], "values")
        return f"a list of {plural}" if args[-1] is Ellipsis else f"{len(args)} {plural}"
    names = {int: "a whole number", float: "a number", str: "text", bool: "true or false"}
    return "None" if hint is type(None) else names.get(hint, str(hint))


def _convert(value: Any, hint: Any) -> Any:
    """``value`` as type ``hint`` (ints become floats, lists tuples); ``TypeError`` if not."""
    origin, args = get_origin(hint), get_args(hint)
    if origin is Literal:
        if value in args:
            return value
    elif origin in (Union, types.UnionType):
        for option in args:
            try:
                return _convert(value, option)
            except TypeError:
                continue
    elif origin is tuple:
        if isinstance(value, (list, tuple)):
            kinds = [args[0]] * len(value) if args[-1] is Ellipsis else list(args)
            if len(kinds) == len(value) and value:
                return tuple(_convert(v, k) for k, v in zip(kinds, value))
    elif hint is type(None):
        if value is None:
            return None
    elif isinstance(value, bool):
        if hint is bool:
            return value
    elif hint is float and isinstance(value, (int, float)):
        return float(value)
    elif hint in (int, str) and isinstance(value, hint):
        return value
    raise TypeError(value)


@dataclass(frozen=True)
class StageSettings:
    """Validation shared by every settings class: names, types, ranges, choices."""

    KIND = "stage"

    def __post_init__(self) -> None:
        hints = get_type_hints(type(self))
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            try:
                value = _convert(value, hints[f.name])
            except TypeError:
                raise SettingsError(
                    f"{self.KIND} setting {f.name}={value!r}: expected {_describe(hints[f.name])}"
                ) from None
            self._check_range(f, value)
            object.__setattr__(self, f.name, value)

    def _check_range(self, f: dataclasses.Field, value: Any) -> None:
        meta = f.metadata
        choices = meta.get("choices")
        if choices is not None and value not in choices:
            raise SettingsError(
                f"{self.KIND} setting {f.name}={value!r}: choose one of "
                + ", ".join(repr(c) for c in choices)
            )
        numbers = value if isinstance(value, tuple) else (value,)
        for v in numbers:
            if not isinstance(v, (int, float)) or isinstance(v, bool):
                continue
            lo, hi, above = meta.get("lo"), meta.get("hi"), meta.get("above")
            if (lo is not None and v < lo) or (hi is not None and v > hi):
                rule = f"from {lo} to {hi}" if hi is not None else f"at least {lo}"
                raise SettingsError(f"{self.KIND} setting {f.name}={value!r}: must be {rule}")
            if above is not None and v <= above:
                raise SettingsError(
                    f"{self.KIND} setting {f.name}={value!r}: must be more than {above}"
                )

    @classmethod
    def names(cls) -> list[str]:
        return [f.name for f in dataclasses.fields(cls)]

    @classmethod
    def from_dict(cls, *layers: Mapping[str, Any] | None) -> Any:
        """Settings from one or more mappings, later ones overriding earlier ones.

        Raises:
            SettingsError: an unknown name (naming the closest valid one), a wrong type or
                a value out of range.
        """
        merged: dict[str, Any] = {}
        for layer in layers:
            merged.update(layer or {})
        valid = cls.names()
        for name in merged:
            if name not in valid:
                hint = closest(str(name), valid)
                maybe = f"; did you mean {hint!r}?" if hint else f" (valid: {', '.join(valid)})"
                raise SettingsError(f"unknown {cls.KIND} setting {name!r}{maybe}")
        return cls(**merged)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclass(frozen=True)
class DbParams(StageSettings):
    """Settings of DB (differentiable binarisation) detection.

    Attributes:
        limit_side_len: target side length for resizing.
        limit_type: ``max`` shrinks the longer side to at most ``limit_side_len``;
            ``min`` grows the shorter side to at least ``limit_side_len`` (and never
            shrinks: small scene text needs every pixel); ``width`` scales the width to
            ``limit_side_len``, up or down (lines run across the width: 10-improving-accuracy).
        max_side_len: the longer side is never resized beyond this (memory and time).
        max_upscale: an image is never enlarged more than this factor: enlarging adds no
            detail, and text that grows too large is as hard for DB as text too small
            (a 40-pixel crop of one field must not become a 960-pixel image).
        thresh: a pixel is text when its probability exceeds this.
        box_thresh: a region is kept when its mean probability exceeds this.
        unclip_ratio: how far to grow the shrunk text kernel back to the text's size.
        min_size: regions whose shorter side is smaller (in map pixels) are dropped.
        max_candidates: at most this many contours are examined.
        mean, std: per-channel normalisation of 0..1 pixel values.
        channels: channel order the network expects.
        strip_rows: inputs taller than this run as overlapping strips of about this many
            rows, glued back into one map (``ovocr.strips``: bounded memory on long
            pages, 08-performance); 0 runs every input whole.
        strip_overlap: rows neighbouring strips share (each kept row sees half of them).
        page_rows_step: inputs taller than wide (pages) are padded at the bottom to a
            multiple of this many rows (a page read in strips: strips of one such
            height), and to ``limit_side_len`` columns when a little narrower, so a run
            over pages of many lengths gives the network few input shapes (OpenVINO keeps
            memory for each: 50 SROIE receipts peaked 485 MB lower with 128 than with 32,
            ``detection.padded_shape``); 32 pads nothing. Photos are never padded.
        text_height: pages at their own resolution (08-performance): when more than 0, a
            page (taller than wide) is first detected ``probe_width`` pixels wide, and
            read at the narrowest of ``page_widths`` at which the median height of the
            regions found is at least this many pixels (``limit_side_len`` when none
            is); 0 reads every page at ``limit_side_len``. Landscape inputs never probe.
        probe_width: width of the cheap first pass of ``text_height``.
        page_widths: the widths a page may be read at (few: each is an input shape).
    """

    KIND = "detector"

    limit_side_len: int = field(default=960, metadata=_limits(lo=1))
    limit_type: LimitType = "max"
    max_side_len: int = field(default=2560, metadata=_limits(lo=32))
    max_upscale: float = field(default=2.0, metadata=_limits(above=0))
    thresh: float = field(default=0.3, metadata=_limits(0, 1))
    box_thresh: float = field(default=0.6, metadata=_limits(0, 1))
    unclip_ratio: float = field(default=1.5, metadata=_limits(lo=0))
    min_size: float = field(default=3.0, metadata=_limits(lo=0))
    max_candidates: int = field(default=3000, metadata=_limits(lo=1))
    mean: tuple[float, ...] = (0.485, 0.456, 0.406)
    std: tuple[float, ...] = field(default=(0.229, 0.224, 0.225), metadata=_limits(above=0))
    channels: Literal["BGR", "RGB"] = "BGR"
    strip_rows: int = field(default=1024, metadata=_limits(lo=0))
    strip_overlap: int = field(default=128, metadata=_limits(lo=64))
    page_rows_step: int = field(default=128, metadata=_limits(lo=32))
    text_height: float = field(default=0.0, metadata=_limits(lo=0))
    probe_width: int = field(default=480, metadata=_limits(lo=32))
    page_widths: tuple[int, ...] = field(default=(480, 640, 960), metadata=_limits(lo=32))


@dataclass(frozen=True)
class BoxParams(StageSettings):
    """Settings of an Open Model Zoo box detector (``[N, 5]`` boxes out).

    Attributes:
        size: the network's fixed input ``(width, height)``; images are stretched to it.
        score_thresh: boxes scored at most this are dropped.
        channels: channel order the network expects.
    """

    KIND = "box detector"

    size: tuple[int, int] = field(default=(704, 704), metadata=_limits(lo=1))
    score_thresh: float = field(default=0.3, metadata=_limits(0, 1))
    channels: Literal["BGR", "RGB"] = "BGR"


@dataclass(frozen=True)
class RecParams(StageSettings):
    """Settings of a text recogniser.

    Attributes:
        height: input height every crop is resized to.
        width: a fixed input width (Open Model Zoo models), or ``None`` to keep each
            crop's aspect ratio.
        mean, std: per-channel normalisation of 0..1 pixel values.
        channels: channel order (or ``GRAY``) the network expects.
        alphabet: ``None`` (every class), ``"english"``, ``"latin"`` or ``"auto"``
            (``ovocr.text.TextRules``, 10-improving-accuracy).
        batch_size: most crops per inference request.
        min_width: narrowest padded input. PP-OCR pads to at least 320 pixels; 160 reads
            short words as well (ICDAR 2015 and IIIT5K words, measured in 08-performance)
            at about half the cost.
        max_width: widest input; longer lines are squeezed to fit.
        max_batch_columns: most padded columns (crops x width) in one request, 0 for no
            limit: wide lines go in smaller batches, which bounds the recogniser's memory
            (8 x 3200 columns cost OpenVINO 0.7 GB per stream, 08-performance; 2560 rather
            than 5120: 90 MB less peak memory over 50 SROIE receipts, same text).
    """

    KIND = "recogniser"

    height: int = field(default=48, metadata=_limits(lo=1))
    width: int | None = field(default=None, metadata=_limits(lo=1))
    mean: tuple[float, ...] = (0.5, 0.5, 0.5)
    std: tuple[float, ...] = field(default=(0.5, 0.5, 0.5), metadata=_limits(above=0))
    channels: Channels = "BGR"
    alphabet: str | None = field(default=None, metadata={"choices": (*ALPHABETS, "auto", None)})
    batch_size: int = field(default=8, metadata=_limits(lo=1))
    min_width: int = field(default=160, metadata=_limits(lo=8))
    max_width: int = field(default=3200, metadata=_limits(lo=8))
    max_batch_columns: int = field(default=2560, metadata=_limits(lo=0))


@dataclass(frozen=True)
class ClsParams(StageSettings):
    """Settings of a 0/180 degree angle classifier.

    Attributes:
        height, width: the fixed input size.
        mean, std: per-channel normalisation of 0..1 pixel values.
        channels: channel order the network expects.
        labels: class names; class 1 means "turned by 180 degrees".
        thresh: a crop is turned over when class 1 is this likely.
        batch_size: most crops per inference request.
    """

    KIND = "classifier"

    height: int = field(default=48, metadata=_limits(lo=1))
    width: int = field(default=192, metadata=_limits(lo=1))
    mean: tuple[float, ...] = (0.5, 0.5, 0.5)
    std: tuple[float, ...] = field(default=(0.5, 0.5, 0.5), metadata=_limits(above=0))
    channels: Channels = "BGR"
    labels: tuple[str, ...] = ("0", "180")
    thresh: float = field(default=0.9, metadata=_limits(0, 1))
    batch_size: int = field(default=8, metadata=_limits(lo=1))
