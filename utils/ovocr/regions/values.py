"""Cut a field's value out of the text read in its region, by the kind of the concept.

A region is a whole text line or block; the value is often a part of it (the date in
``DATE: 25/12/2018 8:13 PM``, the amount in ``TOTAL RM 9.00``). Kinds:

- ``text``: the text, whitespace collapsed.
- ``name``: the text without a trailing company registration number such as ``(519537-X)``.
- ``date``: the first date (``25/12/2018``, ``2018-03-23``, ``22 MAR 2018``, ``20180304``).
- ``amount``: the last money amount with two decimals, with a ``$`` written against it
  (``$8.20``) kept, as SROIE's key files keep it.

Explained in 06-custom-text-regions.
"""

from __future__ import annotations

import re

from .features import AMOUNT, DATE, REGISTRATION

KINDS = ("text", "name", "date", "amount")


def normalize_space(text: str) -> str:
    """Collapse runs of whitespace into one space and strip the ends."""
    return re.sub(r"\s+", " ", text).strip()


def extract_value(kind: str, text: str) -> str:
    """The value of a field of ``kind`` in ``text``; empty when none is found.

    Example:
        >>> extract_value("date", "DATE: 25/12/2018 8:13:39 PM")
        '25/12/2018'
        >>> extract_value("amount", "TOTAL ROUNDED RM 33.90")
        '33.90'
        >>> extract_value("name", "99 SPEED MART S/B (519537-X)")
        '99 SPEED MART S/B'
    """
    text = normalize_space(text)
    if kind == "text":
        return text
    if kind == "name":
        return normalize_space(REGISTRATION.sub("", text))
    if kind == "date":
        match = DATE.search(text)
        return match.group(0) if match else ""
    if kind == "amount":
        found = list(AMOUNT.finditer(text))
        if not found:
            return ""
        last = found[-1]
        dollar = last.start() > 0 and text[last.start() - 1] == "$"
        return ("$" if dollar else "") + last.group(0)
    raise ValueError(f"unknown value kind {kind!r}: expected one of {KINDS}")
