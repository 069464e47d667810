"""Reading whole numbers: find the digits on a canvas, left to right, with the single-digit model.

Segmentation with merge and split hypotheses scored by the classifier, the best path chosen by
dynamic programming:
1. Ink is found as `preprocess` finds it (paper level from the border, uneven light taken out),
   on a working copy about 100-200 px tall.
2. Connected components; specks are dropped. Where one is at least a line height wide, rules
   are looked for (underlines, ruled lines, a box: long straight strokes along the whole number,
   see RULE_ENDS) and painted over with paper, except where a digit's stroke crosses them.
   Strokes of one digit that overlap in x by half the narrower one (a broken stroke, the bar of
   a 5) are merged into one group.
3. Marks far smaller than the line's digits (dots, commas, dashes) are separators: skipped; so
   is a mark shorter than a digit that starts in the lower half of the line and hangs below it
   (a comma drawn with a thick pen).
4. A group wider than 0.65 line heights (most digits are narrower; a 1 leaning on its neighbour
   makes one that wide) is cut at the minima of its ink's column profile (touching or
   overlapping neighbours), giving the "atoms".
5. Every run of 1-6 neighbouring atoms no wider than 1.5 line heights is a candidate digit, and
   so is each whole stroke group up to 2 line heights wide (a flat 0). Its crop keeps only the
   ink of its own strokes (a neighbour reaching into the box is painted over), is normalised
   like `preprocess` does (`normalize_crop`), and all are classified in one model run. The
   reading is the sequence of candidates that covers every atom with the highest total
   log-probability of being that digit (and a digit at all), less a penalty for each clear gap
   inside one candidate (the classifier reads "71" as a confident 7) and for each full-height
   stroke beyond the first (it reads "12" as a confident 2).
6. Where a stroke group was cut into atoms (neighbours may touch), the sequence model
   (training/sequence.py, `digit_sequence.onnx`) reads the line first: the atoms' own ink
   scaled to 32 px tall, a small CNN over 4-px frames, CTC decoded greedily; each digit's box
   is the run of ink around its frames, bounded by the midpoints to its neighbours' frames. Where
   it, or else the segmentation, finds two or more digits in one stroke group (neighbours that
   touch or overlap), its reading is the answer. Those digits are "digit" (the sequence model
   has no not-a-digit class; but see `_lone_marks`) and their confidence is their best frame's
   probability (not calibrated).
7. Otherwise, where the classifier reads a digit with a confidence below SECOND_OPINION_BELOW,
   the sequence model reads the line too (once per line), and that digit takes the product of
   both models' probabilities (the sequence model's: its frames inside the digit's box),
   renormalised.
The constants below were chosen on validation numbers, never on the number test: MNIST training
digits and the training fonts (`python -m training.numbers --validation --training-fonts`);
SECOND_OPINION_BELOW was checked again, and the sequence model chosen, on the same digits and
fonts no model trains on (`--validation`).
"""

from __future__ import annotations

import itertools
import math
import statistics
import threading
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np
import numpy.typing as npt

from ._cv import cv2
from ._errors import ImageError
from ._image import ImageInput, to_grey
from ._models import SEQUENCE_FILE, bundled_file
from ._preprocess import (
    MNIST_SIZE,
    UNEVEN_LEVEL,
    border_levels,
    flatten_light,
    halve,
    ink_relative_to,
    normalize_crop,
)

Box = tuple[int, int, int, int]
Atom = tuple[Box, tuple[int, ...]]  # a box and the connected components whose ink it holds
WORK_HEIGHT = 100  # the working copy is halved while it is taller than twice this
MAX_SPAN = 6  # atoms one digit may be made of
MAX_WIDTH = 1.5  # a digit is at most this many line heights wide...
MAX_GROUP_WIDTH = 2.0  # ...unless it is one stroke group standing alone (a flat 0 or 2)
SEPARATOR_HEIGHT = 0.45  # marks lower than this share of the line height are separators
SPLIT_WIDTH = 0.65  # groups wider than this many line heights are cut into atoms...
ATOM_WIDTH = 0.25  # ...about this wide (over-segmented: the DP joins the pieces of each digit)
FULL_HEIGHT = 0.75  # strokes this tall (in line heights) are digits, not pieces of one
SINGLE_WIDTH = 0.9  # ink no wider than this share of its height, with one full-height stroke at
#                    most, is one digit when predict reads a digit in it
MAX_MARKS = 300  # more separate marks than this are refused (ImageError): not a number
MAX_WORK_PIXELS = 4_000_000  # nor is a working copy larger than this (ImageError)
# Rules (underlines, ruled lines, boxes) are taken out before the digits are found. A rule is a
# stroke along the whole number (from within RULE_ENDS line heights of its first ink to within
# RULE_ENDS of its last), at most RULE_THICKNESS line heights thick, sloping at most RULE_SLANT,
# and either RULE_LENGTH line heights long or more (no digit is that wide) with at most
# RULE_UNDER of the other ink below it or running past both ends of the number (an underline, a
# ruled line), or BOX_LENGTH long or more with a parallel one below it, ends aligned (a box's top
# and bottom; its sides and a comb's walls go with them, `_box_sides`). Measured where no other
# ink is within RULE_CLEAR line heights, its centre is straight (within a pixel of a line,
# median), or, when it is RULE_FREEHAND line heights long or more and runs on past the number's
# first or last ink by RULE_PAST, bowed by up to RULE_BOW and wobbling by up to RULE_WOBBLE as an
# underline drawn freehand does: strokes of neighbouring digits that run on are shorter, curve
# more, or end with the number.
RULE_ENDS = 0.3
RULE_THICKNESS = 0.25
RULE_SLANT = 0.1
RULE_LENGTH = 1.5
RULE_UNDER = 0.1
BOX_LENGTH = 1.0
RULE_CLEAR = 0.15
RULE_FREEHAND = 2.5
RULE_BOW = 0.1
RULE_WOBBLE = 0.03
RULE_PAST = 0.05
HANG = 0.1  # a mark starting in the lower half of the line and reaching this far below it is a
#             comma (a share of its nearest digit's height)
GAP_PENALTY = 4.0  # log-probability taken per clear gap (paper between two pieces) inside one
#                    candidate: the classifier often reads "71" as a confident 7
TALL_PENALTY = 1.0  # ...and per full-height stroke beyond the first: a 1 leaning into its
#                     neighbour ("12", "5/") is read as the neighbour alone


@dataclass(frozen=True)
class DigitReading:
    """One digit of a number.

    Attributes:
        digit: 0-9, or None when its status is not "digit".
        confidence: the calibrated probability of `digit`.
        status: "digit" or "not_a_digit" (a mark the model rejects inside the number).
        box: (x, y, width, height) in the input image's pixels.
        unsure: True when a digit's confidence is below the recognizer's `unsure_below`, as
            for `Prediction.unsure`.
    """

    digit: int | None
    confidence: float
    status: str
    box: Box
    unsure: bool = False


@dataclass(frozen=True)
class Reading:
    """A number read from an image.

    Attributes:
        text: the digits as a string ("" when there are none); rejected marks are left out.
        digits: one DigitReading per digit found, left to right.
        confidence: the product of the digits' confidences (0.0 for "").
    """

    text: str
    digits: list[DigitReading]
    confidence: float


class Found(NamedTuple):
    """What `find_atoms` finds, in working-copy pixels."""

    atoms: list[Atom]  # left to right
    small: npt.NDArray[np.uint8]  # the working copy (rules painted over with paper)
    labels: npt.NDArray[np.int32]  # its connected components
    tall: frozenset[int]  # the full-height components
    background: int  # its paper level
    factor: int  # its scale to the input
    ruled: bool = False  # whether rules (underlines, ruled lines, a box) were taken out


def find_atoms(grey: npt.NDArray[np.uint8]) -> Found:
    """The atoms of a picture of a number."""
    small, factor = grey, 1
    while small.shape[0] >= 2 * WORK_HEIGHT and min(small.shape) >= 4:
        small, factor = halve(small), factor * 2
    if small.size > MAX_WORK_PIXELS:  # a ribbon thousands of digits long, or a thin tall strip
        raise ImageError(
            f"read() reads one line of digits, and this {grey.shape[1]}x{grey.shape[0]} image would "
            f"be {small.shape[1]}x{small.shape[0]} pixels at its working scale, more than "
            f"{MAX_WORK_PIXELS:,} (a line about {MAX_WORK_PIXELS // WORK_HEIGHT ** 2} digits long); "
            "crop it to the number")
    background, spread = border_levels(small)
    if spread > UNEVEN_LEVEL:
        flat = flatten_light(grey, small, factor)
        if flat is not None:
            grey, small = flat, flat
            for _ in range(int(math.log2(factor))):
                small = halve(small)
            background, _ = border_levels(small)
    ink = ink_relative_to(small, background)  # preprocess's own step, and its smudge rule:
    peak = int(ink.max())
    empty = np.zeros(small.shape, np.int32)
    if peak < 8:
        return Found([], small, empty, frozenset(), background, factor)
    mask = (ink > peak // 10).astype(np.uint8)  # ink above a tenth of the strongest stroke
    labels, comps = _components(mask)
    if not comps:
        return Found([], small, empty, frozenset(), background, factor)
    line = _line_height(comps)
    ruled = False
    if max(c[0][2] for c in comps) >= BOX_LENGTH * line:
        rules = _rules(mask, line)
        if rules is not None:
            ruled = True
            small = np.where(cv2.dilate(rules, _RIM) > 0, np.uint8(background), small)
            mask[rules > 0] = 0
            labels, comps = _components(mask)
            if not comps:
                return Found([], small, empty, frozenset(), background, factor, ruled)
            line = _line_height(comps)
    marks = [c for c in comps if c[0][3] >= SEPARATOR_HEIGHT * line
             or (c[0][2] * c[0][3] >= 0.25 * line * line and c[0][3] >= 0.25 * line)]
    groups = _drop_low_marks(_merge_overlapping(sorted(marks), line), line)
    atoms: list[Atom] = []
    for g in groups:
        atoms += _split(g, mask, line)
    tall = frozenset(ids[0] for (_, _, _, h), ids in marks if h >= FULL_HEIGHT * line)
    return Found(atoms, small, labels, tall, background, factor, ruled)


def _components(mask: npt.NDArray[np.uint8]) -> tuple[npt.NDArray[np.int32], list[Atom]]:
    """Connected components of the ink and their boxes; specks (under 3 pixels) left out.

    Raises:
        ImageError: more than MAX_MARKS marks: not a number (a grid of dots, a dashed line,
            noise); reading them all would take time and memory without bound.
    """
    # 16-bit labels: OpenCV gathers their stats about 2.5x faster (120 against 290 us on the
    # 800x250 benchmark line), and they hold every component a mask this size can have.
    h, w = mask.shape
    ltype = cv2.CV_16U if ((h + 1) // 2) * ((w + 1) // 2) < 65535 else cv2.CV_32S
    _count, labels, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8, ltype=ltype)
    kept = np.flatnonzero(stats[1:, 4] >= 3) + 1
    if len(kept) > MAX_MARKS:
        raise ImageError(f"the image holds {len(kept)} separate marks; read() reads numbers of at "
                         f"most {MAX_MARKS} marks (about {MAX_MARKS // 3} digits): crop the image "
                         "to the number, or use predict() for a single digit")
    comps: list[Atom] = [((int(s[0]), int(s[1]), int(s[2]), int(s[3])), (int(i),))
                         for i, s in zip(kept, stats[kept].tolist(), strict=True)]
    return np.asarray(labels, np.int32), comps


def _line_height(comps: list[Atom]) -> float:
    """The digits' height: the median of the marks at least half as tall as the tallest."""
    tallest = max(c[0][3] for c in comps)
    return float(statistics.median([c[0][3] for c in comps if c[0][3] >= 0.5 * tallest]))


def _rules(mask: npt.NDArray[np.uint8], line: float) -> npt.NDArray[np.uint8] | None:
    """1 on the ink of rules (see RULE_ENDS and the constants after it), a box's sides with its
    top and bottom; None where there are none. A rule's band of ink (around the curve fitted to
    its centre where it is clear) is taken except where a stroke crosses it (ink on both sides):
    digits touching or crossing it keep their strokes."""
    # Where to look: runs of ink BOX_LENGTH long in a copy at half the size (about 4x faster),
    # its ink widened up and down so that a slanting rule makes one run.
    height, width = mask.shape
    half = np.ascontiguousarray(cv2.dilate(mask, _RIM[:2, :2], anchor=(0, 0))[::2, ::2])
    run = np.ones((1, max(1, round(BOX_LENGTH * line / 2))), np.uint8)
    reach = max(1, round(RULE_SLANT * run.shape[1] / 2))
    band = cv2.erode(cv2.dilate(half, np.ones((2 * reach + 1, 1), np.uint8)), run)
    if not band.any():
        return None
    band = cv2.dilate(band, run)
    _, _, stats, _ = cv2.connectedComponentsWithStats(band, connectivity=8)
    stats[:, :4] *= 2
    stats[:, 2] = np.minimum(stats[:, 2], width - stats[:, 0])
    stats[:, 3] = np.minimum(stats[:, 3], height - stats[:, 1])
    inked = np.flatnonzero(mask.any(axis=0))
    ends = inked[0] + RULE_ENDS * line, inked[-1] - RULE_ENDS * line
    clear = round(RULE_CLEAR * line)
    rows = np.arange(height)[:, None]
    found: list[_Rule] = []
    for x, y, w, h, _area in stats[1:].tolist():
        if x > ends[0] or x + w - 1 < ends[1]:
            continue  # not along the whole number: strokes of neighbouring digits
        # Its straightness, measured on its columns with no other ink within RULE_CLEAR line
        # heights: one thin run each, no thicker than most of them.
        y0, y1 = max(0, y - clear), min(height, y + h + clear)
        window = mask[y0:y1, x : x + w] > 0
        counts = window.sum(axis=0)
        first = window.argmax(axis=0)
        last = y1 - y0 - 1 - window[::-1].argmax(axis=0)
        thin = (counts > 0) & (last - first + 1 == counts) & (counts <= RULE_THICKNESS * line)
        if thin.sum() < max(0.1 * w, 0.25 * line, 3):
            continue
        thickness = float(np.median(counts[thin]))
        thin &= counts <= thickness + 2
        columns = np.flatnonzero(thin)
        centres = y0 + (first[thin] + last[thin]) / 2
        bend, slope, offset = np.polyfit(columns, centres, 2)
        fitted = np.polyval((bend, slope, offset), columns)
        rise = (fitted[-1] - fitted[0]) / max(1, columns[-1] - columns[0])
        bow, wobble = abs(bend) * w * w / 4, float(np.median(np.abs(centres - fitted)))
        straight = np.polyval(np.polyfit(columns, centres, 1), columns)
        freehand = float(np.median(np.abs(centres - straight))) > 1  # (straight: within a pixel)
        if (abs(rise) > RULE_SLANT or bow > RULE_BOW * line or wobble > RULE_WOBBLE * line
                or (freehand and w < RULE_FREEHAND * line)):
            continue  # a digit's curve, or the strokes of several
        # The rule's band: the fitted curve, as thick as the rule and its wobble.
        path = np.asarray(np.polyval((bend, slope, offset), np.arange(w)), np.float64)
        offsets = rows - path[None, :]
        near = np.abs(offsets) <= thickness / 2 + 1 + 2 * wobble
        ink = mask[:, x : x + w] > 0
        beside = ~near & ink & (np.abs(offsets) <= thickness / 2 + 1 + clear)
        crossed = np.asarray((beside & (offsets < 0)).any(axis=0)
                             & (beside & (offsets > 0)).any(axis=0))
        found.append(_Rule(x, x + w - 1, path, thickness, near & ink & ~crossed[None, :],
                           freehand))
    rules = np.zeros(mask.shape, np.uint8)
    for top, bottom in itertools.permutations(found, 2):  # boxes: a top and a bottom
        if (top.path[0] < bottom.path[0] - 0.5 * line and not (top.freehand or bottom.freehand)
                and abs(top.first - bottom.first) <= 0.3 * line
                and abs(top.last - bottom.last) <= 0.3 * line):
            _box_sides(rules, mask, top, bottom)
            for r in (top, bottom):
                rules[:, r.first : r.last + 1] |= r.ink
    for r in found:  # underlines and ruled lines: under the ink, or past both its ends
        if r.last - r.first >= RULE_LENGTH * line:
            rest = mask.copy()
            rest[:, r.first : r.last + 1][r.ink] = 0
            ys, xs = np.nonzero(rest)
            if not len(xs) or (r.freehand and not (r.first < xs.min() - RULE_PAST * line
                                                   or r.last > xs.max() + RULE_PAST * line)):
                continue  # (bottoms of round digits running on, not a line drawn past them)
            under = ys > np.interp(xs, np.arange(r.first, r.last + 1), r.path) + r.thickness / 2 + 1
            past = r.first <= xs.min() - RULE_ENDS * line and r.last >= xs.max() + RULE_ENDS * line
            if under.mean() <= RULE_UNDER or past:
                rules[:, r.first : r.last + 1] |= r.ink
    return rules if rules.any() else None


class _Rule(NamedTuple):
    first: int  # its first and last column
    last: int
    path: npt.NDArray[np.float64]  # its centre's row in each of its columns
    thickness: float
    ink: npt.NDArray[np.bool_]  # the pixels to take out, in its columns (every row)
    freehand: bool  # not straight: bowed or wobbling


def _box_sides(rules: npt.NDArray[np.uint8], mask: npt.NDArray[np.uint8], top: _Rule,
               bottom: _Rule) -> None:
    """Mark the sides of the box whose top and bottom rules these are (the columns within a
    rule's thickness inside each pair of ends inked for at least 80 % of the height between
    them: a digit touching the side keeps its own columns), and the walls of a comb."""
    t = max(top.thickness, bottom.thickness)
    for xt, yt, xb, yb, outward in ((top.first, top.path[0], bottom.first, bottom.path[0], -1),
                                    (top.last, top.path[-1], bottom.last, bottom.path[-1], 1)):
        x0 = int(max(0, min(xt, xb) - 2 - (0 if outward < 0 else t)))
        x1 = int(min(mask.shape[1], max(xt, xb) + 3 + (t if outward < 0 else 0)))
        y0, y1 = max(0, int(yt + t / 2)), min(mask.shape[0], int(yb - t / 2) + 1)
        if y1 > y0 and x1 > x0:
            side = mask[y0:y1, x0:x1] > 0
            rules[y0:y1, x0:x1] |= (side & (side.mean(axis=0) >= 0.8)[None, :]).astype(np.uint8)
    # A comb's walls between the digits: straight runs of columns no wider than the rules (and a
    # pixel), inked over the whole height between top and bottom, paper on either side (a digit's
    # stroke leaves gaps, slants, or is drawn with a wider pen than a form's print).
    x0, x1 = max(top.first, bottom.first), min(top.last, bottom.last) + 1
    y0 = int(max(top.path[x0 - top.first :].max(), 0) + t / 2) + 1
    y1 = int(min(bottom.path[x0 - bottom.first :].min(), mask.shape[0]) - t / 2)
    if y1 - y0 > 2 and x1 > x0:
        inside = mask[y0:y1, x0:x1] > 0
        cover = np.concatenate([[0.0], inside.mean(axis=0), [0.0]])
        full = cover >= 0.98
        starts = np.flatnonzero(full[1:] & ~full[:-1])
        ends = np.flatnonzero(~full[1:] & full[:-1])
        for a, b in zip(starts, ends, strict=True):
            if b - a <= t + 1 and cover[a] < 0.5 and cover[b + 1] < 0.5:
                rules[y0:y1, x0 + a : x0 + b] |= inside[:, a:b].astype(np.uint8)


LINE_HEIGHT = 32  # the sequence model's input height (pixels)
LINE_MARGIN = 2  # paper kept above and below the ink, in those pixels


def line_image(atoms: list[Atom], small: npt.NDArray[np.uint8], labels: npt.NDArray[np.int32],
               background: int) -> tuple[npt.NDArray[np.float32], Box, float]:
    """What the sequence model reads: the atoms' own ink (separators and specks left out), ink
    bright on 0 in [0, 1], scaled to LINE_HEIGHT px tall, aspect kept; with the crop box (in
    working-copy pixels) and the scale from it to the line image."""
    box = _union([a[0] for a in atoms])
    x, y, w, h = box
    own = cv2.dilate(_strokes_of(labels, box, _ids(atoms)), _RIM) > 0
    ink = np.where(own, ink_relative_to(small[y : y + h, x : x + w], background), 0)
    scale = (LINE_HEIGHT - 2 * LINE_MARGIN) / h
    width = max(4, round(w * scale))
    big = cv2.resize(ink.astype(np.uint8), (width, LINE_HEIGHT - 2 * LINE_MARGIN),
                     interpolation=cv2.INTER_AREA)
    out = np.zeros((LINE_HEIGHT, width + 2 * LINE_MARGIN + (-width % 4)), np.float32)
    out[LINE_MARGIN : LINE_MARGIN + big.shape[0], LINE_MARGIN : LINE_MARGIN + width] = big / 255.0
    return out, box, scale


BLANK = 0  # the sequence model's CTC blank; digit d is class d + 1
FRAME = 4  # line pixels per frame of the sequence model
MAX_LINE = 1024  # longer lines (a ribbon of ink, or about 50 digits) are not read by it: memory


_session_lock = threading.Lock()
_session: list[Any] = []


def sequence_session() -> Any:
    """The bundled sequence model's onnxruntime session, built on first use under a lock (one
    per process, however many threads ask at once; onnxruntime sessions may be run from several
    threads)."""
    with _session_lock:
        if not _session:
            from ._model import open_session

            _session.append(open_session(bundled_file(SEQUENCE_FILE, "sequence model"),
                                         "the sequence model"))
        return _session[0]


def decode_frames(frames: npt.NDArray[np.float32]) -> list[tuple[int, float, int, int]]:
    """Greedy CTC decoding of one line's per-frame probabilities [T, 11]: (digit, confidence,
    first frame, last frame) per digit, left to right. A digit's confidence is its best frame's
    probability."""
    best = frames.argmax(1)
    out: list[tuple[int, float, int, int]] = []
    previous = BLANK
    for t, c in enumerate(best):
        if c != BLANK:
            p = float(frames[t, c])
            if c == previous:
                d, q, first, _ = out[-1]
                out[-1] = (d, max(p, q), first, t)
            else:
                out.append((int(c) - 1, p, t, t))
        previous = int(c)
    return out


Frames = tuple[npt.NDArray[np.float32], Box, float]  # per-frame probabilities [T, 11], and
#                                                      line_image's crop box and scale


def line_frames(atoms: list[Atom], small: npt.NDArray[np.uint8], labels: npt.NDArray[np.int32],
                background: int) -> Frames | None:
    """The sequence model run on the atoms' line (None for a line longer than MAX_LINE: about 50
    digits)."""
    line, box, scale = line_image(atoms, small, labels, background)
    if line.shape[1] > MAX_LINE:
        return None
    return sequence_session().run(None, {"line": line[None, :, :, None]})[0][0], box, scale


def read_line(seen: Frames, atoms: list[Atom], labels: npt.NDArray[np.int32], factor: int,
              unsure_below: float) -> list[DigitReading]:
    """The line as the sequence model reads it: one DigitReading per decoded digit, its box the
    ink under its frames."""
    frames, (x, y, w, h), scale = seen
    ink = _strokes_of(labels, (x, y, w, h), _ids(atoms)) > 0
    decoded = decode_frames(frames)
    if not decoded:
        return []
    # A CTC digit fires on a frame or two inside its ink: each digit's span runs from halfway
    # to its left neighbour's frames to halfway to its right neighbour's, tightened to the ink.
    centres = [((FRAME * (first + last + 1) / 2) - LINE_MARGIN) / scale
               for _, _, first, last in decoded]
    bounds = [0.0, *((a + b) / 2 for a, b in itertools.pairwise(centres)), float(w)]
    digits = []
    for (digit, confidence, _, _), centre, (lo, hi) in zip(decoded, centres,
                                                           itertools.pairwise(bounds), strict=True):
        x0, x1 = int(lo), max(int(lo) + 1, math.ceil(hi))
        x0, x1 = _inked_run(np.asarray(ink[:, x0:x1].any(axis=0)), int(centre) - x0, x0, x1)
        rows = np.flatnonzero(ink[:, x0:x1].any(axis=1))
        top, bottom = (int(rows[0]), int(rows[-1]) + 1) if len(rows) else (0, h)
        box = (x + x0, y + top, x1 - x0, bottom - top)
        digits.append(DigitReading(digit, confidence, "digit", _to_input(box, factor),
                                   confidence < unsure_below))
    return digits


def _inked_run(columns: npt.NDArray[np.bool_], centre: int, x0: int, x1: int) -> tuple[int, int]:
    """The run of inked columns at (or nearest to) `centre` within [x0, x1): a neighbour's ink
    past a gap of paper is not this digit's."""
    inked = np.flatnonzero(columns)
    if not len(inked):
        return x0, x1
    c = int(inked[np.argmin(np.abs(inked - centre))])
    gaps = np.flatnonzero(~columns)
    left = gaps[gaps < c]
    right = gaps[gaps > c]
    return (x0 + (int(left[-1]) + 1 if len(left) else 0),
            x0 + (int(right[0]) if len(right) else len(columns)))


def number_line(image: ImageInput) -> npt.NDArray[np.float32] | None:
    """`line_image` of a picture (None when it holds no ink): for training the sequence model."""
    found = find_atoms(to_grey(image))
    return line_image(found.atoms, found.small, found.labels, found.background)[0] if found.atoms else None


def _merge_overlapping(comps: list[Atom], line: float) -> list[Atom]:
    """Join strokes that overlap in x by half the narrower one, unless both are full-height
    strokes (a 1 leaning on its neighbour is a digit of its own)."""
    groups: list[Atom] = []
    for (x, y, w, h), ids in comps:
        if groups:
            (gx, gy, gw, gh), gids = groups[-1]
            overlap = min(gx + gw, x + w) - max(gx, x)
            if overlap >= 0.5 * min(w, gw) and min(h, gh) < FULL_HEIGHT * line:
                groups[-1] = (_union([(gx, gy, gw, gh), (x, y, w, h)]), gids + ids)
                continue
        groups.append(((x, y, w, h), ids))
    return groups


def _drop_low_marks(groups: list[Atom], line: float) -> list[Atom]:
    """Leave out groups shorter than a digit that start below the middle of the nearest
    full-height group and hang below its bottom by HANG of its height: a comma drawn with a
    thick pen (taller than SEPARATOR_HEIGHT, it would be read as a 1), not the loop of a 6
    whose faint top was lost, which sits on the line."""
    full = [box for box, _ in groups if box[3] >= FULL_HEIGHT * line]

    def low(box: Box) -> bool:
        x, y, w, h = box
        if h >= FULL_HEIGHT * line or not full:
            return False
        _, top, _, height = min(full, key=lambda b: abs(2 * b[0] + b[2] - 2 * x - w))
        return y > top + height / 2 and y + h > top + (1 + HANG) * height

    return [g for g in groups if not low(g[0])]


def _split(group: Atom, mask: npt.NDArray[np.uint8], line: float) -> list[Atom]:
    """Cut a group wider than a digit into narrow pieces at minima of its column profile."""
    (x, y, w, h), ids = group
    pieces = max(2, math.ceil(w / (ATOM_WIDTH * line))) if w > SPLIT_WIDTH * line else 1
    if pieces == 1:
        return [group]
    profile = mask[y : y + h, x : x + w].sum(axis=0).astype(np.float64)
    cuts = []
    for k in range(1, pieces):
        centre = k * w / pieces
        lo, hi = int(max(1, centre - 0.1 * line)), int(min(w - 1, centre + 0.1 * line))
        if hi > lo:
            cuts.append(lo + int(np.argmin(profile[lo:hi])))
    bounds = [0, *sorted(set(cuts)), w]
    return [((x + a, y, b - a, h), ids) for a, b in itertools.pairwise(bounds) if b > a]


def read(recognizer, image: ImageInput) -> Reading:  # type: ignore[no-untyped-def]
    """See `Recognizer.read`."""
    grey = to_grey(image)
    atoms, small, labels, tall, background, factor, ruled = find_atoms(grey)
    if not atoms:
        return Reading("", [], 0.0)
    if not ruled and (len(atoms) == 1 or _one_digit_shape(atoms, tall)):
        # exactly what predict answers (the decoded image, not decoded again)
        single = recognizer.predict(grey)
        if len(atoms) == 1 or single.status == "digit":
            return _single(single, _union([a[0] for a in atoms]), factor)
    seen, sequence = None, None
    if len(_groups(atoms)) < len(atoms):  # a stroke group was cut: neighbours may touch
        seen = line_frames(atoms, small, labels, background)
        if seen is not None:
            sequence = read_line(seen, atoms, labels, factor, recognizer.unsure_below)
            if _holds_two(atoms, [(d.box[0] + d.box[2] / 2) / factor for d in sequence]):
                return _reading(sequence)
    boxes = [a[0] for a in atoms]
    line = float(statistics.median([b[3] for b in boxes]))
    spanned: dict[tuple[int, int], Box] = {}  # candidate (first, last atom) -> its box
    for i in range(len(atoms)):
        box = boxes[i]
        for j in range(i, min(len(atoms), i + MAX_SPAN)):
            if j > i:
                box = _union([box, boxes[j]])
                if box[2] > MAX_WIDTH * line:
                    break
                if _apart(boxes[j - 1], boxes[j], line):
                    break  # two whole digits with paper between them are never one digit
            spanned[(i, j)] = box
    # A wide digit standing alone (a flat 0 or 2) was cut into more atoms than one candidate
    # spans: its whole stroke group is a candidate too.
    for i, j in _groups(atoms):
        box = _union(boxes[i : j + 1])
        if j - i >= MAX_SPAN and box[2] <= MAX_GROUP_WIDTH * line:
            spanned[(i, j)] = box
    candidates = sorted(spanned, key=lambda c: c[1])
    crops, penalty = [], {}
    for i, j in candidates:
        ids = _ids(atoms[i : j + 1])
        crops.append(normalize_crop(_own_ink(small, labels, spanned[(i, j)], ids, background),
                                    background))
        gaps = sum(boxes[k + 1][0] > boxes[k][0] + boxes[k][2] for k in range(i, j))
        penalty[(i, j)] = GAP_PENALTY * gaps + TALL_PENALTY * max(0, len(tall.intersection(ids)) - 1)
    batch = np.stack(crops).reshape(-1, MNIST_SIZE, MNIST_SIZE, 1)
    scored = recognizer._run(batch)  # the recognizer's own model, profile and all
    score = {}
    for (i, j), row in zip(candidates, scored, strict=True):
        p = float(row[:10].max())
        value = (math.log(max(p, 1e-9)) + math.log(max(1.0 - float(row[10]), 1e-9))
                 - penalty[(i, j)])
        score[(i, j)] = value if math.isfinite(value) else -math.inf  # a NaN output loses
    best: list[float] = [0.0] + [-math.inf] * len(atoms)
    back = list(range(-1, len(atoms)))  # by default each atom alone: a path always exists
    for (i, j), value in score.items():  # in order of the candidates' last atom
        if best[i] + value > best[j + 1]:
            best[j + 1], back[j + 1] = best[i] + value, i
    spans = []
    end = len(atoms)
    while end > 0:
        spans.append((back[end], end - 1))
        end = back[end]
    digits = []
    rows = dict(zip(candidates, scored, strict=True))
    for i, j in reversed(spans):
        p = recognizer._decide(rows[(i, j)].copy(), np.zeros((MNIST_SIZE, MNIST_SIZE), np.float32))
        digits.append(DigitReading(p.digit, p.confidence, p.status,
                                   _to_input(spanned[(i, j)], factor), p.unsure))
    found = [spanned[s] for s in reversed(spans)]
    if sequence and _holds_two(atoms, [x + w / 2 for x, _, w, _ in found]):
        return _reading(_lone_marks(recognizer, sequence, atoms, rows, factor))
    unsure = [k for k, d in enumerate(digits)
              if d.status == "digit" and d.confidence < SECOND_OPINION_BELOW]
    if unsure:
        seen = seen or line_frames(atoms, small, labels, background)
        if seen is not None:
            ordered = list(reversed(spans))
            for k in unsure:
                digits[k] = _second_opinion(digits[k], rows[ordered[k]][:10], found[k], seen,
                                            recognizer.unsure_below)
    return _reading(digits)


def _one_digit_shape(atoms: list[Atom], tall: frozenset[int]) -> bool:
    """Whether pieces of ink make the shape of one digit, not of a number: together no wider
    than SINGLE_WIDTH of their height, and at most one full-height stroke (a 4 or a 7 drawn in
    two pieces; "11" and "17" have two)."""
    _, _, w, h = _union([a[0] for a in atoms])
    return w <= SINGLE_WIDTH * h and len(tall.intersection(_ids(atoms))) <= 1


def _reading(digits: list[DigitReading]) -> Reading:
    kept = [d for d in digits if d.status == "digit"]
    text = "".join(str(d.digit) for d in kept)
    confidence = float(np.prod([d.confidence for d in kept])) if kept else 0.0
    return Reading(text, digits, confidence)


SECOND_OPINION_BELOW = 0.9  # digits the classifier reads with less confidence are read again


def _second_opinion(digit: DigitReading, probabilities: npt.NDArray[np.float32], box: Box,
                    seen: Frames, unsure_below: float) -> DigitReading:
    """A digit the classifier is unsure of, read again with the sequence model: the product of
    the classifier's ten probabilities and the sequence model's (its frames inside the digit's
    working-copy `box`, summed), renormalised; unchanged where it sees no digit."""
    frames, (x, _, _, _), scale = seen
    centres = (FRAME * (np.arange(len(frames)) + 0.5) - LINE_MARGIN) / scale + x
    inside = frames[(centres >= box[0]) & (centres < box[0] + box[2]), 1:].sum(axis=0)
    both = probabilities * inside
    if inside.sum() < 0.5 or not both.sum() > 0:
        return digit
    both /= both.sum()
    k = int(both.argmax())
    return DigitReading(k, float(both[k]), "digit", digit.box, float(both[k]) < unsure_below)


LONE_MARK = 0.97  # a stroke group the sequence model reads as one digit is not a digit when the
#                   classifier gives the whole of it this not-a-digit score or more (validation
#                   numbers: groups of real digits scored up to 0.956; currency signs mostly 0.98+)


def _lone_marks(recognizer, sequence: list[DigitReading], atoms: list[Atom],  # type: ignore[no-untyped-def]
                rows: dict[tuple[int, int], npt.NDArray[np.float32]],
                factor: int) -> list[DigitReading]:
    """The sequence model's reading, where it finds a single digit in a stroke group that the
    segmentation cut in two: that digit is "not_a_digit" when the classifier, given the whole
    group, says so (a currency sign or a symbol is one glyph to the sequence model, which has no
    not-a-digit class, and two pieces to the segmentation)."""
    out = list(sequence)
    for i, j in _groups(atoms):
        whole = rows.get((i, j))
        if (whole is None or recognizer.reject >= 1.0
                or float(whole[10]) < max(recognizer.reject, LONE_MARK)):
            continue
        x0, _, _, _ = atoms[i][0]
        x1 = atoms[j][0][0] + atoms[j][0][2]
        inside = [k for k, d in enumerate(out) if x0 <= (d.box[0] + d.box[2] / 2) / factor < x1]
        if len(inside) == 1:
            d = out[inside[0]]
            out[inside[0]] = DigitReading(None, float(whole[10]), "not_a_digit", d.box)
    return out


def _holds_two(atoms: list[Atom], centres: list[float]) -> bool:
    """Whether one stroke group (connected ink) holds two or more of the digits found (their
    centres' x in the working copy): digits that touch or overlap, where the sequence model
    reads better than the cuts."""
    groups: dict[tuple[int, ...], list[int]] = {}
    for (x, _, w, _), ids in atoms:
        g = groups.setdefault(ids, [x, x + w])
        g[0], g[1] = min(g[0], x), max(g[1], x + w)
    count = dict.fromkeys(groups, 0)
    for centre in centres:
        for ids, (x0, x1) in groups.items():
            if x0 <= centre < x1:
                count[ids] += 1
    return max(count.values(), default=0) >= 2


def _single(p, atom: Box, factor: int) -> Reading:  # type: ignore[no-untyped-def]
    if p.status == "blank":
        return Reading("", [], 0.0)
    d = DigitReading(p.digit, p.confidence, p.status, _to_input(atom, factor), p.unsure)
    return Reading(str(p.digit) if p.status == "digit" else "", [d],
                   p.confidence if p.status == "digit" else 0.0)


def _own_ink(small: npt.NDArray[np.uint8], labels: npt.NDArray[np.int32], box: Box,
             ids: list[int], background: int) -> npt.NDArray[np.uint8]:
    """The crop of `box` holding only the ink of components `ids` (and its antialiased rim):
    a neighbour's stroke reaching into the box is painted over with paper."""
    x, y, w, h = box
    crop = small[y : y + h, x : x + w]
    own = _strokes_of(labels, box, ids)
    if not ((labels[y : y + h, x : x + w] > 0) > own).any():  # no other stroke reaches in
        return crop
    return np.where(cv2.dilate(own, _RIM) > 0, crop, np.uint8(background))


_RIM = np.ones((3, 3), np.uint8)


def _ids(atoms: list[Atom]) -> list[int]:
    """The connected components whose ink the atoms hold."""
    return sorted({k for a in atoms for k in a[1]})


def _strokes_of(labels: npt.NDArray[np.int32], box: Box, ids: list[int]) -> npt.NDArray[np.uint8]:
    """1 where a pixel of `box` belongs to one of the components `ids`, else 0."""
    x, y, w, h = box
    part = labels[y : y + h, x : x + w]
    keep = np.zeros(int(part.max()) + 1, np.uint8)
    keep[[i for i in ids if i < len(keep)]] = 1
    return keep[part]


def _groups(atoms: list[Atom]) -> list[tuple[int, int]]:
    """(first, last) atom of each run of atoms cut from one stroke group (same components)."""
    runs: list[tuple[int, int]] = []
    for k, (_, ids) in enumerate(atoms):
        if runs and atoms[runs[-1][0]][1] == ids:
            runs[-1] = (runs[-1][0], k)
        else:
            runs.append((k, k))
    return runs


def _apart(left: Box, right: Box, line: float) -> bool:
    """Two full-height marks with paper between them."""
    return (right[0] > left[0] + left[2] and min(left[3], right[3]) >= FULL_HEIGHT * line)


def _union(boxes: list[Box]) -> Box:
    x0, y0 = min(b[0] for b in boxes), min(b[1] for b in boxes)
    x1, y1 = max(b[0] + b[2] for b in boxes), max(b[1] + b[3] for b in boxes)
    return x0, y0, x1 - x0, y1 - y0


def _to_input(box: Box, factor: int) -> Box:
    return tuple(v * factor for v in box)  # type: ignore[return-value]
