"""Field-reading benchmark on SROIE receipts: scans and the same receipts photographed.

Usage::

    python benchmarks/fields.py                 # train on sroie_train, test on sroie
    python benchmarks/fields.py --cv            # also 5-fold cross-validation on sroie_train
    python benchmarks/fields.py --cv --sources  # ... and choose page lines vs crop re-read
    python benchmarks/fields.py --cv --augment  # train on scans + a photographed copy of each

Every receipt is read once by the default OCR pipeline (``precision="f32"``; pages cached
in ``models/cache/pages``, so a second run takes seconds). "Photographed" receipts are
the scans turned 3-7 degrees, tilted in perspective, dimly and unevenly lit and blurred
(``ovocr.regions.augment.photograph``, seed 1000 + receipt index; the images are kept in
``models/cache/photos``). Training uses the 100 training scans; with ``--augment`` also a
photographed copy of each (``augment.TRAINING``: 0-7 degrees, milder light), its OCR page
mapped back onto the scan so the scan's annotation labels it exactly.

Tables (``ovocr.regions.evaluation``): per concept, F1 of exact values (case-insensitive,
whitespace removed), on scans and on photos side by side; the no-training rules as a
baseline. ``--cv`` repeats it by 5-fold cross-validation on the training receipts
(validating on the held-out fold's scans and on photographed copies of them): the method, the value
rules and, with ``--sources``, page lines vs crop re-read per concept were chosen there,
never on the test receipts. Explained in 06-custom-text-regions; the committed summary
is ``benchmarks/FIELDS.md``.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable, Sequence

import numpy as np
import ovocr
from ovocr.datasets import shared_data_dir
from ovocr.models import DEFAULT_DET, DEFAULT_REC, models_dir
from ovocr.regions.annotations import Annotation, Region
from ovocr.regions.augment import PHOTO, TRAINING, photo_matrix, photographed_set, unwarp_page
from ovocr.regions.baseline import baseline_regions
from ovocr.regions.cache import cached_array_page, cached_pages, settings_key
from ovocr.regions.evaluation import ConceptScore, score_fields
from ovocr.regions.fields import fields_from_regions, median_line_height, read_regions
from ovocr.regions.model import RegionModel
from ovocr.regions.sroie import CONCEPTS, KINDS, load_sroie_annotations
from ovocr.regions.train import train_model
from ovocr.types import Page

Scores = dict[str, ConceptScore]


def score(regions: Sequence[Sequence[Region]], annotations: Sequence[Annotation]) -> Scores:
    fields = [fields_from_regions(r, KINDS, CONCEPTS) for r in regions]
    return score_fields(fields, [a.values for a in annotations], CONCEPTS)


def side_by_side(columns: dict[str, Scores], title: str) -> str:
    """One Markdown table: a column of F1 per named score set, and the mean."""
    head = f"| {title} | " + " | ".join(columns) + " |"
    lines = [head, "|---" * (len(columns) + 1) + "|"]
    for c in CONCEPTS:
        lines.append(f"| {c} | " + " | ".join(f"{s[c].f1:.3f}" for s in columns.values()) + " |")
    means = [np.mean([s[c].f1 for c in CONCEPTS]) for s in columns.values()]
    lines.append("| **mean** | " + " | ".join(f"**{m:.3f}**" for m in means) + " |")
    return "\n".join(lines)


def augmented_pairs(
    train: Sequence[Annotation], photo_pages: Sequence[Page]
) -> list[tuple[Annotation, Page]]:
    """Each training scan's annotation with its photo's page mapped back onto the scan."""
    out = []
    for i, (a, page) in enumerate(zip(train, photo_pages)):
        matrix, _ = photo_matrix(a.width, a.height, np.random.default_rng(i), TRAINING)
        out.append((a, unwarp_page(page, matrix, a.width, a.height)))
    return out


def cross_validate(
    train: Sequence[Annotation],
    pages: Sequence[Page],
    extra: Sequence[tuple[Annotation, Page]],
    method: str,
    folds: int = 5,
) -> tuple[list[RegionModel], np.ndarray]:
    """One model per fold (trained on the other folds' scans and their ``extra`` photos),
    and the fold of every receipt."""
    fold = np.arange(len(train)) % folds
    models = []
    for f in range(folds):
        keep = [i for i in range(len(train)) if fold[i] != f]
        annotations = [train[i] for i in keep] + [extra[i][0] for i in keep if extra]
        fit_pages = [pages[i] for i in keep] + [extra[i][1] for i in keep if extra]
        models.append(train_model(annotations, fit_pages, KINDS, method))
    return models, fold


def crop_regions(
    annotations: Sequence[Annotation],
    pages: Sequence[Page],
    regions: Sequence[Sequence[Region]],
    ocr: Callable,
    key: str,
) -> list[list[Region]]:
    """The regions re-read from their crops (crop pages cached by their pixels)."""
    out = []
    for a, page, found in zip(annotations, pages, regions):
        image = ovocr.load_image(a.image)
        read, _ = read_regions(
            image, found, lambda c: cached_array_page(c, ocr, key), median_line_height(page)
        )
        out.append(read)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", default=None, help="folder holding sroie/ and sroie_train/")
    parser.add_argument("--cv", action="store_true", help="also 5-fold CV on sroie_train")
    parser.add_argument("--sources", action="store_true", help="CV: page lines vs crop re-read")
    parser.add_argument(
        "--augment", action="store_true", help="also train on a photographed copy of each scan"
    )
    args = parser.parse_args()
    data = args.data or shared_data_dir()
    if data is None:
        raise SystemExit("fields benchmark: ../shared/data not found (set --data)")
    ocr = ovocr.load_pipeline(device="CPU", precision="f32")
    key = settings_key(DEFAULT_DET, DEFAULT_REC, "f32")
    photos_dir = models_dir() / "cache" / "photos"
    start = time.perf_counter()
    train = load_sroie_annotations(f"{data}/sroie_train")
    test = load_sroie_annotations(f"{data}/sroie")
    test_photos = photographed_set(test, photos_dir / "sroie", seed=1000, settings=PHOTO)
    train_photos = photographed_set(train, photos_dir / "sroie_train", seed=0, settings=TRAINING)
    sets = {
        ("train", "scans"): train,
        ("train", "photos"): train_photos,
        ("test", "scans"): test,
        ("test", "photos"): test_photos,
    }
    pages = {k: cached_pages([a.image for a in items], ocr, key) for k, items in sets.items()}
    out = [f"OCR of {len(train)} + {len(test)} receipts, scans and photos (or cache): "]
    out[0] += f"{time.perf_counter() - start:.1f} s"
    extra = augmented_pairs(train, pages["train", "photos"]) if args.augment else []

    if args.cv:
        cv: dict[str, Scores] = {}
        for method in ("trees", "softmax"):
            models, fold = cross_validate(train, pages["train", "scans"], extra, method)
            for kind in ("scans", "photos"):
                page_set = pages["train", kind]
                found = [models[fold[i]].predict(p) for i, p in enumerate(page_set)]
                cv[f"{method}, {kind}"] = score(found, sets["train", kind])
                if method == "trees" and kind == "scans" and args.sources:
                    crops = crop_regions(train, page_set, found, ocr, key)
                    cv["trees, scans, crop re-read"] = score(crops, train)
        cv["rules, scans"] = score([baseline_regions(p) for p in pages["train", "scans"]], train)
        out.append(side_by_side(cv, "CV F1 (5 folds, sroie_train)"))

    start = time.perf_counter()
    annotations = list(train) + [a for a, _ in extra]
    model = train_model(annotations, list(pages["train", "scans"]) + [p for _, p in extra], KINDS)
    fit = time.perf_counter() - start
    columns = {}
    for kind in ("scans", "photos"):
        found = [model.predict(p) for p in pages["test", kind]]
        columns[f"trained, {kind}"] = score(found, sets["test", kind])
    for kind in ("scans", "photos"):
        found = [baseline_regions(p) for p in pages["test", kind]]
        columns[f"rules, {kind}"] = score(found, sets["test", kind])
    out.append(side_by_side(columns, f"dev-test F1 (sroie, fit {fit:.1f} s)"))
    print("\n\n".join(out))


if __name__ == "__main__":
    main()
