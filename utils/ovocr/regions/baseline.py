"""The no-training baseline for receipts: generic OCR of the whole page + simple rules.

What a programmer writes in an afternoon without labelled data, to measure what training
buys (07-reading-fields compares both):

- ``company``: the first of the top ``TOP_ROWS`` rows with a company word (SDN BHD,
  ENTERPRISE, TRADING...), else the first row.
- ``address``: the rows after the company, up to ``ADDRESS_ROWS`` of them, stopping at a
  row with a phone, registration, date or document word.
- ``date``: the first line that holds a date.
- ``total``: the largest amount on a row with the word TOTAL (not SUBTOTAL), else the
  largest amount on the page.
"""

from __future__ import annotations

from ..types import Page
from .annotations import Region, RelBox, union_box
from .features import DATE, amounts_in, keyword_flags

TOP_ROWS = 4
ADDRESS_ROWS = 5
STOP = ("phone", "registration", "date_word", "document", "total", "cash")


def baseline_regions(page: Page) -> list[Region]:
    """Regions for ``company``, ``address``, ``date`` and ``total`` found by the rules."""
    rows = list(page.rows) or [(i,) for i in range(len(page.lines))]
    texts = [" ".join(page.lines[i].text for i in row) for row in rows]
    flags = [keyword_flags(t) for t in texts]

    def region(concept: str, row_indices: list[int]) -> Region:
        lines = [page.lines[i] for r in row_indices for i in rows[r]]
        box = union_box(RelBox.from_line(ln, page.width, page.height) for ln in lines)
        return Region(concept, box, 1.0, " ".join(texts[r] for r in row_indices))

    out: list[Region] = []
    if not rows:
        return out
    company = next((r for r in range(min(TOP_ROWS, len(rows))) if flags[r]["company"]), 0)
    out.append(region("company", [company]))
    address = []
    for r in range(company + 1, min(company + 1 + ADDRESS_ROWS, len(rows))):
        if any(flags[r][k] for k in STOP) or DATE.search(texts[r]):
            break
        address.append(r)
    if address:
        out.append(region("address", address))
    dated = next((r for r, t in enumerate(texts) if DATE.search(t)), None)
    if dated is not None:
        out.append(region("date", [dated]))
    totals = [(a, r) for r, t in enumerate(texts) if flags[r]["total"] for a in amounts_in(t)]
    if not totals:
        totals = [(a, r) for r, t in enumerate(texts) for a in amounts_in(t)]
    if totals:
        amount, r = max(totals)
        found = region("total", [r])
        out.append(Region("total", found.box, 1.0, f"{amount:.2f}"))
    return out
