"""Receipts the project renders itself, with known company, date, address and total.

For readers without the SROIE receipts (``../shared/data``): :func:`render_receipt` draws
a shop receipt with DejaVu Sans Mono (the copy inside matplotlib's wheel, so no system
font is needed) and returns its text lines and key values; :func:`write_receipts` writes a
set of them in the SROIE folder layout (``boxes/NNN.csv``, ``images/NNN.jpg``,
``keys/NNN.json``), so every tool that reads SROIE (``load_sroie_annotations``,
``ovocr fields train --data``) reads them unchanged. Deterministic for a seed: the same
seed gives the same receipt, pixel for pixel.

:func:`receipt_folders` is the one place notebooks ask for receipts: the real SROIE
folders when ``ovocr.datasets.shared_data_dir()`` has them, else rendered ones.
Explained in 06-custom-text-regions.

Example:
    >>> receipt = render_receipt(3)
    >>> sorted(receipt.keys)
    ['address', 'company', 'date', 'total']
"""

from __future__ import annotations

import json
import os
import random
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from ..datasets import shared_data_dir

WIDTH = 520
MARGIN = 24
SHOPS = (
    "KEDAI RUNCIT MAJU", "SRI MURNI BAKERY", "TAN HARDWARE", "GOLDEN LEAF RESTAURANT",
    "MEGA JAYA STATIONERY", "BINTANG MINI MARKET", "HUP SENG TRADING", "KAFE SELERA KITA",
    "PERNIAGAAN LIM", "EVERGREEN BOOK STORE", "OCEAN FRESH MART", "SINAR HOME DECOR",
)  # fmt: skip
SUFFIXES = ("SDN BHD", "SDN. BHD.", "ENTERPRISE", "S/B", "")
STREETS = ("JALAN MAJU", "JALAN BESAR", "JALAN KENANGA", "JLN PUTRA", "JALAN SS 2/24")
AREAS = ("TAMAN INDAH", "TAMAN SRI MUDA", "BANDAR BARU", "SEKSYEN 13", "KAWASAN PERINDUSTRIAN")
TOWNS = (
    ("43000", "KAJANG", "SELANGOR"), ("81100", "JOHOR BAHRU", "JOHOR"),
    ("50480", "KUALA LUMPUR", ""), ("47301", "PETALING JAYA", "SELANGOR"),
    ("10200", "GEORGETOWN", "PULAU PINANG"), ("30450", "IPOH", "PERAK"),
)  # fmt: skip
ITEMS = (
    "MINERAL WATER 1.5L", "WHITE BREAD", "A4 PAPER 80G", "TEH TARIK", "NASI LEMAK",
    "SCREW 6MM X20", "PAINT BRUSH 2IN", "EGGS GRADE A", "SUGAR 1KG", "MILO 3IN1",
    "BATTERY AA 4S", "COOKING OIL 2KG", "BALL PEN BLUE", "RICE 5KG", "CHICKEN WING",
)  # fmt: skip
MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")


@dataclass(frozen=True)
class SyntheticReceipt:
    """A rendered receipt.

    Attributes:
        image: RGB ``uint8`` pixels.
        lines: ``((x0, y0, x1, y1), text)`` of every printed line, in pixels.
        keys: the four key values as a SROIE key file writes them.
    """

    image: np.ndarray
    lines: tuple[tuple[tuple[int, int, int, int], str], ...]
    keys: dict[str, str]


def mono_font(size: int) -> ImageFont.FreeTypeFont:
    """DejaVu Sans Mono from matplotlib's wheel (receipt printers print monospace)."""
    import matplotlib

    path = Path(matplotlib.get_data_path()) / "fonts" / "ttf" / "DejaVuSansMono.ttf"
    return ImageFont.truetype(str(path), size)


def _content(rng: random.Random) -> tuple[list[tuple[str, str]], dict[str, str]]:
    """The printed lines as ``(align, text)`` and the key values."""
    company = f"{rng.choice(SHOPS)} {rng.choice(SUFFIXES)}".strip()
    postcode, town, state = rng.choice(TOWNS)
    street = f"NO {rng.randint(1, 99)}, {rng.choice(STREETS)} {rng.randint(1, 9)},"
    area = f"{rng.choice(AREAS)},"
    last = f"{postcode} {town}" + (f", {state}." if state else ".")
    address = [street, area, last]
    day, month, year = rng.randint(1, 28), rng.randint(1, 12), rng.choice((2017, 2018))
    date = rng.choice(
        (f"{day:02d}/{month:02d}/{year}", f"{day:02d}-{month:02d}-{year}",
         f"{day:02d} {MONTHS[month - 1]} {year}", f"{day:02d}/{month:02d}/{year % 100:02d}")
    )  # fmt: skip
    items = [
        (rng.choice(ITEMS), rng.randint(1, 3), rng.randint(80, 4500) / 100)
        for _ in range(rng.randint(2, 6))
    ]
    subtotal = round(sum(q * p for _, q, p in items), 2)
    tax = round(subtotal * 0.06, 2)
    total = round(subtotal + tax, 2)
    cash = float(int(total // 10 + 1) * 10)
    centre = rng.random() < 0.7
    head = "c" if centre else "l"
    lines = [
        (head, company),
        (head, f"({rng.randint(100000, 999999)}-{rng.choice('ADHKMPTUVWX')})"),
    ]
    lines += [(head, part) for part in address]
    lines.append((head, f"TEL: 0{rng.randint(3, 9)}-{rng.randint(1000000, 9999999)}"))
    lines += [("c", "TAX INVOICE"), ("l", f"INVOICE NO: {rng.randint(10000, 99999)}")]
    lines.append(("l", f"DATE: {date}  {rng.randint(8, 22):02d}:{rng.randint(0, 59):02d}"))
    lines.append(("l", "-" * 36))
    for name, qty, price in items:
        lines.append(("lr", f"{qty} X {name}|{qty * price:.2f}"))
    lines.append(("l", "-" * 36))
    prefix = "RM " if rng.random() < 0.5 else ""
    lines += [("lr", f"SUB TOTAL|{subtotal:.2f}"), ("lr", f"GST 6%|{tax:.2f}")]
    lines.append(("lr", f"TOTAL{' (RM)' if not prefix else ''}|{prefix}{total:.2f}"))
    lines += [("lr", f"CASH|{cash:.2f}"), ("lr", f"CHANGE|{cash - total:.2f}")]
    lines += [("c", "THANK YOU, PLEASE COME AGAIN")]
    keys = {"company": company, "date": date, "address": " ".join(address), "total": f"{total:.2f}"}
    return lines, keys


def render_receipt(seed: int) -> SyntheticReceipt:
    """Draw receipt number ``seed``: a shop header, address, date, items and totals."""
    rng = random.Random(seed)
    lines, keys = _content(rng)
    size = rng.choice((17, 18, 19))
    font = mono_font(size)
    step = int(size * rng.uniform(1.45, 1.7))
    height = MARGIN * 2 + step * len(lines)
    img = Image.new("RGB", (WIDTH, height), (252, 252, 248))
    draw = ImageDraw.Draw(img)
    boxes = []
    y = MARGIN
    for align, text in lines:
        parts = [(text, "c" if align == "c" else "l")]
        if align == "lr":
            left, right = text.split("|")
            parts = [(left, "l"), (right, "r")]
        for part, where in parts:
            x0, y0, x1, y1 = draw.textbbox((0, 0), part, font=font)
            x = {"l": MARGIN, "r": WIDTH - MARGIN - x1, "c": (WIDTH - x1) // 2}[where]
            draw.text((x, y), part, fill=(20, 20, 24), font=font)
            boxes.append(((int(x + x0), int(y + y0), int(x + x1), int(y + y1)), part))
        y += step
    return SyntheticReceipt(np.asarray(img), tuple(boxes), keys)


def write_receipts(folder: str | os.PathLike, count: int, first_seed: int = 0) -> Path:
    """Write ``count`` receipts (seeds ``first_seed``...) in the SROIE folder layout.

    Files already there are kept (same seed, same receipt), so a second call is free.
    """
    root = Path(folder)
    for sub in ("boxes", "images", "keys"):
        (root / sub).mkdir(parents=True, exist_ok=True)
    for n in range(count):
        name = f"{n:03d}"
        if (root / "keys" / f"{name}.json").is_file():
            continue
        receipt = render_receipt(first_seed + n)
        Image.fromarray(receipt.image).save(root / "images" / f"{name}.jpg", quality=92)
        rows = [
            f"{x0},{y0},{x1},{y0},{x1},{y1},{x0},{y1},{text}"
            for (x0, y0, x1, y1), text in receipt.lines
        ]
        (root / "boxes" / f"{name}.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
        # keys last: their presence marks a complete receipt
        (root / "keys" / f"{name}.json").write_text(
            json.dumps(receipt.keys, indent=1), encoding="utf-8"
        )
    return root


def synthetic_dir() -> Path:
    """Where rendered receipts live: ``$XDG_CACHE_HOME/ovocr/receipts`` (``~/.cache``)."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base).expanduser() / "ovocr" / "receipts"


def receipt_folders(
    n_train: int = 100, n_test: int = 50, real: bool = True
) -> tuple[Path, Path, bool]:
    """``(train, test, is_real)``: SROIE's folders when asked for and present, else drawn ones.

    With ``real`` (default) and ``sroie_train`` / ``sroie`` in ``shared_data_dir()``, those
    folders are returned. Otherwise ``n_train`` and ``n_test`` receipts are drawn into
    :func:`synthetic_dir` (test seeds follow the training ones, so no test receipt is a
    training receipt).
    """
    data = shared_data_dir()
    if real and data is not None and (data / "sroie_train").is_dir() and (data / "sroie").is_dir():
        return data / "sroie_train", data / "sroie", True
    root = synthetic_dir()
    train = write_receipts(root / f"train-{n_train}", n_train, 0)
    test = write_receipts(root / f"test-{n_test}", n_test, 10_000)
    return train, test, False
