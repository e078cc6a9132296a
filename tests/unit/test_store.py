"""ovocr.store: staged writes, manifests, stamps and stale staging folders, on small files."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from ovocr import models, store
from ovocr.errors import ModelError

NAME = "ppocrv5-cls"  # any registry name: the entries here hold two small files


def small_files(folder: Path) -> tuple[str, dict]:
    (folder / "model.xml").write_bytes(b"<net/>" * 100)
    (folder / "model.bin").write_bytes(bytes(range(256)) * 40)
    return "model.xml", {"source": "test"}


@pytest.fixture
def small_entry(tmp_path, monkeypatch):
    """A committed entry for a registry name, with two small files instead of a model."""
    monkeypatch.setenv("OVOCR_MODELS", str(tmp_path))
    target = tmp_path / NAME
    store.write_entry(target, small_files)
    return target


def hidden(folder: Path) -> list[str]:
    """Hidden entries of a store, other than its folder of lock files."""
    return sorted(
        p.name for p in folder.iterdir() if p.name.startswith(".") and p.name != store.LOCKS
    )


def test_an_entry_lists_every_file_with_its_checksum(small_entry):
    manifest = json.loads((small_entry / store.MANIFEST).read_text())
    assert manifest["model"] == "model.xml" and manifest["source"] == "test"
    assert manifest["files"] == {
        name: store.sha256_of(small_entry / name) for name in ("model.bin", "model.xml")
    }
    assert hidden(small_entry.parent) == []
    assert store.verify_entry(small_entry) is None


@pytest.mark.parametrize(
    "umask, folder_mode, file_mode", [(0o022, 0o755, 0o644), (0o077, 0o700, 0o600)]
)
def test_entries_follow_the_umask(tmp_path, umask, folder_mode, file_mode):
    old = os.umask(umask)
    try:
        store.write_entry(tmp_path / NAME, small_files)
        store.write_json_atomic(tmp_path / NAME / store.STAMPS, {})
    finally:
        os.umask(old)
    assert (tmp_path / NAME).stat().st_mode & 0o777 == folder_mode
    for name in ("model.xml", store.MANIFEST, store.STAMPS):
        assert (tmp_path / NAME / name).stat().st_mode & 0o777 == file_mode, name


def test_a_failed_build_leaves_nothing(tmp_path):
    def interrupted(folder: Path) -> tuple[str, dict]:
        small_files(folder)
        raise KeyboardInterrupt  # Ctrl-C half way

    with pytest.raises(KeyboardInterrupt):
        store.write_entry(tmp_path / NAME, interrupted)
    assert [p.name for p in tmp_path.iterdir()] == [store.LOCKS]


def test_a_build_that_misnames_its_model_is_refused(tmp_path):
    with pytest.raises(ModelError, match="built an invalid entry"):
        store.write_entry(tmp_path / NAME, lambda folder: ("missing.xml", small_files(folder)[1]))
    assert [p.name for p in tmp_path.iterdir()] == [store.LOCKS]


def test_a_stamped_entry_loads_without_hashing_until_a_file_changes(small_entry, monkeypatch):
    monkeypatch.setattr(store, "_STAMP_SETTLE_NS", 0)  # stamp files written just now
    assert store.verify_entry(small_entry) is None  # hashes once, then stamps
    hashed = []
    real_sha = store.sha256_of
    monkeypatch.setattr(store, "sha256_of", lambda path: hashed.append(path) or real_sha(path))
    assert models.is_prepared(NAME) and hashed == []
    with open(small_entry / "model.bin", "ab") as fh:
        fh.write(b"\0")
    assert store.verify_entry(small_entry) == "model.bin fails its checksum"
    assert hashed == [small_entry / "model.bin"]  # only the file whose stamp changed


def test_files_changed_just_now_are_hashed_at_every_check(small_entry):
    assert store.verify_entry(small_entry) is None
    assert store._read_stamps(small_entry) == {}  # a change in this clock tick would not show
    with open(small_entry / "model.bin", "r+b") as fh:  # same size, same clock tick maybe
        fh.write(b"\xff" * 8)
    assert store.verify_entry(small_entry) == "model.bin fails its checksum"


def test_full_verify_hashes_what_a_stale_stamp_would_hide(small_entry, monkeypatch):
    monkeypatch.setattr(store, "_STAMP_SETTLE_NS", 0)
    assert models.verify(NAME) is None
    stamps = json.loads((small_entry / store.STAMPS).read_text())
    with open(small_entry / "model.bin", "r+b") as fh:  # bit rot: content changes ...
        fh.write(b"\xff" * 8)
    stamps["model.bin"][:3] = store.stamp(small_entry / "model.bin")  # ... stamp does not
    (small_entry / store.STAMPS).write_text(json.dumps(stamps))
    assert store.verify_entry(small_entry) is None
    assert models.verify(NAME) == "model.bin fails its checksum"
    with pytest.raises(ModelError, match="unknown model"):
        models.verify("no-such-model")


SHA = "0" * 64
BOTH = {"model.xml": SHA, "model.bin": SHA}
BAD_MANIFESTS = [
    ("not json", "unreadable manifest"),
    ([1, 2], "not a JSON object"),
    ({"model": "model.xml"}, "lists no files"),
    ({"model": "model.xml", "files": {}}, "lists no files"),
    ({"model": "model.xml", "files": ["model.xml"]}, "lists no files"),
    ({"files": BOTH}, "model entry"),
    ({"model": 3, "files": BOTH}, "model entry"),
    ({"model": "model.xml", "files": {"model.xml": SHA}}, "weights of model.xml"),
    ({"model": "model.xml", "files": {**BOTH, "model.xml": 5}}, "sha256"),
    ({"model": "../x.xml", "files": {"../x.xml": SHA}}, "outside the folder"),
    ({"model": "/etc/x.xml", "files": {"/etc/x.xml": SHA}}, "outside the folder"),
]


@pytest.mark.parametrize("content, problem", BAD_MANIFESTS)
def test_bad_manifests_are_one_clear_problem(small_entry, content, problem):
    text = content if isinstance(content, str) else json.dumps(content)
    (small_entry / store.MANIFEST).write_text(text)
    assert problem in store.verify_entry(small_entry)
    assert problem in models.verify(NAME)
    with pytest.raises(ModelError, match=problem) as info:
        store.load_manifest(small_entry)
    assert str(info.value).startswith(f"{small_entry}: ")
    with pytest.raises(ModelError, match="run `ovocr models prepare ppocrv5-cls` first"):
        models.get_model(NAME, allow_download=False)


def test_an_empty_file_list_with_damaged_weights_fails_verify(small_entry):
    manifest = json.loads((small_entry / store.MANIFEST).read_text())
    (small_entry / store.MANIFEST).write_text(json.dumps({**manifest, "files": {}}))
    with open(small_entry / "model.bin", "r+b") as fh:
        fh.write(b"\0" * 512)
    assert models.verify(NAME) == "manifest lists no files"
    assert not models.is_prepared(NAME)


def test_a_listed_file_that_links_outside_the_folder_is_refused(small_entry, tmp_path):
    outside = tmp_path / "outside.bin"
    (small_entry / "model.bin").rename(outside)
    (small_entry / "model.bin").symlink_to(outside)
    assert "outside the folder" in store.verify_entry(small_entry)


def test_a_bad_alphabet_is_a_model_error(small_entry):
    (small_entry / store.CHARSET).write_text('{"not": "a list"}')
    manifest = json.loads((small_entry / store.MANIFEST).read_text())
    manifest["files"][store.CHARSET] = store.sha256_of(small_entry / store.CHARSET)
    (small_entry / store.MANIFEST).write_text(json.dumps(manifest))
    with pytest.raises(ModelError, match="not a list of characters"):
        store.load_entry(models.REGISTRY[NAME], small_entry)


def dead_pid() -> int:
    child = subprocess.Popen(["true"])
    child.wait()
    return child.pid  # ended and reaped: no process has it (until reuse, much later)


def test_staging_folders_of_killed_runs_are_removed_at_the_next_write(tmp_path):
    host = socket.gethostname()
    dead = tmp_path / f".{NAME}.staging-{host}-{dead_pid()}-0123abcd"
    mine = tmp_path / f".{NAME}.staging-{host}-{os.getpid()}-4567abcd"  # still running
    other_host = tmp_path / f".{NAME}.staging-elsewhere-{dead_pid()}-89abcdef"
    legacy_old, legacy_new = tmp_path / f".{NAME}.k2j4h5g6", tmp_path / f".{NAME}.a1b2c3d4"
    for folder in (dead, mine, other_host, legacy_old, legacy_new):
        folder.mkdir()
        (folder / "model.bin").write_bytes(b"half")
    hours_ago = time.time() - store.STALE_AFTER_S - 60
    os.utime(legacy_old, (hours_ago, hours_ago))
    store.write_entry(tmp_path / NAME, small_files)
    assert hidden(tmp_path) == sorted(p.name for p in (mine, other_host, legacy_new))


def test_prepare_cleans_up_after_a_killed_run_even_when_the_model_is_ready(small_entry):
    host = socket.gethostname()
    killed = small_entry.parent / f".{NAME}.staging-{host}-{dead_pid()}-0123abcd"
    wheel = small_entry.parent / ".wheels" / f".x.whl.staging-{host}-{dead_pid()}-89abcdef"
    for folder in (killed, wheel):
        folder.mkdir(parents=True)
    assert models.prepare(NAME, allow_download=False).path == small_entry / "model.xml"
    assert not killed.exists() and not wheel.exists()


RACE = """
import sys, time
from pathlib import Path
from ovocr import store

def build(folder):
    (folder / "model.xml").write_text("<net/>")
    (folder / "model.bin").write_bytes(sys.argv[2].encode() * 1000)
    time.sleep(0.05)  # the builds overlap; only the swaps must not
    return "model.xml", {}

for _ in range(10):
    store.write_entry(Path(sys.argv[1]), build)
"""


def test_parallel_rebuilds_of_one_entry_take_turns(tmp_path):
    # Four `models prepare --force` at once renamed each other's folders to .old and the
    # losers blamed permissions; the entry lock makes them take turns.
    target = tmp_path / NAME
    runs = [
        subprocess.Popen(
            [sys.executable, "-c", RACE, str(target), str(i)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for i in range(4)
    ]
    outcomes = [(run.wait(timeout=300), run.stderr.read()) for run in runs]
    assert outcomes == [(0, "")] * 4
    assert store.verify_entry(target, full=True) is None
    assert hidden(tmp_path) == []


def test_the_entry_lock_is_reentrant_and_says_when_it_waited(tmp_path):
    target = tmp_path / NAME
    with store.entry_lock(target) as waited, store.entry_lock(target) as again:
        assert (waited, again) == (False, False)
