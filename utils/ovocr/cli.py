"""The ``ovocr`` command line: a stable contract other tools depend on.

``ovocr predict PATH...``  one JSON object per image per line:
    ``{"image", "width", "height", "words": [{"text", "confidence", "quad"}], "text"}``
``ovocr recognize PATH...`` each image is one cropped word or line:
    ``{"image", "text", "confidence"}``
``ovocr models list|prepare|verify``, ``ovocr devices``.

A bad input prints ``ovocr: <path>: <problem>`` on stderr and the batch goes on; the exit
code is 1 if any input failed, 2 for a usage, model or device error, else 0.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

from .errors import ImageError, ImageWarning, OvocrError
from .regions.cli import add_fields_parser

EXIT_OK, EXIT_INPUT, EXIT_FATAL = 0, 1, 2


def _error(message: str) -> None:
    # tqdm is imported only when a progress bar is shown (it slows every start otherwise);
    # with a bar, its write() keeps the message on its own line.
    tqdm = sys.modules.get("tqdm")
    if tqdm is None:
        print(f"ovocr: {message}", file=sys.stderr, flush=True)
    else:
        tqdm.tqdm.write(f"ovocr: {message}", file=sys.stderr)


def _image_warnings_as_lines(fallback: Any) -> Any:
    """A ``warnings.showwarning`` that prints image warnings (a downscaled input) as
    ``ovocr: <path>: <what>`` lines and hands other warnings to ``fallback``."""

    def show(message: Any, category: type[Warning], *args: Any, **kwargs: Any) -> None:
        if issubclass(category, ImageWarning):
            _error(str(message))
        else:
            fallback(message, category, *args, **kwargs)

    return show


@contextmanager
def _output(path: str | None) -> Iterator[IO[str]]:
    """stdout, or a file written under a temporary name and renamed when complete."""
    if not path:
        yield sys.stdout
        return
    target = Path(path)
    if target.is_dir():
        raise OvocrError(f"{target}: is a directory; -o needs a file name")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    except OSError as exc:
        raise OvocrError(f"{target}: cannot write here ({exc.strerror}: {exc.filename})") from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            yield fh
        os.replace(tmp, target)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def _progress(items: list[Any], quiet: bool, unit: str) -> Any:
    if quiet or len(items) <= 3 or not sys.stderr.isatty():
        return items
    from tqdm import tqdm

    return tqdm(items, unit=unit, file=sys.stderr, dynamic_ncols=True)


def _expand(paths: list[str]) -> tuple[list[Path], int]:
    from .images import iter_image_paths

    found: list[Path] = []
    failures = 0
    for raw in paths:
        try:
            found.extend(iter_image_paths([raw]))
        except ImageError as exc:
            _error(str(exc))
            failures += 1
    return found, failures


def _say(quiet: bool) -> Any:
    return None if quiet else _error


def cmd_predict(args: argparse.Namespace) -> int:
    from .pipeline import load_pipeline

    images, failures = _expand(args.paths)
    ocr = load_pipeline(
        det=args.det,
        rec=args.rec,
        cls=args.cls,
        device=args.device,
        precision=args.precision,
        cache_dir=args.cache_dir,
        hint="THROUGHPUT" if len(images) > 1 else "LATENCY",
        progress=_say(args.quiet),
    )
    with _output(args.output) as out:
        pages = ocr.map(images, return_errors=True)  # overlaps the work of several images
        for path in _progress(images, args.quiet, "img"):
            page = next(pages)
            if isinstance(page, ImageError):
                _error(str(page))
                failures += 1
                continue
            record = {"image": str(path), **page.to_dict()}
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
            out.flush()
    return EXIT_INPUT if failures else EXIT_OK


def cmd_recognize(args: argparse.Namespace) -> int:
    from .images import load_image
    from .pipeline import load_recognizer

    images, failures = _expand(args.paths)
    read = load_recognizer(
        rec=args.rec,
        cls=args.cls,
        device=args.device,
        precision=args.precision,
        cache_dir=args.cache_dir,
        progress=_say(args.quiet),
    )
    with _output(args.output) as out:
        batch: list[tuple[Path, Any]] = []

        def flush() -> None:
            readings = read([img for _, img in batch])
            for (path, _), reading in zip(batch, readings):
                record = {
                    "image": str(path),
                    "text": reading.text,
                    "confidence": round(reading.confidence, 4),
                }
                out.write(json.dumps(record, ensure_ascii=False) + "\n")
            batch.clear()

        for path in _progress(images, args.quiet, "img"):
            try:
                batch.append((path, load_image(path)))
            except ImageError as exc:
                _error(str(exc))
                failures += 1
            if len(batch) >= 64:
                flush()
        if batch:
            flush()
    return EXIT_INPUT if failures else EXIT_OK


def cmd_models(args: argparse.Namespace) -> int:
    from .models import (
        DEFAULT_CLS,
        DEFAULT_DET,
        DEFAULT_REC,
        REGISTRY,
        is_prepared,
        models_dir,
        prepare,
        verify,
    )

    if args.action == "verify":  # every file hashed, not only those whose stamp changed
        names = args.names or [n for n in REGISTRY if (models_dir() / n).exists()]
        status = EXIT_OK
        for name in names:
            problem = verify(name)
            print(f"{name}: {problem or 'ok'}")
            if problem:
                status = EXIT_FATAL
        return status
    if args.action == "list":
        for spec in REGISTRY.values():
            state = "ready" if is_prepared(spec.name) else "-"
            default = " (default)" if spec.name in (DEFAULT_DET, DEFAULT_REC) else ""
            print(
                f"{spec.name:32s} {spec.task:3s} {spec.source:8s} {state:5s} "
                f"{spec.description}{default}"
            )
        return EXIT_OK
    names = list(args.names)
    if args.default or not names:
        names += [DEFAULT_DET, DEFAULT_REC, DEFAULT_CLS]
    if args.all:
        names = [s.name for s in REGISTRY.values() if s.source == "packaged"]
    status = EXIT_OK
    from tqdm import tqdm

    bar = tqdm(
        list(dict.fromkeys(names)),
        unit="model",
        file=sys.stderr,
        disable=args.quiet or not sys.stderr.isatty(),
    )
    for name in bar:
        bar.set_description(name)
        try:
            prepared = prepare(name, force=args.force, progress=_say(args.quiet))
            tqdm.write(f"{name}: {prepared.path}", file=sys.stdout)
        except OvocrError as exc:
            _error(str(exc))
            status = EXIT_FATAL
    return status


def cmd_devices(_args: argparse.Namespace) -> int:
    from .devices import available_devices, get_core

    core = get_core()
    for device in available_devices():
        print(f"{device}: {core.get_property(device, 'FULL_DEVICE_NAME')}")
    return EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    from .models import DEFAULT_DET, DEFAULT_REC

    parser = argparse.ArgumentParser(prog="ovocr", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)

    def common(p: argparse.ArgumentParser) -> None:
        p.add_argument("paths", nargs="+", help="image files or folders (searched recursively)")
        p.add_argument("--rec", default=DEFAULT_REC, help="recognition model name or path")
        p.add_argument("--cls", default=None, help="angle classifier (e.g. ppocrv5-cls)")
        p.add_argument("--device", default=os.environ.get("OVOCR_DEVICE", "AUTO"))
        p.add_argument(
            "--precision",
            default=None,
            choices=["f32", "bf16", "f16"],
            help="inference precision hint (default: OpenVINO's choice)",
        )
        p.add_argument(
            "--cache-dir",
            default=None,
            help="OpenVINO model cache folder (default: .ov_cache in the models folder; '': none)",
        )
        p.add_argument("-o", "--output", default=None, help="write JSON lines here")
        p.add_argument("-q", "--quiet", action="store_true", help="no progress or status")

    predict = sub.add_parser("predict", help="detect and read text in images")
    common(predict)
    predict.add_argument("--det", default=DEFAULT_DET, help="detection model name or path")
    predict.set_defaults(func=cmd_predict)

    recognize = sub.add_parser("recognize", help="read cropped word or line images")
    common(recognize)
    recognize.set_defaults(func=cmd_recognize)

    models = sub.add_parser("models", help="list, prepare or verify models")
    models.add_argument(
        "action",
        choices=["list", "prepare", "verify"],
        help="verify: hash every file of the prepared models against their manifests",
    )
    models.add_argument(
        "names",
        nargs="*",
        help="models to prepare (default: the defaults) or verify (default: all prepared)",
    )
    models.add_argument("--default", action="store_true", help="prepare the default models")
    models.add_argument("--all", action="store_true", help="prepare every packaged model")
    models.add_argument("--force", action="store_true", help="rebuild even if cached")
    models.add_argument("-q", "--quiet", action="store_true")
    models.set_defaults(func=cmd_models)

    devices = sub.add_parser("devices", help="list OpenVINO devices")
    devices.set_defaults(func=cmd_devices)
    add_fields_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args, extra = parser.parse_known_args(argv)
    # Python 3.11's argparse gives a "*" positional nothing when an option comes first
    # (`models prepare --force NAME`): such names arrive as extras and are taken back.
    takes_names = isinstance(getattr(args, "names", None), list)
    if extra and (not takes_names or any(e.startswith("-") for e in extra)):
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    if extra:
        args.names += extra
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("always", ImageWarning)  # every image, not the first only
            warnings.showwarning = _image_warnings_as_lines(warnings.showwarning)
            return args.func(args)
    except OvocrError as exc:
        _error(str(exc))
        return EXIT_FATAL
    except KeyboardInterrupt:
        _error("interrupted")
        return 130


if __name__ == "__main__":
    sys.exit(main())
