"""Decisions and what they return: a model's row of scores -> a Prediction; digits -> a Reading.

Imported by the recognizer, the number reader, the command line, the server and the window:
the only place the rejection and "unsure" rules live.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import numpy.typing as npt

from ._errors import ArgumentTypeError, ArgumentValueError, check_int

Status = Literal["digit", "blank", "not_a_digit"]
Box = tuple[int, int, int, int]  # x, y, width, height in pixels

# Below this confidence a reading is `unsure`: apps should show the runner-up or ask again.
UNSURE_BELOW = 0.60
# A not-a-digit threshold of this never rejects (models without a not-a-digit output use it).
NEVER_REJECT = 1.0
THRESHOLD_KEY = "not_a_digit_threshold"  # the model metadata that ships the threshold
SAMPLE_MARGIN = 0.25  # paper kept around a digit cut out of a number (a share of its height)


@dataclass(frozen=True)
class Prediction:
    """The result for one image.

    Attributes:
        digit: the recognised digit 0-9; None exactly when `status` is not "digit".
        confidence: the calibrated probability of `digit`; for "not_a_digit", the not-a-digit
            score; 0.0 when blank.
        status: "digit"; "not_a_digit" when the drawing does not look like a digit (a doodle, a
            letter, a dot; see `Decision.reject`); "blank" when the image holds no ink (the
            model is not run).
        unsure: True when a digit's `confidence` is below the recognizer's `unsure_below`: show
            the runner-up (`top(2)`) or ask the user to write again.
        best_guess: the most probable digit, even when the status is "not_a_digit" (None when
            blank).
        not_a_digit_score: the model's probability that this is not a digit (0.0 when blank or
            for a model without that output).
        probabilities: float32 array of shape (10,), each digit's calibrated probability given
            that the drawing is a digit (all zeros when blank).
        image: the float32 (28, 28) image the model saw, as returned by `digitrt.preprocess`.
    """

    digit: int | None
    confidence: float
    status: Status
    unsure: bool
    best_guess: int | None
    not_a_digit_score: float
    probabilities: npt.NDArray[np.float32] = field(repr=False, compare=False)
    image: npt.NDArray[np.float32] = field(repr=False, compare=False)

    @property
    def is_blank(self) -> bool:
        """True when the image held no ink and the model was not run."""
        return self.status == "blank"

    def top(self, k: int = 3) -> list[tuple[int, float]]:
        """The k (0-10) most probable digits with their probabilities, most probable first (also
        for a "not_a_digit" answer: what it would be if it were a digit)."""
        check_int("k", k, 0, 10)
        if self.status == "blank":
            return []
        order = np.argsort(self.probabilities)[::-1][:k]
        return [(int(d), float(self.probabilities[d])) for d in order]


def blank_prediction(image: npt.NDArray[np.float32]) -> Prediction:
    """The answer for an image without ink (the model is not run)."""
    probabilities = np.zeros(10, np.float32)
    probabilities.flags.writeable = False
    image.flags.writeable = False
    return Prediction(None, 0.0, "blank", False, None, 0.0, probabilities, image)


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

    def crop(self, image: npt.NDArray[np.uint8]) -> npt.NDArray[np.uint8]:
        """This digit cut out of `image` (the grey array that was read) as a sample to save or
        to `adapt` on: its box with SAMPLE_MARGIN of its height of paper on each side, where
        only the ink inside the box is kept (a touching neighbour's stroke reaching into the
        margin is painted over with the paper's grey, the median of the top and bottom rows)."""
        x, y, w, h = self.box
        m = int(h * SAMPLE_MARGIN)
        x0, y0 = max(0, x - m), max(0, y - m)
        crop = np.array(image[y0 : y + h + m, x0 : x + w + m])
        paper = np.median(np.concatenate([image[0], image[-1]]), axis=0)
        inside = np.zeros(crop.shape[:2], bool)
        inside[y - y0 : y - y0 + h, x - x0 : x - x0 + w] = True
        crop[~inside] = paper
        return crop


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

    @classmethod
    def of(cls, digits: list[DigitReading]) -> Reading:
        """The Reading of these digits: rejected marks left out of the text and confidence."""
        kept = [d for d in digits if d.status == "digit"]
        confidence = float(np.prod([d.confidence for d in kept])) if kept else 0.0
        return cls("".join(str(d.digit) for d in kept), digits, confidence)


def _fraction(name: str, value: object, none_ok: bool = False) -> float:
    """`value` as a float from 0 to 1, else a typed error naming `name`."""
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        extra = " or None" if none_ok else ""
        raise ArgumentTypeError(f"{name} must be a number from 0 to 1{extra}, got {value!r:.60}")
    if not 0.0 <= value <= 1.0:  # also refuses NaN
        raise ArgumentValueError(f"{name} must be from 0 to 1, got {value}")
    return float(value)


@dataclass(frozen=True)
class Decision:
    """How a model's scores become an answer: the not-a-digit threshold and the unsure mark.

    Attributes:
        reject: a drawing whose not-a-digit score reaches this is "not_a_digit"; NEVER_REJECT
            (1.0) never rejects.
        unsure_below: digits with a lower confidence are marked `unsure`.
    """

    reject: float = NEVER_REJECT
    unsure_below: float = UNSURE_BELOW

    @classmethod
    def for_model(cls, metadata: dict[str, str], has_not_a_digit: bool,
                  reject: float | None = None, unsure_below: float = UNSURE_BELOW) -> Decision:
        """The decision for a model: `reject` None takes the threshold shipped in its metadata;
        a model without a not-a-digit output never rejects.

        Raises:
            ArgumentTypeError, ArgumentValueError: a value is not a number from 0 to 1.
        """
        unsure_below = _fraction("unsure_below", unsure_below)
        if reject is None:
            reject = float(metadata.get(THRESHOLD_KEY, NEVER_REJECT))
        reject = _fraction("reject", reject, none_ok=True)
        return cls(reject if has_not_a_digit else NEVER_REJECT, unsure_below)

    def rejects(self, scores: npt.NDArray[np.float32]) -> npt.NDArray[np.bool_]:
        """Which not-a-digit scores are rejected (an array of them at once)."""
        return np.asarray(scores >= self.reject) & (self.reject < NEVER_REJECT)

    def decide(self, scored: npt.NDArray[np.float32], image: npt.NDArray[np.float32]) -> Prediction:
        """The Prediction for one image from its model row: ten probabilities, then the score."""
        probabilities = scored[:10]
        probabilities.flags.writeable = False
        image.flags.writeable = False
        # Python's max on ten floats: cheaper than NumPy's argmax when predict's caches are cold.
        values = scored.tolist()
        score = values.pop()
        confidence = max(values)
        digit = values.index(confidence)
        if score >= self.reject and self.reject < NEVER_REJECT:
            return Prediction(None, score, "not_a_digit", False, digit, score, probabilities, image)
        return Prediction(digit, confidence, "digit", confidence < self.unsure_below, digit, score,
                          probabilities, image)
