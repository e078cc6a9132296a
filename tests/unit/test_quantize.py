import sys

import numpy as np
import pytest
from conftest import render_text
from ovocr.errors import ModelError
from ovocr.models import DEFAULT_DET, DEFAULT_REC, REGISTRY, is_prepared
from ovocr.quantize import calibration_inputs, prepare_int8, render_scene


def test_int8_models_are_registered_from_the_defaults():
    for base in (DEFAULT_DET, DEFAULT_REC):
        spec = REGISTRY[f"{base}-int8"]
        assert (spec.source, spec.base) == ("int8", base)
        assert (spec.task, spec.family, spec.params) == (
            REGISTRY[base].task,
            REGISTRY[base].family,
            REGISTRY[base].params,
        )


def test_rendered_scenes_are_reproducible():
    first = render_scene(np.random.default_rng(3))
    assert first.shape == (720, 1280, 3) and first.dtype == np.uint8
    assert np.array_equal(first, render_scene(np.random.default_rng(3)))
    assert not np.array_equal(first, render_scene(np.random.default_rng(4)))


def test_calibration_inputs_are_what_the_pipeline_feeds_the_networks(pipeline):
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


def test_quantising_without_nncf_is_a_clear_error(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "nncf", None)  # makes `import nncf` fail
    with pytest.raises(ModelError, match="nncf"):
        prepare_int8(REGISTRY[f"{DEFAULT_DET}-int8"], tmp_path / "model", lambda _msg: None)
    assert not (tmp_path / "model").exists()


def test_int8_detector_finds_the_same_lines(pipeline):
    import ovocr

    if not is_prepared(f"{DEFAULT_DET}-int8"):
        pytest.skip(f"{DEFAULT_DET}-int8 not prepared (ovocr models prepare {DEFAULT_DET}-int8)")
    int8 = ovocr.load_pipeline(det=f"{DEFAULT_DET}-int8", device="CPU", precision="f32")
    image = render_text(["HELLO WORLD", "OpenVINO 2024.6"])
    assert int8(image).text == pipeline(image).text == "HELLO WORLD\nOpenVINO 2024.6"
