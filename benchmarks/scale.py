"""Scale benchmark: PDF rendering resolution, PDF memory and pages/s, Ray Data vs map().

Usage::

    python benchmarks/scale.py                  # short run (~3 min on 2 busy cores)
    python benchmarks/scale.py --dpi-sweep      # which DPI to render PDFs at
    python benchmarks/scale.py --pdf-pages 300  # peak memory on a long PDF
    python benchmarks/scale.py --ray-images 200 --rounds 2   # Ray Data vs map()
    python benchmarks/scale.py --ray-cluster 200 --rounds 2  # ... on a running cluster

What is measured, each part in its own fresh process so that peak memory and start-up
are those a user gets:

* **DPI sweep**: a born-digital PDF (Helvetica and Times at 8, 10 and 12 points, made by
  ``ovocr.pdf.render_text_pdf``) read at several DPIs: page CER against the text put in,
  and seconds per page (rendering + OCR). The default DPI of ``ovocr.pdf`` comes from it.
* **PDF memory**: ``ovocr predict long.pdf`` on a generated document of ``--pdf-pages``
  pages: peak RSS of the process (sampled), pages/s, and the same for a 5-page document,
  so that growth with length shows (a stream stays flat).
* **Ray vs map()**: ``ovocr predict --engine ray`` against ``ovocr predict`` on the same
  ICDAR 2015 photos (``../shared/data``; rendered pages when absent), alternating, as
  separate processes: whole-process images/s, and steady state (images/s between the
  10th result and the last, from the time each JSON line appears on stdout).
* **Ray on a running cluster**: the same, with ``--ray-address auto`` and a cluster
  started before the runs (``ray start --head --num-cpus 2``, stopped after them): what a
  job costs when it does not start Ray itself.

Numbers are printed as a Markdown table; ``--json`` also writes them to a file.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
SHARED_PHOTOS = ROOT.parent / "shared" / "data" / "icdar2015" / "images"
OVOCR = [sys.executable, "-m", "ovocr.cli"]
WORDS = [
    "invoice",
    "total",
    "amount",
    "due",
    "payment",
    "received",
    "customer",
    "account",
    "number",
    "date",
    "order",
    "shipping",
    "address",
    "reference",
    "balance",
    "tax",
    "rate",
    "subtotal",
    "quantity",
    "description",
    "unit",
    "price",
    "service",
    "period",
    "contract",
    "terms",
    "conditions",
    "signature",
    "approved",
    "report",
    "summary",
]


def document_lines(n_lines: int, seed: int) -> list[str]:
    """Lines of words, numbers and punctuation, like the body of a business letter."""
    import random

    rng = random.Random(seed)
    lines = []
    for _ in range(n_lines):
        words = [rng.choice(WORDS) for _ in range(rng.randint(4, 8))]
        words[0] = words[0].capitalize()
        words.insert(rng.randint(1, len(words)), f"{rng.randint(1, 9999)}.{rng.randint(0, 99):02d}")
        lines.append(" ".join(words) + rng.choice([".", ",", ":", ""]))
    return lines


def sweep_document(
    folder: Path, sizes: tuple[float, ...]
) -> tuple[Path, list[str], list[tuple[str, float]]]:
    """One page per font (Helvetica, Times-Roman) and size; returns path, texts, labels."""
    import pypdfium2 as pdfium
    from ovocr.pdf import render_text_pdf

    merged = pdfium.PdfDocument.new()
    texts, labels = [], []
    for font in ("Helvetica", "Times-Roman"):
        for size in sizes:
            lines = document_lines(int(600 / (size * 1.6)), seed=len(texts))
            # One file per page: render_text_pdf takes one font and size per document.
            part = render_text_pdf(folder / f"part{len(texts)}.pdf", [lines], size, font)
            src = pdfium.PdfDocument(part)
            merged.import_pages(src)
            src.close()
            texts.append("\n".join(lines))
            labels.append((font, size))
    path = folder / "sweep.pdf"
    merged.save(path)
    merged.close()
    return path, texts, labels


def dpi_sweep(dpis: list[int], sizes: tuple[float, ...], device: str) -> list[dict[str, Any]]:
    """Page CER per DPI and text size, render and OCR seconds per page (alternating DPIs
    over two rounds, so a busy moment slows them alike; times are the faster round)."""
    import ovocr
    from ovocr.metrics import page_cer
    from ovocr.pdf import load_pdf_pages

    ocr = ovocr.load_pipeline(device=device, precision="f32", hint="THROUGHPUT")
    cers: dict[tuple[int, int], float] = {}
    render_s: dict[int, float] = {}
    ocr_s: dict[int, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        path, truths, labels = sweep_document(Path(tmp), sizes)
        list(ocr.map(load_pdf_pages(path, dpi=dpis[0])))  # warm-up
        for order in (dpis, dpis[::-1]):
            for dpi in order:
                start = time.perf_counter()
                images = list(load_pdf_pages(path, dpi=dpi))
                render = (time.perf_counter() - start) / len(images)
                start = time.perf_counter()
                pages = list(ocr.map(images))
                seconds = (time.perf_counter() - start) / len(images)
                render_s[dpi] = min(render, render_s.get(dpi, render))
                ocr_s[dpi] = min(seconds, ocr_s.get(dpi, seconds))
                for k, (page, truth) in enumerate(zip(pages, truths)):
                    cers[dpi, k] = page_cer(page.text, truth)
    rows = []
    for dpi in dpis:
        row: dict[str, Any] = {"dpi": dpi}
        for k, (font, size) in enumerate(labels):
            row[f"cer {font[:5]} {size:g}pt"] = round(cers[dpi, k], 4)
        row["render_s_per_page"] = round(render_s[dpi], 3)
        row["ocr_s_per_page"] = round(ocr_s[dpi], 3)
        rows.append(row)
    return rows


def sample_rss(pid: int, stop: threading.Event, peak: list[int]) -> None:
    import psutil

    try:
        proc = psutil.Process(pid)
        while not stop.is_set():
            rss = proc.memory_info().rss
            rss += sum(c.memory_info().rss for c in proc.children(recursive=True))
            peak[0] = max(peak[0], rss)
            time.sleep(0.05)
    except psutil.Error:  # the process ended between two samples
        pass


def timed_run(args: list[str], env: dict[str, str] | None = None) -> dict[str, Any]:
    """Run ``ovocr`` in a new process; time each output line, sample peak RSS (with children)."""
    start = time.perf_counter()
    proc = subprocess.Popen(
        [*OVOCR, *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, **(env or {})},
    )
    stop, peak = threading.Event(), [0]
    sampler = threading.Thread(target=sample_rss, args=(proc.pid, stop, peak), daemon=True)
    sampler.start()
    stamps = []
    assert proc.stdout is not None
    for line in proc.stdout:
        if line.strip():
            stamps.append(time.perf_counter() - start)
    stderr = proc.stderr.read() if proc.stderr else ""
    proc.wait()
    total = time.perf_counter() - start
    stop.set()
    sampler.join()
    if proc.returncode not in (0, 1):
        raise RuntimeError(f"ovocr {' '.join(args)} failed ({proc.returncode}):\n{stderr}")
    n = len(stamps)
    # Results after the 10th, over the time since it: Ray hands results over a batch at a
    # time, so only results stamped strictly later count (no burst counted twice).
    later = sum(t > stamps[9] for t in stamps) if n > 20 else 0
    steady = later / (stamps[-1] - stamps[9]) if later else float("nan")
    return {
        "results": n,
        "seconds": round(total, 2),
        "per_s": round(n / total, 3),
        "steady_per_s": round(steady, 3),
        "first_result_s": round(stamps[0], 2) if stamps else None,
        "peak_rss_mb": round(peak[0] / 2**20),
    }


def pdf_memory(n_pages: int, device: str, dpi: int | None) -> list[dict[str, Any]]:
    from ovocr.pdf import render_text_pdf

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for pages in (5, n_pages):
            path = render_text_pdf(
                Path(tmp) / f"long{pages}.pdf",
                [document_lines(30, seed=i % 20) for i in range(pages)],
                font_size=10.0,
            )
            extra = ["--dpi", str(dpi)] if dpi else []
            run = timed_run(["predict", str(path), "--device", device, "-q", *extra])
            rows.append({"pages": pages, **run})
    return rows


def photo_folder(n: int, tmp: Path) -> Path:
    """``n`` ICDAR 2015 photos (linked), or rendered pages when ../shared is absent."""
    folder = tmp / "photos"
    folder.mkdir()
    photos = sorted(SHARED_PHOTOS.glob("*.jpg"))[:n] if SHARED_PHOTOS.is_dir() else []
    if photos:
        for photo in photos:
            (folder / photo.name).symlink_to(photo)
        return folder
    print(f"note: {SHARED_PHOTOS} not found; using rendered pages instead", file=sys.stderr)
    from ovocr.pdf import load_pdf_pages, render_text_pdf
    from PIL import Image

    pdf = render_text_pdf(tmp / "pages.pdf", [document_lines(12, seed=i) for i in range(n)])
    for i, page in enumerate(load_pdf_pages(pdf, dpi=100)):
        Image.fromarray(page).save(folder / f"page_{i:03d}.png")
    return folder


def ray_vs_map(n: int, rounds: int, device: str) -> list[dict[str, Any]]:
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = photo_folder(n, Path(tmp))
        base = ["predict", str(folder), "--device", device, "-q"]
        for r in range(rounds):  # alternate, so a busy moment slows both alike
            engines = ("map", "ray") if r % 2 == 0 else ("ray", "map")
            for engine in engines:
                args = [*base, "--engine", "ray"] if engine == "ray" else base
                rows.append({"round": r + 1, "engine": engine, **timed_run(args)})
    return rows


def ray_cluster_vs_map(n: int, rounds: int, device: str, cpus: int) -> list[dict[str, Any]]:
    """``ovocr predict`` against ``ovocr predict --engine ray --ray-address auto`` with a
    cluster started before the runs (``ray start --head``) and stopped after them: what a
    job pays when Ray is already running. Peak RSS is the driver's only (the workers are
    the cluster's)."""
    ray_bin = str(Path(sys.executable).with_name("ray"))
    env = {"RAY_USAGE_STATS_ENABLED": "0"}
    started = subprocess.run(
        [ray_bin, "start", "--head", f"--num-cpus={cpus}", "--include-dashboard=false"],
        capture_output=True,
        text=True,
        env={**os.environ, **env},
    )
    if started.returncode:
        raise RuntimeError(f"ray start failed:\n{started.stderr}")
    rows = []
    try:
        with tempfile.TemporaryDirectory() as tmp:
            folder = photo_folder(n, Path(tmp))
            base = ["predict", str(folder), "--device", device, "-q"]
            cluster = [*base, "--engine", "ray", "--ray-address", "auto"]
            for r in range(rounds):
                engines = ("map", "cluster") if r % 2 == 0 else ("cluster", "map")
                for engine in engines:
                    args = cluster if engine == "cluster" else base
                    run = timed_run(args, env)
                    rows.append({"round": r + 1, "engine": engine, **run})
    finally:
        subprocess.run([ray_bin, "stop"], capture_output=True)
    return rows


def table(rows: list[dict[str, Any]]) -> str:
    keys = list(rows[0])
    lines = ["| " + " | ".join(keys) + " |", "|" + "---|" * len(keys)]
    lines += ["| " + " | ".join(str(r[k]) for k in keys) + " |" for r in rows]
    return "\n".join(lines)


def ratios(rows: list[dict[str, Any]]) -> dict[str, float]:
    """Ray / map() per round (whole process and steady state), medians over rounds."""
    whole, steady = [], []
    other = next(row["engine"] for row in rows if row["engine"] != "map")
    for r in sorted({row["round"] for row in rows}):
        pair = {row["engine"]: row for row in rows if row["round"] == r}
        whole.append(pair[other]["per_s"] / pair["map"]["per_s"])
        steady.append(pair[other]["steady_per_s"] / pair["map"]["steady_per_s"])
    return {
        f"{other}_over_map_whole": round(statistics.median(whole), 3),
        f"{other}_over_map_steady": round(statistics.median(steady), 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--dpi-sweep", action="store_true", help="only the DPI sweep")
    parser.add_argument("--dpis", default="72,100,150,200,300")
    parser.add_argument("--pdf-pages", type=int, default=0, help="only the PDF memory run")
    parser.add_argument("--ray-images", type=int, default=0, help="only Ray vs map()")
    parser.add_argument(
        "--ray-cluster",
        type=int,
        default=0,
        help="only map() vs --engine ray on a running cluster (ray start --head), N images",
    )
    parser.add_argument("--cluster-cpus", type=int, default=2, help="CPUs of that cluster")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--device", default=os.environ.get("OVOCR_DEVICE", "CPU"))
    parser.add_argument("--dpi", type=int, default=None, help="DPI of the PDF memory run")
    parser.add_argument("--json", default=None, help="also write the results here")
    args = parser.parse_args()
    short = not (args.dpi_sweep or args.pdf_pages or args.ray_images or args.ray_cluster)
    results: dict[str, Any] = {"load_average": os.getloadavg()}
    if args.dpi_sweep or short:
        dpis = [int(d) for d in args.dpis.split(",")] if args.dpi_sweep else [100, 150, 200]
        rows = dpi_sweep(dpis, (6.0, 8.0, 10.0), args.device)
        results["dpi_sweep"] = rows
        print("## DPI sweep (page CER by font and size, seconds per page)\n\n" + table(rows) + "\n")
    if args.pdf_pages or short:
        rows = pdf_memory(args.pdf_pages or 40, args.device, args.dpi)
        results["pdf_memory"] = rows
        print("## PDF memory and pages/s\n\n" + table(rows) + "\n")
    if args.ray_images or short:
        rows = ray_vs_map(args.ray_images or 40, 1 if short else args.rounds, args.device)
        results["ray_vs_map"] = rows
        results["ratios"] = ratios(rows)
        print("## Ray Data vs map()\n\n" + table(rows) + "\n")
        print(json.dumps(results["ratios"]))
    if args.ray_cluster:
        rows = ray_cluster_vs_map(args.ray_cluster, args.rounds, args.device, args.cluster_cpus)
        results["ray_cluster_vs_map"] = rows
        results["cluster_ratios"] = ratios(rows)
        print("## Ray Data on a running cluster vs map()\n\n" + table(rows) + "\n")
        print(json.dumps(results["cluster_ratios"]))
    results["load_average_end"] = os.getloadavg()
    print(f"load average at start: {results['load_average']}, end: {results['load_average_end']}")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
