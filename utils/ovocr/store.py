"""The on-disk model store: staged writes, manifests, verification and stamps.

Explained in 01-model-preparation. Every prepared model is a folder under ``models_dir()``
holding its files and a ``manifest.json`` that lists each file with its sha256. A folder
is built in a hidden staging folder beside it and renamed into place only once complete,
so an interrupted preparation never leaves an entry that later loads as valid; staging
folders left by a killed process are removed at the next preparation.

Folders and files get the default modes (the umask decides who else may read them).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import secrets
import shutil
import signal
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from .errors import ModelError
from .specs import ModelSpec, PreparedModel, is_sha256

MANIFEST = "manifest.json"
STAMPS = "stamps.json"
CHARSET = "charset.json"
# File times are coarse on some file systems: a file changed within this many seconds of
# a check could keep the stamp it had then, so it is not stamped yet (as git's racy check).
_STAMP_SETTLE_NS = 2_000_000_000
# A staging folder this old is abandoned even if its process id is alive again (reused):
# no preparation takes that long (the slowest, INT8 calibration, takes minutes).
STALE_AFTER_S = 3 * 3600
_STAGING = re.compile(r"^\.(?P<name>.+)\.staging-(?P<host>.*)-(?P<pid>\d+)-[0-9a-f]{8}$")
# Staging folders of older versions (tempfile.mkdtemp): no process id, so judged by age.
_LEGACY_STAGING = re.compile(r"^\.[A-Za-z0-9][A-Za-z0-9._-]*\.[a-z0-9_]{8}$")


def sha256_of(path: Path) -> str:
    """The sha256 of a file, read in 1 MB chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def stamp(path: Path) -> list[int]:
    """Size, modification and change time: a write, truncation, rename over the file or
    ``touch`` changes the change time, which no ordinary call can set back."""
    st = path.stat()
    return [st.st_size, st.st_mtime_ns, st.st_ctime_ns]


def settled(file_stamp: list[Any]) -> bool:
    """True when a stamp is old enough that a later change would show in it."""
    return file_stamp[2] < time.time_ns() - _STAMP_SETTLE_NS


# -- manifests -------------------------------------------------------------------------


@dataclass(frozen=True)
class Manifest:
    """A validated ``manifest.json``: the model file, every file's sha256, and the rest."""

    model: str
    files: dict[str, str]
    extra: dict[str, Any] = field(default_factory=dict)


def _inside(folder: Path, rel: object) -> bool:
    """True for a relative path that stays inside ``folder`` (symbolic links resolved)."""
    if not isinstance(rel, str) or not rel or "\\" in rel:
        return False
    parts = PurePosixPath(rel).parts
    if PurePosixPath(rel).is_absolute() or ".." in parts or rel in (MANIFEST, STAMPS):
        return False
    root = folder.resolve()
    return (root / rel).resolve().is_relative_to(root)


def _manifest_problem(folder: Path) -> tuple[Manifest | None, str | None]:
    path = folder / MANIFEST
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (FileNotFoundError, NotADirectoryError):
        return None, ("no manifest" if os.path.isdir(folder) else "not prepared")
    except PermissionError as exc:
        return None, f"cannot read its manifest ({exc.strerror}; prepared by another user?)"
    except (OSError, ValueError) as exc:
        return None, f"unreadable manifest ({exc})"
    if not isinstance(data, dict):
        return None, "manifest is not a JSON object"
    model, files = data.get("model"), data.get("files")
    if not isinstance(files, dict) or not files:
        return None, "manifest lists no files"
    for rel, digest in files.items():
        if not _inside(folder, rel):
            return None, f"manifest names a file outside the folder ({str(rel)[:80]!r})"
        if not is_sha256(digest):
            return None, f"manifest has no valid sha256 for {rel}"
    if not isinstance(model, str) or model not in files:
        return None, "manifest's model entry is not one of its files"
    if model.endswith(".xml") and model[:-4] + ".bin" not in files:
        return None, f"manifest does not list the weights of {model}"
    extra = {k: v for k, v in data.items() if k not in ("model", "files")}
    return Manifest(model, dict(files), extra), None


def load_manifest(folder: Path) -> Manifest:
    """The validated manifest of ``folder``; one ``ModelError`` naming the folder otherwise."""
    manifest, problem = _manifest_problem(folder)
    if manifest is None:
        raise ModelError(f"{folder}: {problem}")
    return manifest


def verify_entry(folder: Path, full: bool = False) -> str | None:
    """Return ``None`` when every file listed in the manifest has its recorded checksum.

    Hashing the default detector and recogniser (15 MB) took 45-60 ms of every start, a
    fifth of loading both from OpenVINO's cache, so a file is hashed only when its stamp
    (``stamp``) or manifest checksum differs from those recorded in ``stamps.json`` at its
    last successful check (``full``: hash all). A changed or replaced file is caught;
    silent bit rot that keeps the stamp needs ``ovocr models verify``.
    """
    manifest, problem = _manifest_problem(folder)
    if manifest is None:
        return problem
    known = {} if full else _read_stamps(folder)
    checked: dict[str, list[Any]] = {}
    for rel, digest in manifest.files.items():
        path = folder / rel
        try:
            if not path.is_file():
                return f"{rel} is missing"
            file_stamp: list[Any] = [*stamp(path), digest]
            if known.get(rel) != file_stamp and sha256_of(path) != digest:
                return f"{rel} fails its checksum"
        except OSError as exc:
            return f"cannot read {rel} ({exc.strerror or exc})"
        if settled(file_stamp):
            checked[rel] = file_stamp
    if checked != known:
        write_json_atomic(folder / STAMPS, checked)
    return None


def _read_stamps(folder: Path) -> dict[str, Any]:
    try:
        stamps = json.loads((folder / STAMPS).read_text())
    except (OSError, ValueError):
        return {}
    return stamps if isinstance(stamps, dict) else {}


def write_json_atomic(path: Path, data: Any) -> bool:
    """Replace ``path`` with ``data`` as JSON, atomically; ``False`` when it cannot be written
    (a read-only or full folder only means checking again next time)."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)  # umask applies
    except OSError:
        return False
    try:
        with os.fdopen(fd, "w") as fh:
            json.dump(data, fh)
        os.replace(tmp, path)
        return True
    except OSError:
        tmp.unlink(missing_ok=True)
        return False


def load_entry(spec: ModelSpec, folder: Path) -> PreparedModel:
    """The prepared model in a verified ``folder``, with its alphabet when it has one."""
    manifest = load_manifest(folder)
    charset: tuple[str, ...] = spec.charset
    if CHARSET in manifest.files:
        try:
            data = json.loads((folder / CHARSET).read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise ModelError(f"{folder / CHARSET}: unreadable alphabet ({exc})") from None
        if not isinstance(data, list) or not all(isinstance(c, str) for c in data):
            raise ModelError(f"{folder / CHARSET}: not a list of characters")
        charset = tuple(data)
    return PreparedModel(spec, folder / manifest.model, charset)


# -- staged writes ---------------------------------------------------------------------


def _unwritable(folder: Path, exc: OSError) -> ModelError:
    return ModelError(
        f"{folder}: cannot write here ({exc.strerror or exc}); if another user prepared these "
        "models, ask them to run `ovocr models prepare`, or set OVOCR_MODELS to a folder of "
        "your own"
    )


@contextlib.contextmanager
def _sigterm_as_exit() -> Iterator[None]:
    """While a staged write runs, SIGTERM unwinds like Ctrl-C so the staging folder is
    removed (the default action would end the process on the spot). Only in the main
    thread, and only when nobody else handles SIGTERM."""
    if (
        threading.current_thread() is not threading.main_thread()
        or signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL
    ):
        yield
        return

    def _exit(signum: int, _frame: Any) -> None:
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, _exit)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, belongs to someone else
        return True
    return True


def clean_stale(parent: Path) -> list[Path]:
    """Remove staging folders in ``parent`` left by a killed preparation; return them.

    A staging folder is stale when its process (on this host) has ended, or when it is
    older than ``STALE_AFTER_S`` (older versions named no process).
    """
    removed: list[Path] = []
    host = socket.gethostname()
    try:
        children = list(parent.iterdir())
    except OSError:
        return removed
    for path in children:
        match = _STAGING.match(path.name)
        legacy = match is None and _LEGACY_STAGING.match(path.name) is not None
        if not (match or legacy) or not path.is_dir() or path.is_symlink():
            continue
        try:
            old = time.time() - path.stat().st_mtime > STALE_AFTER_S
        except OSError:
            continue
        dead = match is not None and match["host"] == host and not _alive(int(match["pid"]))
        if old or dead:
            shutil.rmtree(path, ignore_errors=True)
            if not path.exists():
                removed.append(path)
    return removed


@contextlib.contextmanager
def staging(parent: Path, name: str) -> Iterator[Path]:
    """A new hidden folder in ``parent`` that is removed when the block ends, whatever
    happens (exception, Ctrl-C, SIGTERM). Its name records host and process id so that a
    later ``clean_stale`` knows when it is abandoned."""
    try:
        parent.mkdir(parents=True, exist_ok=True)
        clean_stale(parent)
        owner = f"{socket.gethostname()}-{os.getpid()}"
        tmp = parent / f".{name}.staging-{owner}-{secrets.token_hex(4)}"
        tmp.mkdir()  # default mode: the umask decides, as for any folder the user makes
    except OSError as exc:
        raise _unwritable(parent, exc) from None
    try:
        with _sigterm_as_exit():
            yield tmp
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


# Inter-process locks of entries, one file each in this hidden folder of the store.
LOCKS = ".locks"


@contextlib.contextmanager
def entry_lock(target: Path, say: Callable[[str], None] | None = None) -> Iterator[bool]:
    """Hold the lock of the entry ``target`` against other processes and threads.

    Preparations of the same model (``ovocr models prepare --force`` run twice at once)
    take turns instead of renaming each other's folders away. Re-entrant within a thread.
    Yields ``True`` when another holder had to be waited for (it may have just built the
    entry). The lock files stay in ``.locks`` beside the entries (``filelock``).

    Raises:
        ModelError: the lock cannot be created there (a folder the user cannot write).
    """
    from filelock import FileLock, Timeout

    locks = target.parent / LOCKS
    try:
        locks.mkdir(parents=True, exist_ok=True)
        lock = FileLock(locks / f"{target.name}.lock", is_singleton=True)
        try:
            lock.acquire(timeout=0)
            waited = False
        except Timeout:
            if say:
                say(f"{target.name}: waiting for another process that prepares it")
            lock.acquire()
            waited = True
    except OSError as exc:
        raise _unwritable(target.parent, exc) from None
    try:
        yield waited
    finally:
        lock.release()


def write_entry(target: Path, build: Callable[[Path], tuple[str, dict[str, Any]]]) -> None:
    """Build a model entry in a staging folder and swap it into place at ``target``.

    ``build(folder)`` writes the files and returns the model file's name and extra
    manifest fields. The manifest is written last, with every file's sha256. The swap
    holds the entry's lock (``entry_lock``).
    """
    with staging(target.parent, target.name) as tmp, entry_lock(target):
        model_file, extra = build(tmp)
        files = {
            p.relative_to(tmp).as_posix(): sha256_of(p)
            for p in sorted(tmp.rglob("*"))
            if p.is_file() and p.name != MANIFEST
        }
        manifest = {"model": model_file, "files": files, **extra}
        (tmp / MANIFEST).write_text(json.dumps(manifest, indent=1, default=str))
        problem = _manifest_problem(tmp)[1]
        if problem:
            raise ModelError(f"{target.name}: built an invalid entry ({problem})")
        old = target.with_name(target.name + ".old")
        try:
            if old.exists():
                shutil.rmtree(old)
            if target.exists():
                target.rename(old)
            tmp.rename(target)
        except OSError as exc:
            raise _unwritable(target.parent, exc) from None
        shutil.rmtree(old, ignore_errors=True)
