"""Tall pages run as strips: the same words as one pass, on both paths, fewer resources."""

import dataclasses

import numpy as np
from conftest import render_text

LINES = [f"Item {i:02d} TOTAL {i * 3}.{i % 10}0 RM" for i in range(36)]


def test_a_tall_page_reads_the_same_in_strips_and_in_one_pass(pipeline):
    page = render_text(LINES, size=32, width=700)  # 700 wide -> about 960 x 3000 input
    tensor, _ = pipeline.detector.preprocess(page)
    assert len(pipeline.detector.split(tensor)) > 1  # the default does cut this page

    whole = dataclasses.replace(pipeline.detector.settings, strip_rows=0)
    one_pass = pipeline.detector.__class__.__new__(pipeline.detector.__class__)
    one_pass.__dict__.update(pipeline.detector.__dict__, settings=whole)
    assert len(one_pass.split(tensor)) == 1

    strips, single = pipeline.detector.infer(tensor), one_pass.infer(tensor)
    assert strips.shape == single.shape
    # the glued map is the one-pass map but for a few text-edge pixels (DB looks nearby)
    assert np.mean(np.abs(strips - single) > 0.1) < 0.02
    text_strips, text_single = (strips > 0.3).sum(), (single > 0.3).sum()
    assert abs(text_strips - text_single) < 0.02 * text_single
    assert pipeline(page).text == "\n".join(LINES)


def test_the_many_image_path_glues_strips_like_the_one_image_path(pipeline):
    pages = [render_text(LINES[:n], size=32, width=700) for n in (36, 4, 30)]
    expected = [pipeline(p).to_dict() for p in pages]
    assert [p.to_dict() for p in pipeline.map(pages)] == expected
