"""Field-reading benchmark: the trained region model vs the no-training baseline on SROIE.

Usage::

    python benchmarks/fields.py              # train on sroie_train (100), test on sroie (50)
    python benchmarks/fields.py --cv         # also 5-fold cross-validation on sroie_train
    python benchmarks/fields.py --train-limit 20

Every receipt is read once by the default OCR pipeline (``precision="f32"``; pages cached
in ``models/cache/pages``, so a second run takes seconds). Then, on the test receipts
(never trained on):

- ``baseline``: rules on the generic OCR page (``ovocr.regions.baseline``);
- ``trees`` / ``softmax``: the line classifier of ``ovocr.regions.train``, fields cut from
  the text of the page's lines (one OCR pass);
- ``trees + crop OCR``: the two-stage reader of ``ovocr.regions.fields`` (each predicted
  region cropped and read again).

Scores (``ovocr.regions.evaluation``): per-concept precision / recall / F1 of exact values
(case-insensitive, whitespace removed; ``--keep-spaces`` only collapses it), field CER and
region IoU against the regions derived from SROIE's lines (``ovocr.regions.sroie``).
``--cv`` repeats the model comparison by 5-fold cross-validation on the training receipts
(with an ablation: trees on layout features only): that, not the test set, is what the
method and settings were chosen on.

Explained in 06-custom-text-regions; the committed summary is ``benchmarks/FIELDS.md``.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Sequence

import numpy as np
import ovocr
from ovocr.datasets import shared_data_dir
from ovocr.models import DEFAULT_DET, DEFAULT_REC
from ovocr.regions.annotations import Annotation, Region
from ovocr.regions.baseline import baseline_regions
from ovocr.regions.cache import cached_pages, settings_key
from ovocr.regions.evaluation import ConceptScore, add_region_iou, score_fields, score_table
from ovocr.regions.features import FEATURE_NAMES, LAYOUT_FEATURES
from ovocr.regions.fields import FieldReader, fields_from_regions
from ovocr.regions.model import RegionModel
from ovocr.regions.sroie import CONCEPTS, KINDS, load_sroie_annotations
from ovocr.regions.train import train_model
from ovocr.types import Page


def score(
    regions: Sequence[Sequence[Region]],
    annotations: Sequence[Annotation],
    keep_spaces: bool,
) -> dict[str, ConceptScore]:
    fields = [fields_from_regions(r, KINDS, CONCEPTS) for r in regions]
    truths = [a.values for a in annotations]
    scores = score_fields(fields, truths, CONCEPTS, ignore_spaces=not keep_spaces)
    return add_region_iou(scores, regions, annotations)


def cross_validate(
    annotations: Sequence[Annotation],
    pages: Sequence[Page],
    method: str,
    features: Sequence[str] = FEATURE_NAMES,
    folds: int = 5,
) -> list[list[Region]]:
    """Regions of every training receipt predicted by a model that did not see it."""
    fold = np.arange(len(annotations)) % folds
    out: list[list[Region]] = [[] for _ in annotations]
    for f in range(folds):
        train = [i for i in range(len(annotations)) if fold[i] != f]
        subset = [annotations[i] for i in train], [pages[i] for i in train]
        model = train_model(*subset, KINDS, method, features=features)
        for i in np.flatnonzero(fold == f):
            out[i] = model.predict(pages[i])
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", default=None, help="folder holding sroie/ and sroie_train/")
    parser.add_argument("--train-limit", type=int, default=None)
    parser.add_argument("--cv", action="store_true", help="also 5-fold CV on sroie_train")
    parser.add_argument("--keep-spaces", action="store_true", help="only collapse whitespace")
    args = parser.parse_args()
    data = args.data or shared_data_dir()
    if data is None:
        raise SystemExit("fields benchmark: ../shared/data not found (set --data)")
    ocr = ovocr.load_pipeline(device="CPU", precision="f32")
    key = settings_key(DEFAULT_DET, DEFAULT_REC, "f32")
    train = load_sroie_annotations(f"{data}/sroie_train", args.train_limit)
    test = load_sroie_annotations(f"{data}/sroie")
    start = time.perf_counter()
    train_pages = cached_pages([a.image for a in train], ocr, key)
    test_pages = cached_pages([a.image for a in test], ocr, key)
    ocr_seconds = time.perf_counter() - start
    tables = [f"OCR of {len(train)} + {len(test)} receipts (or cache): {ocr_seconds:.1f} s"]

    if args.cv:
        for method in ("trees", "softmax"):
            regions = cross_validate(train, train_pages, method)
            tables.append(score_table(score(regions, train, args.keep_spaces), f"CV {method}"))
        regions = cross_validate(train, train_pages, "trees", LAYOUT_FEATURES)
        tables.append(score_table(score(regions, train, args.keep_spaces), "CV trees, layout only"))
        regions = [baseline_regions(p) for p in train_pages]
        tables.append(score_table(score(regions, train, args.keep_spaces), "CV baseline"))

    regions = [baseline_regions(p) for p in test_pages]
    tables.append(score_table(score(regions, test, args.keep_spaces), "baseline"))
    models: dict[str, RegionModel] = {}
    for method in ("trees", "softmax"):
        start = time.perf_counter()
        models[method] = train_model(train, train_pages, KINDS, method)
        fit = time.perf_counter() - start
        regions = [models[method].predict(p) for p in test_pages]
        title = f"{method} (fit {fit:.1f} s)"
        tables.append(score_table(score(regions, test, args.keep_spaces), title))

    reader = FieldReader(models["trees"], ocr, reread=True)
    start = time.perf_counter()
    results = [
        reader.from_page(ovocr.load_image(a.image), p, str(a.image))
        for a, p in zip(test, test_pages)
    ]
    crop_seconds = (time.perf_counter() - start) / len(test)
    errors = sum(len(r.errors) for r in results)
    title = f"trees + crop OCR ({crop_seconds:.2f} s/receipt, {errors} crop errors)"
    regions = [list(r.regions) for r in results]
    tables.append(score_table(score(regions, test, args.keep_spaces), title))
    print("\n\n".join(tables))


if __name__ == "__main__":
    main()
