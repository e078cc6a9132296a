"""A document type that shares no word with receipts: drawn forms, FUNSD-style annotations,
and a region model that learns them with no prior (vocabulary, label words, every region)."""

import json
import random
import re

import numpy as np
import pytest
from ovocr.errors import ModelError
from ovocr.regions.annotations import load_annotations
from ovocr.regions.evaluation import score_fields
from ovocr.regions.features import GENERIC_FEATURES, RECEIPT_FEATURES
from ovocr.regions.fields import FieldsResult, fields_from_regions, values_from_regions
from ovocr.regions.forms import form_folders, render_form, write_forms
from ovocr.regions.funsd import load_funsd_annotations
from ovocr.regions.model import ConceptSpec, RegionModel
from ovocr.regions.synthetic import _content
from ovocr.regions.train import train_model
from ovocr.types import Line, Page, Word
from regions_factory import form, receipt

CONCEPTS = ["date", "participant", "title"]


def letters(words):
    return {re.sub("[^A-Z]", "", w.upper()) for w in words} - {""}


def test_drawn_forms_share_no_word_with_drawn_receipts():
    form_words, receipt_words = set(), set()
    for seed in range(100):
        form_words |= letters(render_form(seed).words)
        lines, _ = _content(random.Random(seed))
        receipt_words |= letters(w for _, text in lines for w in text.replace("|", " ").split())
        page, _ = form(seed)
        form_words |= letters(page.text.split())
    assert len(form_words) > 50 and len(receipt_words) > 50
    assert form_words & receipt_words == set()


def test_write_forms_gives_an_annotations_folder(tmp_path):
    from ovocr.regions.annotations import load_annotations

    root = write_forms(tmp_path / "forms", 3)
    loaded = load_annotations(root / "annotations.json")
    assert [a.image.name for a in loaded] == ["000.png", "001.png", "002.png"]
    assert loaded[0].values == render_form(0).values
    assert len(loaded[0].regions_of("participant")) >= 2 and len(loaded[0].regions_of("title")) == 1
    assert np.array_equal(render_form(5).image, render_form(5).image)


@pytest.fixture(scope="module")
def forms_model():
    pages, annotations = zip(*(form(seed) for seed in range(30)))
    return train_model(annotations, pages)


def test_forms_are_learnt_without_any_receipt_knowledge(forms_model):
    assert forms_model.prior is None and set(forms_model.features) <= set(GENERIC_FEATURES)
    assert not set(forms_model.features) & set(RECEIPT_FEATURES)
    spec = {c.name: c for c in forms_model.concepts}
    assert spec["participant"].multiple and not spec["title"].multiple
    words = {w for w in spec["date"].strip if not w.startswith("shape:")}
    assert words == {"SIGNED", "ON"}  # the label left out of the box
    assert spec["date"].kind == "date" and spec["title"].kind == "text"  # from the values
    pages, annotations = zip(*(form(seed) for seed in range(30, 40)))
    found = [forms_model.predict(p) for p in pages]
    fields = [fields_from_regions(r, {}, CONCEPTS) for r in found]
    scores = score_fields(fields, [a.values for a in annotations], ["title", "date"])
    assert scores["title"].f1 >= 0.9 and scores["date"].f1 >= 0.9
    assert all(f["date"] == a.values["date"] for f, a in zip(fields, annotations))


def test_every_participant_is_found_with_its_score(forms_model):
    page, annotation = form(41)
    regions = forms_model.predict(page)
    names = [r for r in regions if r.concept == "participant"]
    truth = annotation.regions_of("participant")
    assert len(names) == len(truth) >= 2
    assert all(max(r.box.iou(t.box) for t in truth) > 0.8 for r in names)
    assert all(forms_model.every_score <= r.score <= 1 for r in names)
    best = forms_model.predict(page, every=False)
    assert [r.concept for r in best].count("participant") == 1
    assert len(forms_model.predict(page, every=True)) >= len(regions)
    values = values_from_regions(regions, {}, CONCEPTS)
    assert len(values["participant"]) == len(truth)
    data = FieldsResult(
        "f.png", fields_from_regions(regions, {}, CONCEPTS), tuple(regions), {}, values
    ).to_dict()
    assert data["values"]["participant"] == values["participant"]
    assert len(data["regions"]) == len(regions)


def test_a_forms_model_folder_keeps_its_vocabulary(forms_model, tmp_path):
    folder = forms_model.save(tmp_path / "forms")
    meta = json.loads((folder / "model.json").read_text())
    assert meta["text"]["hashing"]["hash"] == "crc32" and meta["prior"] is None
    back = RegionModel.load(folder)
    page, _ = form(50)
    assert np.allclose(back.line_probabilities(page), forms_model.line_probabilities(page))
    assert [c.strip for c in back.concepts] == [c.strip for c in forms_model.concepts]
    meta["text"]["hashing"]["buckets"] = 2048  # weights no longer fit: refused, not misread
    (folder / "model.json").write_text(json.dumps(meta))
    with pytest.raises(ModelError, match="text0_weights is not a float array"):
        RegionModel.load(folder)


def cut_first_line(page: Page) -> Page:
    """The page with its first line cut in two pieces 40 px apart, as the OCR's gap cut
    does with a wide-spaced company name."""
    first = page.lines[0]
    head, tail = first.text.split(" ", 1)
    (x0, y0), _, (x1, y1), _ = first.quad
    cut = x0 + (x1 - x0) * len(head) / len(first.text)
    left = Word(head, 0.9, ((x0, y0), (cut, y0), (cut, y1), (x0, y1)))
    right = Word(tail, 0.9, ((cut + 40, y0), (x1 + 40, y0), (x1 + 40, y1), (cut + 40, y1)))
    lines = (Line((left,), left.quad), Line((right,), right.quad), *page.lines[1:])
    rows = [(0, 1)] + [tuple(i + 1 for i in r) for r in page.rows[1:]]
    return Page(page.width, page.height, lines, tuple(rows))


def test_a_line_cut_at_a_gap_is_one_region():
    """Trained on whole company lines, the model still joins the two pieces of a cut one:
    a region spans rows, and pieces of one row count once."""
    from ovocr.regions.sroie import KINDS

    pages, annotations = zip(*(receipt(seed) for seed in range(30)))
    model = train_model(annotations[:24], pages[:24], KINDS)
    assert {c.name: c.max_lines for c in model.concepts}["company"] == 1  # one row
    for page, annotation in zip(pages[24:], annotations[24:]):
        company = next(r for r in model.predict(cut_first_line(page)) if r.concept == "company")
        assert company.text == annotation.values["company"]


def test_funsd_title_and_every_date_answer(tmp_path):
    def entity(id_, label, text, box, link=None):
        links = [list(link)] if link else []
        return {"id": id_, "label": label, "text": text, "box": box, "words": [], "linking": links}

    entities = [
        entity(0, "header", "", [10, 5, 90, 20]),  # a logo: no text
        entity(1, "header", "FAX COVER", [200, 30, 400, 60]),
        entity(2, "header", "LATER HEADER", [10, 300, 200, 320]),
        entity(3, "question", "DATE:", [10, 100, 60, 115], (3, 4)),
        entity(4, "answer", "12 /10 /98", [70, 100, 150, 115], (3, 4)),
        entity(5, "question", "Date filed", [10, 200, 90, 215], (5, 6)),
        entity(6, "answer", "July 1, 1998", [100, 200, 190, 215], (5, 6)),
        entity(7, "question", "TO:", [10, 150, 40, 165], (7, 8)),
        entity(8, "answer", "Legal", [50, 150, 90, 165], (7, 8)),
    ]
    for sub in ("annotations", "images"):
        (tmp_path / sub).mkdir()
    (tmp_path / "annotations" / "f1.json").write_text(json.dumps({"form": entities}))
    from PIL import Image

    Image.new("RGB", (500, 400), "white").save(tmp_path / "images" / "f1.png")
    (annotation,) = load_funsd_annotations(tmp_path)
    assert annotation.values == {"title": "FAX COVER", "date": "12 /10 /98"}
    assert [r.concept for r in annotation.regions] == ["title", "date", "date"]
    assert annotation.regions[0].box.to_pixels(500, 400) == pytest.approx((200, 30, 400, 60))


def test_form_folders_draws_train_and_test_forms_in_the_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    train, test = form_folders(2, 1)
    assert train.parent == test.parent == tmp_path / "ovocr" / "forms"
    train_anns = load_annotations(train / "annotations.json")
    test_anns = load_annotations(test / "annotations.json")
    assert len(train_anns) == 2 and len(test_anns) == 1
    train_pixels = [a.image.read_bytes() for a in train_anns]
    assert test_anns[0].image.read_bytes() not in train_pixels  # other seeds


def test_word_shapes_the_values_leave_out_are_learnt_and_stripped():
    """A registration number printed after a name, left out of every annotated value, is
    learnt as a shape (digits and signs), not as a word, and dropped from new names."""
    from ovocr.regions.annotations import Annotation, Region, RelBox
    from ovocr.regions.train import end_shapes

    pages, regions, annotations = [], [], []
    for k, (name, number) in enumerate([("ACME TRADING", "(12345-X)"), ("TAN CO", "(987-A)")]):
        words = [
            Word(
                t, 0.9, ((10 + 60 * i, 10), (60 + 60 * i, 10), (60 + 60 * i, 30), (10 + 60 * i, 30))
            )
            for i, t in enumerate([*name.split(), number])
        ]
        pages.append(Page(400, 100, (Line(tuple(words)),), ((0,),)))
        regions.append(np.array([0]))
        box = RelBox(0.1, 0.0, 0.3, 1.0)
        annotations.append(
            Annotation(f"{k}.png", 400, 100, (Region("company", box),), {"company": name})
        )
    assert end_shapes(pages, regions, annotations) == {"company": ("shape:(0-A)",)}
    spec = ConceptSpec("company", strip=("shape:(0-A)",))
    line = Line(
        tuple(Word(t, 0.9, ((0, 0), (9, 0), (9, 9), (0, 9))) for t in ["NEW", "SHOP", "(5555-Q)"])
    )
    assert RegionModel._region(spec, [line], 0.9, Page(100, 100, (line,))).text == "NEW SHOP"
