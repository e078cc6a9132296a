"""Tests for ovocr.metrics: hand-worked cases, a property test and real ICDAR 2015 GT."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from ovocr.datasets import GroundTruthWord, load_icdar2015, shared_data_dir
from ovocr.metrics import (
    IcdarAccumulator,
    IcdarResult,
    LineResult,
    cer,
    evaluate_icdar,
    line_metrics,
    match_lines,
    mean_cer,
    normalize_word,
    page_cer,
    page_text_in_rows,
    quad_iou,
    quad_polygon,
    tilt_degrees,
    transcription_match,
    word_accuracy,
)
from ovocr.types import Word


def box(x0: float, y0: float, x1: float, y1: float):
    """Axis-aligned quad, clockwise from the top-left."""
    return ((x0, y0), (x1, y0), (x1, y1), (x0, y1))


# --- word recognition -------------------------------------------------------------------


def test_normalize_word_keeps_lowercase_ascii_letters_and_digits():
    assert normalize_word("Hello, World! 2200") == "helloworld2200"
    assert normalize_word("CAFÉ") == "caf"
    assert normalize_word("-70 %") == "70"


def test_cer_hand_worked():
    assert cer("hello", "hello") == 0.0
    assert cer("helo", "hello") == pytest.approx(1 / 5)
    assert cer("kitten", "sitting") == pytest.approx(3 / 7)
    assert cer("abcdef", "ab") == pytest.approx(2.0)  # insertions: not capped at 1


def test_cer_empty_ground_truth():
    assert cer("", "") == 0.0
    assert cer("x", "") == 1.0
    assert cer("", "abc") == 1.0


def test_word_accuracy_normalizes_by_default():
    preds = ["HELLO", "w0rld", "2200", "Noyce."]
    gts = ["hello!", "world", "2200", "NOYCE"]
    assert word_accuracy(preds, gts) == pytest.approx(3 / 4)
    assert word_accuracy(preds, gts, normalize=False) == pytest.approx(1 / 4)


def test_mean_cer_is_mean_of_word_cers():
    # "helo"/"hello" -> 1/5, "world"/"world" -> 0, "Abc"/"abd" after lower-casing -> 1/3
    assert mean_cer(["helo", "world", "Abc"], ["hello", "world", "abd"]) == pytest.approx(
        (1 / 5 + 0 + 1 / 3) / 3
    )


def test_word_metrics_reject_bad_input():
    with pytest.raises(ValueError, match="2 predictions for 1"):
        word_accuracy(["a", "b"], ["a"])
    with pytest.raises(ValueError, match="no words"):
        mean_cer([], [])


# --- geometry -----------------------------------------------------------------------------


def test_quad_iou_of_shifted_boxes():
    # 100x20 boxes shifted by 25 px: intersection 75*20 = 1500, union 2500.
    assert quad_iou(box(0, 0, 100, 20), box(25, 0, 125, 20)) == pytest.approx(0.6)
    # Shifted by 40 px: 1200 / 2800.
    assert quad_iou(box(0, 0, 100, 20), box(40, 0, 140, 20)) == pytest.approx(3 / 7)
    assert quad_iou(box(0, 0, 10, 10), box(20, 20, 30, 30)) == 0.0


def test_self_intersecting_quad_keeps_both_halves():
    bow_tie = ((0, 0), (10, 10), (10, 0), (0, 10))
    assert quad_polygon(bow_tie).area == pytest.approx(50.0)
    assert quad_iou(bow_tie, box(0, 0, 10, 10)) == pytest.approx(0.5)


def test_zero_area_quad_has_no_iou():
    line = ((0, 0), (10, 0), (10, 0), (0, 0))
    assert quad_iou(line, line) == 0.0
    assert quad_iou(line, box(0, 0, 10, 10)) == 0.0


# --- ICDAR 2015 ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("gt", "pred", "expected"),
    [
        ("Hello", "HELLO", True),  # case-insensitive
        ("Hello!", "hello", True),  # one trailing special character dropped from the GT
        ('"Hello', "hello", True),  # one leading one
        ("(Hello)", "hello", True),  # both ends at once
        ("Hello!!", "hello", False),  # only one per end
        ("Hello", "hello!", False),  # the prediction is not stripped
        ("it's", "it", False),  # possessive removal is word-spotting only
        ("·A", "a", True),
        ("", "", True),
        ("", "a", False),
    ],
)
def test_transcription_match_generic_rule(gt, pred, expected):
    assert transcription_match(gt, pred) is expected


def hand_worked_image():
    """Four GT words (one do-not-care) and five predictions; see the expected counts below."""
    gts = [
        GroundTruthWord(box(0, 0, 100, 20), "Hello!"),
        GroundTruthWord(box(200, 0, 300, 20), "World"),
        GroundTruthWord(box(0, 100, 100, 140), "###", dont_care=True),
        GroundTruthWord(box(400, 0, 500, 20), "Intel"),
    ]
    preds = [
        Word("hello", 0.9, box(0, 0, 100, 20)),  # perfect box, text ok after "!" rule
        Word("W0rld", 0.9, box(225, 0, 325, 20)),  # IoU 0.6: detected, wrong text
        Word("foo", 0.9, box(10, 105, 60, 135)),  # fully inside do-not-care: ignored
        Word("bar", 0.9, box(50, 100, 150, 140)),  # exactly 50% inside: not ignored, false +
        Word("Intel", 0.9, box(440, 0, 540, 20)),  # IoU 3/7: missed, false +
    ]
    return preds, gts


def test_evaluate_icdar_hand_worked():
    result = evaluate_icdar(*hand_worked_image())
    assert (result.gt_care, result.pred_care) == (3, 4)
    assert (result.det_matched, result.e2e_matched) == (2, 1)
    assert result.ignored_preds == (2,)
    assert [(m.gt_index, m.pred_index, m.text_ok) for m in result.matches] == [
        (0, 0, True),
        (1, 1, False),
    ]
    assert result.matches[1].iou == pytest.approx(0.6)
    assert result.det_precision == pytest.approx(2 / 4)
    assert result.det_recall == pytest.approx(2 / 3)
    assert result.det_hmean == pytest.approx(4 / 7)
    assert result.e2e_precision == pytest.approx(1 / 4)
    assert result.e2e_recall == pytest.approx(1 / 3)
    assert result.e2e_hmean == pytest.approx(2 / 7)


def test_evaluate_icdar_accepts_tuples_and_marks_hash_as_dont_care():
    preds = [(box(0, 0, 10, 10), "a"), (box(50, 50, 60, 60), "x")]
    gts = [(box(0, 0, 10, 10), "A"), (box(50, 50, 60, 60), "###")]
    result = evaluate_icdar(preds, gts)
    assert (result.gt_care, result.pred_care, result.det_matched, result.e2e_matched) == (
        1,
        1,
        1,
        1,
    )


def test_matching_is_one_to_one():
    gts = [(box(0, 0, 100, 20), "a")]
    preds = [(box(0, 0, 100, 20), "a"), (box(1, 0, 101, 20), "a")]
    result = evaluate_icdar(preds, gts)
    assert result.det_matched == 1
    assert result.det_precision == pytest.approx(0.5)
    assert result.det_recall == 1.0


def test_iou_threshold_is_strict():
    # 30 px wide boxes shifted by 10 px: IoU 20/40, exactly 0.5, which does not match.
    gts = [(box(0, 0, 30, 10), "a")]
    assert quad_iou(gts[0][0], box(10, 0, 40, 10)) == 0.5
    assert evaluate_icdar([(box(10, 0, 40, 10), "a")], gts).det_matched == 0
    assert evaluate_icdar([(box(9, 0, 39, 10), "a")], gts).det_matched == 1  # IoU 21/39


def test_zero_area_prediction_is_a_false_positive_even_in_dont_care():
    gts = [(box(0, 0, 10, 10), "###")]
    preds = [(((1, 1), (5, 1), (5, 1), (1, 1)), "x")]
    result = evaluate_icdar(preds, gts)
    assert result.ignored_preds == ()
    assert (result.pred_care, result.det_matched) == (1, 0)


def test_empty_image_follows_official_convention():
    nothing = evaluate_icdar([], [])
    assert (nothing.det_precision, nothing.det_recall) == (1.0, 1.0)
    spurious = evaluate_icdar([(box(0, 0, 1, 1), "a")], [])
    assert (spurious.det_precision, spurious.det_recall, spurious.det_hmean) == (0.0, 1.0, 0.0)
    missed = evaluate_icdar([], [(box(0, 0, 1, 1), "a")])
    assert (missed.det_precision, missed.det_recall, missed.det_hmean) == (0.0, 0.0, 0.0)


def test_accumulator_sums_counts_across_images():
    acc = IcdarAccumulator()
    per_image = acc.add(*hand_worked_image())
    acc.add([(box(0, 0, 10, 10), "ok")], [(box(0, 0, 10, 10), "OK")])
    assert per_image.det_matched == 2
    total = acc.total
    assert (total.gt_care, total.pred_care, total.det_matched, total.e2e_matched) == (4, 5, 3, 2)
    assert total.matches == ()
    assert total.det_precision == pytest.approx(3 / 5)
    assert total.e2e_recall == pytest.approx(2 / 4)
    assert sum([per_image, per_image], IcdarResult()).gt_care == 6


def test_icdar_to_dict():
    data = evaluate_icdar(*hand_worked_image()).to_dict()
    assert data["detection"]["precision"] == pytest.approx(0.5)
    assert data["end_to_end"]["hmean"] == pytest.approx(2 / 7)
    assert data["matches"][1]["text_ok"] is False
    assert data["ignored_preds"] == [2]


coordinate = st.floats(min_value=0, max_value=50, allow_nan=False)
quads = st.tuples(*[st.tuples(coordinate, coordinate)] * 4)
words = st.lists(st.tuples(quads, st.sampled_from(["a", "A!", "b", "###"])), max_size=6)


@settings(max_examples=200, deadline=None)
@given(preds=words, gts=words)
def test_icdar_scores_stay_in_unit_interval(preds, gts):
    result = evaluate_icdar(preds, gts)
    scores = result.to_dict()
    for value in [*scores["detection"].values(), *scores["end_to_end"].values()]:
        assert 0.0 <= value <= 1.0 and not math.isnan(value)
    assert result.e2e_matched <= result.det_matched <= min(result.gt_care, result.pred_care)
    assert len({m.pred_index for m in result.matches}) == len(result.matches)


@pytest.mark.shared
def test_ground_truth_scores_itself_perfectly_on_real_icdar2015():
    root = shared_data_dir()
    if root is None or not (root / "icdar2015").is_dir():
        pytest.skip("../shared/data/icdar2015 not found: real-data check skipped")
    acc = IcdarAccumulator()
    for sample in load_icdar2015(root / "icdar2015"):
        acc.add([w for w in sample.words if not w.dont_care], sample.words)
    assert acc.total.gt_care > 0
    assert (acc.total.det_hmean, acc.total.e2e_hmean) == (1.0, 1.0)


# --- documents ----------------------------------------------------------------------------


def test_match_lines_takes_best_iou_first():
    gts = [(box(0, 0, 100, 20), "a"), (box(0, 2, 100, 22), "b")]
    # pred 0 overlaps GT 0 (IoU 18/22) and GT 1 exactly; pred 1 fits GT 0 best (19/20).
    preds = [(box(0, 2, 100, 22), "b"), (box(0, 0, 100, 19), "a")]
    assert match_lines(preds, gts) == [(0, 1), (1, 0)]
    assert match_lines(preds, gts, iou=0.99) == [(1, 0)]
    assert match_lines([], gts) == []


def document():
    gts = [
        (box(0, 0, 100, 20), "TOTAL 9.00"),
        (box(0, 30, 100, 50), "CASH"),
        (box(0, 60, 100, 80), "THANK YOU"),
    ]
    preds = [
        (box(0, 1, 100, 21), "TOTAL  9.00"),  # extra space only: exact
        (box(0, 30, 100, 50), "CASN"),  # one substitution in 4
        (box(0, 200, 100, 220), "SPURIOUS"),  # matches nothing
    ]
    return preds, gts


def test_line_metrics_hand_worked():
    result = line_metrics(*document())
    assert (result.gt_lines, result.pred_lines, result.matched, result.exact) == (3, 3, 2, 1)
    # CERs 0, 1/4 and 1.0 for the unmatched "THANK YOU".
    assert result.cer == pytest.approx((0 + 0.25 + 1.0) / 3)
    assert result.exact_rate == pytest.approx(1 / 3)
    assert result.to_dict()["cer"] == pytest.approx(1.25 / 3)


def test_line_metrics_ignore_case_and_totals():
    preds = [(box(0, 0, 10, 10), "cash")]
    gts = [(box(0, 0, 10, 10), "CASH")]
    assert line_metrics(preds, gts).exact == 0
    assert line_metrics(preds, gts, ignore_case=True).exact == 1
    total = line_metrics(*document()) + line_metrics(preds, gts, ignore_case=True)
    assert total == LineResult(gt_lines=4, pred_lines=4, matched=3, exact=2, cer_sum=1.25)
    assert LineResult().cer == 0.0


def test_page_cer_normalizes_whitespace_and_optionally_case():
    assert page_cer("TOTAL   9.00\n\nCASH ", "TOTAL 9.00 CASH") == 0.0
    assert page_cer("total 9.00", "TOTAL 9.00") == pytest.approx(5 / 10)
    assert page_cer("total 9.00", "TOTAL 9.00", ignore_case=True) == 0.0
    assert page_cer("abc", "abd") == pytest.approx(1 / 3)


# --- tilt and reading order of ground truth ----------------------------------------------


def test_tilt_degrees_of_the_top_edge():
    assert tilt_degrees(box(0, 0, 10, 5)) == 0.0
    assert tilt_degrees(((0, 10), (10, 0), (12, 2), (2, 12))) == pytest.approx(45.0)
    assert tilt_degrees(((0, 0), (0, 10), (-5, 10), (-5, 0))) == pytest.approx(90.0)
    upside_down = ((10, 5), (0, 5), (0, 0), (10, 0))  # top edge runs right to left
    assert tilt_degrees(upside_down) == 0.0
    slight = ((0, 0), (100, -10), (100, 10), (0, 20))  # rising to the right
    assert tilt_degrees(slight) == pytest.approx(math.degrees(math.atan(0.1)))


def test_page_text_in_rows_reads_rows_left_to_right():
    lines = [
        GroundTruthWord(box(0, 0, 40, 10), "TOTAL"),
        GroundTruthWord(box(0, 20, 40, 30), "CASH"),
        GroundTruthWord(box(80, 2, 100, 12), "9.00"),  # centre 2 px lower: same row
        GroundTruthWord(box(80, 21, 100, 31), "10.00"),
        GroundTruthWord(box(0, 40, 40, 50), "THANK YOU"),
    ]
    assert page_text_in_rows(lines) == "TOTAL 9.00\nCASH 10.00\nTHANK YOU"
    # Centres 6 px apart, more than half a line height: two rows, the upper one first.
    assert page_text_in_rows([(box(0, 6, 9, 16), "b"), (box(20, 0, 30, 10), "a")]) == "a\nb"
    assert page_text_in_rows([]) == ""
