"""The ``ovocr`` command line: a stable contract other tools depend on.

``ovocr predict PATH...``  one JSON object per image per line:
    ``{"image", "width", "height", "words": [{"text", "confidence", "quad"}], "text"}``
``ovocr recognize PATH...`` each image is one cropped word or line:
    ``{"image", "text", "confidence"}``
``ovocr models list|prepare|verify``, ``ovocr devices``, ``ovocr fields [read|train]``.

A bad input prints ``ovocr: <path>: <problem>`` on stderr and the batch goes on; the exit
code is 1 if any input failed, 2 for a usage, model, device or output error, else 0.

One module per command group (``predict``, ``models``, ``devices``, ``fields``); what they
share is in ``common``.
"""

from __future__ import annotations

import argparse
import sys

from ..errors import OvocrError
from . import devices, fields, models, predict
from .common import EXIT_FATAL, EXIT_INTERRUPTED, error, image_warnings


def build_parser() -> argparse.ArgumentParser:
    """The ``ovocr`` argument parser with every sub-command."""
    parser = argparse.ArgumentParser(prog="ovocr", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    predict.add_parsers(sub)
    models.add_parser(sub)
    devices.add_parser(sub)
    fields.add_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run one ``ovocr`` command; returns its exit code."""
    parser = build_parser()
    argv = fields.default_command(sys.argv[1:] if argv is None else list(argv))
    args, extra = parser.parse_known_args(argv)
    # Python 3.11's argparse gives a "*" positional nothing when an option comes first
    # (`models prepare --force NAME`): such names arrive as extras and are taken back.
    takes_names = isinstance(getattr(args, "names", None), list)
    if extra and (not takes_names or any(e.startswith("-") for e in extra)):
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    if extra:
        args.names += extra
    try:
        with image_warnings():
            return args.func(args)
    except OvocrError as exc:
        error(str(exc))
        return EXIT_FATAL
    except KeyboardInterrupt:
        error("interrupted")
        return EXIT_INTERRUPTED
