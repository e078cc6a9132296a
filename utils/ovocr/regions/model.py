"""The deployed region detector: classify OCR lines by concept, merge them into regions.

It is a two-stage detector in the manner of R-CNN: the proposals are the text lines
found by the generic ``ovocr`` pipeline (OpenVINO's text detector and recogniser), and a
learnt classifier decides which concept, if any, each proposal shows. This module turns
the page upright (photos are tilted), scores each line for each concept in plain NumPy
(no training framework at inference) from its layout features and the scores of the
learnt text models (``ovocr.regions.text``: hashed n-grams of the line and of its
neighbours), and merges lines into regions: the best line grown by the lines of the same
or the next rows that also score high (an address; the pieces of a line the OCR cut at a
wide gap). A concept seen several times per image in the annotations (line items,
signatures) gives every region above ``every_score``, each with its score, as a cloud
detector does; the others give their best region (``predict(page, every=...)`` chooses).

A model folder holds ``model.json`` (concepts, decoding settings, OCR models, hashing
settings, the SHA-256 of the weights) and ``weights.npz`` (the classifier's and text
models' arrays, read without pickle), so a folder from a stranger is data that cannot
run code; a damaged or edited folder is refused with one line that says what is wrong.
Explained in 06-custom-text-regions.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import ModelError
from ..models import DEFAULT_DET, DEFAULT_REC, get_model
from ..types import Line, Page
from .annotations import Region, RelBox, union_box
from .classifiers import Classifier, ClassifierArraysError, classifier_from_arrays, softmax
from .features import chosen_features, features_for, upright
from .modelfile import FORMAT_VERSION, check_schema, check_weights_size, ocr_model, sha256
from .text import HashingConfig, TextModel, hash_page, text_probabilities
from .values import extract_value


@dataclass(frozen=True)
class ConceptSpec:
    """One concept the model finds.

    Attributes:
        name: the concept, e.g. ``"total"``.
        kind: how its value is cut out of the region text (``ovocr.regions.values``).
        max_lines: how many visual rows one region of it may span (learnt from the data:
            the 90th percentile of the annotated regions); the pieces of a line cut at a
            wide gap share a row, so they do not count twice.
        source: where its value is read: ``"page"`` (the text of the page's own lines)
            or ``"crop"`` (the region cut out and read again); chosen by cross-validation.
        multiple: every region above the score is returned (the annotations showed the
            concept at least twice on the median image), not only the best one.
        strip: label words (upper case, letters and digits only) the annotators left
            outside the region although the OCR put them on its line (``DATE:``), and
            ``shape:`` entries, word shapes their values leave out (``shape:(0-A)``, a
            registration number: :func:`word_shape`); both are dropped from either end
            of a predicted region.
        always: the best region is returned however low it scores (the concept was on
            at least 90% of the training images: a form's title, a receipt's total).
    """

    name: str
    kind: str = "text"
    max_lines: int = 1
    source: str = "page"
    multiple: bool = False
    strip: tuple[str, ...] = ()
    always: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "strip", tuple(self.strip))


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
        features: the layout and shape features the classifier reads, by name (default:
            the generic ones, ``features.features_for()``); the probabilities of the
            text models follow them as further columns.
        text_models: the learnt vocabulary (``ovocr.regions.text``), may be empty.
        hashing: how text is hashed for the text models (``None`` without them).
        prior: the named prior the features include (``"receipts"``) or ``None``.
        every_score: from this score on, a second and further region of a concept is
            returned when every region is asked for.
    """

    concepts: tuple[ConceptSpec, ...]
    classifier: Classifier
    min_score: float = 0.05
    grow_score: float = 0.5
    ocr: dict[str, str] = field(default_factory=dict)
    info: dict[str, Any] = field(default_factory=dict)
    features: tuple[str, ...] = field(default_factory=features_for)
    text_models: tuple[TextModel, ...] = ()
    hashing: HashingConfig | None = None
    prior: str | None = None
    every_score: float = 0.5

    @property
    def kinds(self) -> dict[str, str]:
        """``{concept: value kind}`` of the concepts (for ``fields.fields_from_regions``)."""
        return {c.name: c.kind for c in self.concepts}

    def line_probabilities(self, page: Page) -> np.ndarray:
        """``(len(page.lines), 1 + len(concepts))`` probabilities; column 0 is "none"."""
        if not page.lines:
            return np.zeros((0, 1 + len(self.concepts)))
        level, order = upright(page)
        out = np.empty((len(page.lines), 1 + len(self.concepts)))
        out[order] = self._probabilities(level)
        return out

    def line_inputs(self, level: Page) -> np.ndarray:
        """The classifier's input for the lines of an upright page: the chosen features,
        then each text model's probabilities."""
        x = chosen_features(level, self.features)
        if self.text_models and self.hashing is not None:
            hashed = hash_page(level, self.hashing)
            parts = [text_probabilities(m, hashed, self.hashing.buckets) for m in self.text_models]
            x = np.hstack([x, *parts])
        return x

    def _probabilities(self, level: Page) -> np.ndarray:
        return softmax(self.classifier.scores(self.line_inputs(level)))

    def predict(self, page: Page, every: bool | None = None) -> list[Region]:
        """The regions of the concepts found on ``page``, each with its score and text.

        Args:
            page: the OCR page.
            every: ``None`` (default): every region above ``every_score`` for concepts
                marked ``multiple`` when trained, the best region for the others;
                ``True``: every region for all concepts; ``False``: the best only.

        The lines are classified on the upright page (:func:`features.upright`); a
        region's box is the union of its lines' (or kept words') boxes in ``page`` and its
        text joins them in reading order. For ``date`` and ``amount`` concepts only lines
        that hold such a value compete, and the best of them is kept even below
        ``min_score`` (a receipt has a date and a total).
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
            p = probs[:, k]
            many = spec.multiple if every is None else every
            holding = []
            if spec.kind in ("date", "amount"):
                holding = [i for i in range(len(p)) if extract_value(spec.kind, texts[i])]
            used: set[int] = set()
            while True:
                candidates = [i for i in (holding or range(len(p))) if i not in used]
                if not candidates:
                    break
                best = max(candidates, key=lambda i: p[i])
                if used and p[best] < self.every_score:
                    break
                if not used and p[best] < self.min_score and not (holding or spec.always):
                    break
                group = self._grow(best, p, spec.max_lines, rows, row_of, used)
                used.update(group)
                lines = [page.lines[order[i]] for i in sorted(group)]  # reading order
                regions.append(self._region(spec, lines, float(np.mean(p[group])), page))
                if not many:
                    break
        return regions

    @staticmethod
    def _region(spec: ConceptSpec, lines: Sequence[Line], score: float, page: Page) -> Region:
        """A region of ``lines``: label words at either end are left out of its box and
        text (annotators leave them outside the box); words of the shapes its values
        leave out (``shape:`` entries of ``strip``) only out of its text."""
        words = [w for line in lines for w in line.words]
        start, stop = _ends([_token(w.text) in spec.strip for w in words])
        if 0 < stop - start < len(words):
            words = words[start:stop]
            box = union_box(RelBox.from_quad(w.quad, page.width, page.height) for w in words)
        else:
            box = union_box(RelBox.from_line(line, page.width, page.height) for line in lines)
        start, stop = _ends([f"shape:{word_shape(w.text)}" in spec.strip for w in words])
        if 0 < stop - start < len(words):
            words = words[start:stop]
        return Region(spec.name, box, score, " ".join(w.text for w in words))

    def _grow(
        self,
        best: int,
        p: np.ndarray,
        max_rows: int,
        rows: Sequence[tuple[int, ...]],
        row_of: dict[int, int],
        used: set[int] = frozenset(),  # type: ignore[assignment]
    ) -> list[int]:
        """Add the best-scoring free line of the same or an adjacent row while the
        region spans at most ``max_rows`` rows (pieces of one row count once).

        A line of another row joins from ``grow_score`` on; a piece of a row already in
        the region (a line the OCR cut at a wide gap) also joins when it scores at least
        half as high as the best line, which the piece of a cut name usually does.
        """
        group = [best]
        piece = min(self.grow_score, 0.5 * float(p[best]))
        while True:
            spanned = {row_of[i] for i in group}
            near = {r + d for r in spanned for d in (-1, 0, 1)}
            options = [
                j
                for r in near
                if 0 <= r < len(rows)
                for j in rows[r]
                if j not in group
                and j not in used
                and p[j] >= (piece if r in spanned else self.grow_score)
                and len(spanned | {r}) <= max_rows
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
        arrays = self.classifier.arrays()
        for m, text_model in enumerate(self.text_models):
            arrays.update(text_model.arrays(f"text{m}"))
        np.savez(target / "weights.npz", **arrays)  # type: ignore[arg-type]  # stub: allow_pickle
        text = None
        if self.text_models and self.hashing is not None:
            text = {
                "hashing": self.hashing.to_dict(),
                "models": [list(m.contexts) for m in self.text_models],
            }
        meta = {
            "format": FORMAT_VERSION,
            "features": list(self.features),
            "prior": self.prior,
            "text": text,
            "concepts": [{**asdict(c), "strip": list(c.strip)} for c in self.concepts],
            "min_score": self.min_score,
            "grow_score": self.grow_score,
            "every_score": self.every_score,
            "ocr": self.ocr,
            "info": self.info,
            "weights_sha256": sha256(target / "weights.npz"),
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
        schema = check_schema(meta)
        if schema:
            raise ModelError(f"{meta_file}: {schema}; retrain it with `ovocr fields train`")
        ocr = {str(task): ocr_model(source, meta_file, task, v) for task, v in meta["ocr"].items()}
        problem = check_weights_size(weights_file)
        if problem:
            raise ModelError(f"{weights_file}: {problem} (edited or damaged?)")
        if sha256(weights_file) != meta["weights_sha256"]:
            raise ModelError(
                f"{weights_file}: checksum differs from model.json (edited or damaged); "
                "retrain the model or copy the folder again"
            )
        features = tuple(meta["features"])
        concepts = tuple(ConceptSpec(**c) for c in meta["concepts"])
        text = meta.get("text")
        hashing = HashingConfig.from_dict(text["hashing"]) if text else None
        groups = [tuple(g) for g in text["models"]] if text else []
        n_inputs = len(features) + len(groups) * (1 + len(concepts))
        try:
            with np.load(weights_file, allow_pickle=False) as data:
                arrays = dict(data)
            classifier = classifier_from_arrays(arrays, n_inputs)
            text_models = tuple(
                _text_model(arrays, f"text{m}", g, hashing, 1 + len(concepts))
                for m, g in enumerate(groups)
            )
        except (ClassifierArraysError, ValueError, OSError) as exc:
            raise ModelError(f"{weights_file}: unusable classifier arrays ({exc})") from None
        return cls(
            concepts,
            classifier,
            float(meta["min_score"]),
            float(meta["grow_score"]),
            ocr,
            dict(meta.get("info", {})),
            features,
            text_models,
            hashing,
            meta.get("prior"),
            float(meta.get("every_score", 0.5)),
        )


def _token(text: str) -> str:
    """A word as label words are compared (``train.word_token``)."""
    return "".join(c for c in text.upper() if c.isascii() and c.isalnum())


def word_shape(text: str) -> str:
    """A word's shape: runs of digits as ``0``, runs of letters as ``A``, signs kept.

    >>> word_shape("(519537-X)"), word_shape("Total:")
    ('(0-A)', 'A:')
    """
    shape = "".join("0" if c.isdigit() else "A" if c.isalpha() else c for c in text)
    return re.sub(r"(.)\1+", r"\1", shape)


def _ends(drop: Sequence[bool]) -> tuple[int, int]:
    """``start, stop``: the run of ``drop`` without the dropped items at either end."""
    start, stop = 0, len(drop)
    while start < stop and drop[start]:
        start += 1
    while stop > start and drop[stop - 1]:
        stop -= 1
    return start, stop


def _text_model(
    arrays: dict[str, np.ndarray],
    prefix: str,
    contexts: tuple[str, ...],
    hashing: HashingConfig | None,
    n_classes: int,
) -> TextModel:
    """A text model's arrays from ``weights.npz``, checked against its settings."""
    weights, bias = arrays.get(f"{prefix}_weights"), arrays.get(f"{prefix}_bias")
    if weights is None or bias is None or hashing is None:
        raise ClassifierArraysError(f"arrays {prefix}_weights and {prefix}_bias are missing")
    shape = (len(contexts) * hashing.buckets, n_classes)
    if weights.dtype.kind != "f" or bias.dtype.kind != "f" or weights.shape != shape:
        raise ClassifierArraysError(f"{prefix}_weights is not a float array of shape {shape}")
    if bias.shape != (n_classes,) or not (np.isfinite(weights).all() and np.isfinite(bias).all()):
        raise ClassifierArraysError(f"{prefix}_bias does not fit, or a weight is not finite")
    return TextModel(contexts, weights.astype(np.float32), bias.astype(np.float64))
