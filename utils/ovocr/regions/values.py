"""Cut a field's value out of the text read in its region, by the kind of the concept.

A region is a whole text line or block; the value is often a part of it (the date in
``DATE: 25/12/2018 8:13 PM``, the amount in ``TOTAL RM 9.00``). Kinds, and why each rule
exists (every rule was kept only if it raised the cross-validated F1 on the training
receipts, ``benchmarks/fields.py --cv``):

- ``text``: the text, whitespace collapsed.
- ``name`` (company): the text up to and including a legal suffix (``SDN BHD``,
  ``S/B``, ``BERHAD``), without a registration number such as ``(519537-X)``: receipts print the
  branch or a slogan after the legal name, key files keep the name only. ``SON BHD`` is
  read back as ``SDN BHD`` (the OCR's most frequent slip on that suffix).
- ``address``: the lines joined in reading order, with digit look-alikes fixed inside
  numbers (``4560O`` -> ``45600``; not B or S, which follow numbers as block letters)
  and a zero inside a word read
  as O (``JOH0R`` -> ``JOHOR``): a postcode is all digits, a town name all letters.
  A full stop between two words (``33. JALAN``, not ``NO. 5``) becomes a comma:
  the OCR reads the commas of small receipt print as full stops.
- ``date``: the first date, in its printed form (``25/12/2018``, ``2018-03-23``,
  ``22 MAR 2018``, ``20180304``): key files copy the receipt, they do not reformat it.
- ``amount``: the last money amount with two decimals, with a ``$`` written against it
  (``$8.20``) kept, as SROIE's key files keep it; ``S8.20`` is a ``$`` the OCR read as S.
  A currency word (``RM 10.60``, ``RM10.60``) is read through but not kept: the training
  keys write ``RM`` on 1 of the 14 receipts that print it against the total.

Explained in 07-reading-fields.
"""

from __future__ import annotations

import re

from .features import AMOUNT, DATE, REGISTRATION

KINDS = ("text", "name", "address", "date", "amount")
SUFFIX = re.compile(r"\b(SDN\.?\s*BHD\.?|S/B|BHD\.?|BERHAD)(?=\s|$)", re.I)
# Only letters that are never a unit or block letter after a number (118B, 1851-A are).
_DIGIT_LOOKALIKES = str.maketrans("OoIl|", "00111")
# A full stop between two words of an address (not NO. 5) is a comma the OCR misread.
# A date written month first, as forms and letters do: "March 23, 1995", "Sept. 2nd 1995".
MONTH_FIRST = re.compile(
    r"\b(?:JAN|FEB|MAR|APR|MAY|JUN|JUL|AUG|SEP|OCT|NOV|DEC)[A-Z]*\.?\s*"
    r"\d{1,2}(?:ST|ND|RD|TH)?(?:,\s*|\s+)(?:(?:19|20)\d{2}|\d{2})(?!\d)",
    re.IGNORECASE,
)
_FULL_STOP = re.compile(r"(?<!\bNO)(?<=[A-Za-z0-9]{2})\.(?=\s?[A-Za-z0-9]{2})", re.I)


def normalize_space(text: str) -> str:
    """Collapse runs of whitespace into one space and strip the ends."""
    return re.sub(r"\s+", " ", text).strip()


def fix_token(token: str) -> str:
    """A number with a letter look-alike in it (``4560O``) as digits; a word with a zero
    in it (``JOH0R``) with an O. Parts between ``-``, ``/``, ``,``... are fixed alone.

    >>> fix_token("4560O,"), fix_token("JOH0R"), fix_token("7/118B"), fix_token("1851-B")
    ('45600,', 'JOHOR', '7/118B', '1851-B')
    """
    return re.sub(r"[A-Za-z0-9|]+", lambda m: _fix_part(m.group(0)), token)


def _fix_part(part: str) -> str:
    digits = sum(c.isdigit() for c in part)
    others = [c for c in part if not c.isdigit()]
    number_like = len(part) >= 4 and digits >= 3 and len(others) <= len(part) // 3
    if number_like and all(c in "OoIl|" for c in others):
        return part.translate(_DIGIT_LOOKALIKES)
    if len(part) >= 4 and digits == 1 and "0" in part and part.isalnum():
        return part.replace("0", "O")
    return part


def clean_address(text: str) -> str:
    """An address in the form the key files write it (see the module docstring).

    >>> clean_address("NO.32 & 33. JALAN SR 1/9, SEKSYEN 19. 4560O KAJANG")
    'NO.32 & 33, JALAN SR 1/9, SEKSYEN 19, 45600 KAJANG'
    """
    text = " ".join(fix_token(t) for t in normalize_space(text).split(" "))
    return _FULL_STOP.sub(",", text)


def clean_name(text: str) -> str:
    """A company name without what receipts print after it (see the module docstring)."""
    text = re.sub(r"\bSON\s+BHD\b", "SDN BHD", normalize_space(text), flags=re.I)
    text = normalize_space(REGISTRATION.sub("", text))
    found = list(SUFFIX.finditer(text))
    if found and found[-1].end() < len(text):
        text = text[: found[-1].end()]
    return normalize_space(REGISTRATION.sub("", text))


def extract_value(kind: str, text: str) -> str:
    """The value of a field of ``kind`` in ``text``; empty when none is found.

    Example:
        >>> extract_value("date", "DATE: 25/12/2018 8:13:39 PM")
        '25/12/2018'
        >>> extract_value("date", "DATE: March 23, 1995")
        'March 23, 1995'
        >>> extract_value("amount", "TOTAL ROUNDED RM 33.90")
        '33.90'
        >>> extract_value("name", "99 SPEED MART S/B (519537-X)")
        '99 SPEED MART S/B'
    """
    text = normalize_space(text)
    if kind == "text":
        return text
    if kind == "name":
        return clean_name(text)
    if kind == "address":
        return clean_address(text)
    if kind == "date":
        found = [m for m in (DATE.search(text), MONTH_FIRST.search(text)) if m]
        return min(found, key=lambda m: m.start()).group(0) if found else ""
    if kind == "amount":
        found = list(AMOUNT.finditer(text))
        if not found:
            return ""
        last = found[-1]
        before = text[last.start() - 1] if last.start() > 0 else ""
        glued_s = before == "S" and (last.start() < 2 or not text[last.start() - 2].isalpha())
        return ("$" if before == "$" or glued_s else "") + last.group(0)
    raise ValueError(f"unknown value kind {kind!r}: expected one of {KINDS}")
