import pytest
from ovocr.devices import (
    CompileOptions,
    check_device,
    default_device,
    device_choices,
    device_selector,
)
from ovocr.errors import DeviceError


def test_cpu_and_auto_are_always_choices():
    assert "CPU" in device_choices() and "AUTO" in device_choices()
    assert check_device("cpu") == "CPU"
    assert check_device("AUTO:CPU") == "AUTO:CPU"


def test_missing_device_lists_available_ones():
    with pytest.raises(DeviceError, match="CPU"):
        check_device("NPU_THAT_DOES_NOT_EXIST")


def test_selector_defaults_to_environment(monkeypatch):
    monkeypatch.setenv("OVOCR_DEVICE", "CPU")
    assert device_selector().value == "CPU"
    monkeypatch.setenv("OVOCR_DEVICE", "NOT_A_DEVICE")
    assert device_selector().value == "AUTO"


def test_compile_options_config():
    cfg = CompileOptions("CPU", "THROUGHPUT", "f32", "/tmp/c").config()
    assert cfg == {
        "PERFORMANCE_HINT": "THROUGHPUT",
        "INFERENCE_PRECISION_HINT": "f32",
        "CACHE_DIR": "/tmp/c",
    }


def test_cache_dir_defaults_to_the_models_folder(monkeypatch, tmp_path):
    from ovocr.devices import resolve_cache_dir

    monkeypatch.delenv("OVOCR_CACHE_DIR", raising=False)
    monkeypatch.setenv("OVOCR_MODELS", str(tmp_path / "models"))
    assert resolve_cache_dir() == str(tmp_path / "models" / ".ov_cache")
    assert (tmp_path / "models" / ".ov_cache").is_dir()
    assert resolve_cache_dir("") is None
    assert resolve_cache_dir(tmp_path / "mine") == str(tmp_path / "mine")


def test_cache_dir_from_environment_and_unusable_folders(monkeypatch, tmp_path):
    from ovocr.devices import resolve_cache_dir

    monkeypatch.setenv("OVOCR_CACHE_DIR", str(tmp_path / "env"))
    assert resolve_cache_dir() == str(tmp_path / "env")
    monkeypatch.setenv("OVOCR_CACHE_DIR", "")
    assert resolve_cache_dir() is None
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    assert resolve_cache_dir(blocker / "cache") is None


def fake_cache(folder, sizes=(4096, 8192)):
    """Two files named like OpenVINO cache blobs (no model is compiled in unit tests)."""
    folder.mkdir(exist_ok=True)
    blobs = []
    for i, size in enumerate(sizes):
        blob = folder / f"{1234567 + i}.blob"
        blob.write_bytes(bytes(range(256)) * (size // 256))
        blobs.append(blob)
    return blobs


def test_blobs_are_recorded_once_and_a_changed_one_is_removed(tmp_path, monkeypatch):
    from ovocr import store
    from ovocr.devices import check_cache, record_cache

    monkeypatch.setattr(store, "_STAMP_SETTLE_NS", 0)
    first, second = fake_cache(tmp_path)
    problems, seen = check_cache(tmp_path)
    assert problems == [] and sorted(seen) == [first.name, second.name]
    record_cache(tmp_path, {})  # as after OpenVINO wrote both
    assert all(b.with_name(b.name + ".sha256").is_file() for b in (first, second))
    assert check_cache(tmp_path)[0] == []
    with open(first, "r+b") as fh:  # same size, other bytes
        fh.seek(1000)
        fh.write(b"\xff" * 16)
    problems, seen = check_cache(tmp_path)
    assert problems == [
        f"{first}: compiled-model cache blob changed since OpenVINO wrote it; "
        "removed, the model is compiled again"
    ]
    assert not first.exists() and not first.with_name(first.name + ".sha256").exists()
    assert second.exists() and list(seen) == [second.name]


def test_full_check_hashes_what_an_unchanged_stamp_would_hide(tmp_path, monkeypatch):
    import json

    from ovocr import store
    from ovocr.devices import check_cache, record_cache

    monkeypatch.setattr(store, "_STAMP_SETTLE_NS", 0)
    (blob,) = fake_cache(tmp_path, sizes=(4096,))
    record_cache(tmp_path, {})
    record_file = blob.with_name(blob.name + ".sha256")
    with open(blob, "r+b") as fh:  # bit rot: content changes ...
        fh.write(b"\0" * 8)
    record = json.loads(record_file.read_text())
    record["stamp"] = store.stamp(blob)  # ... stamp does not
    record_file.write_text(json.dumps(record))
    assert check_cache(tmp_path)[0] == []
    assert len(check_cache(tmp_path, full=True)[0]) == 1 and not blob.exists()


def test_verify_cache_checks_the_default_cache(tmp_path, monkeypatch):
    from ovocr.devices import record_cache, verify_cache

    monkeypatch.delenv("OVOCR_CACHE_DIR", raising=False)
    monkeypatch.setenv("OVOCR_MODELS", str(tmp_path))
    (blob,) = fake_cache(tmp_path / ".ov_cache", sizes=(4096,))
    record_cache(blob.parent, {})
    assert verify_cache() == []
    blob.write_bytes(b"\0" * 4096)
    assert [p.split(":")[0] for p in verify_cache()] == [str(blob)]


@pytest.mark.parametrize(("env", "device"), [("", "AUTO"), ("  ", "AUTO"), (" CPU ", "CPU")])
def test_the_command_line_reads_ovocr_device_by_the_package_rule(monkeypatch, env, device):
    from ovocr.cli import build_parser

    monkeypatch.setenv("OVOCR_DEVICE", env)
    assert build_parser().parse_args(["predict", "x.png"]).device == device == default_device()
