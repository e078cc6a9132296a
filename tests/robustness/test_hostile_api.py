"""The Python API used carelessly (issue 22): one image where a list is expected."""

from __future__ import annotations

import numpy as np
import pytest
from ovocr.pipeline import OcrPipeline
from PIL import Image


@pytest.mark.parametrize(
    "one",
    [np.zeros((517, 300, 3), np.uint8), "photo.jpg", b"photo.jpg", Image.new("RGB", (8, 8))],
    ids=["array", "str", "bytes", "pil"],
)
def test_map_of_one_image_is_a_type_error_that_says_to_pass_a_list(one):
    """Rows of an array would be read as 517 images, a path as its characters; no model
    is needed to refuse it (the stages are never reached)."""
    ocr = OcrPipeline(detector=None, recognizer=None)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"map\(\) takes a list of images.*ocr\.map\(\[image\]\)"):
        ocr.map(one)
