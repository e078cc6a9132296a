"""Region annotations: relative boxes, converters, JSON files, the bbox widget format."""

import json

import pytest
from ovocr.regions.annotations import (
    Annotation,
    AnnotationError,
    Region,
    RelBox,
    from_bbox_widget,
    load_annotations,
    save_annotations,
    to_bbox_widget,
    union_box,
)
from ovocr.types import Line, Word


def test_pixels_round_trip_and_rows_are_y():
    box = RelBox.from_pixels(20, 300, 180, 330, width=200, height=600)
    assert (box.top_row, box.left_col, box.bottom_row, box.right_col) == (0.5, 0.1, 0.55, 0.9)
    assert box.to_pixels(200, 600) == pytest.approx((20, 300, 180, 330))
    assert box.to_pixels(400, 1200) == pytest.approx((40, 600, 360, 660))  # scale-free


def test_from_pixels_clips_to_the_image():
    box = RelBox.from_pixels(-5, -5, 250, 700, width=200, height=600)
    assert box.to_dict() == {"top_row": 0.0, "left_col": 0.0, "bottom_row": 1.0, "right_col": 1.0}


@pytest.mark.parametrize(
    "values", [(0.5, 0, 0.4, 1), (0, 0.6, 1, 0.5), (-0.1, 0, 1, 1), (0, 0, 1.2, 1)]
)
def test_invalid_boxes_are_refused(values):
    with pytest.raises(ValueError):
        RelBox(*values)


def test_quad_and_line_converters_match_ovocr_types():
    word = Word("TOTAL", 0.9, ((10, 40), (90, 42), (90, 60), (10, 58)))
    line = Line((word,))
    box = RelBox.from_line(line, 100, 200)
    assert box == RelBox.from_quad(word.quad, 100, 200)
    assert box.to_dict() == {"top_row": 0.2, "left_col": 0.1, "bottom_row": 0.3, "right_col": 0.9}
    (x0, y0), (x1, y1), (x2, y2), (x3, y3) = box.to_quad(100, 200)
    assert (x0, y0, x1, y2) == pytest.approx((10, 40, 90, 60))  # clockwise from top-left
    assert (x1, y1) == pytest.approx((90, 40)) and (x3, y3) == pytest.approx((10, 60))


def test_iou_union_and_padding():
    a, b = RelBox(0, 0, 0.5, 0.5), RelBox(0.25, 0.25, 0.75, 0.75)
    assert a.iou(a) == 1.0
    assert a.iou(b) == pytest.approx(0.0625 / (0.25 + 0.25 - 0.0625))
    assert a.iou(RelBox(0.6, 0.6, 0.7, 0.7)) == 0.0
    assert union_box([a, b]) == RelBox(0, 0, 0.75, 0.75)
    assert a.pad(0.1, 0.2) == RelBox(0, 0, 0.6, 0.7)


def test_save_and_load_keep_everything_with_relative_paths(tmp_path):
    image = tmp_path / "images" / "r1.jpg"
    ann = Annotation(
        image,
        300,
        900,
        (Region("total", RelBox(0.8, 0.5, 0.85, 0.9)), Region("date", RelBox(0.1, 0, 0.15, 0.4))),
        {"total": "9.00"},
    )
    path = save_annotations(tmp_path / "annotations.json", [ann])
    stored = json.loads(path.read_text())
    assert stored["annotations"][0]["image"] == "images/r1.jpg"
    assert stored["annotations"][0]["regions"][0]["box"]["bottom_row"] == 0.85
    (back,) = load_annotations(path)
    assert back.image == image.resolve() and (back.width, back.height) == (300, 900)
    assert back.regions == ann.regions and back.values == {"total": "9.00"}
    assert [r.concept for r in back.regions_of("date")] == ["date"]


def test_bad_annotation_files_name_the_file(tmp_path):
    with pytest.raises(AnnotationError, match="missing.json: annotation file not found"):
        load_annotations(tmp_path / "missing.json")
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(AnnotationError, match="bad.json: not a JSON file"):
        load_annotations(bad)
    bad.write_text(
        '{"annotations": [{"image": "a.jpg", "width": 10, "height": 10, '
        '"regions": [{"concept": "x", "box": {"top_row": 0.9, "left_col": 0, '
        '"bottom_row": 0.1, "right_col": 1}}]}]}'
    )
    with pytest.raises(AnnotationError, match="bad.json: annotation 1 is malformed"):
        load_annotations(bad)


def test_bbox_widget_round_trip():
    bboxes = [{"x": 30, "y": 600, "width": 240, "height": 40, "label": "total"}]
    regions = from_bbox_widget(bboxes, width=300, height=800)
    assert regions == [Region("total", RelBox(0.75, 0.1, 0.8, 0.9))]
    assert to_bbox_widget(regions, 300, 800) == bboxes


def test_annotator_is_prefilled_and_saves_no_memory_address(tmp_path):
    from ovocr.regions.annotations import Region, RelBox, annotator
    from PIL import Image

    path = tmp_path / "receipt.png"
    Image.new("RGB", (200, 100), "white").save(path)
    widget = annotator(path, [Region("total", RelBox(0.1, 0.2, 0.5, 0.6))], ["total", "date"])
    assert widget.bboxes == [{"x": 40, "y": 10, "width": 80, "height": 40, "label": "total"}]
    assert widget.classes == ["total", "date"]
    plain = widget._repr_mimebundle_()[0]["text/plain"]
    assert "0x" not in plain and plain.startswith("BBoxWidget")
