"""Field-reading benchmark on two document types: SROIE receipts and FUNSD forms.

Usage::

    python benchmarks/fields.py            # receipts and forms: 5-fold CV, then dev-test
    python benchmarks/fields.py --receipts # receipts only (--forms: forms only)
    python benchmarks/fields.py --photos   # receipts also photographed (slow: 150 more OCR runs)

The region model is a two-stage detector: the text lines of the default OCR pipeline
(``precision="f32"``; pages cached in ``models/cache/pages``) are the proposals, and a
learnt classifier (``ovocr.regions``) picks the lines of each concept. Variants, all
trained the same way:

- **learnt** (default): layout and shape features plus the vocabulary learnt from the
  annotations (hashed n-grams of the line and its neighbours), no receipt knowledge;
- **learnt + receipt prior**: the same plus the hand-written receipt vocabulary and, on
  receipts, the receipt value rules (``prior="receipts"``);
- **layout only**: where a line is, nothing of its text (``features.LAYOUT_FEATURES``);
- **rules** (receipts): the no-training rules of ``ovocr.regions.baseline``.

Receipts: trained and cross-validated (5 folds) on ``sroie_train`` (100), tested once on
``sroie`` (50): exact-field F1, case-insensitive, whitespace removed. Forms: FUNSD's 25
forms are all there is, so forms are only cross-validated (5 folds of 20 training forms
and 5 held out); ``title`` and ``date`` (``ovocr.regions.funsd``) are "read right" with a
CER of at most 0.2, spaces ignored. Without FUNSD, drawn forms (``ovocr.regions.forms``:
40 to train and CV, 20 to test) stand in. Every choice was made on CV, never on the test
receipts. The committed summary is ``benchmarks/FIELDS.md``.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable, Sequence

import numpy as np
import ovocr
from ovocr.datasets import shared_data_dir
from ovocr.models import DEFAULT_DET, DEFAULT_REC, models_dir
from ovocr.regions import forms, funsd, sroie, text
from ovocr.regions.annotations import Annotation, Region, load_annotations
from ovocr.regions.baseline import baseline_regions
from ovocr.regions.cache import cached_pages, settings_key
from ovocr.regions.evaluation import ConceptScore, score_fields
from ovocr.regions.features import LAYOUT_FEATURES
from ovocr.regions.fields import fields_from_regions
from ovocr.regions.model import RegionModel
from ovocr.regions.train import train_model
from ovocr.types import Page

Scores = dict[str, ConceptScore]
FOLDS = 5
VARIANTS: dict[str, dict] = {
    "learnt": {},
    "learnt + receipt prior": {"prior": "receipts"},
    "layout only": {"features": LAYOUT_FEATURES, "text": ()},
}


def score(
    regions: Sequence[Sequence[Region]],
    annotations: Sequence[Annotation],
    kinds: dict[str, str] | Sequence[dict[str, str]],
    concepts: Sequence[str],
) -> Scores:
    """Field scores; ``kinds`` for all images, or one dict per image (each image read with
    the value kinds of the model that found its regions)."""
    each = [kinds] * len(regions) if isinstance(kinds, dict) else kinds
    fields = [fields_from_regions(r, k, concepts) for r, k in zip(regions, each)]
    return score_fields(fields, [a.values for a in annotations], concepts)


def table(columns: dict[str, Scores], title: str, concepts: Sequence[str], metric: str) -> str:
    """A Markdown table: a column per named score set (``f1`` or ``read_right``), the mean."""
    lines = [f"| {title} | " + " | ".join(columns) + " |", "|---" * (len(columns) + 1) + "|"]
    for c in concepts:
        cells = [f"{getattr(s[c], metric):.3f}" for s in columns.values()]
        lines.append(f"| {c} | " + " | ".join(cells) + " |")
    means = [np.mean([getattr(s[c], metric) for c in concepts]) for s in columns.values()]
    lines.append("| **mean** | " + " | ".join(f"**{m:.3f}**" for m in means) + " |")
    return "\n".join(lines)


def cross_validated(
    annotations: Sequence[Annotation],
    pages: Sequence[Page],
    fit: Callable[[list[Annotation], list[Page]], RegionModel],
) -> tuple[list[list[Region]], list[dict[str, str]]]:
    """The regions of every image, found by a model trained on the other folds, and the
    value kinds of that model."""
    fold = np.arange(len(annotations)) % FOLDS
    found: list[list[Region]] = [[] for _ in annotations]
    kinds: list[dict[str, str]] = [{} for _ in annotations]
    for f in range(FOLDS):
        keep = [i for i in range(len(annotations)) if fold[i] != f]
        model = fit([annotations[i] for i in keep], [pages[i] for i in keep])
        for i in np.flatnonzero(fold == f):
            found[i], kinds[i] = model.predict(pages[i]), model.kinds
    return found, kinds


def reading_ms(model: RegionModel, pages: Sequence[Page]) -> float:
    """Milliseconds a page for ``model.predict``, starting with no word hashed yet (the
    cache of ``ovocr.regions.text`` fills as the pages are read, as in a batch)."""
    text._WORD_IDS.clear()
    start = time.perf_counter()
    for p in pages:
        model.predict(p)
    return (time.perf_counter() - start) / len(pages) * 1000


def evaluate(
    name: str,
    train: Sequence[Annotation],
    train_pages: Sequence[Page],
    test: Sequence[tuple[str, Sequence[Annotation], Sequence[Page]]],
    kinds_of: Callable[[str | None], dict[str, str]],
    concepts: Sequence[str],
    metric: str,
    rules: bool,
) -> list[str]:
    """CV and test tables of every variant for one document type."""
    cv: dict[str, Scores] = {}
    tests: dict[str, dict[str, Scores]] = {label: {} for label, _, _ in test}
    seconds = {}
    for variant, options in VARIANTS.items():
        kinds = kinds_of(options.get("prior"))

        def fit(
            a: list[Annotation], p: list[Page], options: dict = options, kinds: dict = kinds
        ) -> RegionModel:
            return train_model(a, p, kinds, **options)

        found, fold_kinds = cross_validated(train, train_pages, fit)
        cv[variant] = score(found, train, fold_kinds, concepts)
        start = time.perf_counter()
        model = fit(list(train), list(train_pages))
        seconds[variant] = time.perf_counter() - start
        for label, items, pages in test:
            found = [model.predict(p) for p in pages]
            tests[label][variant] = score(found, items, model.kinds, concepts)
        if variant == "learnt":
            per_page = reading_ms(model, train_pages)
    if rules:
        cv["rules"] = score(
            [baseline_regions(p) for p in train_pages], train, kinds_of(None), concepts
        )
        for label, items, pages in test:
            found = [baseline_regions(p) for p in pages]
            tests[label]["rules"] = score(found, items, kinds_of(None), concepts)
    what = "F1" if metric == "f1" else "read right"
    out = [table(cv, f"{name}: CV {what} ({FOLDS} folds, {len(train)} images)", concepts, metric)]
    for label, items, _ in test:
        out.append(table(tests[label], f"{name}: {label} {what} ({len(items)})", concepts, metric))
    fits = ", ".join(f"{v} {s:.1f} s" for v, s in seconds.items())
    out.append(
        f"fit on all {len(train)} training images: {fits}; reading "
        f"{per_page:.1f} ms a page on top of OCR (learnt model)"
    )
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", default=None, help="folder holding sroie/, sroie_train/, funsd/")
    parser.add_argument("--receipts", action="store_true", help="receipts only")
    parser.add_argument("--forms", action="store_true", help="forms only")
    parser.add_argument("--photos", action="store_true", help="receipts also photographed")
    args = parser.parse_args()
    data = args.data or shared_data_dir()
    ocr = ovocr.load_pipeline(device="CPU", precision="f32")
    key = settings_key(DEFAULT_DET, DEFAULT_REC, "f32")

    def read(items: Sequence[Annotation]) -> list[Page]:
        return cached_pages([a.image for a in items], ocr, key)

    out = []
    if not args.forms:
        if data is None or not (data / "sroie_train").is_dir():
            raise SystemExit("fields benchmark: sroie_train not found (set --data)")
        train = sroie.load_sroie_annotations(data / "sroie_train")
        test = sroie.load_sroie_annotations(data / "sroie")
        sets = [("dev-test scans", test, read(test))]
        if args.photos:
            from ovocr.regions.augment import PHOTO, photographed_set

            photos = photographed_set(
                test, models_dir() / "cache" / "photos" / "sroie", 1000, PHOTO
            )
            sets.append(("dev-test photographed", photos, read(photos)))
        out += evaluate(
            "receipts", train, read(train), sets, sroie.kinds_for, sroie.CONCEPTS, "f1", True
        )
    if not args.receipts:
        if data is not None and (data / "funsd").is_dir():
            train, sets = funsd.load_funsd_annotations(data / "funsd"), []
            name, concepts = "FUNSD forms", funsd.CONCEPTS
        else:
            root = models_dir() / "cache" / "drawn-forms"
            train = load_annotations(forms.write_forms(root / "train", 40) / "annotations.json")
            test = load_annotations(
                forms.write_forms(root / "test", 20, 10_000) / "annotations.json"
            )
            sets = [("drawn test forms", test, read(test))]
            name, concepts = "drawn forms", ("title", "date")
        out += evaluate(
            name,
            train,
            read(train),
            sets,
            lambda prior: {},  # value kinds inferred from the annotated values
            concepts,
            "read_right",
            False,
        )
    print("\n\n".join(out))


if __name__ == "__main__":
    main()
