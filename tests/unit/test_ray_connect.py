"""Joining a Ray cluster (``ovocr.cluster.connect``): a bad address fails in seconds, in one
line, and Ray does not take SIGTERM away from the caller. No Ray is started here."""

from __future__ import annotations

import http.server
import os
import signal
import socket
import sys
import threading
import types
from collections.abc import Iterator

import pytest
from ovocr import cluster
from ovocr.errors import OvocrError


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def web_server() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), http.server.BaseHTTPRequestHandler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture
def grpc_like_server() -> Iterator[str]:
    """Answers like a gRPC server (Ray's GCS): an HTTP/2 SETTINGS frame."""
    listener = socket.create_server(("127.0.0.1", 0))

    def answer() -> None:
        conn, _ = listener.accept()
        with conn:
            conn.recv(64)
            conn.sendall(bytes([0, 0, 0, 4, 0, 0, 0, 0, 0]))

    thread = threading.Thread(target=answer, daemon=True)
    thread.start()
    yield f"127.0.0.1:{listener.getsockname()[1]}"
    listener.close()


def use_fake_ray(monkeypatch, init) -> None:
    """A stand-in `ray` module whose `init` is ``init``, and no RAY_ADDRESS."""
    fake = types.ModuleType("ray")
    fake.is_initialized = lambda: False  # type: ignore[attr-defined]
    fake.init = init  # type: ignore[attr-defined]
    fake.data = types.ModuleType("ray.data")  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "ray", fake)
    monkeypatch.setitem(sys.modules, "ray.data", fake.data)
    monkeypatch.delenv("RAY_ADDRESS", raising=False)


def test_nothing_listening_is_one_clear_error():
    address = f"127.0.0.1:{closed_port()}"
    with pytest.raises(OvocrError, match=f"no Ray cluster at {address}: .*refused"):
        cluster.probe_cluster(address)


def test_a_web_server_is_not_taken_for_a_ray_cluster(web_server):
    with pytest.raises(OvocrError, match="not a Ray GCS"):
        cluster.probe_cluster(web_server, timeout=5)


def test_a_server_that_answers_like_the_gcs_passes(grpc_like_server):
    cluster.probe_cluster(grpc_like_server)


@pytest.mark.parametrize("address", ["nonsense", "host:port", "10.0.0.1:99999"])
def test_an_address_that_is_not_host_and_port_is_refused(address):
    with pytest.raises(OvocrError, match="expected host:port"):
        cluster.probe_cluster(address)


@pytest.mark.parametrize("address", ["auto", "local", "ray://10.0.0.1:10001"])
def test_addresses_ray_resolves_itself_are_left_to_ray(address):
    cluster.probe_cluster(address)  # no connection tried


def test_connect_probes_before_ray_init_and_keeps_the_sigterm_handler(monkeypatch, web_server):
    calls: list[str] = []

    def fake_init(**kwargs) -> None:  # what ray.init does to the driver's SIGTERM
        calls.append(kwargs["address"])
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(15))

    use_fake_ray(monkeypatch, fake_init)

    def mine(*_args) -> None:
        pass

    previous = signal.signal(signal.SIGTERM, mine)
    try:
        cluster.connect(None)  # a local Ray: nothing to probe
        assert calls == [None]
        assert signal.getsignal(signal.SIGTERM) is mine
        monkeypatch.setenv("RAY_ADDRESS", web_server)
        with pytest.raises(OvocrError, match="not a Ray GCS"):
            cluster.connect(None)
        assert calls == [None]  # ray.init never ran on the bad address
    finally:
        signal.signal(signal.SIGTERM, previous)


class Stop(BaseException):
    pass


def test_sigterm_while_ray_starts_goes_to_the_callers_handler(monkeypatch):
    seen: list[str | None] = []

    def fake_init(**kwargs) -> None:
        # Ray's own handler exits 15; its C++ crash handler is off while it starts
        seen.append(os.environ.get("RAY_DISABLE_FAILURE_SIGNAL_HANDLER"))
        raise SystemExit(signal.SIGTERM)

    use_fake_ray(monkeypatch, fake_init)
    monkeypatch.delenv("RAY_DISABLE_FAILURE_SIGNAL_HANDLER", raising=False)

    def stop(*_args) -> None:
        raise Stop

    previous = signal.signal(signal.SIGTERM, stop)
    try:
        with pytest.raises(Stop):  # the CLI's handler: exit 143, not Ray's 15
            cluster.connect(None)
    finally:
        signal.signal(signal.SIGTERM, previous)
    assert seen == ["1"]
    assert "RAY_DISABLE_FAILURE_SIGNAL_HANDLER" not in os.environ
