"""The deployed region detector: classify OCR lines by concept, merge them into regions.

Stage one is the generic ``ovocr`` pipeline (OpenVINO): it finds and reads every text
line. This module then turns the page upright (photos are tilted), scores each line for
each concept with a small classifier that runs in plain NumPy (no training framework at
inference) and turns the best lines of a concept into one region: the single best line,
or for concepts that span lines (an address) the best line grown by neighbouring lines
that also score high.

A model folder holds ``model.json`` (concepts, decoding settings, OCR models, the SHA-256
of the weights) and ``weights.npz`` (the classifier's arrays, read without pickle), so a
folder from a stranger is data that cannot run code; a damaged or edited folder is
refused with one line that says what is wrong. Explained in 06-custom-text-regions.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import ModelError
from ..models import DEFAULT_DET, DEFAULT_REC, get_model
from ..types import Page
from .annotations import Region, RelBox, union_box
from .classifiers import Classifier, ClassifierArraysError, classifier_from_arrays, softmax
from .features import FEATURE_NAMES, page_features, upright
from .values import KINDS, extract_value

FORMAT_VERSION = 2
SOURCES = ("page", "crop")
# A trained classifier is a few MB at most; larger weights are refused before they are read.
MAX_WEIGHTS_BYTES = 64 * 2**20


@dataclass(frozen=True)
class ConceptSpec:
    """One concept the model finds.

    Attributes:
        name: the concept, e.g. ``"total"``.
        kind: how its value is cut out of the region text (``ovocr.regions.values``).
        max_lines: how many text lines one region of it may span (learnt from the data).
        source: where its value is read: ``"page"`` (the text of the page's own lines)
            or ``"crop"`` (the region cut out and read again); chosen by cross-validation.
    """

    name: str
    kind: str = "text"
    max_lines: int = 1
    source: str = "page"


@dataclass
class RegionModel:
    """Concepts + line classifier + decoding settings: a page in, regions out.

    Attributes:
        concepts: the concepts, in the order of the classifier's classes 1.. (0 = none).
        classifier: scores ``(lines, 1 + len(concepts))`` from line features.
        min_score: a concept whose best line scores less is left out of the page.
        grow_score: a neighbour line joins a multi-line region from this score on.
        ocr: the stage-one OCR settings the model was trained with (``det``, ``rec``).
        info: free training facts (images, method, time) kept with the model.
        features: the line features the classifier reads, by name (default: all of
            ``features.FEATURE_NAMES``).
    """

    concepts: tuple[ConceptSpec, ...]
    classifier: Classifier
    min_score: float = 0.05
    grow_score: float = 0.5
    ocr: dict[str, str] = field(default_factory=dict)
    info: dict[str, Any] = field(default_factory=dict)
    features: tuple[str, ...] = FEATURE_NAMES

    def line_probabilities(self, page: Page) -> np.ndarray:
        """``(len(page.lines), 1 + len(concepts))`` probabilities; column 0 is "none"."""
        if not page.lines:
            return np.zeros((0, 1 + len(self.concepts)))
        level, order = upright(page)
        out = np.empty((len(page.lines), 1 + len(self.concepts)))
        out[order] = self._probabilities(level)
        return out

    def _probabilities(self, level: Page) -> np.ndarray:
        columns = [FEATURE_NAMES.index(name) for name in self.features]
        return softmax(self.classifier.scores(page_features(level)[:, columns].astype(np.float64)))

    def predict(self, page: Page) -> list[Region]:
        """One region per concept found on ``page``, with the text of its lines.

        The lines are classified on the upright page (:func:`features.upright`); a
        region's box is the union of its lines' boxes in ``page`` and its text joins them
        in reading order. For ``date`` and ``amount`` concepts only lines that hold such a
        value compete, and the best of them is kept even below ``min_score`` (a receipt
        has a date and a total; cross-validated total F1 0.906 -> 0.935).
        """
        if not page.lines:
            return []
        level, order = upright(page)
        probs = self._probabilities(level)
        rows = list(level.rows) or [(i,) for i in range(len(level.lines))]
        row_of = {i: r for r, members in enumerate(rows) for i in members}
        texts = [line.text for line in level.lines]
        regions = []
        for k, spec in enumerate(self.concepts, start=1):
            if not len(probs):
                break
            p = probs[:, k]
            candidates = list(range(len(p)))
            holding = []
            if spec.kind in ("date", "amount"):
                holding = [i for i in candidates if extract_value(spec.kind, texts[i])]
                candidates = holding or candidates
            best = max(candidates, key=lambda i: p[i])
            if p[best] < self.min_score and not holding:
                continue
            group = self._grow(best, p, spec.max_lines, rows, row_of)
            group.sort()  # upright lines are in reading order
            box = union_box(
                RelBox.from_line(page.lines[order[i]], page.width, page.height) for i in group
            )
            text = " ".join(texts[i] for i in group)
            regions.append(Region(spec.name, box, float(np.mean(p[group])), text))
        return regions

    def _grow(
        self,
        best: int,
        p: np.ndarray,
        max_lines: int,
        rows: Sequence[tuple[int, ...]],
        row_of: dict[int, int],
    ) -> list[int]:
        """Add the best-scoring line of the same or an adjacent row until none qualifies."""
        group = [best]
        while len(group) < max_lines:
            near = {row_of[i] + d for i in group for d in (-1, 0, 1)}
            options = [
                j
                for r in near
                if 0 <= r < len(rows)
                for j in rows[r]
                if j not in group and p[j] >= self.grow_score
            ]
            if not options:
                break
            group.append(max(options, key=lambda j: p[j]))
        return group

    def ocr_models(self) -> dict[str, str]:
        """The ``det`` and ``rec`` models this model was trained on, checked to be ready.

        The names come from a file someone else may have written, so they never start a
        download or conversion: a registry model that is not prepared is an error that
        says how to prepare it.

        Raises:
            ModelError: an OCR model is unknown or not prepared.
        """
        names = {"det": self.ocr.get("det", DEFAULT_DET), "rec": self.ocr.get("rec", DEFAULT_REC)}
        for task, name in names.items():
            try:
                get_model(name, task, allow_download=False)
            except ModelError as exc:
                raise ModelError(f"region model needs OCR model {name!r}: {exc}") from None
        return names

    def save(self, folder: str | os.PathLike) -> Path:
        """Write ``weights.npz`` and ``model.json`` (with the weights' SHA-256) into
        ``folder`` (created if needed)."""
        target = Path(folder)
        target.mkdir(parents=True, exist_ok=True)
        np.savez(target / "weights.npz", **self.classifier.arrays())
        meta = {
            "format": FORMAT_VERSION,
            "features": list(self.features),
            "concepts": [asdict(c) for c in self.concepts],
            "min_score": self.min_score,
            "grow_score": self.grow_score,
            "ocr": self.ocr,
            "info": self.info,
            "weights_sha256": _sha256(target / "weights.npz"),
        }
        (target / "model.json").write_text(json.dumps(meta, indent=1) + "\n", encoding="utf-8")
        return target

    @classmethod
    def load(cls, folder: str | os.PathLike) -> RegionModel:
        """Read a model folder written by :meth:`save`, checking everything in it.

        Raises:
            ModelError: one line naming the file and the problem: a missing file, JSON
                that is not a region model of this version, weights whose checksum does
                not match ``model.json`` (edited or damaged), or arrays that do not fit.
        """
        source = Path(folder)
        meta_file, weights_file = source / "model.json", source / "weights.npz"
        if not meta_file.is_file() or not weights_file.is_file():
            raise ModelError(
                f"{source}: not a region model (needs model.json and weights.npz); "
                "train one with `ovocr fields train --data DIR --out DIR`"
            )
        try:
            meta = json.loads(meta_file.read_text(encoding="utf-8"))
        except (json.JSONDecodeError, UnicodeDecodeError, OSError) as exc:
            raise ModelError(f"{meta_file}: not valid JSON ({exc})") from None
        schema = _check_schema(meta)
        if schema:
            raise ModelError(f"{meta_file}: {schema}; retrain it with `ovocr fields train`")
        ocr = {str(task): _ocr_model(source, meta_file, task, v) for task, v in meta["ocr"].items()}
        problem = _check_weights_size(weights_file)
        if problem:
            raise ModelError(f"{weights_file}: {problem} (edited or damaged?)")
        if _sha256(weights_file) != meta["weights_sha256"]:
            raise ModelError(
                f"{weights_file}: checksum differs from model.json (edited or damaged); "
                "retrain the model or copy the folder again"
            )
        features = tuple(meta["features"])
        try:
            with np.load(weights_file, allow_pickle=False) as data:
                classifier = classifier_from_arrays(dict(data), len(features))
        except (ClassifierArraysError, ValueError, OSError) as exc:
            raise ModelError(f"{weights_file}: unusable classifier arrays ({exc})") from None
        return cls(
            tuple(ConceptSpec(**c) for c in meta["concepts"]),
            classifier,
            float(meta["min_score"]),
            float(meta["grow_score"]),
            ocr,
            dict(meta.get("info", {})),
            features,
        )


def _sha256(path: Path) -> str:
    """The file's SHA-256, read in 1 MB chunks (never the whole file at once)."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(2**20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _check_weights_size(path: Path) -> str:
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


def _ocr_model(folder: Path, meta_file: Path, task: str, name: str) -> str:
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


def _check_schema(meta: Any) -> str:
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
    ocr = meta["ocr"]
    if not isinstance(ocr, dict) or not all(isinstance(v, str) for v in ocr.values()):
        return "'ocr' must map det/rec to model names"
    fields = {"name": str, "kind": str, "max_lines": int, "source": str}
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
    names = [c["name"] for c in concepts]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        return f"concept {twice[0]!r} is listed twice"
    if not all(isinstance(meta[k], (int, float)) for k in ("min_score", "grow_score")):
        return "'min_score' and 'grow_score' must be numbers"
    return ""
