"""The exported classifiers score as scikit-learn does, and a model folder is data only:
an edited, damaged or foreign folder is refused with one line that says what is wrong."""

import json
import subprocess
import sys

import numpy as np
import pytest
from ovocr.errors import ModelError
from ovocr.regions.classifiers import ClassifierArraysError, classifier_from_arrays
from ovocr.regions.fitting import export_trees, fit_softmax, fit_trees
from ovocr.regions.model import RegionModel
from ovocr.regions.sroie import KINDS
from ovocr.regions.train import train_model
from regions_factory import receipt
from sklearn.ensemble import HistGradientBoostingClassifier


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    pages, annotations = zip(*(receipt(seed) for seed in range(12)))
    model = train_model(annotations, pages, KINDS, "trees", {"det": "d", "rec": "r"})
    return model.save(tmp_path_factory.mktemp("m") / "model")


def _copy(folder, tmp_path):
    target = tmp_path / "copy"
    target.mkdir()
    for name in ("model.json", "weights.npz"):
        (target / name).write_bytes((folder / name).read_bytes())
    return target


def _reseal(target):
    """Write the weights' checksum into model.json, as a careful attacker would."""
    import hashlib

    meta = json.loads((target / "model.json").read_text())
    meta["weights_sha256"] = hashlib.sha256((target / "weights.npz").read_bytes()).hexdigest()
    (target / "model.json").write_text(json.dumps(meta))


@pytest.mark.parametrize("classes", [2, 4])
def test_exported_trees_score_exactly_as_sklearn(classes):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(800, 6))
    x[::40, 2] = np.nan  # missing values follow the learnt side
    y = (x[:, 0] + x[:, 1] > 0).astype(int) + (x[:, 3] > 0.8) * (classes > 2) * 2
    clf = HistGradientBoostingClassifier(max_iter=30, early_stopping=False, random_state=0)
    clf.fit(x, y)
    scores = export_trees(clf, classes).scores(x)
    expected = clf.decision_function(x)
    if classes == 2:
        assert np.allclose(scores[:, 1] - scores[:, 0], expected)
    else:
        assert np.allclose(scores, expected)


@pytest.mark.parametrize("fit", [fit_trees, fit_softmax])
def test_classifiers_learn_a_known_rule(fit):
    rng = np.random.default_rng(0)
    x = rng.uniform(size=(600, 3))

    def rule(v):  # 3 ordered classes by the sum of two features; the third is noise
        return (v[:, 0] + v[:, 1] > 0.7).astype(int) + (v[:, 0] + v[:, 1] > 1.3)

    clf = fit(x, rule(x), 3)
    test = rng.uniform(size=(300, 3))
    assert (clf.scores(test).argmax(axis=1) == rule(test)).mean() > 0.9


def test_loading_a_model_imports_no_sklearn(folder):
    code = (
        "import sys; from ovocr.regions.model import RegionModel; "
        f"RegionModel.load({str(folder)!r}); print('sklearn' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_edited_weights_are_refused_by_checksum(folder, tmp_path):
    target = _copy(folder, tmp_path)
    with np.load(target / "weights.npz") as data:
        arrays = dict(data)
    arrays["trees_value"] = arrays["trees_value"] * 2
    np.savez(target / "weights.npz", **arrays)
    with pytest.raises(ModelError, match=r"weights.npz: checksum differs from model.json"):
        RegionModel.load(target)


def test_a_pickle_in_the_weights_is_never_loaded(folder, tmp_path):
    target = _copy(folder, tmp_path)
    with np.load(target / "weights.npz") as data:
        arrays = dict(data)
    arrays["trees_value"] = np.array([{"run": "code"}], dtype=object)  # needs pickle
    np.savez(target / "weights.npz", **arrays)
    _reseal(target)
    with pytest.raises(ModelError, match=r"weights.npz: unusable classifier arrays"):
        RegionModel.load(target)


def test_tree_indices_pointing_outside_are_refused(folder, tmp_path):
    target = _copy(folder, tmp_path)
    with np.load(target / "weights.npz") as data:
        arrays = dict(data)
    inner = np.flatnonzero(~arrays["trees_is_leaf"])
    arrays["trees_left"][inner[0]] = inner[0]  # a loop back to itself
    np.savez(target / "weights.npz", **arrays)
    _reseal(target)
    with pytest.raises(ModelError, match="point outside the trees"):
        RegionModel.load(target)


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda m: m.update(format=1), "region model format 1, this ovocr reads 3"),
        (lambda m: m.pop("concepts"), r"missing \['concepts'\]"),
        (lambda m: m["concepts"][0].update(kind="shell"), "bad concept entry"),
        (lambda m: m["concepts"][0].update(source="web"), "bad concept entry"),
        (lambda m: m.update(ocr={"det": ["x"]}), "'ocr' must map det/rec"),
        (lambda m: m["features"].append("colour"), "other line features"),
    ],
)
def test_schema_errors_are_one_line(folder, tmp_path, edit, message):
    target = _copy(folder, tmp_path)
    meta = json.loads((target / "model.json").read_text())
    edit(meta)
    (target / "model.json").write_text(json.dumps(meta))
    with pytest.raises(ModelError, match=message) as info:
        RegionModel.load(target)
    assert "\n" not in str(info.value) and "model.json" in str(info.value)


def test_arrays_are_checked_one_by_one():
    with pytest.raises(ClassifierArraysError, match="no classifier arrays"):
        classifier_from_arrays({"x": np.zeros(2)}, 3)
    weights = {"linear_mean": np.zeros(3), "linear_scale": np.ones(3)}
    weights |= {"linear_weights": np.zeros((2, 4)), "linear_bias": np.zeros(4)}
    with pytest.raises(ClassifierArraysError, match="do not fit the features"):
        classifier_from_arrays(weights, 3)
