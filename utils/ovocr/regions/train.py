"""Train a region model from annotated images: label OCR lines, fit a small classifier.

What is trained is the second stage of an R-CNN-like two-stage detector: the proposals
are the text lines the generic OCR detector finds, and a learnt classifier says which
concept, if any, each proposal belongs to (then ``model.RegionModel`` merges lines into
regions).

1. Every training image is read once by the generic OCR pipeline (cached on disk).
2. Each OCR line takes the concept of the annotated region that covers most of it
   (overlap / smaller area >= ``COVER``), else "none".
3. The vocabulary is learnt: a logistic regression on hashed word and character
   n-grams of the line and of its neighbours (``ovocr.regions.text``) gives each line a
   probability per concept; on the training lines these come from models fitted on
   the other images (``TEXT_FOLDS``-fold, so the next step sees honest scores).
4. A classifier learns the concept of a line from those text scores and its layout
   features (``ovocr.regions.features``; the hand-written receipt vocabulary only with
   ``prior="receipts"``): gradient-boosted trees (default) or softmax regression, both
   fitted by scikit-learn and exported as plain arrays (``ovocr.regions.classifiers``):
   inference needs NumPy only, and a model folder holds no pickle.

Explained in 06-custom-text-regions.
"""

from __future__ import annotations

import re
import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import numpy as np

from ..datasets import DatasetError
from ..types import Page
from .annotations import Annotation, RelBox, load_annotations
from .features import FEATURE_NAMES, chosen_features, features_for, upright
from .fitting import TEXT_C, fit_softmax, fit_text, fit_trees
from .funsd import KINDS as FUNSD_KINDS
from .funsd import load_funsd_annotations
from .model import ConceptSpec, RegionModel, word_shape
from .sroie import kinds_for, load_sroie_annotations
from .text import CONTEXTS, HashingConfig, TextModel, hash_page, text_probabilities
from .values import extract_value

COVER = 0.5
METHODS = ("trees", "softmax")
# The text models whose probabilities the classifier reads: the line's own words, and
# the line with its neighbours (labels left of and above a value).
TEXT_MODELS: tuple[tuple[str, ...], ...] = (("own",), CONTEXTS)
TEXT_FOLDS = 5
# A concept on at least this share of the training images is always returned.
ALWAYS = 0.9


def label_regions(page: Page, annotation: Annotation, concepts: Sequence[str]) -> np.ndarray:
    """For every line of ``page``, the index in ``annotation.regions`` of the region it
    belongs to, or -1.

    A line belongs to the region that covers the largest share of the smaller of the two
    boxes, if that share is at least ``COVER``: a long OCR line that holds a small
    annotated value counts, and so does a short line inside a large address block.
    Regions of concepts outside ``concepts`` are ignored.
    """
    out = np.full(len(page.lines), -1, dtype=np.int64)
    for i, line in enumerate(page.lines):
        box = RelBox.from_line(line, page.width, page.height)
        best = COVER
        for r, region in enumerate(annotation.regions):
            if region.concept not in concepts:
                continue
            smaller = min(box.area, region.box.area)
            share = box.intersection(region.box) / smaller if smaller > 0 else 0.0
            if share >= best:
                best, out[i] = share, r
    return out


def label_lines(page: Page, annotation: Annotation, concepts: Sequence[str]) -> np.ndarray:
    """Class of every line of ``page``: 0 for none, ``1 + concepts.index(c)`` for concept c
    (the region of :func:`label_regions`)."""
    index = label_regions(page, annotation, concepts)
    names = list(concepts)
    return np.array(
        [0 if r < 0 else 1 + names.index(annotation.regions[r].concept) for r in index],
        dtype=np.int64,
    )


def region_spans(
    pages: Sequence[Page], regions: Sequence[np.ndarray], annotations: Sequence[Annotation]
) -> dict[str, list[int]]:
    """For each concept, how many visual rows each of its annotated regions spans (on
    the upright pages, whose line order ``regions`` follows)."""
    out: dict[str, list[int]] = {}
    for page, index, annotation in zip(pages, regions, annotations):
        row_of = {i: r for r, members in enumerate(page.rows) for i in members}
        for r in set(index.tolist()) - {-1}:
            rows = {row_of.get(i, i) for i in np.flatnonzero(index == r)}
            out.setdefault(annotation.regions[r].concept, []).append(len(rows))
    return out


def label_words(
    pages: Sequence[Page], regions: Sequence[np.ndarray], annotations: Sequence[Annotation]
) -> dict[str, tuple[str, ...]]:
    """Per concept, the words its annotators left out of the region although the OCR
    joined them to its line (a label such as ``DATE:`` printed before the value): words
    seen outside the box at least twice and more often than inside. The reader strips
    them from either end of a region's text."""
    outside: dict[str, Counter] = {}
    inside: dict[str, Counter] = {}
    for page, index, annotation in zip(pages, regions, annotations):
        for i in np.flatnonzero(index >= 0):
            region = annotation.regions[index[i]]
            x0, y0, x1, y1 = region.box.to_pixels(page.width, page.height)
            for word in page.lines[i].words:
                token = word_token(word.text)
                if not token:
                    continue
                wx0, wy0, wx1, wy1 = word.bounds
                cx, cy = (wx0 + wx1) / 2, (wy0 + wy1) / 2
                inside_box = x0 <= cx <= x1 and y0 <= cy <= y1
                counter = inside if inside_box else outside
                counter.setdefault(region.concept, Counter())[token] += 1
    return {
        concept: tuple(
            sorted(t for t, n in counts.items() if n >= 2 and n > inside.get(concept, {}).get(t, 0))
        )
        for concept, counts in outside.items()
    }


# A concept's values are of a kind when at least this share of them is one value of it.
KIND_SHARE = 0.8


def infer_kinds(annotations: Sequence[Annotation], concepts: Sequence[str]) -> dict[str, str]:
    """The value kind of every concept, from its annotated values (``Annotation.values``,
    else the texts of its regions): ``date`` or ``amount`` when at least ``KIND_SHARE``
    of them are one such value (spaces ignored: ``12/ 10/ 96``), else ``text``.

    >>> from ovocr.regions.annotations import Annotation, Region, RelBox
    >>> box = RelBox(0.1, 0.1, 0.2, 0.2)
    >>> due = ("2-Dec-97", "May 1, 2000")
    >>> forms = [Annotation("a.png", 9, 9, (Region("due", box, 1.0, v),)) for v in due]
    >>> infer_kinds(forms, ["due"])
    {'due': 'date'}
    """
    out = {}
    for concept in concepts:
        seen = [a.values.get(concept, "") for a in annotations]
        seen += [
            r.text for a in annotations if not a.values.get(concept) for r in a.regions_of(concept)
        ]
        seen = [v for v in seen if v.strip()]
        out[concept] = "text"
        for kind in ("date", "amount"):
            whole = sum(_is_one_value(kind, v) for v in seen)
            if seen and whole >= KIND_SHARE * len(seen):
                out[concept] = kind
    return out


def _is_one_value(kind: str, text: str) -> bool:
    """Whether ``text`` is one value of ``kind`` and little else (80% of its characters)."""
    for form in (text, re.sub(r"\s+", "", text)):
        value = extract_value(kind, form)
        if value and len(re.sub(r"\s+", "", value)) >= 0.8 * len(re.sub(r"\s+", "", form)):
            return True
    return False


def end_shapes(
    pages: Sequence[Page], regions: Sequence[np.ndarray], annotations: Sequence[Annotation]
) -> dict[str, tuple[str, ...]]:
    """Per concept, the shapes of words (``model.word_shape``: ``(519537-X)`` ->
    ``(0-A)``) that the OCR text of its regions has at either end and its annotated value
    leaves out (a registration number after a company name): shapes seen dropped at
    least twice and more often than kept at an end; only shapes with a digit or a sign,
    never a plain word. Returned as ``shape:...`` entries of ``ConceptSpec.strip``."""
    dropped: dict[str, Counter] = {}
    kept: dict[str, Counter] = {}
    for page, index, annotation in zip(pages, regions, annotations):
        for r in set(index.tolist()) - {-1}:
            region = annotation.regions[r]
            value = word_token(annotation.values.get(region.concept, "") or region.text)
            words = [w.text for i in np.flatnonzero(index == r) for w in page.lines[i].words]
            if not value or not words:
                continue
            for ends in (words, words[::-1]):
                for word in ends:
                    token, shape = word_token(word), word_shape(word)
                    inside = _shares_text(token, value)
                    counter = kept if inside else dropped
                    counter.setdefault(region.concept, Counter())[shape] += 1
                    if inside:
                        break
    return {
        concept: tuple(
            sorted(
                f"shape:{s}"
                for s, n in counts.items()
                if n >= 2 and n > kept.get(concept, {}).get(s, 0) and not s.isalpha()
            )
        )
        for concept, counts in dropped.items()
    }


def _shares_text(token: str, value: str) -> bool:
    """Whether a word (as :func:`word_token`) is part of a value: it is in it, or has
    three characters in a row in common with it (``RM9.00`` holds the value ``9.00``)."""
    if len(token) < 3:
        return bool(token) and token in value
    return any(token[i : i + 3] in value for i in range(len(token) - 2))


def word_token(text: str) -> str:
    """A word as label words are compared: upper case, letters and digits only."""
    return re.sub(r"[^0-9A-Z]", "", text.upper())


def train_model(
    annotations: Sequence[Annotation],
    pages: Sequence[Page],
    kinds: Mapping[str, str] | None = None,
    method: str = "trees",
    ocr: Mapping[str, str] | None = None,
    progress: Callable[[str], None] | None = None,
    features: Sequence[str] | None = None,
    sources: Mapping[str, str] | None = None,
    prior: str | None = None,
    text: Sequence[Sequence[str]] = TEXT_MODELS,
    hashing: HashingConfig | None = None,
    text_c: float = TEXT_C,
) -> RegionModel:
    """Fit a region model on OCR pages of annotated images.

    Args:
        annotations: one per image, with regions of the concepts to learn (any names).
        pages: the OCR page of each image (same order), e.g. from ``cache.cached_pages``.
        kinds: value kind per concept (``date``, ``amount``...); a concept not named here
            gets the kind its annotated values show (:func:`infer_kinds`).
        method: ``"trees"`` (gradient-boosted trees) or ``"softmax"`` (logistic regression).
        ocr: the stage-one OCR settings to store with the model.
        progress: called with a status message.
        features: the layout and shape features to learn from (default
            ``features.features_for(prior)``; ``features.LAYOUT_FEATURES`` with
            ``text=()`` is the layout-only baseline).
        sources: per concept, ``"page"`` (default) or ``"crop"``: where the reader takes
            its value (see ``model.ConceptSpec``).
        prior: ``None`` (default: no knowledge of any document type) or ``"receipts"``
            (the hand-written receipt vocabulary as extra features).
        text: the context groups of the learnt text models (``text.CONTEXTS``); ``()``
            for none.
        hashing: how text is hashed (default ``text.HashingConfig()``).
        text_c: inverse regularisation of the text models.

    Raises:
        ValueError: no annotations, pages that do not match, no region at all, an
            unknown method, feature, prior or context.
    """
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}: expected one of {METHODS}")
    if not annotations or len(annotations) != len(pages):
        raise ValueError(f"need one page per annotation, got {len(pages)} for {len(annotations)}")
    features = tuple(features_for(prior) if features is None else features)
    unknown = set(features) - set(FEATURE_NAMES)
    if unknown:
        raise ValueError(f"unknown line features {sorted(unknown)}")
    text = tuple(tuple(group) for group in text)
    bad = {k for group in text for k in group} - set(CONTEXTS)
    if bad or any(not group for group in text):
        raise ValueError(f"unknown text contexts {sorted(bad)}: expected groups of {CONTEXTS}")
    hashing = hashing or HashingConfig()
    names = sorted({r.concept for a in annotations for r in a.regions})
    if not names:
        raise ValueError("the annotations hold no region: nothing to learn")
    start = time.perf_counter()
    levels, regions, labels, rows, hashed = [], [], [], [], []
    for page, annotation in zip(pages, annotations):
        level, order = upright(page)
        index = label_regions(page, annotation, names)[order]
        levels.append(level)
        regions.append(index)
        labels.append(
            np.array(
                [0 if r < 0 else 1 + names.index(annotation.regions[r].concept) for r in index],
                dtype=np.int64,
            )
        )
        rows.append(chosen_features(level, features))
        if text:
            hashed.append(hash_page(level, hashing))
    n_classes = 1 + len(names)
    text_models: list[TextModel] = []
    if text:
        if progress:
            progress(f"learning the words of {len(names)} concepts from {len(pages)} images")
        fold = np.arange(len(pages)) % min(TEXT_FOLDS, len(pages))
        held_out: list[np.ndarray] = [np.zeros((len(lab), 0)) for lab in labels]
        for group in text:
            probs = [np.zeros((len(lab), n_classes)) for lab in labels]
            for f in np.unique(fold) if len(pages) > 1 else []:
                fit_on = [i for i in range(len(pages)) if fold[i] != f]
                model = fit_text(
                    [hashed[i] for i in fit_on],
                    [labels[i] for i in fit_on],
                    n_classes,
                    group,
                    hashing.buckets,
                    text_c,
                )
                for i in np.flatnonzero(fold == f):
                    probs[i] = text_probabilities(model, hashed[i], hashing.buckets)
            final = fit_text(hashed, labels, n_classes, group, hashing.buckets, text_c)
            if len(pages) == 1:
                probs = [text_probabilities(final, hashed[0], hashing.buckets)]
            text_models.append(final)
            held_out = [np.hstack([h, p]) for h, p in zip(held_out, probs)]
        rows = [np.hstack([r, h]) for r, h in zip(rows, held_out)]
    x = np.concatenate(rows)
    y = np.concatenate(labels)
    if progress:
        progress(f"fitting {method} on {len(y)} lines of {len(pages)} images")
    fit = fit_trees if method == "trees" else fit_softmax
    classifier = fit(x, y, n_classes)
    kinds = {
        **infer_kinds(annotations, [c for c in names if c not in (kinds or {})]),
        **(kinds or {}),
    }
    sources = dict(sources or {})
    spans = region_spans(levels, regions, annotations)
    strip = label_words(levels, regions, annotations)
    for concept, shapes in end_shapes(levels, regions, annotations).items():
        strip[concept] = tuple(strip.get(concept, ())) + shapes
    concepts = []
    for c in names:
        counts = Counter(str(a.image) for a in annotations for r in a.regions if r.concept == c)
        concepts.append(
            ConceptSpec(
                c,
                kinds.get(c, "text"),
                max(1, int(np.ceil(np.percentile(spans[c], 90)))) if c in spans else 1,
                sources.get(c, "page"),
                bool(np.median(list(counts.values())) >= 2),
                strip.get(c, ()),
                len(counts) >= ALWAYS * len(annotations),
            )
        )
    info = {
        "method": method,
        "prior": prior,
        "images": len(pages),
        "lines": int(len(y)),
        "labelled_lines": {c: int((y == k + 1).sum()) for k, c in enumerate(names)},
        "fit_seconds": round(time.perf_counter() - start, 2),
    }
    return RegionModel(
        tuple(concepts),
        classifier,
        ocr=dict(ocr or {}),
        info=info,
        features=features,
        text_models=tuple(text_models),
        hashing=hashing if text_models else None,
        prior=prior,
    )


def load_training_data(
    folder: Path, limit: int | None = None, prior: str | None = None
) -> tuple[list[Annotation], dict[str, str]]:
    """Annotations of a training folder and the value kinds that go with them.

    A folder with ``annotations.json`` (``annotations.save_annotations``) is read as is,
    with no kinds; a FUNSD folder (``annotations/``, ``images/``) gives ``title`` and ``date``
    (``ovocr.regions.funsd``); otherwise it must have the SROIE layout, whose regions are derived
    from its lines and keys (``ovocr.regions.sroie``), with the SROIE kinds
    (``sroie.kinds_for(prior)``: the receipt value rules only with ``prior="receipts"``).

    Raises:
        ovocr.regions.annotations.AnnotationError: a bad ``annotations.json``.
        ovocr.datasets.DatasetError: neither layout, or a broken SROIE folder.
    """
    if (folder / "annotations.json").is_file():
        return load_annotations(folder / "annotations.json")[:limit], {}
    if (folder / "annotations").is_dir() and (folder / "images").is_dir():
        return load_funsd_annotations(folder, limit), dict(FUNSD_KINDS)
    if not (folder / "boxes").is_dir():
        raise DatasetError(
            f"{folder}: no annotations.json and no boxes/ folder: expected the SROIE layout "
            "(boxes/, images/, keys/), the FUNSD layout (annotations/, images/) or an "
            "annotations.json"
        )
    return load_sroie_annotations(folder, limit), kinds_for(prior)
