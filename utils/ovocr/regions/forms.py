"""Forms the project draws itself: a document type that shares no word with receipts.

For readers without FUNSD (``../shared/data/funsd``) and for the tests that prove the
region model learns its vocabulary from the annotations: :func:`render_form` draws a
filled-in office form (an organisation line, a title, label/value pairs in which a
"Signed on:" date sits right of or below its label, and a list of participants) with
DejaVu Sans from matplotlib's wheel, and returns the boxes of three concepts:

- ``title``: the form's title (one per form);
- ``date``: the value of the signing date, without its label;
- ``participant``: every name of the participants list (several per form).

:func:`write_forms` writes a set as ``images/NNN.png`` and ``annotations.json``
(``annotations.save_annotations``), the folder layout ``ovocr fields train --data``
reads for a user's own documents. Same seed, same form, pixel for pixel. No word printed
on these forms is printed on the drawn receipts (``ovocr.regions.synthetic``; tested).
Explained in 07-reading-fields.

Example:
    >>> form = render_form(3)
    >>> sorted({r.concept for r in form.regions})
    ['date', 'participant', 'title']
"""

from __future__ import annotations

import os
import random
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from .annotations import Annotation, Region, RelBox, save_annotations

WIDTH, HEIGHT = 700, 900
MARGIN = 40
CONCEPTS = ("title", "date", "participant")
ORGANISATIONS = (
    "Northfield Rowing Club", "Harbour Lane Library", "Pinecrest Primary School",
    "Valley Orchestra Society", "Riverside Allotment Association", "Greenway Cycling Union",
)  # fmt: skip
TITLES = (
    "Volunteer Enrolment Form", "Equipment Loan Request", "Field Trip Consent",
    "Membership Application", "Laboratory Safety Checklist", "Annual Garden Survey",
    "Rehearsal Attendance Sheet", "Workshop Registration",
)  # fmt: skip
LABELS = (
    "Applicant", "Department", "Reference", "Supervisor", "Room", "Extension",
    "Purpose", "Duration", "Vehicle", "Badge",
)  # fmt: skip
ANSWERS = (
    "Biology", "Physics", "Archive", "Workshop", "Kitchen", "Stage", "Garden",
    "Minibus", "Annex", "Studio", "Weekend", "Evening", "Morning",
)  # fmt: skip
FIRST = ("Ada", "Brian", "Chloe", "Dmitri", "Elena", "Farid", "Greta", "Hiro", "Ines", "Jonas")
LAST = ("Okafor", "Lindqvist", "Moreau", "Nakamura", "Quinn", "Rossi", "Svoboda", "Weber")
MONTHS = (
    "January", "February", "March", "April", "June", "July", "August", "September",
    "October", "November", "December",
)  # fmt: skip
DATE_LABELS = ("Signed on:", "Signed:", "Day of signing:")


@dataclass(frozen=True)
class DrawnForm:
    """A rendered form.

    Attributes:
        image: RGB ``uint8`` pixels.
        regions: the annotated regions (``title``, ``date``, every ``participant``).
        values: ``title`` and ``date`` as printed.
        words: every word printed on the form (to check it shares none with receipts).
    """

    image: np.ndarray
    regions: tuple[Region, ...]
    values: dict[str, str]
    words: tuple[str, ...]


def sans_font(size: int, bold: bool = False) -> ImageFont.FreeTypeFont:
    """DejaVu Sans (bold) from matplotlib's wheel."""
    import matplotlib

    name = "DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf"
    return ImageFont.truetype(str(Path(matplotlib.get_data_path()) / "fonts" / "ttf" / name), size)


def _date(rng: random.Random) -> str:
    day, year = rng.randint(1, 28), rng.randint(1995, 2003)
    month = rng.randint(1, 11)
    return rng.choice(
        (
            f"{MONTHS[month - 1]} {day}, {year}",
            f"{day}.{month}.{year}",
            f"{year}.{month:02d}.{day:02d}",
        )
    )


def render_form(seed: int) -> DrawnForm:
    """Draw form number ``seed``."""
    rng = random.Random(seed)
    img = Image.new("RGB", (WIDTH, HEIGHT), (250, 250, 246))
    draw = ImageDraw.Draw(img)
    regions: list[Region] = []
    printed: list[str] = []
    small = sans_font(rng.choice((15, 16, 17)))

    def text(x: float, y: float, value: str, font: ImageFont.FreeTypeFont) -> RelBox:
        draw.text((x, y), value, fill=(25, 25, 30), font=font)
        printed.extend(value.split())
        return RelBox.from_pixels(*draw.textbbox((x, y), value, font=font), WIDTH, HEIGHT)

    y = MARGIN + rng.randint(0, 30)
    text(MARGIN, y, rng.choice(ORGANISATIONS), small)
    y += rng.randint(40, 60)
    title = rng.choice(TITLES)
    title_font = sans_font(rng.choice((24, 26, 28)), bold=True)
    width = draw.textlength(title, font=title_font)
    x = (WIDTH - width) / 2 if rng.random() < 0.6 else MARGIN
    regions.append(Region("title", text(x, y, title, title_font)))
    y += rng.randint(60, 80)
    pairs = [(f"{label}:", rng.choice(ANSWERS)) for label in rng.sample(LABELS, rng.randint(3, 6))]
    date = _date(rng)
    at = rng.randint(0, len(pairs))
    pairs.insert(at, (rng.choice(DATE_LABELS), date))
    step = rng.randint(34, 42)
    for label, answer in pairs:
        text(MARGIN, y, label, small)
        if label in DATE_LABELS and rng.random() < 0.3:  # the value under its label
            y += step
            box = text(MARGIN + rng.randint(0, 30), y, answer, small)
        else:
            gap = rng.choice((12, 30, 120))
            box = text(MARGIN + draw.textlength(label, font=small) + gap, y, answer, small)
        if label in DATE_LABELS:
            regions.append(Region("date", box))
        y += step
    y += rng.randint(10, 30)
    text(MARGIN, y, "Participants", sans_font(int(small.size), bold=True))
    for n in range(rng.randint(2, 5)):
        y += step
        name = f"{rng.choice(FIRST)} {rng.choice(LAST)}"
        text(MARGIN + 10, y, f"{n + 1}.", small)
        regions.append(Region("participant", text(MARGIN + 40, y, name, small)))
    return DrawnForm(
        np.asarray(img), tuple(regions), {"title": title, "date": date}, tuple(printed)
    )


def write_forms(folder: str | os.PathLike, count: int, first_seed: int = 0) -> Path:
    """Write ``count`` forms (seeds ``first_seed``...) as ``images/NNN.png`` and
    ``annotations.json``; images already there are kept (same seed, same form)."""
    root = Path(folder)
    (root / "images").mkdir(parents=True, exist_ok=True)
    records = []
    for n in range(count):
        form = render_form(first_seed + n)
        path = root / "images" / f"{n:03d}.png"
        if not path.is_file():
            Image.fromarray(form.image).save(path)
        records.append(Annotation(path, WIDTH, HEIGHT, form.regions, form.values))
    save_annotations(root / "annotations.json", records)
    return root


def form_folders(n_train: int = 12, n_test: int = 6) -> tuple[Path, Path]:
    """``(train, test)``: ``n_train`` and ``n_test`` drawn forms in the ovocr cache, next to
    the drawn receipts (``synthetic_dir().parent / "forms"``). Test seeds follow the
    training ones, so no test form is a training form; forms already drawn are kept."""
    from .synthetic import synthetic_dir

    root = synthetic_dir().parent / "forms"
    train = write_forms(root / f"train-{n_train}", n_train, 0)
    test = write_forms(root / f"test-{n_test}", n_test, 10_000)
    return train, test
