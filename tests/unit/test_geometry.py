import numpy as np
import pytest
from ovocr.geometry import clip_quad, crop_quad, order_quad, quad_size, sub_quad


@pytest.mark.parametrize("shift", range(4))
def test_order_quad_starts_top_left_and_runs_clockwise(shift):
    quad = np.array([[0, 0], [100, 0], [100, 20], [0, 20]], np.float32)
    shuffled = np.roll(quad, shift, axis=0)[::-1]  # any start, counter-clockwise
    np.testing.assert_allclose(order_quad(shuffled), quad)


def test_order_quad_on_tilted_line():
    angle = np.deg2rad(20)
    rot = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    base = np.array([[0, 0], [100, 0], [100, 20], [0, 20]], np.float32)
    tilted = base @ rot.T + 50
    ordered = order_quad(tilted[[2, 0, 3, 1]])
    np.testing.assert_allclose(ordered, tilted, atol=1e-4)


def test_crop_quad_straightens_and_turns_vertical_text():
    img = np.zeros((100, 200, 3), np.uint8)
    img[10:30, 20:120] = 255
    crop = crop_quad(img, np.array([[20, 10], [120, 10], [120, 30], [20, 30]], np.float32))
    assert crop.shape == (20, 100, 3)
    assert crop.mean() > 200
    tall = crop_quad(img, np.array([[20, 10], [40, 10], [40, 90], [20, 90]], np.float32))
    assert tall.shape[1] > tall.shape[0]


def test_crop_quad_degenerate_gives_empty():
    img = np.zeros((10, 10, 3), np.uint8)
    assert crop_quad(img, np.array([[1, 1], [1, 1], [1, 2], [1, 2]], np.float32)).size == 0


def test_sub_quad_and_size_and_clip():
    quad = np.array([[0, 0], [100, 0], [100, 10], [0, 10]], np.float32)
    np.testing.assert_allclose(sub_quad(quad, 0.25, 0.5)[:, 0], [25, 50, 50, 25])
    assert quad_size(quad) == (100.0, 10.0)
    assert clip_quad(quad + 50, 120, 40)[:, 0].max() == 119


def test_reading_rows_groups_overlapping_boxes_and_reads_each_row_left_to_right():
    from ovocr.geometry import reading_rows

    boxes = [(300, 102, 350, 122), (10, 10, 60, 30), (10, 100, 60, 120), (10, 120, 60, 140)]
    assert reading_rows(boxes) == [[1], [2, 0], [3]]  # 2 and 0 overlap by 18 of 20 px
    assert reading_rows([]) == []
