"""Choosing an OpenVINO device and compiling models for it.

Explained in 02-device-selection. One ``ov.Core`` is shared by the whole process, so
devices are enumerated once and the model cache is configured in one place.
"""

from __future__ import annotations

import contextlib
import json
import os
import threading
import warnings
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from .errors import DeviceError, ModelError, ModelWarning
from .paths import models_dir
from .store import settled, sha256_of, stamp, write_json_atomic

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
    compiling again (explained in 08-performance). A folder that cannot be created
    means no cache rather than an error.
    """
    if cache_dir is None:
        env = os.environ.get("OVOCR_CACHE_DIR")
        cache_dir = env.strip() if env is not None else models_dir() / ".ov_cache"
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
    config: dict[str, Any] = options.config()
    if device == "AUTO" or device.startswith(("AUTO:", "MULTI:", "HETERO:")):
        # AUTO forwards only what it knows; the precision hint goes to its CPU target.
        precision = config.pop("INFERENCE_PRECISION_HINT", None)
        if precision:
            config["DEVICE_PROPERTIES"] = {"CPU": {"INFERENCE_PRECISION_HINT": precision}}
    seen = None
    if options.cache_dir:
        problems, seen = check_cache(options.cache_dir)
        for problem in problems:
            warnings.warn(problem, ModelWarning, stacklevel=2)
    try:
        compiled = core.compile_model(
            str(model) if isinstance(model, Path) else model, device, config
        )
    except RuntimeError as exc:
        first = (str(exc).strip().splitlines() or ["unknown error"])[0]
        raise ModelError(f"{model}: cannot compile for {device} ({first[:200]})") from None
    if options.cache_dir and seen is not None:
        record_cache(options.cache_dir, seen)
    return compiled


class ThreadRequests:
    """One inference request per thread for the stage that owns a compiled model.

    An ``InferRequest`` runs one inference at a time and keeps its output buffer until
    the next one, so a stage used from several threads at once needs a request each. The
    stage sets ``compiled`` and reads ``request``: the calling thread's own request,
    created the first time that thread asks (the compiled model itself is thread-safe).
    """

    compiled: Any
    _thread_requests: threading.local | None = None
    _thread_requests_lock = threading.Lock()

    @property
    def request(self) -> Any:
        """The calling thread's ``InferRequest`` of ``compiled``."""
        local = self._thread_requests
        if local is None:
            with self._thread_requests_lock:
                if self._thread_requests is None:
                    self._thread_requests = threading.local()
                local = self._thread_requests
        request = getattr(local, "request", None)
        if request is None or getattr(local, "compiled", None) is not self.compiled:
            request = local.request = self.compiled.create_infer_request()
            local.compiled = self.compiled
        return request


# -- the compiled-model cache ----------------------------------------------------------
# OpenVINO loads a cached blob without checking its bytes: a blob changed on disk would
# run and read wrong text. So the sha256 of each blob is recorded beside it (<blob>.sha256)
# when OpenVINO writes it, and every compile checks the blobs first. As for prepared
# models (ovocr.store), a blob is hashed only when its stamp (size, modification and
# change time) moved; `ovocr models verify` hashes them all. Measured here: hashing the
# two default blobs (16 MB) costs 33-44 ms, a stat 30 us, against 150-650 ms to load them.

_CACHE_LOCK = threading.Lock()
_RECORD = ".sha256"


def _record_of(blob: Path) -> dict[str, Any] | None:
    try:
        record = json.loads(blob.with_name(blob.name + _RECORD).read_text())
    except (OSError, ValueError):
        return None
    return record if isinstance(record, dict) and "sha256" in record else None


def _drop(blob: Path) -> None:
    for path in (blob, blob.with_name(blob.name + _RECORD)):
        with contextlib.suppress(OSError):
            path.unlink(missing_ok=True)


def check_cache(
    cache_dir: str | os.PathLike, full: bool = False
) -> tuple[list[str], dict[str, list[int]]]:
    """Check the compiled-model blobs in ``cache_dir`` against their recorded sha256.

    A blob whose bytes changed is removed (OpenVINO compiles the model again and writes
    a new one). Blobs recorded by no one yet are left alone. ``full``: hash every blob,
    not only those whose stamp moved (``ovocr models verify``).

    Returns:
        One message per removed blob, and the stamp of every blob seen (``record_cache``
        records those written in between).
    """
    problems: list[str] = []
    seen: dict[str, list[int]] = {}
    with _CACHE_LOCK:
        for blob in sorted(Path(cache_dir).glob("*.blob")):
            try:
                now = stamp(blob)
            except OSError:
                continue
            seen[blob.name] = now
            record = _record_of(blob)
            if record is None or (not full and record.get("stamp") == now):
                continue
            try:
                intact = sha256_of(blob) == record["sha256"]
            except OSError:
                continue
            if intact:
                _write_record(blob, record["sha256"], now)
                continue
            _drop(blob)
            seen.pop(blob.name)
            problems.append(
                f"{blob}: compiled-model cache blob changed since OpenVINO wrote it; "
                "removed, the model is compiled again"
            )
    return problems, seen


def _write_record(blob: Path, digest: str, now: list[int]) -> None:
    record = {"sha256": digest, "stamp": now if settled(now) else None}
    write_json_atomic(blob.with_name(blob.name + _RECORD), record)


def record_cache(cache_dir: str | os.PathLike, seen: dict[str, list[int]]) -> None:
    """Record the sha256 of every blob written since ``check_cache`` returned ``seen``
    (and of blobs recorded by no one yet)."""
    with _CACHE_LOCK:
        for blob in sorted(Path(cache_dir).glob("*.blob")):
            try:
                before = stamp(blob)
                if seen.get(blob.name) == before and _record_of(blob) is not None:
                    continue
                digest = sha256_of(blob)
                if stamp(blob) != before:  # still being written (another process)
                    continue
            except OSError:
                continue
            _write_record(blob, digest, before)


def verify_cache(cache_dir: str | os.PathLike | None = None) -> list[str]:
    """Hash every recorded blob of the compiled-model cache; remove and report bad ones.

    ``None`` checks the default cache (``resolve_cache_dir``). Used by ``ovocr models
    verify``; an empty list means every recorded blob is intact.
    """
    folder = resolve_cache_dir(cache_dir)
    if folder is None:
        return []
    return check_cache(folder, full=True)[0]


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
