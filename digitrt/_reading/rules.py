"""Rules: underlines, ruled lines, boxes and combs found on a picture of a number, to be painted
over with paper before the digits are looked for."""

from __future__ import annotations

import itertools
from typing import NamedTuple

import numpy as np
import numpy.typing as npt

from .._cv import cv2

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


def find_rules(mask: npt.NDArray[np.uint8], line: float) -> npt.NDArray[np.uint8] | None:
    """1 on the ink of rules (see RULE_ENDS and the constants after it), a box's sides with its
    top and bottom; None where there are none. A rule's band of ink (around the curve fitted to
    its centre where it is clear) is taken except where a stroke crosses it (ink on both sides):
    digits touching or crossing it keep their strokes."""
    found = [rule for box in _long_runs(mask, line) if (rule := _measure(mask, box, line))]
    rules = np.zeros(mask.shape, np.uint8)
    _mark_boxes(rules, mask, found, line)
    _mark_lines(rules, mask, found, line)
    return rules if rules.any() else None


def _long_runs(mask: npt.NDArray[np.uint8], line: float) -> list[tuple[int, int, int, int]]:
    """The boxes (x, y, w, h) of runs of ink BOX_LENGTH long or more that reach along the whole
    number: where rules may be."""
    # Found in a copy at half the size (faster), its ink widened up and down so that a
    # slanting rule makes one run.
    height, width = mask.shape
    half = np.ascontiguousarray(cv2.dilate(mask, np.ones((2, 2), np.uint8), anchor=(0, 0))[::2, ::2])
    run = np.ones((1, max(1, round(BOX_LENGTH * line / 2))), np.uint8)
    reach = max(1, round(RULE_SLANT * run.shape[1] / 2))
    band = cv2.erode(cv2.dilate(half, np.ones((2 * reach + 1, 1), np.uint8)), run)
    if not band.any():
        return []
    band = cv2.dilate(band, run)
    _, _, stats, _ = cv2.connectedComponentsWithStats(band, connectivity=8)
    stats[:, :4] *= 2
    stats[:, 2] = np.minimum(stats[:, 2], width - stats[:, 0])
    stats[:, 3] = np.minimum(stats[:, 3], height - stats[:, 1])
    inked = np.flatnonzero(mask.any(axis=0))
    ends = inked[0] + RULE_ENDS * line, inked[-1] - RULE_ENDS * line
    # (runs not along the whole number are strokes of neighbouring digits)
    return [(x, y, w, h) for x, y, w, h, _area in stats[1:].tolist()
            if x <= ends[0] and x + w - 1 >= ends[1]]


def _measure(mask: npt.NDArray[np.uint8], box: tuple[int, int, int, int], line: float
             ) -> Rule | None:
    """The rule in a long run's box, if its centre is straight enough (or bows and wobbles as a
    freehand underline does), measured on its columns with no other ink within RULE_CLEAR line
    heights: one thin run each, no thicker than most of them."""
    height = mask.shape[0]
    x, y, w, h = box
    clear = round(RULE_CLEAR * line)
    y0, y1 = max(0, y - clear), min(height, y + h + clear)
    window = mask[y0:y1, x : x + w] > 0
    counts = window.sum(axis=0)
    first = window.argmax(axis=0)
    last = y1 - y0 - 1 - window[::-1].argmax(axis=0)
    thin = (counts > 0) & (last - first + 1 == counts) & (counts <= RULE_THICKNESS * line)
    if thin.sum() < max(0.1 * w, 0.25 * line, 3):
        return None
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
        return None  # a digit's curve, or the strokes of several
    # The rule's band: the fitted curve, as thick as the rule and its wobble.
    path = np.asarray(np.polyval((bend, slope, offset), np.arange(w)), np.float64)
    offsets = np.arange(height)[:, None] - path[None, :]
    near = np.abs(offsets) <= thickness / 2 + 1 + 2 * wobble
    ink = mask[:, x : x + w] > 0
    beside = ~near & ink & (np.abs(offsets) <= thickness / 2 + 1 + clear)
    crossed = np.asarray((beside & (offsets < 0)).any(axis=0)
                         & (beside & (offsets > 0)).any(axis=0))
    return Rule(x, x + w - 1, path, thickness, near & ink & ~crossed[None, :], freehand)


def _mark_boxes(rules: npt.NDArray[np.uint8], mask: npt.NDArray[np.uint8], found: list[Rule],
                line: float) -> None:
    """Mark boxes: a straight top and bottom, ends aligned, with their sides and a comb's walls."""
    for top, bottom in itertools.permutations(found, 2):
        if (top.path[0] < bottom.path[0] - 0.5 * line and not (top.freehand or bottom.freehand)
                and abs(top.first - bottom.first) <= 0.3 * line
                and abs(top.last - bottom.last) <= 0.3 * line):
            _box_sides(rules, mask, top, bottom)
            for r in (top, bottom):
                rules[:, r.first : r.last + 1] |= r.ink


def _mark_lines(rules: npt.NDArray[np.uint8], mask: npt.NDArray[np.uint8], found: list[Rule],
                line: float) -> None:
    """Mark underlines and ruled lines: under the ink, or past both its ends."""
    for r in found:
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


class Rule(NamedTuple):
    """A rule found by `_measure`."""

    first: int  # its first and last column
    last: int
    path: npt.NDArray[np.float64]  # its centre's row in each of its columns
    thickness: float
    ink: npt.NDArray[np.bool_]  # the pixels to take out, in its columns (every row)
    freehand: bool  # not straight: bowed or wobbling


def _box_sides(rules: npt.NDArray[np.uint8], mask: npt.NDArray[np.uint8], top: Rule,
               bottom: Rule) -> None:
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
