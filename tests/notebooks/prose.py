"""Numbers and claims in notebook prose that nothing backs (used by ``test_prose.py``).

A number in a markdown cell of a notebook must be one of:

1. printed by a code cell of the same notebook (stored stream, ``text/plain``, ``text/html``,
   ``text/markdown`` outputs), rounding allowed (``0.4613`` backs "0.46", ``0.17`` backs "17%");
2. a literal in the notebook's code (a threshold, a subset size: ``limit=15``, ``cer <= 0.2``),
   except in a comparative sentence ("faster", "3x"), where only outputs and files count;
3. quoted from a committed file that the same paragraph (or list item, or the paragraph
   before a table) names, e.g. ``benchmarks/SPEED.md``, and the number really is in that file;
4. a constant of ``ALLOWED`` below (notebook and step numbers, years, versions, model sizes).

Also read: counts written as words in a sentence that claims a result ("four misses", "drops
one of its two lines") must be printed near that noun; a multiplier written as a word in a
comparative sentence ("twice as long", "a third faster") needs a printed or quoted ratio near
it; "step N" must name a numbered step of the notebook. Code spans and blocks, links, heading
numbers and the Exercises section's parameters ("sweep 0.3 to 0.7") are not claims.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]

# Constants a sentence may state without a cell printing them. Each is a regex over the
# sentence; a number inside a match is allowed. Keep this list short and say why.
ALLOWED: list[tuple[str, str]] = [
    (r"\bnotebooks? \d\d(?:(?:,| and| or|-)\s?\d\d)*\b", "a notebook number"),
    (r"\b\d\d-[a-z][\w-]*", "a notebook name (03-text-detection)"),
    (r"\b\d\d(?:-\d\d)?\b(?= (?:and|or|to) \d\d\b)|\b\d\d-\d\d\b", "a range of notebooks (01-05)"),
    (r"\b0\d\b(?![.,]\d)|\b\d\d(?:'s)? steps? \d+", "a notebook number (07, 06 step 11)"),
    (r"\b(?:step|exercise|cell)s? \d+(?:(?:,| and| or| to|-)\s?\d+)*", "a step/exercise reference"),
    (r"\b(?:ICDAR|SROIE)\s?20(?:13|15|17|19)\b", "a data set's name"),
    (r"\b(?:19|20)\d\d\b(?![.,]\d)", "a year"),
    (r"\b(?:32|48)\s?(?:px|pixels?)\b|multiples? of 32|height(?: of)? 48", "the models' sizes"),
    (r"\bper 8 (?:px|pixels?)|every 8 (?:px|pixels?)", "the recogniser's stride"),
    (r"\bIoU\b[^.]{0,25}?\b0\.5\b", "ICDAR's matching threshold"),
    (r"#\d+\b", "an issue number"),
    (r":\d{2,5}\b", "a port"),
    (r"\b[01]-based\b", "an index base"),
    (r"\bPython \d\.\d+(?:\s?-\s?\d\.\d+)?|\b3\.1\d\s?-\s?3\.1\d\b", "a Python version"),
    (r"\b(?:IR )?version \d+\b", "a format version"),
    (r"\bUTF-8\b|\bH\.264\b", "a name with a number"),
    (r"\b(?:4|8|16|32|64)-bit\b|\b\d+ bits of mantissa(?: instead of \d+)?", "number formats"),
]
COMPARATIVE = re.compile(
    r"\bfaster\b|\bslower\b|\bquicker\b|\bspeed-?ups?\b|\bbetter than\b|\bworse than\b"
    r"|\btimes (?:as|the|faster|slower|more|less|longer|shorter)\b"
    r"|\d(?:\.\d+)?\s?times(?: \([^)]*\))? (?:as|faster|slower|more|less|longer|shorter|the)\b"
    r"|\d(?:\.\d+)?\s?[x×](?!\w|\s?\d)|\bas (?:long|fast|slow|much|many)\b",
    re.IGNORECASE,
)
COUNT_WORDS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12,
}  # fmt: skip
# Nouns an OCR notebook counts in its outputs; a count word before one is a claim.
RESULT_NOUNS = (
    "miss|misses|misread|misreads|line|lines|word|words|box|boxes|date|dates|address|addresses"
    "|total|totals|field|fields|error|errors|photo|photos|image|images|receipt|receipts|page"
    "|pages|crop|crops|frame|frames|match|matches|character|characters|region|regions|record"
    "|records|file|files|false positives?|texts?"
)
# Verbs that make a sentence a claim about what the outputs show.
CLAIM_VERBS = re.compile(
    r"\b(?:miss(?:es|ed)?|misreads?|drops?|dropped|lost|loses?|found|finds|detect(?:s|ed)"
    r"|match(?:es|ed)|wrong|fail(?:s|ed)?|kept|keeps)\b",
    re.IGNORECASE,
)
WORD_RATIOS = {
    "twice": 2.0, "half as": 0.5, "a third": 1 / 3, "a quarter": 0.25, "a tenth": 0.1,
    "three times": 3.0, "four times": 4.0, "five times": 5.0, "ten times": 10.0,
}  # fmt: skip
# A sentence about another notebook's steps ("notebook 06, step 8", "06 step 11") is not checked
# against this notebook's steps.
OTHER_NOTEBOOK = re.compile(
    r"\bnotebook|\b\d\d-[a-z]|\b\d\d(?:'s)?,? steps?\b|\bsteps? \d+ of \d\d\b"
)
# A number starts after a space or sign, or after a "-" that follows a digit (the 6 of "2-6
# min" is read, the 16 of "AVX512-BF16" and the 6 of "ppocrv6-small" are not).
NUMBER = re.compile(
    r"(?<![\w.#/\\])(?<![A-Za-z_]-)(\d{1,3}(?:,\d{3})+|\d+(?:\.\d+)?)(?![\w.]\d|[a-wyzA-Z_])"
)
FILE_NAME = re.compile(
    r"(?<![\w/.-])((?:[\w.-]+/)*[\w.-]+\.(?:md|py|txt|toml|json|csv|yaml|yml))\b"
)
NUM_IN_HAY = re.compile(r"(?<![\w.])-?\d+(?:,\d{3})*(?:\.\d+)?(?:e-?\d+)?")


@dataclass(frozen=True)
class Finding:
    notebook: str
    cell: int
    number: str
    sentence: str
    why: str

    def __str__(self) -> str:
        return f"{self.notebook} cell {self.cell}: {self.number!r} {self.why}: {self.sentence}"


def _text(value: Any) -> str:
    return "".join(value) if isinstance(value, list) else str(value)


def outputs_and_code(cells: list[dict[str, Any]]) -> tuple[str, str]:
    """(every stored text output, every code source) of a notebook's cells."""
    outs, code = [], []
    for cell in cells:
        if cell["cell_type"] != "code":
            continue
        code.append(_text(cell["source"]))
        for out in cell.get("outputs", []):
            if out.get("output_type") == "stream":
                outs.append(_text(out.get("text", "")))
            for mime in ("text/plain", "text/html", "text/markdown"):
                if mime in out.get("data", {}):
                    outs.append(_text(out["data"][mime]))
    return "\n".join(outs), "\n".join(code)


@cache
def _versions() -> set[str]:
    """OpenVINO and NNCF versions pinned in the requirements (with prefixes: 2026.4.1 gives
    2026.4) and the Python versions the Makefile supports: a sentence may name a release."""
    found: set[str] = set()
    for name in ("requirements.txt", "requirements-omz.txt"):
        path = ROOT / name
        if path.exists():
            text = path.read_text(encoding="utf-8")
            for v in re.findall(r"^(?:openvino|openvino-dev|nncf)==(\d+(?:\.\d+)+)", text, re.M):
                parts = v.split(".")
                found |= {".".join(parts[:k]) for k in range(2, len(parts) + 1)}
    makefile = ROOT / "Makefile"
    if makefile.exists():
        pythons = re.search(r"^SUPPORTED_PYTHONS\s*:?=(.*)$", makefile.read_text("utf-8"), re.M)
        found |= set(pythons.group(1).split()) if pythons else set()
    return found


@cache
def library_constants() -> str:
    """Numbers that ``ovocr`` assigns to a name (``VERTICAL_RATIO = 1.5``, ``thresh: float = 0.2``):
    prose may state a library default the way it states a literal of the notebook's code."""
    found = []
    assignment = re.compile(
        r"^\s*\w+(?:\s*:\s*[\w\[\], |.]+)?\s*=\s*(-?\d+(?:\.\d+)?)\s*(?:#.*)?$", re.M
    )
    for path in sorted((ROOT / "utils" / "ovocr").rglob("*.py")):
        found += assignment.findall(path.read_text(encoding="utf-8"))
    return " ".join(found)


def _as_float(token: str) -> float:
    return float(token.replace(",", ""))


def _decimals(token: str) -> int:
    return len(token.split(".")[1]) if "." in token else 0


def backs(number: str, hay: str, percent: bool = False) -> bool:
    """Whether ``hay`` holds ``number``, rounding allowed (0.4613 backs 0.46). A percentage is
    backed by a percentage or by a fraction (0.17 backs 17%), never by a bare count."""
    want, places = _as_float(number), _decimals(number)
    for match in NUM_IN_HAY.finditer(hay):
        try:
            got = _as_float(match.group(0))
        except ValueError:
            continue
        got_places = _decimals(match.group(0))
        if percent:
            if hay[match.end() : match.end() + 2].lstrip().startswith("%"):
                value = got
            elif abs(got) <= 1 and got_places >= 2:
                value, got_places = got * 100, got_places - 2
            else:
                continue
        else:
            value = got
        if got_places >= places and abs(round(value, places) - want) < 10 ** -(places + 3):
            return True
    return False


def _strip_markdown(source: str) -> str:
    text = re.sub(r"```.*?```", " ", source, flags=re.DOTALL)  # code blocks
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", text)  # links: keep the text
    text = re.sub(r"https?://\S+|<[^>]+>", " ", text)  # bare URLs, HTML tags
    text = re.sub(
        r"^(#{1,6}\s*)\d+\s*(?:\.|·)", r"\1", text, flags=re.MULTILINE
    )  # "## 7." "# 09 ·"
    return re.sub(r"^(\s*)\d+\.\s", r"\1", text, flags=re.MULTILINE)  # numbered list markers


def units(source: str) -> list[tuple[str, str]]:
    """(unit, context) pairs: paragraphs and list items, each with the text that may name its
    source (the unit itself, plus the paragraph before a table)."""
    blocks = [b for b in re.split(r"\n\s*\n", source) if b.strip()]
    result: list[tuple[str, str]] = []
    previous = ""
    for block in blocks:
        items = re.split(r"\n(?=\s*(?:[-*+]|\d+\.)\s)", block)
        for item in items:
            is_table = item.lstrip().startswith("|")
            result.append((item, item + ("\n" + previous if is_table else "")))
        if not block.lstrip().startswith("|"):
            previous = block
    return result


def sentences(text: str) -> list[str]:
    """Sentences of a paragraph; a table's rows."""
    if text.lstrip().startswith("|"):
        return [row.strip() for row in text.splitlines() if row.strip()]
    flat = re.sub(r"\s+", " ", text).strip()
    return [s for s in re.split(r"(?<=[.!?:;])\s+(?=[A-Z(*\"'])", flat) if s]


def _cited_text(context: str) -> str:
    texts = []
    for name in FILE_NAME.findall(context):
        for path in (ROOT / name, ROOT / "notebooks" / name):
            if path.is_file():
                texts.append(path.read_text(encoding="utf-8", errors="replace"))
                break
    return "\n".join(texts)


def _allowed_spans(sentence: str, versions: set[str]) -> list[tuple[int, int]]:
    spans = [m.span() for pattern, _ in ALLOWED for m in re.finditer(pattern, sentence, re.I)]
    spans += [m.span() for m in re.finditer(r"`[^`]*`", sentence)]  # code spans are names
    spans += [
        m.span() for m in NUMBER.finditer(sentence) if m.group(1) in versions and "." in m.group(1)
    ]
    return spans


def _step_numbers(cells: list[dict[str, Any]]) -> set[int]:
    steps: set[int] = set()
    for cell in cells:
        if cell["cell_type"] == "markdown":
            steps |= {int(n) for n in re.findall(r"^#{2,3}\s*(\d+)\.", _text(cell["source"]), re.M)}
    return steps


def _count_backed(count: int, noun: str, hay: str) -> bool:
    stem = re.escape(noun.rstrip("s")[:5].lower())
    words = [w for w, n in COUNT_WORDS.items() if n == count]
    for line in hay.lower().splitlines():
        if re.search(stem, line) and (
            re.search(rf"(?<![\w.]){count}(?![\w.]\d|\d)", line)
            or any(re.search(rf"\b{w}\b", line) for w in words)
        ):
            return True
    return any(len(re.findall(rf"\b{stem}", block.lower())) == count for block in hay.split("\n\n"))


def _ratio_backed(value: float, hay: str) -> bool:
    for m in re.finditer(r"(\d+(?:\.\d+)?)\s?(?:x|×|times)(?!\w)", hay):
        got = float(m.group(1))
        if got and (abs(got - value) <= 0.15 * value or abs(1 / got - value) <= 0.15 * value):
            return True
    return False


def check_markdown(
    name: str, index: int, source: str, outputs: str, code: str, steps: set[int] | None = None
) -> list[Finding]:
    """Every unbacked number or claim in one markdown cell."""
    versions = _versions()
    findings: list[Finding] = []
    text = _strip_markdown(source)
    for unit, context in units(text):
        cited = _cited_text(context)
        for sentence in sentences(unit):
            findings += _check_sentence(name, index, sentence, outputs, code, cited, versions)
            if steps is not None and not re.search(OTHER_NOTEBOOK, sentence):
                for m in re.finditer(r"\bsteps? (\d+(?:(?:,| and| or| to|-)\s?\d+)*)", sentence):
                    for n in map(int, re.findall(r"\d+", m.group(1))):
                        if n not in steps:
                            why = f"names step {n}, which this notebook does not have"
                            findings.append(Finding(name, index, str(n), sentence, why))
    return findings


def _check_sentence(
    name: str, index: int, sentence: str, outputs: str, code: str, cited: str, versions: set[str]
) -> list[Finding]:
    findings = []
    comparative = bool(COMPARATIVE.search(sentence))
    spans = _allowed_spans(sentence, versions)
    shown = sentence if len(sentence) <= 220 else sentence[:217] + "..."
    for m in NUMBER.finditer(sentence):
        if any(a <= m.start() and m.end() <= b for a, b in spans):
            continue
        number = m.group(1)
        percent = sentence[m.end() : m.end() + 2].lstrip().startswith("%")
        hays = [outputs, cited] + ([] if comparative else [code, library_constants()])
        if any(backs(number, hay, percent) for hay in hays if hay):
            continue
        why = "is not printed by any cell" + (
            " (a comparative claim: code literals do not count)" if comparative else ""
        )
        why += " nor in a file the paragraph names" if cited else ", and no file is named"
        findings.append(Finding(name, index, number + ("%" if percent else ""), shown, why))
    if CLAIM_VERBS.search(sentence):
        pattern = rf"\b({'|'.join(COUNT_WORDS)})\s+(?:[a-z-]+\s+)?({RESULT_NOUNS})\b"
        for m in re.finditer(pattern, sentence, flags=re.IGNORECASE):
            count, noun = COUNT_WORDS[m.group(1).lower()], m.group(2)
            if count == 1 and not re.search(
                rf"\b(?:only|just) {re.escape(m.group(0))}|{re.escape(m.group(0))} and one\b"
                rf"|\bone \w+ and {re.escape(m.group(0))}",
                sentence,
                flags=re.IGNORECASE,
            ):
                continue  # "one" is mostly an article ("one wrong character fails a field")
            if not (_count_backed(count, noun, outputs) or _count_backed(count, noun, cited)):
                why = f"counts {count} {noun}, but no output shows {count} beside '{noun}'"
                findings.append(Finding(name, index, m.group(0), shown, why))
    if comparative:  # a ratio in words beside a comparison: "twice as long", "a third faster"
        for word, value in WORD_RATIOS.items():
            for m in re.finditer(rf"\b{word}\b", sentence, flags=re.IGNORECASE):
                near = (
                    sentence[max(0, m.start() - 40) : m.start()]
                    + " "
                    + sentence[m.end() : m.end() + 40]
                )
                if COMPARATIVE.search(near) and not (
                    _ratio_backed(value, outputs) or _ratio_backed(value, cited)
                ):
                    why = (
                        f"compares by '{word}', but no printed or quoted ratio is near {value:.2g}x"
                    )
                    findings.append(Finding(name, index, word, shown, why))
    return findings


def _prose_cells(cells: list[dict[str, Any]]) -> list[tuple[int, str]]:
    """(index, source) of markdown cells before the Exercises heading (exercises give the
    reader parameters to try, not claims about the outputs; their step references are read)."""
    found = []
    for i, cell in enumerate(cells):
        if cell["cell_type"] != "markdown":
            continue
        source = _text(cell["source"])
        head, sep, _ = source.partition("## Exercises")
        found.append((i, head))
        if sep:
            break
    return found


def check_notebook(path: Path) -> list[Finding]:
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    outputs, code = outputs_and_code(cells)
    steps = _step_numbers(cells)
    findings: list[Finding] = []
    for index, source in _prose_cells(cells):
        findings += check_markdown(path.name, index, source, outputs, code, steps)
    exercises = [
        (i, _text(c["source"]).partition("## Exercises")[2] or _text(c["source"]))
        for i, c in enumerate(cells)
        if c["cell_type"] == "markdown" and i >= max((j for j, _ in _prose_cells(cells)), default=0)
    ]
    for index, source in exercises:
        for sentence in sentences(_strip_markdown(source)):
            if re.search(OTHER_NOTEBOOK, sentence):
                continue
            for m in re.finditer(r"\bsteps? (\d+(?:(?:,| and| or| to|-)\s?\d+)*)", sentence):
                for n in map(int, re.findall(r"\d+", m.group(1))):
                    if n not in steps:
                        why = f"names step {n}, which this notebook does not have"
                        findings.append(Finding(path.name, index, str(n), sentence[:220], why))
    return findings
