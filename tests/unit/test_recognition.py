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


def test_bucket_width_rounds_up_to_four_sizes_per_octave():
    from ovocr.recognition import bucket_width

    widths = range(1, 3201)
    buckets = {bucket_width(w) for w in widths}
    assert all(bucket_width(w) >= max(w, 160) for w in widths)
    assert all(bucket_width(w) <= max(160, 1.25 * w) for w in widths)  # padding under 25%
    assert min(buckets) == 160 and max(buckets) == 3200
    assert len(buckets) <= 4 * 5 + 2  # 160..3200 is a little over four octaves
    assert all(b % 8 == 0 for b in buckets)  # whole time steps of the CTC output
    assert bucket_width(100, min_width=320) == 320 and bucket_width(9000, max_width=3200) == 3200


def test_plan_batches_groups_by_padded_width_in_power_of_two_batches():
    from ovocr.recognition import bucket_width, plan_batches

    widths = [150, 700, 90, 155, 120, 130, 100, 140, 60, 158, 800]
    plan = plan_batches(widths, batch_size=4)
    assert sorted(i for _, idx in plan for i in idx) == list(range(len(widths)))
    for padded, idx in plan:
        assert {bucket_width(widths[i]) for i in idx} == {padded}
        assert len(idx) in (1, 2, 4)
    assert [len(idx) for padded, idx in plan if padded == 160] == [4, 4, 1]
    assert plan_batches([], 8) == []


@pytest.fixture(scope="module")
def recognizer():
    from ovocr.devices import CompileOptions
    from ovocr.errors import ModelError
    from ovocr.models import DEFAULT_REC, get_model
    from ovocr.recognition import TextRecognizer

    try:
        model = get_model(DEFAULT_REC)
    except ModelError as exc:
        pytest.skip(f"default recogniser unavailable ({exc}); run `make models`")
    return TextRecognizer(model, CompileOptions("CPU", precision="f32", cache_dir=None))


def test_a_crop_reads_the_same_alone_or_in_a_batch(recognizer):
    from conftest import render_text

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
