"""Tests for ovocr.rendered: the stand-in development sets are labelled where drawn."""

from __future__ import annotations

import numpy as np
from ovocr import metrics, rendered
from ovocr.images import load_image


def ink_box(image: np.ndarray, quad) -> float:
    """Share of the dark pixels of ``image`` that lie inside ``quad``'s bounding box."""
    dark = image.min(axis=2) < 80
    xs, ys = np.asarray(quad)[:, 0], np.asarray(quad)[:, 1]
    inside = dark[int(ys.min()) : int(ys.max()) + 1, int(xs.min()) : int(xs.max()) + 1]
    return inside.sum() / max(dark.sum(), 1)


def test_scenes_have_five_words_each_with_tilted_quads_around_their_ink(tmp_path):
    scenes = rendered.render_scenes(tmp_path, count=2)
    assert [len(s.words) for s in scenes] == [5, 5]
    tilts = [metrics.tilt_degrees(w.quad) for s in scenes for w in s.words]
    assert max(tilts) > 10 and min(tilts) < 6
    image = load_image(scenes[0].image)
    share = sum(ink_box(image, w.quad) for w in scenes[0].words)
    assert share > 0.95  # the text is where the labels say


def test_words_are_seeded_and_some_are_low_resolution(tmp_path):
    first = rendered.render_words(tmp_path / "a", count=6)
    again = rendered.render_words(tmp_path / "b", count=6)
    assert [c.text for c in first] == [c.text for c in again]
    assert np.array_equal(load_image(first[2].image), load_image(again[2].image))
    assert load_image(first[2].image).shape[0] <= 12 < load_image(first[0].image).shape[0]


def test_receipt_rows_are_labelled_as_two_lines_on_one_row(tmp_path):
    (receipt,) = rendered.render_receipts(tmp_path, count=1)
    assert len(receipt.lines) == 1 + 2 * 9
    name, price = receipt.lines[1], receipt.lines[2]
    assert name.quad[1][0] < price.quad[0][0]  # the price starts right of the name
    assert abs(name.quad[0][1] - price.quad[0][1]) < 2  # on the same row
    assert float(price.text) > 0
