import dataclasses

import pytest
from ovocr.settings import (
    BoxParams,
    ClsParams,
    DbParams,
    RecParams,
    SettingsError,
    check_hint,
    check_precision,
    closest,
)


def test_unknown_names_suggest_the_closest_valid_one():
    with pytest.raises(
        SettingsError, match="unknown detector setting 'box_thres'; did you mean 'box_thresh'"
    ):
        DbParams.from_dict({"box_thres": 0.9})
    with pytest.raises(SettingsError, match=r"'zzz' \(valid: limit_side_len, limit_type"):
        DbParams.from_dict({"zzz": 1})
    assert closest("unclip", DbParams.names()) == "unclip_ratio"


def test_later_layers_override_earlier_ones_and_values_are_converted():
    params = DbParams.from_dict({"thresh": 0.2, "mean": [0, 1, 2]}, {"thresh": 1})
    assert params.thresh == 1.0 and isinstance(params.thresh, float)
    assert params.mean == (0.0, 1.0, 2.0)
    assert BoxParams.from_dict({"size": [640, 480]}).size == (640, 480)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"box_thresh": "high"}, "box_thresh='high': expected a number"),
        ({"limit_side_len": 0}, "limit_side_len=0: must be at least 1"),
        ({"limit_side_len": 960.5}, "expected a whole number"),
        ({"thresh": 1.5}, "thresh=1.5: must be from 0 to 1"),
        ({"thresh": True}, "thresh=True: expected a number"),
        ({"limit_type": "long"}, "expected one of 'max', 'min', 'width'"),
        ({"std": (0.2, 0, 0.2)}, "must be more than 0"),
        ({"channels": "GRAY"}, "expected one of 'BGR', 'RGB'"),
    ],
)
def test_bad_values_are_one_line_naming_what_is_valid(changes, message):
    with pytest.raises(SettingsError, match=message) as caught:
        DbParams(**changes)
    assert "\n" not in str(caught.value)
    with pytest.raises(SettingsError, match=message):  # dataclasses.replace checks too
        dataclasses.replace(DbParams(), **changes)


def test_recogniser_and_classifier_settings():
    assert RecParams().width is None and RecParams(width=128).width == 128
    with pytest.raises(SettingsError, match="alphabet='greek': choose one of 'english'"):
        RecParams(alphabet="greek")
    with pytest.raises(SettingsError, match="unknown recogniser setting 'alphabett'"):
        RecParams.from_dict({"alphabett": "english"})
    assert ClsParams.from_dict({"labels": ["0", "180"]}).labels == ("0", "180")


def test_precision_and_hint_are_checked_with_the_valid_choices():
    assert check_precision(None) is None and check_precision("F32") == "f32"
    assert check_hint("throughput") == "THROUGHPUT"
    with pytest.raises(
        SettingsError,
        match=r"unknown precision 'fp32'; did you mean 'f32'\? \(choose one of f32, bf16, f16\)",
    ):
        check_precision("fp32")
    with pytest.raises(SettingsError, match="choose one of LATENCY, THROUGHPUT"):
        check_hint("FASTEST")


def test_one_function_decides_what_a_stage_runs_with_and_the_page_cache_follows_it(monkeypatch):
    # DbParams() holds PaddleOCR's defaults; the registry's models run with their own
    # values (e.g. the width rule). settings_for is the one rule: the stages build their
    # settings with it and the page cache keys on it (it recomputed them by itself).
    import dataclasses

    from ovocr import models
    from ovocr.detection import DbDetector
    from ovocr.recognition import CtcRecognizer
    from ovocr.regions.cache import settings_key
    from ovocr.settings import DbParams, RecParams

    det, rec = models.REGISTRY[models.DEFAULT_DET], models.REGISTRY[models.DEFAULT_REC]
    assert DbDetector.settings_for(det).limit_type == "width" != DbParams().limit_type
    assert DbDetector.settings_for(det, {"box_thresh": 0.5}).box_thresh == 0.5
    assert CtcRecognizer.settings_for(rec) == RecParams.from_dict(rec.params)
    before = settings_key(det.name, rec.name, "f32")
    changed = dataclasses.replace(DbDetector.settings_for(det), box_thresh=0.42)
    monkeypatch.setattr(DbDetector, "settings_for", classmethod(lambda cls, spec, o=None: changed))
    assert settings_key(det.name, rec.name, "f32") != before
