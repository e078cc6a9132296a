import cv2
import numpy as np
import pytest
from ovocr.detection import (
    DETECTORS,
    BoxDetector,
    DbDetector,
    TextDetector,
    normalise,
    padded_shape,
    postprocess_boxes,
    postprocess_db,
    preprocess_db,
    resize_shape,
    unclip,
)
from ovocr.errors import ModelError
from ovocr.settings import DbParams, SettingsError
from ovocr.strips import plan_strips


def test_resize_shape_is_multiple_of_32_and_respects_limits():
    assert resize_shape(720, 1280, DbParams(limit_side_len=960)) == (544, 960)
    assert resize_shape(720, 1280, DbParams(limit_side_len=736, limit_type="min")) == (736, 1312)
    h, w = resize_shape(
        4000, 3000, DbParams(limit_side_len=736, limit_type="min", max_side_len=2000)
    )
    assert max(h, w) <= 2016 and h % 32 == 0 and w % 32 == 0
    assert resize_shape(5, 5, DbParams()) == (32, 32)


def test_resize_shape_min_policy_never_shrinks_and_enlarges_at_most_max_upscale():
    params = DbParams(limit_side_len=960, limit_type="min")
    assert resize_shape(720, 1280, params) == (960, 1696)  # small scene text: enlarged
    assert resize_shape(3000, 2000, params) == (2560, 1696)  # only the max_side_len cap shrinks
    assert resize_shape(40, 100, params) == (64, 192)  # one field: twice, not 24 times
    assert resize_shape(40, 100, DbParams(limit_type="min", max_upscale=4)) == (160, 384)


def test_resize_shape_width_policy_scales_the_width_up_or_down():
    params = DbParams(limit_side_len=960, limit_type="width")
    assert resize_shape(720, 1280, params) == (544, 960)  # a photo: as the long-side limit
    assert resize_shape(1818, 884, params) == (1984, 960)  # a receipt: kept, not halved
    assert resize_shape(100, 300, params) == (192, 608)  # at most max_upscale (2x)
    assert resize_shape(20000, 960, params) == (2560, 128)  # max_side_len still caps


def test_preprocess_db_normalises_bgr_and_returns_scale():
    img = np.zeros((100, 200, 3), np.uint8)
    img[..., 0] = 255  # red in RGB
    tensor, scale = preprocess_db(img, DbParams(limit_side_len=64))
    assert tensor.shape == (1, 3, 32, 64)
    # channel 2 of a BGR tensor is red: (1 - 0.406) / 0.225
    assert np.isclose(tensor[0, 2].mean(), (1 - 0.406) / 0.225, atol=1e-4)
    assert scale == (100 / 32, 200 / 64)


@pytest.mark.parametrize("channels", ["BGR", "RGB"])
def test_normalise_lookup_equals_per_pixel_arithmetic(channels):
    rng = np.random.default_rng(0)
    img = rng.integers(0, 256, (37, 53, 3), dtype=np.uint8)
    mean, std = (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)
    fast = normalise(img, mean, std, channels)
    order = img[:, :, ::-1] if channels == "BGR" else img
    slow = ((order.astype(np.float32) / 255 - mean) / std).transpose(2, 0, 1)[None]
    assert fast.shape == (1, 3, 37, 53) and fast.dtype == np.float32
    np.testing.assert_allclose(fast, slow, atol=1e-5)
    # a float image takes the arithmetic path and gives the same numbers
    as_float = normalise(img.astype(np.float32), mean, std, channels)
    np.testing.assert_allclose(as_float, fast, atol=1e-5)


def test_postprocess_db_finds_rectangle_and_tilted_region():
    prob = np.zeros((200, 400), np.float32)
    prob[40:60, 50:250] = 0.9
    rect = ((300, 140), (120, 16), -30)
    cv2.fillPoly(prob, [cv2.boxPoints(rect).astype(np.int32)], 0.95)
    det = postprocess_db(prob, (2.0, 2.0), (400, 800), DbParams(unclip_ratio=1.5))
    assert len(det) == 2
    first = det.quads[np.argmin(det.quads[:, 0, 1])]
    x0, y0 = first.min(axis=0)
    x1, y1 = first.max(axis=0)
    # kernel 199x19 px grown by area * 1.5 / perimeter = 13 px, then scaled x2
    np.testing.assert_allclose([x0, y0, x1, y1], [74, 54, 524, 144], atol=4)
    assert np.all(det.scores > 0.85)


def test_postprocess_db_drops_tiny_and_weak_regions():
    prob = np.zeros((100, 100), np.float32)
    prob[10:12, 10:12] = 0.9  # too small
    prob[50:70, 20:80] = 0.35  # above thresh but below box_thresh
    assert len(postprocess_db(prob, (1, 1), (100, 100), DbParams())) == 0
    assert len(postprocess_db(np.zeros((0, 0)), (1, 1), (1, 1), DbParams())) == 0


def test_unclip_grows_polygon():
    box = np.array([[0, 0], [100, 0], [100, 10], [0, 10]], np.float32)
    grown = unclip(box, 1.5)
    assert cv2.contourArea(grown) > cv2.contourArea(box)


def test_postprocess_boxes_scales_and_filters():
    raw = np.array([[10, 20, 110, 40, 0.9], [0, 0, 0, 0, 0.0], [5, 5, 50, 50, 0.1]], np.float32)
    det = postprocess_boxes(raw, (0.5, 2.0), (100, 400), score_thresh=0.3)
    assert len(det) == 1
    np.testing.assert_allclose(det.quads[0], [[20, 10], [220, 10], [220, 20], [20, 20]])


class FakeModel:
    """Enough of a PreparedModel to build a stage class; compiling is never reached."""

    def __init__(self, family, **params):
        self.spec = type("Spec", (), {"family": family, "params": params})()
        self.path = f"fake-{family}.xml"


def test_each_family_has_its_class_and_settings_are_checked_before_compiling():
    assert dict(DETECTORS) == {"db": DbDetector, "boxes": BoxDetector}
    assert isinstance(TextDetector.__new__(TextDetector, FakeModel("boxes")), BoxDetector)
    with pytest.raises(SettingsError, match="unknown detector setting 'box_thres'; did you mean"):
        TextDetector(FakeModel("db", thresh=0.2), box_thres=0.9)
    with pytest.raises(SettingsError, match="box_thresh='high': expected a number"):
        TextDetector(FakeModel("db"), box_thresh="high")
    with pytest.raises(SettingsError, match="unknown box detector setting 'box_thresh'"):
        TextDetector(FakeModel("boxes", size=(704, 704)), box_thresh=0.5)
    with pytest.raises(ModelError, match="no detector for model family 'yolo'"):
        TextDetector(FakeModel("yolo"))


def test_pages_are_padded_to_a_few_heights_and_the_padding_holds_no_text():
    page = np.full((1000, 500, 3), 255, np.uint8)  # taller than wide: a page
    params = DbParams(limit_side_len=480, limit_type="width", page_rows_step=256)
    tensor, scale = preprocess_db(page, params)
    assert tensor.shape == (1, 3, 1024, 480)  # 960 rows of page, 64 of padding
    assert np.all(tensor[0, :, 960:] == 0) and scale == (1000 / 960, 500 / 480)
    assert preprocess_db(page, DbParams(limit_side_len=480, limit_type="width", page_rows_step=32))[
        0
    ].shape == (1, 3, 960, 480)
    photo = np.zeros((720, 1280, 3), np.uint8)  # landscape: never padded
    assert preprocess_db(photo, DbParams(limit_side_len=960))[0].shape == (1, 3, 544, 960)
    prob = np.zeros((1024, 480), np.float32)
    prob[980:1000, 10:300] = 0.9  # "text" in the padding only
    assert len(postprocess_db(prob, scale, (1000, 500), params)) == 0
    prob[100:120, 10:300] = 0.9
    assert len(postprocess_db(prob, scale, (1000, 500), params)) == 1


def test_long_pages_get_few_detector_shapes():
    """Pages of many lengths, some capped a little narrower by max_side_len, reach the
    network in at most 1024 / 128 shapes, all 960 wide; text in the padding is never found."""
    params = DbParams(limit_side_len=960, limit_type="width", page_rows_step=128)
    shapes = set()
    for height in range(1100, 2900, 37):  # 1000 wide: 960 wide, or a little less when capped
        rows, columns = padded_shape(*resize_shape(height, 1000, params), params)
        for strip in plan_strips(rows, params.strip_rows, params.strip_overlap, 128):
            shapes.add((strip.stop - strip.start, columns))
    assert len(shapes) <= 8 and {c for _, c in shapes} == {960}
    assert all(r % 128 == 0 and r <= 1024 for r, _ in shapes)
    # a long page capped at 2560 rows is 928 wide: padded on the right, scale unchanged
    page = np.full((2640, 960, 3), 255, np.uint8)
    tensor, scale = preprocess_db(page, params)
    assert tensor.shape == (1, 3, 2560, 960) and np.all(tensor[0, :, :, 928:] == 0)
    assert scale == (2640 / 2560, 960 / 928)
    prob = np.zeros((2560, 960), np.float32)
    prob[100:120, 930:960] = 0.9  # "text" in the padding only
    assert len(postprocess_db(prob, scale, (2640, 960), params)) == 0
