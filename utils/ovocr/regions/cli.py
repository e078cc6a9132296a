"""``ovocr fields``: read the fields of custom regions, or train the region model.

``ovocr fields --model DIR IMAGE... [-o OUT.jsonl]`` writes one JSON object per image:
    ``{"image", "fields": {concept: value}, "regions": [{"concept", "box": {"top_row",
    "left_col", "bottom_row", "right_col"}, "score", "text"}]}`` plus ``"errors":
    {concept: message}`` when a region's crop could not be read (also printed as
    ``ovocr: <image>: <message>``; such an image still counts as read).
``ovocr fields train --data DIR --out DIR`` trains a model from a folder in the SROIE
    layout (``boxes/``, ``images/``, ``keys/``) or holding an ``annotations.json`` written
    by ``ovocr.regions.annotations.save_annotations``.

Explained in 06-custom-text-regions.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

TRAIN = "train"


def add_fields_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Add the ``fields`` command to the ``ovocr`` sub-command parsers."""
    p = subparsers.add_parser(
        "fields",
        help="read custom text regions (fields) with a trained model, or train one",
        description=__doc__.split("\n\n")[0] + " Use `ovocr fields train ...` to train.",
    )
    p.add_argument("paths", nargs="*", help="images or folders; or 'train' to train a model")
    p.add_argument("--model", help="region model folder (from `ovocr fields train`)")
    p.add_argument("--data", help="train: folder in the SROIE layout or with annotations.json")
    p.add_argument("--out", help="train: folder to write the model into")
    p.add_argument("--limit", type=int, default=None, help="train: use the first N images")
    p.add_argument("--method", choices=["trees", "softmax"], default="trees", help="train")
    p.add_argument(
        "--kind",
        action="append",
        default=[],
        metavar="CONCEPT=KIND",
        help="train: value kind of a concept (text, name, date, amount); repeatable",
    )
    p.add_argument("--page-cache", default=None, help="train: OCR page cache folder")
    p.add_argument("--device", default=os.environ.get("OVOCR_DEVICE", "AUTO"))
    p.add_argument("--precision", default=None, choices=["f32", "bf16", "f16"])
    p.add_argument("--cache-dir", default=None, help="OpenVINO model cache folder")
    p.add_argument("-o", "--output", default=None, help="write JSON lines here")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress or status")
    p.set_defaults(func=cmd_fields)
    return p


def cmd_fields(args: argparse.Namespace) -> int:
    from ..cli import EXIT_FATAL, _error

    if args.paths[:1] == [TRAIN]:
        if len(args.paths) > 1 or not args.data or not args.out:
            _error("usage: ovocr fields train --data DIR --out DIR (no image paths)")
            return EXIT_FATAL
        return _train(args)
    if not args.model or not args.paths:
        _error("usage: ovocr fields --model DIR IMAGE... (or: ovocr fields train ...)")
        return EXIT_FATAL
    return _predict(args)


def _predict(args: argparse.Namespace) -> int:
    from ..cli import EXIT_INPUT, EXIT_OK, _error, _expand, _output, _progress, _say
    from ..errors import ImageError
    from .fields import load_field_reader

    images, failures = _expand(args.paths)
    reader = load_field_reader(
        args.model, args.device, args.precision, args.cache_dir, progress=_say(args.quiet)
    )
    with _output(args.output) as out:
        for path in _progress(images, args.quiet, "img"):
            try:
                result = reader(path)
            except ImageError as exc:
                _error(str(exc))
                failures += 1
                continue
            for message in result.errors.values():
                _error(f"{path}: {message}")
            out.write(json.dumps(result.to_dict(), ensure_ascii=False) + "\n")
            out.flush()
    return EXIT_INPUT if failures else EXIT_OK


def _train(args: argparse.Namespace) -> int:
    from ..cli import EXIT_FATAL, EXIT_OK, _error, _say
    from ..models import DEFAULT_DET, DEFAULT_REC
    from ..pipeline import load_pipeline
    from .cache import cached_pages, settings_key
    from .train import load_training_data, train_model

    kinds = {}
    for item in args.kind:
        concept, sep, kind = item.partition("=")
        if not sep:
            _error(f"--kind {item!r}: expected CONCEPT=KIND")
            return EXIT_FATAL
        kinds[concept] = kind
    say = _say(args.quiet)
    start = time.perf_counter()
    annotations, default_kinds = load_training_data(Path(args.data), args.limit)
    ocr = load_pipeline(
        device=args.device, precision=args.precision, cache_dir=args.cache_dir, progress=say
    )
    settings = {"det": DEFAULT_DET, "rec": DEFAULT_REC}
    key = settings_key(DEFAULT_DET, DEFAULT_REC, args.precision)

    def tick(done: int, total: int) -> None:
        if say and (done % 10 == 0 or done == total):
            say(f"read {done}/{total} training images")

    pages = cached_pages([a.image for a in annotations], ocr, key, args.page_cache, tick)
    try:
        model = train_model(
            annotations, pages, {**default_kinds, **kinds}, args.method, settings, say
        )
    except ValueError as exc:
        _error(f"{args.data}: {exc}")
        return EXIT_FATAL
    model.info["train_seconds"] = round(time.perf_counter() - start, 1)
    folder = model.save(args.out)
    concepts = ", ".join(f"{c.name} ({c.kind})" for c in model.concepts)
    print(
        f"trained on {len(pages)} images in {model.info['train_seconds']} s: {concepts}"
        f" -> {folder}",
        file=sys.stdout,
    )
    return EXIT_OK
