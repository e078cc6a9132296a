"""The ``ovocr`` command line: a stable contract other tools depend on.

``ovocr predict PATH...``  one JSON object per image per line:
    ``{"image", "width", "height", "words": [{"text", "confidence", "quad"}], "text"}``
``ovocr recognize PATH...`` each image is one cropped word or line:
    ``{"image", "text", "confidence"}``
``ovocr models list|prepare|verify``, ``ovocr devices``, ``ovocr fields [read|train]``.

A bad input prints ``ovocr: <path>: <problem>`` on stderr and the batch goes on; the exit
code is 1 if any input failed, 2 for a usage, model, device or output error (``ovocr:
<stdout>: No space left on device``), else 0. A reader that stops early (``| head``) ends
the run quietly with 141, Ctrl-C with 130 and SIGTERM with 143 (128 + the signal, as a
shell reports it), leaving no temporary file and the previous ``-o`` file untouched.

One module per command group (``predict``, ``models``, ``devices``, ``fields``); what they
share is in ``common``.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from types import ModuleType
from typing import Any

from ..errors import OvocrError

# Ctrl-C before the command modules are loaded: 128 + SIGINT, as common.EXIT_INTERRUPTED.
_EXIT_INTERRUPTED = 130


class Terminated(BaseException):
    """SIGTERM arrived: unwind like Ctrl-C, so temporary files are removed on the way out.

    A ``BaseException``, as ``KeyboardInterrupt``: no ``except Exception`` on the way
    (a batch's per-file handler, Ray Data's error logging) takes it for an error."""


def _terminate(_signum: int, _frame: Any) -> None:
    raise Terminated


def _commands() -> tuple[ModuleType, ...]:
    """The command modules (``predict``, ``models``, ``devices``, ``fields``): imported
    when a command runs, not with ``ovocr.cli``, as they bring NumPy, OpenCV and Pillow."""
    from . import devices, fields, models, predict

    return predict, models, devices, fields


def build_parser() -> argparse.ArgumentParser:
    """The ``ovocr`` argument parser with every sub-command."""
    from .. import __version__

    predict, models, devices, fields = _commands()
    parser = argparse.ArgumentParser(prog="ovocr", description=__doc__.split("\n")[0])
    parser.add_argument("--version", action="version", version=f"ovocr {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    predict.add_parsers(sub)
    models.add_parser(sub)
    devices.add_parser(sub)
    fields.add_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run one ``ovocr`` command; returns its exit code."""
    try:
        parser = build_parser()
    except KeyboardInterrupt:  # Ctrl-C while the command modules load
        sys.stderr.write("ovocr: interrupted\n")
        return _EXIT_INTERRUPTED
    from .common import EXIT_CLOSED_PIPE, EXIT_FATAL, ClosedOutput, error, finish_stdout, stop_ray
    from .fields import default_command

    argv = default_command(sys.argv[1:] if argv is None else list(argv))
    args, extra = parser.parse_known_args(argv)
    # Python 3.11's argparse gives a "*" positional nothing when an option comes first
    # (`models prepare --force NAME`): such names arrive as extras and are taken back.
    takes_names = isinstance(getattr(args, "names", None), list)
    if extra and (not takes_names or any(e.startswith("-") for e in extra)):
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    if extra:
        args.names += extra
    # Python lets only the main thread set handlers (main() may run on another, from a test)
    main_thread = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGTERM, _terminate) if main_thread else None
    try:
        code = _run(args)
    finally:
        if main_thread:
            signal.signal(signal.SIGTERM, previous)
        stop_ray()
    try:
        finish_stdout()
    except ClosedOutput:
        return code if code > EXIT_FATAL else EXIT_CLOSED_PIPE
    except OvocrError as exc:
        if code != EXIT_FATAL:  # else the failed write was reported already
            error(str(exc))
        return EXIT_FATAL
    return code


def _run(args: argparse.Namespace) -> int:
    """The command's exit code; every error a user can act on printed as one line."""
    from .common import (
        EXIT_CLOSED_PIPE,
        EXIT_FATAL,
        EXIT_INTERRUPTED,
        EXIT_TERMINATED,
        ClosedOutput,
        error,
        image_warnings,
    )

    try:
        with image_warnings():
            return args.func(args)
    except (ClosedOutput, BrokenPipeError):  # like cat or seq under `| head`: no message
        return EXIT_CLOSED_PIPE
    except OvocrError as exc:
        error(str(exc))
        return EXIT_FATAL
    except KeyboardInterrupt:
        error("interrupted")
        return EXIT_INTERRUPTED
    except Terminated:
        error("terminated")
        return EXIT_TERMINATED
