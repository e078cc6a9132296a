"""Reading text right: lost spaces, Unicode look-alikes, alphabets, vertical crops.

The PP-OCR recognisers read Chinese and English with one dictionary of about 18,000
characters, and that shows on English text in three ways, each handled here:

* **Lost spaces.** Between two words the blank and the space class compete; greedy CTC keeps
  the blank when it wins narrowly, and "BURGER KING" comes out as "BURGERKING".
  ``recover_spaces`` puts a space back where the space class was likely enough.
* **Full-width look-alikes.** ``，：（）`` and friends are separate classes of the dictionary.
  ``normalize_text`` maps them to ASCII (Unicode NFKC plus ``ASCII_TWINS``).
* **Chinese characters and stray accents on English text.** Dot-matrix asterisks read as
  本 or 家, "Cafe" as "Café". An alphabet masks the other classes before the best class is
  taken: ``"english"`` keeps printable ASCII (the dictionary of PaddleOCR's English
  model), ``"latin"`` also accented letters. ``"auto"`` (the default of the PP-OCR models)
  re-reads in English only the lines that are mostly English already, so Chinese lines
  still read as Chinese.

``TextRules`` bundles the three for one recogniser; ``TextRecognizer.decode`` calls it
and gets each character's probability back too (``char_probabilities``).
Every function keeps one CTC time step per output character, so word boxes can still be
cut at the spaces (``ovocr.builder.split_words``).

A fourth rule is for crops given directly (``ovocr recognize``): a crop much taller than
wide usually holds a word turned by 90 degrees, one way or the other. ``read_upright``
reads such crops turned both ways as well and keeps the most confident reading.

Explained in 10-improving-accuracy.

Example:
    >>> text = "TOTAL：１２.５０"
    >>> normalize_text(text, range(len(text)))[0]
    'TOTAL:12.50'
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

import numpy as np

from .geometry import VERTICAL_RATIO, is_vertical

# A blank run whose space probability peaks above this becomes a space (10-improving-accuracy).
SPACE_THRESHOLD = 0.25
# Characters NFKC leaves alone whose ASCII twin English text uses: CJK punctuation,
# typographic quotes and dashes, and the multiplication sign receipts print for "x".
ASCII_TWINS = {
    "。": ".",
    "、": ",",
    "「": '"',
    "」": '"',
    "『": '"',
    "』": '"',
    "【": "[",
    "】": "]",
    "〔": "(",
    "〕": ")",
    "〈": "<",
    "〉": ">",
    "《": "<",
    "》": ">",
    "～": "~",
    "‘": "'",
    "’": "'",
    "“": '"',
    "”": '"',
    "–": "-",
    "—": "-",
    "−": "-",
    "×": "x",
}
# Unicode blocks a Latin-script text is written with: ASCII, Latin-1, Latin Extended-A/B,
# general punctuation (dashes, quotes, ellipsis), currency signs, full-width ASCII forms.
LATIN_RANGES = (
    (0x20, 0x7E),
    (0xA0, 0x24F),
    (0x2010, 0x2027),
    (0x20A0, 0x20BF),
    (0xFF01, 0xFF5E),
)
# With alphabet="auto", a line is re-read in English when fewer than this share of its
# characters are not English: a few Chinese characters among English ones are misreadings.
AUTO_SHARE = 0.5

Decoder = Callable[[np.ndarray, Sequence[str]], tuple[str, float, np.ndarray]]


class Decoded(NamedTuple):
    """One crop's reading after the text rules.

    Attributes:
        text: the characters.
        confidence: mean probability of the characters the decoder emitted (spaces put
            back by ``recover_spaces`` do not count).
        steps: the time step of each character of ``text``.
        char_confidences: the probability of each character of ``text`` at its step.
    """

    text: str
    confidence: float
    steps: np.ndarray
    char_confidences: np.ndarray


def is_latin(char: str) -> bool:
    """True when every code point of ``char`` lies in ``LATIN_RANGES``.

    >>> is_latin("é"), is_latin("€"), is_latin("本"), is_latin("→")
    (True, True, False, False)
    """
    return bool(char) and all(any(lo <= ord(c) <= hi for lo, hi in LATIN_RANGES) for c in char)


def is_english(char: str) -> bool:
    """True for printable ASCII (and its full-width forms, which normalise to ASCII).

    >>> is_english("a"), is_english("，"), is_english("é"), is_english("本")
    (True, True, False, False)
    """
    return bool(char) and all(0x20 <= ord(c) <= 0x7E or 0xFF01 <= ord(c) <= 0xFF5E for c in char)


ALPHABETS: dict[str, Callable[[str], bool]] = {"english": is_english, "latin": is_latin}


def stray_characters(text: str, allowed: Callable[[str], bool] = is_english) -> bool:
    """True when a few characters of ``text`` are not ``allowed``, but fewer than
    ``AUTO_SHARE`` of its non-space characters: an English line with misread strays.

    >>> [stray_characters(t) for t in ("GST Sum阳ary", "Café", "GST Summary", "罗汉果 LUO")]
    [True, True, False, False]
    """
    chars = [c for c in text if not c.isspace()]
    foreign = sum(not allowed(c) for c in chars)
    return 0 < foreign < AUTO_SHARE * len(chars)


def alphabet_mask(charset: Sequence[str], alphabet: str | None) -> np.ndarray | None:
    """Which classes of ``charset`` may be emitted: ``None`` (all) or a boolean array.

    Class 0 (the CTC blank) is always allowed. ``"auto"`` gives the English mask;
    ``TextRules`` decides line by line whether to apply it.

    Args:
        charset: the recogniser's classes, blank first.
        alphabet: ``None`` for the whole dictionary, ``"english"``, ``"latin"`` or
            ``"auto"``.

    Raises:
        ValueError: an unknown alphabet name.
    """
    if alphabet is None:
        return None
    allowed = ALPHABETS.get("english" if alphabet == "auto" else alphabet)
    if allowed is None:
        choices = ", ".join(repr(a) for a in [*ALPHABETS, "auto"])
        raise ValueError(f"unknown alphabet {alphabet!r}; choose one of {choices} or None")
    mask = np.array([allowed(c) for c in charset], dtype=bool)
    mask[0] = True
    return mask


def recover_spaces(
    text: str,
    steps: np.ndarray,
    probs: np.ndarray,
    space: int,
    threshold: float = SPACE_THRESHOLD,
) -> tuple[str, np.ndarray]:
    """Insert a space between two characters when the space class was likely in between.

    Greedy CTC keeps, at each time step, only the most probable class. Between two words
    the space often loses narrowly to the blank, and the words run together. Here the time
    steps strictly between two emitted non-space characters are searched for the highest
    space probability; above ``threshold`` a space is inserted at that step.

    Args:
        text: the greedy reading.
        steps: the time step of each character of ``text``.
        probs: the ``[T, classes]`` probabilities it was decoded from.
        space: the class index of the space.
        threshold: smallest space probability that makes a space.

    Returns:
        The text and its time steps, with the recovered spaces.

    >>> p = np.full((5, 3), 0.0); p[:, 0] = 1.0
    >>> p[0] = [0, 1, 0]; p[2] = [0.6, 0, 0.4]; p[4] = [0, 1, 0]
    >>> recover_spaces("aa", np.array([0, 4]), p, space=2)
    ('a a', array([0, 2, 4]))
    """
    if len(text) < 2 or space >= probs.shape[1]:
        return text, steps
    chars, out_steps = [text[0]], [int(steps[0])]
    for i in range(1, len(text)):
        a, b = int(steps[i - 1]), int(steps[i])
        if b - a > 1 and not text[i - 1].isspace() and not text[i].isspace():
            between = probs[a + 1 : b, space]
            k = int(between.argmax())
            if between[k] > threshold:
                chars.append(" ")
                out_steps.append(a + 1 + k)
        chars.append(text[i])
        out_steps.append(int(steps[i]))
    return "".join(chars), np.asarray(out_steps, dtype=np.int64)


def normalize_char(char: str) -> str:
    """One character as English text writes it: ``ASCII_TWINS`` first, then Unicode NFKC
    (full-width forms, ligatures); accented letters are kept.

    >>> normalize_char("，"), normalize_char("。"), normalize_char("ﬁ"), normalize_char("é")
    (',', '.', 'fi', 'é')
    """
    if char in ASCII_TWINS:
        return ASCII_TWINS[char]
    if char.isascii():
        return char
    return unicodedata.normalize("NFKC", char)


def normalize_text(text: str, steps: Sequence[int] | np.ndarray) -> tuple[str, np.ndarray]:
    """Normalise each character (``normalize_char``) and keep one time step per character.

    A character that becomes several (``ﬁ`` -> ``fi``) repeats its time step; one that
    becomes nothing is dropped with its step.
    """
    chars: list[str] = []
    out_steps: list[int] = []
    for char, step in zip(text, steps):
        for c in normalize_char(char):
            chars.append(c)
            out_steps.append(int(step))
    return "".join(chars), np.asarray(out_steps, dtype=np.int64)


class TextRules:
    """The text clean-up of one recogniser: alphabet mask, decoding, spaces, normalisation.

    Args:
        charset: the recogniser's classes, blank first (PP-OCR puts the space last).
        alphabet: ``None`` (every class), ``"english"`` or ``"latin"`` (only those
            classes, see ``alphabet_mask``), or ``"auto"``: a line whose greedy reading is
            mostly English with a few other characters (``stray_characters``) is decoded
            again in English.
        space_threshold: see ``recover_spaces``; ``None`` turns space recovery off.
        normalize: map full-width and CJK punctuation to ASCII.

    Example:
        >>> rules = TextRules(["<blank>", "a", "本", " "], alphabet="latin")
        >>> p = np.array([[0.1, 0.4, 0.5, 0.0]])
        >>> rules(p, lambda probs, cs: ("".join(cs[i] for i in probs.argmax(1)), 1.0,
        ...       np.arange(len(probs))))[0]
        'a'
    """

    def __init__(
        self,
        charset: Sequence[str],
        alphabet: str | None = None,
        space_threshold: float | None = SPACE_THRESHOLD,
        normalize: bool = True,
    ) -> None:
        self.charset = charset
        self.mask = alphabet_mask(charset, alphabet)
        self.auto = alphabet == "auto"
        self.space = len(charset) - 1 if charset and charset[-1] == " " else None
        self.space_threshold = space_threshold
        self.normalize = normalize

    def __call__(self, probs: np.ndarray, decode: Decoder) -> Decoded:
        """Decode one ``[T, classes]`` matrix with ``decode`` and clean up the result."""
        if self.mask is not None and not self.auto:
            probs = np.where(self.mask, probs, 0.0)
        text, confidence, steps = decode(probs, self.charset)
        if self.auto and self.mask is not None and stray_characters(text):
            probs = np.where(self.mask, probs, 0.0)
            text, confidence, steps = decode(probs, self.charset)
        if self.space is not None and self.space_threshold is not None:
            text, steps = recover_spaces(text, steps, probs, self.space, self.space_threshold)
        if self.normalize:
            text, steps = normalize_text(text, steps)
        steps = np.asarray(steps, dtype=np.int64)
        return Decoded(text, confidence, steps, char_probabilities(text, steps, probs, self.space))


def char_probabilities(
    text: str, steps: np.ndarray, probs: np.ndarray, space: int | None
) -> np.ndarray:
    """The probability of each character of ``text`` at its time step.

    A decoded character is the best class of its step, so its probability is that step's
    highest one; a space put back by ``recover_spaces`` gets the space class's probability.

    >>> p = np.array([[0.1, 0.9, 0.0], [0.6, 0.0, 0.4], [0.2, 0.8, 0.0]])
    >>> char_probabilities("a a", np.array([0, 1, 2]), p, space=2).tolist()
    [0.9, 0.4, 0.8]
    """
    if not len(steps):
        return np.zeros(0, np.float64)
    out = probs[steps].max(axis=1).astype(np.float64)
    if space is not None:
        spaces = np.array([c == " " for c in text], dtype=bool)
        out[spaces] = probs[steps[spaces], space]
    return out


def read_upright(
    read: Callable[[Sequence[np.ndarray]], Sequence[Any]],
    crops: Sequence[np.ndarray],
    ratio: float = VERTICAL_RATIO,
) -> list[Any]:
    """Read crops with ``read``; tall ones are also read turned 90 degrees both ways.

    A word cut from a rotated sign comes as a crop taller than wide, and nothing in the
    crop says which way it was turned. Each crop at least ``ratio`` times taller than wide
    is read three times (as given, turned counter-clockwise, turned clockwise) and keeps
    the reading with the highest confidence; the others are read once. A turned reading
    needs two characters or more: a single letter such as "I" is tall without being
    turned, and turned it reads confidently as a dash.

    Args:
        read: reads a list of RGB crops, returning objects with a ``confidence``
            (``TextRecognizer``).
        crops: ``HxWx3`` images.
        ratio: height / width from which a crop counts as tall.

    Returns:
        One reading per crop, in order.
    """
    readings = list(read(crops))
    tall = [i for i, c in enumerate(crops) if c.size and is_vertical(c.shape[1], c.shape[0], ratio)]
    if not tall:
        return readings
    turned = [np.ascontiguousarray(np.rot90(crops[i], k)) for k in (1, -1) for i in tall]
    extra = read(turned)
    for n, i in enumerate(tall):
        turns = [r for r in (extra[n], extra[n + len(tall)]) if len(r.text.strip()) >= 2]
        readings[i] = max([readings[i], *turns], key=lambda r: r.confidence)  # ties: as given
    return readings
