"""Two-stage reading: values by kind, crops, per-crop failures, the real OCR on a crop."""

from pathlib import Path

import numpy as np
import pytest
from conftest import render_text
from ovocr.errors import ImageError, ModelError
from ovocr.regions.annotations import Region, RelBox
from ovocr.regions.cache import cached_pages, round_trip, settings_key
from ovocr.regions.fields import (
    FieldsResult,
    crop_region,
    fields_from_regions,
    read_regions,
    text_inside,
)
from ovocr.regions.values import extract_value
from ovocr.types import Line, Page, Word


@pytest.mark.parametrize(
    ("kind", "text", "value"),
    [
        ("date", "DATE: 25/12/2018 8:13:39 PM", "25/12/2018"),
        ("date", "Date:5/3/201822:52:33", "5/3/2018"),  # OCR glued the time on
        ("date", "26/02/1808:28 10886", "26/02/18"),
        ("date", "10 May 2018 18:19", "10 May 2018"),
        ("date", "2018-03-23 10:00", "2018-03-23"),
        ("date", "TEL 03-51213881", ""),
        ("date", "Date: 2-Dec-97 faxed", "2-Dec-97"),  # day-month-year with hyphens (FUNSD)
        ("date", "DATE: March 23, 1995", "March 23, 1995"),  # month first, as on forms
        ("date", "Signed on: June 2, 1995", "June 2, 1995"),
        ("date", "Sept. 2nd 1995 memo", "Sept. 2nd 1995"),
        ("date", "MARCH 2019 BUDGET", ""),  # a month and a year, no day
        ("amount", "TOTAL ROUNDED RM 33.90", "33.90"),
        ("amount", "Nett Total: $8.20", "$8.20"),
        ("amount", "TOTAL 1,234.50", "1,234.50"),
        ("amount", "TOTAL", ""),
        ("amount", "Nett Total: S8.20", "$8.20"),  # the OCR read $ as S
        ("amount", "NETT TOTAL: RM10.35", "10.35"),  # training keys drop RM
        ("amount", "TOTAL RM 10.60", "10.60"),
        ("name", "99 SPEED MART S/B (519537-X)", "99 SPEED MART S/B"),
        ("name", "TRI SHAAS SDN BHD (728515-M) MYDIN MART SRI MUDA", "TRI SHAAS SDN BHD"),
        ("name", "MR. D.I.Y(M) SON BHD", "MR. D.I.Y(M) SDN BHD"),
        ("name", "SAM SAM TRADING CO", "SAM SAM TRADING CO"),
        ("address", "NO. 53, JALAN BESAR, 4560O BATANG", "NO. 53, JALAN BESAR, 45600 BATANG"),
        ("address", "LOT 1851-B, JLN 7/118B. 81200 JOH0R", "LOT 1851-B, JLN 7/118B, 81200 JOHOR"),
        ("date", "04/03/201815:41:52", "04/03/2018"),
        ("text", "  NO 12,   JALAN MAJU ", "NO 12, JALAN MAJU"),
    ],
)
def test_extract_value(kind, text, value):
    assert extract_value(kind, text) == value


def test_unknown_kind_is_an_error():
    with pytest.raises(ValueError, match="unknown value kind 'money'"):
        extract_value("money", "9.00")


def test_crop_region_pads_clips_and_reports_offset():
    image = np.arange(100 * 200 * 3, dtype=np.uint8).reshape(100, 200, 3)
    crop, offset = crop_region(image, RelBox(0.5, 0.25, 0.6, 0.5), pad_px=5)
    assert offset == (45, 45) and crop.shape == (20, 60, 3)
    assert np.array_equal(crop, image[45:65, 45:105])
    crop, offset = crop_region(image, RelBox(0.0, 0.9, 0.1, 1.0), pad_px=8)
    assert offset == (172, 0) and crop.shape == (18, 28, 3)
    with pytest.raises(ValueError, match="smaller than 2x2"):
        crop_region(image, RelBox(0.5, 0.5, 0.5, 0.5))


def _line(text, x0, y0, x1, y1):
    quad = ((x0, y0), (x1, y0), (x1, y1), (x0, y1))
    return Line((Word(text, 0.9, quad),), quad)


def test_text_inside_drops_lines_cut_by_the_margin():
    # A crop at (100, 200) of a 1000x1000 image; the region is rows 0.21..0.24.
    page = Page(
        300,
        80,
        (_line("half a line above", 0, 0, 200, 8), _line("TOTAL 9.00", 10, 12, 200, 38)),
        ((0,), (1,)),
    )
    box = RelBox(0.21, 0.1, 0.24, 0.4)
    assert text_inside(page, box, (100, 200), (1000, 1000)) == "TOTAL 9.00"


def test_a_failing_crop_is_reported_and_the_others_are_read():
    image = np.full((200, 100, 3), 255, dtype=np.uint8)
    regions = [
        Region("date", RelBox(0.1, 0.1, 0.15, 0.9), 0.9),
        Region("total", RelBox(0.5, 0.5, 0.5, 0.5), 0.8),  # empty: only the margin is left
        Region("company", RelBox(0.6, 0.1, 0.7, 0.9), 0.7),
    ]

    def ocr(crop):
        if crop.shape[1] < 10:
            raise ImageError(f"<array>: {crop.shape[1]} pixels wide is too narrow to read")
        if crop.shape[0] > 15:
            raise RuntimeError("inference failed")  # the company crop, padded, is taller
        return Page(crop.shape[1], crop.shape[0], (_line("01/02/2019", 2, 2, 60, 12),), ((0,),))

    read, errors = read_regions(image, regions, ocr, line_height=4)
    assert [r.text for r in read] == ["01/02/2019", "", ""]
    assert set(errors) == {"total", "company"}
    assert (
        errors["total"]
        == "cannot read the total region: <array>: 4 pixels wide is too narrow to read"
    )
    assert "inference failed" in errors["company"]
    fields = fields_from_regions(read, {"date": "date"}, ["company", "date", "total"])
    assert fields == {"company": "", "date": "01/02/2019", "total": ""}


def test_fields_result_follows_the_cli_contract():
    result = FieldsResult(
        "r.jpg", {"total": "9.00"}, (Region("total", RelBox(0.8, 0.5, 0.85, 0.9), 0.9, "9.00"),)
    )
    data = result.to_dict()
    assert set(data) == {"image", "fields", "values", "regions"}
    assert set(data["regions"][0]) == {"concept", "box", "score", "text"}
    assert set(data["regions"][0]["box"]) == {"top_row", "left_col", "bottom_row", "right_col"}
    assert FieldsResult("r.jpg", {}, (), {"total": "x"}).to_dict()["errors"] == {"total": "x"}


def test_page_cache_reads_each_image_once(tmp_path):
    images = []
    for name in ("a.png", "b.png"):
        path = tmp_path / name
        path.write_bytes(name.encode())  # the key hashes bytes: content is all that counts
        images.append(path)
    calls = []

    def ocr(path):
        calls.append(Path(path).name)
        return Page(10, 10, (_line(Path(path).stem, 1.234, 1, 9, 9),), ((0,),))

    first = cached_pages(images, ocr, "det|rec|f32", tmp_path / "cache")
    second = cached_pages(images, ocr, "det|rec|f32", tmp_path / "cache")
    assert calls == ["a.png", "b.png"] and first == second
    assert first[0] == round_trip(ocr(images[0]))  # same numbers, cold or warm
    cached_pages(images[:1], ocr, "other|rec|f32", tmp_path / "cache")
    assert calls[-1] == "a.png" and len(calls) == 4


@pytest.mark.models
def test_cache_key_changes_with_the_model_settings(monkeypatch):
    from dataclasses import replace

    from ovocr import models

    before = settings_key(models.DEFAULT_DET, models.DEFAULT_REC, "f32")
    assert before == settings_key(models.DEFAULT_DET, models.DEFAULT_REC, "f32")
    spec = models.REGISTRY[models.DEFAULT_DET]
    changed = replace(spec, params={**spec.params, "unclip_ratio": 9.0})
    monkeypatch.setitem(models.REGISTRY, models.DEFAULT_DET, changed)
    assert settings_key(models.DEFAULT_DET, models.DEFAULT_REC, "f32") != before


def test_cache_key_changes_with_a_settings_class_default(monkeypatch):
    # a new default (e.g. the detector's strips) changes pages: cached ones must not be reused
    from dataclasses import field, make_dataclass

    from ovocr import detection, models
    from ovocr.settings import DbParams

    before = settings_key(models.DEFAULT_DET, models.DEFAULT_REC, "f32")
    changed = make_dataclass(
        "DbParams", [("strip_rows", int, field(default=512))], bases=(DbParams,), frozen=True
    )
    monkeypatch.setattr(detection.DbDetector, "Settings", changed)
    assert settings_key(models.DEFAULT_DET, models.DEFAULT_REC, "f32") != before


def test_reading_a_region_of_a_rendered_receipt(pipeline):
    image = render_text(["SRI BAKERY SDN BHD", "DATE 01/02/2019", "TOTAL 12.50"], size=36)
    height = image.shape[0]
    line_h = height / 3  # render_text: equal line pitch plus margins
    box = RelBox.from_pixels(
        0, 40 + 2 * 36 * 1.6 - 4, image.shape[1], 40 + 2 * 36 * 1.6 + 44, image.shape[1], height
    )
    read, errors = read_regions(image, [Region("total", box, 1.0)], pipeline, line_h / 4)
    assert errors == {} and read[0].text == "TOTAL 12.50"
    assert fields_from_regions(read, {"total": "amount"}, ["total"]) == {"total": "12.50"}


def test_loading_a_missing_model_folder_names_it(tmp_path):
    from ovocr.regions.fields import load_field_reader

    with pytest.raises(ModelError, match="nowhere: not a region model"):
        load_field_reader(tmp_path / "nowhere")


def test_ocr_models_named_by_a_model_folder_are_never_downloaded(tmp_path, monkeypatch):
    """A stranger's model.json naming an unprepared model is refused, not fetched."""
    from ovocr import models
    from ovocr.regions.fields import load_field_reader
    from ovocr.regions.sroie import KINDS
    from ovocr.regions.train import train_model
    from regions_factory import receipt

    pages, annotations = zip(*(receipt(seed) for seed in range(6)))
    folder = train_model(annotations, pages, KINDS, ocr={"det": "ppocrv4-det"}).save(tmp_path / "m")
    monkeypatch.setenv("OVOCR_MODELS", str(tmp_path / "no-models"))
    monkeypatch.setattr(models, "_build", lambda *a: pytest.fail("a model was prepared"))
    with pytest.raises(ModelError, match="'ppocrv4-det'.*run `ovocr models prepare ppocrv4-det`"):
        load_field_reader(folder)


def test_reread_choices_are_checked():
    from ovocr.regions.fields import FieldReader

    with pytest.raises(ValueError, match=r"reread=True: expected one of \('model', 'all'"):
        FieldReader(model=None, ocr=None, reread=True)


def test_the_field_is_the_first_of_the_values():
    """Of regions with equal scores, ``fields`` takes the one ``values`` lists first."""
    from ovocr.regions.fields import values_from_regions

    box = RelBox(0.1, 0.1, 0.2, 0.5)
    regions = [Region("name", box, 1.0, "Brian"), Region("name", box, 1.0, "Chloe")]
    regions.append(Region("name", box, 0.4, "Ines"))
    values = values_from_regions(regions, {}, ["name"])
    assert values == {"name": ["Brian", "Chloe", "Ines"]}
    assert fields_from_regions(regions, {}, ["name"]) == {"name": "Brian"}
