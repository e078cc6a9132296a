import numpy as np
import pytest
from ovocr.errors import ImageError, ImageWarning
from ovocr.images import iter_image_paths, load_image
from PIL import Image


def test_missing_empty_and_non_image_files_name_the_file(tmp_path):
    empty = tmp_path / "empty.jpg"
    empty.write_bytes(b"")
    text = tmp_path / "notes.png"
    text.write_text("not an image")
    for path, problem in [
        (tmp_path / "nope.jpg", "no such file"),
        (empty, "empty file"),
        (text, "not an image"),
        (tmp_path, "directory"),
    ]:
        with pytest.raises(ImageError, match=problem) as info:
            load_image(path)
        assert str(path) in str(info.value)


def test_truncated_jpeg_is_an_image_error(tmp_path):
    path = tmp_path / "cut.jpg"
    Image.new("RGB", (64, 64), "red").save(path)
    path.write_bytes(path.read_bytes()[:200])
    with pytest.raises(ImageError, match="cut.jpg"):
        load_image(path)


@pytest.mark.parametrize("mode", ["L", "RGBA", "P", "CMYK", "I;16"])
def test_modes_become_rgb(tmp_path, mode):
    path = tmp_path / ("img.tif" if mode in ("CMYK", "I;16") else "img.png")
    Image.new(mode, (30, 20)).save(path)
    arr = load_image(path)
    assert arr.shape == (20, 30, 3) and arr.dtype == np.uint8


def test_transparent_pixels_become_white():
    rgba = np.zeros((4, 4, 4), np.uint8)
    assert load_image(rgba).min() == 255


def test_exif_orientation_is_honoured(tmp_path):
    path = tmp_path / "rotated.jpg"
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 degrees clockwise to display
    Image.new("RGB", (40, 10), "white").save(path, exif=exif)
    assert load_image(path).shape[:2] == (40, 10)


def test_huge_images_are_downscaled():
    with pytest.warns(ImageWarning, match="downscaled"):
        arr = load_image(np.zeros((100, 20000, 3), np.uint8), max_side=4000)
    assert arr.shape == (20, 4000, 3)


def test_directory_listing_is_natural_and_empty_directory_fails(tmp_path):
    for name in ["img_10.png", "img_2.png", "readme.txt"]:
        (tmp_path / name).write_bytes(b"x")
    assert [p.name for p in iter_image_paths([tmp_path])] == ["img_2.png", "img_10.png"]
    empty = tmp_path / "sub"
    empty.mkdir()
    with pytest.raises(ImageError, match="no images"):
        list(iter_image_paths([empty]))
