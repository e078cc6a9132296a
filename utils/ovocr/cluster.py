"""Joining a Ray cluster for ``ovocr.scale``: address checks, then ``ray.init``.

Explained in 11-ocr-at-scale. ``ray.init`` retries an address where no cluster answers for
minutes without a word, and takes over SIGTERM; ``connect`` checks the address first
(``probe_cluster``: a web address, nothing listening, or something that is not a Ray GCS
is one ``OvocrError`` within seconds) and gives SIGTERM back to its caller. Ray is
imported only here and in ``ovocr.scale``.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import threading

from .errors import OvocrError


def connect(address: str | None = None) -> None:
    """Start a local Ray in this process, or join the cluster at ``address``.

    ``None`` means ``$RAY_ADDRESS`` when set, else a new local Ray with all CPUs of this
    machine. Starts nothing when Ray is already initialised (e.g. by a notebook).

    Ray's chatter is kept off stderr, which holds ``ovocr: <path>: <problem>`` lines: the
    notice that a new local Ray turned token authentication on (it stays on), Ray Data's
    log of every job, and workers' output. Not the driver's C++ error lines: Ray Data
    2.60 makes one for every job ("Actor ... has constructor arguments in the object
    store", ray-project/ray#57733) and no Ray setting drops it without dropping real
    errors. Ray's full logs stay in ``/tmp/ray/session_*/logs``.
    """
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")  # offline rooms: no phone-home
    # The driver's C++ core would print a stack dump and abort on SIGTERM (exit 134); with
    # this the signal stays Python's. Set only while Ray starts (the processes of a local
    # Ray started here inherit it: their crashes are then logged without a stack dump).
    own_flag = "RAY_DISABLE_FAILURE_SIGNAL_HANDLER" not in os.environ
    if own_flag:
        os.environ["RAY_DISABLE_FAILURE_SIGNAL_HANDLER"] = "1"
    try:
        _connect(address)
    finally:
        if own_flag:
            os.environ.pop("RAY_DISABLE_FAILURE_SIGNAL_HANDLER", None)


def _connect(address: str | None) -> None:
    try:
        import ray
        import ray.data
    except ImportError:
        raise OvocrError("Ray Data is not installed: pip install 'ovocr[scale]'") from None
    logging.getLogger("ray.data").setLevel(logging.ERROR)
    if ray.is_initialized():
        return
    logging.getLogger("ray._private.authentication.authentication_token_setup").setLevel(
        logging.ERROR
    )
    address = address or os.environ.get("RAY_ADDRESS") or None
    if address and address.lower().startswith(("http://", "https://")):
        raise OvocrError(
            f"Ray address {address!r} is a web address (the dashboard or job server?); "
            "give the cluster's address as host:port, e.g. 10.0.0.5:6379"
        )
    if address:
        probe_cluster(address)
    # ray.init replaces the SIGTERM handler with one that exits 15 through Ray's C++
    # shutdown; the caller's handler (the CLI's: exit 143) is put back, and a SIGTERM
    # while Ray starts goes to it too.
    # Off the main thread (the CLI runs Ray jobs on one) Ray sets no handler, and warns.
    main_thread = threading.current_thread() is threading.main_thread()
    sigterm = signal.getsignal(signal.SIGTERM) if main_thread else None
    worker_log = logging.getLogger("ray._private.worker")
    worker_log.addFilter(_no_sigterm_notice)
    try:
        ray.init(
            address=address,
            include_dashboard=False,
            logging_level=logging.WARNING,
            log_to_driver=False,
        )
    except ValueError as exc:  # an address Ray cannot use (ray://... without ray[client])
        first = (str(exc).strip().splitlines() or ["unusable address"])[0]
        raise OvocrError(f"Ray address {address!r}: {first}") from None
    except SystemExit as exc:  # Ray's handler: SIGTERM arrived while Ray started
        if exc.code == signal.SIGTERM and callable(sigterm):
            sigterm(signal.SIGTERM, None)
        raise
    finally:
        worker_log.removeFilter(_no_sigterm_notice)
        if main_thread and sigterm is not None:
            signal.signal(signal.SIGTERM, sigterm)


def _no_sigterm_notice(record: logging.LogRecord) -> bool:
    """Drop Ray's warning that it set no SIGTERM handler off the main thread."""
    return "SIGTERM handler is not set" not in str(record.msg)


# The first bytes a gRPC (HTTP/2) client sends: the connection preface and an empty
# SETTINGS frame. Ray's GCS answers with a SETTINGS frame of its own (frame type 4).
_HTTP2_PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + bytes([0, 0, 0, 4, 0, 0, 0, 0, 0])
PROBE_SECONDS = 5.0


def probe_cluster(address: str, timeout: float = PROBE_SECONDS) -> None:
    """Check within ``timeout`` seconds that a Ray cluster (its GCS) answers at ``address``.

    ``ray.init`` retries an address that does not answer for minutes, with no message;
    this says in seconds what is wrong. Addresses that are not ``host:port`` (``auto``,
    ``local``, ``ray://`` client addresses) are left to Ray. With ``RAY_USE_TLS`` only the
    connection is checked (the GCS then speaks TLS first).

    Raises:
        OvocrError: nothing listens there, or what listens is no Ray GCS (a web server).
    """
    if "://" in address or address in ("auto", "local"):
        return
    host, _, port = address.rpartition(":")
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise OvocrError(f"Ray address {address!r}: expected host:port, e.g. 10.0.0.5:6379")
    where = f"no Ray cluster at {address}"
    try:
        with socket.create_connection((host.strip("[]"), int(port)), timeout=timeout) as sock:
            if os.environ.get("RAY_USE_TLS", "0").lower() in ("1", "true"):
                return
            sock.settimeout(timeout)
            sock.sendall(_HTTP2_PREFACE)
            head = b""
            while len(head) < 9:
                chunk = sock.recv(9 - len(head))
                if not chunk:
                    break
                head += chunk
    except TimeoutError:
        raise OvocrError(f"{where}: no answer within {timeout:g} s") from None
    except OSError as exc:
        raise OvocrError(f"{where}: {exc.strerror or exc}") from None
    if len(head) < 9 or head[3] != 4:  # an HTTP/2 SETTINGS frame
        raise OvocrError(
            f"{where}: something else answers there (not a Ray GCS; "
            "give the address `ray start --head` printed, port 6379 by default)"
        )
