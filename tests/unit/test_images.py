import warnings

import numpy as np
import pytest
from ovocr.errors import ImageError, ImageWarning
from ovocr.images import iter_image_paths, load_image, load_image_and_size, tiff_page_count
from ovocr.types import Line, Page, Word
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


# -- Untrusted files (issue 22) ---------------------------------------------------------------

EPS = b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 10 10\nnewpath 0 0 moveto showpage\n"
# A Pillow "IM" header whose size is not a number: Pillow's IM reader raised TypeError.
IM_HEADER = b"Image type: RGB image\r\nImage size (x*y): 1e0*40\r\n".ljust(512, b"\0")


def test_eps_named_jpg_is_refused_without_ghostscript(tmp_path, monkeypatch):
    from PIL import EpsImagePlugin

    def ghostscript(*args, **kwargs):
        raise AssertionError("Ghostscript was started on an untrusted file")

    monkeypatch.setattr(EpsImagePlugin, "Ghostscript", ghostscript)
    path = tmp_path / "scan.jpg"
    path.write_bytes(EPS)
    with pytest.raises(ImageError) as info:
        load_image(path)
    assert str(info.value) == (
        f"{path}: not an image file (PostScript or EPS, which ovocr does not open: "
        "convert it to PNG or PDF)"
    )


def test_im_header_is_an_image_error_not_a_type_error(tmp_path):
    path = tmp_path / "scan.jpg"
    path.write_bytes(IM_HEADER)
    with pytest.raises(ImageError, match=r"scan.jpg: not an image file \(unknown or unsupported"):
        load_image(path)


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_float_tiff_with_a_nan_or_inf_pixel_keeps_its_picture(tmp_path, bad):
    pixels = np.full((20, 40), 1.0, np.float32)
    pixels[5:15, 10:30] = 0.0  # a dark block on white
    pixels[0, 0] = bad
    path = tmp_path / "float.tif"
    Image.fromarray(pixels, "F").save(path)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # NumPy's "invalid value" warning is a failure
        rgb = load_image(path)
    assert rgb[10, 20].max() == 0 and rgb[2, 35].min() == 255


def test_multi_page_tiff_pages_are_read_one_by_one(tmp_path):
    path = tmp_path / "fax.tiff"
    pages = [Image.new("L", (30 + 10 * i, 20), 40 * i) for i in range(3)]
    pages[0].save(path, save_all=True, append_images=pages[1:])
    assert tiff_page_count(path) == 3
    assert [load_image(path, page=n).shape[1] for n in (1, 2, 3)] == [30, 40, 50]
    assert load_image(path, page=3)[0, 0, 0] == 80
    with pytest.raises(ImageError, match=r"fax.tiff: no page 4 \(the file has 3\)"):
        load_image(path, page=4)
    single = tmp_path / "one.png"
    pages[0].save(single)
    assert tiff_page_count(single) == 1


def test_size_before_shrinking_is_known(tmp_path):
    with pytest.warns(ImageWarning, match="coordinates are scaled back to the original"):
        arr, size = load_image_and_size(np.zeros((100, 20000, 3), np.uint8), max_side=4000)
    assert arr.shape == (20, 4000, 3) and size == (20000, 100)
    path = tmp_path / "wide.jpg"
    Image.new("RGB", (9000, 120), "white").save(path)  # decoded at half scale (JPEG draft)
    exif = Image.Exif()
    exif[0x0112] = 6  # shown turned by 90 degrees
    Image.new("RGB", (9000, 120), "white").save(tmp_path / "turned.jpg", exif=exif)
    with pytest.warns(ImageWarning):
        assert load_image_and_size(path, max_side=4000)[1] == (9000, 120)
    with pytest.warns(ImageWarning):
        arr, size = load_image_and_size(tmp_path / "turned.jpg", max_side=4000)
    assert size == (120, 9000) and arr.shape[:2] == (4000, 53)


def test_page_resized_scales_every_quad():
    word = Word("HI", 0.9, ((10, 5), (50, 5), (50, 20), (10, 20)))
    page = Page(100, 40, (Line((word,), word.quad),))
    big = page.resized(300, 80)
    assert (big.width, big.height) == (300, 80)
    assert big.words[0].quad == ((30, 10), (150, 10), (150, 40), (30, 40))
    assert big.lines[0].quad == big.words[0].quad and big.text == "HI"
    assert page.resized(100, 40) is page


def test_ocr_reads_long_pages_smaller_but_not_photos(tmp_path, monkeypatch):
    from ovocr import images

    monkeypatch.setattr(images, "PAGE_MAX_SIDE", 400)
    page = np.full((1000, 300, 3), 255, np.uint8)
    rgb, size = images.load_for_ocr(page)
    assert rgb.shape == (400, 120, 3) and size == (300, 1000)  # original pixels kept
    photo = np.full((300, 1000, 3), 255, np.uint8)
    rgb, size = images.load_for_ocr(photo)
    assert rgb.shape == (300, 1000, 3) and size == (1000, 300)
    # A JPEG page more than twice too long is decoded at a reduced scale, then shrunk.
    Image.fromarray(np.full((1000, 300, 3), 200, np.uint8)).save(tmp_path / "scan.jpg")
    rgb, size = images.load_for_ocr(tmp_path / "scan.jpg")
    assert max(rgb.shape[:2]) == 400 and size == (300, 1000)
    assert load_image(tmp_path / "scan.jpg").shape == (1000, 300, 3)  # load_image: as is
