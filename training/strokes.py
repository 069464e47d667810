"""Digits drawn like a person draws them: pen strokes on a canvas (shared by tests and benchmarks).

Each digit is one or more polylines in a unit box (x right, y down). `draw_digit` renders them
with a round, anti-aliased pen of any width and grey level onto a canvas of any size and shade.
"""

from __future__ import annotations

import math

import cv2
import numpy as np
import numpy.typing as npt


def _arc(cx: float, cy: float, rx: float, ry: float, start: float, end: float, n: int = 24):
    return [
        (cx + rx * math.cos(math.radians(a)), cy + ry * math.sin(math.radians(a)))
        for a in np.linspace(start, end, n)
    ]


STROKES: dict[int, list[list[tuple[float, float]]]] = {
    0: [_arc(0.5, 0.5, 0.32, 0.48, 0, 360, 40)],
    1: [[(0.35, 0.18), (0.55, 0.0), (0.55, 1.0)]],
    2: [[*_arc(0.5, 0.28, 0.3, 0.28, 200, 380, 16), (0.62, 0.6), (0.15, 1.0), (0.9, 1.0)]],
    3: [_arc(0.48, 0.25, 0.3, 0.25, 200, 450, 20) + _arc(0.48, 0.74, 0.34, 0.26, 270, 520, 20)],
    4: [[(0.62, 0.0), (0.1, 0.68), (0.9, 0.68)], [(0.68, 0.35), (0.68, 1.0)]],
    5: [[(0.85, 0.0), (0.25, 0.0), (0.2, 0.42), *_arc(0.5, 0.68, 0.35, 0.3, 235, 490, 22)]],
    6: [[(0.75, 0.0), (0.4, 0.3), (0.2, 0.62), *_arc(0.5, 0.7, 0.3, 0.3, 180, 540, 30)]],
    7: [[(0.1, 0.0), (0.9, 0.0), (0.42, 1.0)]],
    8: [_arc(0.5, 0.24, 0.25, 0.24, 90, 450, 28) + _arc(0.5, 0.73, 0.3, 0.27, 270, 630, 28)],
    9: [[*_arc(0.5, 0.28, 0.3, 0.28, 0, 360, 30), (0.8, 0.28), (0.72, 1.0)]],
}


def draw_digit(
    digit: int,
    *,
    size: int = 280,
    box: tuple[float, float, float, float] = (0.3, 0.15, 0.4, 0.7),
    background: int = 128,
    pen: int = 0,
    width: int = 20,
) -> npt.NDArray[np.uint8]:
    """A size x size uint8 canvas with `digit` drawn in the box (x, y, w, h, fractions)."""
    canvas = np.full((size, size), background, np.uint8)
    x0, y0, w, h = (v * size for v in box)
    shift = 4  # sub-pixel precision for cv2's anti-aliased lines
    for stroke in STROKES[digit]:
        points = np.array([[(x0 + x * w) * 2**shift, (y0 + y * h) * 2**shift] for x, y in stroke])
        cv2.polylines(canvas, [points.astype(np.int32)], False, int(pen), width, cv2.LINE_AA, shift)
    return canvas


def write_number(digits, step=125, background=160):
    """An 800x250 grey canvas with `digits` written by the window's pen, one every `step` px
    (125: standing apart; 62: neighbouring strokes touch and cross)."""
    canvas = np.full((250, 800), background, np.uint8)
    for k, d in enumerate(digits):
        tile = draw_digit(d, size=180, box=(0.2, 0.05, 0.6, 0.9), background=background, pen=0,
                          width=14)
        x = 20 + step * k
        canvas[35:215, x : x + 120] = np.minimum(canvas[35:215, x : x + 120], tile[:, 30:150])
    return canvas
