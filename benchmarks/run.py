"""What ``make bench`` runs: prepare the INT8 models, then the speed and accuracy benchmarks.

Usage::

    python benchmarks/run.py           # everything, unattended (about 25 minutes, 2 cores)
    python benchmarks/run.py --quick   # small subsets of both, for development

Each part runs as its own process and a failing part does not stop the others; the exit
code is 1 if any part failed. The speed table is printed again at the end, with the time
each part took. Results are in ``benchmarks/results/``.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
# The speed table's INT8 row uses the INT8 detector (the INT8 recogniser is no faster
# here and costs accuracy: 08-performance); quantising it takes minutes and, on the tall
# SROIE calibration receipts, up to 12 GB of memory, once (benchmarks/README.md).
INT8_MODELS = ["ppocrv6-small-det-int8"]


def step(title: str, cmd: list[str]) -> tuple[str, float, int]:
    print(f"\n=== {title}: {' '.join(Path(c).name if '/' in c else c for c in cmd)}", flush=True)
    start = time.time()
    code = subprocess.call(cmd)
    return title, time.time() - start, code


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="small subsets, for development")
    args = parser.parse_args(argv)
    quick = ["--quick"] if args.quick else []
    python = sys.executable

    done = [
        step("INT8 detector", [python, "-m", "ovocr.cli", "models", "prepare", *INT8_MODELS]),
        step("speed", [python, str(HERE / "speed.py"), *quick]),
    ]
    accuracy = HERE / "accuracy.py"
    if accuracy.exists():
        done.append(step("accuracy", [python, str(accuracy), *quick]))
    else:
        print(f"\nnote: {accuracy} not found; accuracy benchmark skipped")

    table = HERE / "results" / "speed.md"
    if table.exists():
        print("\n" + table.read_text())
    for title, seconds, code in done:
        print(f"{title:20s} {seconds / 60:5.1f} min  {'ok' if code == 0 else f'FAILED ({code})'}")
    return 1 if any(code for _, _, code in done) else 0


if __name__ == "__main__":
    sys.exit(main())
