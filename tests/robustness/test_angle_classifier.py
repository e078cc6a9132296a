"""The angle classifier on text turned upside down (``load_pipeline(cls=...)``).

A line rotated by 180 degrees must read in its own word order, with each word's box
where that word stands in the image; the same line upright reads the same.
"""

from __future__ import annotations

import numpy as np
import pytest
from conftest import render_text

LINE = "FLIPPED LINE 88"


@pytest.fixture(scope="module")
def classifying_pipeline(requires_models):
    import ovocr

    return ovocr.load_pipeline(cls="ppocrv5-cls", device="CPU", precision="f32")


def test_an_upside_down_line_reads_in_order_with_the_classifier(classifying_pipeline):
    image = render_text([LINE])
    upright = classifying_pipeline(image)
    turned = classifying_pipeline(np.ascontiguousarray(image[::-1, ::-1]))
    assert upright.text == LINE
    assert turned.text == LINE
    assert [w.text for w in turned.words] == LINE.split()
    width = image.shape[1]
    for up, down in zip(upright.words, turned.words):  # each box mirrored back
        centre_up = np.mean([p[0] for p in up.quad])
        centre_down = np.mean([p[0] for p in down.quad])
        assert abs((width - 1 - centre_down) - centre_up) < 0.05 * width, (up, down)


def test_the_crop_reader_turns_upside_down_crops(requires_models):
    from ovocr.pipeline import load_recognizer

    reader = load_recognizer(cls="ppocrv5-cls", device="CPU", precision="f32")
    crop = render_text([LINE], margin=8)
    assert [r.text for r in reader([crop, crop[::-1, ::-1]])] == [LINE, LINE]
