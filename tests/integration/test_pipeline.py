"""The default pipeline end to end: known answers on rendered and real images."""

import numpy as np
import pytest
from conftest import render_text
from PIL import Image


def test_rendered_text_is_read_exactly(pipeline):
    image = render_text(["HELLO WORLD", "OpenVINO 2024.6"])
    page = pipeline(image)
    assert page.text == "HELLO WORLD\nOpenVINO 2024.6"
    words = page.words
    assert [w.text for w in words] == ["HELLO", "WORLD", "OpenVINO", "2024.6"]
    assert words[0].bounds[2] <= words[1].bounds[0] + 5  # HELLO ends before WORLD starts
    assert all(0.5 <= w.confidence <= 1.0 for w in words)


def test_word_confidences_are_their_own_and_average_to_the_line(pipeline):
    from ovocr.builder import cut_crops

    image = render_text(["HELLO WORLD"])
    detections = pipeline.detect(image)
    crops, _ = cut_crops(image, detections)
    [reading] = pipeline.recognizer(crops)
    [line] = pipeline(image).lines
    chars = [p for c, p in zip(reading.text, reading.char_confidences) if c != " "]
    assert line.confidence == pytest.approx(np.mean(chars), abs=1e-6)
    hello = reading.char_confidences[:5]
    assert line.words[0].confidence == pytest.approx(np.mean(hello))


def test_blank_images_give_empty_pages(pipeline):
    for value in (0, 255):
        page = pipeline(np.full((300, 400, 3), value, np.uint8))
        assert page.lines == () and page.text == ""


def test_pil_images_read_like_arrays_and_other_objects_are_image_errors(pipeline):
    from ovocr.errors import ImageError

    image = render_text(["OK 42"])
    assert pipeline(Image.fromarray(image)).to_dict() == pipeline(image).to_dict()
    for bad in (None, b"\x89PNG", 42):
        with pytest.raises(ImageError):
            pipeline(bad)
    results = list(pipeline.map([image, None, b"bytes", image], return_errors=True))
    assert [type(r).__name__ for r in results] == ["Page", "ImageError", "ImageError", "Page"]


def test_tutorial_photo_known_answer(pipeline, rnb_photo):
    words = {w.text.lower() for w in pipeline(rnb_photo).words}
    assert {"robert", "noyce", "building", "2200"} <= words


def test_word_crops_known_answer(pipeline, shared_data):
    from ovocr.datasets import load_word_crops
    from ovocr.images import load_image
    from ovocr.metrics import word_accuracy

    samples = load_word_crops(shared_data / "iiit5k", limit=200)
    readings = pipeline.recognizer([load_image(s.image) for s in samples])
    accuracy = word_accuracy([r.text for r in readings], [s.text for s in samples])
    assert accuracy >= 0.93, accuracy


def test_open_model_zoo_detector_runs_through_the_same_pipeline(
    requires_models, shared_data, rnb_photo
):
    import ovocr
    from ovocr.detection import BoxDetector

    xml = (
        shared_data.parent
        / "models/horizontal-text-detection-0001-ir10/horizontal-text-detection-0001.xml"
    )
    if not xml.exists():
        pytest.skip(f"pre-seeded Open Model Zoo IR not found at {xml}")
    ocr = ovocr.load_pipeline(det=str(xml), device="CPU", precision="f32")
    assert isinstance(ocr.detector, BoxDetector)
    detections = ocr.detect(ovocr.load_image(rnb_photo))
    assert len(detections) == 6
    words = {w.text.lower() for w in ocr(rnb_photo).words}
    assert {"noyce", "2200"} <= words


def test_settings_mistakes_are_one_clear_error(requires_models):
    import ovocr
    from ovocr.settings import SettingsError

    cases = {
        "did you mean 'box_thresh'": {"box_thres": 0.9},
        "box_thresh='high': expected a number": {"box_thresh": "high"},
        "limit_side_len=0: must be at least 1": {"limit_side_len": 0},
        "did you mean 'f32'": {"precision": "fp32"},
        "choose one of LATENCY, THROUGHPUT": {"hint": "FASTEST"},
        "alphabet='greek'": {"rec_settings": {"alphabet": "greek"}},
    }
    for message, kwargs in cases.items():
        with pytest.raises(SettingsError, match=message) as caught:
            ovocr.load_pipeline(device="CPU", cache_dir="", **kwargs)
        assert "\n" not in str(caught.value)
    with pytest.raises(ovocr.DeviceError, match="choose one of"):
        ovocr.load_pipeline(device="TPU")


def test_settings_reach_the_stages(requires_models):
    import ovocr

    ocr = ovocr.load_pipeline(
        device="CPU", cache_dir="", box_thresh=0.5, rec_settings={"alphabet": "english"}
    )
    assert ocr.detector.settings.box_thresh == 0.5
    assert ocr.recognizer.settings.alphabet == "english"
    assert ocr.recognizer.text_rules.mask is not None and not ocr.recognizer.text_rules.auto
