import threading

import numpy as np
import pytest
from ovocr.detection import Detections
from ovocr.errors import ImageError
from ovocr.recognition import Reading, RecBatch
from ovocr.throughput import infer_jobs, run_many


class Compiled:
    def __init__(self, value):
        self.value = value

    def get_property(self, name):
        assert name == "OPTIMAL_NUMBER_OF_INFER_REQUESTS"
        if self.value is None:
            raise RuntimeError("not supported by this device")
        return self.value


def test_infer_jobs_follows_openvino_but_keeps_at_least_two():
    assert infer_jobs(Compiled(4)) == 4
    assert infer_jobs(Compiled(1)) == 2  # one to run while Python prepares the other
    assert infer_jobs(Compiled(None)) == 2


# -- run_many with stand-in stages and a queue that finishes requests out of order -----


class Request:
    def __init__(self, data):
        self.data = data


class ShuffledQueue:
    """An ``ov.AsyncInferQueue`` stand-in whose requests finish on other threads, the later
    ones first (each waits on the one started after it, or a short timer)."""

    def __init__(self, compiled, jobs):
        self.jobs, self.callback = jobs, None
        self.running = 0
        self.lock = threading.Condition()
        self.started = 0

    def set_callback(self, callback):
        self.callback = callback

    def is_ready(self):
        with self.lock:
            return self.running < self.jobs

    def start_async(self, inputs, userdata):
        with self.lock:
            self.running += 1
            self.started += 1
            # Odd requests finish at once, even ones later: completions overtake each other.
            delay = 0.0 if self.started % 2 else 0.03
        threading.Timer(delay, self._finish, (inputs[0], userdata)).start()

    def _finish(self, data, userdata):
        self.callback(Request(np.array(data)), userdata)
        with self.lock:
            self.running -= 1
            self.lock.notify_all()

    def wait_all(self):
        with self.lock:
            self.lock.wait_for(lambda: self.running == 0)


class WidthDetector:
    """Finds one region, the whole image; its 'network' echoes the image width."""

    compiled = Compiled(2)

    def preprocess(self, image):
        return np.array([[float(image.shape[1])]], np.float32), (1.0, 1.0)

    def split(self, tensor):
        return [tensor]

    def join(self, raws, shape):
        return raws[0]

    def output(self, request):
        return request.data.copy()

    def postprocess(self, raw, scale, shape):
        h, w = shape
        quad = np.array([[[0, 0], [w, 0], [w, h], [0, h]]], np.float32)
        return Detections(quad, np.ones(1, np.float32))


class WidthRecognizer:
    """Reads a crop as ``w<width>``; fails on crops as wide as ``fail_on``."""

    compiled = Compiled(3)

    def __init__(self, fail_on=None):
        self.fail_on = fail_on

    def plan(self, crops):
        return [RecBatch((i,), (c.shape[1],), c.shape[1]) for i, c in enumerate(crops)]

    def tensor(self, crops, batch):
        return np.array([float(crops[batch.indices[0]].shape[1])])

    def output(self, request):
        return request.data

    def readings(self, probs, batch):
        width = int(probs[0])
        if width == self.fail_on:
            raise ValueError(f"cannot decode a crop {width} wide")
        return [Reading(f"w{width}", 0.9)]


@pytest.fixture
def shuffled(monkeypatch):
    import openvino

    monkeypatch.setattr(openvino, "AsyncInferQueue", ShuffledQueue)


def images(widths):
    return [np.full((20, w, 3), 255, np.uint8) for w in widths]


def test_pages_come_in_input_order_when_requests_finish_out_of_order(shuffled):
    widths = [40 + 7 * i for i in range(15)]
    sources = images(widths)
    sources[5] = None  # not an image: its error takes its place
    pages = list(run_many(WidthDetector(), WidthRecognizer(), None, sources, return_errors=True))
    assert isinstance(pages[5], ImageError)
    texts = [p.text for i, p in enumerate(pages) if i != 5]
    assert texts == [f"w{w}" for i, w in enumerate(widths) if i != 5]


def test_an_unreadable_input_is_raised_in_its_turn_without_return_errors(shuffled):
    results = run_many(WidthDetector(), WidthRecognizer(), None, [*images([40, 50]), None])
    assert [next(results).text, next(results).text] == ["w40", "w50"]
    with pytest.raises(ImageError):
        next(results)


def test_an_error_in_a_callback_is_raised_on_the_callers_thread(shuffled):
    results = run_many(WidthDetector(), WidthRecognizer(fail_on=61), None, images([40, 61, 70]))
    with pytest.raises(ValueError, match="cannot decode a crop 61 wide"):
        list(results)


def test_the_shutdown_pause_is_taken_once_at_exit_not_after_every_run(shuffled, monkeypatch):
    from ovocr import throughput

    slept, registered = [], []
    monkeypatch.setattr(throughput.time, "sleep", slept.append)
    monkeypatch.setattr(throughput, "_settle_registered", False)
    monkeypatch.setattr(throughput.atexit, "register", lambda *call: registered.append(call))
    for _ in range(3):
        list(run_many(WidthDetector(), WidthRecognizer(), None, images([40])))
    assert slept == []
    assert registered == [(slept.append, throughput.SETTLE_S)]
