"""Real people's handwriting: loaders, writer-disjoint splits, and drawings of it as users' inputs.

The files live in training/realdata/ (README.md there: sources, licences, attribution) and are
checked against SHA256SUMS before use. Who is used for what:

- training: optdigits' 30 writers (`.tra` + `.cv`, 32x32 binary bitmaps), pendigits' 30 writers
  (8 pen points per digit), Omniglot's TRAINING alphabets as not-a-digit drawings, and the MNIST
  training digits of every QMNIST writer outside the validation writers;
- validation (every decision: mix, temperature, threshold): optdigits' 13 writer-independent
  writers (`.windep`), MNIST's VALIDATION_WRITERS share of QMNIST writers, Omniglot's
  VALIDATION alphabets;
- test, never chosen on: Omniglot's TEST alphabets (and the MNIST test set).
"""

from __future__ import annotations

import gzip
import hashlib
import io
import zipfile
from functools import cache
from pathlib import Path
from typing import NamedTuple

import cv2
import numpy as np
import numpy.typing as npt

from . import synth

DATA = Path(__file__).resolve().parent / "realdata"
U8 = npt.NDArray[np.uint8]
I64 = npt.NDArray[np.int64]
Rng = np.random.Generator

OMNIGLOT_ARCHIVES = ("omniglot_images_background_small1.zip", "omniglot_images_background_small2.zip")
OMNIGLOT_TRAINING = ("Balinese", "Early_Aramaic", "Korean", "Japanese_(katakana)")
OMNIGLOT_VALIDATION = ("Sanskrit", "Tagalog")
OMNIGLOT_TEST = ("Greek",)
OMNIGLOT_APART = ("Latin",)  # O, I, l, S, Z, b, g, q look like digits: reported apart
# Characters of the held-out alphabets drawn as some people draw a digit, reported apart as the
# Latin alphabet is. Chosen by eye on 2026-12-05 from a sheet of every character by eight of
# its drawers, before any model's score on them was computed; a mirrored digit does not count.
OMNIGLOT_LOOKALIKES = frozenset({
    "Tagalog/character03",  # a 3
    "Tagalog/character16",  # a 0 or 6
    "Sanskrit/character37",  # u: a 3
    "Sanskrit/character13",  # dda: a 5 under a bar
    "Greek/character04",  # delta: a 6
    "Greek/character08",  # theta: a slashed 0
    "Greek/character09",  # iota: a 1
    "Greek/character15",  # omicron: a 0
    "Greek/character18",  # sigma: a 6
})
VALIDATION_WRITERS = 0.1  # share of MNIST's QMNIST writers kept for validation
SPLIT_SEED = 20261205


class RealDataError(RuntimeError):
    """A real-data file is missing or is not the file its checksum names."""


# ---------------------------------------------------------------- files


@cache
def checksums() -> dict[str, str]:
    lines = (DATA / "SHA256SUMS").read_text().split("\n")
    return {name: digest for digest, name in (line.split() for line in lines if line.strip())}


def verified(name: str) -> bytes:
    """The bytes of training/realdata/`name`, checked against SHA256SUMS."""
    path = DATA / name
    if name not in checksums():
        raise RealDataError(f"{name} is not listed in {DATA / 'SHA256SUMS'}")
    try:
        data = path.read_bytes()
    except OSError as e:
        raise RealDataError(f"cannot read {path}: {e.strerror}; it comes with the repository") from e
    digest = hashlib.sha256(data).hexdigest()
    if digest != checksums()[name]:
        raise RealDataError(f"{path} has sha256 {digest}, expected {checksums()[name]}")
    return data


# ---------------------------------------------------------------- optdigits


class Bitmaps(NamedTuple):
    """Binary digit bitmaps: images (N, 32, 32) uint8 in {0, 1}, labels, writer per digit
    (-1 where the file does not say)."""

    images: U8
    labels: U8
    writers: I64


def parse_optdigits(text: str) -> tuple[U8, U8]:
    """optdigits' original format: a header, then per digit 32 lines of 32 '0'/'1' and a label."""
    lines = text.split("\n")
    start = next(i for i, line in enumerate(lines) if len(line.strip()) == 32)
    images, labels = [], []
    i = start
    while i + 32 < len(lines) and len(lines[i].strip()) == 32:
        rows = [line.strip() for line in lines[i : i + 32]]
        images.append(np.array([[c == "1" for c in row] for row in rows], np.uint8))
        labels.append(int(lines[i + 32]))
        i += 33
    return np.stack(images), np.array(labels, np.uint8)


def form_writers(labels: U8) -> I64:
    """Form index per digit of a file of whole forms in order: each form (one writer's page,
    about 130 digits) opens with 0-9 three times, a run that its random part does not repeat.
    `.windep` holds 14 forms; UCI counts 13 writers, the file does not say which two forms
    share one, so figures "per writer" are per form."""
    text = "".join(map(str, labels))
    starts: list[int] = []
    for i in range(len(text)):
        if text.startswith("0123456789", i) and (not starts or i - starts[-1] >= 60):
            starts.append(i)
    writers = np.zeros(len(labels), np.int64)
    for w, s in enumerate(starts):
        writers[s:] = w
    return writers


def optdigits(part: str) -> Bitmaps:
    """optdigits' `tra`, `cv` (the 30 training writers, not told apart) or `windep` (13 others)."""
    images, labels = parse_optdigits(gzip.decompress(verified(f"optdigits-orig.{part}.gz")).decode())
    writers = form_writers(labels) if part == "windep" else np.full(len(labels), -1, np.int64)
    return Bitmaps(images, labels, writers)


def bitmap_field(bitmap: U8) -> U8:
    """A binary bitmap as an MNIST field: ink box fitted to 20 px (anti-aliased), centred."""
    big = cv2.resize(bitmap * np.uint8(255), None, fx=4, fy=4, interpolation=cv2.INTER_NEAREST)
    return synth.to_field(big)


def scanned(bitmap: U8, rng: Rng) -> U8:
    """A bitmap as a scanner gives it: upscaled blockily to 40-60 px of digit height, dark ink
    on light paper with a margin, slightly blurred, with sensor noise."""
    ys, xs = np.nonzero(bitmap)
    crop = bitmap[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1] if len(ys) else bitmap
    scale = rng.uniform(40, 60) / crop.shape[0]
    big = cv2.resize(crop * np.uint8(255), None, fx=scale, fy=scale, interpolation=cv2.INTER_NEAREST)
    margin = int(rng.integers(6, 20))
    big = np.pad(big, margin)
    if rng.random() < 0.5:
        big = cv2.GaussianBlur(big, (3, 3), 0)
    paper, ink = rng.uniform(200, 255), rng.uniform(0, 110)
    canvas = paper + (ink - paper) * (big / 255.0) + rng.normal(0, rng.uniform(0, 4), big.shape)
    return np.clip(canvas, 0, 255).astype(np.uint8)


def small_bitmap(bitmap: U8) -> U8:
    """A bitmap as it is stored: black on white, 32x32 with a 2-px margin."""
    return np.pad((1 - bitmap) * np.uint8(255), 2, constant_values=255)


STRETCHED_SIZE = 16  # Semeion's box


def stretched_bitmap(ink: U8, rng: Rng) -> U8:
    """A digit as some scanned collections store it (Semeion's Italian writers: #32's "small
    binary bitmaps"): its ink box (`ink`: 0-255, ink bright) stretched to fill a 16x16 box in
    both directions, its aspect lost, made binary at half grey; stored black on white (a
    quarter white on black) with 0-2 px of margin, half of them upscaled 2-4x blockily."""
    ys, xs = np.nonzero(ink > 127)
    if len(ys):
        ink = ink[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1]
    grey = cv2.resize(ink.astype(np.float32), (STRETCHED_SIZE, STRETCHED_SIZE),
                      interpolation=cv2.INTER_AREA)
    inverted = rng.random() < 0.25
    image = np.where((grey > 127) != inverted, 0, 255).astype(np.uint8)
    image = np.pad(image, int(rng.integers(0, 3)), constant_values=0 if inverted else 255)
    if rng.random() < 0.5:
        factor = int(rng.integers(2, 5))
        image = cv2.resize(image, None, fx=factor, fy=factor, interpolation=cv2.INTER_NEAREST)
    return image


SPARSE_EPSILON = 5.0  # px at 64 px: about 8 % of the digit's height


def sparse_drawing(bitmap: U8, epsilon: float = SPARSE_EPSILON) -> U8:
    """A stored bitmap (1 = ink) redrawn as a sparsely sampled pen draws it: at 64 px, its
    skeleton's paths cut to straight strokes (Douglas-Peucker at `epsilon` px), a 4 px round
    pen, black on a 100 px white canvas."""
    big = cv2.resize(bitmap * np.uint8(255), (64, 64), interpolation=cv2.INTER_LINEAR)
    canvas = np.full((100, 100), 255, np.uint8)
    for path in synth.skeleton_paths(synth.skeletonize(big[None])[0]):
        points = path.astype(np.int32)[:, None]
        if len(points) > 2:
            points = cv2.approxPolyDP(points, epsilon, False)
        cv2.polylines(canvas, [points + 18], False, 0, 4, cv2.LINE_AA)
    return canvas


# ---------------------------------------------------------------- pendigits


def pendigits() -> tuple[npt.NDArray[np.float64], U8]:
    """pendigits' training writers: (N, 8, 2) pen points (x right, y up, each 0..100) and labels."""
    rows = [line.split(",") for line in gzip.decompress(verified("pendigits.tra.gz")).decode().split("\n")
            if line.strip()]
    values = np.array([[int(v) for v in row] for row in rows])
    return values[:, :16].reshape(-1, 8, 2).astype(np.float64), values[:, 16].astype(np.uint8)


# Width / height of MNIST training digits' ink boxes, median per digit: pendigits scales x and y
# to 0..100 each, so a digit's width is put back from its class's usual shape.
ASPECT = (0.80, 0.35, 0.80, 0.75, 0.80, 0.75, 0.75, 0.75, 0.75, 0.70)


def pen_field(points: npt.NDArray[np.float64], label: int, rng: Rng) -> U8:
    """Eight pen points drawn as a finger or pen draws them: a smooth curve through them
    (Catmull-Rom), the class's usual width, slight slant, a round pen."""
    p = points.copy()
    p[:, 1] = 100 - p[:, 1]  # y grows downwards on a canvas
    p[:, 0] *= ASPECT[label] * np.exp(rng.uniform(-0.2, 0.2))
    p[:, 0] += rng.uniform(-0.2, 0.2) * (p[:, 1] - 50)  # slant
    padded = np.vstack([p[:1], p, p[-1:]])
    t = np.linspace(0, 1, 6)[:-1, None]
    curve = [p[0]]
    for a, b, c, d in zip(padded[:-3], padded[1:-2], padded[2:-1], padded[3:], strict=True):
        curve.extend(0.5 * (2 * b + (c - a) * t + (2 * a - 5 * b + 4 * c - d) * t ** 2
                            + (3 * b - a - 3 * c + d) * t ** 3)[1:])
    curve.append(p[-1])
    pts = np.asarray(curve)
    lo, hi = pts.min(0), pts.max(0)
    pts = (pts - lo) * (20 / max(1e-6, float((hi - lo).max()))) + 4
    return synth.to_field(synth.draw_segments(synth.polyline_segments([tuple(q) for q in pts]),
                                              synth.pen_width(rng)))


def training_fields(rng: Rng, share: float = 1.0) -> tuple[U8, U8]:
    """The real training writers' digits as 28x28 fields, with their labels: optdigits' 30
    training writers' bitmaps (`bitmap_field`) and pendigits' 30 writers drawn with a round pen
    (`pen_field`); `share` of them, drawn at random. None of the real validation's writers are
    among them."""
    bitmaps = [optdigits(part) for part in ("tra", "cv")]
    points, pen_labels = pendigits()
    fields = [bitmap_field(b) for part in bitmaps for b in part.images]
    fields += [pen_field(p, int(d), rng) for p, d in zip(points, pen_labels, strict=True)]
    labels = np.concatenate([*(b.labels for b in bitmaps), pen_labels])
    keep = np.sort(rng.choice(len(fields), round(share * len(fields)), replace=False))
    return np.stack(fields)[keep], labels[keep]


# ---------------------------------------------------------------- Omniglot


def omniglot(alphabets: tuple[str, ...], lookalikes: bool | None = None) -> U8:
    """Omniglot's drawings of the given alphabets (both archives): (N, 105, 105), ink 255 on 0.
    `lookalikes`: None for every character, False without OMNIGLOT_LOOKALIKES, True only them."""
    images = []
    for archive in OMNIGLOT_ARCHIVES:
        with zipfile.ZipFile(io.BytesIO(verified(archive))) as z:
            for name in sorted(z.namelist()):
                parts = name.split("/")
                if not (name.endswith(".png") and parts[1] in alphabets):
                    continue
                if lookalikes is None or ("/".join(parts[1:3]) in OMNIGLOT_LOOKALIKES) == lookalikes:
                    png = np.frombuffer(z.read(name), np.uint8)
                    images.append(255 - cv2.imdecode(png, cv2.IMREAD_GRAYSCALE))
    return np.stack(images)


def novel_character(drawing: U8, others: U8, rng: Rng) -> U8:
    """A character no alphabet has, made from real drawings, so that not-a-digit is learnt as
    "none of the ten" and not as four alphabets' shapes: a third of the time `drawing` as
    drawn, a third mirrored or turned by a quarter, half or three quarters, and a third joined
    along a cut through its ink (vertical or horizontal, 35-65 % of the way) with the other
    side of a random drawing of `others`."""
    mode = int(rng.integers(3))
    if mode == 0:
        return drawing
    if mode == 1:
        way = int(rng.integers(1, 8))  # one of the seven other symmetries of the square
        turned = np.rot90(drawing, way % 4)
        made = np.ascontiguousarray(turned[:, ::-1] if way >= 4 else turned)
    else:
        other = others[int(rng.integers(len(others)))]
        axis = int(rng.integers(2))
        cut = int(rng.uniform(0.35, 0.65) * drawing.shape[axis])
        made = drawing.copy()
        if axis == 0:
            made[cut:] = other[cut:]
        else:
            made[:, cut:] = other[:, cut:]
    ys, xs = np.nonzero(made)
    # a tall thin result is a 1's shape (a turned dash): the drawing as drawn instead
    tall = len(ys) == 0 or (np.ptp(ys) + 1) > 2.5 * (np.ptp(xs) + 1)
    return drawing if tall else made


def omniglot_field(drawing: U8, rng: Rng) -> U8:
    """An Omniglot drawing as a field, its thin online strokes widened to a pen of random width."""
    k = int(rng.integers(1, 6))
    ink = cv2.dilate(drawing, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (k, k))) if k > 1 else drawing
    return synth.to_field(ink)


# ---------------------------------------------------------------- MNIST's writers


def mnist_writers() -> I64:
    """QMNIST's writer of each of MNIST's 60,000 training digits (NIST series x 10^5 + writer)."""
    text = gzip.decompress(verified("qmnist-train-labels.tsv.gz")).decode()
    rows = np.array([line.split("\t")[:3] for line in text.split("\n") if line.strip()], np.int64)
    return rows[:60_000, 1] * 100_000 + rows[:60_000, 2]


def writer_split(writers: I64, share: float = VALIDATION_WRITERS, seed: int = SPLIT_SEED
                 ) -> tuple[I64, I64]:
    """(validation, training) indices: a seeded `share` of the writers and all their digits."""
    unique = np.unique(writers)
    chosen = np.random.default_rng(seed).permutation(unique)[: round(share * len(unique))]
    held = np.isin(writers, chosen)
    return np.flatnonzero(held), np.flatnonzero(~held)


# ---------------------------------------------------------------- documents


# A security print's depth below the paper, in grey levels, of the real validation's document
# crops (half of them printed); mix.PRINTED draws deeper ones. Training's crops go deeper (run O3).
PRINT_LEVELS = (5.0, 25.0)
TRAINING_PRINT_LEVELS = (5.0, 50.0)


def guilloche(shape: tuple[int, int], period: float, angle: float, warp: float
              ) -> npt.NDArray[np.bool_]:
    """Where a cheque's security print inks the paper: parallel lines `period` px apart at
    `angle`, waving across the page with a wavelength of 2 pi `warp` px."""
    yy, xx = np.mgrid[0 : shape[0], 0 : shape[1]]
    wave = np.sin((xx * np.cos(angle) + yy * np.sin(angle)) * 2 * np.pi / period
                  + 3 * np.sin(yy / warp))
    return wave > 0.3


def document_crop(field: U8, rng: Rng, others: U8, print_levels: tuple[float, float] = PRINT_LEVELS,
                  printed: float = 0.5) -> U8:
    """A digit cropped from a scanned document: 40-60 px tall, thin or faint ink, fragments of
    its neighbours (from `others`, MNIST fields) at the crop's edges, separator dots, a printed
    rule, a slight blur, and paper noise; a `printed` share of them on a security print
    `print_levels` grey levels deep."""
    height = rng.uniform(40, 60)
    scale = height / 20
    side = round(28 * scale)
    ink = cv2.resize(field, (side, side), interpolation=cv2.INTER_LINEAR).astype(np.float32) / 255
    if rng.random() < 0.5:  # thin strokes, 2-5 px at this height
        ink = cv2.erode(ink, np.ones((3, 3), np.uint8))
    pad_x, pad_y = int(rng.integers(0, round(6 * scale))), int(rng.integers(0, round(5 * scale)))
    canvas = np.pad(ink, ((pad_y, pad_y), (pad_x, pad_x)))
    h, w = canvas.shape
    for side_ in ("left", "right"):  # a neighbour's edge, cut by the crop
        if rng.random() < 0.5:
            other = cv2.resize(others[rng.integers(len(others))], (side, side)).astype(np.float32) / 255
            keep = int(rng.integers(max(2, side // 10), max(3, side // 4)))
            part = other[:, -keep:] if side_ == "left" else other[:, :keep]
            top = int(rng.integers(0, max(1, h - side + 1)))
            region = canvas[top : top + side, :keep] if side_ == "left" else canvas[top : top + side, -keep:]
            region[...] = np.maximum(region, part[: region.shape[0]])
    if rng.random() < 0.25:  # a separator dot near the bottom edge
        cv2.circle(canvas, (int(rng.choice([rng.integers(0, 4), w - rng.integers(1, 5)])),
                            int(h - rng.integers(2, 8))), int(rng.integers(1, 4)), 1.0, -1)
    if rng.random() < 0.25:  # a printed rule along the top or bottom edge
        y = int(rng.choice([rng.integers(0, 4), h - rng.integers(1, 5)]))
        cv2.line(canvas, (0, y), (w - 1, y), 1.0, int(rng.integers(1, 3)))
    paper = rng.uniform(170, 250)
    contrast = rng.uniform(40, 90) if rng.random() < 0.5 else rng.uniform(90, 200)
    grey = paper - contrast * canvas
    if rng.random() < printed:  # security print: fine guilloche lines
        period, angle, warp = rng.uniform(3, 8), rng.uniform(0, np.pi), rng.uniform(8, 20)
        grey -= rng.uniform(*print_levels) * guilloche((h, w), period, angle, warp)
    grey += rng.normal(0, rng.uniform(1, 6), grey.shape)
    if rng.random() < 0.5:
        grey = cv2.GaussianBlur(grey, (3, 3), rng.uniform(0.5, 1.0))
    return np.clip(grey, 0, 255).astype(np.uint8)
