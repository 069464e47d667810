"""Render MNIST digits the way people draw them on a canvas, then preprocess them like the runtime.

Training and serving see identical inputs: every training image goes through digitrt.preprocess,
the same function Recognizer.predict calls. Before that, a digit is drawn onto a canvas of random
size, background grey, pen darkness and polarity, at 20-90 % of the canvas, anywhere on it,
rotated (+-15 deg), sheared, stretched, with thinner or thicker strokes, noise and JPEG speckle.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import cv2
import numpy as np
import numpy.typing as npt

from digitrt import MNIST_SIZE, preprocess

U8 = npt.NDArray[np.uint8]

PLAIN = 0.15  # share of digits left exactly as MNIST has them
MNIST_FIELD = 0.30  # share drawn into a 28x28 field like MNIST's, with geometric jitter only
_UPSAMPLE = 2  # strokes are thickened or thinned at twice MNIST's resolution


def render_on_canvas(digit: U8, rng: np.random.Generator) -> U8:
    """Draw one 28x28 MNIST digit (ink bright on 0) onto a random user-like canvas."""
    mode = rng.random()
    if mode < PLAIN:
        return digit
    if mode < PLAIN + MNIST_FIELD:
        side, height = 28, rng.uniform(0.6, 0.8)
    else:
        side, height = int(rng.integers(64, 401)), rng.uniform(0.2, 0.9)
    ink = _vary_thickness(digit, rng)
    ink = cv2.warpAffine(ink, _placement(side, height, rng), (side, side), flags=cv2.INTER_LINEAR)
    if side == 28:
        return ink
    canvas = cv2.LUT(ink, _paper_and_pen(rng))
    if rng.random() < 0.3:
        noise = rng.normal(0, rng.uniform(1, 6), canvas.shape)
        canvas = np.clip(canvas + noise, 0, 255).astype(np.uint8)
    if rng.random() < 0.1:
        _, jpeg = cv2.imencode(".jpg", canvas, [cv2.IMWRITE_JPEG_QUALITY, int(rng.integers(40, 95))])
        canvas = cv2.imdecode(jpeg, cv2.IMREAD_GRAYSCALE)
    return canvas


def _vary_thickness(digit: U8, rng: np.random.Generator) -> U8:
    big = cv2.resize(digit, (28 * _UPSAMPLE, 28 * _UPSAMPLE), interpolation=cv2.INTER_LINEAR)
    r = rng.random()
    if r < 0.2:
        return cv2.erode(big, np.ones((3, 3), np.uint8))
    if r < 0.45:
        k = int(rng.choice([3, 5]))
        return cv2.dilate(big, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (k, k)))
    return big


def _placement(side: int, height: float, rng: np.random.Generator) -> npt.NDArray[np.float64]:
    """Affine map from the upsampled digit to the canvas: rotate, shear, stretch, scale, move."""
    scale = height * side / (20 * _UPSAMPLE)  # MNIST's digits are 20 px tall in 28
    angle = math.radians(rng.uniform(-15, 15))
    shear = rng.uniform(-0.3, 0.3)
    aspect = math.exp(rng.uniform(-0.25, 0.25))
    cos, sin = math.cos(angle), math.sin(angle)
    linear = scale * np.array([[cos, -sin], [sin, cos]]) @ np.array([[aspect, shear], [0, 1]])
    half = 0.5 * height * side * 1.3
    lo, hi = min(half, side / 2), max(side - half, side / 2)
    target = np.array([rng.uniform(lo, hi), rng.uniform(lo, hi)])
    centre = np.array([14.0 * _UPSAMPLE, 14.0 * _UPSAMPLE])
    return np.hstack([linear, (target - linear @ centre)[:, None]])


def _paper_and_pen(rng: np.random.Generator) -> U8:
    """A lookup table from ink (0-255) to a canvas grey: background and pen of a random kind."""
    r = rng.random()
    if r < 0.3:  # white paper, dark pen
        paper, pen = rng.uniform(235, 255), rng.uniform(0, 90)
    elif r < 0.55:  # grey canvas (the drawing window's), dark pen
        paper, pen = rng.uniform(90, 235), rng.uniform(0, 40)
    elif r < 0.7:  # dark grey canvas, black pen
        paper, pen = rng.uniform(60, 110), rng.uniform(0, 10)
    elif r < 0.85:  # dark grey canvas, light pen
        paper, pen = rng.uniform(30, 110), rng.uniform(190, 255)
    else:  # black board, white chalk
        paper, pen = rng.uniform(0, 30), rng.uniform(150, 255)
    levels = np.arange(256) / 255.0
    return np.clip(paper + (pen - paper) * levels + 0.5, 0, 255).astype(np.uint8)


def augment_batch(digits: U8 | Sequence[U8], rng: np.random.Generator) -> npt.NDArray[np.float32]:
    """Render every 28x28 field on a canvas and preprocess it: N fields -> (N, 28, 28, 1)."""
    out = np.empty((len(digits), MNIST_SIZE, MNIST_SIZE, 1), np.float32)
    for i, digit in enumerate(digits):
        out[i, :, :, 0] = preprocess(render_on_canvas(digit, rng))
    return out


def preprocess_all(images: U8) -> npt.NDArray[np.float32]:
    """Preprocess already-MNIST-style images: (N, 28, 28) uint8 -> (N, 28, 28, 1) float32."""
    return np.stack([preprocess(im) for im in images])[..., None]
