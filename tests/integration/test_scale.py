"""Batch OCR at scale: in-process and Ray Data give the same records; a two-node cluster
shares the work; a worker killed mid-job loses and duplicates nothing.

Ray runs small here (1-2 CPUs, a few images): the machine is shared. Ray starts worker
processes, so these tests take tens of seconds each.
"""

from __future__ import annotations

import os
import signal

import pytest
from conftest import render_text
from ovocr.pdf import render_text_pdf
from ovocr.scale import Item, expand_paths, read_items, read_with_ray
from pdf_factory import broken_pdf
from PIL import Image

ray = pytest.importorskip("ray", reason="ray[data] is not installed (pip install ovocr[scale])")
os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
WORDS = ["INVOICE 42", "TOTAL 9.50", "PARCEL 7", "EXIT 3", "OPEN 24 HOURS", "ROOM 101"]


@pytest.fixture(scope="module")
def inputs(tmp_path_factory):
    folder = tmp_path_factory.mktemp("scale")
    for i, text in enumerate(WORDS):
        Image.fromarray(render_text([text])).save(folder / f"img_{i}.png")
    doc = render_text_pdf(folder / "doc.pdf", [["Page one"], ["Page two", "line 2"]], 16)
    broken_pdf(folder / "cut.pdf", doc)
    (folder / "bad.jpg").write_bytes(b"not a JPEG")
    return folder


def outcomes(results):
    return [(r.path, r.page, r.record() if r.ok else str(r.outcome)) for r in results]


@pytest.fixture(scope="module")
def expected(inputs, pipeline):
    paths = [inputs / "img_0.png", inputs / "doc.pdf", inputs / "cut.pdf", inputs / "bad.jpg"]
    paths += sorted(inputs.glob("img_*.png"))[1:]
    return paths, outcomes(read_items(pipeline, expand_paths(paths)))


@pytest.fixture
def local_ray():
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield
    ray.shutdown()


@pytest.fixture
def two_nodes():
    from ray.cluster_utils import Cluster

    cluster = Cluster(
        initialize_head=True, head_node_args={"num_cpus": 1, "include_dashboard": False}
    )
    cluster.add_node(num_cpus=1)
    ray.init(address=cluster.address, log_to_driver=False)
    yield cluster
    ray.shutdown()
    cluster.shutdown()


def test_in_process_reads_pages_images_and_errors_in_order(expected, inputs):
    paths, results = expected
    assert [(p.name, n) for p, n, _ in results] == [
        ("img_0.png", None),
        ("doc.pdf", 1),
        ("doc.pdf", 2),
        ("cut.pdf", None),
        ("bad.jpg", None),
        *[(f"img_{i}.png", None) for i in range(1, len(WORDS))],
    ]
    texts = [r["text"] for _, _, r in results if isinstance(r, dict)]
    assert texts == [WORDS[0], "Page one", "Page two\nline 2", *WORDS[1:]]
    assert results[3][2] == f"{inputs / 'cut.pdf'}: not a valid PDF (damaged or truncated file?)"
    assert results[4][2].startswith(f"{inputs / 'bad.jpg'}: not an image file")


def test_ray_gives_the_same_records_as_in_process(expected, local_ray):
    paths, results = expected
    got = list(read_with_ray(paths, device="CPU", precision="f32", batch_size=2))
    assert outcomes(got) == results
    assert all(r.node for r in got if r.ok)


def test_two_nodes_share_the_work(expected, two_nodes):
    paths, results = expected
    got = list(read_with_ray(paths, device="CPU", precision="f32", batch_size=1))
    assert outcomes(got) == results
    nodes = {r.node for r in got if r.ok}
    alive = {n["NodeID"] for n in ray.nodes() if n["Alive"]}
    assert len(nodes) == 2 and nodes <= alive


def _map_workers() -> list:
    import psutil

    found = []
    for proc in psutil.process_iter(["cmdline"]):
        cmdline = " ".join(proc.info["cmdline"] or [])
        if "MapWorker" in cmdline and "OcrActor" in cmdline:
            found.append(proc)
    return found


def test_a_killed_worker_loses_and_duplicates_nothing(expected, local_ray):
    paths, results = expected
    items = [Item(p) for p in paths] * 2  # long enough to be killed in the middle
    got, killed = [], []
    for result in read_with_ray(items, device="CPU", precision="f32", batch_size=1):
        got.append(result)
        if len(got) == 2:  # the actor is busy with the next items: kill it
            workers = _map_workers()
            assert workers, "no Ray Data worker process found"
            for worker in workers:
                os.kill(worker.pid, signal.SIGKILL)
                killed.append(worker.pid)
    assert killed  # at the second of 2 x 10 results: the rest came from a new worker
    assert outcomes(got) == results * 2
