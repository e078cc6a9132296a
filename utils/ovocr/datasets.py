"""Loaders for the labelled OCR sets used to measure accuracy.

Each loader reads one public format and returns a list of small frozen samples: the image
path plus its ground truth. They read the development subsets in ``../shared/data`` and a
user's own download of the full public sets alike, as long as the folder layout below is
kept. Quads are four ``(x, y)`` pixel points, clockwise from the top-left, with ``x`` the
column and ``y`` the row, as in :mod:`ovocr.types`.

=================  ==========================================================================
loader             layout under ``root``
=================  ==========================================================================
load_icdar2015     ``images/img_N.jpg`` and ``gt/gt_img_N.txt``
load_word_crops    ``labels.tsv`` (``file<TAB>word``) and ``images/<file>``
load_sroie         ``boxes/NNN.csv``, ``images/NNN.jpg`` and optional ``keys/NNN.json``
load_funsd         ``annotations/NAME.json`` and ``images/NAME.png``
=================  ==========================================================================

Explained in 09-measuring-accuracy.

Example:
    >>> root = shared_data_dir()
    >>> samples = load_icdar2015(root / "icdar2015", limit=2)  # doctest: +SKIP
    >>> samples[0].image.name, samples[0].words[0].dont_care  # doctest: +SKIP
    ('img_1.jpg', True)
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import OvocrError
from .paths import shared_data_dir as shared_data_dir  # re-exported: public here too
from .types import Quad, as_quad

DONT_CARE = "###"
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png")


class DatasetError(OvocrError):
    """A data set folder, file or line is missing or malformed; the message names it."""


@dataclass(frozen=True)
class GroundTruthWord:
    """One labelled region: a word (scene text) or a text line (documents).

    Attributes:
        quad: four ``(x, y)`` pixel points, clockwise from the top-left.
        text: the transcription.
        dont_care: True for regions the protocol ignores (``###`` in ICDAR, an empty
            transcription in FUNSD).
    """

    quad: Quad
    text: str
    dont_care: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "quad", as_quad(self.quad))


@dataclass(frozen=True)
class SceneSample:
    """A scene-text photo and its labelled words, in file order."""

    image: Path
    words: tuple[GroundTruthWord, ...]


@dataclass(frozen=True)
class CropSample:
    """A cropped word image and its transcription."""

    image: Path
    text: str


@dataclass(frozen=True)
class FormEntity:
    """One FUNSD entity: a labelled text segment made of words.

    Attributes:
        id: the entity id, the target of ``links``.
        label: ``question``, ``answer``, ``header`` or ``other``.
        text: the segment text as annotated.
        quad: the segment box as a quad.
        words: the words of the segment; empty transcriptions (check boxes, logos) are
            marked ``dont_care``.
        links: ``(from_id, to_id)`` pairs, e.g. a question linked to its answer.
    """

    id: int
    label: str
    text: str
    quad: Quad
    words: tuple[GroundTruthWord, ...]
    links: tuple[tuple[int, int], ...] = ()


@dataclass(frozen=True)
class DocumentSample:
    """A scanned document with its text lines, key fields (SROIE) and entities (FUNSD).

    Attributes:
        image: path of the scan.
        lines: labelled text lines in reading order as given by the annotators.
        keys: key information, e.g. ``{"company", "date", "address", "total"}`` for SROIE;
            empty when the set has none.
        entities: FUNSD entities with their words; empty for SROIE.
    """

    image: Path
    lines: tuple[GroundTruthWord, ...]
    keys: dict[str, str] = field(default_factory=dict)
    entities: tuple[FormEntity, ...] = ()

    @property
    def text(self) -> str:
        """The page text, one line of ground truth per line, for page-level CER."""
        return "\n".join(line.text for line in self.lines)


def natural_key(name: str) -> list[int | str]:
    """Sort key that orders embedded numbers by value, so ``img_2`` comes before ``img_10``."""
    return [int(part) if part.isdigit() else part.lower() for part in re.split(r"(\d+)", name)]


def load_icdar2015(root: str | Path, limit: int | None = None) -> list[SceneSample]:
    """Load ICDAR 2015 Incidental Scene Text (Challenge 4) images and word boxes.

    Each ``gt/gt_img_N.txt`` line is ``x1,y1,x2,y2,x3,y3,x4,y4,transcription``; the
    transcription may itself contain commas, so only the first 8 are split. ``###`` marks a
    do-not-care region. The official files are UTF-8 with a BOM and CRLF line ends; both
    are accepted but not required.

    Args:
        root: folder holding ``images/`` and ``gt/``.
        limit: load only the first ``limit`` images in natural order.

    Returns:
        Samples in natural order of image name.

    Raises:
        DatasetError: a folder, an image or a well-formed GT line is missing.
    """
    root = Path(root)
    gt_files = _sorted_files(_folder(root, "gt"), "gt_*.txt")[:limit]
    images = _image_index(_folder(root, "images"))
    samples = []
    for gt_file in gt_files:
        words = tuple(
            GroundTruthWord(quad, text, text == DONT_CARE) for quad, text in _quad_lines(gt_file)
        )
        image = _find_image(images, gt_file.stem.removeprefix("gt_"), gt_file)
        samples.append(SceneSample(image, words))
    return samples


def load_word_crops(root: str | Path, limit: int | None = None) -> list[CropSample]:
    """Load cropped word images listed in ``labels.tsv`` (IIIT 5K-word, ICDAR 2015 words).

    Each line is ``file<TAB>word``. The order of the label file is kept, because it defines
    the subsets people report on (e.g. "the first 1000 IIIT5K test crops").

    Args:
        root: folder holding ``labels.tsv`` and ``images/``.
        limit: load only the first ``limit`` lines.

    Returns:
        One sample per label line.

    Raises:
        DatasetError: the folder, the label file or a listed image is missing, or a line
            has no tab.
    """
    root = Path(root)
    labels = root / "labels.tsv"
    if not labels.is_file():
        raise DatasetError(f"label file {labels} not found: expected 'file<TAB>word' lines")
    images = _folder(root, "images")
    samples: list[CropSample] = []
    for number, line in enumerate(_read_text(labels).splitlines(), start=1):
        if limit is not None and len(samples) >= limit:
            break
        if not line.strip():
            continue
        name, sep, text = line.partition("\t")
        if not sep:
            raise DatasetError(f"{labels}:{number}: expected 'file<TAB>word', got {line!r}")
        image = images / name
        if not image.is_file():
            raise DatasetError(f"{labels}:{number}: image {image} not found")
        samples.append(CropSample(image, text))
    return samples


def load_sroie(root: str | Path, limit: int | None = None) -> list[DocumentSample]:
    """Load ICDAR 2019 SROIE scanned receipts: text lines and key information.

    ``boxes/NNN.csv`` holds one text line per row as ``x1,y1,...,x4,y4,TEXT`` (the text may
    contain commas: only the first 8 are split). Files are UTF-8, but the public release
    has at least one receipt with GBK bytes (a full-width comma in test receipt 037), so
    GB18030 is the fallback. ``keys/NNN.json`` holds ``{company, date, address, total}``;
    it is optional, as the text-localisation download has no keys.

    Args:
        root: folder holding ``boxes/``, ``images/`` and optionally ``keys/``.
        limit: load only the first ``limit`` receipts in natural order.

    Returns:
        Samples in natural order of receipt name; ``text`` of a sample is its lines in
        file order, which is the annotators' reading order.

    Raises:
        DatasetError: a folder, an image or a well-formed box line is missing.
    """
    root = Path(root)
    box_files = _sorted_files(_folder(root, "boxes"), "*.csv")[:limit]
    images = _image_index(_folder(root, "images"))
    keys_dir = root / "keys"
    samples = []
    for box_file in box_files:
        lines = tuple(GroundTruthWord(quad, text) for quad, text in _quad_lines(box_file))
        key_file = keys_dir / f"{box_file.stem}.json"
        keys = json.loads(_read_text(key_file)) if key_file.is_file() else {}
        image = _find_image(images, box_file.stem, box_file)
        samples.append(DocumentSample(image, lines, keys))
    return samples


def load_funsd(root: str | Path, limit: int | None = None) -> list[DocumentSample]:
    """Load FUNSD noisy scanned forms: entities, their words and links.

    Boxes are ``[x0, y0, x1, y1]`` (left, top, right, bottom) and become axis-aligned
    quads. ``lines`` holds one entry per entity with non-empty text, the natural line-level
    unit of FUNSD; every entity, including empty ones (check boxes, logos), is in
    ``entities``.

    Args:
        root: folder holding ``annotations/`` and ``images/``.
        limit: load only the first ``limit`` forms in natural order.

    Returns:
        Samples in natural order of form name, with empty ``keys``.

    Raises:
        DatasetError: a folder or an image is missing.
    """
    root = Path(root)
    files = _sorted_files(_folder(root, "annotations"), "*.json")[:limit]
    images = _image_index(_folder(root, "images"))
    samples = []
    for path in files:
        entities = tuple(_funsd_entity(item) for item in json.loads(_read_text(path))["form"])
        lines = tuple(GroundTruthWord(e.quad, e.text) for e in entities if e.text.strip())
        image = _find_image(images, path.stem, path)
        samples.append(DocumentSample(image, lines, {}, entities))
    return samples


def _funsd_entity(item: dict[str, Any]) -> FormEntity:
    words = tuple(
        GroundTruthWord(_box_quad(w["box"]), w["text"], not w["text"].strip())
        for w in item["words"]
    )
    links = tuple((int(a), int(b)) for a, b in item.get("linking", []))
    return FormEntity(
        int(item["id"]), item["label"], item["text"], _box_quad(item["box"]), words, links
    )


def _box_quad(box: Iterable[float]) -> Quad:
    x0, y0, x1, y1 = (float(v) for v in box)
    return ((x0, y0), (x1, y0), (x1, y1), (x0, y1))


def _folder(root: Path, name: str) -> Path:
    path = root / name
    if not path.is_dir():
        raise DatasetError(
            f"folder {path} not found: check the data set root {root} "
            f"(see the layout in the ovocr.datasets docstring)"
        )
    return path


def _sorted_files(folder: Path, pattern: str) -> list[Path]:
    return sorted(folder.glob(pattern), key=lambda p: natural_key(p.name))


def _image_index(folder: Path) -> dict[str, Path]:
    """Map image stem to path, so any of the usual extensions is accepted."""
    return {p.stem: p for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES}


def _find_image(images: dict[str, Path], stem: str, label_file: Path) -> Path:
    if stem not in images:
        folder = label_file.parent.parent / "images"
        raise DatasetError(f"image {folder / stem}.jpg (or .jpeg/.png) for {label_file} not found")
    return images[stem]


def _read_text(path: Path) -> str:
    """Read UTF-8 (with or without BOM); fall back to GB18030 for SROIE's GBK strays."""
    data = path.read_bytes()
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            return data.decode("gb18030")
        except UnicodeDecodeError as exc:
            raise DatasetError(f"{path} is neither UTF-8 nor GB18030 text: {exc}") from exc


def _quad_lines(path: Path) -> list[tuple[Quad, str]]:
    """Parse ``x1,y1,...,x4,y4,text`` lines; blank lines are skipped."""
    rows = []
    for number, line in enumerate(_read_text(path).splitlines(), start=1):
        if not line.strip():
            continue
        parts = line.split(",", 8)
        try:
            if len(parts) != 9:
                raise ValueError("fewer than 9 fields")
            values = [float(v) for v in parts[:8]]
        except ValueError as exc:
            raise DatasetError(
                f"{path}:{number}: expected 'x1,y1,x2,y2,x3,y3,x4,y4,text', got {line!r} ({exc})"
            ) from exc
        rows.append((as_quad(zip(values[0::2], values[1::2], strict=True)), parts[8]))
    return rows
