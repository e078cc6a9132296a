"""Tests for ovocr.refine: second looks at unsure crops, lines cut at wide gaps."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest
from ovocr.refine import RereadSettings, reread_unsure, split_at_gaps, stretch_width
from ovocr.settings import SettingsError
from ovocr.types import Line, Word


@dataclass(frozen=True)
class Reading:
    text: str
    confidence: float


def crop(width: int, height: int = 10) -> np.ndarray:
    return np.zeros((height, width, 3), np.uint8)


class WidthReader:
    """Reads a crop as its width; wider crops read more confidently (up to 1.0)."""

    def __init__(self) -> None:
        self.calls: list[list[int]] = []

    def __call__(self, crops):
        self.calls.append([c.shape[1] for c in crops])
        return [Reading(f"w{c.shape[1]}", min(c.shape[1] / 100, 1.0)) for c in crops]


def test_stretch_width_keeps_the_height_and_the_content_order():
    image = np.zeros((4, 10, 3), np.uint8)
    image[:, :5] = 255  # left half white
    wide = stretch_width(image, 1.5)
    assert wide.shape == (4, 15, 3)
    assert wide[:, :6].min() > 200 and wide[:, 9:].max() < 50


def test_only_unsure_crops_are_read_again_and_the_more_confident_reading_wins():
    read = WidthReader()
    crops = [crop(40), crop(99), crop(120)]
    first = read(crops)
    out = reread_unsure(read, crops, first, RereadSettings(unsure=0.95, stretch=1.3))
    assert read.calls[-1] == [52]  # only the 40-pixel crop (confidence 0.40) is unsure
    assert [r.text for r in out] == ["w52", "w99", "w120"]


def test_a_less_confident_second_look_is_not_taken():
    crops = [crop(40)]

    def read(batch):  # stretched crops read worse here
        return [Reading(f"w{c.shape[1]}", 0.9 if c.shape[1] == 40 else 0.2) for c in batch]

    assert reread_unsure(read, crops, read(crops))[0].text == "w40"


def test_disabled_or_empty_crops_are_left_alone():
    read = WidthReader()
    crops = [crop(40), np.zeros((0, 0, 3), np.uint8)]
    first = [Reading("a", 0.1), Reading("", 0.0)]
    assert reread_unsure(read, crops, first, RereadSettings(enabled=False)) == first
    assert reread_unsure(read, crops[1:], first[1:]) == first[1:]
    assert read.calls == []


def test_settings_are_validated():
    with pytest.raises(SettingsError, match="stretch"):
        RereadSettings(stretch=1.0)
    with pytest.raises(SettingsError, match="unsure"):
        RereadSettings.from_dict({"unsure": 1.5})
    with pytest.raises(SettingsError, match="did you mean 'stretch'"):
        RereadSettings.from_dict({"strech": 1.2})


def word(x0: float, x1: float, text: str, y0: float = 0, y1: float = 10) -> Word:
    return Word(text, 0.9, ((x0, y0), (x1, y0), (x1, y1), (x0, y1)))


def test_a_line_spanning_two_columns_is_cut_at_the_gap():
    line = Line(
        (word(0, 30, "INV"), word(33, 60, "No.:"), word(120, 170, "Cashier")),
        ((0, 0), (170, 0), (170, 10), (0, 10)),
    )
    parts = split_at_gaps(line, ratio=1.5)
    assert [p.text for p in parts] == ["INV No.:", "Cashier"]
    assert parts[0].quad == ((0, 0), (60, 0), (60, 10), (0, 10))
    assert parts[1].quad == ((120, 0), (170, 0), (170, 10), (120, 10))
    assert [w for p in parts for w in p.words] == list(line.words)


def test_gaps_follow_a_tilted_line():
    # A line at 45 degrees: the word gap is measured along the line, not on the x axis.
    def tilted(a: float, b: float, text: str) -> Word:
        s = np.sqrt(0.5)
        pts = [(a * s, a * s), (b * s, b * s), (b * s - 10 * s, b * s + 10 * s)]
        pts.append((a * s - 10 * s, a * s + 10 * s))
        return Word(text, 0.9, tuple(pts))

    words = (tilted(0, 30, "near"), tilted(34, 60, "words"), tilted(90, 120, "far"))
    line = Line(words, (words[0].quad[0], words[-1].quad[1], words[-1].quad[2], words[0].quad[3]))
    assert [p.text for p in split_at_gaps(line, ratio=1.5)] == ["near words", "far"]


def test_close_words_single_words_and_lines_without_a_quad_stay_whole():
    close = Line((word(0, 30, "TOTAL"), word(34, 60, "9.00")), ((0, 0), (60, 0), (60, 10), (0, 10)))
    assert split_at_gaps(close) == [close]
    single = Line((word(0, 30, "TOTAL"),), ((0, 0), (30, 0), (30, 10), (0, 10)))
    assert split_at_gaps(single) == [single]
    loose = Line((word(0, 30, "A"), word(300, 330, "B")))
    assert split_at_gaps(loose) == [loose]


def test_the_crop_reader_gives_unsure_crops_a_second_look_unless_told_not_to():
    from ovocr.pipeline import CropReader

    crops = [crop(40), crop(120)]
    assert [r.text for r in CropReader(WidthReader())(crops)] == ["w52", "w120"]
    off = CropReader(WidthReader(), reread=RereadSettings(enabled=False))
    assert [r.text for r in off(crops)] == ["w40", "w120"]


def test_pages_are_assembled_with_lines_cut_at_wide_gaps_unless_told_not_to():
    from ovocr.builder import assemble
    from ovocr.detection import Detections
    from ovocr.recognition import Reading as RecReading

    region = np.array([[[0, 0], [200, 0], [200, 20], [0, 20]]], np.float32)
    detections = Detections(region, np.ones(1, np.float32))
    positions = (0.02, 0.05, 0.08, 0.11, 0.5, 0.9, 0.95)  # "4.40" ... far away ... "SR"
    reading = RecReading("4.40 SR", 0.9, positions, (0.9,) * 7)
    cut = assemble((20, 200), detections, [reading], [False])
    assert [line.text for line in cut.lines] == ["4.40", "SR"]
    assert cut.text == "4.40 SR"  # one visual row
    whole = assemble((20, 200), detections, [reading], [False], gap_ratio=None)
    assert [line.text for line in whole.lines] == ["4.40 SR"]


def test_an_upside_down_line_keeps_its_words_together_and_in_reading_order():
    # The angle classifier turned this line: its words run right to left in the image.
    words = (word(120, 170, "FLIPPED"), word(60, 110, "LINE"), word(0, 50, "88"))
    line = Line(words, ((0, 0), (170, 0), (170, 10), (0, 10)))
    assert split_at_gaps(line, ratio=1.5) == [line]
    far = (word(300, 350, "FLIPPED"), word(60, 110, "LINE"), word(0, 50, "88"))
    parts = split_at_gaps(Line(far, ((0, 0), (350, 0), (350, 10), (0, 10))), ratio=1.5)
    assert [p.text for p in parts] == ["FLIPPED", "LINE 88"]
    assert parts[1].quad == ((0, 0), (110, 0), (110, 10), (0, 10))
