"""The synthetic number test for `Recognizer.read`: numbers composed from digits no model trained
on (MNIST *test* digits and the held-out fonts), 2-8 digits long.

    python -m training.numbers [--model NAME] [--per-class 300] [--out models/numbers.json]
    python -m training.numbers --validation     # where the reader's constants are chosen

Each number: digits scaled to a height of 70-150 px with pens of 6-18 px, neighbours placed with
a gap from -15 % (strokes overlap) to +60 % of a digit's width, the baseline jittered by up to
8 % of the height, dark ink on light paper. Reported: exact-match accuracy by spacing class
(apart: gap >= 10 %; tight: 0-10 %; overlapping: < 0) and by length. "digits_alone": the same
numbers if the reader found every digit exactly: each digit composed alone (same height and pen)
and given to `predict`, a number right when all its digits are; what the classifier allows.

"separators": half as many numbers per kind again, 3-8 digits standing apart with one
separator drawn by the same pen after the first 1 to length-1 digits (a dot or a comma on the
line, a dash at mid-height, or a wider space); exact match of the digits, by kind.

"rules": as many numbers per kind of 2-8 digits, two in three standing apart, the rest tight,
with a rule drawn on them: an underline, a box around the number, a box per digit (a comb), or
ruled paper (`_rule`).

--validation composes the same kind of numbers from the training run's validation digits (MNIST
training images it held out) and the validation fonts (training/fonts.py VALIDATION: no model
trains on them, and the test does not use them), with another seed: the set on which the
reader's constants (digitrt/_reading/) and its models are chosen, so that the number test stays
a test. --validation --training-fonts writes the font half in the training fonts instead (the
validation set before 2026-12-01: it cannot tell how a reader does on styles it never saw).
"""

from __future__ import annotations

import argparse
import copy
import itertools
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

import cv2
import numpy as np
import numpy.typing as npt

from . import synth
from .fonts import HELD_OUT, TRAINING, VALIDATION

U8 = npt.NDArray[np.uint8]
GAPS = {"apart": (0.10, 0.60), "tight": (0.0, 0.10), "overlapping": (-0.15, 0.0)}
SEPARATORS = ("dot", "comma", "dash", "space")


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


def _digits(length: int, from_fonts: bool, images: U8, labels: npt.NDArray[np.uint8],
            fonts: tuple[str, ...], rng: np.random.Generator) -> tuple[str, list[U8]]:
    """(text, fields) of `length` random digits: font digits, or images with their labels."""
    if from_fonts:
        digits = rng.integers(0, 10, length)
        fields = [synth.font_digit(str(rng.choice(fonts)), int(d), rng) for d in digits]
    else:
        idx = rng.integers(0, len(images), length)
        digits, fields = labels[idx], list(images[idx])
    return "".join(str(int(d)) for d in digits), fields


class Case(NamedTuple):
    kind: str  # spacing class, separator kind or rule kind
    length: int
    text: str  # the true digits
    image: U8
    alone: tuple[U8, ...] = ()  # each digit composed alone, at the number's height and pen


def numbers(images: U8, labels: npt.NDArray[np.uint8], per_class: int, seed: int,
            fonts: tuple[str, ...] = HELD_OUT) -> list[Case]:
    """per_class numbers of each spacing class; half from `images` (MNIST test digits), half
    from digits in `fonts`."""
    rng = np.random.default_rng(seed)
    out = []
    for spacing, gap in GAPS.items():
        for i in range(per_class):
            length = int(rng.integers(2, 9))
            text, fields = _digits(length, bool(i % 2), images, labels, fonts, rng)
            before = copy.deepcopy(rng)  # compose draws the height and the pen first
            image = compose(fields, gap, rng)
            alone = tuple(compose([f], gap, copy.deepcopy(before)) for f in fields)
            out.append(Case(spacing, length, text, image, alone))
    return out


def separated(images: U8, labels: npt.NDArray[np.uint8], per_kind: int, seed: int,
              fonts: tuple[str, ...] = HELD_OUT) -> list[Case]:
    """Numbers of 3-8 digits standing apart, as `numbers` composes them, with one separator of
    SEPARATORS after the first 1 to length-1 digits; the text holds the digits only (the reader
    skips separators)."""
    rng = np.random.default_rng([seed, 5])
    return [Case(kind, length, text,
                 compose(fields, GAPS["apart"], rng, (int(rng.integers(1, length)), kind)))
            for kind, _, length, text, fields in _per_kind(SEPARATORS, per_kind, 3, rng,
                                                             images, labels, fonts)]


RULES = ("underline", "box", "comb", "ruled")


def ruled(images: U8, labels: npt.NDArray[np.uint8], per_kind: int, seed: int,
          fonts: tuple[str, ...] = HELD_OUT) -> list[Case]:
    """Numbers of 2-8 digits standing apart (two in three) or tight, as `numbers` composes
    them, with a rule of RULES drawn on them by `_rule`; the text holds the digits only."""
    rng = np.random.default_rng([seed, 7])
    return [Case(kind, length, text,
                 compose(fields, GAPS["apart"] if i % 3 else GAPS["tight"], rng, rule=kind))
            for kind, i, length, text, fields in _per_kind(RULES, per_kind, 2, rng,
                                                             images, labels, fonts)]


def _per_kind(kinds: tuple[str, ...], per_kind: int, shortest: int, rng: np.random.Generator,
              images: U8, labels: npt.NDArray[np.uint8], fonts: tuple[str, ...]
              ) -> Iterator[tuple[str, int, int, str, list[U8]]]:
    """(kind, i, length, text, fields) of per_kind numbers of `shortest`-8 digits for each kind,
    half from `images`, half from `fonts`, drawn from `rng` in order."""
    for kind in kinds:
        for i in range(per_kind):
            length = int(rng.integers(shortest, 9))
            text, fields = _digits(length, bool(i % 2), images, labels, fonts, rng)
            yield kind, i, length, text, fields


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


def measure(recognizer, cases: list[Case], by: str = "by_spacing",  # type: ignore[no-untyped-def]
            alone: bool = False) -> dict:  # type: ignore[type-arg]
    """Exact-match accuracy of `read` by class and by length; with `alone`, of `predict` on each
    digit composed alone instead: how many numbers a perfect segmentation would read."""
    by_class: dict[str, list[bool]] = {}
    by_length: dict[str, list[bool]] = {}
    for case in cases:
        if alone:
            text = "".join(str(p.digit) if p.status == "digit" else "?"
                           for p in map(recognizer.predict, case.alone))
        else:
            text = recognizer.read(case.image).text
        by_class.setdefault(case.kind, []).append(text == case.text)
        by_length.setdefault(str(case.length), []).append(text == case.text)
    everything = [r for rs in by_class.values() for r in rs]
    return {"overall": round(float(np.mean(everything)), 4),
            by: {k: round(float(np.mean(v)), 4) for k, v in by_class.items()},
            "by_length": {k: round(float(np.mean(v)), 4) for k, v in sorted(by_length.items())},
            "numbers": len(everything)}


def main(argv: list[str] | None = None) -> int:
    import digitrt

    from .mnist import load_mnist

    parser = argparse.ArgumentParser(prog="python -m training.numbers", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default=None, help="default: digitrt's default model")
    parser.add_argument("--per-class", type=int, default=300)
    parser.add_argument("--data", default=None)
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--validation", action="store_true",
                        help="validation digits and fonts instead of the test")
    parser.add_argument("--training-fonts", action="store_true",
                        help="with --validation: the training fonts instead of the validation fonts")
    args = parser.parse_args(argv)
    mnist = load_mnist(args.data, mirrors=())
    if args.validation:
        from .train import validation_split

        held, _ = validation_split(len(mnist.train_images))
        images, labels, seed = mnist.train_images[held], mnist.train_labels[held], 777
        fonts = TRAINING if args.training_fonts else tuple(VALIDATION)
    else:
        images, labels, seed, fonts = mnist.test_images, mnist.test_labels, 20261125, HELD_OUT
    recognizer = digitrt.Recognizer(args.model)
    cases = numbers(images, labels, args.per_class, seed, fonts)
    result = measure(recognizer, cases)
    # The classifier's share of the errors: the same numbers if every digit were found exactly.
    result["digits_alone"] = measure(recognizer, cases, alone=True)
    result["separators"] = measure(recognizer, separated(images, labels, args.per_class // 2,
                                                         seed, fonts), by="by_kind")
    result["rules"] = measure(recognizer, ruled(images, labels, args.per_class // 2, seed, fonts),
                              by="by_kind")
    print(json.dumps(result, indent=1))
    if args.out:
        args.out.write_text(json.dumps(result, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
