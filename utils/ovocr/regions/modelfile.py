"""Checks on a region model folder before ``RegionModel.load`` trusts it.

``model.json`` is checked against the schema this ovocr writes (format, features, concepts,
text-model settings, OCR models), ``weights.npz`` against a size limit read from its headers
before any array is loaded, and its SHA-256 against the one ``model.json`` records. Each
check returns one line that says what is wrong, or "" when all is well. Explained in
06-custom-text-regions.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import ModelError
from .features import FEATURE_NAMES, PRIORS
from .text import CONTEXTS, HashingConfig
from .values import KINDS

FORMAT_VERSION = 3
SOURCES = ("page", "crop")
# A trained classifier is a few MB at most; larger weights are refused before they are read.
MAX_WEIGHTS_BYTES = 64 * 2**20


def sha256(path: Path) -> str:
    """The file's SHA-256, read in 1 MB chunks (never the whole file at once)."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(2**20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def check_weights_size(path: Path) -> str:
    """What is too large in ``weights.npz`` (the file, or an array as its header declares
    it, compressed or not), or "" when every array fits ``MAX_WEIGHTS_BYTES``."""
    import zipfile

    limit = f"limit {MAX_WEIGHTS_BYTES // 2**20} MB"
    size = path.stat().st_size
    if size > MAX_WEIGHTS_BYTES:
        return f"{size / 2**20:.0f} MB is more than a region model holds ({limit})"
    try:
        with zipfile.ZipFile(path) as archive:
            for member in archive.infolist():
                with archive.open(member) as fh:
                    version = np.lib.format.read_magic(fh)
                    header = (
                        np.lib.format.read_array_header_1_0
                        if version == (1, 0)
                        else np.lib.format.read_array_header_2_0
                    )
                    shape, _, dtype = header(fh)
                nbytes = int(np.prod(shape, dtype=np.float64)) * dtype.itemsize
                if nbytes > MAX_WEIGHTS_BYTES:
                    return f"array {member.filename} declares {nbytes / 2**20:.0f} MB ({limit})"
    except (zipfile.BadZipFile, ValueError, OSError, EOFError) as exc:
        return f"not a NumPy .npz archive ({exc})"
    return ""


def ocr_model(folder: Path, meta_file: Path, task: str, name: str) -> str:
    """A ``model.json`` ``"ocr"`` entry as ``get_model`` takes it: a registry name as is, a
    file or folder inside the model folder made absolute. A path anywhere else on this
    machine is refused without being opened; another word stays a name (``ocr_models``
    says it is unknown)."""
    from ..models import REGISTRY

    if name in REGISTRY:
        return name
    inside = folder.resolve()
    path = (inside / Path(name).expanduser()).resolve()
    if path != inside and inside in path.parents and path.exists():
        return str(path)
    path_like = any(sep in name for sep in ("/", os.sep)) or name.endswith((".xml", ".onnx"))
    if not path_like and not Path(name).exists():
        return name
    raise ModelError(
        f"{meta_file}: 'ocr' {task} model {name!r} is neither a model name (ovocr models list) "
        "nor a file or folder inside the model folder"
    )


def check_schema(meta: Any) -> str:
    """What is wrong with a parsed ``model.json``, or "" when it is a valid region model."""
    if not isinstance(meta, dict):
        return "not a region model (expected a JSON object)"
    if meta.get("format") != FORMAT_VERSION:
        return f"region model format {meta.get('format')!r}, this ovocr reads {FORMAT_VERSION}"
    missing = [
        k for k in ("features", "concepts", "min_score", "grow_score", "ocr") if k not in meta
    ]
    if missing or not isinstance(meta.get("weights_sha256"), str):
        return f"region model is missing {missing or ['weights_sha256']}"
    features = meta["features"]
    if not isinstance(features, list) or not set(features) <= set(FEATURE_NAMES) or not features:
        return "trained with other line features than this ovocr version"
    if meta.get("prior") is not None and meta.get("prior") not in PRIORS:
        return f"unknown prior {meta.get('prior')!r} (this ovocr knows {sorted(PRIORS)})"
    text = meta.get("text")
    if text is not None:
        groups = text.get("models") if isinstance(text, dict) else None
        if not isinstance(groups, list) or not all(
            isinstance(g, list) and g and set(g) <= set(CONTEXTS) for g in groups
        ):
            return f"'text' must hold 'hashing' and 'models' (lists of {CONTEXTS})"
        try:
            HashingConfig.from_dict(text.get("hashing"))
        except (KeyError, TypeError, ValueError) as exc:
            return f"bad text hashing settings ({exc})"
    ocr = meta["ocr"]
    if not isinstance(ocr, dict) or not all(isinstance(v, str) for v in ocr.values()):
        return "'ocr' must map det/rec to model names"
    fields = {
        "name": str,
        "kind": str,
        "max_lines": int,
        "source": str,
        "multiple": bool,
        "strip": list,
        "always": bool,
    }
    concepts = meta["concepts"]
    if not isinstance(concepts, list) or not concepts:
        return "'concepts' must be a non-empty list"
    for c in concepts:
        if not isinstance(c, dict) or set(c) - set(fields) or "name" not in c:
            return f"bad concept entry {c!r}"
        if not all(isinstance(c[k], t) for k, t in fields.items() if k in c):
            return f"bad concept entry {c!r}"
        if c.get("source", "page") not in SOURCES or c.get("kind", "text") not in KINDS:
            return f"bad concept entry {c!r}"
        if not all(isinstance(t, str) for t in c.get("strip", [])):
            return f"bad concept entry {c!r}"
    names = [c["name"] for c in concepts]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        return f"concept {twice[0]!r} is listed twice"
    if not all(isinstance(meta[k], (int, float)) for k in ("min_score", "grow_score")):
        return "'min_score' and 'grow_score' must be numbers"
    if not isinstance(meta.get("every_score", 0.5), (int, float)):
        return "'every_score' must be a number"
    return ""
