import json

import pytest
from ovocr.types import Line, Page, Word, as_quad

QUAD = ((10, 5), (50, 5), (50, 20), (10, 20))


def test_word_relative_box_is_x_column_y_row():
    word = Word("2200", 0.9, QUAD)
    assert word.relative_box(100, 40) == (0.1, 0.125, 0.5, 0.5)


def test_page_round_trips_through_json():
    line = Line((Word("a", 0.5, QUAD), Word("b", 0.25, QUAD)), QUAD)
    page = Page(100, 40, (line, Line((Word("c", 1.0, QUAD),))), rows=((0, 1),))
    again = Page.from_dict(json.loads(json.dumps(page.to_dict())))
    assert again == page
    assert again.text == "a b c"


def test_page_text_puts_rows_on_lines_and_skips_empty():
    lines = (Line((Word("top", 1, QUAD),)), Line(()), Line((Word("bottom", 1, QUAD),)))
    assert Page(10, 10, lines).text == "top\nbottom"


def test_line_confidence_weights_by_length():
    line = Line((Word("aaa", 1.0, QUAD), Word("b", 0.0, QUAD)))
    assert line.confidence == pytest.approx(0.75)
    assert Line(()).confidence == 0.0


def test_bad_quad_is_rejected():
    with pytest.raises(ValueError):
        as_quad([(0, 0), (1, 1)])


def test_words_are_frozen():
    word = Word("x", 1.0, QUAD)
    with pytest.raises(AttributeError):
        word.text = "y"  # type: ignore[misc]
