"""Tests for ovocr.text: space recovery, Unicode normalisation, alphabets, vertical crops."""

from __future__ import annotations

import numpy as np
import pytest
from ovocr.recognition import Reading, ctc_greedy_decode
from ovocr.text import (
    TextRules,
    alphabet_mask,
    is_english,
    is_latin,
    normalize_char,
    normalize_text,
    read_upright,
    recover_spaces,
    stray_characters,
)

CHARSET = ["<blank>", "a", "b", "本", "，", "é", " "]  # PP-OCR: the space comes last
BLANK, A, B, CJK, COMMA, E_ACUTE, SPACE = range(7)


def probs_for(rows: list[dict[int, float]]) -> np.ndarray:
    """A ``[T, classes]`` matrix: each row's listed classes, the rest of the mass on blank."""
    p = np.zeros((len(rows), len(CHARSET)), np.float32)
    for t, row in enumerate(rows):
        for cls, value in row.items():
            p[t, cls] = value
        p[t, BLANK] += 1.0 - sum(row.values())
    return p


def test_is_latin_accepts_accents_and_currency_rejects_cjk_and_arrows():
    assert all(is_latin(c) for c in "aZ09 .,é€ñ—")
    assert not any(is_latin(c) for c in ["本", "→", "α", "<blank>"[:0]])


def test_is_english_is_printable_ascii_and_its_full_width_forms():
    assert all(is_english(c) for c in "aZ09 .,~，Ａ")
    assert not any(is_english(c) for c in "é€本\n")


def test_alphabet_masks_keep_the_blank_and_their_classes():
    assert alphabet_mask(CHARSET, "latin").tolist() == [1, 1, 1, 0, 1, 1, 1]
    assert alphabet_mask(CHARSET, "english").tolist() == [1, 1, 1, 0, 1, 0, 1]
    assert alphabet_mask(CHARSET, "auto").tolist() == [1, 1, 1, 0, 1, 0, 1]
    assert alphabet_mask(CHARSET, None) is None
    with pytest.raises(ValueError, match="unknown alphabet 'klingon'"):
        alphabet_mask(CHARSET, "klingon")


def test_recover_spaces_inserts_a_space_where_the_space_class_was_likely():
    p = probs_for([{A: 0.9}, {}, {SPACE: 0.4}, {}, {B: 0.9}])
    assert recover_spaces("ab", np.array([0, 4]), p, SPACE) == ("a b", pytest.approx([0, 2, 4]))


def test_recover_spaces_leaves_unlikely_gaps_and_adjacent_characters_alone():
    p = probs_for([{A: 0.9}, {SPACE: 0.1}, {B: 0.9}, {B: 0.3, SPACE: 0.6}])
    text, steps = recover_spaces("ab", np.array([0, 2]), p, SPACE, threshold=0.25)
    assert text == "ab" and steps.tolist() == [0, 2]
    # Steps 2 and 3 are adjacent: nothing lies between them to turn into a space.
    assert recover_spaces("bb", np.array([2, 3]), p, SPACE)[0] == "bb"


def test_recover_spaces_never_doubles_an_existing_space():
    p = probs_for([{A: 0.9}, {SPACE: 0.4}, {SPACE: 0.9}, {SPACE: 0.4}, {B: 0.9}])
    assert recover_spaces("a b", np.array([0, 2, 4]), p, SPACE)[0] == "a b"


def test_normalize_char_maps_full_width_and_cjk_punctuation_to_ascii():
    assert "".join(normalize_char(c) for c in "，：（）。、１Ａ×") == ",:().,1Ax"
    assert normalize_char("é") == "é" and normalize_char("本") == "本"


def test_normalize_text_keeps_one_time_step_per_character():
    text, steps = normalize_text("ﬁ：x", [3, 7, 9])
    assert text == "fi:x"
    assert steps.tolist() == [3, 3, 7, 9]


def test_text_rules_latin_mask_replaces_a_cjk_guess_by_the_best_latin_class():
    p = probs_for([{A: 0.3, CJK: 0.6}, {}, {B: 0.9}])
    assert TextRules(CHARSET)(p, ctc_greedy_decode)[0] == "本b"
    text, confidence, steps, chars = TextRules(CHARSET, alphabet="latin")(p, ctc_greedy_decode)
    assert text == "ab" and steps.tolist() == [0, 2]
    assert confidence == pytest.approx((0.3 + 0.9) / 2)
    assert chars.tolist() == pytest.approx([0.3, 0.9])  # each character's own probability


def test_text_rules_combine_spaces_and_normalisation():
    p = probs_for([{A: 0.9}, {SPACE: 0.1}, {COMMA: 0.9}, {}, {SPACE: 0.5}, {}, {B: 0.9}])
    text, confidence, steps, chars = TextRules(CHARSET)(p, ctc_greedy_decode)
    assert text == "a, b"
    assert len(steps) == len(chars) == len(text)
    # the recovered space gets the space class's probability, and does not count in the
    # line's confidence (the mean of what the decoder emitted)
    assert chars.tolist() == pytest.approx([0.9, 0.9, 0.5, 0.9])
    assert confidence == pytest.approx(0.9)
    off = TextRules(CHARSET, space_threshold=None, normalize=False)(p, ctc_greedy_decode)
    assert off[0] == "a，b"


def test_text_rules_do_nothing_for_charsets_without_a_space():
    rules = TextRules(["<blank>", "a", "b"])
    p = np.array([[0, 1, 0], [1, 0, 0], [0, 0, 1]], np.float32)
    assert rules.space is None
    assert rules(p, ctc_greedy_decode)[0] == "ab"


def test_read_upright_keeps_the_most_confident_of_three_turns_for_tall_crops():
    """A fake reader whose confidence is the top-left pixel: the turn that puts the brightest
    corner there wins. CW brings the bottom-left corner up, CCW the top-right one."""
    calls = []

    def read(crops):
        calls.append(len(crops))
        return [Reading(f"{c.shape[1]}x{c.shape[0]}", c[0, 0, 0] / 255) for c in crops]

    tall = np.zeros((60, 20, 3), np.uint8)
    tall[0, 0], tall[0, -1], tall[-1, 0] = 50, 100, 200  # as given, CCW, CW
    wide = np.full((20, 60, 3), 10, np.uint8)
    readings = read_upright(read, [wide, tall])
    assert [r.text for r in readings] == ["60x20", "60x20"]
    assert readings[1].confidence == pytest.approx(200 / 255)
    assert calls == [2, 2]  # all crops once, then the tall one turned both ways
    tall[-1, 0] = 0
    assert read_upright(read, [tall])[0].confidence == pytest.approx(100 / 255)


def test_read_upright_keeps_the_crop_as_given_on_a_tie_and_skips_wide_crops():
    def read(crops):
        return [Reading(str(c.shape[:2]), 0.5) for c in crops]

    tall = np.zeros((30, 10, 3), np.uint8)
    assert read_upright(read, [tall])[0].text == "(30, 10)"
    calls = []
    read_upright(lambda crops: calls.append(len(crops)) or read(crops), [tall[:12]])
    assert calls == [1]  # 12 x 10 is not tall enough to be a turned word


def test_stray_characters_means_a_few_foreign_characters_among_english_ones():
    assert stray_characters("GST Sum阳ary") and stray_characters("Café")
    assert not stray_characters("GST Summary")  # nothing to fix
    assert not stray_characters("罗汉果 LUO")  # half Chinese: a real Chinese word
    assert not stray_characters("Café", allowed=is_latin)
    assert not stray_characters("")


def test_text_rules_auto_rereads_mostly_english_lines_and_keeps_chinese_lines():
    p = probs_for([{A: 0.9}, {}, {A: 0.3, CJK: 0.6}, {}, {B: 0.9}])
    text, _, steps, _ = TextRules(CHARSET, alphabet="auto")(p, ctc_greedy_decode)
    assert text == "aab" and steps.tolist() == [0, 2, 4]
    chinese = probs_for([{CJK: 0.9}, {}, {A: 0.3, CJK: 0.6}])
    assert TextRules(CHARSET, alphabet="auto")(chinese, ctc_greedy_decode)[0] == "本本"
    accent = probs_for([{B: 0.9}, {}, {A: 0.9}, {}, {A: 0.4, E_ACUTE: 0.5}])
    assert TextRules(CHARSET, alphabet="auto")(accent, ctc_greedy_decode)[0] == "baa"
    assert TextRules(CHARSET, alphabet="latin")(accent, ctc_greedy_decode)[0] == "baé"


def test_read_upright_ignores_turned_readings_of_a_single_character():
    def read(crops):  # turned crops read as a confident dash, like a tall "I" does
        return [Reading("I", 0.6) if c.shape[0] > c.shape[1] else Reading("-", 0.99) for c in crops]

    tall = np.zeros((50, 10, 3), np.uint8)
    assert read_upright(read, [tall])[0].text == "I"


def test_tall_crops_are_judged_by_the_rule_crop_quad_turns_them_by():
    from ovocr.geometry import is_vertical
    from ovocr.text import read_upright

    seen = []

    def read(crops):
        seen.append([c.shape[:2] for c in crops])
        return [type("R", (), {"text": "ab", "confidence": 0.5})() for _ in crops]

    crops = [np.zeros((30, 20, 3), np.uint8), np.zeros((30, 21, 3), np.uint8)]
    read_upright(read, crops)
    assert [is_vertical(c.shape[1], c.shape[0]) for c in crops] == [True, False]
    assert seen[1] == [(20, 30), (20, 30)]  # only the first, turned both ways
