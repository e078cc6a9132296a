"""Layout and content features of the text lines of a page, for the region classifier.

One row of numbers per ``Line`` of an ``ovocr`` ``Page``, in named groups:

- :data:`LAYOUT_FEATURES`: where the line sits (relative position and size, which
  visual row from the top and bottom), with no look at its text: the layout-only
  baseline learns from these alone.
- :data:`SHAPE_FEATURES`: what its characters look like (digits, capitals, a date, a
  time, a money amount, the largest amount of the page): document knowledge that holds
  for any language of dates and numbers, no vocabulary.
- :data:`RELATION_FEATURES`: its neighbours' position (gaps to the line left of it and
  above it) and whether it or they end with a colon, as labels do ("DATE:").
- :data:`RECEIPT_FEATURES`: the optional **receipt prior** (``prior="receipts"``),
  hand-written Malaysian receipt vocabulary (``KEYWORDS``: TOTAL, JALAN, SDN BHD...)
  on the line, its row and the rows around it. A model uses it only when asked.

The words themselves are learnt from the user's annotations (``ovocr.regions.text``),
not listed here. Plain NumPy and ``re``: the same code runs at training and inference.

Photos are tilted: :func:`upright` first turns the page so that its text lines run level
(the median angle of the detected lines) and groups them into rows again, and positions
are measured within the text's own extent, not the image's, so a margin of table around
a photographed receipt does not move them. Explained in 06-custom-text-regions.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence

import numpy as np

from ..builder import reading_order
from ..types import Line, Page, Word

# Day-month-year (a glued time may follow: OCR often drops the space), year-month-day,
# "22 MAR 2018", "2-Dec-97" and "20180304".
_YEAR = r"(?:(?:19|20)\d{2}|\d{2})(?=\D|$|\d{1,2}:\d{2})"
DATE = re.compile(
    rf"(?<!\d)(\d{{1,2}}[/.-]\d{{1,2}}[/.-]{_YEAR}|(?:19|20)\d{{2}}[/.-]\d{{1,2}}[/.-]\d{{1,2}}(?!\d)"
    r"|\d{1,2}[\s.-]{0,2}(JAN|FEB|MAR|APR|MAY|JUN|JUL|AUG|SEP|OCT|NOV|DEC)[A-Z]*\.?[\s.-]{0,2}"
    r"(\d{4}|\d{2})\b"
    r"|20\d{2}(0[1-9]|1[0-2])(0[1-9]|[12]\d|3[01])(?!\d))",
    re.IGNORECASE,
)
TIME = re.compile(r"\b\d{1,2}:\d{2}(:\d{2})?\b")
AMOUNT = re.compile(r"(?<![\d.])\d{1,3}(?:,\d{3})*\.\d{2}(?![\d.])|(?<![\d.,])\d+\.\d{2}(?![\d.])")
POSTCODE = re.compile(r"(?<!\d)\d{5}(?!\d)")
REGISTRATION = re.compile(r"\(?\s*\d{4,}\s*-?\s*[A-Z]\s*\)?$")
KEYWORDS = {
    "total": r"TOTAL|JUMLAH|AMOUNT DUE|NETT|GRAND",
    "subtotal": r"SUB\s*-?\s*TOTAL",
    "cash": r"CASH|CHANGE|TENDER|PAID|CARD|VISA|MASTER|BALANCE",
    "tax": r"GST|TAX|SST|SERVICE|SR\b|ZR\b",
    "rounding": r"ROUND|ADJ",
    "company": r"SDN|BHD|S/B|ENTERPRISE|TRADING|RESTAURANT|RESTORAN|STORE|MART|CO\.|"
    r"HARDWARE|STATIONERY|BAKER|MARKET|CAFE|SHOP|KEDAI|PERNIAGAAN|BOOK|HOLDINGS|GROUP",
    "address": r"JALAN|JLN|TAMAN|TMN|LOT|BANDAR|KAWASAN|PERSIARAN|LORONG|BLOK|BLOCK|"
    r"SEKSYEN|LEBUH|PUSAT|PLAZA|FLOOR|FLR|KUALA|LUMPUR|SELANGOR|JOHOR|BAHRU|PAHANG|PERAK|"
    r"KEDAH|MELAKA|PENANG|PINANG|SABAH|SARAWAK|NEGERI|KELANTAN|TERENGGANU|MALAYSIA|NO\.?\s?\d",
    "phone": r"TEL|FAX|PHONE|H/P|HP\b|CONTACT|EMAIL|WWW|HTTP",
    "registration": r"GST\s*(ID|REG|NO)|REG\.?\s*NO|CO\.?\s*REG|COMPANY NO|ROC",
    "date_word": r"DATE|TARIKH|TIME",
    "document": r"INVOICE|RECEIPT|BILL|CASHIER|TABLE|ORDER|SLIP|QTY|ITEM|DESCRIPTION|PRICE",
    "thanks": r"THANK|WELCOME|PLEASE|GOODS|RETURN|EXCHANGE|REFUND",
    "currency": r"RM|MYR|\$",
}
_KEYWORD_RES = {k: re.compile(v) for k, v in KEYWORDS.items()}
ROW_CONTEXT = ("total", "subtotal", "cash", "tax", "rounding", "date_word")
NEIGHBOUR_CONTEXT = ("company", "address", "phone", "registration", "total", "rounding")

# Where a line is, with no look at its text.
LAYOUT_FEATURES: tuple[str, ...] = (
    ("center_row", "center_col", "left_col", "right_col", "width", "height_ratio", "taller_share")
    + ("row_from_top", "row_from_bottom", "row_fraction", "lines_in_row", "is_first_in_row")
    + ("is_last_in_row",)
    # headings: size against the page's largest line, lines as tall above it, off-centre
    + ("height_of_max", "as_tall_above", "off_centre")
)
SHAPE_FEATURES: tuple[str, ...] = (
    ("chars_log", "digits", "letters", "upper", "spaces", "confidence")
    + ("has_date", "has_time", "has_amount", "is_max_amount")
    + ("amount_repeats", "amount_fraction", "first_date")
)
RELATION_FEATURES: tuple[str, ...] = (
    "left_gap",
    "right_gap",
    "above_gap",
    "below_gap",
    "ends_colon",
    "left_ends_colon",
    "above_ends_colon",
)
RECEIPT_FEATURES: tuple[str, ...] = (
    ("is_max_total_amount", "is_last_total_row", "has_postcode", "ends_registration")
    + tuple(f"kw_{k}" for k in KEYWORDS)
    + tuple(f"row_{k}" for k in ROW_CONTEXT)
    + tuple(f"above_{k}" for k in NEIGHBOUR_CONTEXT)
    + tuple(f"below_{k}" for k in NEIGHBOUR_CONTEXT)
)
# Features every model may use, with no knowledge of a document type.
GENERIC_FEATURES: tuple[str, ...] = LAYOUT_FEATURES + SHAPE_FEATURES + RELATION_FEATURES
# Named, optional priors: hand-written knowledge of one document type, used when asked.
PRIORS: dict[str, tuple[str, ...]] = {"receipts": RECEIPT_FEATURES}
FEATURE_NAMES: tuple[str, ...] = GENERIC_FEATURES + RECEIPT_FEATURES
# Gaps are measured in median line heights and capped here.
MAX_GAP = 10.0


def features_for(prior: str | None = None) -> tuple[str, ...]:
    """The generic features, plus those of the named ``prior`` (``"receipts"``).

    >>> len(features_for("receipts")) - len(features_for())
    35
    """
    if prior is None:
        return GENERIC_FEATURES
    if prior not in PRIORS:
        raise ValueError(f"unknown prior {prior!r}: expected one of {sorted(PRIORS)}")
    return GENERIC_FEATURES + PRIORS[prior]


def amounts_in(text: str) -> list[float]:
    """Money amounts with two decimals in ``text`` (``1,234.50`` -> 1234.5)."""
    return [float(m.replace(",", "")) for m in AMOUNT.findall(text)]


def keyword_flags(text: str) -> dict[str, float]:
    """1.0 for every keyword group of :data:`KEYWORDS` found in the upper-cased text."""
    upper = text.upper()
    flags = {k: float(bool(r.search(upper))) for k, r in _KEYWORD_RES.items()}
    if flags["subtotal"]:
        flags["total"] = float(
            bool(_KEYWORD_RES["total"].search(re.sub(KEYWORDS["subtotal"], "", upper)))
        )
    return flags


def tilt_degrees(page: Page) -> float:
    """Median angle of the page's long text lines in degrees (positive: clockwise)."""
    angles, weights = [], []
    for line in page.lines:
        if line.quad is None:
            continue
        (ax, ay), (bx, by) = line.quad[0], line.quad[1]
        x0, y0, x1, y1 = line.bounds
        if x1 - x0 > 2 * (y1 - y0) and bx != ax:
            angles.append(math.degrees(math.atan2(by - ay, bx - ax)))
            weights.append(x1 - x0)
    if not angles:
        return 0.0
    order = np.argsort(angles)
    cumulative = np.cumsum(np.array(weights)[order])
    return float(np.array(angles)[order][np.searchsorted(cumulative, cumulative[-1] / 2)])


def _turn(quad: tuple, cos: float, sin: float, cx: float, cy: float) -> tuple:
    return tuple(
        (cx + (x - cx) * cos + (y - cy) * sin, cy - (x - cx) * sin + (y - cy) * cos)
        for x, y in quad
    )


def upright(page: Page, min_degrees: float = 0.3) -> tuple[Page, list[int]]:
    """The page turned so its lines run level, with rows grouped again, and for each of
    its lines the index of the same line in ``page``.

    Below ``min_degrees`` of tilt the page is kept as it is (scans).

    Example:
        >>> w = Word("TOTAL 9.00", 0.9, ((10, 50), (90, 50), (90, 60), (10, 60)))
        >>> upright(Page(100, 100, (Line((w,)),)))[1]
        [0]
    """
    angle = tilt_degrees(page)
    if abs(angle) < min_degrees:
        return page, list(range(len(page.lines)))
    cos, sin = math.cos(math.radians(angle)), math.sin(math.radians(angle))
    cx, cy = page.width / 2, page.height / 2
    turned = [
        Line(
            tuple(Word(w.text, w.confidence, _turn(w.quad, cos, sin, cx, cy)) for w in line.words),
            _turn(line.quad, cos, sin, cx, cy) if line.quad is not None else None,
        )
        for line in page.lines
    ]
    ordered, rows = reading_order(turned)
    index = {id(line): i for i, line in enumerate(turned)}
    return Page(page.width, page.height, tuple(ordered), tuple(rows)), [
        index[id(line)] for line in ordered
    ]


def _row_of(page: Page) -> tuple[list[tuple[int, ...]], list[int]]:
    rows = list(page.rows) or [(i,) for i in range(len(page.lines))]
    row_of = [0] * len(page.lines)
    for r, members in enumerate(rows):
        for i in members:
            row_of[i] = r
    return rows, row_of


def chosen_features(page: Page, names: Sequence[str]) -> np.ndarray:
    """``page_features`` of ``names`` only, as float64 (a model's input columns, in
    training and in reading alike); the receipt prior is computed only when named."""
    columns = [FEATURE_NAMES.index(name) for name in names]
    receipts = any(name in RECEIPT_FEATURES for name in names)
    return page_features(page, receipts)[:, columns].astype(np.float64)


def page_features(page: Page, receipts: bool = True) -> np.ndarray:
    """A ``(len(page.lines), len(FEATURE_NAMES))`` float32 matrix, one row per line.

    Positions are fractions of the extent of the page's text (pass an :func:`upright`
    page for photos). With ``receipts=False`` the columns of :data:`RECEIPT_FEATURES`
    stay zero (a model without the receipt prior does not pay for them).

    Example:
        >>> from ovocr.types import Line, Word
        >>> w = Word("TOTAL 9.00", 0.9, ((10, 50), (90, 50), (90, 60), (10, 60)))
        >>> page_features(Page(100, 100, (Line((w,)),))).shape == (1, len(FEATURE_NAMES))
        True
    """
    n = len(page.lines)
    out = np.zeros((n, len(FEATURE_NAMES)), dtype=np.float32)
    if n == 0:
        return out
    rows, row_of = _row_of(page)
    texts = [line.text for line in page.lines]
    amounts = [amounts_in(t) for t in texts]
    all_amounts = [a for line in amounts for a in line]
    top_amount = max(all_amounts, default=0.0)
    bounds = np.array([line.bounds for line in page.lines], dtype=np.float64)
    left, top = bounds[:, 0].min(), bounds[:, 1].min()
    span_x = max(bounds[:, 2].max() - left, 1.0)
    span_y = max(bounds[:, 3].max() - top, 1.0)
    heights = bounds[:, 3] - bounds[:, 1]
    median_height = float(np.median(heights)) or 1.0
    row_index = np.array(row_of)
    # How many lines of earlier rows are at least 0.9 as tall: 0 for the first big line.
    earlier = row_index[None, :] < row_index[:, None]
    as_tall = (heights[None, :] >= 0.9 * heights[:, None]) & earlier
    as_tall_above = np.minimum(as_tall.sum(axis=1), 5) / 5
    taller_share = (heights[None, :] > 1.2 * heights[:, None]).mean(axis=1)
    centre_x = (left + bounds[:, 2].max()) / 2
    boxes = bounds.tolist()  # Python floats: the loop below reads them one at a time
    tallest = max(float(heights.max()), 1.0)
    prior = _receipt_prior(rows, row_of, texts, amounts) if receipts else None
    first_date = next((i for i, t in enumerate(texts) if DATE.search(t)), -1)
    last_row = max(len(rows) - 1, 1)
    colon = [t.rstrip().endswith(":") for t in texts]
    for i, line in enumerate(page.lines):
        x0, y0, x1, y1 = boxes[i]
        text = texts[i]
        r = row_of[i]
        members = rows[r]
        letters = sum(map(str.isalpha, text))
        chars = max(len(text), 1)
        own = amounts[i]
        at = members.index(i)
        left_of = members[at - 1] if at > 0 else None
        right_of = members[at + 1] if at + 1 < len(members) else None
        above = _nearest(boxes, i, rows[r - 1]) if r > 0 else None
        below = _nearest(boxes, i, rows[r + 1]) if r + 1 < len(rows) else None

        def gap(distance: float) -> float:
            return min(max(distance, 0.0) / median_height, MAX_GAP)

        values = [
            ((y0 + y1) / 2 - top) / span_y,
            ((x0 + x1) / 2 - left) / span_x,
            (x0 - left) / span_x,
            (x1 - left) / span_x,
            (x1 - x0) / span_x,
            (y1 - y0) / median_height,
            taller_share[i],
            min(r, 10) / 10,
            min(len(rows) - 1 - r, 10) / 10,
            r / last_row,
            len(members),
            float(members[0] == i),
            float(members[-1] == i),
            (y1 - y0) / tallest,
            as_tall_above[i],
            abs((x0 + x1) / 2 - centre_x) / span_x,
            # shape
            np.log1p(len(text)),
            sum(map(str.isdigit, text)) / chars,
            letters / chars,
            sum(map(str.isupper, text)) / max(letters, 1),
            text.count(" ") / chars,
            line.confidence,
            float(bool(DATE.search(text))),
            float(bool(TIME.search(text))),
            float(bool(own)),
            float(bool(own) and max(own) == top_amount),
            sum(all_amounts.count(a) for a in set(own)) / max(len(all_amounts), 1),
            max(own, default=0.0) / top_amount if top_amount else 0.0,
            float(i == first_date),
            # relations
            gap(x0 - boxes[left_of][2]) if left_of is not None else MAX_GAP,
            gap(boxes[right_of][0] - x1) if right_of is not None else MAX_GAP,
            gap(y0 - boxes[above][3]) if above is not None else MAX_GAP,
            gap(boxes[below][1] - y1) if below is not None else MAX_GAP,
            float(colon[i]),
            float(left_of is not None and colon[left_of]),
            float(above is not None and colon[above]),
        ]
        out[i, : len(values)] = values
        if prior is not None:
            out[i, len(values) :] = prior[i]
    return out


def _receipt_prior(
    rows: list[tuple[int, ...]],
    row_of: list[int],
    texts: list[str],
    amounts: list[list[float]],
) -> list[list[float]]:
    """The :data:`RECEIPT_FEATURES` of every line (the receipt prior)."""
    n = len(texts)
    flags = [keyword_flags(t) for t in texts]
    row_flags = [{k: max(flags[i][k] for i in members) for k in KEYWORDS} for members in rows]
    total_rows = {r for r, f in enumerate(row_flags) if f["total"]}
    total_amounts = [a for i in range(n) if row_of[i] in total_rows for a in amounts[i]]
    top_total = max(total_amounts, default=0.0)
    last_total_row = max(
        (row_of[i] for i in range(n) if row_of[i] in total_rows and amounts[i]), default=-1
    )
    out = []
    for i, text in enumerate(texts):
        r, own = row_of[i], amounts[i]
        members = rows[r]
        out.append(
            [
                float(bool(own) and r in total_rows and max(own) == top_total),
                float(bool(own) and r == last_total_row),
                float(bool(POSTCODE.search(text))),
                float(bool(REGISTRATION.search(text.upper()))),
                *(flags[i][k] for k in KEYWORDS),
                *(
                    max(flags[j][k] for j in members if j != i) if len(members) > 1 else 0.0
                    for k in ROW_CONTEXT
                ),
                *(row_flags[r - 1][k] if r > 0 else 0.0 for k in NEIGHBOUR_CONTEXT),
                *(row_flags[r + 1][k] if r + 1 < len(rows) else 0.0 for k in NEIGHBOUR_CONTEXT),
            ]
        )
    return out


def _nearest(boxes: list[list[float]], i: int, row: tuple[int, ...]) -> int:
    """The line of ``row`` that overlaps line ``i`` most horizontally (else the nearest)."""
    x0, x1 = boxes[i][0], boxes[i][2]
    return max(row, key=lambda j: min(x1, boxes[j][2]) - max(x0, boxes[j][0]))
