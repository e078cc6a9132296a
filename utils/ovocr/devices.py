"""Choosing an OpenVINO device and compiling models for it.

Explained in 02-device-selection. One ``ov.Core`` is shared by the whole process, so
devices are enumerated once and the model cache is configured in one place.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from .errors import DeviceError, ModelError

VIRTUAL_DEVICES = ("AUTO",)


@lru_cache(maxsize=1)
def get_core() -> Any:
    """The process-wide ``ov.Core``."""
    import openvino as ov

    return ov.Core()


def available_devices() -> list[str]:
    """Physical devices OpenVINO can use here, e.g. ``['CPU']`` or ``['CPU', 'GPU']``."""
    return list(get_core().available_devices)


def device_choices() -> list[str]:
    """What a user may pick: the physical devices plus ``AUTO``."""
    return [*available_devices(), *VIRTUAL_DEVICES]


def default_device() -> str:
    """``$OVOCR_DEVICE`` when set (the non-widget way to choose), else ``AUTO``."""
    return os.environ.get("OVOCR_DEVICE", "AUTO").strip() or "AUTO"


def check_device(device: str) -> str:
    """Return ``device`` upper-cased, or raise ``DeviceError`` listing what exists.

    ``AUTO``, ``MULTI:...``/``HETERO:...`` compositions and ``GPU.1``-style names are
    checked device by device.
    """
    name = device.strip().upper()
    have = available_devices()
    parts = name.split(":", 1)[1].split(",") if ":" in name else [name]
    families = {d.split(".")[0] for d in have}
    for part in parts:
        if part in VIRTUAL_DEVICES or part in have or part.split(".")[0] in families:
            continue
        raise DeviceError(
            f"device {device!r} is not available on this machine; "
            f"choose one of {', '.join(device_choices())}"
        )
    return name


@dataclass(frozen=True)
class CompileOptions:
    """How to compile a model.

    Attributes:
        device: ``CPU``, ``GPU``, ``AUTO``...
        hint: ``LATENCY`` (one image at a time) or ``THROUGHPUT`` (many in parallel).
        precision: ``f32``, ``bf16``, ``f16`` or ``None`` for OpenVINO's default (bf16 on
            CPUs with AMX or AVX512-BF16: faster, but results may differ slightly).
        cache_dir: folder for OpenVINO's compiled-model cache (second start is faster).
    """

    device: str = "AUTO"
    hint: str = "LATENCY"
    precision: str | None = None
    cache_dir: str | None = None

    def config(self) -> dict[str, str]:
        cfg = {"PERFORMANCE_HINT": self.hint}
        if self.precision:
            cfg["INFERENCE_PRECISION_HINT"] = self.precision
        if self.cache_dir:
            cfg["CACHE_DIR"] = str(self.cache_dir)
        return cfg


def resolve_cache_dir(cache_dir: str | os.PathLike | None = None) -> str | None:
    """The compiled-model cache folder to use, or ``None`` for no cache.

    ``None`` picks the default: ``$OVOCR_CACHE_DIR`` when set (empty: no cache), else
    ``.ov_cache`` inside the models folder. ``""`` turns the cache off. With a cache,
    OpenVINO stores each compiled model there and the next start loads it instead of
    compiling again (explained in 07-performance). A folder that cannot be created
    means no cache rather than an error.
    """
    if cache_dir is None:
        env = os.environ.get("OVOCR_CACHE_DIR")
        if env is not None:
            cache_dir = env.strip()
        else:
            from .models import models_dir

            cache_dir = models_dir() / ".ov_cache"
    if not str(cache_dir):
        return None
    try:
        Path(cache_dir).mkdir(parents=True, exist_ok=True)
    except OSError:
        return None
    return str(cache_dir)


def compile_model(model: Any, options: CompileOptions | None = None) -> Any:
    """Compile a model (path or ``ov.Model``) with ``options``; raise clear errors."""
    options = options or CompileOptions()
    device = check_device(options.device)
    core = get_core()
    config = options.config()
    if device == "AUTO" or device.startswith(("AUTO:", "MULTI:", "HETERO:")):
        # AUTO forwards only what it knows; the precision hint goes to its CPU target.
        precision = config.pop("INFERENCE_PRECISION_HINT", None)
        if precision:
            config["DEVICE_PROPERTIES"] = {"CPU": {"INFERENCE_PRECISION_HINT": precision}}
    try:
        return core.compile_model(str(model) if isinstance(model, Path) else model, device, config)
    except RuntimeError as exc:
        first = (str(exc).strip().splitlines() or ["unknown error"])[0]
        raise ModelError(f"{model}: cannot compile for {device} ({first[:200]})") from None


def device_selector(description: str = "Device:") -> Any:
    """A dropdown of ``device_choices()``; its ``.value`` is the chosen device.

    The default is ``default_device()``. Without ipywidgets, a plain object with a
    ``.value`` is returned, so notebooks run unchanged in CI and in a terminal.
    """
    choices = device_choices()
    value = default_device()
    if value not in choices:
        value = "AUTO"
    try:
        import ipywidgets as widgets
    except ImportError:
        return _Fixed(value)
    return widgets.Dropdown(options=choices, value=value, description=description)


@dataclass
class _Fixed:
    value: str

    def _repr_pretty_(self, printer: Any, _cycle: bool) -> None:
        printer.text(f"Device: {self.value}")
