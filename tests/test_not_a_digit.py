"""Not a digit: the status, the knob, the CLI and the window's state (model v2)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

from digitrt import Recognizer
from training.strokes import draw_digit


def doodle(kind: str) -> np.ndarray:
    """The drawings a new user tried (issue #14): a dot, an asterisk, a zigzag, a plus sign."""
    canvas = np.full((280, 280), 160, np.uint8)
    if kind == "dot":
        cv2.circle(canvas, (140, 140), 12, 0, -1, cv2.LINE_AA)
    elif kind == "asterisk":
        for a in (0, 60, 120):
            c, s = 80 * np.cos(np.radians(a)), 80 * np.sin(np.radians(a))
            cv2.line(canvas, (int(140 - c), int(140 - s)), (int(140 + c), int(140 + s)), 0, 14,
                     cv2.LINE_AA)
    elif kind == "zigzag":
        pts = np.array([(40 + 40 * i, 100 if i % 2 else 180) for i in range(6)], np.int32)
        cv2.polylines(canvas, [pts], False, 0, 14, cv2.LINE_AA)
    else:  # plus
        cv2.line(canvas, (60, 140), (220, 140), 0, 16, cv2.LINE_AA)
        cv2.line(canvas, (140, 60), (140, 220), 0, 16, cv2.LINE_AA)
    return canvas


@pytest.mark.parametrize("kind", ["dot", "asterisk", "zigzag", "plus"])
def test_doodles_are_not_digits(recognizer, kind):
    """A dot, an asterisk, a zigzag and a plus sign are answered not_a_digit, with no digit but a
    best guess and the ten probabilities still there."""
    p = recognizer.predict(doodle(kind))
    assert p.status == "not_a_digit" and p.digit is None
    assert p.best_guess is not None and p.probabilities.sum() == pytest.approx(1, abs=1e-4)
    assert p.confidence == p.not_a_digit_score >= recognizer.decision.reject


def test_the_reject_knob(recognizer):
    """reject=1.0 turns rejection off (the best guess becomes the digit); the default comes from
    the model's metadata."""
    never = Recognizer(recognizer.model, reject=1.0)
    p = never.predict(doodle("zigzag"))
    assert p.status == "digit" and p.digit == p.best_guess
    assert recognizer.decision.reject == float(recognizer.metadata["not_a_digit_threshold"]) < 1


def test_the_model_cards_rejection_by_kind(recognizer):
    """training.evaluate's per-kind figures: the share of a kind rejected, and the digit the
    accepted ones are read as (none when all are rejected)."""
    from digitrt import preprocess
    from training.evaluate import by_kind

    kinds = {"three": np.stack([preprocess(draw_digit(3, width=w)) for w in (14, 18, 22)])[..., None],
             "zigzag": np.stack([preprocess(doodle("zigzag"))] * 2)[..., None]}
    rejected, read_as, accepted = by_kind(recognizer.model, kinds)
    assert rejected == {"three": 0.0, "zigzag": 1.0}
    assert read_as == {"three": 3}
    assert len(accepted["three"]) == 3 and len(accepted["zigzag"]) == 0


def test_digits_are_rarely_rejected(recognizer, mnist_subset):
    """the 2,000-digit MNIST test sample, raw and on canvases: at most 0.5 % rejected (the
    model card's 10k figures: 0.29 % and 0.58 %)."""
    from training.augment import render_on_canvas

    rng = np.random.default_rng(11)
    canvases = [render_on_canvas(im, rng) for im in mnist_subset.test_images]
    for images in (mnist_subset.test_images, canvases):
        statuses = [p.status for p in recognizer.predict_batch(images)]
        assert statuses.count("not_a_digit") <= 0.005 * len(statuses)


def test_confident_answers_are_right(recognizer, mnist_subset):
    """Calibration, in the way a user meets it: on the 2,000-digit test sample on canvases, answers
    given with confidence >= 0.9 are right at least 99.5 % of the time."""
    from training.augment import render_on_canvas

    rng = np.random.default_rng(12)
    canvases = [render_on_canvas(im, rng) for im in mnist_subset.test_images]
    results = recognizer.predict_batch(canvases)
    confident = [(p.digit == y) for p, y in zip(results, mnist_subset.test_labels, strict=True)
                 if p.status == "digit" and p.confidence >= 0.9]
    assert np.mean(confident) >= 0.995


def test_cli_says_not_a_digit(tmp_path):
    """The CLI: --json carries status not_a_digit and the best guess; text says 'not a digit'."""
    path = tmp_path / "zigzag.png"
    cv2.imwrite(str(path), doodle("zigzag"))
    out = subprocess.run([sys.executable, "-m", "digitrt", "predict", "--json", str(path)],
                         capture_output=True, text=True, timeout=120)
    record = json.loads(out.stdout)
    assert record["status"] == "not_a_digit" and record["digit"] is None
    assert 0 <= record["best_guess"] <= 9
    text = subprocess.run([sys.executable, "-m", "digitrt", "predict", str(path)],
                          capture_output=True, text=True, timeout=120).stdout
    assert "not a digit" in text


def test_window_states_are_distinct(qtbot, tmp_path):
    """The window's blank, not-a-digit, unsure and sure states read differently."""
    pytest.importorskip("PyQt6", reason="the GUI needs the gui extra (PyQt6)")
    from gui.window import MainWindow

    window = MainWindow("cnn", tmp_path / "samples")
    qtbot.addWidget(window)
    rec = window.recognizer
    window.show_prediction(rec.predict(np.full((280, 280), 160, np.uint8)))
    blank = (window.digit_label.text(), window.verdict.text())
    window.show_prediction(rec.predict(doodle("zigzag")))
    rejected = (window.digit_label.text(), window.verdict.text())
    window.show_prediction(rec.predict(draw_digit(4)))
    sure = (window.digit_label.text(), window.verdict.text())
    unsure = Recognizer(rec.model, unsure_below=1.0).predict(draw_digit(4, width=3))
    window.show_prediction(unsure)
    assert blank[0] == "–" and "Draw a digit" in blank[1]
    assert rejected[0] == "?" and "Not a digit" in rejected[1]
    assert sure[0] == "4" and "confidence" in sure[1]
    if unsure.unsure:
        assert "Not sure" in window.verdict.text()


def test_two_models_compared_digit_by_digit(recognizer, mnist_subset):
    """training.evaluate's `--paired` figures: per set and pooled, the digits only one model
    reads right; a model against itself differs nowhere, and against model v1 the counts add up
    to the two models' accuracies."""
    from digitrt import Model, preprocess
    from training.evaluate import paired_figures

    x = np.stack([preprocess(im) for im in mnist_subset.test_images[:300]])[..., None]
    y = mnist_subset.test_labels[:300]
    sets = ({"a": (x[:150], y[:150], np.zeros(150)), "b": (x[150:], y[150:], np.zeros(150))}, {})
    same = paired_figures(recognizer.model, recognizer.model, sets)
    assert same["pooled"]["only_before"] == same["pooled"]["only_now"] == 0
    v1 = Model(Path(__file__).parent.parent / "benchmarks" / "baseline" / "digit_cnn_v1.onnx")
    both = paired_figures(v1, recognizer.model, sets)
    right = [int((m.run_scored(x)[:, :10].argmax(1) == y).sum()) for m in (v1, recognizer.model)]
    pooled = both["pooled"]
    assert pooled["numbers"] == 300 and pooled["only_now"] - pooled["only_before"] == right[1] - right[0]
    assert sum(both[k]["only_before"] for k in "ab") == pooled["only_before"]
