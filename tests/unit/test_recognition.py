import numpy as np
import pytest
from ovocr.recognition import ctc_greedy_decode, eos_decode, make_batches, resize_normalise

CHARSET = ["<blank>", "b", "u", "i", "l", "d", "n", "g"]


def probs_for(indices: list[int], classes: int = len(CHARSET)) -> np.ndarray:
    p = np.full((len(indices), classes), 0.01, np.float32)
    p[np.arange(len(indices)), indices] = 0.9
    return p


def test_ctc_collapses_repeats_but_keeps_double_letters_split_by_blank():
    # b u u i l d i n _ n g : the blank between the n's keeps both (the tutorial bug)
    steps = [1, 2, 2, 3, 4, 5, 3, 6, 0, 6, 7]
    text, conf, kept = ctc_greedy_decode(probs_for(steps), CHARSET)
    assert text == "buildinng"
    steps = [1, 2, 2, 3, 4, 5, 3, 6, 6, 6, 7, 0]
    text, conf, kept = ctc_greedy_decode(probs_for(steps), CHARSET)
    assert text == "building"
    assert conf == pytest.approx(0.9)
    assert kept.tolist() == [0, 1, 3, 4, 5, 6, 7, 10]


def test_ctc_all_blank_is_empty_with_zero_confidence():
    assert ctc_greedy_decode(probs_for([0, 0, 0]), CHARSET)[:2] == ("", 0.0)


def test_eos_decode_stops_at_end_symbol():
    assert eos_decode(probs_for([1, 2, 0, 3]), CHARSET)[0] == "bu"


def test_make_batches_groups_similar_widths():
    widths = [300, 20, 310, 25, 900]
    assert make_batches(widths, 2) == [[1, 3], [0, 2], [4]]
    assert make_batches([], 4) == []


def test_resize_normalise_pads_with_zeros_to_width():
    crop = np.full((24, 40, 3), 255, np.uint8)
    params = {"channels": "BGR", "mean": (0.5,) * 3, "std": (0.5,) * 3}
    x = resize_normalise(crop, 48, 80, params, pad_to=320)
    assert x.shape == (3, 48, 320)
    assert np.allclose(x[:, :, :80], 1.0) and np.allclose(x[:, :, 80:], 0.0)
