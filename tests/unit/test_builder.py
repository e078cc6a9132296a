import numpy as np
import pytest
from ovocr.builder import assemble, reading_order, split_words, word_confidence
from ovocr.detection import Detections
from ovocr.metrics import page_text_in_rows
from ovocr.recognition import Reading
from ovocr.types import Line, Word

QUAD = np.array([[0, 0], [200, 0], [200, 20], [0, 20]], np.float32)


def test_split_words_cuts_the_line_quad_at_spaces():
    reading = Reading("ab cd", 0.9, (0.1, 0.2, 0.5, 0.6, 0.7))
    first, second = split_words(reading, QUAD)
    assert (first.text, second.text) == ("ab", "cd")
    assert first.bounds[0] == pytest.approx(10) and first.bounds[2] == pytest.approx(50)
    assert second.bounds[0] == pytest.approx(110) and second.bounds[2] == pytest.approx(150)
    assert first.bounds[2] < second.bounds[0]


def test_each_word_gets_the_mean_of_its_own_character_probabilities():
    chars = (0.9, 0.7, 0.3, 0.6, 0.5)  # the space's own probability (0.3) counts for no word
    reading = Reading("ab cd", 0.675, (0.1, 0.2, 0.5, 0.6, 0.7), chars)
    first, second = split_words(reading, QUAD)
    assert first.confidence == pytest.approx(0.8) and second.confidence == pytest.approx(0.55)
    line = Line((first, second))
    assert line.confidence == pytest.approx(np.mean([0.9, 0.7, 0.6, 0.5]))
    tall = np.array([[0, 0], [20, 0], [20, 200], [0, 200]], np.float32)
    [whole] = split_words(reading, tall)  # vertical text is one word: all its characters
    assert whole.confidence == pytest.approx(np.mean([0.9, 0.7, 0.6, 0.5]))


def test_word_confidence_falls_back_to_the_line_without_character_values():
    reading = Reading("ab cd", 0.9, (0.1, 0.2, 0.5, 0.6, 0.7))
    assert [w.confidence for w in split_words(reading, QUAD)] == [0.9, 0.9]
    assert word_confidence(Reading("ab", 0.7, (), (0.5,)), 0, 2) == 0.7  # lengths disagree


def test_split_words_mirrors_positions_of_upside_down_crops():
    reading = Reading("ab cd", 0.9, (0.1, 0.2, 0.5, 0.6, 0.7))
    first, second = split_words(reading, QUAD, flipped=True)
    assert first.bounds[0] > second.bounds[0]  # "ab" is at the right of the image


def test_split_words_keeps_vertical_and_skips_blank_lines():
    tall = np.array([[0, 0], [20, 0], [20, 200], [0, 200]], np.float32)
    assert [w.text for w in split_words(Reading("a b", 1, (0.1, 0.5, 0.9)), tall)] == ["a b"]
    assert split_words(Reading("  ", 1, (0.1, 0.5)), QUAD) == []


def test_split_words_drops_lines_read_with_low_confidence():
    reading = Reading("ab cd", 0.4, (0.1, 0.2, 0.5, 0.6, 0.7))
    assert split_words(reading, QUAD) == []  # below MIN_CONFIDENCE: most likely not text
    assert [w.text for w in split_words(reading, QUAD, min_confidence=0.3)] == ["ab", "cd"]


def line_at(x, y, text, h=20):
    return Line((Word(text, 1.0, ((x, y), (x + 50, y), (x + 50, y + h), (x, y + h))),))


def test_reading_order_groups_rows_left_to_right():
    lines = [
        line_at(300, 102, "total"),
        line_at(10, 10, "title"),
        line_at(10, 100, "amount"),
        line_at(10, 200, "footer"),
    ]
    ordered, rows = reading_order(lines)
    assert [ln.text for ln in ordered] == ["title", "amount", "total", "footer"]
    assert rows == [(0,), (1, 2), (3,)]


def test_ground_truth_and_pages_share_one_reading_order():
    lines = [
        line_at(300, 109, "total"),  # 9 px lower than its label: still the same row
        line_at(10, 10, "title"),
        line_at(10, 100, "amount"),
        line_at(10, 120, "tax"),  # overlaps "amount" by less than half: a row of its own
    ]
    ordered, rows = reading_order(lines)
    page_text = "\n".join(" ".join(ordered[i].text for i in row) for row in rows)
    truth = [(ln.words[0].quad, ln.text) for ln in lines]
    assert page_text == page_text_in_rows(truth) == "title\namount total\ntax"


def test_assemble_keeps_read_regions_in_reading_order():
    quads = np.array(
        [[[0, 50], [100, 50], [100, 70], [0, 70]], [[0, 0], [100, 0], [100, 20], [0, 20]]],
        np.float32,
    )
    readings = [Reading("low", 0.9, (0.2, 0.5, 0.8)), Reading("", 0.0)]
    page = assemble((80, 120), Detections(quads, np.ones(2, np.float32)), readings, [False] * 2)
    assert (page.width, page.height, page.text) == (120, 80, "low")
    assert page.lines[0].quad[0] == (0.0, 50.0)  # the line keeps its detected quad


def test_an_upside_down_line_reads_in_its_own_word_order():
    detections = Detections(QUAD[None], np.ones(1, np.float32))
    reading = Reading("FLIPPED LINE 88", 0.9, tuple(np.linspace(0.05, 0.95, 15)))
    page = assemble((20, 200), detections, [reading], [True])
    assert page.text == "FLIPPED LINE 88"
    assert page.words[0].bounds[0] > page.words[-1].bounds[0]  # "FLIPPED" at the right


def test_the_crop_that_is_turned_upright_is_the_line_kept_whole():
    # 20 x 30: crop_quad turns it (vertical text); split_words used another rule and
    # cut the turned line into words along the wrong edge.
    from ovocr.geometry import crop_quad

    quad = np.array([[0, 0], [20, 0], [20, 30], [0, 30]], np.float32)
    crop = crop_quad(np.zeros((40, 40, 3), np.uint8), quad)
    assert crop.shape[:2] == (20, 30)  # turned: now wider than tall
    words = split_words(Reading("a b", 0.9, (0.1, 0.5, 0.9)), quad)
    assert [w.text for w in words] == ["a b"]
