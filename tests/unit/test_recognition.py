import numpy as np
import pytest
from ovocr.recognition import (
    RECOGNIZERS,
    EosRecognizer,
    TextRecognizer,
    TimeMajorCtcRecognizer,
    ctc_greedy_decode,
    eos_decode,
    resize_normalise,
)
from ovocr.settings import RecParams, SettingsError

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


def test_resize_normalise_pads_with_zeros_to_width():
    crop = np.full((24, 40, 3), 255, np.uint8)
    params = RecParams(channels="BGR", mean=(0.5,) * 3, std=(0.5,) * 3)
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


class FakeModel:
    """Enough of a PreparedModel to build a stage class; compiling is never reached."""

    def __init__(self, family, **params):
        self.spec = type("Spec", (), {"family": family, "params": params})()
        self.path = f"fake-{family}.xml"
        self.charset = ("<blank>", "a", " ")


def test_each_family_has_its_class_and_settings_are_checked_before_compiling():
    assert set(RECOGNIZERS) == {"ctc", "ctc_tbc", "fc_eos"}
    with pytest.raises(SettingsError, match="did you mean 'alphabet'"):
        TextRecognizer(FakeModel("fc_eos"), alphabett="english")
    with pytest.raises(SettingsError, match="batch_size=0: must be at least 1"):
        TextRecognizer(FakeModel("ctc"), batch_size=0)
    assert isinstance(TextRecognizer.__new__(TextRecognizer, FakeModel("fc_eos")), EosRecognizer)
    from ovocr.errors import ModelError

    with pytest.raises(ModelError, match="no recogniser for model family 'seq2seq'"):
        TextRecognizer(FakeModel("seq2seq"))


def test_time_major_scores_become_batch_major_probabilities():
    raw = np.random.default_rng(0).normal(size=(5, 2, 3)).astype(np.float32)  # [T, N, C]
    probs = TimeMajorCtcRecognizer.probabilities(None, raw)
    assert probs.shape == (2, 5, 3)
    np.testing.assert_allclose(probs.sum(axis=2), 1.0, rtol=1e-6)
    assert (probs.argmax(axis=2) == raw.transpose(1, 0, 2).argmax(axis=2)).all()
