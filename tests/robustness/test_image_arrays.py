"""Arrays handed to ``load_image`` (and so to the pipeline) in every dtype a user may have."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from ovocr.errors import ImageError, ImageWarning
from ovocr.images import load_image
from PIL import Image


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


@pytest.mark.parametrize("mode", ["RGB", "L", "RGBA", "P", "I;16", "CMYK"])
def test_pil_images_are_accepted_in_every_mode(mode):
    gray = np.linspace(0, 255, 16).reshape(4, 4).astype(np.uint8)
    image = Image.fromarray(gray).convert(mode)
    rgb = load_image(image)
    assert rgb.dtype == np.uint8 and rgb.shape == (4, 4, 3)
    assert image.mode == mode  # the caller's image is not changed


def test_pil_image_is_turned_upright_by_its_exif_orientation():
    wide = Image.fromarray(np.zeros((2, 6), np.uint8))
    wide.getexif()[0x0112] = 6  # stored turned: rotate 90 degrees to show it
    assert load_image(wide).shape == (6, 2, 3)


@pytest.mark.parametrize(
    "source, problem",
    [
        (None, "<NoneType>: expected a file path, a NumPy array or a PIL image$"),
        (b"\x89PNG...", "<bytes>: .*; for encoded bytes use PIL.Image.open\\(io.BytesIO"),
        (42, "<int>: expected a file path"),
    ],
)
def test_other_python_inputs_are_one_image_error(source, problem):
    with pytest.raises(ImageError, match=problem):
        load_image(source)


def test_map_with_errors_goes_on_past_a_bad_python_input(pipeline):
    from conftest import render_text

    good = render_text(["HELLO"])
    results = list(pipeline.map([None, good, b"bytes", Image.fromarray(good)], return_errors=True))
    assert [type(r).__name__ for r in results] == ["ImageError", "Page", "ImageError", "Page"]
    assert results[1].text == results[3].text == "HELLO"
