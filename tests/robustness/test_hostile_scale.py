"""``ovocr.scale`` with careless inputs (issue 22): multi-page TIFFs become one record per
page, a failed job keeps the old JSON lines file, and an unusable Ray address is one
``OvocrError`` line. No model is loaded: a stand-in pipeline gives each image's size."""

from __future__ import annotations

import importlib.util
import json
from collections.abc import Iterable, Iterator

import pytest
from ovocr.errors import ImageError, OvocrError
from ovocr.images import load_image
from ovocr.scale import Item, Result, connect, list_pages, read_items, write_jsonl
from ovocr.types import Page
from PIL import Image


class SizePipeline:
    """Stands in for ``OcrPipeline.map``: a blank page the size of each image, in order."""

    def map(self, images: Iterable, return_errors: bool = False) -> Iterator[Page | ImageError]:
        for source in images:
            try:
                rgb = load_image(source)
            except ImageError as exc:
                yield exc
                continue
            yield Page(rgb.shape[1], rgb.shape[0])


@pytest.fixture
def fax(tmp_path):
    path = tmp_path / "fax.tif"
    pages = [Image.new("1", (100 + 10 * i, 50), 1) for i in range(3)]
    pages[0].save(path, save_all=True, append_images=pages[1:], compression="group4")
    return path


def test_multi_page_tiff_gives_one_record_per_page(fax, tmp_path):
    photo = tmp_path / "photo.png"
    Image.new("RGB", (64, 32), "white").save(photo)
    results = list(read_items(SizePipeline(), [Item(fax), Item(photo)]))
    assert [(r.path.name, r.page, r.outcome.width) for r in results] == [
        ("fax.tif", 1, 100),
        ("fax.tif", 2, 110),
        ("fax.tif", 3, 120),
        ("photo.png", None, 64),
    ]
    assert [r.record().get("page") for r in results] == [1, 2, 3, None]


def test_multi_page_tiff_is_split_for_ray_and_pages_can_be_asked_for(fax):
    assert list(list_pages([Item(fax)])) == [Item(fax, 1), Item(fax, 2), Item(fax, 3)]
    (second,) = read_items(SizePipeline(), [Item(fax, 2)])
    assert (second.page, second.outcome.width) == (2, 110)
    (missing,) = read_items(SizePipeline(), [Item(fax, 7)])
    assert str(missing.outcome) == f"{fax}: no page 7 (the file has 3)"


def test_write_jsonl_keeps_the_old_file_when_the_job_fails(tmp_path):
    out = tmp_path / "results.jsonl"
    out.write_text("old results\n")

    def job() -> Iterator[Result]:
        yield Result(tmp_path / "a.png", None, Page(10, 10))
        raise OvocrError("the Ray job failed: worker died")

    with pytest.raises(OvocrError, match="worker died"):
        write_jsonl(job(), out)
    assert out.read_text() == "old results\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["results.jsonl"]
    assert write_jsonl([], out) == (0, 0)  # a job that ends replaces it
    assert out.read_text() == ""


def test_write_jsonl_writes_the_records(tmp_path):
    out = tmp_path / "sub" / "results.jsonl"
    results = [
        Result(tmp_path / "a.png", None, Page(10, 20)),
        Result(tmp_path / "b.png", None, ImageError("b: bad")),
    ]
    assert write_jsonl(results, out) == (1, 1)
    assert json.loads(out.read_text())["width"] == 10


@pytest.mark.parametrize(
    "address, problem",
    [
        ("http://127.0.0.1:8265", "is a web address (the dashboard or job server?)"),
        ("HTTPS://head:8265", "is a web address"),
        ("ray://127.0.0.1:1", "Ray Client requires pip package `ray[client]`"),
    ],
)
def test_unusable_ray_address_is_one_ovocr_error(address, problem):
    pytest.importorskip("ray", reason="Ray is not installed (pip install 'ovocr[scale]')")
    if address.startswith("ray://") and importlib.util.find_spec("grpc") is not None:
        pytest.skip("ray[client] is installed: a ray:// address is then tried for real")
    with pytest.raises(OvocrError) as caught:
        connect(address)
    message = str(caught.value)
    assert message.startswith(f"Ray address {address!r}") and problem in message
    assert "\n" not in message
