"""The default recogniser: batching does not change what a crop reads."""

import numpy as np
import pytest
from conftest import render_text


@pytest.fixture(scope="module")
def recognizer(requires_models):
    from ovocr.devices import CompileOptions
    from ovocr.recognition import TextRecognizer

    return TextRecognizer(requires_models["rec"], CompileOptions("CPU", precision="f32"))


def test_a_crop_reads_the_same_alone_or_in_a_batch(recognizer):
    crops = [render_text([w], size=32, margin=8) for w in ("OpenVINO", "OCR", "2024", "fast")]
    alone = [recognizer([c])[0] for c in crops]
    together = recognizer(crops)
    assert [r.text for r in together] == ["OpenVINO", "OCR", "2024", "fast"]
    assert [r.text for r in alone] == [r.text for r in together]
    assert [r.positions for r in alone] == [r.positions for r in together]


def test_plan_and_tensor_pad_each_crop_to_its_bucket(recognizer):
    from ovocr.recognition import bucket_width

    crops = [np.full((48, w, 3), 255, np.uint8) for w in (40, 100, 500)]
    crops.append(np.zeros((1, 50, 3), np.uint8))  # too thin to read
    plan = recognizer.plan(crops)
    assert sorted(i for b in plan for i in b.indices) == [0, 1, 2]
    for batch in plan:
        tensor = recognizer.tensor(crops, batch)
        assert tensor.shape == (len(batch.indices), 3, 48, batch.padded)
        for row, width in enumerate(batch.widths):
            assert batch.padded == bucket_width(width, recognizer.min_width)
            assert np.allclose(tensor[row, :, :, :width], 1.0)  # white, normalised
            assert not tensor[row, :, :, width:].any()  # zero padding after it
    assert recognizer(crops)[3].text == ""


def test_another_alphabet_rereads_the_same_crops(recognizer):
    crop = render_text(["Caf\u00e9 42"], size=32, margin=8)
    latin, english = (
        recognizer([crop], recognizer.rules("latin"))[0],
        recognizer([crop], recognizer.rules("english"))[0],
    )
    assert latin.text == "Caf\u00e9 42" and english.text.isascii()
    assert len(latin.char_confidences) == len(latin.text)
    assert recognizer([crop])[0] == recognizer([crop], recognizer.text_rules)[0]


def test_a_copy_with_other_text_rules_leaves_the_original_alone(recognizer):
    import copy

    from ovocr.text import TextRules

    crop = render_text(["OpenVINO 2024"], size=32, margin=8)
    plain = copy.copy(recognizer)  # as notebook 09 compares with PP-OCR's own decoding
    assert type(plain) is type(recognizer)
    rules = recognizer.text_rules
    plain.text_rules = TextRules(plain.charset, None, space_threshold=None, normalize=False)
    assert recognizer.text_rules is rules
    assert plain([crop])[0].text.replace(" ", "") == "OpenVINO2024"
    assert recognizer([crop])[0].text == "OpenVINO 2024"
