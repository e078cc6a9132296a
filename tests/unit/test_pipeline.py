import numpy as np
import pytest
from conftest import render_text
from ovocr.pipeline import reading_order, split_words
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


def test_rendered_text_is_read_exactly(pipeline):
    image = render_text(["HELLO WORLD", "OpenVINO 2024.6"])
    page = pipeline(image)
    assert page.text == "HELLO WORLD\nOpenVINO 2024.6"
    words = page.words
    assert [w.text for w in words] == ["HELLO", "WORLD", "OpenVINO", "2024.6"]
    assert words[0].bounds[2] <= words[1].bounds[0] + 5  # HELLO ends before WORLD starts


def test_blank_images_give_empty_pages(pipeline):
    for value in (0, 255):
        page = pipeline(np.full((300, 400, 3), value, np.uint8))
        assert page.lines == () and page.text == ""


def test_tutorial_photo_known_answer(pipeline, rnb_photo):
    words = {w.text.lower() for w in pipeline(rnb_photo).words}
    assert {"robert", "noyce", "building", "2200"} <= words


def test_word_crops_known_answer(pipeline, shared_data):
    from ovocr.datasets import load_word_crops
    from ovocr.images import load_image
    from ovocr.metrics import word_accuracy

    samples = load_word_crops(shared_data / "iiit5k", limit=200)
    readings = pipeline.recognizer([load_image(s.image) for s in samples])
    accuracy = word_accuracy([r.text for r in readings], [s.text for s in samples])
    assert accuracy >= 0.93, accuracy


def test_open_model_zoo_detector_runs_through_the_same_pipeline(shared_data, rnb_photo):
    import ovocr

    xml = (
        shared_data.parent
        / "models/horizontal-text-detection-0001-ir10/horizontal-text-detection-0001.xml"
    )
    if not xml.exists():
        pytest.skip(f"pre-seeded Open Model Zoo IR not found at {xml}")
    ocr = ovocr.load_pipeline(det=str(xml), device="CPU", precision="f32")
    detections = ocr.detect(ovocr.load_image(rnb_photo))
    assert len(detections) == 6
    words = {w.text.lower() for w in ocr(rnb_photo).words}
    assert {"noyce", "2200"} <= words
