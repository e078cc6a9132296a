"""Region models, annotations and page caches written by someone else (issue 22): every
damaged or hostile file is one ``ModelError``/``AnnotationError`` line, never a traceback,
a file of this machine opened, or gigabytes read."""

from __future__ import annotations

import io
import json
import os
import resource
import zipfile

import numpy as np
import pytest
from ovocr.errors import ModelError
from ovocr.regions.annotations import AnnotationError, load_annotations
from ovocr.regions.cache import cached_pages, page_key
from ovocr.regions.classifiers import LinearModel
from ovocr.regions.features import FEATURE_NAMES
from ovocr.regions.model import ConceptSpec, RegionModel
from ovocr.types import Line, Page, Word


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    """A small valid model folder (a linear classifier with made-up numbers)."""
    n = len(FEATURE_NAMES)
    rng = np.random.default_rng(0)
    classifier = LinearModel(np.zeros(n), np.ones(n), rng.normal(size=(n, 3)), np.zeros(3))
    concepts = (ConceptSpec("address", max_lines=2), ConceptSpec("total", "amount"))
    model = RegionModel(concepts, classifier, ocr={"det": "d", "rec": "r"}, features=FEATURE_NAMES)
    return model.save(tmp_path_factory.mktemp("model") / "m")


def edit(folder, change) -> None:
    meta = json.loads((folder / "model.json").read_text())
    change(meta)
    (folder / "model.json").write_text(json.dumps(meta))


@pytest.fixture
def copy(folder, tmp_path):
    target = tmp_path / "copy"
    target.mkdir()
    for name in ("model.json", "weights.npz"):
        (target / name).write_bytes((folder / name).read_bytes())
    return target


def test_a_concept_listed_twice_is_refused(copy):
    edit(copy, lambda meta: meta["concepts"].append(dict(meta["concepts"][0])))
    with pytest.raises(ModelError, match="concept 'address' is listed twice"):
        RegionModel.load(copy)


@pytest.mark.parametrize("name", ["/etc/passwd", "../../secret.xml", "~/.ssh/id_rsa"])
def test_ocr_entry_outside_the_model_folder_is_refused_unopened(copy, name):
    edit(copy, lambda meta: meta["ocr"].update(det=name))
    with pytest.raises(ModelError, match="neither a model name .* nor a file or folder inside"):
        RegionModel.load(copy)


def test_ocr_entry_inside_the_model_folder_is_kept_as_a_full_path(copy):
    (copy / "ocr").mkdir()
    (copy / "ocr" / "det.xml").write_text("<net/>")
    edit(copy, lambda meta: meta["ocr"].update(det="ocr/det.xml", rec="ppocrv5-mobile-rec"))
    model = RegionModel.load(copy)
    assert model.ocr == {
        "det": str((copy / "ocr" / "det.xml").resolve()),
        "rec": "ppocrv5-mobile-rec",
    }


def test_huge_sparse_weights_are_refused_before_reading(copy):
    """A 5 GB sparse weights.npz: refused by its size, not read whole to hash it."""
    with open(copy / "weights.npz", "r+b") as fh:
        fh.truncate(5 * 2**30)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with pytest.raises(ModelError, match=r"5120 MB is more than a region model holds"):
        RegionModel.load(copy)
    grown_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    assert grown_mb < 100


def test_an_array_declaring_a_huge_shape_is_refused(copy):
    """A small .npz (compressed) whose header declares 10^12 float64: no allocation tried."""
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(
        header, {"descr": "<f8", "fortran_order": False, "shape": (10**6, 10**6)}
    )
    with zipfile.ZipFile(copy / "weights.npz", "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("weights.npy", header.getvalue() + bytes(1000))
    edit(copy, lambda meta: meta.update(weights_sha256="0" * 64))
    with pytest.raises(ModelError, match=r"array weights.npy declares 7629395 MB"):
        RegionModel.load(copy)


@pytest.mark.parametrize(
    "content", ['{"annotations": null}', '{"annotations": 3}', "[]", '{"other": []}']
)
def test_annotation_file_without_a_list_is_one_error(tmp_path, content):
    path = tmp_path / "annotations.json"
    path.write_text(content)
    with pytest.raises(AnnotationError, match="expected an object with an 'annotations' list"):
        load_annotations(path)


def test_truncated_page_cache_entry_is_read_again_and_healed(tmp_path):
    image = tmp_path / "a.png"
    image.write_bytes(b"pixels")
    page = Page(10, 10, (Line((Word("HI", 0.9, ((0, 0), (5, 0), (5, 5), (0, 5))),)),))
    cache = tmp_path / "cache"
    cache.mkdir()
    entry = cache / f"{page_key(image, 'k')}.json"
    entry.write_text(json.dumps(page.to_dict())[:25])  # a run killed while writing
    calls = []

    def ocr(path: os.PathLike) -> Page:
        calls.append(path)
        return page

    assert cached_pages([image], ocr, "k", cache) == [page]
    assert calls == [image]
    assert Page.from_dict(json.loads(entry.read_text())) == page  # healed
    assert cached_pages([image], ocr, "k", cache) == [page] and len(calls) == 1
