"""Tests for ovocr.datasets: parsers on tiny files, then the real sets in ../shared/data."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from ovocr import datasets
from ovocr.datasets import (
    DatasetError,
    load_funsd,
    load_icdar2015,
    load_sroie,
    load_word_crops,
    natural_key,
    shared_data_dir,
)

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def touch_images(folder: Path, *names: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for name in names:
        (folder / name).write_bytes(b"")


# --- helpers ------------------------------------------------------------------------------


def test_natural_key_orders_numbers_by_value():
    names = ["img_10.jpg", "img_2.jpg", "img_1.jpg", "IMG_3.jpg"]
    assert sorted(names, key=natural_key) == ["img_1.jpg", "img_2.jpg", "IMG_3.jpg", "img_10.jpg"]


def test_shared_data_dir_from_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("OVOCR_SHARED_DATA", str(tmp_path))
    assert shared_data_dir() == tmp_path
    monkeypatch.setenv("OVOCR_SHARED_DATA", str(tmp_path / "absent"))
    assert shared_data_dir() is None


def test_shared_data_dir_is_sibling_of_project_root(monkeypatch):
    if PROJECT_ROOT not in Path(datasets.__file__).resolve().parents:
        pytest.skip(f"ovocr is imported from {datasets.__file__}, not from {PROJECT_ROOT}")
    monkeypatch.delenv("OVOCR_SHARED_DATA", raising=False)
    expected = PROJECT_ROOT.parent / "shared" / "data"
    assert shared_data_dir() == (expected if expected.is_dir() else None)


# --- ICDAR 2015 ---------------------------------------------------------------------------


def write_icdar(root: Path) -> None:
    touch_images(root / "images", "img_1.jpg", "img_2.jpg", "img_10.jpg")
    gt = root / "gt"
    gt.mkdir()
    lines = ["377,117,463,117,465,130,378,130,Genaxis Theatre", "1,2,3,2,3,4,1,4,$8,888", ""]
    # The official files: UTF-8 with a BOM and CRLF line ends.
    (gt / "gt_img_1.txt").write_bytes("\r\n".join(lines).encode("utf-8-sig"))
    (gt / "gt_img_10.txt").write_text("10,10,20,10,20,20,10,20,###\n", encoding="utf-8")
    (gt / "gt_img_2.txt").write_text("0.5,0,9.5,0,9.5,5,0.5,5,CAFÉ\n", encoding="utf-8")


def test_load_icdar2015_parses_bom_crlf_commas_and_dont_care(tmp_path):
    write_icdar(tmp_path)
    samples = load_icdar2015(tmp_path)
    assert [s.image.name for s in samples] == ["img_1.jpg", "img_2.jpg", "img_10.jpg"]
    first = samples[0].words
    assert len(first) == 2
    assert first[0].quad == ((377, 117), (463, 117), (465, 130), (378, 130))
    assert first[0].text == "Genaxis Theatre"  # no BOM glued to the text, no "\r"
    assert first[1].text == "$8,888"
    assert not first[1].dont_care
    assert samples[1].words[0].quad[0] == (0.5, 0.0)
    assert samples[1].words[0].text == "CAFÉ"
    assert samples[2].words[0].dont_care


def test_load_icdar2015_limit(tmp_path):
    write_icdar(tmp_path)
    assert [s.image.name for s in load_icdar2015(tmp_path, limit=2)] == ["img_1.jpg", "img_2.jpg"]


def test_load_icdar2015_missing_folder_names_the_path(tmp_path):
    with pytest.raises(DatasetError, match=re.escape(str(tmp_path / "gt"))):
        load_icdar2015(tmp_path)


def test_load_icdar2015_missing_image(tmp_path):
    write_icdar(tmp_path)
    (tmp_path / "images" / "img_2.jpg").unlink()
    with pytest.raises(DatasetError, match="img_2"):
        load_icdar2015(tmp_path)


def test_load_icdar2015_malformed_line_names_file_and_line(tmp_path):
    write_icdar(tmp_path)
    (tmp_path / "gt" / "gt_img_2.txt").write_text("1,2,3,2,3,4,1,4,ok\n1,2,3,word\n")
    with pytest.raises(DatasetError, match=r"gt_img_2\.txt:2"):
        load_icdar2015(tmp_path)


# --- word crops ---------------------------------------------------------------------------


def test_load_word_crops_keeps_file_order(tmp_path):
    touch_images(tmp_path / "images", "word_10.png", "word_2.png", "word_1.png")
    (tmp_path / "labels.tsv").write_text(
        "word_10.png\tAT HIGH\nword_2.png\tJOINT\n\nword_1.png\t50%\n", encoding="utf-8"
    )
    samples = load_word_crops(tmp_path)
    assert [(s.image.name, s.text) for s in samples] == [
        ("word_10.png", "AT HIGH"),
        ("word_2.png", "JOINT"),
        ("word_1.png", "50%"),
    ]
    assert len(load_word_crops(tmp_path, limit=2)) == 2


def test_load_word_crops_errors(tmp_path):
    with pytest.raises(DatasetError, match="labels.tsv"):
        load_word_crops(tmp_path)
    touch_images(tmp_path / "images", "a.png")
    (tmp_path / "labels.tsv").write_text("a.png\tA\nb.png\tB\n")
    with pytest.raises(DatasetError, match=r"labels\.tsv:2: image .*b\.png not found"):
        load_word_crops(tmp_path)
    (tmp_path / "labels.tsv").write_text("a.png A\n")
    with pytest.raises(DatasetError, match="TAB"):
        load_word_crops(tmp_path)


# --- SROIE --------------------------------------------------------------------------------


def write_sroie(root: Path, with_keys: bool = True) -> None:
    touch_images(root / "images", "001.jpg", "037.jpg")
    (root / "boxes").mkdir()
    (root / "boxes" / "001.csv").write_bytes(
        b"116,196,582,196,582,224,116,224,FIVE STAR CASH & CARRY\r\n"
        b"117,278,562,278,562,307,117,307,G.23 & G.22, PLAZA SERI SETIA,\r\n"
    )
    # As in the real test receipt 037: a full-width comma stored as GBK bytes.
    (root / "boxes" / "037.csv").write_bytes(b"1,2,3,2,3,4,1,4,KEPONG BARU\xa3\xac\n")
    if with_keys:
        (root / "keys").mkdir()
        keys = {"company": "FIVE STAR", "date": "05/01/17", "address": "PJ", "total": "90.00"}
        (root / "keys" / "001.json").write_text(json.dumps(keys, indent=4), encoding="utf-8")


def test_load_sroie_lines_keys_and_gbk_fallback(tmp_path):
    write_sroie(tmp_path)
    first, second = load_sroie(tmp_path)
    assert first.image == tmp_path / "images" / "001.jpg"
    assert [line.text for line in first.lines] == [
        "FIVE STAR CASH & CARRY",
        "G.23 & G.22, PLAZA SERI SETIA,",
    ]
    assert first.lines[0].quad == ((116, 196), (582, 196), (582, 224), (116, 224))
    assert first.keys["total"] == "90.00"
    assert first.text == "FIVE STAR CASH & CARRY\nG.23 & G.22, PLAZA SERI SETIA,"
    assert second.lines[0].text == "KEPONG BARU\uff0c"
    assert second.keys == {}  # no keys/037.json


def test_load_sroie_without_keys_folder(tmp_path):
    write_sroie(tmp_path, with_keys=False)
    samples = load_sroie(tmp_path, limit=1)
    assert len(samples) == 1
    assert samples[0].keys == {}


# --- FUNSD --------------------------------------------------------------------------------


def test_load_funsd_entities_words_and_lines(tmp_path):
    touch_images(tmp_path / "images", "form_1.png")
    form = {
        "form": [
            {
                "box": [61, 127, 143, 211],
                "text": "",
                "label": "other",
                "words": [{"box": [61, 127, 143, 211], "text": ""}],
                "linking": [],
                "id": 0,
            },
            {
                "box": [102, 345, 160, 359],
                "text": "TO: Ms.",
                "label": "question",
                "words": [
                    {"box": [102, 345, 129, 359], "text": "TO:"},
                    {"box": [132, 345, 160, 359], "text": "Ms."},
                ],
                "linking": [[1, 14]],
                "id": 1,
            },
        ]
    }
    (tmp_path / "annotations").mkdir()
    (tmp_path / "annotations" / "form_1.json").write_text(json.dumps(form), encoding="utf-8")
    (sample,) = load_funsd(tmp_path)
    assert sample.image.name == "form_1.png"
    assert [line.text for line in sample.lines] == ["TO: Ms."]  # empty entity left out
    assert sample.lines[0].quad == ((102, 345), (160, 345), (160, 359), (102, 359))
    empty, question = sample.entities
    assert empty.words[0].dont_care
    assert (question.id, question.label, question.links) == (1, "question", ((1, 14),))
    assert [w.text for w in question.words] == ["TO:", "Ms."]
    assert not question.words[0].dont_care


# --- the real development sets ------------------------------------------------------------


def real_set(name: str) -> Path:
    root = shared_data_dir()
    if root is None or not (root / name).is_dir():
        pytest.skip(f"../shared/data/{name} not found (set OVOCR_SHARED_DATA to point at it)")
    return root / name


@pytest.mark.shared
def test_real_icdar2015():
    samples = load_icdar2015(real_set("icdar2015"))
    assert len(samples) == 200
    assert [s.image.name for s in samples[:3]] == ["img_1.jpg", "img_2.jpg", "img_3.jpg"]
    first = samples[0].words[0]
    assert first.quad == ((933, 255), (954, 255), (956, 277), (936, 277))
    assert first.dont_care
    # Transcriptions with commas survive the split on the first 8 commas only.
    assert "$8,888" in [w.text for w in samples[67].words]
    assert all(s.image.is_file() for s in samples)


@pytest.mark.shared
@pytest.mark.parametrize(
    ("name", "first"),
    [("iiit5k", ("1002_1.png", "PRIVATE")), ("icdar2015_words", ("word_1.png", "JOINT"))],
)
def test_real_word_crops(name, first):
    samples = load_word_crops(real_set(name))
    assert len(samples) == 1000
    assert (samples[0].image.name, samples[0].text) == first
    assert all(s.image.is_file() for s in samples)


@pytest.mark.shared
def test_real_sroie_test_split():
    samples = load_sroie(real_set("sroie"))
    assert len(samples) == 50
    first = samples[0]
    assert first.image.name == "001.jpg"
    assert first.lines[0].text == "FIVE STAR CASH & CARRY"
    assert first.keys == {
        "company": "FIVE STAR CASH & CARRY",
        "date": "05/01/17",
        "address": "G.23 & G.22, PLAZA SERI SETIA, NO.1 JALAN SS 9/1, 47300 PJ, SELANGOR.",
        "total": "90.00",
    }
    assert "KEPONG BARU\uff0c" in [line.text for line in samples[36].lines]  # the GBK receipt
    assert all(s.keys.keys() == first.keys.keys() for s in samples)


@pytest.mark.shared
def test_real_sroie_train_split():
    samples = load_sroie(real_set("sroie_train"))
    assert len(samples) == 100
    assert samples[0].image.name == "000.jpg"
    assert all(s.lines and s.keys for s in samples)


@pytest.mark.shared
def test_real_funsd():
    samples = load_funsd(real_set("funsd"))
    assert len(samples) == 25
    first = samples[0]
    assert first.image.name == "82092117.png"
    assert first.lines[0].text == "TO:"
    assert first.entities[1].label == "question"
    assert all(line.text.strip() for s in samples for line in s.lines)


def test_tests_find_the_shared_data_by_the_package_variable(tmp_path):
    # tests/conftest.py (SHARED, and shared_data through shared_data_dir) read OVOCR_SHARED
    # while the package and README use OVOCR_SHARED_DATA
    data = tmp_path / "elsewhere" / "data"
    data.mkdir(parents=True)
    code = "import conftest, ovocr.paths as p; print(conftest.SHARED); print(p.shared_data_dir())"
    env = {**os.environ, "OVOCR_SHARED_DATA": str(data)}
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=Path(__file__).resolve().parents[1],
        env=env,
        capture_output=True,
        text=True,
    )
    assert done.stdout.splitlines() == [str(data.parent), str(data)], done.stderr
