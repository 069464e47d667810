"""Atoms: the pieces of ink on a picture of a number, left to right, that digits are made of.

Ink is found as `preprocess` finds it, on a working copy about 100-200 px tall; specks are
dropped, rules taken out (`rules.py`), separators (dots, commas, dashes) skipped, strokes of one
digit merged, and groups wider than a digit cut at the minima of their column profile.
"""

from __future__ import annotations

import itertools
import math
import statistics
from typing import NamedTuple

import numpy as np
import numpy.typing as npt

from .._cv import cv2
from .._decision import Box
from .._errors import ImageError
from .._preprocess import (
    NOISE_LEVEL,
    UNEVEN_LEVEL,
    border_levels,
    faint_on_clean_paper,
    flatten_light,
    halve,
    ink_relative_to,
    paper_border,
    paper_noise,
)
from .rules import BOX_LENGTH, find_rules

# Ink fainter than this (grey levels from the paper) is stretched to it before the atoms are cut.
FAINT_INK = 120

Atom = tuple[Box, tuple[int, ...]]  # a box and the connected components whose ink it holds
WORK_HEIGHT = 100  # the working copy is halved while it is taller than twice this
SEPARATOR_HEIGHT = 0.45  # marks lower than this share of the line height are separators
SPLIT_WIDTH = 0.65  # groups wider than this many line heights are cut into atoms...
ATOM_WIDTH = 0.25  # ...about this wide (over-segmented: the DP joins the pieces of each digit)
FULL_HEIGHT = 0.75  # strokes this tall (in line heights) are digits, not pieces of one
MAX_MARKS = 300  # more separate marks than this are refused (ImageError): not a number
MAX_WORK_PIXELS = 4_000_000  # nor is a working copy larger than this (ImageError)
PRINT_BLUR = 5  # a print deeper than NOISE_LEVEL is averaged out over this many working pixels
#                 before it becomes paper: on its fine lines thin strokes broke into dots
HANG = 0.1  # a mark starting in the lower half of the line and reaching this far below it is a
#             comma (a share of its nearest digit's height)


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
            background, spread = border_levels(small)
    small, background = _paper_taken_out(small, background, spread)
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
        rules = find_rules(mask, line)
        if rules is not None:
            ruled = True
            small = np.where(cv2.dilate(rules, RIM) > 0, np.uint8(background), small)
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


def _paper_taken_out(small: npt.NDArray[np.uint8], background: int,
                     spread: int) -> tuple[npt.NDArray[np.uint8], int]:
    """The working copy with its paper evened out, and the paper's level: a print deeper than
    NOISE_LEVEL (a cheque's) averaged out over PRINT_BLUR pixels, then painted as paper; faint
    ink on clean paper (a pencil, a light pen; preprocess's faint path) stretched away from the
    paper until it is FAINT_INK from it."""
    noise = paper_noise(small, background, spread)
    if noise > NOISE_LEVEL:
        blurred = cv2.blur(small, (PRINT_BLUR, PRINT_BLUR)).astype(np.uint8, copy=False)
        background, spread = border_levels(blurred)
        noise = paper_noise(blurred, background, spread)
        paper = cv2.absdiff(blurred, np.full_like(blurred, background)) <= noise
        painted = np.where(paper, np.uint8(background), blurred).astype(np.uint8, copy=False)
        return painted, background
    darkest, lightest, _, _ = cv2.minMaxLoc(small)
    contrast = max(background - darkest, lightest - background)
    if contrast >= FAINT_INK:
        return small, background
    _, q1, q3, _ = paper_border(small, background)  # the paper as `preprocess` judges faint ink
    if not faint_on_clean_paper(contrast, int(q3 - q1)):
        return small, background
    stretched = background + (small.astype(np.float32) - background) * (FAINT_INK / contrast)
    return np.clip(stretched, 0, 255).astype(np.uint8), background


def _components(mask: npt.NDArray[np.uint8]) -> tuple[npt.NDArray[np.int32], list[Atom]]:
    """Connected components of the ink and their boxes; specks (under 3 pixels) left out.

    Raises:
        ImageError: more than MAX_MARKS marks: not a number (a grid of dots, a dashed line,
            noise); reading them all would take time and memory without bound.
    """
    # 16-bit labels: OpenCV gathers their stats faster than with 32-bit ones, and they hold
    # every component a mask this size can have.
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


def _merge_overlapping(comps: list[Atom], line: float) -> list[Atom]:
    """Join strokes that overlap in x by half the narrower one, unless both are full-height
    strokes (a 1 leaning on its neighbour is a digit of its own)."""
    groups: list[Atom] = []
    for (x, y, w, h), ids in comps:
        if groups:
            (gx, gy, gw, gh), gids = groups[-1]
            overlap = min(gx + gw, x + w) - max(gx, x)
            if overlap >= 0.5 * min(w, gw) and min(h, gh) < FULL_HEIGHT * line:
                groups[-1] = (union([(gx, gy, gw, gh), (x, y, w, h)]), gids + ids)
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


def own_ink(small: npt.NDArray[np.uint8], labels: npt.NDArray[np.int32], box: Box,
             ids: list[int], background: int) -> npt.NDArray[np.uint8]:
    """The crop of `box` holding only the ink of components `ids` (and its antialiased rim):
    a neighbour's stroke reaching into the box is painted over with paper."""
    x, y, w, h = box
    crop = small[y : y + h, x : x + w]
    own = strokes_of(labels, box, ids)
    if not ((labels[y : y + h, x : x + w] > 0) > own).any():  # no other stroke reaches in
        return crop
    return np.where(cv2.dilate(own, RIM) > 0, crop, np.uint8(background))


RIM = np.ones((3, 3), np.uint8)


def ids_of(atoms: list[Atom]) -> list[int]:
    """The connected components whose ink the atoms hold."""
    return sorted({k for a in atoms for k in a[1]})


def strokes_of(labels: npt.NDArray[np.int32], box: Box, ids: list[int]) -> npt.NDArray[np.uint8]:
    """1 where a pixel of `box` belongs to one of the components `ids`, else 0."""
    x, y, w, h = box
    part = labels[y : y + h, x : x + w]
    keep = np.zeros(int(part.max()) + 1, np.uint8)
    keep[[i for i in ids if i < len(keep)]] = 1
    return keep[part]


def stroke_groups(atoms: list[Atom]) -> list[tuple[int, int]]:
    """(first, last) atom of each run of atoms cut from one stroke group (same components)."""
    runs: list[tuple[int, int]] = []
    for k, (_, ids) in enumerate(atoms):
        if runs and atoms[runs[-1][0]][1] == ids:
            runs[-1] = (runs[-1][0], k)
        else:
            runs.append((k, k))
    return runs


def apart(left: Box, right: Box, line: float) -> bool:
    """Two full-height marks with paper between them."""
    return (right[0] > left[0] + left[2] and min(left[3], right[3]) >= FULL_HEIGHT * line)


def union(boxes: list[Box]) -> Box:
    """The box around `boxes`."""
    x0, y0 = min(b[0] for b in boxes), min(b[1] for b in boxes)
    x1, y1 = max(b[0] + b[2] for b in boxes), max(b[1] + b[3] for b in boxes)
    return x0, y0, x1 - x0, y1 - y0


def to_input(box: Box, factor: int) -> Box:
    """A working-copy box in the input's pixels."""
    x, y, w, h = box
    return x * factor, y * factor, w * factor, h * factor
