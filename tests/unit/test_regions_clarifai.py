"""The Clarifai adapter: offline on a response shaped as Clarifai documents it, live only
with a token."""

import os

import pytest
from ovocr.regions.annotations import Region, RelBox
from ovocr.regions.clarifai import ClarifaiError, model_url, predict, regions_from_response


def response(regions, code=10000):
    """A predict response in Clarifai's documented REST shape (outputs[].data.regions)."""
    return {
        "status": {"code": 10000, "description": "Ok"},
        "outputs": [
            {
                "id": "out-1",
                "status": {"code": code, "description": "Ok" if code == 10000 else "Failure"},
                "model": {"id": "receipt-fields"},
                "input": {"id": "in-1", "data": {"image": {"url": "https://example/r.jpg"}}},
                "data": {"regions": regions},
            }
        ],
    }


def region(box, concepts):
    return {
        "id": "r",
        "region_info": {"bounding_box": box},
        "data": {
            "concepts": [{"id": n, "name": n, "value": v, "app_id": "a"} for n, v in concepts]
        },
    }


def test_regions_take_the_best_concept_and_its_box():
    data = response(
        [
            region(
                {"top_row": 0.8, "left_col": 0.5, "bottom_row": 0.85, "right_col": 0.9},
                [("total", 0.93), ("date", 0.05)],
            ),
            region({"bottom_row": 0.1, "right_col": 0.6}, [("company", 0.71)]),  # zeros omitted
        ]
    )
    assert regions_from_response(data) == [
        Region("total", RelBox(0.8, 0.5, 0.85, 0.9), 0.93),
        Region("company", RelBox(0.0, 0.0, 0.1, 0.6), 0.71),
    ]


def test_concept_filter_and_threshold():
    data = response(
        [
            region(
                {"top_row": 0.1, "bottom_row": 0.2, "right_col": 1}, [("logo", 0.9), ("date", 0.4)]
            ),
            region({"top_row": 0.3, "bottom_row": 0.4, "right_col": 1}, [("total", 0.2)]),
        ]
    )
    assert [r.concept for r in regions_from_response(data, concepts=["date", "total"])] == [
        "date",
        "total",
    ]
    assert regions_from_response(data, concepts=["date", "total"], min_value=0.3)[0].score == 0.4
    # slightly outside 0..1, as detectors sometimes answer: clipped, not refused
    edge = response(
        [region({"top_row": -0.0001, "bottom_row": 1.0002, "right_col": 1}, [("x", 1)])]
    )
    assert regions_from_response(edge)[0].box == RelBox(0, 0, 1, 1)


def test_failures_are_clear_errors():
    with pytest.raises(ClarifaiError, match="output #0 failed with status 10020: Failure"):
        regions_from_response(response([], code=10020))
    denied = {"status": {"code": 11008, "description": "API key not found"}, "outputs": []}
    with pytest.raises(ClarifaiError, match="request failed with status 11008: API key not found"):
        regions_from_response(denied)
    with pytest.raises(ClarifaiError, match="has 1 outputs, wanted #3"):
        regions_from_response(response([]), output=3)


def test_model_url():
    assert model_url("me/app/detector").endswith("/users/me/apps/app/models/detector/outputs")
    with pytest.raises(ClarifaiError, match="expected 'user/app/model'"):
        model_url("detector")


def test_predict_without_token_says_what_to_set(monkeypatch, tmp_path):
    monkeypatch.delenv("CLARIFAI_PAT", raising=False)
    with pytest.raises(ClarifaiError, match="set CLARIFAI_PAT"):
        predict(tmp_path / "r.jpg")


def test_live_call(shared_data):
    if not os.environ.get("CLARIFAI_PAT"):
        pytest.skip("CLARIFAI_PAT not set: the live Clarifai call is skipped")
    image = shared_data / "sroie" / "images" / "001.jpg"
    model = os.environ.get("CLARIFAI_MODEL", "clarifai/main/general-image-detection")
    regions = regions_from_response(predict(image, model))
    assert all(0 <= r.box.top_row <= r.box.bottom_row <= 1 for r in regions)
