"""Many images at once: keep every core busy with overlapping asynchronous requests.

Explained in 08-performance. One image at a time leaves cores idle: while Python decodes
an image, post-processes a probability map or assembles a page, no model runs, and a
small recognition batch cannot use two cores well. ``run_many`` (behind
``OcrPipeline.map``) pipelines the work instead:

* a helper thread decodes and pre-processes the next images;
* detection requests for images *n+1, n+2* run on an ``ov.AsyncInferQueue`` while the
  recognition requests of image *n* run on another;
* the main thread does the Python steps (box extraction, cropping, page assembly) in the
  gaps, and yields pages in input order.

Each image is cropped, batched, decoded and assembled by the same stage methods and
``ovocr.builder`` functions as ``OcrPipeline.__call__`` uses, so the pages are the same;
only the order in which requests run changes.
"""

from __future__ import annotations

import atexit
import queue
import threading
import time
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

from .builder import MIN_CONFIDENCE, assemble, cut_crops
from .detection import Detections, TextDetector
from .errors import ImageError
from .images import load_for_ocr, load_image
from .recognition import AngleClassifier, Reading, RecBatch, TextRecognizer
from .refine import GAP_RATIO
from .types import Page


class Stages(Protocol):
    """What ``request_shapes`` needs of a pipeline (an ``OcrPipeline``)."""

    detector: TextDetector
    recognizer: TextRecognizer
    classifier: AngleClassifier | None


# Images decoded ahead of detection, and images in the pipeline at most (bounds memory).
PREFETCH = 3
MAX_IN_FLIGHT = 6
_END = object()  # marks the end of the input iterable


@dataclass
class _Slot:
    """One image on its way through the pipeline."""

    image: np.ndarray | None = None
    scale: tuple[float, float] = (1.0, 1.0)
    tensor_shape: tuple[int, ...] = ()
    raws: list[np.ndarray | None] = field(default_factory=list)  # one per detector part
    detections: Detections = field(default_factory=Detections)
    readings: list[Reading] = field(default_factory=list)
    flipped: list[bool] = field(default_factory=list)
    pending: int = 0  # recognition requests not yet finished
    result: Page | ImageError | None = None
    size: tuple[int, int] = (0, 0)  # (width, height) before a very large image shrank


def _load(detector: TextDetector, source: Any) -> tuple[np.ndarray, np.ndarray, Any, Any]:
    image, size = load_for_ocr(source)
    tensor, scale = detector.preprocess(image)
    return image, tensor, scale, size


def infer_jobs(compiled: Any) -> int:
    """Parallel requests worth keeping in flight for ``compiled`` (at least two).

    OpenVINO suggests one per stream (``OPTIMAL_NUMBER_OF_INFER_REQUESTS``); two is the
    least that lets Python prepare one request while the other runs.
    """
    try:
        return max(2, int(compiled.get_property("OPTIMAL_NUMBER_OF_INFER_REQUESTS")))
    except RuntimeError:
        return 2


def run_many(
    detector: TextDetector,
    recognizer: TextRecognizer,
    classifier: AngleClassifier | None,
    images: Iterable[Any],
    return_errors: bool = False,
    min_confidence: float = MIN_CONFIDENCE,
    gap_ratio: float | None = GAP_RATIO,
) -> Iterator[Page | ImageError]:
    """Read many images with overlapping requests; yield one result per input, in order.

    Args:
        detector, recognizer, classifier: the stages of the pipeline.
        images: what ``load_image`` reads (paths, RGB arrays, PIL images).
        return_errors: yield an unreadable image's ``ImageError`` instead of raising it.
        min_confidence: lines read less confidently give no words (``builder.assemble``).
        gap_ratio: regions are cut into lines at wider gaps (``builder.assemble``).
    """
    import openvino as ov

    events: queue.SimpleQueue[tuple[Any, ...]] = queue.SimpleQueue()

    def on_detected(request: Any, job: tuple[_Slot, int]) -> None:
        try:  # callbacks run on OpenVINO's threads: hand everything to the main thread
            events.put(("det", *job, detector.output(request)))
        except Exception as exc:  # re-raised on the main thread
            events.put(("error", exc))

    def on_read(request: Any, job: tuple[_Slot, RecBatch]) -> None:
        slot, batch = job
        try:
            events.put(("rec", slot, batch, recognizer.readings(recognizer.output(request), batch)))
        except Exception as exc:  # re-raised on the main thread
            events.put(("error", exc))

    det_queue = ov.AsyncInferQueue(detector.compiled, infer_jobs(detector.compiled))
    det_queue.set_callback(on_detected)
    rec_queue = ov.AsyncInferQueue(recognizer.compiled, infer_jobs(recognizer.compiled))
    rec_queue.set_callback(on_read)
    settle_at_exit()  # before any request runs, so an exit at any point gets the pause

    def detected(slot: _Slot, part: int, raw: np.ndarray) -> None:
        assert slot.image is not None
        slot.raws[part] = raw
        if any(r is None for r in slot.raws):
            return  # a tall image runs as several parts (strips): wait for all
        joined = detector.join(slot.raws, slot.tensor_shape)  # type: ignore[arg-type]
        slot.raws = []
        slot.detections = detector.postprocess(joined, slot.scale, slot.image.shape[:2])
        crops, slot.flipped = cut_crops(slot.image, slot.detections, classifier)
        slot.readings = [Reading("", 0.0)] * len(crops)
        batches = recognizer.plan(crops)
        slot.pending = len(batches)
        if not batches:
            finish(slot)
        for batch in batches:
            tensor = recognizer.tensor(crops, batch)
            rec_queue.start_async({0: tensor}, (slot, batch))

    def read(slot: _Slot, batch: RecBatch, readings: list[Reading]) -> None:
        for i, reading in zip(batch.indices, readings):
            slot.readings[i] = reading
        slot.pending -= 1
        if slot.pending == 0:
            finish(slot)

    def finish(slot: _Slot) -> None:
        assert slot.image is not None
        size = slot.image.shape[:2]
        slot.result = assemble(
            size, slot.detections, slot.readings, slot.flipped, min_confidence, gap_ratio
        ).resized(*slot.size)
        slot.image = None

    sources = iter(images)
    loader = ThreadPoolExecutor(max_workers=1, thread_name_prefix="ovocr-load")
    loads: deque[Future] = deque()
    order: deque[_Slot] = deque()

    def top_up() -> None:
        while len(loads) < PREFETCH:
            source = next(sources, _END)
            if source is _END:
                return
            loads.append(loader.submit(_load, detector, source))

    try:
        top_up()
        while loads or order:
            in_flight = sum(slot.result is None for slot in order)
            # Admit while few images are in the pipeline, finished or not: a slow image at
            # the head holds back those after it, and read-ahead must stay bounded.
            while loads and det_queue.is_ready() and len(order) < MAX_IN_FLIGHT:
                slot = _Slot()
                order.append(slot)
                try:
                    slot.image, tensor, slot.scale, slot.size = loads.popleft().result()
                except ImageError as exc:
                    slot.result = exc
                else:
                    parts = detector.split(tensor)
                    slot.tensor_shape, slot.raws = tensor.shape, [None] * len(parts)
                    for i, part in enumerate(parts):
                        det_queue.start_async({0: part}, (slot, i))
                    in_flight += 1
                top_up()
            while order and order[0].result is not None:
                result = order.popleft().result
                assert result is not None
                if isinstance(result, ImageError) and not return_errors:
                    raise result
                yield result
            if in_flight == 0:
                if loads:  # a finished request can be marked idle just after its callback
                    det_queue.wait_all()
                continue
            event = events.get()
            if event[0] == "det":
                detected(event[1], event[2], event[3])
            elif event[0] == "rec":
                read(event[1], event[2], event[3])
            else:
                raise event[1]
    finally:
        loader.shutdown(wait=True, cancel_futures=True)
        det_queue.wait_all()
        rec_queue.wait_all()


# OpenVINO's threads drop their last references to a queue's callbacks a moment after
# wait_all() returns, taking the GIL to do so: a process that exits in that moment
# (`ovocr predict DIR | head -n 1`) aborts ("terminate called without an active
# exception", exit 134) in about one run in four. Only an exiting interpreter is hurt, so
# the pause that lets them finish is taken once, at exit, not after every run.
SETTLE_S = 0.05
_settling = threading.Lock()
_settle_registered = False


def settle_at_exit() -> None:
    """Make sure the interpreter pauses ``SETTLE_S`` before it exits (registered once)."""
    global _settle_registered
    with _settling:
        if not _settle_registered:
            atexit.register(time.sleep, SETTLE_S)
            _settle_registered = True


def request_shapes(
    pipeline: Stages, images: Iterable[Any]
) -> tuple[list[tuple[int, ...]], list[tuple[int, ...]]]:
    """Input shapes of the detection and recognition requests ``map`` makes for ``images``.

    Runs detection (not recognition) and plans the recognition batches as the pipeline
    does. With ``inference_seconds`` this gives the model-bound limit: the time the
    networks alone need for these images, which no pipeline around them can beat.
    """
    det_shapes: list[tuple[int, ...]] = []
    rec_shapes: list[tuple[int, ...]] = []
    for source in images:
        image = load_image(source)
        tensor, scale = pipeline.detector.preprocess(image)
        det_shapes += [part.shape for part in pipeline.detector.split(tensor)]
        raw = pipeline.detector.infer(tensor)
        detections = pipeline.detector.postprocess(raw, scale, image.shape[:2])
        crops, _ = cut_crops(image, detections, pipeline.classifier)
        rec_shapes += [pipeline.recognizer.input_shape(b) for b in pipeline.recognizer.plan(crops)]
    return det_shapes, rec_shapes


def inference_seconds(
    compiled: Any, shapes: Iterable[tuple[int, ...]], warmup: bool = True
) -> float:
    """Wall time to run one request per shape, as many in parallel as the device likes.

    Pure inference, as OpenVINO's ``benchmark_app`` measures it: inputs are made before
    the clock starts and outputs are not read. ``warmup`` runs every distinct shape once
    first, so one-off kernel compilation is not counted.
    """
    import openvino as ov

    rng = np.random.default_rng(0)
    # Inputs are copied into the requests, as in the pipeline. Handing a request memory it
    # does not own (share_inputs=True, or an ov.Tensor) crashed later requests of the same
    # model in OpenVINO 2024.6 once that memory was freed.
    tensors = [rng.standard_normal(shape, dtype=np.float32) for shape in shapes]
    requests = ov.AsyncInferQueue(compiled, infer_jobs(compiled))
    if warmup:
        for tensor in {t.shape: t for t in tensors}.values():
            requests.start_async({0: tensor})
        requests.wait_all()
    start = time.perf_counter()
    for tensor in tensors:
        requests.start_async({0: tensor})
    requests.wait_all()
    return time.perf_counter() - start
