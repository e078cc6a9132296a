"""Quadrilateral geometry and cropping, shared by detection, recognition and metrics.

Points are ``(x, y)`` with ``x`` the column and ``y`` the row. Quads are ordered
clockwise from the top-left corner, so edge 0->1 runs along the top of the text.
Explained in 03-text-detection (ordering), 04-text-recognition (cropping) and
05-ocr-pipeline (reading order).
"""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np


def order_quad(points: np.ndarray) -> np.ndarray:
    """Order 4 points clockwise (on screen, y down) starting at the top-left one.

    The start is chosen so the four points lie closest to the corners of their bounding
    box (top-left, top-right, bottom-right, bottom-left): robust for tilted text.

    >>> order_quad(np.array([[10, 0], [0, 0], [0, 5], [10, 5]]))[0].tolist()
    [0.0, 0.0]
    """
    pts: np.ndarray = np.asarray(points, dtype=np.float32).reshape(4, 2)
    center = pts.mean(axis=0)
    angles = np.arctan2(pts[:, 1] - center[1], pts[:, 0] - center[0])
    pts = pts[np.argsort(angles, kind="stable")]  # increasing angle = clockwise, y down
    (x0, y0), (x1, y1) = pts.min(axis=0), pts.max(axis=0)
    corners = np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1]], dtype=np.float32)
    costs = [np.linalg.norm(np.roll(pts, -k, axis=0) - corners, axis=1).sum() for k in range(4)]
    return np.roll(pts, -int(np.argmin(costs)), axis=0)


def quad_size(quad: np.ndarray) -> tuple[float, float]:
    """Width (mean of top and bottom edges) and height (mean of left and right edges)."""
    q = np.asarray(quad, dtype=np.float32)
    width = (np.linalg.norm(q[0] - q[1]) + np.linalg.norm(q[3] - q[2])) / 2
    height = (np.linalg.norm(q[0] - q[3]) + np.linalg.norm(q[1] - q[2])) / 2
    return float(width), float(height)


def clip_quad(quad: np.ndarray, width: int, height: int) -> np.ndarray:
    """Clip quad points into the image ``[0, width-1] x [0, height-1]``."""
    q = np.asarray(quad, dtype=np.float32).copy()
    q[:, 0] = q[:, 0].clip(0, max(width - 1, 0))
    q[:, 1] = q[:, 1].clip(0, max(height - 1, 0))
    return q


# Text at least this many times taller than wide runs vertically (or is a turned word).
VERTICAL_RATIO = 1.5


def is_vertical(width: float, height: float, ratio: float = VERTICAL_RATIO) -> bool:
    """The one rule for vertical text: ``height >= ratio * width``.

    Used on crop sizes (``crop_size``) by ``crop_quad`` (turns the crop), by
    ``ovocr.builder.split_words`` (keeps the line one word) and by
    ``ovocr.text.read_upright`` (reads tall crops turned both ways).

    >>> is_vertical(20, 30), is_vertical(21, 30)
    (True, False)
    """
    return height >= ratio * width


def crop_size(quad: np.ndarray) -> tuple[int, int]:
    """Width and height in pixels of the crop ``crop_quad`` cuts: the longer of each
    pair of opposite edges, rounded."""
    q = np.asarray(quad, dtype=np.float32).reshape(4, 2)
    width = int(round(max(np.linalg.norm(q[0] - q[1]), np.linalg.norm(q[2] - q[3]))))
    height = int(round(max(np.linalg.norm(q[0] - q[3]), np.linalg.norm(q[1] - q[2]))))
    return width, height


def crop_quad(
    image: np.ndarray, quad: np.ndarray, vertical_ratio: float = VERTICAL_RATIO
) -> np.ndarray:
    """Cut a quad out of ``image`` with a perspective warp, so the text lies horizontal.

    Crops much taller than wide (``is_vertical``) hold vertical text and are turned 90
    degrees counter-clockwise. Returns an empty array for degenerate quads.
    """
    q = np.asarray(quad, dtype=np.float32).reshape(4, 2)
    width, height = crop_size(q)
    if width < 2 or height < 2:
        return np.zeros((0, 0, 3), dtype=image.dtype)
    target = np.array([[0, 0], [width, 0], [width, height], [0, height]], dtype=np.float32)
    matrix = cv2.getPerspectiveTransform(q, target)
    crop = cv2.warpPerspective(
        image, matrix, (width, height), flags=cv2.INTER_CUBIC, borderMode=cv2.BORDER_REPLICATE
    )
    if is_vertical(width, height, vertical_ratio):
        crop = np.ascontiguousarray(np.rot90(crop))
    return crop


def sub_quad(quad: np.ndarray, start: float, end: float) -> np.ndarray:
    """The part of a quad between fractions ``start`` and ``end`` of its width (0..1)."""
    q = np.asarray(quad, dtype=np.float32)
    top = lambda f: q[0] + f * (q[1] - q[0])  # noqa: E731
    bottom = lambda f: q[3] + f * (q[2] - q[3])  # noqa: E731
    return np.stack([top(start), top(end), bottom(end), bottom(start)])


def reading_rows(
    boxes: Sequence[tuple[float, float, float, float]],
) -> list[list[int]]:
    """Group boxes ``(x_min, y_min, x_max, y_max)`` into visual rows: the reading order.

    Boxes are taken top to bottom by their vertical centre; a box joins one of the last
    three rows when it overlaps that row (the median top and bottom of its boxes)
    vertically by more than half the smaller height. Each row is then read left to right.
    The one rule for OCR pages (``ovocr.builder.reading_order``) and for ground truth
    (``ovocr.metrics.page_text_in_rows``).

    Returns:
        The rows, top to bottom, as lists of indices into ``boxes``.

    >>> reading_rows([(60, 1, 90, 11), (0, 30, 40, 40), (0, 0, 40, 10)])
    [[2, 0], [1]]
    """
    order = sorted(range(len(boxes)), key=lambda i: (boxes[i][1] + boxes[i][3]) / 2)
    rows: list[list[int]] = []
    for i in order:
        y0, y1 = boxes[i][1], boxes[i][3]
        for row in reversed(rows[-3:]):
            r0 = float(np.median([boxes[j][1] for j in row]))
            r1 = float(np.median([boxes[j][3] for j in row]))
            if min(y1, r1) - max(y0, r0) > 0.5 * min(y1 - y0, r1 - r0):
                row.append(i)
                break
        else:
            rows.append([i])
    return [sorted(row, key=lambda j: boxes[j][0]) for row in rows]
