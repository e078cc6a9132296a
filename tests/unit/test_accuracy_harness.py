"""Tests for the scoring side of benchmarks/accuracy.py, on tiny hand-made records."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import pytest
from ovocr.datasets import CropSample, DocumentSample, GroundTruthWord, SceneSample

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def acc():
    spec = importlib.util.spec_from_file_location("accuracy", ROOT / "benchmarks/accuracy.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["accuracy"] = module
    spec.loader.exec_module(module)
    return module


def box(x0: float, y0: float, x1: float, y1: float) -> list[list[float]]:
    return [[x0, y0], [x1, y0], [x1, y1], [x0, y1]]


def word(x0, y0, x1, y1, text):
    return {"text": text, "confidence": 1.0, "quad": box(x0, y0, x1, y1)}


def test_tilt_degrees_is_the_top_edge_angle(acc):
    assert acc.tilt_degrees(box(0, 0, 10, 5)) == pytest.approx(0)
    assert acc.tilt_degrees([[0, 0], [10, 10], [5, 15], [-5, 5]]) == pytest.approx(45)
    assert acc.tilt_degrees([[10, 0], [0, 0], [0, 5], [10, 5]]) == pytest.approx(0)  # reversed


def test_score_icdar_counts_detection_end_to_end_and_tilted_words(acc, tmp_path):
    image = tmp_path / "img_1.jpg"
    tilted = GroundTruthWord([[100, 100], [140, 140], [130, 150], [90, 110]], "TILT")
    gt = (
        GroundTruthWord(box(0, 0, 40, 10), "OPEN"),
        GroundTruthWord(box(50, 0, 90, 10), "Shop!"),
        tilted,
        GroundTruthWord(box(200, 0, 240, 10), "###", dont_care=True),
    )
    record = {
        "image": str(image),
        "words": [
            word(0, 0, 40, 10, "open"),  # right (case ignored)
            word(50, 0, 90, 10, "SHOP"),  # right (GT may lose its "!")
            {"text": "TLT", "quad": tilted.quad},  # found, misread
            word(200, 0, 240, 10, "xx"),  # inside the do-not-care region: ignored
            word(300, 300, 340, 310, "ghost"),  # false detection
        ],
    }
    scores, per_image = acc.score_icdar([record], [SceneSample(image, gt)])
    assert scores["det_recall"] == pytest.approx(1.0)
    assert scores["det_precision"] == pytest.approx(3 / 4)
    assert scores["e2e_recall"] == pytest.approx(2 / 3)
    assert (scores["tilted_words"], scores["tilted_det_recall"]) == (1, 1.0)
    assert scores["tilted_e2e_recall"] == 0.0
    assert per_image[0]["missed_e2e"] == 1 and per_image[0]["false_det"] == 1
    bins = scores["breakdown"]
    assert (bins["read"], bins["misread"], bins["missed"], bins["false"]) == (2, 1, 0, 1)
    assert scores["tilted_breakdown"]["misread"] == 1 and scores["tilted_breakdown"]["items"] == 1
    results = {"default": {"icdar2015": {"scores": scores}}}
    table = acc.breakdown_table(results, {"default": "ovocr"})
    assert "| IC15 words | ovocr | 3 | 0 | 0 | 1 | 2 | 1 |" in table.splitlines()
    assert "| IC15 tilted words | ovocr | 1 | 0 | 0 | 1 | 0 | - |" in table.splitlines()


def test_score_icdar_treats_a_missing_record_as_no_output(acc, tmp_path):
    sample = SceneSample(tmp_path / "img_2.jpg", (GroundTruthWord(box(0, 0, 9, 9), "A"),))
    scores, _ = acc.score_icdar([], [sample])
    assert scores["det_recall"] == 0.0 and scores["e2e_hmean"] == 0.0


def test_score_words_uses_the_alphanumeric_protocol(acc, tmp_path):
    samples = [CropSample(tmp_path / f"w{i}.png", t) for i, t in enumerate(["Hello!", "2200", "x"])]
    records = [
        {"image": str(tmp_path / "w0.png"), "text": "HELLO"},
        {"image": str(tmp_path / "w1.png"), "text": "2280"},
    ]
    scores, misread = acc.score_words(records, samples)
    assert scores["accuracy"] == pytest.approx(1 / 3)
    assert scores["cer"] == pytest.approx((0 + 1 / 4 + 1) / 3)
    assert [m["gt"] for m in misread] == ["2200", "x"]


def test_page_text_in_rows_reads_a_two_column_receipt_row_by_row(acc):
    lines = [  # annotation order: left column first, then the prices
        GroundTruthWord(box(0, 0, 50, 10), "TEA"),
        GroundTruthWord(box(0, 20, 50, 30), "RICE"),
        GroundTruthWord(box(100, 1, 140, 11), "2.00"),
        GroundTruthWord(box(100, 19, 140, 29), "0.50"),
    ]
    assert acc.page_text_in_rows(lines) == "TEA 2.00\nRICE 0.50"


def test_score_sroie_matches_lines_and_ignores_case(acc, tmp_path):
    image = tmp_path / "001.jpg"
    gt = (GroundTruthWord(box(0, 0, 50, 10), "TOTAL"), GroundTruthWord(box(0, 20, 50, 30), "9.00"))
    record = {
        "image": str(image),
        "text": "Total\n9.0",
        "lines": [
            {"text": "Total", "quad": box(0, 0, 50, 10), "words": []},
            {"text": "9.0", "quad": box(0, 20, 50, 30), "words": []},
        ],
    }
    scores, _ = acc.score_sroie([record], [DocumentSample(image, gt)])
    assert scores["line_cer"] == pytest.approx((0 + 1 / 4) / 2)
    assert scores["line_exact"] == pytest.approx(0.5)
    assert scores["page_cer"] == pytest.approx(1 / len("total 9.00"))
    assert (scores["breakdown"]["read"], scores["breakdown"]["misread"]) == (1, 1)


def test_page_cer_rows_scores_what_was_read_whatever_order_lines_are_listed_in(acc, tmp_path):
    image = tmp_path / "002.jpg"
    gt = (
        GroundTruthWord(box(0, 0, 50, 10), "TEA"),
        GroundTruthWord(box(100, 2, 140, 12), "2.00"),
        GroundTruthWord(box(0, 20, 50, 30), "RICE"),
        GroundTruthWord(box(100, 18, 140, 28), "0.50"),
    )
    lines = [  # listed by middle row, as peers/run_peer.py sorts them: the columns interleave
        {"text": "TEA", "quad": box(0, 0, 50, 10)},
        {"text": "2.00", "quad": box(100, 2, 140, 12)},
        {"text": "0.50", "quad": box(100, 18, 140, 28)},
        {"text": "RICE", "quad": box(0, 20, 50, 30)},
    ]
    record = {"image": str(image), "text": "TEA\n2.00\n0.50\nRICE", "lines": lines}
    scores, pages = acc.score_sroie([record], [DocumentSample(image, gt)])
    assert scores["page_cer"] > 0.2  # the listed order moves a whole line
    assert scores["page_cer_rows"] == 0.0 == pages[0]["page_cer_rows"]
    assert scores["line_cer"] == 0.0


def test_line_items_fall_back_to_words_when_a_record_has_no_lines(acc):
    record = {"words": [word(0, 0, 5, 5, "a")]}
    assert acc.line_items(record) == [(box(0, 0, 5, 5), "a")]


def test_markdown_table_leaves_out_sets_no_system_ran(acc):
    results = {
        "default": {
            "icdar2015": {"scores": {"det_hmean": 0.75, "e2e_hmean": 0.6}, "seconds": 10.0},
            "sroie": {"scores": {"line_cer": 0.05, "page_cer": 0.03}, "seconds": 5.0},
        }
    }
    header, _, row = acc.markdown_table(results, {"default": "ovocr"}).splitlines()
    assert header == "| system | IC15 det H | IC15 e2e H | SROIE line CER | SROIE page CER |"
    assert row == "| ovocr | 0.750 | 0.600 | 0.050 | 0.030 |"


def test_read_jsonl_names_the_file_and_line_of_a_broken_record(acc, tmp_path):
    path = tmp_path / "out.jsonl"
    path.write_text(json.dumps({"image": "a"}) + "\n{broken\n")
    with pytest.raises(ValueError, match=r"out.jsonl:2: not a JSON object"):
        acc.read_jsonl(path)


def test_line_cer_by_characters_weighs_long_lines_more_than_the_mean_of_lines(acc):
    # One long line cut in two (neither part overlaps it by IoU > 0.5) and two short
    # lines read right: by the mean of lines 1 of 3 lines is lost, by characters 40 of 44.
    gt = [
        GroundTruthWord(box(0, 0, 400, 20), "A" * 19 + " " + "B" * 20),
        GroundTruthWord(box(0, 30, 20, 50), "ab"),
        GroundTruthWord(box(0, 60, 20, 80), "cd"),
    ]
    preds = [
        (box(0, 0, 190, 20), "a" * 19),
        (box(210, 0, 400, 20), "b" * 20),
        (box(0, 30, 20, 50), "AB"),
        (box(0, 60, 20, 80), "C  D"),
    ]
    edits, chars = acc.line_cer_by_characters(preds, gt)
    assert chars == 44
    assert edits == 40 + 1  # the long line whole, and "C D" against "CD"
    mean_of_lines = acc.line_metrics(preds, gt, ignore_case=True).cer
    assert mean_of_lines == pytest.approx((1 + 0 + 0.5) / 3)
