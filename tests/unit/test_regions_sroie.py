"""Deriving region annotations from SROIE's text lines and key values."""

import pytest
from ovocr.datasets import DocumentSample, GroundTruthWord
from ovocr.regions.sroie import (
    CONCEPTS,
    derive_regions,
    find_date,
    find_run,
    find_total,
    load_sroie_annotations,
)


def gt(text, row, x0=10, x1=200):
    y0 = 20 * row
    return GroundTruthWord(((x0, y0), (x1, y0), (x1, y0 + 15), (x0, y0 + 15)), text)


def test_find_run_joins_lines_and_forgives_spaces_and_typos():
    lines = ["ACME", "NO 12, JALAN MAJU,", "TAMAN INDAH", "43000 KAJANG", "TEL 03-1234567"]
    assert find_run(lines, "NO 12,JALAN MAJU, TAMAN INDAH 43000 KAJANG") == ([1, 2, 3], 100.0)
    indices, score = find_run(lines, "NO 12, JALAN MAJU, TAMAN INDAN 43000 KAJANG")
    assert indices == [1, 2, 3] and 90 < score < 100


def test_find_run_falls_back_to_a_line_holding_the_value():
    lines = ["99 SPEED MART S/B (519537-X)", "LOT P.T. 2811, JALAN ANGSA"]
    indices, score = find_run(lines, "99 SPEED MART S/B")
    assert indices == [0] and score == 100.0


def test_find_date_prefers_the_exact_line():
    lines = ["INV 12/1", "DATE: 25/12/2018 8:13 PM", "25/12/2O18"]
    assert find_date(lines, "25/12/2018") == ([1], 100.0)


def test_find_total_prefers_the_total_row_over_subtotal_and_items():
    lines = [
        gt("ITEM A", 1), gt("9.00", 1, 300, 350),
        gt("SUB TOTAL", 2), gt("9.00", 2, 300, 350),
        gt("TOTAL", 3), gt("RM 9.00", 3, 280, 350),
        gt("CASH", 4), gt("10.00", 4, 300, 350),
    ]  # fmt: skip
    assert find_total(lines, "9.00") == ([5], 100.0)
    assert find_total(lines, "12.00") == ([], 0.0)


def test_derive_regions_boxes_the_matched_lines(tmp_path):
    lines = (
        gt("ACME TRADING SDN BHD", 0),
        gt("NO 12, JALAN MAJU,", 1),
        gt("43000 KAJANG", 2),
        gt("DATE: 01/02/2019", 3),
        gt("TOTAL", 4),
        gt("12.50", 4, 300, 350),
    )
    keys = {
        "company": "ACME TRADING SDN BHD",
        "address": "NO 12, JALAN MAJU, 43000 KAJANG",
        "date": "01/02/2019",
        "total": "12.50",
    }
    regions = derive_regions(DocumentSample(tmp_path / "r.jpg", lines, keys), 400, 200)
    boxes = {r.concept: r.box.to_pixels(400, 200) for r in regions}
    assert boxes["address"] == pytest.approx((10, 20, 200, 55))
    assert boxes["total"] == pytest.approx((300, 80, 350, 95))
    assert {r.concept: r.text for r in regions}["date"] == "DATE: 01/02/2019"


@pytest.mark.shared
def test_every_training_receipt_gets_its_regions(shared_data):
    annotations = load_sroie_annotations(shared_data / "sroie_train", limit=20)
    assert len(annotations) == 20
    for annotation in annotations:
        found = {r.concept for r in annotation.regions}
        assert found == set(CONCEPTS), annotation.image.name
        total = annotation.regions_of("total")[0]
        assert annotation.values["total"] in total.text.replace(" ", "")
