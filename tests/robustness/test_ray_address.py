"""`ovocr predict --engine ray` with an address where no Ray cluster answers: one
`ovocr:` line and exit 2 in seconds, instead of Ray's minutes of silent retries."""

from __future__ import annotations

import http.server
import os
import socket
import subprocess
import sys
import threading

import pytest
from conftest import render_text
from PIL import Image

OVOCR = [sys.executable, "-m", "ovocr.cli"]


@pytest.fixture(scope="module")
def image(tmp_path_factory, requires_models):
    pytest.importorskip("ray", reason="ray[data] is not installed (pip install ovocr[scale])")
    path = tmp_path_factory.mktemp("ray") / "sign.png"
    Image.fromarray(render_text(["EXIT 4"])).save(path)
    return path


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def predict_on(address: str, image) -> subprocess.CompletedProcess:
    env = {**os.environ, "OVOCR_DEVICE": "CPU", "RAY_USAGE_STATS_ENABLED": "0"}
    env.pop("RAY_ADDRESS", None)
    args = ["predict", str(image), "--engine", "ray", "--ray-address", address, "-q"]
    # The timeout only guards against the old hang (Ray retried for minutes).
    return subprocess.run([*OVOCR, *args], capture_output=True, text=True, env=env, timeout=120)


def test_nothing_listening_at_the_ray_address(image):
    address = f"127.0.0.1:{closed_port()}"
    done = predict_on(address, image)
    assert done.returncode == 2, done.stderr
    assert done.stderr.splitlines() == [f"ovocr: no Ray cluster at {address}: Connection refused"]
    assert done.stdout == ""


def test_a_web_server_at_the_ray_address(image):
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), http.server.BaseHTTPRequestHandler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        done = predict_on(f"127.0.0.1:{server.server_address[1]}", image)
    finally:
        server.shutdown()
        server.server_close()
    assert done.returncode == 2, done.stderr
    [line] = done.stderr.splitlines()
    assert line.startswith("ovocr: no Ray cluster at 127.0.0.1:") and "not a Ray GCS" in line
