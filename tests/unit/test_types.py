import json

import pytest
from ovocr.types import PAGE_SCHEMA, Line, Page, Word, as_quad

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


def test_page_json_has_a_schema_and_writes_each_word_once():
    line = Line((Word("a", 0.5, QUAD), Word("b", 0.25, QUAD)), QUAD)
    page = Page(100, 40, (line, Line((Word("c", 1.0, QUAD),)), Line(())), rows=((0, 1), (2,)))
    data = page.to_dict()
    assert data["schema"] == PAGE_SCHEMA == 2
    # the CLI contract: image size, flat words with text/confidence/quad, page text
    assert [w["text"] for w in data["words"]] == ["a", "b", "c"]
    assert set(data["words"][0]) == {"text", "confidence", "quad"}
    assert data["text"] == "a b c" and (data["width"], data["height"]) == (100, 40)
    assert data["lines"] == [
        {"text": "a b", "quad": [list(p) for p in QUAD], "first_word": 0, "word_count": 2},
        {"text": "c", "quad": None, "first_word": 2, "word_count": 1},
        {"text": "", "quad": None, "first_word": 3, "word_count": 0},
    ]
    assert Page.from_dict(json.loads(json.dumps(data))) == page  # the empty line survives


def test_page_reads_the_schema_1_layout_of_older_files():
    old = {
        "width": 100,
        "height": 40,
        "words": [{"text": "a", "confidence": 0.5, "quad": QUAD}],
        "text": "a",
        "lines": [{"text": "a", "words": [{"text": "a", "confidence": 0.5, "quad": QUAD}]}],
        "rows": [],
    }
    assert Page.from_dict(old) == Page(100, 40, (Line((Word("a", 0.5, QUAD),)),))
    with pytest.raises(ValueError, match="page schema 3 is newer"):
        Page.from_dict({**old, "schema": 3})


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
