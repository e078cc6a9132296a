"""Line features, the NumPy classifiers, training, decoding and the model folder."""

import json

import numpy as np
import pytest
from ovocr.errors import ModelError
from ovocr.regions.baseline import baseline_regions
from ovocr.regions.evaluation import add_region_iou, score_fields
from ovocr.regions.features import FEATURE_NAMES, LAYOUT_FEATURES, page_features
from ovocr.regions.fields import fields_from_regions
from ovocr.regions.model import RegionModel
from ovocr.regions.sroie import CONCEPTS, KINDS
from ovocr.regions.train import label_lines, train_model
from ovocr.types import Page
from regions_factory import receipt


@pytest.fixture(scope="module")
def synthetic():
    return [receipt(seed) for seed in range(40)]


@pytest.fixture(scope="module")
def model(synthetic):
    pages, annotations = zip(*synthetic[:30])
    return train_model(annotations, pages, KINDS, "trees", {"det": "d", "rec": "r"})


def column(name):
    return FEATURE_NAMES.index(name)


def test_features_see_total_rows_and_amounts():
    page, _ = receipt(1)
    x = page_features(page)
    assert x.shape == (len(page.lines), len(FEATURE_NAMES)) and x.dtype == np.float32
    texts = [ln.text for ln in page.lines]
    total_line = next(i for i in range(len(texts)) if texts[i - 1] == "TOTAL")
    sub_line = next(i for i in range(len(texts)) if texts[i - 1] == "SUB TOTAL")
    assert x[total_line, column("row_total")] == 1.0
    assert x[sub_line, column("row_total")] == 0.0 and x[sub_line, column("row_subtotal")] == 1.0
    assert x[total_line, column("is_max_total_amount")] == 1.0
    date_line = next(i for i, t in enumerate(texts) if t.startswith("DATE"))
    assert x[date_line, column("has_date")] == 1.0 and x[date_line, column("first_date")] == 1.0
    assert x[0, column("row_from_top")] == 0.0 and x[0, column("kw_company")] == 1.0


def test_labels_come_from_region_overlap():
    page, annotation = receipt(2)
    labels = label_lines(page, annotation, ["address", "company", "date", "total"])
    by_text = {ln.text: int(k) for ln, k in zip(page.lines, labels)}
    assert by_text[annotation.values["company"]] == 2
    assert by_text[f"{annotation.values['total']}"] in (0, 4)  # SUB TOTAL shows it too
    assert sorted(labels.tolist()).count(1) == 2  # two address lines
    assert sum(labels == 4) == 1 and sum(labels == 3) == 1


def test_trained_model_reads_unseen_receipts(model, synthetic):
    pages, annotations = zip(*synthetic[30:])
    regions = [model.predict(p) for p in pages]
    fields = [fields_from_regions(r, KINDS, CONCEPTS) for r in regions]
    scores = add_region_iou(
        score_fields(fields, [a.values for a in annotations]), regions, annotations
    )
    for concept in CONCEPTS:
        assert scores[concept].f1 >= 0.9, concept
        assert scores[concept].mean_iou >= 0.8, concept
    spans = {c.name: c.max_lines for c in model.concepts}
    assert spans == {"address": 2, "company": 1, "date": 1, "total": 1}


def test_a_page_without_text_has_no_regions(model):
    assert model.predict(Page(400, 800)) == []
    assert baseline_regions(Page(400, 800)) == []


def test_baseline_rules_on_a_clean_receipt():
    page, annotation = receipt(5)
    fields = fields_from_regions(baseline_regions(page), KINDS, CONCEPTS)
    assert fields["total"] == annotation.values["total"]  # not the larger CASH amount
    assert fields["date"] == annotation.values["date"]
    assert fields["company"] == annotation.values["company"]


def test_model_folder_round_trip(model, tmp_path):
    folder = model.save(tmp_path / "m")
    back = RegionModel.load(folder)
    page, _ = receipt(99)
    assert np.allclose(back.line_probabilities(page), model.line_probabilities(page))
    assert back.concepts == model.concepts and back.ocr == {"det": "d", "rec": "r"}
    assert back.info["images"] == 30


def test_model_folder_errors_say_what_to_do(model, tmp_path):
    with pytest.raises(ModelError, match="not a region model .*ovocr fields train"):
        RegionModel.load(tmp_path / "nothing")
    folder = model.save(tmp_path / "m")
    meta = json.loads((folder / "model.json").read_text())
    meta["features"][0] = "colour"
    (folder / "model.json").write_text(json.dumps(meta))
    with pytest.raises(ModelError, match="other line features"):
        RegionModel.load(folder)


def test_training_refuses_empty_or_mismatched_input(synthetic):
    pages, annotations = zip(*synthetic[:2])
    with pytest.raises(ValueError, match="one page per annotation"):
        train_model(annotations, pages[:1])
    with pytest.raises(ValueError, match="unknown method"):
        train_model(annotations, pages, method="cnn")
    with pytest.raises(ValueError, match=r"unknown line features \['colour'\]"):
        train_model(annotations, pages, features=["center_row", "colour"])


def test_a_feature_subset_is_kept_with_the_model(synthetic, tmp_path):
    pages, annotations = zip(*synthetic[:10])
    layout = LAYOUT_FEATURES
    model = train_model(annotations, pages, KINDS, "softmax", features=layout, text=())
    back = RegionModel.load(model.save(tmp_path / "layout"))
    assert back.features == layout and back.classifier.weights.shape[0] == len(layout)
    assert back.line_probabilities(pages[0]).shape == (len(pages[0].lines), 5)


def test_features_without_the_receipt_prior_leave_its_columns_zero():
    from ovocr.regions.features import RECEIPT_FEATURES

    page, _ = receipt(2)
    full, plain = page_features(page), page_features(page, receipts=False)
    prior = [column(n) for n in RECEIPT_FEATURES]
    rest = [i for i in range(len(FEATURE_NAMES)) if i not in prior]
    assert np.array_equal(full[:, rest], plain[:, rest])
    assert not plain[:, prior].any() and full[:, prior].any()


def test_value_kinds_are_inferred_from_the_annotated_values():
    from ovocr.regions.annotations import Annotation, Region, RelBox
    from ovocr.regions.train import infer_kinds

    box = RelBox(0.1, 0.1, 0.2, 0.5)
    values = [
        {"due": "12/ 10/ 96", "sum": "$9.00", "who": "ACME 9.00 SDN BHD"},
        {"due": "May 1, 2000", "sum": "1,234.50", "who": "TAN CO"},
    ]
    items = [Annotation("a.png", 9, 9, (Region("due", box),), v) for v in values]
    assert infer_kinds(items, ["due", "sum", "who"]) == {
        "due": "date",
        "sum": "amount",
        "who": "text",
    }
    pages_and_annotations = [receipt(seed) for seed in range(6)]
    pages, annotations = zip(*pages_and_annotations)
    model = train_model(annotations, pages, {"date": "text"}, "trees", {"det": "d", "rec": "r"})
    assert model.kinds["date"] == "text"  # a kind given wins
    assert model.kinds["total"] == "amount" and model.kinds["company"] == "text"
