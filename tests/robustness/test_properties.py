"""Property-based tests: random probability maps, quads, logits and batches.

Whatever the input, the post-processing and geometry code must not raise, must keep its
outputs inside the image, and the decoders must emit only characters of the alphabet.
Runs are derandomised (the same examples every CI run); raise ``max_examples`` locally
to search further.
"""

from __future__ import annotations

import itertools

import cv2
import numpy as np
import pytest
from conftest import render_text
from hypothesis import example, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from ovocr.detection import DbParams, Detections, postprocess_boxes, postprocess_db
from ovocr.geometry import clip_quad, crop_quad, order_quad
from ovocr.recognition import Reading, bucket_width, ctc_greedy_decode, eos_decode, plan_batches

CI = settings(max_examples=200, deadline=None, database=None, derandomize=True)
WITH_MODEL = settings(max_examples=15, deadline=None, database=None, derandomize=True)

sizes = st.integers(1, 3000)
unit = st.floats(0, 1, width=32)


@st.composite
def probability_maps(draw) -> np.ndarray:
    """Either noise, or rotated rectangles of random strength, partly outside the map."""
    height, width = draw(st.integers(1, 96)), draw(st.integers(1, 96))
    if draw(st.booleans()):
        return draw(arrays(np.float32, (height, width), elements=unit))
    prob = np.zeros((height, width), np.float32)
    for _ in range(draw(st.integers(0, 6))):
        center = (draw(st.floats(-10, width + 10)), draw(st.floats(-10, height + 10)))
        size = (draw(st.floats(0, 2 * width)), draw(st.floats(0, 2 * height)))
        corners = cv2.boxPoints((center, size, draw(st.floats(0, 180))))
        cv2.fillPoly(prob, [np.round(corners).astype(np.int32)], draw(unit))
    return prob


def signed_area(quad: np.ndarray) -> float:
    """Shoelace area; positive for points clockwise on screen (y down)."""
    x, y = quad[:, 0].astype(np.float64), quad[:, 1].astype(np.float64)
    return 0.5 * float(np.sum(x * np.roll(y, -1) - np.roll(x, -1) * y))


def assert_inside(det: Detections, height: int, width: int) -> None:
    assert det.quads.dtype == np.float32 and det.quads.shape == (len(det), 4, 2)
    assert det.scores.shape == (len(det),)
    assert np.isfinite(det.quads).all()
    assert (det.quads[..., 0] >= 0).all() and (det.quads[..., 0] <= width - 1).all()
    assert (det.quads[..., 1] >= 0).all() and (det.quads[..., 1] <= height - 1).all()


@CI
@given(probability_maps(), sizes, sizes, st.floats(0.01, 0.99), unit, st.floats(0, 4))
def test_db_postprocess_keeps_quads_inside_the_image(prob, height, width, thresh, box, unclip):
    params = DbParams(thresh=thresh, box_thresh=box, unclip_ratio=unclip)
    scale = (height / prob.shape[0], width / prob.shape[1])
    det = postprocess_db(prob, scale, (height, width), params)
    assert_inside(det, height, width)
    assert ((det.scores >= box) & (det.scores <= 1)).all()
    for quad in det.quads:
        assert signed_area(quad) >= 0  # clockwise from the top-left, never inverted


@CI
@given(
    arrays(
        np.float32,
        st.tuples(st.integers(0, 20), st.just(5)),
        elements=st.floats(-1e4, 1e4, width=32),
    ),
    sizes,
    sizes,
)
def test_box_postprocess_keeps_quads_inside_the_image(boxes, height, width):
    det = postprocess_boxes(boxes, (height / 704, width / 704), (height, width), 0.3)
    assert_inside(det, height, width)
    assert (det.scores > 0.3).all()


coordinate = st.floats(-5000, 5000, width=32)
quads = arrays(np.float32, (4, 2), elements=coordinate)
near = st.floats(-100, 200, width=32)  # around and outside a <= 64-pixel image
near_quads = arrays(np.float32, (4, 2), elements=near)


@st.composite
def degenerate_quads(draw, coordinate=coordinate) -> np.ndarray:
    """Points that coincide, lie on one line, or fold over each other."""
    a = np.array([draw(coordinate), draw(coordinate)], np.float32)
    b = np.array([draw(coordinate), draw(coordinate)], np.float32)
    kind = draw(st.sampled_from(["point", "line", "bow-tie"]))
    if kind == "point":
        return np.stack([a] * 4)
    if kind == "line":
        return np.stack([a + t * (b - a) for t in draw(st.lists(unit, min_size=4, max_size=4))])
    return np.stack([a, b, np.array([a[0], b[1]]), np.array([b[0], a[1]])]).astype(np.float32)


@CI
@given(st.one_of(quads, degenerate_quads()))
def test_order_quad_permutes_the_points_clockwise(quad):
    ordered = order_quad(quad)
    assert sorted(map(tuple, ordered.tolist())) == sorted(map(tuple, quad.tolist()))
    assert signed_area(ordered) >= -1e-3 * max(1.0, float(np.abs(quad).max()) ** 2)


@CI
@given(
    st.one_of(near_quads, degenerate_quads(near)),
    st.integers(1, 64),
    st.integers(1, 64),
    st.integers(0, 255),
)
def test_crop_of_any_quad_is_an_image_made_of_the_image(quad, height, width, gray):
    image = np.full((height, width, 3), gray, np.uint8)
    crop = crop_quad(image, quad)
    assert crop.ndim == 3 and crop.shape[2] == 3 and crop.dtype == np.uint8
    assert crop.shape[:2] == (0, 0) or min(crop.shape[:2]) >= 2
    longest = max(np.linalg.norm(quad - np.roll(quad, -1, axis=0), axis=1))
    assert max(crop.shape[:2], default=0) <= round(float(longest)) + 1
    # Outside the image the border is replicated: no black padding comes in.
    assert (np.abs(crop.astype(int) - gray) <= 1).all()


@CI
@given(quads, sizes, sizes)
def test_clip_quad_lands_inside_the_image(quad, height, width):
    clipped = clip_quad(quad, width, height)
    assert (clipped >= 0).all()
    assert (clipped[:, 0] <= width - 1).all() and (clipped[:, 1] <= height - 1).all()


@st.composite
def logits_and_alphabet(draw) -> tuple[np.ndarray, list[str]]:
    classes = draw(st.integers(1, 12))
    steps = draw(st.integers(0, 40))
    alphabet = [
        "<blank>",
        *draw(st.lists(st.characters(), min_size=classes - 1, max_size=classes - 1)),
    ]
    logits = draw(arrays(np.float32, (steps, classes), elements=st.floats(-30, 30, width=32)))
    return logits, alphabet


def softmax(logits: np.ndarray) -> np.ndarray:
    e = np.exp(logits - logits.max(axis=1, keepdims=True, initial=-np.inf))
    return e / e.sum(axis=1, keepdims=True)


@CI
@given(logits_and_alphabet())
def test_ctc_decode_matches_the_textbook_rule_and_uses_only_the_alphabet(case):
    logits, alphabet = case
    probs = softmax(logits)
    text, confidence, steps = ctc_greedy_decode(probs, alphabet)
    # Textbook greedy CTC: best class per step, merge runs, drop blanks.
    best = probs.argmax(axis=1)
    runs = [k for k, _ in itertools.groupby(best.tolist())]
    assert text == "".join(alphabet[k] for k in runs if k != 0)
    assert (best[steps] != 0).all()  # the blank is never emitted
    assert list(steps) == sorted(set(steps.tolist())) and len(steps) <= len(probs)
    assert 0.0 <= confidence <= 1.0 and (confidence > 0) == (len(steps) > 0)


@CI
@given(logits_and_alphabet())
def test_eos_decode_stops_at_the_end_symbol(case):
    logits, alphabet = case
    probs = softmax(logits)
    text, confidence, steps = eos_decode(probs, alphabet)
    best = probs.argmax(axis=1).tolist()
    kept = list(itertools.takewhile(lambda k: k != 0, best))
    assert text == "".join(alphabet[k] for k in kept) and len(steps) == len(kept)
    assert 0.0 <= confidence <= 1.0


@CI
@given(st.lists(st.integers(1, 4000), max_size=60), st.integers(1, 16))
@example([], 8)
def test_batches_partition_the_crops_by_width(widths, batch_size):
    batches = plan_batches(widths, batch_size)
    assert sorted(i for _, b in batches for i in b) == list(range(len(widths)))
    assert all(1 <= len(b) <= batch_size for _, b in batches)
    assert all(bucket_width(widths[i]) == padded for padded, b in batches for i in b)
    flat = [widths[i] for _, b in batches for i in b]
    assert flat == sorted(flat)


@pytest.fixture(scope="module")
def recognizer(requires_models):
    from ovocr.devices import CompileOptions
    from ovocr.recognition import TextRecognizer

    return TextRecognizer(requires_models["rec"], CompileOptions(device="CPU", precision="f32"))


crops = st.one_of(
    st.tuples(st.integers(0, 3), st.integers(0, 3)),  # empty and 1-pixel crops
    st.tuples(st.integers(1, 60), st.integers(1, 400)),
    st.tuples(st.integers(1, 4), st.integers(500, 6000)),  # thin, very long lines
).map(lambda hw: np.random.default_rng(hw[0] * 7919 + hw[1]).integers(0, 256, (*hw, 3), np.uint8))


@WITH_MODEL
@given(st.lists(crops, max_size=6))
@example([])  # the empty batch, always
def test_recogniser_reads_any_batch_of_crops(recognizer, batch):
    readings = recognizer(batch)
    assert len(readings) == len(batch)
    alphabet = set(recognizer.charset[1:])
    for crop, reading in zip(batch, readings):
        if min(crop.shape[:2]) < 2:
            assert reading == Reading("", 0.0)
        assert set(reading.text) <= alphabet
        assert 0.0 <= reading.confidence <= 1.0
        assert len(reading.positions) == len(reading.text)
        assert list(reading.positions) == sorted(reading.positions)
        assert all(0.0 <= p <= 1.0 for p in reading.positions)


TEXT_IMAGE = render_text(["HELLO 2024"])
TEXT_H, TEXT_W = TEXT_IMAGE.shape[:2]
WHOLE = np.array([[0, 0], [TEXT_W - 1, 0], [TEXT_W - 1, TEXT_H - 1], [0, TEXT_H - 1]], np.float32)
around = st.floats(-100, 500, width=32)  # over, around and outside the text image


@WITH_MODEL
@given(
    st.lists(
        st.one_of(arrays(np.float32, (4, 2), elements=around), degenerate_quads(around)),
        max_size=8,
    )
)
@example([])  # no regions at all
@example([WHOLE, WHOLE[::-1], WHOLE * 0])  # the text, the same quad backwards, a point
def test_pipeline_survives_degenerate_and_outside_quads(pipeline, regions):
    quads_ = [clip_quad(q, TEXT_W, TEXT_H) for q in regions]  # as the detector clips them
    detections = Detections(
        np.stack(quads_) if quads_ else np.zeros((0, 4, 2), np.float32),
        np.ones(len(quads_), np.float32),
    )
    page = pipeline.read_regions(TEXT_IMAGE, detections)
    assert (page.width, page.height) == (TEXT_W, TEXT_H)
    assert len(page.lines) <= len(regions)
    for word in page.words:
        assert all(0 <= x <= TEXT_W - 1 and 0 <= y <= TEXT_H - 1 for x, y in word.quad)
