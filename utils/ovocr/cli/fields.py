"""``ovocr fields``: read the fields of custom regions, or train the region model.

``ovocr fields [read] --model DIR IMAGE... [-o OUT.jsonl]`` writes one JSON object per image:
    ``{"image", "fields": {concept: best value}, "values": {concept: [every value, best
    first]}, "regions": [{"concept", "box": {"top_row", "left_col", "bottom_row",
    "right_col"}, "score", "text"}]}`` plus ``"errors": {concept: message}`` when a
    region's crop could not be read (also printed as ``ovocr: <image>: <message>``; such
    an image still counts as read). Concepts seen several times per image in training
    give every region above the score; ``--every`` asks that for all concepts, ``--best``
    keeps one region per concept.
``ovocr fields train --data DIR --out DIR`` trains a model from a folder holding an
    ``annotations.json`` written by ``ovocr.regions.annotations.save_annotations`` (any
    concept names), or in the SROIE layout (``boxes/``, ``images/``, ``keys/``) or the
    FUNSD layout (``annotations/``, ``images/``). The model learns its vocabulary from the
    annotations; ``--prior receipts`` adds hand-written receipt knowledge.

The model is a two-stage detector: the OCR's text lines are the proposals, a learnt
classifier picks the lines of each concept (``ovocr.regions.model``).

Explained in 07-reading-fields.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any

from ..errors import ImageError
from ..images import display_name, os_problem
from ..regions.features import PRIORS
from .common import (
    EXIT_FATAL,
    EXIT_INPUT,
    EXIT_OK,
    add_output_options,
    add_runtime_options,
    echo,
    error,
    expand,
    output,
    progress,
    refuse_input_as_output,
    say,
)

READ, TRAIN = "read", "train"


def add_parser(sub: Any) -> None:
    """Add ``fields read`` and ``fields train`` to the ``ovocr`` sub-command parsers.

    ``read`` is the default: ``ovocr fields --model DIR IMAGE`` means ``fields read ...``
    (see ``default_command``).
    """
    fields = sub.add_parser(
        "fields",
        help="read custom text regions (fields) with a trained model, or train one",
        description=__doc__.split("\n\n")[0],
    )
    actions = fields.add_subparsers(dest="fields_command", required=True)

    read = actions.add_parser(READ, help="read fields of images (the default)")
    read.add_argument("paths", nargs="*", help="images or folders")
    read.add_argument("--model", help="region model folder (from `ovocr fields train`)")
    many = read.add_mutually_exclusive_group()
    many.add_argument(
        "--every",
        dest="every",
        action="store_const",
        const=True,
        default=None,
        help="every region above the score for every concept",
    )
    many.add_argument(
        "--best", dest="every", action="store_const", const=False, help="one region per concept"
    )
    add_runtime_options(read, cache_help="OpenVINO model cache folder")
    add_output_options(read)
    read.set_defaults(func=cmd_read)

    train = actions.add_parser(TRAIN, help="train a region model")
    train.add_argument("--data", help="folder in the SROIE layout or with annotations.json")
    train.add_argument("--out", help="folder to write the model into")
    train.add_argument("--limit", type=int, default=None, help="use the first N images")
    train.add_argument("--method", choices=["trees", "softmax"], default="trees")
    train.add_argument(
        "--prior",
        choices=sorted(PRIORS),
        default=None,
        help="add hand-written knowledge of a document type (default: none, all learnt)",
    )
    train.add_argument(
        "--kind",
        action="append",
        default=[],
        metavar="CONCEPT=KIND",
        help="value kind of a concept (text, date, amount; name, address: receipt rules); "
        "repeatable; default: the kind its annotated values show (date, amount or text)",
    )
    train.add_argument("--page-cache", default=None, help="OCR page cache folder")
    add_runtime_options(train, cache_help="OpenVINO model cache folder")
    train.add_argument("-q", "--quiet", action="store_true", help="no progress or status")
    train.set_defaults(func=cmd_train)


def default_command(argv: list[str]) -> list[str]:
    """``fields ARGS`` -> ``fields read ARGS`` unless ARGS names an action or asks for help."""
    if argv[:1] == ["fields"] and (argv[1:2] or [""])[0] not in (READ, TRAIN, "-h", "--help"):
        return ["fields", READ, *argv[1:]]
    return argv


def cmd_read(args: argparse.Namespace) -> int:
    from ..regions.fields import load_field_reader

    if not args.model or not args.paths:
        error("usage: ovocr fields --model DIR IMAGE... (or: ovocr fields train ...)")
        return EXIT_FATAL
    images, failures = expand(args.paths)
    refuse_input_as_output(args.output, images)
    reader = load_field_reader(
        args.model,
        args.device,
        args.precision,
        args.cache_dir,
        progress=say(args.quiet),
        every=args.every,
    )
    with output(args.output) as out:
        for path in progress(images, args.quiet, "img"):
            try:
                result = reader(path)
            except ImageError as exc:
                error(str(exc))
                failures += 1
                continue
            for message in result.errors.values():
                error(f"{display_name(path)}: {message}")
            out.write(result.to_dict())
    return EXIT_INPUT if failures else EXIT_OK


def cmd_train(args: argparse.Namespace) -> int:
    from ..models import DEFAULT_DET, DEFAULT_REC
    from ..pipeline import load_pipeline
    from ..regions.cache import cached_pages, settings_key
    from ..regions.train import load_training_data, train_model

    if not args.data or not args.out:
        error("usage: ovocr fields train --data DIR --out DIR (no image paths)")
        return EXIT_FATAL
    kinds = {}
    for item in args.kind:
        concept, sep, kind = item.partition("=")
        if not sep:
            error(f"--kind {item!r}: expected CONCEPT=KIND")
            return EXIT_FATAL
        kinds[concept] = kind
    status = say(args.quiet)
    start = time.perf_counter()
    if args.limit is not None and args.limit < 1:
        error(f"--limit {args.limit}: no annotations to train on; give 1 or more")
        return EXIT_FATAL
    annotations, default_kinds = load_training_data(Path(args.data), args.limit, args.prior)
    if not annotations:
        error(f"{args.data}: no annotations to train on")
        return EXIT_FATAL
    ocr = load_pipeline(
        device=args.device, precision=args.precision, cache_dir=args.cache_dir, progress=status
    )
    settings = {"det": DEFAULT_DET, "rec": DEFAULT_REC}
    key = settings_key(DEFAULT_DET, DEFAULT_REC, args.precision)
    # One image at a time, so that a missing or broken image is one line and training
    # goes on with the others.
    kept, pages, failures = [], [], 0
    for done, annotation in enumerate(annotations, start=1):
        try:
            pages += cached_pages([annotation.image], ocr, key, args.page_cache)
        except ImageError as exc:
            error(str(exc))
            failures += 1
            continue
        except OSError as exc:  # the image could not be read to make its cache key
            error(f"{display_name(annotation.image)}: {os_problem(exc)}")
            failures += 1
            continue
        kept.append(annotation)
        if status and (done % 10 == 0 or done == len(annotations)):
            status(f"read {done}/{len(annotations)} training images")
    if not kept:
        error(f"{args.data}: none of the {len(annotations)} annotated images could be read")
        return EXIT_FATAL
    annotations = kept
    try:
        model = train_model(
            annotations,
            pages,
            {**default_kinds, **kinds},
            args.method,
            settings,
            status,
            prior=args.prior,
        )
    except ValueError as exc:
        error(f"{args.data}: {exc}")
        return EXIT_FATAL
    model.info["train_seconds"] = round(time.perf_counter() - start, 1)
    folder = model.save(args.out)
    concepts = ", ".join(
        f"{c.name} ({c.kind}{', every region' if c.multiple else ''})" for c in model.concepts
    )
    seconds = model.info["train_seconds"]
    echo(f"trained on {len(pages)} images in {seconds} s: {concepts} -> {folder}")
    return EXIT_INPUT if failures else EXIT_OK
