"""Recognizer.read: whole numbers, boxes, a single digit, blank, bad input (first version)."""

from __future__ import annotations

import numpy as np
import pytest

from digitrt import ImageError
from tests.strokes import draw_digit


def number(digits, gap=0.4, h=180):
    """Digits drawn side by side on white paper, `gap` digit widths apart; their ink boxes."""
    w = int(0.6 * h)
    canvas = np.full((h + 80, (w + int(gap * w)) * len(digits) + 120), 255, np.uint8)
    x = 60
    for d in digits:
        tile = draw_digit(d, size=h, box=(0.2, 0.05, 0.6, 0.9), width=16, background=255)
        x0 = x - int(0.2 * h)
        canvas[40:40 + h, x0:x0 + h] = np.minimum(canvas[40:40 + h, x0:x0 + h], tile)
        x += w + int(gap * w)
    return canvas


def test_digits_standing_apart_are_read_in_order_with_boxes(recognizer):
    """A number of separate digits reads exactly; each box lies over its own digit, left to
    right, in the input's pixel coordinates."""
    digits = [3, 1, 4, 1, 5, 9, 2, 6]
    image = number(digits)
    r = recognizer.read(image)
    assert r.text == "31415926" and len(r.digits) == 8 and 0 < r.confidence <= 1
    xs = [d.box[0] for d in r.digits]
    assert xs == sorted(xs)
    for d in r.digits:
        x, y, w, h = d.box
        assert (image[y : y + h, x : x + w] < 128).any()  # ink inside the box
        assert 30 <= y <= 60 and 120 <= h <= 200


def test_a_single_digit_reads_as_predict_and_blank_reads_empty(recognizer):
    """One digit gives predict's answer; a blank canvas reads "" with no digits."""
    image = draw_digit(7)
    r = recognizer.read(image)
    p = recognizer.predict(image)
    assert r.text == "7" and r.digits[0].digit == p.digit
    assert r.digits[0].confidence == p.confidence
    blank = recognizer.read(np.full((300, 900), 200, np.uint8))
    assert blank.text == "" and blank.digits == [] and blank.confidence == 0.0


def test_separators_are_skipped(recognizer):
    """A dot between digits (a decimal point) is not read as a digit."""
    image = number([4, 2, 7], gap=0.8)
    x = 60 + int(1.8 * 108) + 20
    image[200:214, x:x + 14] = 0
    assert recognizer.read(image).text == "427"


def test_bad_input_gets_the_same_errors_as_predict(recognizer):
    with pytest.raises(ImageError, match="not a readable image"):
        recognizer.read(b"not an image")
