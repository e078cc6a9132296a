"""PDF pages as images: rendering, streaming, and one clear error per bad file."""

from __future__ import annotations

import inspect
import os

import numpy as np
import pypdfium2 as pdfium
import pytest
from ovocr.errors import ImageError
from ovocr.images import MAX_SIDE, load_image
from ovocr.pdf import (
    DEFAULT_DPI,
    PageRenderer,
    is_pdf,
    load_pdf_pages,
    pdf_page_count,
    render_page,
    render_scale,
    render_text_pdf,
)
from pdf_factory import broken_pdf, encrypted_pdf, inflating_pdf, nested_forms_pdf


@pytest.fixture
def doc(tmp_path):
    return render_text_pdf(tmp_path / "doc.pdf", [["First page"], ["Second page", "line two"]])


def test_written_pdf_holds_real_text(doc):
    pdf = pdfium.PdfDocument(doc)
    texts = [pdf[i].get_textpage().get_text_range() for i in range(len(pdf))]
    assert [" ".join(t.split()) for t in texts] == ["First page", "Second page line two"]


def test_pages_are_rgb_at_the_requested_dpi(doc):
    pages = list(load_pdf_pages(doc, dpi=72))
    assert [p.shape for p in pages] == [(792, 612, 3)] * 2
    assert all(p.dtype == np.uint8 for p in pages)
    (big,) = load_pdf_pages(doc, dpi=144, pages=[2])
    assert big.shape == (1584, 1224, 3)
    # white paper, dark text near the top-left margin (72 pt = 144 px at 144 DPI)
    assert big[-50:].min() == 255
    assert big[130:260, 140:600].min() < 80


def test_pages_are_rendered_one_at_a_time(doc, monkeypatch):
    import ovocr.pdf

    rendered = []
    real = ovocr.pdf.PageRenderer.render
    monkeypatch.setattr(
        ovocr.pdf.PageRenderer,
        "render",
        lambda self, n, dpi: rendered.append(n) or real(self, n, dpi),
    )
    pages = load_pdf_pages(doc, dpi=50)
    assert inspect.isgenerator(pages) and rendered == []
    next(pages)
    assert rendered == [1]  # the second page waits until it is asked for
    next(pages)
    assert rendered == [1, 2]


def test_page_numbers_are_one_based_and_checked(doc):
    assert pdf_page_count(doc) == 2
    with pytest.raises(ImageError, match=r"doc\.pdf: no page 3 \(the PDF has 2\)"):
        list(load_pdf_pages(doc, dpi=50, pages=[3]))
    with pytest.raises(ValueError, match="dpi"):
        next(load_pdf_pages(doc, dpi=0))


def test_huge_pages_are_rendered_within_the_image_size_limit(tmp_path):
    poster = render_text_pdf(tmp_path / "poster.pdf", [["A0"]], page_size=(2384, 3370))
    (page,) = load_pdf_pages(poster, dpi=300)
    assert max(page.shape[:2]) <= MAX_SIDE
    assert render_scale(612, 792, 150) == pytest.approx(150 / 72)


def test_pdfs_are_known_by_name(tmp_path, doc):
    renamed = tmp_path / "scan.jpg"
    renamed.write_bytes(doc.read_bytes())
    assert is_pdf(doc) and is_pdf(tmp_path / "missing.PDF")
    assert not is_pdf(renamed) and not is_pdf(tmp_path / "photo.png")
    with pytest.raises(ImageError, match=r"scan\.jpg: not an image file \(a PDF document: "):
        load_image(renamed)


def empty_file(path):
    path.write_bytes(b"")
    return path


@pytest.mark.parametrize(
    "make, problem",
    [
        (lambda d, doc: broken_pdf(d / "cut.pdf", doc), "not a valid PDF"),
        (lambda d, doc: encrypted_pdf(d / "locked.pdf"), "encrypted PDF: it needs a password"),
        (lambda d, doc: empty_file(d / "empty.pdf"), "empty file"),
        (lambda d, doc: d / "nothing.pdf", "no such file"),
        (lambda d, doc: d, "is a directory"),
    ],
)
def test_bad_pdfs_raise_one_line_naming_the_file(tmp_path, doc, make, problem):
    path = make(tmp_path, doc)
    with pytest.raises(ImageError) as caught:
        next(load_pdf_pages(path))
    message = str(caught.value)
    assert message.startswith(f"{path}: {problem}")
    assert "\n" not in message


def test_encrypted_pdf_opens_with_its_password(tmp_path):
    locked = encrypted_pdf(tmp_path / "locked.pdf", text="HIDDEN")
    (page,) = load_pdf_pages(locked, dpi=72, password="secret")
    assert page.shape == (120, 360, 3) and page.min() < 80  # the text is drawn


def test_pdf_without_pages_is_an_error(tmp_path):
    path = tmp_path / "blank.pdf"
    empty = pdfium.PdfDocument.new()
    empty.save(path)
    empty.close()
    with pytest.raises(ImageError, match="PDF has no pages"):
        next(load_pdf_pages(path))


def test_default_dpi_is_a_sensible_resolution():
    assert 100 <= DEFAULT_DPI <= 300


# -- Render bombs (issue 22): each page within a memory and time budget ----------------------


@pytest.mark.parametrize(
    "make", [nested_forms_pdf, inflating_pdf], ids=["nested-forms", "inflating"]
)
def test_a_page_over_the_memory_budget_is_one_error_and_the_next_page_is_read(tmp_path, make):
    bomb = make(tmp_path / "bomb.pdf", after="AFTER")
    with PageRenderer(bomb, memory=512 * 2**20) as pages:
        with pytest.raises(ImageError) as caught:
            pages.render(1, DEFAULT_DPI)
        assert str(caught.value) == (
            f"{bomb}: page 1: needs more than 0.5 GB of memory to render (a PDF bomb?); skipped"
        )
        after = pages.render(2, 72)
    assert after.shape == (792, 612, 3) and after.min() < 80  # its text is drawn


def test_a_page_over_the_time_budget_is_one_error(tmp_path):
    bomb = nested_forms_pdf(tmp_path / "bomb.pdf")
    with PageRenderer(bomb, seconds=1) as pages:
        with pytest.raises(ImageError, match=r"bomb\.pdf: page 1: not rendered within 1 s"):
            pages.render(1, DEFAULT_DPI)
        assert pages.render(2, 72).shape == (792, 612, 3)


def test_pages_are_rendered_in_a_child_process_that_ends_with_the_renderer(doc):
    with PageRenderer(doc) as pages:
        first = pages.render(1, 72)
        child = pages._child
        assert child is not None and child.pid != os.getpid() and child.poll() is None
    assert child.poll() is not None  # ended with the renderer
    in_process = pdfium.PdfDocument(doc)
    try:
        assert np.array_equal(first, render_page(in_process, doc, 1, 72))
    finally:
        in_process.close()
