"""What training draws besides MNIST: the fonts it may use and the not-a-digit generators."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("PIL", reason="training needs the train extra")
from training import fonts, synth


def test_every_font_is_pinned_and_open_font_licensed():
    """Each committed font matches its pinned sha256 and ships with its SIL Open Font License;
    the held-out (test) and validation fonts are never training fonts, nor each other."""
    for name in fonts.SHA256:
        assert fonts.font_bytes(name)  # raises if missing or altered
        licence = (fonts.FOLDER / f"{name}.LICENSE").read_text(encoding="utf-8", errors="replace")
        assert "Open Font License" in licence, name
    assert not set(fonts.HELD_OUT) & set(fonts.TRAINING)
    assert not set(fonts.VALIDATION) & (set(fonts.TRAINING) | set(fonts.HELD_OUT))
    assert len(fonts.TRAINING) >= 20


@pytest.mark.parametrize("name", synth.TRAINING_NEGATIVES)
def test_training_negatives_draw_a_field_with_ink(name):
    """Every training not-a-digit generator draws 28x28 uint8 fields holding ink, and differs
    from draw to draw (the digit-based ones from font digits here: no MNIST needed)."""
    rng = np.random.default_rng(5)
    digits = np.stack([synth.font_digit(fonts.TRAINING[0], d, rng) for d in range(10)])
    a, b = (synth.negative(name, rng, fonts.TRAINING, digits) for _ in range(2))
    assert a.shape == (28, 28) and a.dtype == np.uint8
    assert a.max() > 100 and (a > 30).sum() >= 4
    assert not np.array_equal(a, b)


def test_hershey_glyphs_leave_out_digits_and_held_out_doodles():
    """The Hershey glyph generator never draws a digit (where a font's digit keys are digits) and
    every listed glyph draws ink; 'glyph' is a training generator, never a held-out one."""
    for font in ("greek", "cyrillic", "astrology"):  # their digit keys draw digits
        assert not set("0123456789") & set(synth.HERSHEY_GLYPHS.get(font, ""))
    rng = np.random.default_rng(6)
    for font, chars in synth.HERSHEY_GLYPHS.items():
        for char in chars:
            assert synth.hershey_glyph(font, char, rng).max() > 100, (font, char)
    assert "glyph" in synth.TRAINING_NEGATIVES and "glyph" not in synth.HELD_OUT_NEGATIVES


@pytest.mark.slow
def test_icons_are_pinned_isc_licensed_and_leave_out_held_out_kinds():
    """The committed icons match their pinned sha256 and ship with Lucide's ISC licence; no kept
    icon is of a held-out kind (hearts, houses, suns, waves, spirals, by name or tag) or listed
    as digit-like; every kept icon has strokes inside its 24 x 24 grid."""
    from training import icons

    assert "ISC License" in (icons.FOLDER / "lucide.LICENSE").read_text()
    kept = icons.kept()
    assert len(kept) > 1000
    everything = icons.all_icons()
    for name in kept:
        assert not icons.held_out_kind(name, everything[name]["tags"]), name
        assert name not in icons.DIGIT_LIKE and not any(c.isdigit() for c in name)
        points = np.concatenate([np.asarray(s) for s in icons.strokes(name)])
        assert points.min() >= -1 and points.max() <= 25, name
    assert icons.held_out_kind("heart", []) and icons.held_out_kind("castle", ["home"])
    assert "icon" in synth.TRAINING_NEGATIVES and "icon" not in synth.BASE_NEGATIVES


def test_skeleton_paths_follow_each_stroke_between_junctions():
    """A T's skeleton: three paths (the bar's two halves and the stem), each in order from its
    end, each reaching into the junction (the pixels with three neighbours or more), together
    every pixel but the junction's centre, which the pen's width covers."""
    skel = np.zeros((20, 20), bool)
    skel[3, 3:16] = True  # the bar
    skel[4:17, 9] = True  # the stem, meeting the bar at (x, y) = (9, 3)
    paths = synth.skeleton_paths(skel)
    assert sorted(len(p) for p in paths) == [6, 6, 13]
    for p in paths:
        assert (np.abs(np.diff(p, axis=0)).max(axis=1) == 1).all()  # neighbours, in order
        assert np.hypot(*(p[[0, -1]] - (9, 3)).T).min() <= 1.5  # one end at the junction
    drawn = {tuple(q) for p in paths for q in p.astype(int)}
    assert drawn == {(x, y) for y, x in zip(*np.nonzero(skel), strict=True)} - {(9, 3)}

