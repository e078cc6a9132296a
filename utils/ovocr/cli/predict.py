"""``ovocr predict`` (detect and read whole images) and ``ovocr recognize`` (read crops).

Explained in 05-ocr-pipeline.
"""

from __future__ import annotations

import argparse
from collections.abc import Generator, Iterator
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
    say,
)

if TYPE_CHECKING:
    from ..types import Page

RECOGNIZE_BATCH = 64  # crops read in one call


def add_parsers(sub: Any) -> None:
    """Add ``predict`` and ``recognize`` to the ``ovocr`` sub-command parsers."""
    from ..models import DEFAULT_DET, DEFAULT_REC

    def common(p: argparse.ArgumentParser) -> None:
        p.add_argument("paths", nargs="+", help="image files or folders (searched recursively)")
        p.add_argument("--rec", default=DEFAULT_REC, help="recognition model name or path")
        p.add_argument("--cls", default=None, help="angle classifier (e.g. ppocrv5-cls)")
        add_runtime_options(p)
        add_output_options(p)

    predict = sub.add_parser("predict", help="detect and read text in images")
    common(predict)
    predict.add_argument("--det", default=DEFAULT_DET, help="detection model name or path")
    predict.set_defaults(func=cmd_predict)

    recognize = sub.add_parser("recognize", help="read cropped word or line images")
    common(recognize)
    recognize.set_defaults(func=cmd_recognize)


def read_pages(
    args: argparse.Namespace, images: list[Path]
) -> Generator[tuple[Path, Page | ImageError], None, None]:
    """Each input with its page (or the error that stopped it), in input order.

    The one place that turns inputs into pages: other engines or input kinds plug in here.
    The model loads before the first page is asked for, so a bad model name fails fast.
    """
    from ..pipeline import load_pipeline

    ocr = load_pipeline(
        det=args.det,
        rec=args.rec,
        cls=args.cls,
        device=args.device,
        precision=args.precision,
        cache_dir=args.cache_dir,
        hint="THROUGHPUT" if len(images) > 1 else "LATENCY",
        progress=say(args.quiet),
    )
    return _paired(images, ocr.map(images, return_errors=True), args.quiet)


def _paired(
    images: list[Path], pages: Iterator[Page | ImageError], quiet: bool
) -> Generator[tuple[Path, Page | ImageError], None, None]:
    try:  # overlaps the work of several images
        for path in progress(images, quiet, "img"):
            yield path, next(pages)
    finally:
        pages.close()  # type: ignore[attr-defined]


def cmd_predict(args: argparse.Namespace) -> int:
    images, failures = expand(args.paths)
    pages = read_pages(args, images)
    with closing(pages), output(args.output) as out:
        for path, page in pages:
            if isinstance(page, ImageError):
                error(str(page))
                failures += 1
                continue
            out.write({"image": str(path), **page.to_dict()})
    return EXIT_INPUT if failures else EXIT_OK


def cmd_recognize(args: argparse.Namespace) -> int:
    from ..images import load_image
    from ..pipeline import load_recognizer

    images, failures = expand(args.paths)
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

        for path in progress(images, args.quiet, "img"):
            try:
                batch.append((path, load_image(path)))
            except ImageError as exc:
                error(str(exc))
                failures += 1
            if len(batch) >= RECOGNIZE_BATCH:
                flush()
        if batch:
            flush()
    return EXIT_INPUT if failures else EXIT_OK
