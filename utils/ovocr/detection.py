"""Text detection: find where text is, as quadrilaterals in image pixels.

Three steps kept apart (explained in 03-text-detection):

1. ``preprocess_db`` / ``preprocess_boxes``: RGB image in, input tensor out.
2. the compiled OpenVINO model.
3. ``postprocess_db`` (a probability map: threshold, contours, unclip, rotated boxes) or
   ``postprocess_boxes`` (Open Model Zoo ``[N, 5]`` box list): raw output in, quads out.

Pre- and post-processing are plain NumPy/OpenCV functions, testable without a model.
``TextDetector`` joins the three for one model; each model family has its own class
(``DbDetector``, ``BoxDetector``) with its own typed settings (``ovocr.settings``).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, ClassVar

import cv2
import numpy as np
import pyclipper

from .devices import CompileOptions, ThreadRequests, compile_model
from .geometry import clip_quad, order_quad
from .settings import BoxParams, DbParams, StageSettings
from .specs import ModelSpec, PreparedModel, family_class
from .strips import Strip, plan_strips, stitch


@dataclass(frozen=True)
class Detections:
    """Detected text regions.

    Attributes:
        quads: ``float32 [N, 4, 2]``, pixel ``(x, y)`` points clockwise from top-left.
        scores: ``float32 [N]`` region confidence.
    """

    quads: np.ndarray = field(default_factory=lambda: np.zeros((0, 4, 2), np.float32))
    scores: np.ndarray = field(default_factory=lambda: np.zeros((0,), np.float32))

    def __len__(self) -> int:
        return len(self.quads)


def resize_shape(height: int, width: int, params: DbParams) -> tuple[int, int]:
    """Input size for the DB network: scaled as ``params`` say, multiples of 32."""
    if params.limit_type == "min":
        scale = min(max(params.limit_side_len / min(height, width), 1.0), params.max_upscale)
    elif params.limit_type == "width":
        scale = min(params.limit_side_len / width, params.max_upscale)
    else:
        scale = min(params.limit_side_len / max(height, width), 1.0)
    scale = min(scale, params.max_side_len / max(height, width))
    new_h = max(32, int(round(height * scale / 32)) * 32)
    new_w = max(32, int(round(width * scale / 32)) * 32)
    return new_h, new_w


def normalise(
    image: np.ndarray, mean: tuple[float, ...], std: tuple[float, ...], channels: str
) -> np.ndarray:
    """RGB ``uint8 HxWx3`` -> ``float32 1xCxHxW`` scaled to 0..1, standardised.

    A ``uint8`` channel has only 256 values, so each is normalised once into a lookup
    table that the pixels then index (``cv2.LUT`` on each channel plane, straight into
    channel-first order): the same numbers, about 10x faster than arithmetic on every
    pixel (08-performance).
    """
    if image.dtype != np.uint8:
        if channels == "BGR":
            image = image[:, :, ::-1]
        x = image.astype(np.float32) * (1.0 / 255.0)
        x -= np.asarray(mean, np.float32)
        x /= np.asarray(std, np.float32)
        return np.ascontiguousarray(x.transpose(2, 0, 1)[None])
    planes = cv2.split(image)
    if channels == "BGR":
        planes = planes[::-1]
    table = np.repeat(np.arange(256, dtype=np.float32)[:, None], len(planes), axis=1)
    table *= np.float32(1.0 / 255.0)
    table -= np.asarray(mean, np.float32)
    table /= np.asarray(std, np.float32)
    out = np.empty((1, len(planes), *image.shape[:2]), np.float32)
    for c, plane in enumerate(planes):
        out[0, c] = cv2.LUT(plane, np.ascontiguousarray(table[:, c]))
    return out


def preprocess_db(image: np.ndarray, params: DbParams) -> tuple[np.ndarray, tuple[float, float]]:
    """Resize and normalise an RGB image; return the tensor and the ``(sy, sx)`` scale
    from network pixels back to image pixels."""
    height, width = image.shape[:2]
    new_h, new_w = resize_shape(height, width, params)
    resized = cv2.resize(image, (new_w, new_h), interpolation=cv2.INTER_LINEAR)
    tensor = normalise(resized, params.mean, params.std, params.channels)
    rows, columns = padded_shape(new_h, new_w, params)
    if (rows, columns) != (new_h, new_w):  # zeros after normalisation: the mean colour, no text
        tensor = np.pad(tensor, ((0, 0), (0, 0), (0, rows - new_h), (0, columns - new_w)))
    return tensor, (height / new_h, width / new_w)


def padded_rows(rows: int, columns: int, step: int) -> int:
    """Rows of the detector input after padding: pages (taller than wide) go up to a
    multiple of ``step``, so pages of many lengths share a few input shapes.

    >>> padded_rows(1600, 960, 256), padded_rows(544, 960, 256), padded_rows(1600, 960, 32)
    (1792, 544, 1600)
    """
    if rows <= columns or step <= 32:
        return rows
    return -(-rows // step) * step


def padded_shape(rows: int, columns: int, params: DbParams) -> tuple[int, int]:
    """The detector input of a ``rows`` x ``columns`` resized image, after padding.

    Pages (taller than wide, ``page_rows_step`` above 32) get a few shapes: one no taller
    than ``strip_rows`` is padded to a multiple of ``page_rows_step`` rows (a taller one
    runs as strips of such heights, ``ovocr.strips``), and one a little narrower than the
    ``limit_side_len`` it was aimed at (a very long page, capped by ``max_side_len``) is
    padded to it. Photos are never padded.

    >>> p = DbParams(limit_side_len=960, limit_type="width", page_rows_step=128)
    >>> padded_shape(1000, 928, p), padded_shape(2400, 960, p), padded_shape(544, 960, p)
    ((1024, 960), (2400, 960), (544, 960))
    """
    step = params.page_rows_step
    if rows <= columns or step <= 32:
        return rows, columns
    if not params.strip_rows or rows <= params.strip_rows:
        rows = padded_rows(rows, columns, step)
    limit = params.limit_side_len
    if params.limit_type == "width" and limit * 7 // 8 <= columns < limit:
        columns = limit
    return rows, columns


def page_width_for(quads: np.ndarray, width: int, params: DbParams) -> int:
    """The narrowest of ``params.page_widths`` at which the median height of ``quads``
    (text regions in image pixels, on an image ``width`` wide) is at least
    ``params.text_height`` pixels; ``limit_side_len`` when there are no regions or no
    width is wide enough.

    >>> quads = np.array([[[0, 0], [100, 0], [100, 40], [0, 40]]] * 3, np.float32)
    >>> p = DbParams(text_height=16, page_widths=(480, 640, 960))
    >>> page_width_for(quads, 960, p), page_width_for(quads / 2, 960, p)
    (480, 960)
    """
    if len(quads) == 0 or width <= 0:
        return params.limit_side_len
    heights = np.linalg.norm(quads[:, 3] - quads[:, 0], axis=1)
    median = float(np.median(heights))
    for candidate in sorted(params.page_widths):
        if candidate <= params.limit_side_len and median * candidate / width >= params.text_height:
            return candidate
    return params.limit_side_len


def unclip(box: np.ndarray, ratio: float) -> np.ndarray:
    """Grow a polygon by ``area * ratio / perimeter`` (the DB paper's offset)."""
    area = cv2.contourArea(box.astype(np.float32))
    perimeter = cv2.arcLength(box.astype(np.float32), True)
    if perimeter <= 0:
        return box
    distance = area * ratio / perimeter
    offset = pyclipper.PyclipperOffset()
    offset.AddPath(
        np.round(box).astype(np.int64).tolist(), pyclipper.JT_ROUND, pyclipper.ET_CLOSEDPOLYGON
    )
    grown = offset.Execute(distance)
    if not grown:
        return box
    return np.asarray(max(grown, key=len), dtype=np.float32)


def region_score(prob: np.ndarray, contour: np.ndarray) -> float:
    """Mean probability inside ``contour`` (computed on its bounding-box window only)."""
    h, w = prob.shape
    pts = contour.reshape(-1, 2)
    x0, y0 = np.clip(np.floor(pts.min(axis=0)).astype(int), 0, [w - 1, h - 1])
    x1, y1 = np.clip(np.ceil(pts.max(axis=0)).astype(int), 0, [w - 1, h - 1])
    mask = np.zeros((y1 - y0 + 1, x1 - x0 + 1), dtype=np.uint8)
    cv2.fillPoly(mask, [np.round(pts - [x0, y0]).astype(np.int32)], 1)
    return float(cv2.mean(prob[y0 : y1 + 1, x0 : x1 + 1], mask)[0])


def postprocess_db(
    prob: np.ndarray, scale: tuple[float, float], image_shape: tuple[int, int], params: DbParams
) -> Detections:
    """Turn a DB probability map ``[H, W]`` into rotated quads in image pixels.

    Steps: threshold -> contours -> score each region -> unclip (grow back) ->
    minimum-area rectangle -> scale to the image -> clip.
    """
    prob = np.asarray(prob, dtype=np.float32).squeeze()
    if prob.ndim != 2 or prob.size == 0:
        return Detections()
    # Rows and columns past the image (padding, ``padded_rows``) hold no text.
    valid = int(round(image_shape[0] / scale[0])), int(round(image_shape[1] / scale[1]))
    prob = prob[: max(valid[0], 1), : max(valid[1], 1)]
    bitmap = (prob > params.thresh).astype(np.uint8)
    contours, _ = cv2.findContours(bitmap, cv2.RETR_LIST, cv2.CHAIN_APPROX_SIMPLE)
    quads, scores = [], []
    height, width = image_shape
    for contour in contours[: params.max_candidates]:
        rect = cv2.minAreaRect(contour)
        if min(rect[1]) < params.min_size:
            continue
        score = region_score(prob, contour)
        if score < params.box_thresh:
            continue
        grown = unclip(cv2.boxPoints(rect), params.unclip_ratio)
        rect = cv2.minAreaRect(grown.reshape(-1, 1, 2))
        if min(rect[1]) < params.min_size + 2:
            continue
        quad = order_quad(cv2.boxPoints(rect)) * np.array([scale[1], scale[0]], np.float32)
        quad = clip_quad(quad, width, height)
        if min(np.linalg.norm(quad[0] - quad[1]), np.linalg.norm(quad[0] - quad[3])) <= 3:
            continue
        quads.append(quad)
        scores.append(score)
    if not quads:
        return Detections()
    return Detections(np.stack(quads).astype(np.float32), np.asarray(scores, np.float32))


def preprocess_boxes(
    image: np.ndarray, size: tuple[int, int], channels: str = "BGR"
) -> tuple[np.ndarray, tuple[float, float]]:
    """Stretch to the fixed ``(width, height)`` input of a box detector, ``0..255`` floats."""
    height, width = image.shape[:2]
    resized = cv2.resize(image, tuple(size), interpolation=cv2.INTER_LINEAR)
    if channels == "BGR":
        resized = resized[:, :, ::-1]
    tensor = np.ascontiguousarray(resized.transpose(2, 0, 1)[None].astype(np.float32))
    return tensor, (height / size[1], width / size[0])


def postprocess_boxes(
    boxes: np.ndarray,
    scale: tuple[float, float],
    image_shape: tuple[int, int],
    score_thresh: float = 0.3,
) -> Detections:
    """Open Model Zoo ``[N, 5]`` rows ``x_min, y_min, x_max, y_max, score`` -> quads."""
    boxes = np.asarray(boxes, dtype=np.float32).reshape(-1, 5)
    keep = (boxes[:, 4] > score_thresh) & (boxes[:, 2] > boxes[:, 0]) & (boxes[:, 3] > boxes[:, 1])
    boxes = boxes[keep]
    if len(boxes) == 0:
        return Detections()
    x0, y0 = boxes[:, 0] * scale[1], boxes[:, 1] * scale[0]
    x1, y1 = boxes[:, 2] * scale[1], boxes[:, 3] * scale[0]
    quads = np.stack(
        [
            np.stack([x0, y0], 1),
            np.stack([x1, y0], 1),
            np.stack([x1, y1], 1),
            np.stack([x0, y1], 1),
        ],
        axis=1,
    )
    height, width = image_shape
    quads = np.stack([clip_quad(q, width, height) for q in quads])
    return Detections(quads.astype(np.float32), boxes[:, 4].copy())


class TextDetector(ThreadRequests):
    """A compiled detector with its pre- and post-processing; one subclass per family.

    ``TextDetector(model)`` builds the class of the model's family (``DbDetector`` or
    ``BoxDetector``, see ``DETECTORS``). The three steps are public so that the many-image
    path (``ovocr.throughput``) runs them on asynchronous requests: ``preprocess``,
    ``output`` (read a finished request) and ``postprocess``.

    Thread-safe: each thread that calls it runs its own inference request
    (``ovocr.devices.ThreadRequests``).

    Args:
        model: a prepared detection model (``get_model("ppocrv6-small-det")``).
        options: device and compile settings.
        **overrides: settings that replace the model's defaults (``settings``); an
            unknown name or a bad value raises ``SettingsError``.

    Example:
        >>> det = TextDetector(get_model("ppocrv6-small-det"))  # doctest: +SKIP
        >>> det(image).quads.shape  # doctest: +SKIP
        (12, 4, 2)
    """

    Settings: ClassVar[type[StageSettings]]

    def __new__(cls, model: PreparedModel | None = None, *args: Any, **kwargs: Any) -> TextDetector:
        # TextDetector(model) picks the family's class; copy.copy calls __new__ without a model.
        if cls is TextDetector and model is not None:
            cls = family_class(model, DETECTORS, "detector")
        return super().__new__(cls)

    def __init__(
        self, model: PreparedModel, options: CompileOptions | None = None, **overrides: Any
    ) -> None:
        self.model = model
        self.settings: Any = self.settings_for(model.spec, overrides)
        self.compiled = compile_model(model.path, options)

    @classmethod
    def settings_for(cls, spec: ModelSpec, overrides: dict[str, Any] | None = None) -> Any:
        """The settings this detector runs ``spec`` with: the registry's values (and
        ``overrides``) over the family's defaults. The one rule, also for cache keys."""
        return cls.Settings.from_dict(spec.params, overrides or {})

    def preprocess(self, image: np.ndarray) -> tuple[np.ndarray, tuple[float, float]]:
        """RGB image in; the input tensor and the ``(sy, sx)`` scale back to image pixels out."""
        raise NotImplementedError

    def output(self, request: Any) -> np.ndarray:
        """A copy of the raw output of a finished (synchronous or asynchronous) request."""
        raise NotImplementedError

    def postprocess(
        self, raw: np.ndarray, scale: tuple[float, float], image_shape: tuple[int, int]
    ) -> Detections:
        """Raw output in, quads in image pixels out."""
        raise NotImplementedError

    def split(self, tensor: np.ndarray) -> list[np.ndarray]:
        """The input tensors one image runs as (one, unless the family cuts tall ones)."""
        return [tensor]

    def join(self, raws: list[np.ndarray], tensor_shape: tuple[int, ...]) -> np.ndarray:
        """The raw output of the whole input from those of ``split``'s parts."""
        return raws[0]

    def infer(self, tensor: np.ndarray) -> np.ndarray:
        """Run the network on one input tensor; return its raw output (``output``)."""
        raws = []
        for part in self.split(tensor):
            self.request.infer({0: part})
            raws.append(self.output(self.request))
        return self.join(raws, tensor.shape)

    def __call__(self, image: np.ndarray) -> Detections:
        tensor, scale = self.preprocess(image)
        return self.postprocess(self.infer(tensor), scale, image.shape[:2])


class DbDetector(TextDetector):
    """DB detectors (PP-OCR): a probability map ``[H, W]`` out, ``DbParams`` settings."""

    Settings = DbParams
    settings: DbParams

    @property
    def db(self) -> DbParams:
        """The same as ``settings`` (the name notebooks 03 and 08 use)."""
        return self.settings

    def preprocess(self, image: np.ndarray) -> tuple[np.ndarray, tuple[float, float]]:
        params = self.settings
        if params.text_height > 0 and image.shape[0] > image.shape[1]:
            params = replace(params, limit_side_len=self.page_width(image))
        return preprocess_db(image, params)

    def page_width(self, image: np.ndarray) -> int:
        """The width a page is read at, from the text height a cheap first pass finds
        (``DbParams.text_height``; 08-performance)."""
        s = self.settings
        probe = replace(s, limit_side_len=s.probe_width, limit_type="width", text_height=0.0)
        tensor, scale = preprocess_db(image, probe)
        found = postprocess_db(self.infer(tensor), scale, image.shape[:2], probe)
        return page_width_for(found.quads, image.shape[1], s)

    def output(self, request: Any) -> np.ndarray:
        return request.get_output_tensor(0).data[0, 0].copy()

    def _strips(self, rows: int) -> list[Strip]:
        if not self.settings.strip_rows:
            return [Strip(0, rows, 0, rows)]
        s = self.settings
        return plan_strips(rows, s.strip_rows, s.strip_overlap, s.page_rows_step)

    def split(self, tensor: np.ndarray) -> list[np.ndarray]:
        strips = self._strips(tensor.shape[2])
        if len(strips) == 1:
            return [tensor]
        return [np.ascontiguousarray(tensor[:, :, s.start : s.stop]) for s in strips]

    def join(self, raws: list[np.ndarray], tensor_shape: tuple[int, ...]) -> np.ndarray:
        return stitch(raws, self._strips(tensor_shape[2]))

    def postprocess(
        self, raw: np.ndarray, scale: tuple[float, float], image_shape: tuple[int, int]
    ) -> Detections:
        return postprocess_db(raw, scale, image_shape, self.settings)


class BoxDetector(TextDetector):
    """Open Model Zoo box detectors: ``[N, 5]`` boxes out, ``BoxParams`` settings."""

    Settings = BoxParams
    settings: BoxParams

    def preprocess(self, image: np.ndarray) -> tuple[np.ndarray, tuple[float, float]]:
        return preprocess_boxes(image, self.settings.size, self.settings.channels)

    def output(self, request: Any) -> np.ndarray:
        return request.get_tensor("boxes").data.copy()

    def postprocess(
        self, raw: np.ndarray, scale: tuple[float, float], image_shape: tuple[int, int]
    ) -> Detections:
        return postprocess_boxes(raw, scale, image_shape, self.settings.score_thresh)


# Model family (``ModelSpec.family``) -> the class that runs it.
DETECTORS: dict[str, type[TextDetector]] = {"db": DbDetector, "boxes": BoxDetector}
