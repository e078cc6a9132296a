"""What every ``ovocr`` command shares: exit codes, error lines, output files, path expansion,
progress bars and the runtime options (device, precision, model cache).

Nothing here imports a model, NumPy or tqdm at import time: every command pays for this
module at each start.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

from ..errors import ImageError, ImageWarning, OvocrError

EXIT_OK, EXIT_INPUT, EXIT_FATAL = 0, 1, 2
EXIT_INTERRUPTED = 130  # 128 + SIGINT, as shells report it


def error(message: str) -> None:
    """Print ``ovocr: <message>`` on stderr, on its own line even under a progress bar."""
    # tqdm is imported only when a progress bar is shown (it slows every start otherwise);
    # with a bar, its write() keeps the message on its own line.
    tqdm = sys.modules.get("tqdm")
    if tqdm is None:
        print(f"ovocr: {message}", file=sys.stderr, flush=True)
    else:
        tqdm.tqdm.write(f"ovocr: {message}", file=sys.stderr)


def say(quiet: bool) -> Callable[[str], None] | None:
    """The status printer handed to model loading: ``None`` under ``--quiet``."""
    return None if quiet else error


def image_warnings_as_lines(fallback: Any) -> Any:
    """A ``warnings.showwarning`` that prints image warnings (a downscaled input) as
    ``ovocr: <path>: <what>`` lines and hands other warnings to ``fallback``."""

    def show(message: Any, category: type[Warning], *args: Any, **kwargs: Any) -> None:
        if issubclass(category, ImageWarning):
            error(str(message))
        else:
            fallback(message, category, *args, **kwargs)

    return show


@contextmanager
def image_warnings() -> Iterator[None]:
    """Every image warning printed as one error line, for every image (not the first only)."""
    with warnings.catch_warnings():
        warnings.simplefilter("always", ImageWarning)
        warnings.showwarning = image_warnings_as_lines(warnings.showwarning)
        yield


@contextmanager
def output(path: str | None) -> Iterator[IO[str]]:
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


def progress(items: list[Any], quiet: bool, unit: str) -> Any:
    """``items``, wrapped in a tqdm bar on a terminal when there are more than three."""
    if quiet or len(items) <= 3 or not sys.stderr.isatty():
        return items
    from tqdm import tqdm

    return tqdm(items, unit=unit, file=sys.stderr, dynamic_ncols=True)


def expand(paths: list[str]) -> tuple[list[Path], int]:
    """Image paths under ``paths`` and the number of arguments that failed (each reported)."""
    from ..images import iter_image_paths

    found: list[Path] = []
    failures = 0
    for raw in paths:
        try:
            found.extend(iter_image_paths([raw]))
        except ImageError as exc:
            error(str(exc))
            failures += 1
    return found, failures


def add_runtime_options(p: argparse.ArgumentParser, cache_help: str | None = None) -> None:
    """``--device``, ``--precision`` and ``--cache-dir``: where and how the models run."""
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
        help=cache_help
        or "OpenVINO model cache folder (default: .ov_cache in the models folder; '': none)",
    )


def add_output_options(p: argparse.ArgumentParser) -> None:
    """``-o/--output`` and ``-q/--quiet``."""
    p.add_argument("-o", "--output", default=None, help="write JSON lines here")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress or status")
