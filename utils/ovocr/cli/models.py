"""``ovocr models list|prepare|verify``: the prepared-model store from the shell.

Explained in 01-model-preparation.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from ..errors import OvocrError
from .common import EXIT_FATAL, EXIT_OK, echo, error, say


def add_parser(sub: Any) -> None:
    """Add ``models`` to the ``ovocr`` sub-command parsers."""
    p = sub.add_parser("models", help="list, prepare or verify models")
    p.add_argument(
        "action",
        choices=["list", "prepare", "verify"],
        help="verify: hash every file of the prepared models against their manifests, and "
        "every compiled-model cache blob against its recorded checksum (bad ones are removed)",
    )
    p.add_argument(
        "names",
        nargs="*",
        help="models to prepare (default: the defaults) or verify (default: all prepared)",
    )
    p.add_argument("--default", action="store_true", help="prepare the default models")
    p.add_argument("--all", action="store_true", help="prepare every packaged model")
    p.add_argument("--force", action="store_true", help="rebuild even if cached")
    p.add_argument("-q", "--quiet", action="store_true")
    p.set_defaults(func=cmd_models)


def cmd_models(args: argparse.Namespace) -> int:
    if args.action == "verify":
        return _verify(args.names)
    if args.action == "list":
        return _list()
    return _prepare(args)


def _verify(names: list[str]) -> int:
    """Every file hashed, not only those whose stamp changed; then the compiled-model cache."""
    from ..devices import verify_cache
    from ..models import REGISTRY, models_dir, verify

    names = names or [n for n in REGISTRY if (models_dir() / n).exists()]
    status = EXIT_OK
    for name in names:
        problem = verify(name)
        echo(f"{name}: {problem or 'ok'}")
        if problem:
            status = EXIT_FATAL
    for problem in verify_cache():  # each changed blob is removed and named
        echo(problem)
        status = EXIT_FATAL
    return status


def _list() -> int:
    from ..models import DEFAULT_DET, DEFAULT_REC, REGISTRY, is_prepared

    for spec in REGISTRY.values():
        state = "ready" if is_prepared(spec.name) else "-"
        default = " (default)" if spec.name in (DEFAULT_DET, DEFAULT_REC) else ""
        echo(
            f"{spec.name:32s} {spec.task:3s} {spec.source:8s} {state:5s} "
            f"{spec.description}{default}"
        )
    return EXIT_OK


def _prepare(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from ..models import DEFAULT_CLS, DEFAULT_DET, DEFAULT_REC, REGISTRY, prepare

    names = list(args.names)
    if args.default or not names:
        names += [DEFAULT_DET, DEFAULT_REC, DEFAULT_CLS]
    if args.all:
        names = [s.name for s in REGISTRY.values() if s.source == "packaged"]
    status = EXIT_OK
    bar = tqdm(
        list(dict.fromkeys(names)),
        unit="model",
        file=sys.stderr,
        disable=args.quiet or not sys.stderr.isatty(),
    )
    for name in bar:
        bar.set_description(name)
        try:
            prepared = prepare(name, force=args.force, progress=say(args.quiet))
            with tqdm.external_write_mode(file=sys.stdout):  # the bar steps aside
                echo(f"{name}: {prepared.path}")
        except OvocrError as exc:
            error(str(exc))
            status = EXIT_FATAL
    return status
