"""What every ``ovocr`` command shares: exit codes, error lines, output files, path expansion,
progress bars and the runtime options (device, precision, model cache).

Nothing here imports a model, NumPy or tqdm at import time: every command pays for this
module at each start.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import stat
import sys
import tempfile
import threading
import warnings
from collections.abc import Callable, Collection, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import IO, Any

from ..errors import ImageError, ImageWarning, ModelWarning, OvocrError
from ..images import display_name, os_problem

EXIT_OK, EXIT_INPUT, EXIT_FATAL = 0, 1, 2
# 128 + the signal, as shells report a program the signal ended
EXIT_INTERRUPTED, EXIT_CLOSED_PIPE, EXIT_TERMINATED = 130, 141, 143
NOT_UTF8 = "file name is not UTF-8, which JSON output cannot hold; rename the file"
_STAGED: set[str] = set()  # temporary output files, removed by a hard stop


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
    """A ``warnings.showwarning`` that prints image and model warnings (a downscaled input,
    a changed cache blob) as ``ovocr: <path>: <what>`` lines and hands others to ``fallback``."""

    def show(message: Any, category: type[Warning], *args: Any, **kwargs: Any) -> None:
        if issubclass(category, (ImageWarning, ModelWarning)):
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


class ClosedOutput(Exception):
    """The reader of the output went away (``ovocr predict DIR | head -n 1``)."""


class Output:
    """Where JSON lines go: one record a line, written through at once.

    A write error becomes an ``OvocrError`` naming the output (``<stdout>`` or the path),
    a closed pipe ``ClosedOutput``. Files are written through their descriptor, unbuffered,
    so nothing is left to fail later when they are closed.
    """

    def __init__(self, name: str, stream: IO[str] | None = None, fd: int | None = None) -> None:
        self.name, self.stream, self.fd = name, stream, fd

    def write(self, record: dict[str, Any]) -> None:
        line = json.dumps(record, ensure_ascii=False) + "\n"
        try:
            if self.fd is None:
                assert self.stream is not None
                self.stream.write(line)
                self.stream.flush()
            else:
                data = memoryview(line.encode("utf-8"))
                while data:
                    data = data[os.write(self.fd, data) :]
        except BrokenPipeError:
            raise ClosedOutput(self.name) from None
        except OSError as exc:
            raise OvocrError(f"{self.name}: {exc.strerror or exc}") from None


STDOUT = "<stdout>"


def echo(text: str) -> None:
    """Print a line of a command's result on stdout; a failed write is reported like
    ``Output.write`` reports it."""
    try:
        print(text, file=sys.stdout)
    except BrokenPipeError:
        raise ClosedOutput(STDOUT) from None
    except OSError as exc:
        raise OvocrError(f"{STDOUT}: {exc.strerror or exc}") from None


def refuse_input_as_output(path: str | None, inputs: Collection[Path]) -> None:
    """Refuse an ``-o`` that would replace an input or any picture with JSON lines.

    ``ovocr predict -o *.jpg`` makes the shell put the first image after ``-o``; an
    output named like an image or PDF, or the same file as an input (by name, link or
    hard link), is an error before anything is read.

    Raises:
        OvocrError: one line naming the output and the fix.
    """
    if not path:
        return
    from ..images import IMAGE_EXTENSIONS

    name = display_name(path)
    if Path(path).suffix.lower() in IMAGE_EXTENSIONS | {".pdf"}:
        raise OvocrError(
            f"{name}: -o would replace this image with JSON lines; name a results file "
            "such as results.jsonl (did the shell expand -o *.jpg?)"
        )
    try:
        target = os.stat(path)
    except OSError:  # a new file: not an input (inputs exist)
        return
    for source in inputs:
        try:
            info = os.stat(source)
        except OSError:
            continue
        if (info.st_dev, info.st_ino) == (target.st_dev, target.st_ino):
            raise OvocrError(f"{name}: is also an input; -o would replace it with JSON lines")


@contextmanager
def output(path: str | None) -> Iterator[Output]:
    """stdout, or the file ``path``.

    A plain file (or a new one) is written under a hidden temporary name beside it and
    renamed over it when complete, so an interrupted run leaves the old results; it keeps
    the old file's mode, or gets the umask's. Anything else (a FIFO, a device such as
    ``/dev/stdout``) is written into directly: renaming over it would replace it. A
    symbolic link is followed: its target is replaced, the link stays.
    """
    if not path:
        yield Output(STDOUT, stream=sys.stdout)
        return
    target = Path(path)
    name = display_name(target)
    real = Path(os.path.realpath(target))
    try:
        info: os.stat_result | None = os.stat(real)
    except (FileNotFoundError, NotADirectoryError):  # mkdir below says what is in the way
        info = None
    except OSError as exc:
        raise OvocrError(f"{name}: cannot write here ({os_problem(exc)})") from None
    if info is not None and stat.S_ISDIR(info.st_mode):
        raise OvocrError(f"{name}: is a directory; -o needs a file name")
    if info is not None and not stat.S_ISREG(info.st_mode):
        with _direct(real, name) as out:
            yield out
    else:
        with _staged(real, name, info) as out:
            yield out


@contextmanager
def _direct(real: Path, name: str) -> Iterator[Output]:
    """Write into a FIFO or device as it is (opening a FIFO waits for its reader)."""
    try:
        fd = os.open(real, os.O_WRONLY | os.O_CLOEXEC)
    except OSError as exc:
        raise OvocrError(f"{name}: cannot write here ({os_problem(exc)})") from None
    try:
        yield Output(name, fd=fd)
    finally:
        os.close(fd)


@contextmanager
def _staged(real: Path, name: str, info: os.stat_result | None) -> Iterator[Output]:
    """Write a hidden temporary file beside ``real``; rename it over ``real`` when complete.
    Whatever happens, the temporary file is gone afterwards."""
    fd, tmp = -1, ""
    try:
        real.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{real.name}.", dir=real.parent)
        _STAGED.add(tmp)
        os.fchmod(fd, stat.S_IMODE(info.st_mode) if info else 0o666 & ~_umask())
    except OSError as exc:
        if tmp:
            os.close(fd)
            os.unlink(tmp)
        where = display_name(exc.filename or real.parent)
        raise OvocrError(f"{name}: cannot write here ({exc.strerror}: {where})") from None
    try:
        try:
            yield Output(name, fd=fd)
            _commit(name, fd, tmp, real)
        finally:
            os.close(fd)
    finally:
        if os.path.lexists(tmp):
            os.unlink(tmp)
        _STAGED.discard(tmp)


def _commit(name: str, fd: int, tmp: str, real: Path) -> None:
    """Results on disk before they replace the old ones (a crash never leaves an empty file)."""
    try:
        os.fsync(fd)
        os.replace(tmp, real)
    except OSError as exc:
        raise OvocrError(f"{name}: {exc.strerror or exc}") from None


def _umask() -> int:
    mask = os.umask(0o022)  # the only way to read it is to set it
    os.umask(mask)
    return mask


@contextmanager
def stop_at_once() -> Iterator[None]:
    """While the body runs, SIGTERM and Ctrl-C end the process at once.

    For commands that run Ray: an exception raised by a signal handler lands wherever
    the main thread is, inside Ray's or ``logging``'s locks too (the process then hangs,
    or crashes as Python tears down Ray's threads). This handler raises nothing: it
    removes the temporary output files (the old ``-o`` file stays), prints one
    ``ovocr: terminated`` (or ``interrupted``) line, flushes stdout and ends the process
    with ``os._exit(128 + signal)``, so no interpreter or C++ teardown runs. Ray needs no
    shutdown call: a local Ray's processes end with the process that started them, and a
    cluster ends the jobs and actors of a driver that is gone.

    Only the main thread can set handlers; elsewhere this does nothing.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum: int, _frame: Any) -> None:
        for tmp in list(_STAGED):
            with suppress(OSError):
                os.unlink(tmp)
        word = "interrupted" if signum == signal.SIGINT else "terminated"
        os.write(2, f"ovocr: {word}\n".encode())
        _exit_now(128 + signum)

    previous = {sig: signal.signal(sig, handler) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


def stop_ray() -> None:
    """Shut down a Ray this process started (``--engine ray``) while it can still end
    cleanly: left to Ray's exit hook, a job cut short by Ctrl-C or SIGTERM can crash the
    interpreter."""
    ray = sys.modules.get("ray")
    if ray is not None and ray.is_initialized():
        ray.shutdown()


def _exit_now(code: int) -> None:
    """Flush stdout and end the process, skipping interpreter teardown."""
    for stream in (sys.stdout, sys.stderr):
        with suppress(Exception):  # a closed pipe, or the main thread mid-write
            stream.flush()
    os._exit(code)


def finish_stdout() -> None:
    """Flush stdout. When that fails, point it at ``/dev/null`` first, so that the
    interpreter's own flush at exit has nothing left to complain about.

    Raises:
        ClosedOutput: the reader of stdout went away.
        OvocrError: stdout cannot take the rest (a full disk).
    """
    try:
        sys.stdout.flush()
    except BrokenPipeError:
        _silence_stdout()
        raise ClosedOutput(STDOUT) from None
    except OSError as exc:
        _silence_stdout()
        raise OvocrError(f"{STDOUT}: {exc.strerror or exc}") from None


def _silence_stdout() -> None:
    try:
        fd = sys.stdout.fileno()
    except (AttributeError, OSError, ValueError):  # not a file (a notebook): nothing to flush
        return
    null = os.open(os.devnull, os.O_WRONLY)
    os.dup2(null, fd)
    os.close(null)


def progress(items: list[Any], quiet: bool, unit: str) -> Any:
    """``items``, wrapped in a tqdm bar on a terminal when there are more than three."""
    if quiet or len(items) <= 3 or not sys.stderr.isatty():
        return items
    from tqdm import tqdm

    return tqdm(items, unit=unit, file=sys.stderr, dynamic_ncols=True)


def expand(paths: list[str], extensions: Collection[str] = ()) -> tuple[list[Path], int]:
    """Image paths under ``paths`` and the number of problems found (each reported).

    Folders are searched for ``extensions`` (default: image files). A name that is not
    UTF-8 is a problem: the JSON output could not hold it.
    """
    from ..images import IMAGE_EXTENSIONS, iter_image_paths

    found: list[Path] = []
    failures = 0

    def report(problem: ImageError) -> None:
        nonlocal failures
        error(str(problem))
        failures += 1

    for path in iter_image_paths(paths, report, extensions or IMAGE_EXTENSIONS):
        try:
            str(path).encode("utf-8")
        except UnicodeEncodeError:
            report(ImageError(f"{display_name(path)}: {NOT_UTF8}"))
            continue
        found.append(path)
    return found, failures


def add_runtime_options(p: argparse.ArgumentParser, cache_help: str | None = None) -> None:
    """``--device``, ``--precision`` and ``--cache-dir``: where and how the models run."""
    from ..devices import default_device  # $OVOCR_DEVICE by the package's one rule

    p.add_argument("--device", default=default_device())
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
