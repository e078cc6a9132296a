"""Synthetic receipts as OCR pages (no image, no model): a known answer for every concept."""

from __future__ import annotations

import random
from pathlib import Path

from ovocr.builder import reading_order
from ovocr.regions.annotations import Annotation, Region, RelBox, union_box
from ovocr.types import Line, Page, Word

WIDTH, HEIGHT = 480, 900
COMPANIES = ["ACME TRADING SDN BHD", "KEDAI MAJU ENTERPRISE", "SRI BAKERY SDN BHD", "TAN HARDWARE"]
STREETS = ["NO 12, JALAN MAJU 3", "LOT 5, JALAN BESAR", "NO 8, JALAN TAMAN INDAH"]
TOWNS = ["43000 KAJANG, SELANGOR", "81100 JOHOR BAHRU, JOHOR", "50480 KUALA LUMPUR"]


def _line(text: str, x0: float, y0: float, char_w: float = 9.0, h: float = 18.0) -> Line:
    x1 = x0 + char_w * len(text)
    quad = ((x0, y0), (x1, y0), (x1, y0 + h), (x0, y0 + h))
    return Line((Word(text, 0.95, quad),), quad)


def receipt(seed: int) -> tuple[Page, Annotation]:
    """A receipt page and its annotation (regions + values) for a random seed."""
    rng = random.Random(seed)
    y = rng.uniform(20, 60)
    step = rng.uniform(24, 30)
    lines: dict[str, list[Line]] = {"company": [], "address": [], "date": [], "total": []}
    other: list[Line] = []

    def add(text: str, x0: float, concept: str | None = None, same_row: bool = False) -> None:
        nonlocal y
        if not same_row:
            y += step
        line = _line(text, x0, y)
        (lines[concept] if concept else other).append(line)

    company = rng.choice(COMPANIES)
    add(company, rng.uniform(40, 120), "company")
    add(f"({rng.randint(100000, 999999)}-{rng.choice('ABCKMX')})", 180)
    street, town = rng.choice(STREETS), rng.choice(TOWNS)
    add(street, rng.uniform(40, 100), "address")
    add(town, rng.uniform(40, 100), "address")
    add(f"TEL: 03-{rng.randint(1000000, 9999999)}", 120)
    date = f"{rng.randint(1, 28):02d}/{rng.randint(1, 12):02d}/2018"
    add("TAX INVOICE", 160)
    add(f"DATE: {date} {rng.randint(10, 23)}:{rng.randint(10, 59)}", 30, "date")
    amounts = [rng.randint(100, 5000) / 100 for _ in range(rng.randint(2, 5))]
    for i, amount in enumerate(amounts):
        add(f"ITEM {i + 1} X{rng.randint(1, 3)}", 30)
        add(f"{amount:.2f}", 380, same_row=True)
    total = sum(amounts)
    add("SUB TOTAL", 30)
    add(f"{total:.2f}", 380, same_row=True)
    add("TOTAL", 30)
    add(f"{total:.2f}", 380, "total", same_row=True)
    paid = total + rng.randint(1, 50)
    add("CASH", 30)
    add(f"{paid:.2f}", 380, same_row=True)
    add("THANK YOU PLEASE COME AGAIN", 60)
    all_lines = [ln for group in lines.values() for ln in group] + other
    ordered, rows = reading_order(all_lines)
    page = Page(WIDTH, HEIGHT, tuple(ordered), tuple(rows))
    regions = tuple(
        Region(c, union_box(RelBox.from_line(ln, WIDTH, HEIGHT) for ln in group))
        for c, group in lines.items()
    )
    values = {
        "company": company,
        "address": f"{street} {town}",
        "date": date,
        "total": f"{total:.2f}",
    }
    return page, Annotation(Path(f"synthetic-{seed}.jpg"), WIDTH, HEIGHT, regions, values)


def _words_line(parts: list[tuple[str, float]], y0: float, char_w: float = 9.0) -> Line:
    """One OCR line made of words starting at the given x positions."""
    words = []
    for text, x0 in parts:
        x1 = x0 + char_w * len(text)
        words.append(Word(text, 0.95, ((x0, y0), (x1, y0), (x1, y0 + 18), (x0, y0 + 18))))
    quad = (words[0].quad[0], words[-1].quad[1], words[-1].quad[2], words[0].quad[3])
    return Line(tuple(words), quad)


def form(seed: int) -> tuple[Page, Annotation]:
    """An office form as an OCR page (words of ``ovocr.regions.forms``, none of receipts):
    an organisation, a title, label/value rows where the date's label and value are one
    OCR line (the annotated box covers the value only), and 2-5 participants."""
    from ovocr.regions import forms

    rng = random.Random(seed)
    lines: list[Line] = []
    regions: list[Region] = []

    def box(line: Line, words: slice = slice(None)) -> RelBox:
        return union_box(RelBox.from_quad(w.quad, WIDTH, HEIGHT) for w in line.words[words])

    y = rng.uniform(20, 50)
    lines.append(_line(rng.choice(forms.ORGANISATIONS), 40, y))
    y += rng.uniform(40, 60)
    title = rng.choice(forms.TITLES)
    lines.append(_line(title, rng.choice((40, 120)), y, char_w=14, h=28))
    regions.append(Region("title", box(lines[-1])))
    y += 50
    labels = rng.sample(forms.LABELS, rng.randint(2, 5))
    at = rng.randint(0, len(labels))
    day = rng.randint(1, 28)
    date = f"{rng.choice(forms.MONTHS)} {day}, {rng.randint(1995, 2003)}"
    for k in range(len(labels) + 1):
        y += 30
        if k == at:
            parts = [("Signed", 40), ("on:", 103)]
            parts += [(w, 160 + 60 * j) for j, w in enumerate(date.split())]
            lines.append(_words_line(parts, y))
            regions.append(Region("date", box(lines[-1], slice(2, None))))
        else:
            label = labels[k - (k > at)]
            lines.append(_line(f"{label}:", 40, y))
            lines.append(_line(rng.choice(forms.ANSWERS), 260, y))
    y += 40
    lines.append(_line("Participants", 40, y))
    for n in range(rng.randint(2, 5)):
        y += 30
        lines.append(_line(f"{n + 1}.", 50, y))
        lines.append(_line(f"{rng.choice(forms.FIRST)} {rng.choice(forms.LAST)}", 90, y))
        regions.append(Region("participant", box(lines[-1])))
    ordered, rows = reading_order(lines)
    page = Page(WIDTH, HEIGHT, tuple(ordered), tuple(rows))
    values = {"title": title, "date": date}
    return page, Annotation(Path(f"form-{seed}.png"), WIDTH, HEIGHT, tuple(regions), values)
