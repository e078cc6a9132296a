"""Strip plans cover every row once, with context, and glue back the exact map."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from ovocr.strips import plan_strips, stitch


@given(
    height=st.integers(1, 200).map(lambda k: 32 * k),
    max_rows=st.sampled_from([256, 512, 768, 1024, 1280]),
    overlap=st.sampled_from([64, 128, 192]),
    step=st.sampled_from([32, 128, 256]),
)
def test_plan_keeps_every_row_once_with_context(height, max_rows, overlap, step):
    strips = plan_strips(height, max_rows, overlap, step)
    kept = np.concatenate([np.arange(s.start + s.keep_from, s.start + s.keep_to) for s in strips])
    assert kept.tolist() == list(range(height))
    for s in strips:
        assert 0 <= s.start < s.stop <= height
        assert s.start % 32 == 0 and (s.stop % 32 == 0 or s.stop == height)
        assert s.stop - s.start <= max_rows
        # a kept row is at least overlap/2 rows from a cut edge, unless that edge is the page's
        if s.start > 0:
            assert s.keep_from >= overlap // 2
        if s.stop < height:
            assert (s.stop - s.start) - s.keep_to >= overlap // 2


@given(height=st.integers(33, 200).map(lambda k: 32 * k), step=st.sampled_from([64, 128, 256]))
def test_with_a_step_all_strips_of_a_page_are_equally_tall(height, step):
    strips = plan_strips(height, 1024, 128, step)
    sizes = {s.stop - s.start for s in strips}
    assert len(strips) > 1  # taller than 1024 rows: cut
    assert len(sizes) == 1 and sizes.pop() % step == 0


def test_short_page_is_one_strip():
    assert len(plan_strips(544, 1024, 128)) == 1


@given(height=st.integers(1, 120).map(lambda k: 32 * k))
def test_stitch_of_exact_strips_is_the_whole_map(height):
    full = np.random.default_rng(height).random((height, 7), dtype=np.float32)
    strips = plan_strips(height, 512, 128)
    glued = stitch([full[s.start : s.stop] for s in strips], strips)
    np.testing.assert_array_equal(glued, full)


def test_bad_plans_are_refused():
    with pytest.raises(ValueError):
        plan_strips(0, 1024, 128)
    with pytest.raises(ValueError):
        stitch([np.zeros((4, 4))], [])
