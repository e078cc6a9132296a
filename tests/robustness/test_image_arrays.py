"""Arrays handed to ``load_image`` (and so to the pipeline) in every dtype a user may have."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from ovocr.errors import ImageError, ImageWarning
from ovocr.images import load_image


def ramp(dtype: type, top: float) -> np.ndarray:
    """A 4 x 4 gray ramp from 0 to ``top``."""
    return np.linspace(0, top, 16).reshape(4, 4).astype(dtype)


@pytest.mark.parametrize(
    "array",
    [
        ramp(np.uint8, 255),
        ramp(np.uint16, 65535),  # 16-bit, e.g. cv2.imread(..., cv2.IMREAD_ANYDEPTH)
        ramp(np.int32, 65535),
        ramp(np.float32, 1.0),  # 0..1 floats
        ramp(np.float64, 255.0),  # 0..255 floats
    ],
    ids=["uint8", "uint16", "int32", "float-0-1", "float-0-255"],
)
def test_every_depth_becomes_the_same_8_bit_ramp(array):
    rgb = load_image(array)
    assert rgb.dtype == np.uint8 and rgb.shape == (4, 4, 3)
    expected = np.linspace(0, 255, 16)  # scaled, not clipped at 255
    assert np.abs(rgb[..., 0].ravel() - expected).max() <= 1


def test_boolean_masks_are_black_and_white():
    mask = np.zeros((4, 4), bool)
    mask[1:3, 1:3] = True
    rgb = load_image(mask)
    assert set(np.unique(rgb)) == {0, 255} and (rgb[1, 1] == 255).all()


@pytest.mark.parametrize("dtype, opaque", [(np.uint8, 255), (np.uint16, 65535), (np.float32, 1.0)])
def test_alpha_of_any_depth_flattens_onto_white(dtype, opaque):
    rgba = np.zeros((2, 2, 4), dtype)
    rgba[0, 0, 3] = opaque  # one opaque black pixel, three transparent ones
    rgb = load_image(rgba)
    assert (rgb[0, 0] == 0).all()
    assert (rgb.reshape(-1, 3)[1:] == 255).all()


def test_nan_and_infinity_do_not_leak_into_pixels():
    array = np.array([[np.nan, np.inf], [-np.inf, 0.5]], np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no "invalid value encountered in cast"
        rgb = load_image(array)
    assert rgb[..., 0].tolist() == [[0, 127], [0, 127]]  # NaN black, inf the brightest pixel


@pytest.mark.parametrize(
    "array, problem",
    [
        (np.array([["a", "b"]], dtype=object), "expected an array of numbers, got dtype object"),
        (np.ones((2, 2), np.complex64), "expected an array of numbers, got dtype complex64"),
        (np.zeros((4, 4, 2), np.uint8), "expected an HxW, HxWx3 or HxWx4 image"),
        (np.zeros((0, 4, 3), np.uint8), "image has no pixels"),
    ],
)
def test_unusable_arrays_are_image_errors(array, problem):
    with pytest.raises(ImageError, match=problem):
        load_image(array)


def test_downscaling_says_so():
    with pytest.warns(ImageWarning, match="downscaled to 100x5 pixels"):
        assert load_image(np.zeros((10, 200), np.uint8), max_side=100).shape == (5, 100, 3)
