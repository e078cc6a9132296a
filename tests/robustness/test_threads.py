"""One pipeline shared by several threads, as a web server or a thread pool uses it.

Each stage runs one inference request per calling thread, so concurrent calls neither
fail ("Infer Request is busy") nor mix up each other's outputs: every page equals the
page the same image gives when read alone.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
from conftest import render_text

WORDS = ["ALPHA 12", "BRAVO 345", "CHARLIE 6", "DELTA 789", "ECHO 10", "FOXTROT 2"]


@pytest.fixture(scope="module")
def images() -> list[np.ndarray]:
    # Different sizes and texts, so a request's output read by the wrong thread shows.
    return [render_text([w, w[::-1]], size=32 + 6 * i) for i, w in enumerate(WORDS)]


def test_threads_sharing_one_pipeline_read_what_each_reads_alone(requires_models, images):
    import ovocr

    ocr = ovocr.load_pipeline(cls="ppocrv5-cls", device="CPU", precision="f32")
    alone = [ocr(image).to_dict() for image in images]
    assert [p["text"].splitlines()[0] for p in alone] == WORDS  # the serial pages are right
    jobs = [i % len(images) for i in range(4 * len(images))]
    with ThreadPoolExecutor(4) as pool:
        together = list(pool.map(lambda i: ocr(images[i]).to_dict(), jobs))
    wrong = [i for i, page in zip(jobs, together) if page != alone[i]]
    assert not wrong, f"{len(wrong)} of {len(jobs)} pages differ from the serial ones"


def test_threads_sharing_one_crop_reader(requires_models, images):
    from ovocr.pipeline import load_recognizer

    reader = load_recognizer(cls="ppocrv5-cls", device="CPU", precision="f32")
    crops = [image[20:-20, 20:-20] for image in images]
    alone = [reader([crop])[0] for crop in crops]
    jobs = [i % len(crops) for i in range(4 * len(crops))]
    with ThreadPoolExecutor(4) as pool:
        together = list(pool.map(lambda i: reader([crops[i]])[0], jobs))
    assert [r.text for r in together] == [alone[i].text for i in jobs]
