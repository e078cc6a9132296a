"""How a Ray job is cut into actor calls (``ovocr.scale.batch_plan``): calls as large as
allowed while every actor still gets several. No Ray is started here."""

from __future__ import annotations

import pytest
from ovocr.scale import BATCH_MAX, BATCH_MIN, CALLS_PER_ACTOR, batch_plan


@pytest.mark.parametrize(
    "items, actors, size",
    [
        (200, 1, 32),  # one actor: large calls, fewer drains of its pipeline
        (100, 1, 25),  # still 4 calls
        (40, 2, 8),  # small job on two machines: small calls, both get work
        (3, 1, 8),  # never below the minimum
        (100_000, 16, 32),  # never above the maximum
    ],
)
def test_batch_plan(items, actors, size):
    assert batch_plan(items, actors) == size


def test_each_actor_gets_several_calls_when_the_job_allows():
    for items in range(1, 2000, 37):
        for actors in (1, 2, 3, 8):
            size = batch_plan(items, actors)
            assert BATCH_MIN <= size <= BATCH_MAX
            if size > BATCH_MIN:
                assert items / (size * actors) >= CALLS_PER_ACTOR
