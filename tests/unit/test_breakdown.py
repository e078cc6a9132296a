"""Tests for ovocr.breakdown: every ground-truth item lands in exactly one bin."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from ovocr.breakdown import Breakdown, line_breakdown, word_breakdown
from ovocr.datasets import GroundTruthWord


def box(x0: float, y0: float, x1: float, y1: float):
    return ((x0, y0), (x1, y0), (x1, y1), (x0, y1))


def test_each_word_outcome_has_its_bin():
    truth = [
        (box(0, 0, 40, 10), "OPEN"),  # read
        (box(60, 0, 100, 10), "DAILY"),  # misread
        (box(120, 0, 160, 10), "FROM"),  # inside a line box: covered, no match
        (box(170, 0, 210, 10), "NINE"),  # inside the same line box
        (box(300, 0, 340, 10), "EXIT"),  # missed
    ]
    found = [
        (box(0, 0, 41, 10), "open"),
        (box(60, 0, 101, 10), "DAIIY"),
        (box(118, -2, 212, 12), "FROM NINE"),
        (box(0, 100, 40, 110), "wall"),  # false
    ]
    result = word_breakdown(found, truth)
    assert result.counts() == {"missed": 1, "badly boxed": 2, "misread": 1, "read": 1, "false": 2}
    assert result.items == 5


def test_a_word_split_in_two_boxes_is_badly_boxed_not_missed():
    truth = [(box(0, 0, 100, 20), "BUILDING")]
    halves = [(box(0, 0, 48, 20), "BUIL"), (box(52, 0, 100, 20), "DING")]
    assert word_breakdown(halves, truth).badly_boxed == 1
    assert word_breakdown(halves[:1], truth).missed == 1  # covers less than half


def test_do_not_care_words_and_predictions_inside_them_do_not_count():
    truth = [
        GroundTruthWord(box(0, 0, 40, 10), "OPEN"),
        GroundTruthWord(box(100, 0, 200, 10), "###", dont_care=True),
    ]
    found = [(box(0, 0, 40, 10), "OPEN"), (box(110, 0, 190, 10), "noise")]
    result = word_breakdown(found, truth)
    assert (result.items, result.read, result.false) == (1, 1, 0)


def test_line_bins_follow_line_matching_and_ignore_case_and_spaces():
    truth = [
        (box(0, 0, 200, 20), "TOTAL 9.00"),
        (box(0, 30, 200, 50), "CASH 10.00"),
        (box(0, 60, 200, 80), "INVOICE NO : 48333"),
        (box(0, 90, 200, 110), "THANK YOU"),
    ]
    found = [
        (box(0, 1, 200, 21), "Total  9.00"),  # read: case and spacing ignored
        (box(0, 31, 200, 51), "CASH 10.0O"),  # misread
        (box(0, 60, 90, 80), "INVOICE NO"),  # two pieces: covered, no line matches
        (box(120, 60, 200, 80), "48333"),
    ]
    result = line_breakdown(found, truth)
    assert result.counts() == {"missed": 1, "badly boxed": 1, "misread": 1, "read": 1, "false": 2}
    assert line_breakdown(found, truth, ignore_case=False).read == 0


def test_totals_add_and_shares_sum_to_one():
    a = Breakdown(items=4, missed=1, badly_boxed=1, misread=1, read=1, false=3)
    total = a + Breakdown(items=2, read=2)
    assert total == Breakdown(items=6, missed=1, badly_boxed=1, misread=1, read=3, false=3)
    assert sum(total.shares().values()) == pytest.approx(1.0, abs=0.002)  # rounded shares
    assert total.to_dict()["read"] == 3


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 300), st.integers(0, 300)), min_size=0, max_size=6),
    st.lists(st.tuples(st.integers(0, 300), st.integers(0, 300)), min_size=0, max_size=6),
)
def test_bins_partition_the_ground_truth(gt_corners, pred_corners):
    truth = [(box(x, y, x + 40, y + 12), "word") for x, y in gt_corners]
    found = [(box(x, y, x + 50, y + 14), "word") for x, y in pred_corners]
    result = word_breakdown(found, truth)
    assert result.missed + result.badly_boxed + result.misread + result.read == len(truth)
    assert 0 <= result.false <= len(found)
