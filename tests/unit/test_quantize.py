"""ovocr.quantize without a model: the registry rows, the rendered scenes, the nncf check.

Calibration and the INT8 detector itself are tested in tests/integration/test_models.py.
"""

import sys

import numpy as np
import pytest
from ovocr import models
from ovocr.errors import ModelError
from ovocr.models import DEFAULT_DET, DEFAULT_REC, REGISTRY
from ovocr.quantize import render_scene


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


def test_quantising_without_nncf_is_a_clear_error_before_any_work(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "nncf", None)  # makes `import nncf` fail
    monkeypatch.setenv("OVOCR_MODELS", str(tmp_path))
    with pytest.raises(ModelError, match=f"{DEFAULT_DET}-int8: quantising needs the nncf"):
        models.prepare(f"{DEFAULT_DET}-int8")
    assert list(tmp_path.iterdir()) == []  # the base model was not even fetched
