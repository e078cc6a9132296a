import sys

import numpy as np
import pytest
from ovocr import viz
from ovocr.metrics import evaluate_icdar
from ovocr.types import Line, Page, Word

QUAD = np.array([[[40, 60], [160, 60], [160, 90], [40, 90]]], np.float32)


def blank(height: int = 120, width: int = 240) -> np.ndarray:
    return np.full((height, width, 3), 255, np.uint8)


def test_font_is_dejavu_and_draws_non_latin_glyphs():
    assert viz.font_path().name == "DejaVuSans.ttf"
    font = viz.unicode_font(32)
    missing = np.asarray(font.getmask("\U000e0fff"))  # unassigned: drawn as the .notdef box
    for char in ("Ж", "Ω", "ß"):
        glyph = np.asarray(font.getmask(char))
        assert glyph.any(), char
        assert glyph.shape != missing.shape or not np.array_equal(glyph, missing), char


def test_draw_quads_outlines_on_a_copy():
    image = blank()
    drawn = viz.draw_quads(image, QUAD)
    assert drawn.shape == image.shape and drawn.dtype == np.uint8
    assert (image == 255).all(), "the input image must stay unchanged"
    assert tuple(drawn[60, 100]) == viz.BOX_COLOR  # on the top edge
    assert (drawn[75, 100] == 255).all() and (drawn[5, 5] == 255).all()  # inside, far away


def test_label_tag_sits_above_the_quad_or_inside_at_the_top_edge():
    above = viz.draw_quads(blank(), QUAD, ["Größe"])
    assert (above[:58, 40:160] != 255).any(), "the tag goes above the box when there is room"
    at_top = QUAD - [0, 58]
    inside = viz.draw_quads(blank(), at_top, ["Größe"])
    assert (inside[4:30, 40:100] != 255).any(), "without room the tag goes inside the box"


def test_labels_of_neighbouring_quads_never_cover_each_other():
    # Two small boxes one above the other (the door sign of the tutorial photo): the
    # second tag would sit on the first, so it moves below its own box.
    pair = np.array(
        [[[40, 50], [90, 50], [90, 58], [40, 58]], [[42, 56], [92, 56], [92, 64], [42, 64]]]
    )
    tags: list[tuple[float, float, float, float]] = []
    for quad in pair:
        points = [(float(x), float(y)) for x, y in quad]
        x, y = viz._free_spot(points, 30, 12, 2, (240, 120), tags)
        tags.append((x, y, x + 30, y + 12))
    (a0, b0, c0, d0), (a1, b1, c1, d1) = tags
    assert c1 <= a0 or a1 >= c0 or d1 <= b0 or b1 >= d0, tags
    assert tags[0][3] <= 50 and tags[1][1] >= 64, "first above its box, second below its box"


def test_a_label_moves_off_another_box_when_there_is_room():
    # The tag above the lower box would sit on the upper box: it goes below its own box.
    upper, lower = (40, 40, 90, 50), [(40.0, 56.0), (90.0, 56.0), (90.0, 64.0), (40.0, 64.0)]
    x, y = viz._free_spot(lower, 30, 12, 2, (240, 120), [], [upper])
    assert y >= 64, (x, y)
    crowded = viz._free_spot(lower, 30, 12, 2, (240, 66), [], [upper])
    assert crowded[1] + 12 <= 56, "no room below: above again, over the other box but readable"


def test_draw_quads_accepts_no_boxes_and_rejects_bad_input():
    assert np.array_equal(viz.draw_quads(blank(), []), blank())
    with pytest.raises(ValueError, match=r"\[N, 4, 2\]"):
        viz.draw_quads(blank(), np.zeros((2, 3, 2)))
    with pytest.raises(ValueError, match=r"RGB image HxWx3, got shape \(120, 240\)"):
        viz.draw_quads(blank()[:, :, 0], QUAD)
    with pytest.raises(ValueError, match="2 labels for 1 quads"):
        viz.draw_quads(blank(), QUAD, ["a", "b"])


def test_draw_page_labels_every_word():
    words = (Word("Привет", 0.9, QUAD[0]), Word("2200", 0.5, QUAD[0] + [0, 2]))
    page = Page(240, 120, (Line(words),))
    plain = viz.draw_page(blank(), Page(240, 120, (Line(words[:1]),)))
    both = viz.draw_page(blank(), page, confidence=True)
    assert (both != 255).sum() > (plain != 255).sum()


def test_show_image_is_titled_with_pixel_axes():
    fig = viz.show_image(blank(), "a title")
    ax = fig.axes[0]
    assert ax.get_title() == "a title"
    assert ax.get_xlabel() == viz.AXIS_X and ax.get_ylabel() == viz.AXIS_Y


def test_probability_map_beside_the_image_with_a_colour_bar():
    prob = np.zeros((1, 1, 32, 64), np.float32)
    fig = viz.show_probability_map(prob, blank())
    titles = [ax.get_title() for ax in fig.axes]
    assert titles[:2] == ["Input image", "Text probability per pixel"]
    assert len(fig.axes) == 3  # image, map, colour bar
    assert len(viz.show_probability_map(prob[0, 0]).axes) == 2
    with pytest.raises(ValueError, match="2-D"):
        viz.show_probability_map(np.zeros((2, 3, 4)))


def test_crop_gallery_titles_each_crop_and_survives_empty_crops():
    crops = [blank(20, 60), np.zeros((0, 0, 3), np.uint8), blank(10, 30), blank(8, 8)]
    fig = viz.crop_gallery(crops, ["one", "", "three", "four"], [0.91, 0.0, 0.5, 0.25], columns=3)
    titles = [ax.get_title() for ax in fig.axes]
    assert titles[:4] == ['"one"  (0.91)', '""  (0.00)', '"three"  (0.50)', '"four"  (0.25)']
    assert len(fig.axes) == 6  # 2 rows x 3 columns, the unused tiles hidden
    captions = viz.crop_gallery(crops[:1], ["a caption"])
    assert captions.axes[0].get_title() == "a caption"
    with pytest.raises(ValueError, match="one text"):
        viz.crop_gallery(crops, ["only one"])


def test_timesteps_are_labelled_under_their_slices():
    fig = viz.show_timesteps(blank(48, 80), ["·", "A", "·", "B", "B"], "steps")
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["·", "A", "·", "B", "B"]
    assert np.allclose(ax.get_xticks(), [7.5, 23.5, 39.5, 55.5, 71.5])
    with pytest.raises(ValueError, match="at least one"):
        viz.show_timesteps(blank(), [], "none")


def explore(thresh=0.3, ratio=1.5, label="fixed"):
    calls.append((thresh, ratio, label))
    return thresh + ratio


calls: list[tuple] = []


def test_sliders_start_at_the_defaults_and_run_once():
    calls.clear()
    widget = viz.sliders(explore, thresh=(0.0, 1.0, 0.05), ratio=(1.0, 3.0, 0.1))
    values = {child.description: child.value for child in widget.children[:-1]}
    assert values == {"thresh": 0.3, "ratio": 1.5}
    assert calls == [(0.3, 1.5, "fixed")]
    widget.children[0].value = 0.5
    assert calls[-1] == (0.5, 1.5, "fixed")


def test_sliders_without_ipywidgets_call_the_function_once(monkeypatch):
    monkeypatch.setitem(sys.modules, "ipywidgets", None)
    calls.clear()
    assert viz.sliders(explore, thresh=(0.0, 1.0, 0.05)) == pytest.approx(1.8)
    assert calls == [(0.3, 1.5, "fixed")]


def test_sliders_need_defaults():
    with pytest.raises(ValueError, match="default value for missing"):
        viz.sliders(explore, missing=(0, 1, 0.1))


def icdar_case():
    """Ground truth: read, misread, missed, do-not-care; predictions: two matched, one
    ignored inside the do-not-care region, one false detection."""
    gts = [
        ([[10, 10], [60, 10], [60, 30], [10, 30]], "OPEN"),
        ([[80, 10], [140, 10], [140, 30], [80, 30]], "DAILY"),
        ([[10, 50], [60, 50], [60, 70], [10, 70]], "EXIT"),
        ([[80, 50], [140, 50], [140, 70], [80, 70]], "###"),
    ]
    preds = [
        ([[11, 11], [59, 11], [59, 29], [11, 29]], "OPEN"),
        ([[81, 11], [139, 11], [139, 29], [81, 29]], "DAIIY"),
        ([[85, 52], [135, 52], [135, 68], [85, 68]], "zz"),
        ([[10, 90], [60, 90], [60, 110], [10, 110]], "noise"),
    ]
    return preds, gts


def test_draw_icdar_result_colours_each_outcome():
    preds, gts = icdar_case()
    result = evaluate_icdar(preds, gts)
    assert (result.det_matched, result.e2e_matched, result.ignored_preds) == (2, 1, (2,))
    drawn = viz.draw_icdar_result(blank(), preds, gts, result)
    colours = viz.ICDAR_COLORS

    def has(colour, rows, cols):
        return (drawn[rows, cols] == colour).all(axis=-1).any()

    # Ground truth on its left edge (predictions lie just inside, labels sit above).
    assert has(colours["read"], slice(12, 28), 10)
    assert has(colours["misread"], slice(12, 28), 80)
    assert has(colours["missed"], slice(52, 68), 10)
    assert has(colours["do-not-care"], slice(52, 68), 140)
    # Predictions: matched, ignored (grey like do-not-care) and a false detection.
    assert has(colours["prediction"], slice(12, 28), 139)
    assert has(colours["do-not-care"], slice(54, 66), 135)
    assert has(colours["false detection"], slice(92, 108), 60)
    assert not has(colours["missed"], slice(0, 120), slice(70, 240))


def test_show_icdar_result_has_a_legend_of_every_colour():
    preds, gts = icdar_case()
    fig = viz.show_icdar_result(blank(), preds, gts, evaluate_icdar(preds, gts), "one image")
    ax = fig.axes[0]
    assert ax.get_title() == "one image"
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels == [viz.ICDAR_LEGEND[name] for name in viz.ICDAR_COLORS]


def test_without_dejavu_labels_fall_back_to_pillows_font(monkeypatch, tmp_path, request):
    from ovocr import fonts
    from ovocr.errors import OvocrError

    monkeypatch.setattr(fonts, "DEBIAN_FONTS", tmp_path)  # no Debian fonts
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # and no matplotlib
    fonts.font_path.cache_clear()
    request.addfinalizer(fonts.font_path.cache_clear)
    with pytest.raises(OvocrError, match="font not found"):
        viz.font_path()
    font = viz.unicode_font(24)
    image = np.zeros((40, 200, 3), np.uint8)
    drawn = viz.draw_quads(image, [[[10, 10], [60, 10], [60, 30], [10, 30]]], ["TOTAL"])
    assert font.getbbox("TOTAL")[2] > 0 and drawn.any()
    with pytest.raises(OvocrError, match="cannot read this font"):
        viz.unicode_font(24, font=tmp_path / "missing.ttf")
