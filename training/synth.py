"""Digits and non-digits beyond MNIST, drawn the way people draw: for model v2.

Every generator returns a 28x28 uint8 image in MNIST's field convention (ink bright on 0, the
drawing about 20 px tall), so `augment.render_on_canvas` puts it on a random canvas exactly as it
does MNIST's own digits, and `digitrt.preprocess` then sees what it sees at run time.

- `redraw`: an MNIST digit thinned to its skeleton and drawn again as pen strokes: a round pen of
  a canvas's or a finger's width, control points moved by a smooth random field, now and then a
  broken stroke or an overshoot at a stroke's end; optionally a style (`STYLES`).
- `STYLES`: label-preserving strokes added to the skeleton: a crossbar on a 7, a flag and a base on
  a 1, a slash through a 0, a curled tail on a 9; and `template`: open and curved-top 4s drawn
  from jittered control points.
- `font_digit`: a digit from a handwriting font (training/fonts.py), slanted and stretched.
- `NEGATIVES`: things that are not a digit: letters and symbols from the fonts, scribbles,
  zigzags, stars, crosses, arrows, shapes, faces, dots, dashes, crossed-out digits, two digits
  side by side, Hershey stroke glyphs (Greek and Cyrillic letters, kanji, signs), line icons
  (training/icons.py); held out of
  training: spirals, hearts, houses, waves, suns; and half a digit, reported apart (many halves
  are digits).
"""

from __future__ import annotations

import functools
import itertools
import math
from collections.abc import Callable

import cv2
import numpy as np
import numpy.typing as npt

from digitrt import MNIST_SIZE

from .fonts import glyph

U8 = npt.NDArray[np.uint8]
Rng = np.random.Generator
SCALE = 4  # strokes are drawn at 4x MNIST's resolution (112 px), then averaged down to 28
FIELD = 28 * SCALE

# ---------------------------------------------------------------- skeletons


def skeletonize(images: U8, threshold: int = 100) -> npt.NDArray[np.bool_]:
    """Zhang-Suen thinning of a stack of images (N, H, W) at once: one-pixel-wide skeletons."""
    skel = np.pad(images > threshold, ((0, 0), (1, 1), (1, 1)))
    while True:
        changed = False
        for step in (0, 1):
            p = skel
            n = [np.roll(p, shift, axis=(1, 2)) for shift in
                 ((1, 0), (1, -1), (0, -1), (-1, -1), (-1, 0), (-1, 1), (0, 1), (1, 1))]
            # neighbours P2..P9 clockwise from north: roll by +1 on axis 1 brings the north pixel
            p2, p3, p4, p5, p6, p7, p8, p9 = n
            count = sum(x.astype(np.uint8) for x in n)
            ring = [p2, p3, p4, p5, p6, p7, p8, p9, p2]
            transitions = sum((~a & b).astype(np.uint8) for a, b in itertools.pairwise(ring))
            first = ~(p2 & p4 & p6) & ~(p4 & p6 & p8)
            cond = first if step == 0 else ~(p2 & p4 & p8) & ~(p2 & p6 & p8)
            remove = p & (count >= 2) & (count <= 6) & (transitions == 1) & cond
            if remove.any():
                skel = skel & ~remove
                changed = True
        if not changed:
            return skel[:, 1:-1, 1:-1]


def skeleton_segments(skel: npt.NDArray[np.bool_]) -> npt.NDArray[np.float64]:
    """The skeleton as segments (x0, y0, x1, y1) joining 8-connected pixels, each pair once."""
    h, w = skel.shape
    padded = np.pad(skel, 1)
    a = padded[1 : h + 1, 1 : w + 1]
    segments = []
    for dy, dx in ((0, 1), (1, 0), (1, 1), (1, -1)):
        b = padded[1 + dy : h + 1 + dy, 1 + dx : w + 1 + dx]
        ys, xs = np.nonzero(a & b)
        segments.append(np.column_stack([xs, ys, xs + dx, ys + dy]))
    return np.concatenate(segments).astype(np.float64)


_NEIGHBOURS = ((-1, -1), (-1, 0), (-1, 1), (0, -1), (0, 1), (1, -1), (1, 0), (1, 1))


def skeleton_paths(skel: npt.NDArray[np.bool_]) -> list[npt.NDArray[np.float64]]:
    """The skeleton as pen paths: each run of pixels between ends and junctions (pixels with
    three neighbours or more) in order, as (x, y) points, reaching into the junctions it meets."""
    pixels = {(int(y), int(x)) for y, x in zip(*np.nonzero(skel), strict=True)}

    def around(p: tuple[int, int], among: set[tuple[int, int]]) -> list[tuple[int, int]]:
        return [(p[0] + dy, p[1] + dx) for dy, dx in _NEIGHBOURS if (p[0] + dy, p[1] + dx) in among]

    junctions = {p for p in pixels if len(around(p, pixels)) >= 3}
    rest, paths = pixels - junctions, []
    while rest:
        p = min([q for q in rest if len(around(q, rest)) <= 1] or rest)
        path = [p]
        rest.discard(p)
        while step := around(p, rest):
            p = step[0]
            path.append(p)
            rest.discard(p)
        path = around(path[0], junctions)[:1] + path + around(path[-1], junctions)[:1]
        paths.append(np.array([(x, y) for y, x in path], np.float64))
    return paths


# ---------------------------------------------------------------- drawing


def smooth_field(rng: Rng, amplitude: float) -> tuple[npt.NDArray[np.float32], ...]:
    """A smooth random displacement field over the 28x28 field (dx, dy), in MNIST pixels."""
    coarse = rng.normal(0, amplitude, (2, 3, 3)).astype(np.float32)
    return tuple(cv2.resize(c, (MNIST_SIZE, MNIST_SIZE), interpolation=cv2.INTER_CUBIC) for c in coarse)


def displace(points: npt.NDArray[np.float64], field) -> npt.NDArray[np.float64]:  # type: ignore[no-untyped-def]
    xi = np.clip(np.round(points[:, 0]).astype(int), 0, 27)
    yi = np.clip(np.round(points[:, 1]).astype(int), 0, 27)
    return np.column_stack([points[:, 0] + field[0][yi, xi], points[:, 1] + field[1][yi, xi]])


def draw_segments(segments: npt.NDArray[np.float64], width: float) -> U8:
    """Segments in 28-px field coordinates drawn with a round pen of `width` MNIST pixels."""
    canvas = np.zeros((FIELD, FIELD), np.uint8)
    thickness = max(1, round(width * SCALE))
    for x0, y0, x1, y1 in segments * SCALE:
        cv2.line(canvas, (round(x0 * 16), round(y0 * 16)), (round(x1 * 16), round(y1 * 16)), 255,
                 thickness, cv2.LINE_AA, shift=4)
    return canvas


def to_field(big: U8) -> U8:
    """A drawing at 4x scale -> MNIST's field: the ink box fitted to 20 px, centred, 28x28."""
    ys, xs = np.nonzero(big > 20)
    if not len(ys):
        return np.zeros((MNIST_SIZE, MNIST_SIZE), np.uint8)
    crop = big[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1]
    h, w = crop.shape
    scale = 20 / max(h, w)
    small = cv2.resize(crop, (max(1, round(w * scale)), max(1, round(h * scale))),
                       interpolation=cv2.INTER_AREA)
    field = np.zeros((MNIST_SIZE, MNIST_SIZE), np.uint8)
    y0, x0 = (28 - small.shape[0]) // 2, (28 - small.shape[1]) // 2
    field[y0 : y0 + small.shape[0], x0 : x0 + small.shape[1]] = small
    return field


def pen_width(rng: Rng) -> float:
    """A pen as wide as the window's (6-40 px on a 280 canvas) or a finger's, in MNIST pixels."""
    return float(rng.choice([rng.uniform(0.8, 2.0), rng.uniform(2.0, 3.5), rng.uniform(3.5, 5.0)],
                            p=[0.35, 0.45, 0.2]))


def polyline_segments(points: list[tuple[float, float]]) -> npt.NDArray[np.float64]:
    p = np.asarray(points, np.float64)
    return np.column_stack([p[:-1], p[1:]])


# ---------------------------------------------------------------- styles on a skeleton


def _ink_points(segments: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    return np.concatenate([segments[:, :2], segments[:, 2:]])


def crossbar_7(points: npt.NDArray[np.float64], rng: Rng) -> list[list[tuple[float, float]]]:
    """A bar across the 7's stem at about half its height (European 7)."""
    y0, y1 = points[:, 1].min(), points[:, 1].max()
    x0, x1 = points[:, 0].min(), points[:, 0].max()
    y = y0 + rng.uniform(0.45, 0.62) * (y1 - y0)
    near = points[np.abs(points[:, 1] - y) < 1.5]
    cx = float(near[:, 0].mean()) if len(near) else (x0 + x1) / 2
    half = max(2.5, rng.uniform(0.2, 0.35) * (x1 - x0))
    tilt = rng.uniform(-1, 1)
    return [[(cx - half, y + tilt), (cx + half, y - tilt)]]


def flag_1(points: npt.NDArray[np.float64], rng: Rng) -> list[list[tuple[float, float]]]:
    """A long up-stroke flag into the 1's top, and sometimes a base (European 1). The flag rises
    at 35-70 degrees: a flatter one is a 7's bar to any reader (run V, training/HISTORY.md)."""
    top = points[points[:, 1].argmin()]
    bottom = points[points[:, 1].argmax()]
    height = bottom[1] - top[1]
    length, angle = rng.uniform(0.2, 0.45) * height, math.radians(rng.uniform(35, 70))
    strokes = [[(top[0] - length * math.cos(angle), top[1] + length * math.sin(angle)),
                (float(top[0]), float(top[1]))]]
    if rng.random() < 0.4:
        half = rng.uniform(0.15, 0.3) * height
        strokes.append([(bottom[0] - half, bottom[1]), (bottom[0] + half, bottom[1])])
    return strokes


def slash_0(points: npt.NDArray[np.float64], rng: Rng) -> list[list[tuple[float, float]]]:
    """A slash through a 0 (as programmers write it)."""
    x0, y0 = points.min(0)
    x1, y1 = points.max(0)
    over = rng.uniform(0.0, 0.15)
    return [[(x0 - over * (x1 - x0), y1 + over * (y1 - y0)),
             (x1 + over * (x1 - x0), y0 - over * (y1 - y0))]]


def curl_9(points: npt.NDArray[np.float64], rng: Rng) -> list[list[tuple[float, float]]]:
    """A tail that curls to the left at the bottom of a 9."""
    bottom = points[points[:, 1].argmax()]
    width = points[:, 0].max() - points[:, 0].min()
    r = rng.uniform(0.2, 0.35) * max(width, 4)
    return [[(bottom[0] - r * (1 - math.cos(a)), bottom[1] - 0.8 * r * math.sin(a))
             for a in np.linspace(0, 2.2, 6)]]


STYLES: dict[str, tuple[int, Callable[..., list[list[tuple[float, float]]]]]] = {
    "crossed 7": (7, crossbar_7),
    "flagged 1": (1, flag_1),
    "slashed 0": (0, slash_0),
    "curled 9": (9, curl_9),
}
STYLE_BY_DIGIT = {digit: name for name, (digit, _) in STYLES.items()}


def redraw(skeleton: npt.NDArray[np.bool_], rng: Rng, style: str | None = None) -> U8:
    """An MNIST digit's skeleton drawn again as pen strokes (see the module docstring)."""
    segments = skeleton_segments(skeleton)
    if not len(segments):
        return np.zeros((MNIST_SIZE, MNIST_SIZE), np.uint8)
    field = smooth_field(rng, rng.uniform(0.3, 1.2))
    segments = np.column_stack([displace(segments[:, :2], field), displace(segments[:, 2:], field)])
    points = _ink_points(segments)
    if rng.random() < 0.15:  # a broken stroke: the pen left the screen for a moment
        centre = points[rng.integers(len(points))]
        mid = (segments[:, :2] + segments[:, 2:]) / 2
        segments = segments[np.hypot(*(mid - centre).T) > rng.uniform(0.8, 1.6)]
    extra: list[list[tuple[float, float]]] = []
    if rng.random() < 0.2 and len(segments):  # an overshoot past a stroke's end
        a = segments[rng.integers(len(segments))]
        direction = a[2:] - a[:2]
        direction /= max(1e-6, float(np.hypot(*direction)))
        end = a[2:] + direction * rng.uniform(1.0, 2.5)
        extra.append([(float(a[2]), float(a[3])), (float(end[0]), float(end[1]))])
    if style is not None:
        extra += STYLES[style][1](points, rng)
    for stroke in extra:
        segments = np.concatenate([segments, polyline_segments(stroke)])
    return to_field(draw_segments(segments, pen_width(rng)))


# ---------------------------------------------------------------- templates

def _jitter(stroke: list[tuple[float, float]], rng: Rng, amount: float) -> list[tuple[float, float]]:
    return [(x + rng.normal(0, amount), y + rng.normal(0, amount)) for x, y in stroke]


def _arc(cx: float, cy: float, rx: float, ry: float, start: float, end: float, n: int = 10):
    return [(cx + rx * math.cos(math.radians(a)), cy + ry * math.sin(math.radians(a)))
            for a in np.linspace(start, end, n)]


# A 1's flag and stem in one stroke; the flag rises at 40 degrees or more after shear and stretch.
_FLAGGED_1 = [(0.36, 0.3), (0.6, 0.0), (0.58, 1.0)]
TEMPLATES: dict[str, tuple[int, list[list[tuple[float, float]]]]] = {
    # a 4 whose top is a curve running into the bar (read as 9 or 6 by v1)
    "curved-top 4": (4, [[*_arc(0.55, 0.42, 0.35, 0.42, 250, 160, 8), (0.2, 0.62), (0.95, 0.62)],
                         [(0.68, 0.3), (0.66, 1.0)]]),
    # a 4 with an open top: the left stroke does not meet the stem
    "open 4": (4, [[(0.25, 0.0), (0.12, 0.6), (0.9, 0.6)], [(0.7, 0.05), (0.68, 1.0)]]),
    "crossed 7": (7, [[(0.1, 0.05), (0.9, 0.0), (0.45, 1.0)], [(0.4, 0.5), (0.85, 0.48)]]),
    "flagged 1": (1, [_FLAGGED_1]),
    "flagged 1 with base": (1, [_FLAGGED_1, [(0.3, 1.0), (0.85, 1.0)]]),
    "curled 9": (9, [[*_arc(0.5, 0.27, 0.32, 0.27, 0, 360, 16), (0.8, 0.3),
                      *_arc(0.55, 0.8, 0.25, 0.2, 0, 150, 8)]]),
    "slashed 0": (0, [_arc(0.5, 0.5, 0.32, 0.48, 0, 360, 20), [(0.2, 0.95), (0.8, 0.05)]]),
}


def template(name: str, rng: Rng) -> U8:
    """A style template drawn from control points jittered by a few per cent, slanted, as strokes."""
    _, strokes = TEMPLATES[name]
    shear, stretch = rng.uniform(-0.3, 0.2), rng.uniform(0.7, 1.2)
    segments = []
    for stroke in strokes:
        pts = [(4 + 20 * stretch * (x + shear * (1 - y)), 4 + 20 * y)
               for x, y in _jitter(stroke, rng, 0.03)]
        segments.append(polyline_segments(pts))
    return to_field(draw_segments(np.concatenate(segments), pen_width(rng)))


# ---------------------------------------------------------------- fonts


def font_text(font: str, text: str, rng: Rng) -> U8:
    """`text` in a handwriting font, slanted, stretched and thickened at random, in the field."""
    big = glyph(font, text, size=72, stroke=int(rng.choice([0, 0, 1, 2])))
    h, w = big.shape
    shear = rng.uniform(-0.25, 0.25)
    stretch = math.exp(rng.uniform(-0.2, 0.2))
    matrix = np.array([[stretch, shear, max(0.0, -shear * h)], [0, 1, 0]], np.float64)
    out_w = int(w * stretch + abs(shear) * h) + 2
    warped = cv2.warpAffine(big, matrix, (out_w, h + 2), flags=cv2.INTER_LINEAR)
    return to_field(warped)


def font_digit(font: str, digit: int, rng: Rng) -> U8:
    return font_text(font, str(digit), rng)


# ---------------------------------------------------------------- not a digit

# Letters that do not pass for a digit (O, l, I, S, Z, B, G, b, g, q... are left out: ambiguous).
LETTERS = "ACEFHKMNPRUVWXYacdefhkmnprtuvwxy"
SYMBOLS = "+x/=?%#*@&"


def _random_walk(rng: Rng, n: int, step: float, turn: float) -> list[tuple[float, float]]:
    x, y, angle = rng.uniform(8, 20), rng.uniform(8, 20), rng.uniform(0, 2 * math.pi)
    points = [(x, y)]
    for _ in range(n):
        angle += rng.normal(0, turn)
        x, y = x + step * math.cos(angle), y + step * math.sin(angle)
        points.append((x, y))
    return points


def scribble(rng: Rng, fonts: tuple[str, ...]) -> U8:
    return _strokes([_random_walk(rng, int(rng.integers(15, 40)), rng.uniform(1, 2.5), 0.9)], rng)


def zigzag(rng: Rng, fonts: tuple[str, ...]) -> U8:
    n = int(rng.integers(4, 9))
    up = rng.random() < 0.5
    pts = [(i * 20 / n, (0 if i % 2 else rng.uniform(4, 10))) for i in range(n + 1)]
    if up:
        pts = [(y, x) for x, y in pts]
    return _strokes([pts], rng)


def spiral(rng: Rng, fonts: tuple[str, ...]) -> U8:
    turns = rng.uniform(1.6, 3.5)
    pts = [(r * math.cos(a), r * math.sin(a))
           for a, r in zip(np.linspace(0, turns * 2 * math.pi, 60), np.linspace(0.5, 10, 60),
                           strict=True)]
    return _strokes([pts], rng)


def star(rng: Rng, fonts: tuple[str, ...]) -> U8:
    """An asterisk (lines through a centre) or a drawn star outline."""
    n = int(rng.choice([3, 4, 5, 6]))
    turn = rng.uniform(0, math.pi)
    if rng.random() < 0.5:
        return _strokes([[(-10 * math.cos(a), -10 * math.sin(a)), (10 * math.cos(a), 10 * math.sin(a))]
                         for a in np.linspace(0, math.pi, n, endpoint=False) + turn], rng)
    radii = [10 if i % 2 == 0 else 4.5 for i in range(2 * n + 1)]
    return _strokes([[(r * math.cos(a + turn), r * math.sin(a + turn))
                      for r, a in zip(radii, np.linspace(0, 2 * math.pi, 2 * n + 1), strict=True)]], rng)


def cross(rng: Rng, fonts: tuple[str, ...]) -> U8:
    a = rng.uniform(0, math.pi / 2)
    c, s = 10 * math.cos(a), 10 * math.sin(a)
    return _strokes([[(-c, -s), (c, s)], [(s, -c), (-s, c)]], rng)


def arrow(rng: Rng, fonts: tuple[str, ...]) -> U8:
    head = rng.uniform(3, 6)
    strokes = [[(-10, 0), (10, 0)], [(10 - head, -head), (10, 0), (10 - head, head)]]
    a = rng.uniform(0, 2 * math.pi)
    rot = [[(x * math.cos(a) - y * math.sin(a), x * math.sin(a) + y * math.cos(a)) for x, y in st]
           for st in strokes]
    return _strokes(rot, rng)


def shape(rng: Rng, fonts: tuple[str, ...]) -> U8:
    """A triangle, square or other polygon (circles and ellipses are left out: they are 0s)."""
    n = int(rng.choice([3, 4, 5]))
    a0 = rng.uniform(0, 2 * math.pi)
    pts = [(10 * math.cos(a0 + a), 10 * math.sin(a0 + a))
           for a in np.linspace(0, 2 * math.pi, n + 1)]
    return _strokes([pts], rng)


def cloud(rng: Rng, fonts: tuple[str, ...]) -> U8:
    """A closed outline of 3-7 round bumps (a cloud, a bush)."""
    bumps, depth = int(rng.integers(3, 8)), rng.uniform(0.15, 0.35)
    t = np.linspace(0, 2 * math.pi, 80) + rng.uniform(0, 2 * math.pi)
    r = 10 * (1 - depth + depth * np.abs(np.sin(bumps * t / 2)))
    return _strokes([_jitter(list(zip(1.3 * r * np.cos(t), r * np.sin(t), strict=True)), rng, 0.3)],
                    rng)


def crescent(rng: Rng, fonts: tuple[str, ...]) -> U8:
    """A moon: the part of one circle outside another as wide, offset by 6-12 (radius 10)."""
    d = rng.uniform(6, 12)
    beta = math.degrees(math.atan2(math.sqrt(100 - d * d / 4), d / 2))
    outline = _arc(0, 0, 10, 10, beta, 360 - beta, 24) + _arc(d, 0, 10, 10, 180 + beta, 180 - beta, 12)
    turn = rng.uniform(0, 2 * math.pi)
    c, s = math.cos(turn), math.sin(turn)
    return _strokes([[(x * c - y * s, x * s + y * c) for x, y in outline]], rng)


def flower(rng: Rng, fonts: tuple[str, ...]) -> U8:
    """4-8 petal loops around a centre, sometimes on a stem."""
    petals = int(rng.integers(4, 9))
    t = np.linspace(0, 2 * math.pi, 120)
    r = 10 * np.abs(np.cos(petals * t / 2))
    strokes = [list(zip(r * np.cos(t), r * np.sin(t), strict=True))]
    if rng.random() < 0.5:
        strokes.append([(0, 10), (rng.uniform(-2, 2), 22)])
    return _strokes(strokes, rng)


def face(rng: Rng, fonts: tuple[str, ...]) -> U8:
    outline = list(_arc(0, 0, 10, 10, 0, 360, 24))
    eyes = [[(-4, -3), (-3.5, -3)], [(4, -3), (3.5, -3)]]
    mouth = list(_arc(0, 2, 5, rng.uniform(1, 4), 20, 160, 8))
    return _strokes([outline, *eyes, mouth], rng)


def hatching(rng: Rng, fonts: tuple[str, ...]) -> U8:
    """Parallel strokes, as when shading or striking through."""
    n = int(rng.integers(3, 7))
    a = rng.uniform(0, math.pi)
    c, s = math.cos(a), math.sin(a)
    strokes = [[(-10 * c - o * s, -10 * s + o * c), (10 * c - o * s, 10 * s + o * c)]
               for o in np.linspace(-8, 8, n) + rng.normal(0, 0.5, n)]
    return _strokes(strokes, rng)


def polyline(rng: Rng, fonts: tuple[str, ...]) -> U8:
    """A chain of straight strokes turning sharply, a hasty doodle."""
    n = int(rng.integers(5, 9))
    return _strokes([[(rng.uniform(0, 20), rng.uniform(0, 20)) for _ in range(n)]], rng)


def dot(rng: Rng, fonts: tuple[str, ...]) -> U8:
    big = np.zeros((FIELD, FIELD), np.uint8)
    r = int(rng.integers(6, 30))
    cv2.circle(big, (FIELD // 2, FIELD // 2), r, 255, -1, cv2.LINE_AA)
    return to_field(big)


def dash(rng: Rng, fonts: tuple[str, ...]) -> U8:
    length = rng.uniform(4, 12)
    a = rng.normal(0, 0.3)
    return _strokes([[(0, 0), (length * math.cos(a), length * math.sin(a))]], rng, keep_size=True)


def letter(rng: Rng, fonts: tuple[str, ...], exclude: str = "") -> U8:
    return font_text(str(rng.choice(fonts)), str(rng.choice([c for c in LETTERS if c not in exclude])), rng)


def symbol(rng: Rng, fonts: tuple[str, ...], exclude: str = "") -> U8:
    return font_text(str(rng.choice(fonts)), str(rng.choice([c for c in SYMBOLS if c not in exclude])), rng)


# Stroke glyphs of the Hershey vector fonts (public domain, the Hershey-Fonts package): letters of
# other scripts and signs, drawn as pen strokes. Digits, letters that pass for one (O, 3-like З,
# 6-like б, 4-like Ч, ...), lone strokes and arcs, and anything like the held-out doodles
# (hearts and spades, spirals, waves, suns, houses) are left out.
HERSHEY_GLYPHS = {
    "greek": "ABCDEFGHJKLMNPRSTUWXYacfghklmnprtuwy#$%&*+<>?",
    "cyrillic": "#$%&*+<>ADEFGHIKLMNPQRSTUWXY[^`adefghiklmnpqrstuwxy{}",
    "symbolic": "789<>ACDEGIJKMNOPQRSTUWXYZ[]^_`abcdghjkopxyz{~",
    "markers": "BCDFGHIJKLMNOP",
    "astrology": "$'./:;<>]_{",
    "japanese": "#$%&)*+,-./1567",
}


@functools.cache
def _hershey(font: str) -> object:
    from HersheyFonts import HersheyFonts

    h = HersheyFonts()
    h.load_default_font(font)
    return h


def hershey_glyph(font: str, char: str, rng: Rng) -> U8:
    """One Hershey glyph, its strokes redrawn with a wobbling pen like every other doodle."""
    strokes = [[(float(x), float(y)) for x, y in s]
               for s in _hershey(font).strokes_for_text(char)]  # type: ignore[attr-defined]
    return _strokes([s for s in strokes if len(s) > 1], rng)


def icon_doodle(rng: Rng, fonts: tuple[str, ...]) -> U8:
    """A line icon (training/icons.py) redrawn with a wobbling pen."""
    from . import icons

    return _strokes([list(s) for s in icons.strokes(str(rng.choice(icons.kept())))], rng)


def glyph_doodle(rng: Rng, fonts: tuple[str, ...]) -> U8:
    font = str(rng.choice(list(HERSHEY_GLYPHS)))
    return hershey_glyph(font, str(rng.choice(list(HERSHEY_GLYPHS[font]))), rng)


def _strokes(strokes: list[list[tuple[float, float]]], rng: Rng, keep_size: bool = False) -> U8:
    pts = np.concatenate([np.asarray(s) for s in strokes])
    lo, hi = pts.min(0), pts.max(0)
    scale = 20 / max(1e-6, float((hi - lo).max()))
    if keep_size:  # a dash stays short and thin relative to a digit's height
        scale = 1.0
    segments = np.concatenate([polyline_segments([((x - lo[0]) * scale + 4, (y - lo[1]) * scale + 4)
                                                  for x, y in s]) for s in strokes])
    field = smooth_field(rng, 0.4)
    segments = np.column_stack([displace(segments[:, :2], field), displace(segments[:, 2:], field)])
    big = draw_segments(segments, pen_width(rng))
    return to_field(big) if not keep_size else _place(big)


def _place(big: U8) -> U8:
    """Downscale 4x without fitting to 20 px: a dash keeps its true, small size."""
    return cv2.resize(big, (MNIST_SIZE, MNIST_SIZE), interpolation=cv2.INTER_AREA)


def crossed_out(rng: Rng, fonts: tuple[str, ...], digits: U8) -> U8:
    """A digit scribbled over with a dense zigzag: the writer cancelled it."""
    base = digits[rng.integers(len(digits))]
    n = int(rng.integers(6, 12))
    pts = [(2 + 24 * i / n, rng.uniform(4, 8) if i % 2 else rng.uniform(18, 24)) for i in range(n + 1)]
    over = draw_segments(polyline_segments(pts), rng.uniform(1.5, 3.0))
    return np.maximum(base, cv2.resize(over, (MNIST_SIZE, MNIST_SIZE), interpolation=cv2.INTER_AREA))


def two_digits(rng: Rng, fonts: tuple[str, ...], digits: U8) -> U8:
    """Two digits side by side in one box: a number, not a digit."""
    a, b = digits[rng.integers(len(digits), size=2)]
    pair = np.hstack([a[:, 4:24], b[:, 4:24]])
    return to_field(cv2.resize(pair, (80, 56), interpolation=cv2.INTER_LINEAR))


def half_digit(rng: Rng, fonts: tuple[str, ...], digits: U8) -> U8:
    """The top, bottom, left or right half of a digit, scaled up; halves that are themselves
    digit-like (a lone upright stroke, which is a 1, or a closed loop, which is a 0) are drawn
    again from another digit."""
    while True:
        d = digits[rng.integers(len(digits))].copy()
        side = rng.integers(4)
        if side == 0:
            d[14:] = 0
        elif side == 1:
            d[:14] = 0
        elif side == 2:
            d[:, 14:] = 0
        else:
            d[:, :14] = 0
        if not _digit_like(d):
            return to_field(cv2.resize(d, (FIELD, FIELD)))


def _digit_like(field: U8) -> bool:
    """A field whose ink is one upright stroke (3x taller than wide) or holds a closed loop."""
    ink = (field > 100).astype(np.uint8)
    if ink.sum() < 12:
        return True  # next to nothing left: not a drawing at all
    _, _, w, h = cv2.boundingRect(ink)
    _, hierarchy = cv2.findContours(ink, cv2.RETR_CCOMP, cv2.CHAIN_APPROX_SIMPLE)
    has_hole = hierarchy is not None and bool((hierarchy[0][:, 3] >= 0).any())
    return h >= 3 * w or has_hole


# Held out of training: doodles of the kind people sketch (the not-a-digit test's unseen
# generators, with spirals).
def heart(rng: Rng, fonts: tuple[str, ...]) -> U8:
    t = np.linspace(0, 2 * math.pi, 40)
    pts = [(16 * math.sin(a) ** 3, -(13 * math.cos(a) - 5 * math.cos(2 * a) - 2 * math.cos(3 * a)
                                     - math.cos(4 * a))) for a in t]
    return _strokes([_jitter(pts, rng, 0.4)], rng)


def house(rng: Rng, fonts: tuple[str, ...]) -> U8:
    roof = rng.uniform(5, 9)
    body = [(0, roof), (0, 20), (16, 20), (16, roof), (0, roof)]
    return _strokes([_jitter(body, rng, 0.4), _jitter([(-2, roof + 1), (8, 0), (18, roof + 1)], rng, 0.4)],
                    rng)


def wave(rng: Rng, fonts: tuple[str, ...]) -> U8:
    periods, height = rng.uniform(1.5, 3.5), rng.uniform(2, 5)
    pts = [(x, height * math.sin(x / 20 * periods * 2 * math.pi)) for x in np.linspace(0, 20, 40)]
    return _strokes([pts], rng, keep_size=True)


def sun(rng: Rng, fonts: tuple[str, ...]) -> U8:
    n = int(rng.integers(6, 11))
    rays = [[(6 * math.cos(a), 6 * math.sin(a)), (10 * math.cos(a), 10 * math.sin(a))]
            for a in np.linspace(0, 2 * math.pi, n, endpoint=False) + rng.uniform(0, 1)]
    return _strokes([_arc(0, 0, 4, 4, 0, 360, 16), *rays], rng)


NEGATIVES: dict[str, Callable[..., U8]] = {
    "letter": letter, "symbol": symbol, "scribble": scribble, "zigzag": zigzag, "star": star,
    "cross": cross, "arrow": arrow, "face": face, "dot": dot, "dash": dash,
    "crossed-out digit": crossed_out, "two digits": two_digits, "hatching": hatching,
    "polyline": polyline, "shape": shape, "cloud": cloud, "crescent": crescent, "flower": flower,
    "glyph": glyph_doodle, "icon": icon_doodle,
    # held out of training: the not-a-digit test's unseen generators
    "spiral": spiral, "heart": heart, "house": house, "wave": wave, "sun": sun,
    # neither trained on nor counted: the right half of a 3 is a 3, and the bottom of a 9 a 1
    "half digit": half_digit,
}
HELD_OUT_NEGATIVES = ("spiral", "heart", "house", "wave", "sun")
AMBIGUOUS_NEGATIVES = ("half digit",)  # reported apart
TRAINING_NEGATIVES = tuple(n for n in NEGATIVES
                           if n not in HELD_OUT_NEGATIVES + AMBIGUOUS_NEGATIVES)
# The first stage's generators: glyphs and icons came with the second.
BASE_NEGATIVES = tuple(n for n in TRAINING_NEGATIVES if n not in ("glyph", "icon"))
USES_DIGITS = {"crossed-out digit", "two digits", "half digit"}


def negative(name: str, rng: Rng, fonts: tuple[str, ...], digits: U8, exclude: str = "") -> U8:
    """One not-a-digit drawing from generator `name` (digits feed the digit-based ones; letters
    and symbols leave out the characters in `exclude`)."""
    make = NEGATIVES[name]
    if name in USES_DIGITS:
        return make(rng, fonts, digits)
    return make(rng, fonts, exclude) if name in ("letter", "symbol") else make(rng, fonts)
