"""Many files, many pages, many machines: OCR as a stream, in-process or on Ray Data.

Explained in 11-ocr-at-scale. The unit of work is an ``Item``: an image file, a whole
PDF, or one page of a PDF. Two engines read items and give one ``Result`` per image or
page, in input order, with the same pages:

* ``read_items(ocr, items)``: in this process, one ``OcrPipeline.map`` over every image
  and PDF page (pages are rendered one at a time as the pipeline asks for them);
* ``read_with_ray(paths)``: a Ray Data pipeline. The driver lists the files and counts
  PDF pages; ``map_batches`` sends batches of items to a pool of ``OcrActor`` actors,
  each holding one pipeline compiled with the ``THROUGHPUT`` hint on as many CPUs as the
  actor reserves from Ray (one actor per machine by default); results stream back and
  are put in input order. It runs on a local Ray started in this process, or on a
  cluster given ``address`` (or ``RAY_ADDRESS``). Ray is imported only here.

A file that cannot be read becomes a ``Result`` holding its ``ImageError``, never an
exception that stops a worker or the job. Every worker reads the files itself, so on a
cluster the paths must be visible from every machine (a shared file system).
"""

from __future__ import annotations

import json
import os
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import numpy as np

from .cluster import connect
from .errors import ImageError, OvocrError
from .images import IMAGE_EXTENSIONS, iter_image_paths, load_image, tiff_page_count
from .pdf import DEFAULT_DPI, PageRenderer, is_pdf, open_pdf
from .types import Page

if TYPE_CHECKING:
    from .pipeline import OcrPipeline

DOCUMENT_EXTENSIONS = IMAGE_EXTENSIONS | {".pdf"}
# Items per actor call, by default from the job (``batch_plan``): each call ends with the
# pipeline's queue drained, so calls of 32 waste less than calls of 8 (200 photos on a
# running 2-CPU cluster: 28.4 s against 33.7 s), while every actor still gets several calls.
BATCH_MIN, BATCH_MAX, CALLS_PER_ACTOR = 8, 32, 4


@dataclass(frozen=True)
class Item:
    """One unit of work: an image file, a whole PDF (``page=None``) or one PDF page."""

    path: Path
    page: int | None = None  # 1-based, as in the records


@dataclass(frozen=True)
class Result:
    """What one image or PDF page gave: its ``Page``, or the error that stopped it.

    Attributes:
        path: the input file.
        page: 1-based page number for PDF pages, ``None`` for images (and for a PDF that
            could not be opened at all).
        outcome: the ``Page`` read, or an ``ImageError`` naming the file and the problem.
        node: the Ray node that read it (``None`` in-process).
    """

    path: Path
    page: int | None
    outcome: Page | ImageError
    node: str | None = None

    @property
    def ok(self) -> bool:
        return isinstance(self.outcome, Page)

    def record(self) -> dict[str, Any]:
        """The ``ovocr predict`` JSON record: ``image``, ``page`` (PDFs only), the page."""
        if not isinstance(self.outcome, Page):
            raise ValueError(f"{self.path}: no record for a failed input ({self.outcome})")
        head: dict[str, Any] = {"image": str(self.path)}
        if self.page is not None:
            head["page"] = self.page
        return {**head, **self.outcome.to_dict()}


def expand_paths(paths: Iterable[str | os.PathLike]) -> Iterator[Item | Result]:
    """Files and folders as ``Item`` s (folders searched for images and PDFs); a folder
    without any gives a ``Result`` holding the error."""
    for raw in paths:
        try:
            for path in iter_image_paths([raw], extensions=DOCUMENT_EXTENSIONS):
                yield Item(path)
        except ImageError as exc:
            yield Result(Path(raw), None, exc)


def read_items(
    ocr: OcrPipeline, items: Iterable[Item | Result], dpi: float = DEFAULT_DPI
) -> Iterator[Result]:
    """Read items in this process with one ``ocr.map``; yield ``Result`` s in input order.

    A whole PDF (or multi-page TIFF) gives one result per page, rendered only when the
    pipeline is ready for it; a ``Result`` among the items (an error found earlier) is
    passed on in its place.
    """
    # What map() will give back, in order: a (path, page) label per image sent to it, or
    # a finished Result (an error) to pass on when everything before it is out.
    pending: deque[tuple[Path, int | None] | Result] = deque()

    def sources() -> Iterator[str | os.PathLike | np.ndarray]:
        for path, pages in _grouped(items, pending):
            count = 0 if is_pdf(path) or pages else tiff_page_count(path)
            if count == 1:  # an image: decoded on the pipeline's loader thread
                pending.append((path, None))
                yield path
                continue
            if not is_pdf(path):  # a multi-page TIFF: one record per page, as for PDFs
                for number in pages or range(1, count + 1):
                    try:
                        image = load_image(path, page=number)
                    except ImageError as exc:
                        pending.append(Result(path, number, exc))
                        continue
                    pending.append((path, number))
                    yield image
                continue
            try:
                renderer = PageRenderer(path)
            except ImageError as exc:  # every page asked for fails alike
                failed: list[int | None] = list(pages) if pages else [None]
                pending.extend(Result(path, n, exc) for n in failed)
                continue
            with renderer:  # each page in a child process, within a memory and time budget
                for number in pages or range(1, renderer.page_count + 1):
                    try:
                        image = renderer.render(number, dpi)
                    except ImageError as exc:
                        pending.append(Result(path, number, exc))
                        continue
                    pending.append((path, number))
                    yield image

    def ready() -> Iterator[Result]:
        while pending and isinstance(pending[0], Result):
            yield pending.popleft()  # type: ignore[misc]

    pages = ocr.map(sources(), return_errors=True)
    for outcome in pages:
        yield from ready()
        path, number = pending.popleft()  # type: ignore[misc]
        yield Result(path, number, outcome)
    yield from ready()


def _grouped(
    items: Iterable[Item | Result], pending: deque[Any]
) -> Iterator[tuple[Path, list[int]]]:
    """Runs of items of one file as ``(path, page numbers)`` (empty: the whole file), so a
    PDF is opened once for its pages; ``Result`` s go straight to ``pending``."""
    run: tuple[Path, list[int]] | None = None
    for item in items:
        if isinstance(item, Result):
            if run:
                yield run
                run = None
            pending.append(item)
            continue
        if run and item.page is not None and run[0] == item.path and run[1]:
            run[1].append(item.page)
            continue
        if run:
            yield run
        run = (item.path, [] if item.page is None else [item.page])
    if run:
        yield run


def list_pages(items: Iterable[Item | Result]) -> Iterator[Item | Result]:
    """Whole PDFs and multi-page TIFFs split into one ``Item`` per page (the driver's job
    before Ray spreads pages over workers); a PDF that cannot be opened becomes a
    ``Result`` with its error."""
    for item in items:
        if isinstance(item, Result) or item.page is not None:
            yield item
            continue
        if not is_pdf(item.path):
            count = tiff_page_count(item.path)
            yield from (Item(item.path, n) for n in (range(1, count + 1) if count > 1 else [None]))
            continue
        try:
            doc = open_pdf(item.path)
        except ImageError as exc:
            yield Result(item.path, None, exc)
            continue
        count = len(doc)
        doc.close()
        yield from (Item(item.path, n) for n in range(1, count + 1))


class OcrActor:
    """A Ray Data worker: one compiled pipeline, reused for every batch it is given.

    Ray creates it once per actor (``map_batches(OcrActor, ...)``); ``__call__`` reads a
    batch of items (columns ``index``, ``image``, ``page``: 0 for images) and returns
    one row per item, whatever happens to it: ``index``, ``record`` (the JSON of the
    page), ``text``, ``error`` (empty when read) and ``node`` (where it ran).
    """

    def __init__(self, dpi: float = DEFAULT_DPI, threads: int | None = None, **pipeline: Any):
        import ray

        from .devices import get_core
        from .pipeline import load_pipeline

        if threads:  # as many inference threads as CPUs reserved: actors never overlap
            get_core().set_property("CPU", {"INFERENCE_NUM_THREADS": int(threads)})
        self.ocr = load_pipeline(hint="THROUGHPUT", **pipeline)
        self.dpi = dpi
        self.node = ray.get_runtime_context().get_node_id()

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        items = [
            Item(Path(str(path)), int(page) or None)
            for path, page in zip(batch["image"], batch["page"])
        ]
        try:
            results = list(read_items(self.ocr, items, self.dpi))
        except Exception:  # noqa: BLE001 - find the item, so one file cannot fail the batch
            results = [self._one(item) for item in items]
        return {
            "index": np.asarray(batch["index"]),
            "record": np.array([json.dumps(r.record()) if r.ok else "" for r in results], object),
            "text": np.array(
                [r.outcome.text if isinstance(r.outcome, Page) else "" for r in results], object
            ),
            "error": np.array(["" if r.ok else str(r.outcome) for r in results], object),
            "node": np.array([self.node] * len(results), object),
        }

    def _one(self, item: Item) -> Result:
        try:
            return next(read_items(self.ocr, [item], self.dpi))
        except Exception as exc:  # noqa: BLE001 - reported as this file's error line
            return Result(item.path, item.page, ImageError(f"{item.path}: cannot read ({exc})"))


def actor_plan(cpus_per_actor: float | None = None) -> tuple[int, float]:
    """How many actors fit the cluster, and the CPUs each reserves.

    By default each actor takes all CPUs of the smallest machine: one pipeline per
    machine, whose ``THROUGHPUT`` streams share those CPUs (fewest model copies in
    memory and fewest compilations).
    """
    import ray

    cpus = [n["Resources"].get("CPU", 0.0) for n in ray.nodes() if n["Alive"]]
    cpus = [c for c in cpus if c > 0]
    if not cpus:
        raise OvocrError("the Ray cluster has no CPUs to run OCR on")
    per = cpus_per_actor or min(cpus)
    return max(1, sum(int(c // per) for c in cpus)), per


def batch_plan(items: int, actors: int) -> int:
    """Items per actor call: as large as ``BATCH_MAX`` while each actor still gets
    ``CALLS_PER_ACTOR`` calls (so a slow node does not hold the last one), never below
    ``BATCH_MIN``."""
    return max(BATCH_MIN, min(BATCH_MAX, items // (CALLS_PER_ACTOR * max(1, actors))))


def ocr_dataset(
    items: list[Item],
    dpi: float = DEFAULT_DPI,
    cpus_per_actor: float | None = None,
    batch_size: int | None = None,
    **pipeline: Any,
) -> Any:
    """The Ray Data ``Dataset`` that reads ``items`` (images and single PDF pages).

    Lazy, like every Ray dataset: nothing runs until it is iterated or written
    (``.write_parquet(folder)``, ``.iter_rows()``...). Rows: ``index`` (position in
    ``items``), ``record``, ``text``, ``error``, ``node`` (see ``OcrActor``).

    Args:
        items: what to read; PDFs split into pages first (``list_pages``).
        dpi: PDF rendering resolution.
        cpus_per_actor: CPUs each actor reserves (default: a whole machine).
        batch_size: items per actor call (default: ``batch_plan``).
        **pipeline: ``load_pipeline`` arguments for the actors (``det``, ``device``...).
    """
    import ray

    actors, per = actor_plan(cpus_per_actor)
    actors = min(actors, max(1, len(items)))
    rows = [
        {"index": i, "image": str(item.path), "page": item.page or 0}
        for i, item in enumerate(items)
    ]
    dataset = ray.data.from_items(rows).map_batches(
        OcrActor,
        fn_constructor_kwargs={"dpi": dpi, "threads": int(per), **pipeline},
        batch_size=batch_size or batch_plan(len(items), actors),
        num_cpus=per,
        compute=ray.data.ActorPoolStrategy(size=actors),
    )
    dataset.context.enable_progress_bars = False  # stderr keeps to `ovocr: ` lines
    return dataset


def read_with_ray(
    paths: Iterable[str | os.PathLike] | Iterable[Item | Result],
    dpi: float = DEFAULT_DPI,
    address: str | None = None,
    cpus_per_actor: float | None = None,
    batch_size: int | None = None,
    **pipeline: Any,
) -> Iterator[Result]:
    """Read images and PDFs on Ray Data; yield ``Result`` s in input order, as they come.

    Same results as ``read_items`` in one process. Starts a local Ray (or joins
    ``address``) if needed; see ``ocr_dataset`` for the other arguments.

    Raises:
        OvocrError: a setting is wrong or a model cannot be prepared on this machine
            (checked here before any worker starts: one line instead of a failed job), or
            the job itself failed (e.g. models cannot be prepared on a worker).
    """
    from .models import DEFAULT_DET, DEFAULT_REC, get_model
    from .pipeline import runtime_options

    runtime_options(
        pipeline.get("device"),
        pipeline.get("precision"),
        "THROUGHPUT",
        pipeline.get("cache_dir"),
    )
    for task, default in (("det", DEFAULT_DET), ("rec", DEFAULT_REC), ("cls", None)):
        name = pipeline.get(task, default)
        if name:
            get_model(name, task)
    connect(address)
    import ray

    given = list(paths)
    if _all_items(given):
        entries = list(list_pages(cast("list[Item | Result]", given)))
    else:
        entries = list(list_pages(expand_paths(cast("list[str | os.PathLike]", given))))
    work = [e for e in entries if isinstance(e, Item)]
    if not work:
        yield from entries  # type: ignore[misc]
        return
    dataset = ocr_dataset(work, dpi, cpus_per_actor, batch_size, **pipeline)
    done: dict[int, Result] = {}
    next_work = 0
    position = 0  # in entries
    try:
        for row in dataset.iter_rows():
            index = int(row["index"])
            item = work[index]
            if row["error"]:
                outcome: Page | ImageError = ImageError(row["error"])
            else:
                outcome = Page.from_dict(json.loads(row["record"]))
            done[index] = Result(item.path, item.page, outcome, row["node"])
            while position < len(entries):  # everything now in order goes out
                entry = entries[position]
                if isinstance(entry, Result):
                    yield entry
                elif next_work in done:
                    yield done.pop(next_work)
                    next_work += 1
                else:
                    break
                position += 1
    except ray.exceptions.RayError as exc:
        first = (str(exc).strip().splitlines() or ["unknown error"])[-1]
        raise OvocrError(f"the Ray job failed: {first[:300]}") from None
    yield from (e for e in entries[position:] if isinstance(e, Result))


def _all_items(given: list[Any]) -> bool:
    return bool(given) and all(isinstance(g, (Item, Result)) for g in given)


def write_jsonl(results: Iterable[Result], path: str | os.PathLike) -> tuple[int, int]:
    """Write the records of successful results as JSON lines; return (written, failed).

    The lines go to a hidden temporary file beside ``path``, renamed over it when every
    result is written: a job that fails or is stopped leaves the old file as it was.
    """
    import tempfile

    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    written = failed = 0
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    try:
        with open(fd, "w", encoding="utf-8") as out:
            for result in results:
                if result.ok:
                    out.write(json.dumps(result.record(), ensure_ascii=False) + "\n")
                    written += 1
                else:
                    failed += 1
            out.flush()
            os.fsync(out.fileno())
        mask = os.umask(0o022)  # the only way to read the umask is to set it
        os.umask(mask)
        os.chmod(tmp, 0o666 & ~mask)
        os.replace(tmp, target)
    finally:
        if os.path.lexists(tmp):
            os.unlink(tmp)
    return written, failed
