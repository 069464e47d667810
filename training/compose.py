"""Numbers composed from single digits as a person writes them, with separators and rules: what
the number test (numbers.py) reads and what the sequence model (sequence.py) trains on."""

from __future__ import annotations

import itertools

import cv2
import numpy as np
import numpy.typing as npt

U8 = npt.NDArray[np.uint8]
GAPS = {"apart": (0.10, 0.60), "tight": (0.0, 0.10), "overlapping": (-0.15, 0.0)}
SEPARATORS = ("dot", "comma", "dash", "space")
RULES = ("underline", "box", "comb", "ruled")


def compose(fields: list[U8], gap: tuple[float, float], rng: np.random.Generator,
            separator: tuple[int, str] | None = None, rule: str | None = None) -> U8:
    """Fields (28x28, ink bright on 0) side by side as one handwritten number, dark on light;
    with `separator` (position, kind), that mark drawn with the same pen before that field; with
    `rule` (one of RULES), that drawn too (`_rule`)."""
    height = int(rng.integers(70, 151))
    pen = int(rng.integers(6, 19))
    tiles = []
    for field in fields:
        ys, xs = np.nonzero(field > 30)
        crop = field[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1]
        scale = height / crop.shape[0]
        big = cv2.resize(crop, (max(1, round(crop.shape[1] * scale)), height),
                         interpolation=cv2.INTER_LINEAR)
        stroke = height / 20 * 2.5  # MNIST's pen, scaled
        if pen > stroke + 2:
            k = int(pen - stroke) | 1
            big = cv2.dilate(big, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (k, k)))
        elif pen < stroke - 2:
            k = int(stroke - pen) | 1
            big = cv2.erode(big, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (k, k)))
        tiles.append(big)
    if separator:
        tiles.insert(separator[0], _separator(separator[1], height, pen, rng))
    jitter = int(0.08 * height)
    width = sum(t.shape[1] for t in tiles) + int(0.7 * height * len(tiles)) + 2 * height
    canvas = np.zeros((height + 2 * jitter + 80, width), np.uint8)
    x = 40
    spans = []
    for tile in tiles:
        y = 40 + jitter + int(rng.integers(-jitter, jitter + 1))
        h, w = tile.shape
        canvas[y : y + h, x : x + w] = np.maximum(canvas[y : y + h, x : x + w], tile)
        spans.append((x, x + w))
        x += w + int(rng.uniform(*gap) * w)
    ys, xs = np.nonzero(canvas)
    canvas = canvas[:, : xs.max() + 40]
    if rule:
        canvas = _rule(canvas, rule, height, pen, rng, spans)
    return (255 - canvas).astype(np.uint8)


def _separator(kind: str, height: int, pen: int, rng: np.random.Generator) -> U8:
    """A tile (ink bright on 0, its top at the digits' top) holding one separator drawn with the
    number's pen: a dot or a comma on the line, a dash at mid-height, or a space (no ink)."""
    width = {"dot": 2 * pen, "comma": 3 * pen, "space": int(0.3 * height),
             "dash": int(height * rng.uniform(0.25, 0.45)) + pen}[kind]
    tile = np.zeros((height + height // 4, width), np.uint8)
    dot = (width // 2 + (pen // 2 if kind == "comma" else 0), height - pen)
    if kind in ("dot", "comma"):
        cv2.circle(tile, dot, max(2, pen // 2 + 1), 255, -1, cv2.LINE_AA)
    if kind == "comma":  # a tail down and to the left, below the line
        cv2.line(tile, dot, (width // 2 - pen // 2, height + pen), 255, max(2, 2 * pen // 3),
                 cv2.LINE_AA)
    if kind == "dash":
        y = int(height * rng.uniform(0.45, 0.6))
        cv2.line(tile, (pen // 2, y), (width - pen // 2, y), 255, pen, cv2.LINE_AA)
    return tile


def _rule(canvas: U8, kind: str, height: int, pen: int, rng: np.random.Generator,
          spans: list[tuple[int, int]]) -> U8:
    """`canvas` (ink bright on 0) on more paper with a rule drawn: an underline as long as the
    number or longer, touching it or just below it, slanting up to 6 %, half of them drawn
    freehand (bowed and wobbling by up to 3 % of the height); a comb (a thin box per digit, cut
    halfway between neighbours); a box around it, touching
    it or up to a quarter of its height away; or ruled paper, two lighter thin lines edge to edge,
    one at the digits' foot and one above them. Underlines and boxes are drawn with 40-100 % of
    the number's pen."""
    pad = int(0.6 * height) + pen
    canvas = cv2.copyMakeBorder(canvas, pad, pad, pad, pad, cv2.BORDER_CONSTANT, value=0)
    ys, xs = np.nonzero(canvas)
    x0, x1, y0, y1 = int(xs.min()), int(xs.max()), int(ys.min()), int(ys.max())
    layer = np.zeros_like(canvas)
    t = max(2, round(pen * rng.uniform(0.4, 1.0)))
    if kind == "underline":  # half of them freehand: bowed and wobbling by up to 3 % of the height
        y = y1 + rng.uniform(-0.3, 1.5) * t
        rise = rng.uniform(-0.03, 0.03) * (x1 - x0)
        left, right = (x0 - rng.uniform(0, 0.2) * height, x1 + rng.uniform(0, 0.2) * height)
        along = np.linspace(0, 1, 64)
        wave = np.zeros_like(along)
        if rng.random() < 0.5:
            bow, wobble = rng.uniform(-0.03, 0.03) * height, rng.uniform(0, 0.03) * height
            wave = (4 * bow * along * (1 - along)
                    + wobble * np.sin(2 * np.pi * (rng.uniform(1, 3) * along + rng.random())))
        points = np.stack([left + (right - left) * along, y + rise * (2 * along - 1) + wave], 1)
        cv2.polylines(layer, [np.round(points).astype(np.int32)], False, 255, t, cv2.LINE_AA)
    elif kind == "box":
        m = [round(rng.uniform(0, 0.25) * height) for _ in range(4)]
        cv2.rectangle(layer, (x0 - m[0], y0 - m[1]), (x1 + m[2], y1 + m[3]), 255, t, cv2.LINE_AA)
    elif kind == "comb":  # a box per digit, sides shared, printed thin: 1-3 px
        t = int(rng.integers(1, 4))
        m = [round(rng.uniform(0.05, 0.25) * height) for _ in range(4)]
        cuts = [x0 - m[0], *((a + b) // 2 + pad for (_, a), (b, _) in itertools.pairwise(spans)),
                x1 + m[2]]
        cv2.rectangle(layer, (cuts[0], y0 - m[1]), (cuts[-1], y1 + m[3]), 255, t, cv2.LINE_AA)
        for c in cuts[1:-1]:
            cv2.line(layer, (c, y0 - m[1]), (c, y1 + m[3]), 255, t, cv2.LINE_AA)
    else:
        level, t = int(rng.integers(135, 256)), int(rng.integers(1, 4))
        foot = round(y1 - rng.uniform(0, 0.1) * height)
        for y in (foot, foot - round(rng.uniform(1.1, 1.5) * height)):
            cv2.line(layer, (0, y), (canvas.shape[1], y), level, t, cv2.LINE_AA)
    return np.maximum(canvas, layer)
