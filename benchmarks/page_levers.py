"""Page levers of issue 23, measured A/B in one process on SROIE training receipts.

Each variant of the detector settings reads the same receipts (``sroie_train``: training
data, so a rule is chosen here, not on the dev set); the order of the variants rotates from
pass to pass, so load from other processes hits them alike. Per variant: the median time of
the passes, its ratio to the default, and the scores of ``accuracy.score_sroie`` (page CER,
line CER averaged over lines, and line CER weighted by characters: the held-out scorer).

Variants: ``default``; ``rows32`` (``DbParams.page_rows_step=32``: pages unpadded, strips
of uneven heights, the default before round 3);
``th16`` / ``th24`` (``DbParams.text_height``: page width from a cheap first pass);
``nogap`` (``OcrPipeline.gap_ratio=None``: the round-2 gap cut off).

Usage::

    python benchmarks/page_levers.py --receipts 40 --passes 2 --dev 50
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from dataclasses import replace
from pathlib import Path

from ovocr.datasets import load_sroie, shared_data_dir
from ovocr.pipeline import load_pipeline

sys.path.insert(0, str(Path(__file__).resolve().parent))
from accuracy import score_sroie  # noqa: E402

VARIANTS = {
    "default": {},
    "rows32": {"page_rows_step": 32},
    "th16": {"text_height": 16.0},
    "th24": {"text_height": 24.0},
    "nogap": {"gap": None},
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--receipts", type=int, default=40, help="sroie_train receipts")
    parser.add_argument("--passes", type=int, default=2)
    parser.add_argument("--dev", type=int, default=50, help="sroie dev receipts (0: skip)")
    parser.add_argument("--variants", default=",".join(VARIANTS))
    parser.add_argument("--device", default="CPU")
    parser.add_argument("--out", default="")
    args = parser.parse_args(argv)
    data = shared_data_dir()
    if data is None:
        print("page_levers: ../shared/data not found; skipped")
        return 0
    train = load_sroie(Path(data) / "sroie_train", limit=args.receipts)
    ocr = load_pipeline(device=args.device, hint="THROUGHPUT")
    base, gap = ocr.detector.settings, ocr.gap_ratio
    names = args.variants.split(",")

    def run(name: str, samples: list) -> tuple[float, dict]:
        change = dict(VARIANTS[name])
        ocr.gap_ratio = change.pop("gap", gap)
        ocr.detector.settings = replace(base, **change)
        start = time.perf_counter()
        pages = list(ocr.map([s.image for s in samples]))
        seconds = time.perf_counter() - start
        records = [{"image": str(s.image), **p.to_dict()} for s, p in zip(samples, pages)]
        scores, _ = score_sroie(records, samples)
        return seconds, scores

    list(ocr.map([s.image for s in train[:2]]))  # warm-up
    times: dict[str, list[float]] = {n: [] for n in names}
    scores: dict[str, dict] = {}
    for p in range(args.passes):
        order = names[p % len(names) :] + names[: p % len(names)]
        for name in order:
            seconds, scores[name] = run(name, train)
            times[name].append(seconds)
            print(f"pass {p + 1} {name}: {seconds:.1f} s", flush=True)
    result: dict = {"train_receipts": len(train), "passes": args.passes, "train": {}}
    ref = statistics.median(times["default"])
    for name in names:
        med = statistics.median(times[name])
        s = scores[name]
        result["train"][name] = {
            "seconds": round(med, 2),
            "time_vs_default": round(med / ref, 3),
            "page_cer": round(s["page_cer"], 4),
            "line_cer": round(s["line_cer"], 4),
            "line_cer_chars": round(s["line_cer_chars"], 4),
        }
        print(f"train {name}: {json.dumps(result['train'][name])}", flush=True)
    if args.dev:
        dev = load_sroie(Path(data) / "sroie", limit=args.dev)
        result["dev_receipts"] = len(dev)
        result["dev"] = {}
        for name in ("default", "nogap"):
            _, s = run(name, dev)
            result["dev"][name] = {
                k: round(s[k], 4) for k in ("page_cer", "line_cer", "line_cer_chars")
            }
            print(f"dev {name}: {json.dumps(result['dev'][name])}", flush=True)
    if args.out:
        Path(args.out).write_text(json.dumps(result, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
