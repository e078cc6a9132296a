import functools
import hashlib
import http.server
import socket
import sys
import threading
from pathlib import Path

import numpy as np
import pytest
from ovocr import samples, viz
from ovocr.errors import OfflineError, OvocrError
from PIL import Image


@pytest.fixture
def no_shared_data(monkeypatch, tmp_path):
    """No shared folder, an empty cache, and a download URL that cannot work."""
    monkeypatch.setattr(samples, "shared_data_dir", lambda: None)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setattr(samples, "PHOTO_URL", (tmp_path / "nowhere.jpg").as_uri())
    return tmp_path


@pytest.fixture
def served(tmp_path: Path):
    """Serve files of a folder over HTTP on localhost: a download without the network.

    ``served(data)`` writes ``data`` and returns its URL and sha256.
    """
    root = tmp_path / "www"
    root.mkdir()
    handler = functools.partial(QuietHandler, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()

    def serve(data: bytes, name: str = "served.bin") -> tuple[str, str]:
        (root / name).write_bytes(data)
        url = f"http://127.0.0.1:{server.server_address[1]}/{name}"
        return url, hashlib.sha256(data).hexdigest()

    yield serve
    server.shutdown()
    server.server_close()


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):  # keep the test output clean
        pass


def test_shared_photo_comes_first(monkeypatch, tmp_path):
    photo = tmp_path / "data" / "samples" / samples.PHOTO_NAME
    photo.parent.mkdir(parents=True)
    photo.write_bytes(b"jpeg")
    monkeypatch.setattr(samples, "shared_data_dir", lambda: tmp_path / "data")
    assert samples.sample_image() == photo


def test_offline_without_shared_data_gives_the_committed_stand_in(no_shared_data):
    path = samples.sample_image(download_photo=False)
    assert path == samples.project_data_dir() / samples.SIGN_NAME
    assert Image.open(path).size == samples.SIGN_SIZE


def test_failed_download_says_so_in_one_plain_line_and_falls_back(no_shared_data, capsys):
    path = samples.sample_image()
    said = capsys.readouterr()
    assert said.out == samples.fallback_note(OfflineError("x")) + "\n"
    assert "no connection" in said.out and str(no_shared_data) not in said.out
    assert said.err == ""
    assert path.name == samples.SIGN_NAME
    assert not (samples.cache_dir() / samples.PHOTO_NAME).exists()


def test_a_verified_cached_photo_is_used_and_a_corrupt_one_is_not(no_shared_data, monkeypatch):
    cached = samples.cache_dir() / samples.PHOTO_NAME
    cached.parent.mkdir(parents=True)
    cached.write_bytes(b"photo bytes")
    monkeypatch.setattr(samples, "PHOTO_SHA256", hashlib.sha256(b"photo bytes").hexdigest())
    assert samples.sample_image(download_photo=False) == cached
    cached.write_bytes(b"truncated")
    assert samples.sample_image(download_photo=False).name == samples.SIGN_NAME


def test_download_writes_only_verified_files(tmp_path, served):
    url, digest = served(b"x" * 1000)
    target = tmp_path / "out" / "photo.jpg"
    assert samples.download(url, target, digest) == target
    assert target.read_bytes() == b"x" * 1000
    assert sorted(p.name for p in target.parent.iterdir()) == ["photo.jpg"]


def test_download_keeps_a_verified_copy_and_replaces_a_corrupt_one(tmp_path, served, capsys):
    url, digest = served(b"z" * 300)
    target = tmp_path / "out" / "photo.jpg"
    samples.download(url, target, digest)
    target.write_bytes(b"corrupt")  # e.g. a disk error since
    assert samples.download(url, target, digest).read_bytes() == b"z" * 300
    (tmp_path / "www" / "served.bin").unlink()  # now only the verified copy can answer
    assert samples.download(url, target, digest).read_bytes() == b"z" * 300
    said = capsys.readouterr()
    assert str(tmp_path) not in said.out + said.err  # pooch's log lines name the cache path


def test_download_rejects_a_wrong_checksum_without_leaving_files(tmp_path, served):
    url, _ = served(b"tampered")
    target = tmp_path / "out" / "photo.jpg"
    with pytest.raises(OvocrError, match="does not match"):
        samples.download(url, target, "0" * 64)
    assert list(target.parent.iterdir()) == []


def test_download_limits_size_and_reports_unreachable_sources(tmp_path, served):
    url, digest = served(b"y" * 5000)
    with pytest.raises(OvocrError, match="larger than 100 bytes"):
        samples.download(url, tmp_path / "big.jpg", digest, max_bytes=100)
    assert list(tmp_path.glob("*.jpg")) == [] and list(tmp_path.glob("tmp*")) == []
    with pytest.raises(OfflineError, match="cannot download"):
        samples.download(url.replace("served.bin", "missing"), tmp_path / "m.jpg", digest)
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    port = closed.getsockname()[1]
    closed.close()  # nothing listens there now
    with pytest.raises(OfflineError, match="cannot download"):
        samples.download(f"http://127.0.0.1:{port}/photo.jpg", tmp_path / "m.jpg", digest)
    assert not (tmp_path / "big.jpg").exists() and not (tmp_path / "m.jpg").exists()


def test_rendered_sign_has_the_photo_size_and_is_deterministic():
    first = samples.render_sign()
    assert first.shape == (samples.SIGN_SIZE[1], samples.SIGN_SIZE[0], 3)
    assert first.dtype == np.uint8
    assert np.array_equal(first, samples.render_sign())


def test_committed_stand_in_matches_the_renderer():
    if viz.font_path(bold=True).parent != viz.DEBIAN_FONTS:
        pytest.skip("Debian's fonts-dejavu-core is not installed; glyphs would differ slightly")
    committed = Image.open(samples.project_data_dir() / samples.SIGN_NAME).convert("RGB")
    assert np.array_equal(np.asarray(committed), samples.render_sign()), (
        "run `python data/make_samples.py`"
    )


def test_stand_in_reads_like_the_photo(pipeline):
    # rows of text, as page.text gives them: the gap cut may split the wide first row into
    # two lines ("ROBERT" / "N. NOYCE BUILDING"), which stay one row in reading order
    rows = pipeline(samples.render_sign()).text.splitlines()
    assert rows[:2] == ["ROBERT N. NOYCE BUILDING", "2200"]
    assert len(rows) == 3


def test_omz_detector_prefers_the_zoo_then_the_seeded_copy(monkeypatch, tmp_path):
    monkeypatch.setattr(samples, "is_prepared", lambda name: False)
    monkeypatch.setattr(samples, "shared_data_dir", lambda: tmp_path / "data")
    assert samples.omz_detector() is None
    seeded = tmp_path / samples.SEEDED_OMZ_DETECTOR
    seeded.parent.mkdir(parents=True)
    seeded.write_text("<net/>")
    assert samples.omz_detector() == seeded
    monkeypatch.setattr(samples, "is_prepared", lambda name: name == samples.OMZ_DETECTOR)
    assert samples.omz_detector() == samples.OMZ_DETECTOR


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="XDG_CACHE_HOME is Linux's rule")
def test_models_and_samples_follow_one_cache_rule(monkeypatch, tmp_path):
    # Installed outside a checkout, models went to ~/.cache whatever XDG_CACHE_HOME said,
    # while the sample photo honoured it.
    from ovocr import paths

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.delenv("OVOCR_MODELS", raising=False)
    monkeypatch.setattr(paths, "project_root", lambda: None)
    assert paths.models_dir() == tmp_path / "xdg" / "ovocr" / "models"
    assert samples.cache_dir() == tmp_path / "xdg" / "ovocr" / "samples"
