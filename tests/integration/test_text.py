"""Text rules on the default models."""

import numpy as np
from conftest import render_text


def test_turned_word_crops_are_read_upright(pipeline):
    word = render_text(["OPENVINO"], size=40, margin=8)
    for turn in (1, -1):
        crop = np.ascontiguousarray(np.rot90(word, turn))
        assert pipeline.read_crops([crop])[0].text == "OPENVINO"
