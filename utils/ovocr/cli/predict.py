"""``ovocr predict`` (detect and read whole images and PDF pages) and ``ovocr recognize``
(read crops).

Explained in 05-ocr-pipeline; PDFs and ``--engine ray`` in 11-ocr-at-scale.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import ImageError
from .common import (
    EXIT_INPUT,
    EXIT_OK,
    add_output_options,
    add_runtime_options,
    error,
    expand,
    output,
    progress,
    refuse_input_as_output,
    say,
)

if TYPE_CHECKING:
    from ..scale import Result

RECOGNIZE_BATCH = 64  # crops read in one call
# ...and at most this many pixels decoded ahead of the recogniser (96 MB as RGB): a folder
# of 48-megapixel photos given as crops would otherwise hold 64 of them at once.
RECOGNIZE_PIXELS = 32_000_000


def add_parsers(sub: Any) -> None:
    """Add ``predict`` and ``recognize`` to the ``ovocr`` sub-command parsers."""
    from ..models import DEFAULT_DET, DEFAULT_REC
    from ..pdf import DEFAULT_DPI

    def common(p: argparse.ArgumentParser) -> None:
        p.add_argument("paths", nargs="+", help="image files or folders (searched recursively)")
        p.add_argument("--rec", default=DEFAULT_REC, help="recognition model name or path")
        p.add_argument("--cls", default=None, help="angle classifier (e.g. ppocrv5-cls)")
        add_runtime_options(p)
        add_output_options(p)

    predict = sub.add_parser("predict", help="detect and read text in images and PDFs")
    common(predict)
    predict.add_argument("--det", default=DEFAULT_DET, help="detection model name or path")
    predict.add_argument(
        "--dpi",
        type=_positive,
        default=DEFAULT_DPI,
        help=f"resolution PDF pages are rendered at (default: {DEFAULT_DPI})",
    )
    predict.add_argument(
        "--engine",
        choices=["local", "ray"],
        default="local",
        help="local: this process; ray: a Ray Data job (pip install 'ovocr[scale]')",
    )
    predict.add_argument(
        "--ray-address",
        default=None,
        help="Ray cluster to run on with --engine ray (default: $RAY_ADDRESS, else a local Ray)",
    )
    predict.set_defaults(func=cmd_predict)

    recognize = sub.add_parser("recognize", help="read cropped word or line images")
    common(recognize)
    recognize.set_defaults(func=cmd_recognize)


def _positive(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = 0.0
    if not value > 0:
        raise argparse.ArgumentTypeError(f"expected a positive number, got {text!r}")
    return value


def read_pages(args: argparse.Namespace, images: list[Path]) -> Iterator[Result]:
    """One ``Result`` per image or PDF page (a page, or the error that stopped it), in
    input order, from this process or from a Ray Data job (``--engine ray``).

    The one place that turns inputs into pages. The model loads before the first page is
    asked for, so a bad model name fails fast.
    """
    from ..pdf import is_pdf
    from ..scale import Item, read_items, read_with_ray

    items = [Item(path) for path in images]
    settings = {
        "det": args.det,
        "rec": args.rec,
        "cls": args.cls,
        "device": args.device,
        "precision": args.precision,
        "cache_dir": args.cache_dir,
    }
    if args.engine == "ray":
        results = read_with_ray(items, dpi=args.dpi, address=args.ray_address, **settings)
    else:
        from ..pipeline import load_pipeline

        many = len(images) > 1 or any(is_pdf(path) for path in images)
        ocr = load_pipeline(
            **settings, hint="THROUGHPUT" if many else "LATENCY", progress=say(args.quiet)
        )
        results = read_items(ocr, items, dpi=args.dpi)
    return _with_progress(results, images, args.quiet)


def _with_progress(results: Iterator[Result], images: list[Path], quiet: bool) -> Iterator[Result]:
    """A progress bar by input file: a file counts when its first result (page) is out."""
    bar = iter(progress(images, quiet, "file"))
    try:
        for result in results:
            if result.page in (None, 1):
                next(bar, None)
            yield result
        for _ in bar:  # finishes the bar
            pass
    finally:
        results.close()  # type: ignore[attr-defined]


def cmd_predict(args: argparse.Namespace) -> int:
    from ..scale import DOCUMENT_EXTENSIONS

    images, failures = expand(args.paths, DOCUMENT_EXTENSIONS)  # folders: images and PDFs
    refuse_input_as_output(args.output, images)
    results = read_pages(args, images)
    with closing(results), output(args.output) as out:  # type: ignore[type-var]
        for result in results:
            if not result.ok:
                error(str(result.outcome))
                failures += 1
                continue
            out.write(result.record())
    return EXIT_INPUT if failures else EXIT_OK


def cmd_recognize(args: argparse.Namespace) -> int:
    from ..images import load_image
    from ..pipeline import load_recognizer

    images, failures = expand(args.paths)
    refuse_input_as_output(args.output, images)
    read = load_recognizer(
        rec=args.rec,
        cls=args.cls,
        device=args.device,
        precision=args.precision,
        cache_dir=args.cache_dir,
        progress=say(args.quiet),
    )
    with output(args.output) as out:
        batch: list[tuple[Path, Any]] = []

        def flush() -> None:
            readings = read([img for _, img in batch])
            for (path, _), reading in zip(batch, readings):
                out.write(
                    {
                        "image": str(path),
                        "text": reading.text,
                        "confidence": round(reading.confidence, 4),
                    }
                )
            batch.clear()

        pixels = 0
        for path in progress(images, args.quiet, "img"):
            try:
                batch.append((path, load_image(path)))
            except ImageError as exc:
                error(str(exc))
                failures += 1
            else:
                pixels += batch[-1][1].shape[0] * batch[-1][1].shape[1]
            if len(batch) >= RECOGNIZE_BATCH or pixels >= RECOGNIZE_PIXELS:
                flush()
                pixels = 0
        if batch:
            flush()
    return EXIT_INPUT if failures else EXIT_OK
