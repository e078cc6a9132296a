"""OcrPipeline.map: the same pages as one at a time, errors in place, bounded read-ahead."""

import numpy as np
import pytest
from conftest import render_text
from ovocr.errors import ImageError
from ovocr.throughput import MAX_IN_FLIGHT, PREFETCH


@pytest.fixture(scope="module")
def throughput_pipeline(requires_models):
    """The default models with the THROUGHPUT hint, f32 so text is the same on every CPU."""
    import ovocr

    return ovocr.load_pipeline(device="CPU", precision="f32", hint="THROUGHPUT", cache_dir="")


def rendered_pages() -> list[np.ndarray]:
    return [
        render_text(["HELLO WORLD", "OpenVINO 2024.6"]),
        np.full((200, 300, 3), 255, np.uint8),  # nothing to read
        render_text(["Total 12.50", "Thank you"], size=36),
        render_text(["a single line of text that is rather long"], size=28),
    ]


def test_map_gives_the_same_pages_as_one_at_a_time(pipeline, throughput_pipeline):
    images = rendered_pages()
    one_by_one = [pipeline(image).to_dict() for image in images]
    for ocr in (pipeline, throughput_pipeline):
        assert [page.to_dict() for page in ocr.map(images)] == one_by_one
    assert one_by_one[0]["text"] == "HELLO WORLD\nOpenVINO 2024.6"
    assert one_by_one[1]["words"] == []


def test_map_on_real_photos_matches_one_at_a_time(pipeline, throughput_pipeline, shared_data):
    photos = sorted((shared_data / "icdar2015" / "images").glob("img_1*.jpg"))[:6]
    if not photos:
        pytest.skip(f"no ICDAR 2015 photos in {shared_data / 'icdar2015' / 'images'}")
    expected = [pipeline(p).to_dict() for p in photos]
    got = [page.to_dict() for page in throughput_pipeline.map(photos)]
    assert got == expected
    assert sum(len(page["words"]) for page in got) > 10


def test_bad_inputs_are_yielded_in_place_or_raised(throughput_pipeline, tmp_path):
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(b"not a jpeg")
    good = render_text(["OK 42"])
    inputs = [good, broken, tmp_path / "missing.png", good]
    results = list(throughput_pipeline.map(inputs, return_errors=True))
    assert len(results) == 4
    assert [type(r).__name__ for r in results] == ["Page", "ImageError", "ImageError", "Page"]
    assert "broken.jpg" in str(results[1]) and "missing.png" in str(results[2])
    assert results[0].text == results[3].text == "OK 42"
    with pytest.raises(ImageError, match="broken.jpg"):
        list(throughput_pipeline.map(inputs))


def test_map_reads_lazily_and_stops_cleanly(throughput_pipeline):
    assert list(throughput_pipeline.map([])) == []
    consumed = []
    # a slow first page (many lines to read) and blank pages that finish at once behind it
    slow = render_text([f"line {i} of a long page to read" for i in range(40)], size=24)
    blank = np.full((64, 64, 3), 255, np.uint8)

    def images():
        for i in range(50):
            consumed.append(i)
            yield slow if i == 0 else blank

    pages = throughput_pipeline.map(images())
    assert next(pages).text.startswith("line 0 of a long page")
    pages.close()  # leaving early waits for requests in flight, then returns
    # read-ahead is bounded: images in the pipeline (the one yielded among them) and those
    # decoded ahead, however long the first image holds back the finished ones
    assert len(consumed) <= MAX_IN_FLIGHT + PREFETCH < 50


def test_request_shapes_and_model_bound(throughput_pipeline):
    from ovocr.throughput import inference_seconds, request_shapes

    images = rendered_pages()
    det_shapes, rec_shapes = request_shapes(throughput_pipeline, images)
    assert len(det_shapes) == len(images)
    assert all(s[0] == 1 and s[1] == 3 and s[2] % 32 == 0 and s[3] % 32 == 0 for s in det_shapes)
    regions = sum(len(throughput_pipeline.detect(image)) for image in images)
    assert sum(s[0] for s in rec_shapes) == regions  # one row per detected region
    assert all(s[1:3] == (3, 48) and s[3] >= 160 for s in rec_shapes)
    assert inference_seconds(throughput_pipeline.recognizer.compiled, rec_shapes) > 0


def test_map_and_call_drop_lines_below_the_same_min_confidence(pipeline):
    import dataclasses

    image = render_text(["HELLO WORLD"])
    strict = dataclasses.replace(pipeline, min_confidence=1.01)  # no reading is that sure
    assert strict(image).text == "" and [p.text for p in strict.map([image])] == [""]
    assert pipeline(image).text == "HELLO WORLD"
