"""The number reader: candidate digits over the atoms, classified in one model run, the best
path chosen by dynamic programming, with the sequence model for digits that touch.

1. `find_atoms` cuts the ink into atoms (pieces no wider than a digit).
2. Every run of 1-MAX_SPAN neighbouring atoms no wider than MAX_WIDTH line heights is a
   candidate digit, and so is each whole stroke group up to MAX_GROUP_WIDTH wide (a flat 0).
   Each keeps only its own strokes' ink, is normalised like `preprocess` does, and all are
   classified in one model run.
3. The reading is the sequence of candidates covering every atom with the highest total
   log-probability of being that digit (and a digit at all), less `gap_penalty` per clear gap
   inside a candidate ("71" reads as a confident 7) and `tall_penalty` per full-height stroke
   beyond the first ("12" reads as a confident 2).
4. Where neighbours touch (a stroke group was cut), the sequence model reads the line first; its
   reading is the answer where it finds two or more digits in one stroke group.
5. A digit read with less confidence than `second_opinion_below`, and a mark rejected between
   two digits with a not-a-digit score under `lone_mark`, take the product of both models'
   probabilities (the rejected mark, if the sequence model sees a digit there, marked unsure).
The thresholds ship in the sequence model's metadata (`Thresholds`).
"""

from __future__ import annotations

import functools
import math
import statistics
from collections.abc import Callable
from dataclasses import dataclass, fields

import numpy as np
import numpy.typing as npt

from .._decision import NEVER_REJECT, Box, Decision, DigitReading, Prediction, Reading
from .._errors import ModelError
from .._image import ImageInput, to_grey
from .._preprocess import MNIST_SIZE, normalize_crop
from .atoms import (
    Atom,
    Found,
    apart,
    find_atoms,
    ids_of,
    own_ink,
    stroke_groups,
    to_input,
    union,
)
from .lines import FRAME, LINE_MARGIN, Frames, LineModel, read_line

MAX_SPAN = 6  # atoms one digit may be made of
MAX_WIDTH = 1.5  # a digit is at most this many line heights wide...
MAX_GROUP_WIDTH = 2.0  # ...unless it is one stroke group standing alone (a flat 0 or 2)
SINGLE_WIDTH = 0.9  # ink no wider than this share of its height, with one full-height stroke at
#                    most, is one digit when predict reads a digit in it
Span = tuple[int, int]  # a candidate's first and last atom
# The classifier: a batch of 28x28 fields (N, 28, 28, 1) -> (N, 11), ten probabilities and the
# not-a-digit score per field.
Classify = Callable[[npt.NDArray[np.float32]], npt.NDArray[np.float32]]


@dataclass(frozen=True)
class Thresholds:
    """The reader's decisions, chosen on validation numbers (never on the number test) and
    shipped in the sequence model's metadata as `reader_<name>`.

    Attributes:
        second_opinion_below: digits the classifier reads with less confidence are read again
            by the sequence model.
        lone_mark: a stroke group the sequence model reads as one digit is not a digit when the
            classifier gives the whole of it this not-a-digit score or more (a currency sign);
            a mark the classifier rejects between two digits is read again below it.
        gap_penalty: log-probability taken per clear gap inside one candidate.
        tall_penalty: log-probability taken per full-height stroke beyond the first.
    """

    second_opinion_below: float
    lone_mark: float
    gap_penalty: float
    tall_penalty: float

    @classmethod
    def from_metadata(cls, metadata: dict[str, str]) -> Thresholds:
        """The thresholds in a sequence model's metadata.

        Raises:
            ModelError: one is missing or not a number.
        """
        try:
            return cls(**{f.name: float(metadata["reader_" + f.name]) for f in fields(cls)})
        except (KeyError, ValueError) as e:
            raise ModelError(f"the sequence model's metadata lacks the reader's threshold {e}; "
                             f"it needs reader_<name> for each of {[f.name for f in fields(cls)]}"
                             ) from None


@dataclass(frozen=True)
class NumberReader:
    """Reads whole numbers with a classifier (the recognizer's model, profile and all), its
    decision, its `predict` for single digits, and the sequence model.

    Attributes:
        classify: a batch of 28x28 fields -> ten probabilities and the not-a-digit score each.
        predict: the recognizer's single-digit answer for an image.
        decision: the recognizer's decision (rejection and unsure marks).
        lines: the sequence model.
        thresholds: None takes those shipped in the sequence model's metadata.
    """

    classify: Classify
    predict: Callable[[ImageInput], Prediction]
    decision: Decision
    lines: LineModel
    thresholds: Thresholds | None = None

    def read(self, image: ImageInput) -> Reading:
        """See `Recognizer.read`.

        Raises:
            ImageError: the input is not a readable image, or not a line of digits.
            ModelError: the sequence model is missing or broken.
        """
        thresholds = self._thresholds  # first: a broken sequence model fails every read alike
        grey = to_grey(image)
        found = find_atoms(grey)
        atoms = found.atoms
        if not atoms:
            return Reading("", [], 0.0)
        if not found.ruled and (len(atoms) == 1 or _one_digit_shape(atoms, found.tall)):
            single = self.predict(grey)  # exactly what predict answers
            if len(atoms) == 1 or single.status == "digit":
                return _single(single, union([a[0] for a in atoms]), found.factor)
        seen, sequence = None, None
        if len(stroke_groups(atoms)) < len(atoms):  # a stroke group was cut: neighbours may touch
            seen = self.lines.frames(atoms, found.small, found.labels, found.background)
            if seen is not None:
                sequence = read_line(seen, atoms, found.labels, found.factor,
                                     self.decision.unsure_below)
                if _holds_two(atoms, [(d.box[0] + d.box[2] / 2) / found.factor for d in sequence]):
                    return Reading.of(sequence)
        spanned = _candidates(atoms)
        rows = dict(zip(spanned, self.classify(_crops(spanned, found)), strict=True))
        spans = _best_path(rows, spanned, found, thresholds)
        digits = [self._digit(rows[s], spanned[s], found.factor) for s in spans]
        boxes = [spanned[s] for s in spans]
        if sequence and _holds_two(atoms, [x + w / 2 for x, _, w, _ in boxes]):
            return Reading.of(self._lone_marks(sequence, atoms, rows, found.factor, thresholds))
        again = [k for k, d in enumerate(digits)
                 if (d.status == "digit" and d.confidence < thresholds.second_opinion_below)
                 or (_between_digits(k, digits)
                     and float(rows[spans[k]][10]) < thresholds.lone_mark)]
        if again:
            seen = seen or self.lines.frames(atoms, found.small, found.labels, found.background)
            if seen is not None:
                for k in again:
                    digits[k] = _second_opinion(digits[k], rows[spans[k]][:10], boxes[k], seen,
                                                self.decision.unsure_below)
        return Reading.of(digits)

    @functools.cached_property
    def _thresholds(self) -> Thresholds:
        """The thresholds given, else those shipped in the sequence model (read once)."""
        return self.thresholds or Thresholds.from_metadata(self.lines.metadata)

    def _digit(self, row: npt.NDArray[np.float32], box: Box, factor: int) -> DigitReading:
        """The decision on one candidate's model row, as a DigitReading in input pixels."""
        p = self.decision.decide(row.copy(), np.zeros((MNIST_SIZE, MNIST_SIZE), np.float32))
        return DigitReading(p.digit, p.confidence, p.status, to_input(box, factor), p.unsure)

    def _lone_marks(self, sequence: list[DigitReading], atoms: list[Atom],
                    rows: dict[Span, npt.NDArray[np.float32]], factor: int,
                    thresholds: Thresholds) -> list[DigitReading]:
        """The sequence model's reading, where it finds a single digit in a stroke group that the
        segmentation cut in two: that digit is "not_a_digit" when the classifier, given the
        whole group, says so (a currency sign or a symbol is one glyph to the sequence model,
        which has no not-a-digit class, and two pieces to the segmentation)."""
        out = list(sequence)
        reject = self.decision.reject
        for i, j in stroke_groups(atoms):
            whole = rows.get((i, j))
            if (whole is None or reject >= NEVER_REJECT
                    or float(whole[10]) < max(reject, thresholds.lone_mark)):
                continue
            x0, _, _, _ = atoms[i][0]
            x1 = atoms[j][0][0] + atoms[j][0][2]
            inside = [k for k, d in enumerate(out) if x0 <= (d.box[0] + d.box[2] / 2) / factor < x1]
            if len(inside) == 1:
                d = out[inside[0]]
                out[inside[0]] = DigitReading(None, float(whole[10]), "not_a_digit", d.box)
        return out


def _candidates(atoms: list[Atom]) -> dict[Span, Box]:
    """Every candidate digit's span of atoms and its box, in order of their last atom."""
    boxes = [a[0] for a in atoms]
    line = float(statistics.median([b[3] for b in boxes]))
    spanned: dict[Span, Box] = {}
    for i in range(len(atoms)):
        box = boxes[i]
        for j in range(i, min(len(atoms), i + MAX_SPAN)):
            if j > i:
                box = union([box, boxes[j]])
                if box[2] > MAX_WIDTH * line:
                    break
                if apart(boxes[j - 1], boxes[j], line):
                    break  # two whole digits with paper between them are never one digit
            spanned[(i, j)] = box
    # A wide digit standing alone (a flat 0 or 2) was cut into more atoms than one candidate
    # spans: its whole stroke group is a candidate too.
    for i, j in stroke_groups(atoms):
        box = union(boxes[i : j + 1])
        if j - i >= MAX_SPAN and box[2] <= MAX_GROUP_WIDTH * line:
            spanned[(i, j)] = box
    return {s: spanned[s] for s in sorted(spanned, key=lambda c: c[1])}


def _crops(spanned: dict[Span, Box], found: Found) -> npt.NDArray[np.float32]:
    """Each candidate's own ink, normalised as `preprocess` does: (N, 28, 28, 1)."""
    crops = [normalize_crop(own_ink(found.small, found.labels, box,
                                    ids_of(found.atoms[i : j + 1]), found.background),
                            found.background)
             for (i, j), box in spanned.items()]
    return np.stack(crops).reshape(-1, MNIST_SIZE, MNIST_SIZE, 1)


def _best_path(rows: dict[Span, npt.NDArray[np.float32]], spanned: dict[Span, Box],
               found: Found, thresholds: Thresholds) -> list[Span]:
    """The candidates covering every atom, left to right, with the highest total score."""
    atoms = found.atoms
    boxes = [a[0] for a in atoms]
    best: list[float] = [0.0] + [-math.inf] * len(atoms)
    back = list(range(-1, len(atoms)))  # by default each atom alone: a path always exists
    for (i, j), row in rows.items():  # in order of the candidates' last atom
        gaps = sum(boxes[k + 1][0] > boxes[k][0] + boxes[k][2] for k in range(i, j))
        tall = max(0, len(found.tall.intersection(ids_of(atoms[i : j + 1]))) - 1)
        value = (math.log(max(float(row[:10].max()), 1e-9))
                 + math.log(max(1.0 - float(row[10]), 1e-9))
                 - thresholds.gap_penalty * gaps - thresholds.tall_penalty * tall)
        value = value if math.isfinite(value) else -math.inf  # a NaN output loses
        if best[i] + value > best[j + 1]:
            best[j + 1], back[j + 1] = best[i] + value, i
    spans = []
    end = len(atoms)
    while end > 0:
        spans.append((back[end], end - 1))
        end = back[end]
    return spans[::-1]


def _one_digit_shape(atoms: list[Atom], tall: frozenset[int]) -> bool:
    """Whether pieces of ink make the shape of one digit, not of a number: together no wider
    than SINGLE_WIDTH of their height, and at most one full-height stroke (a 4 or a 7 drawn in
    two pieces; "11" and "17" have two)."""
    _, _, w, h = union([a[0] for a in atoms])
    return w <= SINGLE_WIDTH * h and len(tall.intersection(ids_of(atoms))) <= 1


def _between_digits(k: int, digits: list[DigitReading]) -> bool:
    """Whether the k-th candidate is "not a digit" with digits read on both sides of it: in a
    number, a mark of a digit's height there is a digit the classifier doubts (a currency sign
    or a unit stands first or last)."""
    return (0 < k < len(digits) - 1 and digits[k].status == "not_a_digit"
            and digits[k - 1].status == digits[k + 1].status == "digit")


def _second_opinion(digit: DigitReading, probabilities: npt.NDArray[np.float32], box: Box,
                    seen: Frames, unsure_below: float) -> DigitReading:
    """A digit the classifier is unsure of (or a mark it rejected between two digits), read
    again with the sequence model: the product of the classifier's ten probabilities and the
    sequence model's (its frames inside the digit's working-copy `box`, summed), renormalised;
    unchanged where it sees no digit. A rejected mark so read is always marked unsure."""
    frames, (x, _, _, _), scale = seen
    centres = (FRAME * (np.arange(len(frames)) + 0.5) - LINE_MARGIN) / scale + x
    inside = frames[(centres >= box[0]) & (centres < box[0] + box[2]), 1:].sum(axis=0)
    both = probabilities * inside
    if inside.sum() < 0.5 or not both.sum() > 0:
        return digit
    both /= both.sum()
    k = int(both.argmax())
    unsure = float(both[k]) < unsure_below or digit.status != "digit"
    return DigitReading(k, float(both[k]), "digit", digit.box, unsure)


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


def _single(p: Prediction, atom: Box, factor: int) -> Reading:
    """The Reading of a single digit: `predict`'s answer, boxed."""
    if p.status == "blank":
        return Reading("", [], 0.0)
    d = DigitReading(p.digit, p.confidence, p.status, to_input(atom, factor), p.unsure)
    return Reading(str(p.digit) if p.status == "digit" else "", [d],
                   p.confidence if p.status == "digit" else 0.0)
