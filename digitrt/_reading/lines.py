"""The sequence model's side of the reader: a line of digits as one image, read frame by frame.

The sequence model (training/sequence.py, `digit_sequence.onnx`) reads the atoms' own ink scaled
to LINE_HEIGHT px tall with a small CNN over FRAME-px frames, CTC decoded greedily; each digit's
box is the run of ink around its frames, bounded by the midpoints to its neighbours' frames.
"""

from __future__ import annotations

import itertools
import math
import threading
from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from .._cv import cv2
from .._decision import Box, DigitReading
from .._image import ImageInput, to_grey
from .._model import open_session
from .._models import SEQUENCE_FILE, bundled_file
from .._preprocess import NOISE_LEVEL, ink_relative_to
from .atoms import RIM, Atom, find_atoms, ids_of, strokes_of, to_input, union

LINE_HEIGHT = 32  # the sequence model's input height (pixels)
LINE_MARGIN = 2  # paper kept above and below the ink, in those pixels
FULL_INK = 255 - NOISE_LEVEL  # the ink of black on white paper, as `ink_relative_to` gives it


def line_image(atoms: list[Atom], small: npt.NDArray[np.uint8], labels: npt.NDArray[np.int32],
               background: int) -> tuple[npt.NDArray[np.float32], Box, float]:
    """What the sequence model reads: the atoms' own ink (separators and specks left out), ink
    bright on 0 in [0, 1], scaled to LINE_HEIGHT px tall, aspect kept; with the crop box (in
    working-copy pixels) and the scale from it to the line image."""
    box = union([a[0] for a in atoms])
    x, y, w, h = box
    own = cv2.dilate(strokes_of(labels, box, ids_of(atoms)), RIM) > 0
    ink = np.where(own, ink_relative_to(small[y : y + h, x : x + w], background), 0)
    peak = int(ink.max())
    if 0 < peak < FULL_INK:  # faint ink (a light pen, a pale scan): as strong as black on white
        ink = np.minimum(ink * (FULL_INK / peak), FULL_INK)
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
Frames = tuple[npt.NDArray[np.float32], Box, float]  # per-frame probabilities [T, 11], and
#                                                      line_image's crop box and scale


class LineModel:
    """The bundled sequence model in an onnxruntime session, built on first use under a lock
    (once, however many threads ask at once; onnxruntime sessions may be run from several).

    Args:
        threads: onnxruntime intra-op threads, as for the classifier.
        providers: onnxruntime execution providers, as for the classifier.
    """

    def __init__(self, threads: int = 1,
                 providers: Sequence[str] = ("CPUExecutionProvider",)) -> None:
        self.threads, self.providers = threads, tuple(providers)
        self._lock = threading.Lock()
        self._session: Any = None
        self._metadata: dict[str, str] = {}

    def session(self) -> Any:
        """The onnxruntime session (ModelError when the file is missing or broken)."""
        with self._lock:
            if self._session is None:
                session = open_session(bundled_file(SEQUENCE_FILE, "sequence model"),
                                       "the sequence model", self.threads, self.providers)
                self._metadata = dict(session.get_modelmeta().custom_metadata_map)
                self._session = session
            return self._session

    @property
    def metadata(self) -> dict[str, str]:
        """The sequence model's metadata (the reader's thresholds among it)."""
        self.session()
        return self._metadata

    def frames(self, atoms: list[Atom], small: npt.NDArray[np.uint8],
               labels: npt.NDArray[np.int32], background: int) -> Frames | None:
        """The per-frame probabilities of the atoms' line, with its box and scale (None for a
        line longer than MAX_LINE: about 50 digits)."""
        line, box, scale = line_image(atoms, small, labels, background)
        if line.shape[1] > MAX_LINE:
            return None
        return self.session().run(None, {"line": line[None, :, :, None]})[0][0], box, scale


_shared: dict[tuple[int, tuple[str, ...]], LineModel] = {}
_shared_lock = threading.Lock()


def shared_line_model(threads: int, providers: Sequence[str]) -> LineModel:
    """One LineModel per process for these settings, shared by every recognizer using them."""
    key = (threads, tuple(providers))
    with _shared_lock:
        return _shared.setdefault(key, LineModel(threads, providers))


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


def read_line(seen: Frames, atoms: list[Atom], labels: npt.NDArray[np.int32], factor: int,
              unsure_below: float) -> list[DigitReading]:
    """The line as the sequence model reads it: one DigitReading per decoded digit, its box the
    ink under its frames."""
    frames, (x, y, w, h), scale = seen
    ink = strokes_of(labels, (x, y, w, h), ids_of(atoms)) > 0
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
        digits.append(DigitReading(digit, confidence, "digit", to_input(box, factor),
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
    if not found.atoms:
        return None
    return line_image(found.atoms, found.small, found.labels, found.background)[0]
