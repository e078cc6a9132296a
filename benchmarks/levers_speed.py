"""Speed cost of the round-2 accuracy levers (issue 16), measured A/B in one process.

Each pass reads the same inputs with the lever off, then on (the order alternates from
pass to pass), so load from other processes hits both sides alike; the ratio of the
medians is the cost. Photos: ``OcrPipeline.map`` on ICDAR 2015 photos with and without
the gap split (``gap_ratio``); crops: ``CropReader`` on ICDAR 2015 word crops with and
without the second look at unsure crops (``reread``).

Usage::

    python benchmarks/levers_speed.py --photos 60 --crops 300 --passes 4

Explained in 10-improving-accuracy.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

from ovocr.datasets import load_icdar2015, load_word_crops, shared_data_dir
from ovocr.images import load_image
from ovocr.pipeline import load_pipeline, load_recognizer
from ovocr.refine import GAP_RATIO, RereadSettings


def timed(run, *args) -> float:
    start = time.perf_counter()
    run(*args)
    return time.perf_counter() - start


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--photos", type=int, default=60)
    parser.add_argument("--crops", type=int, default=300)
    parser.add_argument("--passes", type=int, default=4)
    parser.add_argument("--device", default="CPU")
    args = parser.parse_args(argv)
    data = shared_data_dir()
    if data is None:
        print("levers_speed: ../shared/data not found; skipped")
        return 0
    photos = [s.image for s in load_icdar2015(Path(data) / "icdar2015", limit=args.photos)]
    crops = [load_image(c.image) for c in load_word_crops(Path(data) / "icdar2015_words")]
    crops = crops[: args.crops]
    ocr = load_pipeline(device=args.device, hint="THROUGHPUT")
    reader = load_recognizer(device=args.device)
    list(ocr.map(photos[:4]))  # warm-up: first-shape kernels
    reader(crops[:16])
    times: dict[str, list[float]] = {
        k: [] for k in ("photos off", "photos on", "crops off", "crops on")
    }

    def photos_with(gap: float | None) -> None:
        ocr.gap_ratio = gap
        list(ocr.map(photos))

    def crops_with(enabled: bool) -> None:
        reader.reread = RereadSettings(enabled=enabled)
        reader(crops)

    for n in range(args.passes):
        order = ("off", "on") if n % 2 == 0 else ("on", "off")
        for side in order:
            gap = GAP_RATIO if side == "on" else None
            times[f"photos {side}"].append(timed(photos_with, gap))
        for side in order:
            times[f"crops {side}"].append(timed(crops_with, side == "on"))
        print({k: round(v[-1], 2) for k, v in times.items()}, flush=True)
    med = {k: statistics.median(v) for k, v in times.items()}
    print(
        f"photos: {args.photos} in {med['photos off']:.2f} s without the gap split, "
        f"{med['photos on']:.2f} s with it: x{med['photos on'] / med['photos off']:.3f}"
    )
    print(
        f"crops: {args.crops} in {med['crops off']:.2f} s without the second look, "
        f"{med['crops on']:.2f} s with it: x{med['crops on'] / med['crops off']:.3f}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
