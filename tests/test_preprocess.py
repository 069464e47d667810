"""The preprocessing chain: each step alone, then properties of the whole."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from digitrt import _preprocess as P
from digitrt import preprocess
from training.strokes import draw_digit


def test_halve_averages_two_by_two_blocks():
    """halve() maps each 2x2 block to its mean and drops an odd last row/column."""
    a = np.array([[0, 4, 8], [4, 8, 8], [9, 9, 9]], np.uint8)
    assert halve_equal(P.halve(a), np.array([[4]], np.uint8))


def halve_equal(a, b):
    return a.shape == b.shape and np.array_equal(a, b)


@pytest.mark.parametrize("level", [0, 60, 128, 200, 255])
def test_background_level_is_the_border_grey_even_with_ink_on_it(level):
    """The border median finds the paper grey although a stroke crosses the border."""
    canvas = np.full((100, 100), level, np.uint8)
    canvas[:, 45:55] = 255 - level  # a thick stroke from top to bottom edge
    assert P.background_level(canvas) == level


def test_ink_relative_to_is_distance_from_background_both_polarities():
    """Darker and lighter pixels both count as ink; the paper maps to exactly 0."""
    grey = np.array([[100, 100, 0, 250]], np.uint8)
    ink = P.ink_relative_to(grey, 100)
    assert ink.tolist() == [[0, 0, 100 - P.NOISE_LEVEL, 150 - P.NOISE_LEVEL]]


def test_ink_relative_to_removes_noise_below_the_noise_level():
    """Paper texture within NOISE_LEVEL of the background becomes 0."""
    grey = np.full((4, 4), 128, np.uint8) + np.uint8(P.NOISE_LEVEL // 2)
    assert not P.ink_relative_to(grey, 128).any()


def test_ink_box_finds_the_bounding_box():
    """The box encloses exactly the ink."""
    grey = np.full((50, 60), 200, np.uint8)
    grey[10:20, 30:35] = 0
    assert P.ink_box(grey, 200) == (30, 10, 5, 10)


def test_ink_box_is_none_without_ink():
    """Faint remains below MIN_INK are not a digit."""
    grey = np.full((50, 50), 200, np.uint8)
    grey[3, 3] = 200 - P.NOISE_LEVEL - P.MIN_INK + 1
    assert P.ink_box(grey, 200) is None


def test_ink_box_ignores_faint_smudges_far_from_the_digit():
    """Smudges under a tenth of the strongest ink stay out of the box."""
    grey = np.full((50, 50), 250, np.uint8)
    grey[20:30, 20:25] = 0
    grey[0, 0] = 250 - P.NOISE_LEVEL - 20
    assert P.ink_box(grey, 250) == (20, 20, 5, 10)


def document_digit(digit: int = 3, pen: int = 60) -> np.ndarray:
    """A digit cropped from a scanned document: 60x50, ink `pen` on paper 210, clear of the edge."""
    return draw_digit(digit, size=60, box=(0.3, 0.15, 0.4, 0.7), background=210, pen=pen, width=4)[:, 5:55]


@pytest.mark.parametrize(("where", "pen"), [
    ("rule below", 60), ("rule above", 60), ("neighbours and a dot", 60),
    ("rule below", 170), ("rule above", 170)])
def test_a_document_crop_reads_without_its_rules_and_neighbours_pieces(where, pen):
    """A printed rule along the crop's edge, the cut-off pieces of the neighbours at its sides
    and a separator dot are left out of the ink box: the 28x28 is the digit's alone. Faint ink
    (40 levels from the paper: `faint_ink_box`'s path) too. (Faint neighbours' pieces this long
    cover a quarter of the border, which then reads as noisy paper: such a crop stays blank.)"""
    clean = document_digit(pen=pen)
    crop = clean.copy()
    if where == "rule below":
        crop[57:59, :] = pen
    elif where == "rule above":
        crop[0:2, :] = pen
    else:
        crop[12:40, 0:4] = pen  # the right end of the digit to the left
        crop[20:45, 47:50] = pen  # the left end of the digit to the right
        cv2.circle(crop, (44, 58), 2, pen, -1)  # a separator dot, cut by the crop's bottom
    found, alone = P.find_ink(crop), P.find_ink(clean)
    assert (found.noise == P.NOISE_LEVEL) == (pen == 60)
    if pen == 60:
        assert found.box == alone.box
        assert np.abs(preprocess(crop) - preprocess(clean)).max() < 1e-6
    else:  # the clutter's pieces are told at ink_box's threshold, the box at faint_ink_box's:
        # the digit's anti-aliased rim may fall a pixel inside (with the rule: correlation 0.55)
        assert np.abs(np.subtract(found.box, alone.box)).max() <= 1
        assert np.corrcoef(preprocess(crop).ravel(), preprocess(clean).ravel())[0, 1] > 0.95


@pytest.mark.parametrize("pen", [60, 170], ids=["dark ink", "faint ink"])
@pytest.mark.parametrize("where", ["above", "below"])
def test_a_rule_the_digit_touches_is_left_out_too(where, pen):
    """A printed rule the digit's stroke touches (a 1 standing on its line, a 7's bar against
    the rule above) joins digit and rule into one piece at the edge: the rule's rows are taken
    out first, so the box is still the digit's, to a pixel or two where they touched."""
    clean = document_digit(1, pen=pen)
    _, y, _, h = P.find_ink(clean).box
    crop = clean.copy()
    row = y + h if where == "below" else y - 2  # the rule's first row: touching the digit
    crop[row : row + 2, :] = pen
    cut = crop[: row + 3] if where == "below" else crop[row - 1 :]  # the rule near the crop's edge
    _, _, width, height = P.find_ink(cut).box
    assert width < 0.6 * cut.shape[1]  # not the rule's width
    assert abs(height - h) <= 3


def test_a_drawings_own_top_bar_is_not_cut_off_as_a_rule():
    """A bar along the top as wide as the drawing (Devanagari's headline, a 7's or 5's bar in a
    tight crop) is the drawing's: a rule is cut off only where it runs past what is left."""
    grey = np.full((60, 50), 255, np.uint8)
    grey[0:3, :] = 0  # the headline, edge to edge
    grey[3:40, 1:5] = 0  # strokes hanging from its two ends
    grey[3:40, 45:49] = 0
    cv2.ellipse(grey, (25, 30), (12, 10), 0, 0, 360, 0, 3)
    grey[28:32, 5:13] = 0
    assert P.find_ink(grey).box[1] == 0


@pytest.mark.parametrize("side", ["top", "bottom", "left", "right"])
def test_faint_ink_is_found_beside_a_rule_along_a_whole_side(side):
    """A rule along a whole side of the crop is over a quarter of the border: the paper is
    judged by the border without its ruled sides, so faint ink (40 levels) is still read, not
    answered blank."""
    clean = document_digit(pen=170)
    crop = clean.copy()
    edge = {"top": np.s_[0:2, :], "bottom": np.s_[-2:, :], "left": np.s_[:, 0:2],
            "right": np.s_[:, -2:]}[side]
    crop[edge] = 170
    found = P.find_ink(crop)
    assert found is not None and found.noise < P.NOISE_LEVEL
    assert np.corrcoef(preprocess(crop).ravel(), preprocess(clean).ravel())[0, 1] > 0.95


def test_ink_touching_the_edge_is_kept_when_the_digit_itself_touches_it():
    """A tight crop of a 7 whose bar, drawn apart, runs from edge to edge, and a 5 whose body
    touches the edge while its flag does not, keep all their ink: only pieces at the edge of a
    crop whose digit stays clear of it are dropped."""
    seven = np.full((40, 30), 255, np.uint8)
    seven[0:3, :] = 0  # the bar, apart from the stem
    cv2.line(seven, (26, 6), (10, 39), 0, 3)
    five = np.full((50, 50), 255, np.uint8)
    cv2.ellipse(five, (25, 35), (14, 14), 0, -120, 150, 0, 3)  # the body, touching the bottom
    five[16:19, 14:36] = 0  # the flag
    five[49, 20:30] = 0
    for grey in (seven, five):
        box = P.ink_box(grey, 255)
        assert P.without_edge_clutter(grey, 255, box) == box


def test_a_drawing_clear_of_the_edge_is_not_searched_for_clutter():
    """Ink that does not reach the edge is returned as found, however many pieces it has."""
    grey = np.full((60, 60), 255, np.uint8)
    grey[10:20, 10:15] = 0
    grey[40:50, 40:45] = 0
    box = P.ink_box(grey, 255)
    assert box == (10, 10, 35, 40)
    assert P.without_edge_clutter(grey, 255, box) == box


def test_ink_box_encloses_both_polarities():
    """Ink darker and ink lighter than a mid-grey background both count."""
    grey = np.full((50, 50), 128, np.uint8)
    grey[5:10, 5:10] = 0
    grey[30:40, 20:45] = 255
    assert P.ink_box(grey, 128) == (5, 5, 40, 35)


@pytest.mark.parametrize("background", [0, 30, 128, 250, 255])
@pytest.mark.parametrize("seed", range(5))
def test_ink_box_matches_the_box_of_the_ink_image(background, seed):
    """The box found on the grey image is exactly the box of ink_relative_to's pixels above a
    tenth of their peak, whatever the polarity mix."""
    grey = np.random.default_rng(seed).integers(0, 256, (40, 50)).astype(np.uint8)
    grey[:, :10] = background
    ink = P.ink_relative_to(grey, background)
    _, mask = cv2.threshold(ink, np.floor(ink.max() * 0.1), 255, cv2.THRESH_BINARY)
    expected = cv2.boundingRect(mask) if ink.max() >= P.MIN_INK else None
    assert P.ink_box(grey, background) == expected


@pytest.mark.parametrize("shape", [(200, 100), (100, 200), (7, 3), (20, 20), (400, 41)])
def test_fit_box_makes_the_longer_side_20_and_keeps_aspect(shape):
    """MNIST scales the ink box to fit 20x20, aspect ratio kept."""
    out = P.fit_box(np.full(shape, 200, np.uint8))
    assert max(out.shape) == 20
    assert abs(out.shape[0] / out.shape[1] - shape[0] / shape[1]) < 0.15 * (
        shape[0] / shape[1]
    ) + 0.06


def test_center_by_mass_puts_the_centre_of_mass_at_14_14_and_peak_at_1():
    """The digit's centre of mass lands on the centre of the 28x28 field; ink is in [0, 1]."""
    digit = np.zeros((20, 12), np.uint8)
    digit[:, :4] = 100  # mass on the left side of the box
    out = P.center_by_mass(digit)
    m = cv2.moments(out)
    assert abs(m["m10"] / m["m00"] - 14) <= 0.75
    assert abs(m["m01"] / m["m00"] - 14) <= 0.75
    assert out.max() == pytest.approx(1.0)


def test_blank_canvas_gives_all_zeros():
    """A uniform canvas has no ink: the output is all zeros."""
    for level in (0, 128, 255):
        out = preprocess(np.full((280, 280), level, np.uint8))
        assert out.dtype == np.float32 and out.shape == (28, 28) and not out.any()


def test_noise_only_canvas_is_blank():
    """Gaussian paper noise and JPEG speckle alone are not ink."""
    rng = np.random.default_rng(0)
    noisy = np.clip(rng.normal(200, 6, (280, 280)), 0, 255).astype(np.uint8)
    assert not preprocess(noisy).any()
    _, jpeg = cv2.imencode(".jpg", noisy, [cv2.IMWRITE_JPEG_QUALITY, 30])
    assert not preprocess(jpeg.tobytes()).any()


def test_mnist_images_pass_through_nearly_unchanged(mnist_subset):
    """A 28x28 MNIST digit is already in the convention: preprocessing barely changes it."""
    images = mnist_subset.test_images[:500]
    diffs = [np.abs(preprocess(im) - im / 255).mean() for im in images]
    assert np.mean(diffs) < 0.02


def test_thin_strokes_survive():
    """A 2-px pen on a 280 canvas is still found and fills the 20-px box."""
    out = preprocess(draw_digit(1, width=2))
    rows = np.flatnonzero(out.any(axis=1))
    assert rows[-1] - rows[0] + 1 >= 19


@pytest.mark.parametrize(("size", "width"), [(280, 2), (560, 3)])
def test_a_faint_thin_pen_gets_a_second_look_on_a_finer_copy(size, width):
    """A thin pen 56 grey levels from the paper fades below the ink level on the detection copy,
    but the finer copy still finds it: the canvas is not called blank."""
    canvas = draw_digit(7, size=size, background=200, pen=144, width=width)
    coarse = canvas
    while min(coarse.shape) >= 2 * P.DETECT_SIZE:
        coarse = P.halve(coarse)
    assert P.ink_box(coarse, P.background_level(coarse)) is None
    out = preprocess(canvas)
    rows = np.flatnonzero(out.any(axis=1))
    assert out.max() == 1.0 and rows[-1] - rows[0] + 1 >= 19


@pytest.mark.parametrize(
    ("background", "pen"), [(255, 0), (200, 30), (128, 0), (70, 0), (70, 230), (0, 255)]
)
def test_polarity_and_shade_do_not_matter(background, pen):
    """Dark on white, on light grey, on mid and dark grey, light on dark grey and on black:
    the same drawing gives nearly the same 28x28."""
    reference = preprocess(draw_digit(7, background=255, pen=0))
    out = preprocess(draw_digit(7, background=background, pen=pen))
    assert np.abs(out - reference).mean() < 0.02


canvas_boxes = st.tuples(st.floats(0, 1), st.floats(0, 1), st.floats(0.3, 0.85))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(range(10)), canvas_boxes, st.integers(120, 600))
def test_shifting_and_scaling_the_drawing_gives_nearly_the_same_28x28(digit, placement, size):
    """Where and how large a digit is drawn on the canvas hardly changes what the model sees."""
    x, y, scale = placement  # position as a fraction of the free space, height as of the canvas
    reference = preprocess(draw_digit(digit, size=280, box=(0.3, 0.15, 0.4, 0.7), width=20))
    w, h = 0.4 * scale / 0.7, scale
    moved = draw_digit(
        digit, size=size, box=(0.06 + x * (0.88 - w), 0.06 + y * (0.88 - h), w, h),
        width=max(1, round(20 * size / 280 * scale / 0.7)),
    )
    # 0.06: detection on a copy averaged over 4x4 blocks (for these canvas sizes) makes the 28x28
    # depend a little on where the digit falls on that grid. Over 1,980 placements the mean
    # difference is 0.016 and the largest 0.053 (0.012 and 0.048 with 2x2 blocks).
    assert difference_up_to_one_pixel(preprocess(moved), reference) < 0.06


def difference_up_to_one_pixel(a, b):
    """Mean |a - b| at the best relative shift of at most one pixel: centring by the centre of
    mass rounds to whole pixels, as MNIST's does, so a drawing can land one pixel over."""
    return min(
        np.abs(np.roll(a, (dy, dx), axis=(0, 1)) - b).mean()
        for dy in (-1, 0, 1)
        for dx in (-1, 0, 1)
    )


@settings(max_examples=60, deadline=None)
@given(
    st.integers(1, 300), st.integers(1, 300), st.integers(0, 255),
    st.lists(st.tuples(st.integers(0, 299), st.integers(0, 299), st.integers(0, 255)),
             max_size=30),
)
def test_output_is_always_float32_28x28_in_unit_range(h, w, background, dots):
    """Whatever the canvas, the output is float32 (28, 28) with values in [0, 1]."""
    canvas = np.full((h, w), background, np.uint8)
    for r, c, v in dots:
        canvas[r % h, c % w] = v
    out = preprocess(canvas)
    assert out.dtype == np.float32 and out.shape == (28, 28)
    assert float(out.min()) >= 0.0 and float(out.max()) <= 1.0


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 255), st.integers(60, 400))
def test_background_maps_to_zero(background, size):
    """Pixels of the paper, whatever its grey, become 0 after preprocessing."""
    pen = 0 if background > 127 else 255
    out = preprocess(draw_digit(4, size=size, background=background, pen=pen,
                                width=max(2, size // 14)))
    # the corners of the 28x28 are outside MNIST's 20x20 box: pure background
    assert out[:3, :3].max() == 0 and out[-3:, -3:].max() == 0
