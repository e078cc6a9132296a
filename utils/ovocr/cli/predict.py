"""``ovocr predict`` (detect and read whole images and PDF pages) and ``ovocr recognize``
(read crops).

Explained in 05-ocr-pipeline; PDFs and ``--engine ray`` in 11-ocr-at-scale.
"""

from __future__ import annotations

import argparse
import queue
import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, closing, nullcontext
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
    stop_at_once,
    stop_ray,
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
        job = read_with_ray(items, dpi=args.dpi, address=args.ray_address, **settings)
        results = _on_own_thread(job)
    else:
        from ..pipeline import load_pipeline

        many = len(images) > 1 or any(is_pdf(path) for path in images)
        ocr = load_pipeline(
            **settings, hint="THROUGHPUT" if many else "LATENCY", progress=say(args.quiet)
        )
        results = read_items(ocr, items, dpi=args.dpi)
    return _with_progress(results, images, args.quiet)


def _on_own_thread(job: Iterator[Result]) -> Iterator[Result]:
    """The results of a Ray job, run on a thread of its own that ends with Ray's shutdown.

    The main thread only waits on a queue in short steps, so a signal handler runs at
    once, never inside Ray (see ``common.stop_at_once``); Ray, started off the main
    thread, sets no SIGTERM handler of its own. A local Ray's processes die with the
    thread that started them (their parent-death signal), so that thread shuts Ray
    down before it ends.
    """
    out: queue.Queue[Any] = queue.Queue(maxsize=64)
    stop = threading.Event()

    def hand(value: Any) -> bool:
        while not stop.is_set():
            try:
                out.put(value, timeout=0.2)
                return True
            except queue.Full:
                continue
        return False

    def run() -> None:
        try:
            for result in job:
                if not hand(result):
                    break
        except BaseException as exc:  # noqa: BLE001 - raised again on the main thread
            hand(exc)
        finally:
            job.close()  # type: ignore[attr-defined]
            stop_ray()
            hand(_END)

    thread = threading.Thread(target=run, name="ovocr-ray-job", daemon=True)
    thread.start()
    try:
        while True:
            try:
                value = out.get(timeout=0.2)
            except queue.Empty:
                continue
            if value is _END:
                return
            if isinstance(value, BaseException):
                raise value
            yield value
    finally:
        stop.set()
        while thread.is_alive():  # Ray shuts down; short waits keep signals handled
            thread.join(0.2)


_END = object()


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
    with _ray_stops(args), closing(results), output(args.output) as out:  # type: ignore[type-var]
        for result in results:
            if not result.ok:
                error(str(result.outcome))
                failures += 1
                continue
            out.write(result.record())
    return EXIT_INPUT if failures else EXIT_OK


def _ray_stops(args: argparse.Namespace) -> AbstractContextManager[None]:
    """With ``--engine ray``, SIGTERM and Ctrl-C end the process at once (see
    ``stop_at_once``)."""
    return stop_at_once() if args.engine == "ray" else nullcontext()


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
