"""ovocr.quantize without a model: the registry rows, the rendered scenes, the nncf check.

Calibration and the INT8 detector itself are tested in tests/integration/test_models.py.
"""

import re
import sys

import numpy as np
import pytest
from ovocr import models
from ovocr.errors import ModelError
from ovocr.models import DEFAULT_DET, DEFAULT_REC, REGISTRY
from ovocr.paths import project_root
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
    # The base model was not even fetched (.locks holds only the entries' lock files).
    assert [p.name for p in tmp_path.iterdir() if p.name != ".locks"] == []


def test_make_models_int8_prepares_every_int8_model():
    # Notebook 08 uses every INT8 model; `make models-int8` (run by `make test`) must build
    # them all, so none is left to be prepared by hand.
    makefile = (project_root() / "Makefile").read_text(encoding="utf-8")
    target = re.search(r"^models-int8:.*\n((?:\t.*\n)+)", makefile, flags=re.MULTILINE)
    assert target, "Makefile: no models-int8 target with a recipe"
    words = target.group(1).split()
    int8 = [name for name, spec in REGISTRY.items() if spec.source == "int8"]
    assert int8
    missing = [name for name in int8 if name not in words]
    assert not missing, f"make models-int8 does not prepare {missing}"
