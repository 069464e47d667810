"""Any canvas -> MNIST's 28x28 convention, as a chain of small pure steps.

MNIST (LeCun et al.): each digit's ink box was scaled, aspect kept and anti-aliased, to fit a
20x20 box, then placed in a 28x28 field so that its centre of mass sits at the centre; ink is
bright on a 0 background. Every step below exists to reproduce that from a drawing on a canvas
of any size, background grey level and ink polarity. NumPy and OpenCV only.
"""

from __future__ import annotations

import functools
import math
from typing import NamedTuple, cast

import numpy as np
import numpy.typing as npt

from ._cv import cv2
from ._decision import Box
from ._image import GreyImage, ImageInput, to_grey

MNIST_SIZE = 28
BOX_SIZE = 20
# Detection runs on a copy halved until its shorter side is below twice this (70x70 for a 280x280
# canvas): averaging blocks suppresses speckle and makes the ink search cheap, and the copy still
# has 2-4x the pixels of MNIST's 20-px digit. A faint thin stroke can fade below the ink level
# there, so an empty copy gets a second look one halving finer before the canvas counts as blank.
# Halving is OpenCV's fastest resize.
DETECT_SIZE = 50
# Ink within this many grey levels of the background is paper texture or compression noise.
NOISE_LEVEL = 24
# A canvas whose strongest ink (after noise removal, on the detection copy) is below this is blank.
MIN_INK = 24
# Fainter ink (a pencil scan, a light pen) is still read down to this contrast, on the finest
# detection copy, when the paper is clean: the contrast must also stand FAINT_SIGMAS times above
# the paper's own noise (estimated from the border), and the ink must form strokes, not specks.
FAINT_CONTRAST = 16
FAINT_SIGMAS = 8
FAINT_MIN_PIXELS = 12  # the largest ink component, in detection pixels
# A border whose interquartile range exceeds this many grey levels is unevenly lit (a shadow, a
# lamp's gradient): its light is estimated as a plane fitted to the border and taken out first.
UNEVEN_LEVEL = 12
# ...or printed (a cheque's security print, a form's texture): a print deeper than NOISE_LEVEL
# would be ink, so then whatever lies within the print's range of grey (10th-90th percentiles,
# on the border's side where it is least) plus PRINT_MARGIN is paper too, as long as that range
# is under PRINT_SHARE of the strongest ink (more is ink along the border).
PRINT_MARGIN, PRINT_SHARE = 8, 0.6
# Before that, a print is averaged out over PRINT_BLUR detection pixels (a box filter): on its
# own fine lines, ink off them falls under the raised noise level and a digit comes out striped.
# A print crosses each side of the border PRINT_CROSSINGS times or more; ink that touches the
# border (a bitmap stretched to fill its box) crosses a side once or not at all, and is not
# averaged.
PRINT_BLUR, PRINT_CROSSINGS = 3, 2

FloatImage = npt.NDArray[np.float32]


def preprocess(image: ImageInput) -> FloatImage:
    """Convert a picture of one handwritten digit to exactly what the model sees.

    Args:
        image: a 2-D grey array (uint8, uint16, or float in [0, 1]), a 3-D BGR/BGRA array, a path
            to an image file, or the bytes of an encoded PNG/JPEG/BMP. Dark ink on a light
            background and light ink on a dark background both work.

    Returns:
        A float32 array of shape (28, 28) in [0, 1]: ink bright on 0, the digit fitted to a 20x20
        box and centred by its centre of mass (MNIST's convention). All zeros when the image
        holds no ink.

    Raises:
        ImageError: the input is not a readable image.
    """
    digit = prepare(image)
    return np.zeros((MNIST_SIZE, MNIST_SIZE), np.float32) if digit is None else digit


def prepare(image: ImageInput) -> FloatImage | None:
    """preprocess(), but None for an image without ink (so callers need not test for zeros)."""
    ink = find_ink(to_grey(image))
    return None if ink is None else normalize_ink(ink)


class Ink(NamedTuple):
    """Where the ink is: found on `detection`, a copy of the image averaged down `factor` times.

    Attributes:
        detection: the averaged-down grey copy the ink was found on.
        factor: each detection pixel is a factor x factor block of the input.
        box: the ink's box (x, y, width, height) on the detection copy.
        background: the paper's grey level.
        source: the full-resolution grey image to crop from (the input, or the input with
            uneven light taken out).
        noise: grey levels around the paper that count as paper, not ink (NOISE_LEVEL, less for
            faint ink on clean paper).
    """

    detection: GreyImage
    factor: int
    box: Box
    background: int
    source: GreyImage
    noise: int = NOISE_LEVEL

    @property
    def input_box(self) -> Box:
        """The ink box in the input image's pixel coordinates."""
        x, y, w, h = self.box
        f = self.factor
        return x * f, y * f, w * f, h * f


def find_ink(grey: GreyImage, *, evened: bool = False) -> Ink | None:
    """Find the ink on a grey image, or None when it holds none worth reading.

    `evened` says the light was already evened out (see flatten_light): no second flattening.
    """
    finer, small, factor = grey, grey, 1
    while min(small.shape) >= 2 * DETECT_SIZE:
        finer, small, factor = small, halve(small), factor * 2
    background, spread = border_levels(small)
    if spread > UNEVEN_LEVEL and not evened:  # uneven light, or ink on the border: which?
        flat = flatten_light(grey, small, factor)
        if flat is not None:  # a lighting gradient: even it out, look again
            return find_ink(flat, evened=True)
    noise = paper_noise(small, background, spread)
    if noise > NOISE_LEVEL and not evened and crosses_every_side(small, background):
        # a print deeper than the noise level: its fine lines averaged out, then look again
        blurred = cv2.blur(grey, (PRINT_BLUR * factor, PRINT_BLUR * factor))
        return find_ink(blurred.astype(np.uint8, copy=False), evened=True)
    box = ink_box(small, background, noise)
    if box is None and factor > 1:  # the second look: faint thin strokes average out less here
        small, factor = finer, factor // 2
        background, spread = border_levels(small)
        noise = paper_noise(small, background, spread)
        box = ink_box(small, background, noise)
    if box is None:
        faint = faint_ink_box(small, background)
        if faint is None:
            return None
        box, noise = faint
    # rules and neighbours' pieces at a crop's edge are no digit, whether the ink is faint or not
    return Ink(small, factor, without_edge_clutter(small, background, box, noise), background,
               grey, noise)


def normalize_ink(ink: Ink) -> FloatImage:
    """Crop the ink `find_ink` found and normalise it to MNIST's 28x28."""
    x, y, w, h = ink.box
    if max(w, h) >= BOX_SIZE and ink.noise == NOISE_LEVEL:
        # The detection copy has enough pixels for the 20-px box, and averaging blocks twice is
        # averaging once: crop it rather than the full-resolution image.
        crop = ink.detection[y : y + h, x : x + w]
    else:  # a small digit on a large canvas, or faint ink: take the detail from full resolution
        x, y, w, h = ink.input_box
        crop = ink.source[y : y + h, x : x + w]
    return normalize_crop(crop, ink.background, ink.noise)


def normalize_crop(crop: GreyImage, background: int, noise: int = NOISE_LEVEL) -> FloatImage:
    """One digit's grey crop on paper of `background` grey -> MNIST's 28x28 float32."""
    return center_by_mass(fit_box(ink_relative_to(crop, background, noise)))


def flatten_light(grey: GreyImage, small: GreyImage, factor: int) -> GreyImage | None:
    """`grey` with its light evened out, or None when the light is already even.

    The light is a plane a + b*x + c*y fitted to the border of the detection copy `small` (the
    paper, where a digit rarely is). The fit starts from the border pixels near the border's
    median and then keeps those close to the plane, so ink touching the edge does not tilt it.
    If the plane varies by less than UNEVEN_LEVEL across the image, the border was uneven
    because of ink or noise, not light: None. Otherwise the plane is subtracted and the paper
    set to its mean level.
    """
    h, w = small.shape
    if h + w > _CACHED_BORDER:  # a strip thousands of pixels long: no lighting model for that
        return None
    indices, middle = _cached_border(h, w)
    ys, xs = np.divmod(indices, w)
    design = np.column_stack([np.ones(len(indices)), xs, ys]).astype(np.float64)
    values = small.reshape(-1)[indices].astype(np.float64)
    keep = np.abs(values - np.sort(values)[middle]) <= UNEVEN_LEVEL
    for _ in range(3):
        coef = np.linalg.lstsq(design[keep], values[keep], rcond=None)[0]
        residual = np.abs(values - design @ coef)
        keep = residual <= max(4.0, 2.5 * float(np.median(residual[keep])))
    if abs(coef[1]) * (w - 1) + abs(coef[2]) * (h - 1) < UNEVEN_LEVEL:
        return None
    # The plane in full-resolution coordinates: a detection pixel covers factor x factor pixels.
    gh, gw = grey.shape
    scale = 1.0 / factor
    y = (np.arange(gh, dtype=np.float32) + 0.5) * scale - 0.5
    x = (np.arange(gw, dtype=np.float32) + 0.5) * scale - 0.5
    light = np.float32(coef[0]) + np.float32(coef[1]) * x[None, :] + np.float32(coef[2]) * y[:, None]
    level = float(coef[0] + coef[1] * (w - 1) / 2 + coef[2] * (h - 1) / 2)
    flat = grey.astype(np.float32) - light + np.float32(level)
    return cast(GreyImage, np.clip(flat + 0.5, 0, 255).astype(np.uint8))


# Speed notes. In `Recognizer.predict` every step starts with the CPU caches cold (the model run
# before it evicted them), and there each OpenCV/NumPy call or Python-level detour costs two to
# three times what it costs repeated in a loop. So the steps below make as few calls as they can,
# and type OpenCV's results with cast() rather than by wrapping them in np.asarray.


def halve(grey: GreyImage) -> GreyImage:
    """Average 2x2 blocks (an odd last row or column is dropped): a fast anti-aliased downscale."""
    h, w = grey.shape[0] // 2, grey.shape[1] // 2
    if (grey.shape[0] | grey.shape[1]) & 1:
        grey = grey[: 2 * h, : 2 * w]
    return cast(GreyImage, cv2.resize(grey, (w, h), interpolation=cv2.INTER_AREA))


def background_level(grey: GreyImage) -> int:
    """The median grey level of the border: the paper, whatever its shade.

    The border, not the whole image, because a bold digit can cover more than half the canvas;
    the median, because strokes may touch the border.
    """
    return border_levels(grey)[0]


def border_levels(grey: GreyImage) -> tuple[int, int]:
    """The border's median grey level (the paper) and its interquartile range (how uneven or
    noisy the paper is; 0 on a clean canvas). The range ignores ink on up to a quarter of it."""
    h, w = grey.shape
    if h + w <= _CACHED_BORDER:
        indices, middle = _cached_border(h, w)
        border = grey.take(indices)
    else:  # a huge or oddly shaped image: slices, no index arrays of its size
        border = np.concatenate((grey[0], grey[-1], grey[1:-1, 0], grey[1:-1, -1]))
        middle = len(border) // 2
    border.sort()
    quarter = middle // 2
    return int(border[middle]), int(border[middle + quarter]) - int(border[quarter])


# Border index arrays are cached for detection copies up to this height + width (all that
# predict sees again and again), never for huge or oddly shaped images.
_CACHED_BORDER = 4096


@functools.lru_cache(maxsize=64)
def _cached_border(h: int, w: int) -> tuple[npt.NDArray[np.intp], int]:
    """Flat indices of the top row, bottom row, left and right column; and the median's index."""
    rows = np.arange(1, h - 1) * w
    indices = np.concatenate((np.arange(w), (h - 1) * w + np.arange(w), rows, rows + w - 1))
    indices.setflags(write=False)
    return indices, len(indices) // 2


def ink_relative_to(grey: GreyImage, background: int, noise: int = NOISE_LEVEL) -> GreyImage:
    """How far each pixel is from the background, either polarity, less the noise level.

    Distance rather than "darker than" because light-on-dark and dark-on-light both occur, and a
    dark-grey canvas can carry either; MNIST wants ink bright on exactly 0.
    """
    return cast(GreyImage, cv2.LUT(grey, _ink_table(background, noise)))


@functools.lru_cache(maxsize=256 * 8)  # bounded: 256 backgrounds x a few noise levels
def _ink_table(background: int, noise: int) -> GreyImage:
    """ink_relative_to as a 256-entry lookup table: one pass over the image, no temporaries."""
    levels = np.abs(np.arange(256) - background) - noise
    table: GreyImage = np.clip(levels, 0, 255).astype(np.uint8)
    table.setflags(write=False)
    return table


def paper_noise(grey: GreyImage, background: int, spread: int) -> int:
    """The grey levels around the paper's that count as paper: NOISE_LEVEL, or on printed paper
    (a border with an interquartile range over UNEVEN_LEVEL that is not uneven light) whose print
    reaches past NOISE_LEVEL, the print's reach plus PRINT_MARGIN, when that reach is under
    PRINT_SHARE of the strongest ink."""
    if spread <= UNEVEN_LEVEL:  # clean paper: every canvas, no extra work
        return NOISE_LEVEL
    # A print runs along all four sides; a rule, a neighbour's fragment or a stroke rarely does.
    reach = min(max(background - low, high - background)
                for low, high in (np.percentile(side, [10, 90])
                                  for side in (grey[0], grey[-1], grey[:, 0], grey[:, -1])))
    darkest, lightest, _, _ = cv2.minMaxLoc(grey)
    if reach < NOISE_LEVEL or reach >= PRINT_SHARE * max(background - darkest, lightest - background):
        return NOISE_LEVEL  # a print within the noise level already, or ink along the border
    return int(reach) + PRINT_MARGIN


def crosses_every_side(grey: GreyImage, background: int) -> bool:
    """Whether something beyond NOISE_LEVEL crosses each side of the border PRINT_CROSSINGS
    times or more, as a print's lines do."""
    for side in (grey[0], grey[-1], grey[:, 0], grey[:, -1]):
        off = (np.abs(side.astype(np.int16) - background) > NOISE_LEVEL).astype(np.int8)
        if int(off[0]) + np.count_nonzero(np.diff(off) == 1) < PRINT_CROSSINGS:
            return False
    return True


def ink_box(grey: GreyImage, background: int, noise: int = NOISE_LEVEL) -> Box | None:
    """The bounding box of the ink, or None when there is none worth reading.

    Ink is `ink_relative_to(grey, background, noise)`, but the box is found from the grey image
    with one threshold per polarity present, so the ink image is only ever made inside the box.
    """
    darkest, lightest, _, _ = cv2.minMaxLoc(grey)
    peak = max(background - darkest, lightest - background) - noise
    if peak < MIN_INK:
        return None
    # Faint ink far below the strongest stroke is smudge, not digit: keep it out of the box.
    # ink > peak / 10  <=>  |grey - background| > margin  <=>  grey <= low  or  grey > high.
    margin = smudge_margin(peak, noise)
    low, high = background - margin - 1, background + margin
    dark = light = None
    if darkest <= low:
        dark = cv2.boundingRect(cv2.threshold(grey, low, 255, cv2.THRESH_BINARY_INV)[1])
    if lightest > high:
        light = cv2.boundingRect(cv2.threshold(grey, high, 255, cv2.THRESH_BINARY)[1])
    if light is None or dark is None:  # one polarity: the common case
        return cast(Box, dark or light)
    x0, y0 = min(dark[0], light[0]), min(dark[1], light[1])
    x1 = max(dark[0] + dark[2], light[0] + light[2])
    y1 = max(dark[1] + dark[3], light[1] + light[3])
    return x0, y0, x1 - x0, y1 - y0


def smudge_margin(peak: float, noise: int = NOISE_LEVEL) -> int:
    """How far from the paper's grey a pixel must be to count as ink, given the strongest ink's
    `peak` above the noise level: faint ink under a tenth of it is smudge, not digit."""
    return noise + math.floor(peak * 0.1)


def without_edge_clutter(grey: GreyImage, background: int, box: Box, noise: int = NOISE_LEVEL
                         ) -> Box:
    """The ink box without what cropping a digit out of a document brings along at the crop's
    edges: printed rules, the cut-off pieces of its neighbours, separator dots.

    Only when the ink touches the image's edge (a drawing on a canvas rarely does: no cost), and
    only when ink clear of the edge holds most of the ink: a digit that itself touches the edge
    keeps everything. Then a piece touching the edge goes if it is at most half as large as that
    ink, or if it is a printed rule: wider than 4x its height, over 90 % of the image's width,
    above or below all that ink and running past it on both sides. A rule the digit's stroke
    touches would join it into one piece, so first the rows in the top and bottom quarter whose
    ink covers 90 % of the width (a rule's) are taken out of the ink, and pieces lying within two
    rows of them are the rule's anti-aliased rim; unless what is left does not end a twentieth
    of the width inside the rule on both sides (then the bar is the drawing's own).
    """
    h, w = grey.shape
    x, y, bw, bh = box
    if x > 0 and y > 0 and x + bw < w and y + bh < h:
        return box
    darkest, lightest, _, _ = cv2.minMaxLoc(grey)
    margin = smudge_margin(max(background - darkest, lightest - background) - noise, noise)
    mask = cast(GreyImage, (cv2.absdiff(grey, np.full_like(grey, background)) > margin).view(np.uint8))
    ruled = np.count_nonzero(mask, axis=1) >= 0.9 * w
    ruled[h // 4 : h - h // 4] = False
    if ruled.any():  # cut the rule off, if it runs past what is left on both sides (a printed
        # rule does; a character's own top bar, as Devanagari's, ends with the character)
        ends = np.flatnonzero(mask[ruled].any(axis=0))[[0, -1]] + (0, 1)
        cut = mask.copy()
        cut[ruled] = 0
        found = _digit_box(cut, np.convolve(ruled, np.ones(5))[2:-2] > 0)
        if found is not None and ends[0] + w // 20 <= found[0] and found[0] + found[2] <= ends[1] - w // 20:
            return found
    return _digit_box(mask, np.zeros(h, bool)) or box


def _digit_box(mask: GreyImage, near: npt.NDArray[np.bool_]) -> Box | None:
    """without_edge_clutter's box of the pieces of `mask` clear of the edge, or None where it
    keeps everything; `near`: the rows of a rule cut off (its rows and two either side)."""
    h, w = mask.shape
    count, _, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    left, top, width, height, area = stats[1:].T
    right, bottom = left + width, top + height
    rim = near[top] & near[bottom - 1]  # what is left of a cut rule: its anti-aliased rim
    inner = (left > 0) & (top > 0) & (right < w) & (bottom < h) & ~rim
    if not inner.any() or (count < 3 and not near.any()):
        return None
    x0, y0, x1, y1 = left[inner].min(), top[inner].min(), right[inner].max(), bottom[inner].max()
    rule = rim | ((width >= 0.9 * w) & (width >= 4 * height) & ((bottom <= y0) | (top >= y1))
                  & (left <= x0) & (right >= x1))
    inner_ink = int(area[inner].sum())
    if inner_ink * 2 <= int(area[~rule].sum()) or (area[~inner & ~rule] * 2 > inner_ink).any():
        return None
    return int(x0), int(y0), int(x1 - x0), int(y1 - y0)


def faint_on_clean_paper(contrast: float, spread: int) -> bool:
    """Whether ink `contrast` grey levels from the paper stands out of the paper's own noise
    (the border's interquartile range `spread` / 1.35 estimates its sigma): FAINT_CONTRAST or
    more, and FAINT_SIGMAS sigmas or more."""
    return contrast >= max(FAINT_CONTRAST, FAINT_SIGMAS * spread / 1.35)


def paper_border(grey: GreyImage, background: int) -> tuple[float, float, float, float]:
    """The 1st, 25th, 75th and 99th grey-level percentiles of the border without its ruled sides:
    the paper faint ink is judged against. A side is ruled when nine tenths of it lie beyond
    NOISE_LEVEL from the paper's `background` (a printed rule, an underline along a whole edge):
    a rule is over a quarter of the border, enough to spread the border's levels as a print's
    pattern does. A print's pattern crosses the sides, so its spread stays."""
    sides = [side for side in (grey[0], grey[-1], grey[1:-1, 0], grey[1:-1, -1]) if side.size]
    paper = [side for side in sides
             if np.count_nonzero(np.abs(side.astype(np.int16) - background) > NOISE_LEVEL) < 0.9 * side.size]
    low, q1, q3, high = np.percentile(np.concatenate(paper or sides), [1, 25, 75, 99])
    return float(low), float(q1), float(q3), float(high)


def faint_ink_box(grey: GreyImage, background: int) -> tuple[Box, int] | None:
    """The box of ink too faint for `ink_box`, and the noise level to remove with it; or None.

    The paper is `paper_border`. Faint ink counts when its contrast is at least FAINT_CONTRAST
    and FAINT_SIGMAS times the paper's noise (its interquartile range / 1.35 estimates the
    sigma), or, on paper with a printed texture (a cheque's security print: an interquartile
    range that is pattern, not noise), when it lies FAINT_CONTRAST beyond the texture's darkest
    and lightest levels (the paper's 1st and 99th percentiles). And it must form strokes:
    components smaller than a tenth of the largest (specks) are left out of the box, and the
    largest must have FAINT_MIN_PIXELS.
    """
    darkest, lightest, _, _ = cv2.minMaxLoc(grey)
    contrast = max(background - darkest, lightest - background)
    low, q1, q3, high = paper_border(grey, background)
    if faint_on_clean_paper(contrast, int(q3 - q1)):
        noise = int(contrast) // 2  # half way between the paper and the faint ink's peak
    else:
        beyond = max(low - darkest, lightest - high)
        if beyond < FAINT_CONTRAST:
            return None
        noise = int(max(background - low, high - background)) + FAINT_CONTRAST // 2  # past the print
    mask = (cv2.absdiff(grey, np.full_like(grey, background)) > noise).astype(np.uint8)
    count, _, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    areas = stats[1:, cv2.CC_STAT_AREA]
    if count < 2 or int(areas.max()) < FAINT_MIN_PIXELS:
        return None
    strokes = stats[1:][areas >= max(3, areas.max() // 10)]
    x0, y0 = int(strokes[:, 0].min()), int(strokes[:, 1].min())
    x1 = int((strokes[:, 0] + strokes[:, 2]).max())
    y1 = int((strokes[:, 1] + strokes[:, 3]).max())
    return (x0, y0, x1 - x0, y1 - y0), noise


def fit_box(ink: GreyImage, size: int = BOX_SIZE) -> GreyImage:
    """Scale the cropped ink, aspect kept, so its longer side is `size` pixels (MNIST's 20)."""
    # Halving first is exact area averaging and much faster than one large INTER_AREA step;
    # an odd edge is padded with background rather than dropped, so no ink is lost.
    while min(ink.shape) >= 2 * size:
        odd_h, odd_w = ink.shape[0] % 2, ink.shape[1] % 2
        if odd_h or odd_w:
            ink = cast(GreyImage, cv2.copyMakeBorder(ink, 0, odd_h, 0, odd_w, cv2.BORDER_CONSTANT,
                                                     value=0))
        ink = halve(ink)
    h, w = ink.shape
    scale = size / max(h, w)
    new_w, new_h = max(1, round(w * scale)), max(1, round(h * scale))
    if (new_w, new_h) == (w, h):
        return ink
    # Area averaging anti-aliases a downscale; bilinear keeps an upscale smooth.
    interpolation = cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
    return cast(GreyImage, cv2.resize(ink, (new_w, new_h), interpolation=interpolation))


def center_by_mass(digit: GreyImage) -> FloatImage:
    """Place the digit in 28x28 with its centre of mass at the centre; scale ink to [0, 1].

    The peak is scaled to 1 so that a faint pen, or a thin stroke thinned further by
    downscaling, reaches the full intensity MNIST's strokes have.
    """
    m = cv2.moments(digit)
    if m["m00"] == 0:
        return np.zeros((MNIST_SIZE, MNIST_SIZE), np.float32)
    h, w = digit.shape
    centre = MNIST_SIZE / 2
    x0 = min(max(round(centre - m["m10"] / m["m00"]), 0), MNIST_SIZE - w)
    y0 = min(max(round(centre - m["m01"] / m["m00"]), 0), MNIST_SIZE - h)
    # Two OpenCV calls rather than NumPy arithmetic: identical result, and cheaper with cold caches.
    placed = cv2.copyMakeBorder(digit, y0, MNIST_SIZE - h - y0, x0, MNIST_SIZE - w - x0,
                                cv2.BORDER_CONSTANT, value=0)
    # An explicit output array: every OpenCV release's type stubs accept it (not all accept None).
    out = np.empty((MNIST_SIZE, MNIST_SIZE), np.float32)
    cv2.normalize(placed, out, 1.0, 0.0, cv2.NORM_INF, cv2.CV_32F)
    return out
