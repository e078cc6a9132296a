"""Pictures of OCR results: labelled boxes, crop galleries, probability maps, sliders.

Explained in 03-text-detection (probability maps, boxes, sliders), 04-text-recognition
(time steps), 05-ocr-pipeline (labelled results, crop gallery) and 09-measuring-accuracy (ICDAR
results: matched, missed and false boxes). Nothing here is on the
inference path: reading text never imports this module, and matplotlib is imported only
when a figure is made.

Text drawn into images uses DejaVu Sans (``ovocr.fonts``), which covers Latin, Greek,
Cyrillic and many symbols. For Chinese or Japanese labels pass ``font=`` the path of a CJK
font (e.g. Noto Sans CJK).

Figures are returned closed (``plt.close``), so a notebook cell that ends with the call
shows each figure exactly once.

Example:
    >>> import numpy as np
    >>> image = np.full((60, 200, 3), 255, np.uint8)
    >>> quad = np.array([[10, 20], [120, 20], [120, 50], [10, 50]])
    >>> draw_quads(image, [quad], ["Grüße"]).shape
    (60, 200, 3)
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageDraw

# Fonts live in ovocr.fonts; these names stay importable from here.
from .fonts import DEBIAN_FONTS as DEBIAN_FONTS
from .fonts import FontError as FontError
from .fonts import font_path as font_path
from .fonts import unicode_font
from .types import Page

BOX_COLOR = (230, 60, 20)
LABEL_COLOR = (255, 255, 255)
AXIS_X = "x (column, pixels)"
AXIS_Y = "y (row, pixels)"
# Colours (RGB) of an ICDAR 2015 result: ground truth by outcome, predictions by kind.
ICDAR_COLORS = {
    "read": (0, 160, 0),
    "misread": (255, 140, 0),
    "missed": (220, 0, 0),
    "do-not-care": (150, 150, 150),
    "prediction": (30, 80, 255),
    "false detection": (200, 0, 200),
}
ICDAR_LEGEND = {
    "read": "truth, read right",
    "misread": "truth, misread",
    "missed": "truth, missed",
    "do-not-care": "do-not-care (truth, or\nprediction ignored)",
    "prediction": "prediction, matched",
    "false detection": "prediction, false detection",
}


def _as_quads(quads: Any) -> np.ndarray:
    arr = np.asarray(quads, dtype=np.float32)
    if arr.size == 0:
        return np.zeros((0, 4, 2), np.float32)
    if arr.ndim != 3 or arr.shape[1:] != (4, 2):
        raise ValueError(f"quads must have shape [N, 4, 2] (x, y points), got {arr.shape}")
    return arr


def draw_quads(
    image: np.ndarray,
    quads: Any,
    labels: Sequence[str] | None = None,
    color: tuple[int, int, int] = BOX_COLOR,
    width: int | None = None,
    font_size: int | None = None,
    font: str | Path | None = None,
) -> np.ndarray:
    """Draw quadrilaterals, each with an optional text label, on a copy of an RGB image.

    A label sits on a filled tag just above its quad's first (top-left) corner; when there
    is no room there, or the spot would cover an earlier label or another quad, below the
    quad, then inside it, so that labels never hide each other (and, where there is room,
    not the other boxes either).

    Args:
        image: RGB ``uint8`` array ``HxWx3`` (left unchanged).
        quads: ``[N, 4, 2]`` pixel ``(x, y)`` points, e.g. ``Detections.quads``.
        labels: one string per quad (``None`` draws boxes only).
        color: RGB outline and tag colour.
        width: outline width in pixels (default scales with the image).
        font_size: label size in pixels (default scales with the image).
        font: path of a TrueType font for scripts DejaVu lacks.

    Returns:
        A new RGB ``uint8`` array of the same shape.
    """
    if image.ndim != 3 or image.shape[2] not in (3, 4):
        raise ValueError(f"draw_quads needs an RGB image HxWx3, got shape {image.shape}")
    boxes = _as_quads(quads)
    if labels is not None and len(labels) != len(boxes):
        raise ValueError(f"got {len(labels)} labels for {len(boxes)} quads")
    canvas = Image.fromarray(np.ascontiguousarray(image[:, :, :3], dtype=np.uint8))
    draw = ImageDraw.Draw(canvas)
    short_side = min(canvas.size)
    width = width or max(2, short_side // 250)
    typeface = unicode_font(font_size or max(12, short_side // 36), font=font)
    tags: list[tuple[float, float, float, float]] = []  # label tags drawn so far
    bounds = [(*quad.min(axis=0), *quad.max(axis=0)) for quad in boxes]  # to keep uncovered
    for i, quad in enumerate(boxes):
        points = [(float(x), float(y)) for x, y in quad]
        draw.polygon(points, outline=color, width=width)
        if labels is None or not labels[i]:
            continue
        left, top, right, bottom = draw.textbbox((0, 0), labels[i], font=typeface)
        pad = max(2, (bottom - top) // 5)
        tag_w, tag_h = right - left + 2 * pad, bottom - top + 2 * pad
        others = [bounds[k] for k in range(len(boxes)) if k != i]
        x, y = _free_spot(points, tag_w, tag_h, width, canvas.size, tags, others)
        tags.append((x, y, x + tag_w, y + tag_h))
        draw.rectangle(tags[-1], fill=color)
        draw.text((x + pad - left, y + pad - top), labels[i], fill=LABEL_COLOR, font=typeface)
    return np.asarray(canvas)


def _free_spot(
    points: list[tuple[float, float]],
    tag_w: float,
    tag_h: float,
    width: int,
    size: tuple[int, int],
    tags: list[tuple[float, float, float, float]],
    others: Sequence[tuple[float, float, float, float]] = (),
) -> tuple[float, float]:
    """Top-left corner for a label tag that hides no earlier tag: above the quad's first
    corner, else below its last corner, else inside, preferring a spot that also leaves the
    ``others`` boxes (the other quads) uncovered; failing all, stacked upwards or down."""
    (x0, y0), (x3, _) = points[0], points[3]
    bottom = max(y for _, y in points)
    spots = [(x0, y0 - tag_h), (x3, bottom + width), (x0, y0 + width)]

    def free(x: float, y: float, avoid: Sequence[tuple[float, float, float, float]]) -> bool:
        inside = y >= 0 and y + tag_h <= size[1]
        return inside and all(
            x + tag_w <= a or x >= c or y + tag_h <= b or y >= d for a, b, c, d in avoid
        )

    for avoid in ([*tags, *others], tags):
        for x, y in spots:
            if free(x, y, avoid):
                return x, y
    x, y = x0, max(0.0, y0 - tag_h)
    step = -tag_h if y0 >= size[1] / 2 else tag_h
    while not free(x, y, tags) and 0 <= y + step <= size[1] - tag_h:
        y += step
    return x, y
    x, y = x0, max(0.0, y0 - tag_h)
    step = -tag_h if y0 >= size[1] / 2 else tag_h
    while not free(x, y) and 0 <= y + step <= size[1] - tag_h:
        y += step
    return x, y


def draw_page(
    image: np.ndarray,
    page: Page,
    confidence: bool = False,
    font_size: int | None = None,
    font: str | Path | None = None,
) -> np.ndarray:
    """Draw every word of a ``Page`` as its quad labelled with its text (and confidence)."""
    words = page.words
    labels = [f"{w.text} {w.confidence:.2f}" if confidence else w.text for w in words]
    return draw_quads(image, [w.quad for w in words], labels, font_size=font_size, font=font)


def use_jpeg_figures(quality: int = 90) -> None:
    """Show matplotlib figures in this notebook as JPEG instead of PNG.

    Notebooks are committed with their outputs; a photo stored as PNG weighs about six times
    more than as JPEG, and at quality 90 the difference is hard to see.
    """
    from matplotlib_inline.backend_inline import set_matplotlib_formats

    set_matplotlib_formats("jpeg", pil_kwargs={"quality": quality})


def _figure(figsize: tuple[float, float], **kwargs: Any) -> tuple[Any, Any]:
    import matplotlib.pyplot as plt

    return plt.subplots(figsize=figsize, **kwargs)


def _done(fig: Any) -> Any:
    import matplotlib.pyplot as plt

    fig.tight_layout()
    plt.close(fig)
    return fig


def show_image(
    image: np.ndarray,
    title: str,
    figsize: tuple[float, float] = (9, 6.5),
    cmap: str | None = None,
) -> Any:
    """A titled figure of one image with pixel axes (``x`` = column, ``y`` = row)."""
    fig, ax = _figure(figsize)
    ax.imshow(image, cmap=cmap if image.ndim == 2 else None)
    ax.set_title(title)
    ax.set_xlabel(AXIS_X)
    ax.set_ylabel(AXIS_Y)
    return _done(fig)


def show_probability_map(
    prob: np.ndarray,
    image: np.ndarray | None = None,
    title: str = "Text probability per pixel",
    figsize: tuple[float, float] = (14, 5.5),
) -> Any:
    """The detector's probability map (0..1) as a heat map, beside the input image if given.

    The map is in network pixels (the resized input), so its axes differ from the image's.
    """
    prob = np.asarray(prob, dtype=np.float32).squeeze()
    if prob.ndim != 2:
        raise ValueError(f"a probability map is 2-D [H, W], got shape {prob.shape}")
    panels = 2 if image is not None else 1
    fig, axes = _figure(figsize if panels == 2 else (figsize[0] / 2, figsize[1]), ncols=panels)
    axes = np.atleast_1d(axes)
    if image is not None:
        axes[0].imshow(image)
        axes[0].set_title("Input image")
        axes[0].set_xlabel(AXIS_X)
        axes[0].set_ylabel(AXIS_Y)
    ax = axes[-1]
    shown = ax.imshow(prob, cmap="magma", vmin=0.0, vmax=1.0)
    ax.set_title(title)
    ax.set_xlabel("x (column, network pixels)")
    ax.set_ylabel("y (row, network pixels)")
    fig.colorbar(shown, ax=ax, fraction=0.035, label="probability of text")
    return _done(fig)


def crop_gallery(
    crops: Sequence[np.ndarray],
    texts: Sequence[str],
    confidences: Sequence[float] | None = None,
    columns: int = 3,
    title: str = "Crops and what was read",
    tile_size: tuple[float, float] = (4.5, 1.6),
) -> Any:
    """A grid of cropped regions, each titled with its text (and confidence).

    With ``confidences`` the texts are OCR readings and are shown in quotes with their
    confidence; without, they are plain captions.
    """
    if len(texts) != len(crops) or (confidences is not None and len(confidences) != len(crops)):
        raise ValueError(f"need one text (and confidence) per crop; got {len(crops)} crops")
    count = max(len(crops), 1)
    columns = max(1, min(columns, count))
    rows = -(-count // columns)
    fig, axes = _figure(
        (tile_size[0] * columns, tile_size[1] * rows + 0.6),
        nrows=rows,
        ncols=columns,
        squeeze=False,
    )
    for ax in axes.ravel():
        ax.axis("off")
    for i, (crop, text) in enumerate(zip(crops, texts)):
        ax = axes.ravel()[i]
        if crop.size:
            ax.imshow(crop)
        # Quotes show where read text starts and ends (spaces); plain captions stay plain.
        label = text if confidences is None else f'"{text}"  ({confidences[i]:.2f})'
        ax.set_title(label, fontsize=12)
    fig.suptitle(title, fontsize=14)
    return _done(fig)


def show_timesteps(
    image: np.ndarray, labels: Sequence[str], title: str, figsize: tuple[float, float] = (15, 3)
) -> Any:
    """A recogniser input cut into equal time-step slices, each marked with its best class.

    ``labels[t]`` is shown under slice ``t``; the image width is split evenly among them.
    """
    if not len(labels):
        raise ValueError("need at least one time-step label")
    fig, ax = _figure(figsize)
    ax.imshow(image, cmap="gray" if image.ndim == 2 else None, aspect="auto")
    step = image.shape[1] / len(labels)
    for t in range(1, len(labels)):
        ax.axvline(t * step - 0.5, color="tab:orange", linewidth=0.6, alpha=0.7)
    ax.set_xticks([(t + 0.5) * step - 0.5 for t in range(len(labels))])
    ax.set_xticklabels(labels, fontsize=11)
    ax.set_yticks([])
    ax.set_xlabel("time step (best class; '·' = blank)")
    ax.set_title(title)
    return _done(fig)


def sliders(fn: Callable[..., Any], **ranges: tuple[float, float, float]) -> Any:
    """Run ``fn`` under one slider per keyword ``name=(min, max, step)``.

    The sliders start at ``fn``'s default values; parameters without a range keep their
    defaults. With ipywidgets, the returned widget
    re-runs ``fn`` whenever a slider is released (it runs once straight away, so a notebook
    executed without a front-end still runs the code). Without ipywidgets, ``fn()`` is
    called once with its defaults and its result is returned.
    """
    defaults = {
        name: p.default
        for name, p in inspect.signature(fn).parameters.items()
        if p.default is not inspect.Parameter.empty
    }
    missing = sorted(set(ranges) - set(defaults))
    if missing:
        raise ValueError(f"{fn.__name__} needs a default value for {', '.join(missing)}")
    try:
        import ipywidgets as widgets
    except ImportError:
        return fn()
    controls = {
        name: widgets.FloatSlider(
            value=defaults[name],
            min=lo,
            max=hi,
            step=step,
            description=name,
            continuous_update=False,
        )
        for name, (lo, hi, step) in ranges.items()
    }
    # Other parameters keep their defaults instead of getting automatic widgets.
    controls.update({n: widgets.fixed(v) for n, v in defaults.items() if n not in ranges})
    return widgets.interactive(fn, {"auto_display": True}, **controls)


def draw_icdar_result(
    image: np.ndarray,
    pred_words: Sequence[Any],
    gt_words: Sequence[Any],
    result: Any,
    font_size: int | None = None,
    font: str | Path | None = None,
) -> np.ndarray:
    """Draw one image's ICDAR 2015 result: which words were read, misread, missed or false.

    Ground-truth quads are drawn thick, coloured by outcome (``ICDAR_COLORS``): ``read``
    (matched, text right), ``misread`` (matched, text wrong), ``missed`` (no prediction
    matched) and ``do-not-care``. Predictions are drawn thin and labelled with their text:
    ``prediction`` when matched, ``false detection`` when they count but matched nothing,
    ``do-not-care`` when a do-not-care region made the protocol ignore them.

    Args:
        image: RGB ``uint8`` array ``HxWx3`` (left unchanged).
        pred_words: predictions with ``.quad`` and ``.text``, or ``(quad, text)`` tuples.
        gt_words: ground truth in the same forms; ``.dont_care`` or the text ``###`` marks
            do-not-care regions.
        result: ``ovocr.metrics.evaluate_icdar(pred_words, gt_words)`` of these very lists
            (its ``matches`` and ``ignored_preds`` index into them).
        font_size: label size in pixels (default scales with the image).
        font: path of a TrueType font for scripts DejaVu lacks.

    Returns:
        A new RGB ``uint8`` array of the same shape.
    """
    from .metrics import word_parts  # the scorer's own reading of words and do-not-care

    outcome = {m.gt_index: "read" if m.text_ok else "misread" for m in result.matches}
    matched_preds = {m.pred_index for m in result.matches}
    ignored = set(result.ignored_preds)
    width = max(3, min(image.shape[:2]) // 200)
    for kind in ("do-not-care", "missed", "misread", "read"):
        quads = []
        for i, word in enumerate(gt_words):
            quad, _, dont_care = word_parts(word)
            if kind == ("do-not-care" if dont_care else outcome.get(i, "missed")):
                quads.append(quad)
        image = draw_quads(image, quads, color=ICDAR_COLORS[kind], width=width)
    for kind in ("do-not-care", "false detection", "prediction"):
        quads, labels = [], []
        for j, word in enumerate(pred_words):
            quad, text, _ = word_parts(word)
            own = "prediction" if j in matched_preds else "false detection"
            if kind == ("do-not-care" if j in ignored else own):
                quads.append(quad)
                labels.append(text)
        image = draw_quads(
            image, quads, labels, ICDAR_COLORS[kind], max(2, width // 2), font_size, font
        )
    return image


def show_icdar_result(
    image: np.ndarray,
    pred_words: Sequence[Any],
    gt_words: Sequence[Any],
    result: Any,
    title: str,
    figsize: tuple[float, float] = (12, 7.5),
    font_size: int | None = None,
) -> Any:
    """A titled figure of ``draw_icdar_result`` with a legend of its colours."""
    from matplotlib.patches import Patch

    drawn = draw_icdar_result(image, pred_words, gt_words, result, font_size)
    fig = show_image(drawn, title, figsize)
    handles = [
        Patch(facecolor=(rgb[0] / 255, rgb[1] / 255, rgb[2] / 255), label=ICDAR_LEGEND[name])
        for name, rgb in ICDAR_COLORS.items()
    ]
    fig.axes[0].legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1), fontsize=9)
    fig.tight_layout()
    return fig
