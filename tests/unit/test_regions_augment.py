"""Photographed variants: boxes move with the pixels; tilted pages are turned upright
before their lines are classified, so a photo gives the scan's regions."""

import math

import cv2
import numpy as np
from ovocr.regions.annotations import RelBox
from ovocr.regions.augment import PHOTO, move_box, photo_matrix, photograph, unwarp_page
from ovocr.regions.features import page_features, tilt_degrees, upright
from ovocr.regions.model import RegionModel
from ovocr.regions.sroie import KINDS
from ovocr.regions.train import train_model
from ovocr.types import Line, Page, Word
from regions_factory import receipt


def turned(page: Page, degrees: float) -> Page:
    """``page`` with every quad turned about the page centre (clockwise for > 0)."""
    a = math.radians(degrees)
    cx, cy = page.width / 2, page.height / 2

    def turn(quad):
        return tuple(
            (cx + (x - cx) * math.cos(a) - (y - cy) * math.sin(a),
             cy + (x - cx) * math.sin(a) + (y - cy) * math.cos(a))
            for x, y in quad
        )  # fmt: skip

    lines = [
        Line(tuple(Word(w.text, w.confidence, turn(w.quad)) for w in ln.words), turn(ln.quad))
        for ln in page.lines
    ]
    return Page(page.width, page.height, tuple(lines))  # no rows: as a tilted photo gives


def test_a_white_box_lands_where_move_box_says():
    image = np.zeros((400, 200, 3), np.uint8)
    image[100:140, 50:150] = 255
    photo, matrix = photograph(image, seed=4)
    box = move_box(RelBox.from_pixels(50, 100, 150, 140, 200, 400), matrix, (200, 400),
                   (photo.shape[1], photo.shape[0]))  # fmt: skip
    x0, y0, x1, y1 = box.to_pixels(photo.shape[1], photo.shape[0])
    mask = cv2.warpPerspective(image[..., 0], matrix, (photo.shape[1], photo.shape[0]))
    bright = np.argwhere(mask > 128)
    assert abs(bright[:, 1].min() - x0) < 6 and abs(bright[:, 1].max() - x1) < 6
    assert abs(bright[:, 0].min() - y0) < 6 and abs(bright[:, 0].max() - y1) < 6


def test_photos_are_turned_within_the_asked_range_and_repeatable():
    angles = []
    for seed in range(20):
        matrix, _ = photo_matrix(300, 600, np.random.default_rng(seed), PHOTO)
        top = np.array([[0, 0, 1], [300, 0, 1]], float) @ matrix.T
        top = top[:, :2] / top[:, 2:]
        angles.append(abs(math.degrees(math.atan2(*(top[1] - top[0])[::-1]))))
    # 3-7 degrees turned, plus up to 4.6 degrees from two corners shifted 4% of the width
    assert max(angles) <= 7 + 4.6 and 3 <= np.mean(angles) <= 7
    first, _ = photograph(np.full((60, 40, 3), 200, np.uint8), seed=7)
    again, _ = photograph(np.full((60, 40, 3), 200, np.uint8), seed=7)
    assert np.array_equal(first, again)


def test_upright_measures_the_tilt_and_regroups_rows():
    page, _ = receipt(3)
    tilted = turned(page, 5.0)
    assert abs(tilt_degrees(tilted) - 5.0) < 0.1 and abs(tilt_degrees(page)) < 1e-6
    level, order = upright(tilted)
    assert [len(r) for r in level.rows] == [len(r) for r in page.rows]
    assert [ln.text for ln in level.lines] == [page.lines[i].text for i in order]
    assert np.allclose(page_features(level), page_features(page)[order], atol=0.02)


def test_a_model_finds_the_same_fields_on_a_tilted_page(tmp_path):
    pages, annotations = zip(*(receipt(seed) for seed in range(30)))
    model = RegionModel.load(train_model(annotations, pages, KINDS).save(tmp_path / "m"))
    for seed in (40, 41, 42):
        page, _ = receipt(seed)
        scan = {r.concept: r.text for r in model.predict(page)}
        photo = {r.concept: r.text for r in model.predict(turned(page, -6.0))}
        assert photo == scan and len(scan) == 4


def test_a_photo_page_maps_back_onto_the_scan():
    page, _ = receipt(4)
    matrix, size = photo_matrix(page.width, page.height, np.random.default_rng(2), PHOTO)

    def move(quad):
        pts = cv2.perspectiveTransform(np.array(quad, np.float32).reshape(-1, 1, 2), matrix)
        return tuple(map(tuple, pts.reshape(-1, 2).tolist()))

    lines = [Line(tuple(Word(w.text, w.confidence, move(w.quad)) for w in ln.words), move(ln.quad))
             for ln in page.lines]  # fmt: skip
    back = unwarp_page(Page(*size, tuple(lines)), matrix, page.width, page.height)
    assert (back.width, back.height) == (page.width, page.height)
    for a, b in zip(back.lines, page.lines):
        assert np.allclose(a.quad, b.quad, atol=0.05) and a.text == b.text
