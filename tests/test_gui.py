"""The drawing window, driven by real mouse and key events (pytest-qt, offscreen)."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

pytest.importorskip("PyQt6", reason="the GUI needs the gui extra (PyQt6)")
import itertools

from PyQt6.QtCore import QPoint, Qt
from PyQt6.QtTest import QTest

from gui.canvas import qimage_to_array
from gui.window import THROTTLE_MS, MainWindow
from training.strokes import STROKES, draw_digit

BOX = (70, 40, 140, 200)  # where the test draws, in canvas pixels (x, y, w, h)


def stroke_points(digit, steps=4, box=BOX):
    """The digit's strokes as canvas points, with extra points between vertices."""
    x0, y0, w, h = box
    strokes = []
    for stroke in STROKES[digit]:
        pts = [(x0 + x * w, y0 + y * h) for x, y in stroke]
        dense = []
        for (ax, ay), (bx, by) in itertools.pairwise(pts):
            dense += [QPoint(round(ax + (bx - ax) * t / steps), round(ay + (by - ay) * t / steps))
                      for t in range(steps)]
        dense.append(QPoint(round(pts[-1][0]), round(pts[-1][1])))
        strokes.append(dense)
    return strokes


def draw(qtbot, canvas, points):
    left, none = Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
    QTest.mousePress(canvas, left, none, points[0])
    for p in points[1:]:
        QTest.mouseMove(canvas, p)
    QTest.mouseRelease(canvas, left, none, points[-1])


def draw_digit_with_mouse(qtbot, window, digit):
    for stroke in stroke_points(digit):
        draw(qtbot, window.canvas, stroke)


def show(qtbot, window):
    """Show and activate the window, as a user's click would: its shortcuts need it active."""
    qtbot.addWidget(window)
    window.show()
    window.activateWindow()
    qtbot.waitActive(window)
    return window


@pytest.fixture
def window(qtbot, tmp_path):
    return show(qtbot, MainWindow("cnn", tmp_path / "samples"))


@pytest.mark.parametrize("digit", [1, 7, 0])
def test_drawing_with_the_mouse_shows_the_digit(qtbot, window, digit):
    """Press/move/release along a path draws the digit and the window shows it."""
    draw_digit_with_mouse(qtbot, window, digit)
    assert window.last_prediction is not None and window.last_prediction.digit == digit
    assert window.digit_label.text() == str(digit)
    assert window.bars.winner == digit
    assert "µs" in window.status_text.text()
    ink = qimage_to_array(window.canvas.image())
    assert ink.min() == 0 and np.median(ink) == 160  # black pen on grey paper


def test_blank_state_before_drawing(window):
    """A fresh window shows the neutral 'draw a digit' state, no stale prediction."""
    assert window.digit_label.text() == "–"
    assert "Draw a digit" in window.verdict.text()
    assert window.bars.winner is None and not window.bars.probabilities.any()


def test_throttling_predicts_far_less_often_than_mouse_moves(qtbot, window):
    """A long stroke of many moves triggers few timer predictions, and one more on release."""
    points = [QPoint(100 + (i % 40), 40 + i) for i in range(200)]
    left, none = Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
    QTest.mousePress(window.canvas, left, none, points[0])
    moves = 0
    for p in points[1:]:
        QTest.mouseMove(window.canvas, p)
        moves += 1
        if moves % 20 == 0:
            qtbot.wait(THROTTLE_MS + 10)  # let the throttle timer fire now and then
    during = window.prediction_count
    assert 1 <= during <= moves / 10
    QTest.mouseRelease(window.canvas, left, none, points[-1])
    assert window.prediction_count == during + 1  # the final prediction, at once on release
    assert not window.timer.isActive()


def test_clear_and_undo_restore_previous_states(qtbot, window):
    """Undo removes the last stroke; clear blanks the canvas; undo after clear brings it back."""
    first, second = stroke_points(4)
    draw(qtbot, window.canvas, first)
    after_first = qimage_to_array(window.canvas.image()).copy()
    draw(qtbot, window.canvas, second)
    assert window.last_prediction.digit == 4
    QTest.keyClick(window, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert np.array_equal(qimage_to_array(window.canvas.image()), after_first)
    QTest.keyClick(window, Qt.Key.Key_Escape)
    assert window.digit_label.text() == "–" and window.last_prediction.digit is None
    assert qimage_to_array(window.canvas.image()).min() == 160
    window.undo()
    assert np.array_equal(qimage_to_array(window.canvas.image()), after_first)
    window.undo()
    window.undo()
    assert window.last_prediction.digit is None  # back to the empty canvas


def test_digit_key_saves_a_unique_png_in_the_digit_folder(qtbot, window):
    """Pressing 7 saves a PNG under samples/7/; pressing it again on the same drawing saves no
    duplicate; after another stroke it saves a second file under a unique name."""
    draw_digit_with_mouse(qtbot, window, 7)
    QTest.keyClick(window, Qt.Key.Key_7)
    QTest.keyClick(window, Qt.Key.Key_7)
    assert len(list((window.samples_dir / "7").glob("*.png"))) == 1
    assert "Already saved as a 7" in window.statusBar().currentMessage()
    draw(qtbot, window.canvas, [QPoint(60, 250), QPoint(90, 252)])
    QTest.keyClick(window, Qt.Key.Key_7)
    files = sorted((window.samples_dir / "7").glob("*.png"))
    assert len(files) == 2 and files[0].name != files[1].name
    saved = cv2.imread(str(files[0]), cv2.IMREAD_GRAYSCALE)
    assert saved.shape[0] == saved.shape[1] >= 280 and saved.min() == 0
    assert window.sample_counts()[7] == 2 and window.bars.counts[7] == 2


def test_clicking_a_bar_saves_under_that_digit(qtbot, window):
    """Clicking the bar of digit 1 saves the drawing as a 1."""
    draw_digit_with_mouse(qtbot, window, 1)
    QTest.mouseClick(window.bars, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
                     QPoint(50, int(window.bars.ROW * 1.5)))
    assert len(list((window.samples_dir / "1").glob("*.png"))) == 1


def test_unwritable_samples_folder_shows_an_error(qtbot, tmp_path):
    """Samples folder under a regular file (unwritable for everyone, root included): an error
    is shown, nothing crashes, earlier samples are kept."""
    blocker = tmp_path / "blocker"
    blocker.write_text("a file, not a folder")
    window = MainWindow("cnn", blocker / "samples")
    show(qtbot, window)
    draw_digit_with_mouse(qtbot, window, 1)
    QTest.keyClick(window, Qt.Key.Key_1)
    assert not window.error_label.isHidden() and "Could not save" in window.error_label.text()
    assert blocker.read_text() == "a file, not a folder"
    window.clear()
    draw_digit_with_mouse(qtbot, window, 7)  # still alive and predicting
    assert window.last_prediction.digit == 7


def test_switching_the_model_repredicts(qtbot, window):
    """Choosing the MLP re-predicts the current drawing with it."""
    draw_digit_with_mouse(qtbot, window, 7)
    before = window.prediction_count
    window.model_box.setCurrentIndex(window.model_box.findData("mlp"))
    assert window.prediction_count == before + 1
    assert window.recognizer.name == "digit_mlp"
    assert window.last_prediction.digit == 7
    assert "MLP" in window.status_text.text()


def test_open_image_file_and_bad_file(qtbot, window, tmp_path):
    """Opening an image shows its prediction; a broken file shows an error, no crash."""
    good = tmp_path / "three.png"
    cv2.imwrite(str(good), draw_digit(3, background=255))
    window.open_image(good)
    assert window.last_prediction.digit == 3 and window.digit_label.text() == "3"
    bad = tmp_path / "broken.png"
    bad.write_bytes(b"\x89PNG broken")
    window.open_image(bad)
    assert not window.error_label.isHidden() and "broken.png" in window.error_label.text()
    assert window.digit_label.text() == "3"


def test_bad_model_path_is_shown_and_bundled_models_still_work(qtbot, tmp_path):
    """--model with a missing file: the error is shown in the window, CNN and MLP remain."""
    window = MainWindow(str(tmp_path / "nope.onnx"), tmp_path / "samples")
    qtbot.addWidget(window)
    assert "nope.onnx" in window.error_label.text()
    assert window.recognizer is not None
    draw_digit_with_mouse(qtbot, window, 1)
    assert window.last_prediction.digit == 1


def test_pen_width_keys_and_slider(qtbot, window):
    """[ and ] change the pen width within 6-40 px."""
    start = window.canvas.pen_width
    QTest.keyClicks(window, "]")
    assert window.canvas.pen_width == start + 2
    for _ in range(30):
        QTest.keyClicks(window, "[")
    assert window.canvas.pen_width == 6 and window.pen_slider.value() == 6


def test_qimage_to_array_is_a_view(window):
    """The canvas conversion shares the QImage's memory (no copy)."""
    image = window.canvas.image()
    a = qimage_to_array(image)
    assert a.shape == (image.height(), image.width()) and not a.flags.owndata


def test_save_without_drawing_explains(qtbot, window):
    """A digit key on an empty canvas saves nothing and says why."""
    QTest.keyClick(window, Qt.Key.Key_5)
    assert not (window.samples_dir / "5").exists()
    assert "draw a digit first" in window.error_label.text()


def test_model_path_is_selected_and_listed(qtbot, tmp_path):
    """--model PATH loads that file, shows it in the model box and uses it."""
    import digitrt

    path = digitrt.Recognizer("mlp").path
    window = MainWindow(str(path), tmp_path / "samples")
    qtbot.addWidget(window)
    assert window.recognizer.path == path
    assert window.model_box.currentData() == str(path)
    draw_digit_with_mouse(qtbot, window, 7)
    assert window.last_prediction.digit == 7


def test_headline_and_bar_round_the_confidence_alike(qtbot, window):
    """The headline quotes the confidence with the bars' rounding (one decimal), never 100 %
    next to a bar of 99.6 %."""
    draw_digit_with_mouse(qtbot, window, 4)
    p = window.last_prediction
    assert f"{p.confidence:.1%}" in window.verdict.text()


def test_clear_removes_the_saved_message_and_ctrl_q_closes(qtbot, window):
    """After saving, Clear removes "Saved as ..." from the status bar; Ctrl+Q closes the window."""
    draw_digit_with_mouse(qtbot, window, 1)
    QTest.keyClick(window, Qt.Key.Key_1)
    assert window.statusBar().currentMessage().startswith("Saved as a 1")
    QTest.keyClick(window, Qt.Key.Key_Escape)
    assert window.statusBar().currentMessage() == ""
    QTest.keyClick(window, Qt.Key.Key_Q, Qt.KeyboardModifier.ControlModifier)
    assert not window.isVisible()


def test_model_box_lists_every_bundled_model(window):
    """The model box offers each model of the registry, under its label."""
    import digitrt

    labels = [window.model_box.itemText(i) for i in range(window.model_box.count())]
    assert labels == [spec.label for spec in digitrt.list_models()]


def test_no_display_is_one_line_and_exit_1():
    """Without DISPLAY/WAYLAND_DISPLAY (and no Qt platform chosen) the window command says so
    in one line and exits 1, instead of Qt's abort blaming a library."""
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items()
           if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    out = subprocess.run([sys.executable, "-m", "gui"], env=env, capture_output=True, text=True,
                         timeout=60)
    assert out.returncode == 1
    assert out.stderr.count("\n") == 1 and "no display found" in out.stderr
    assert "xvfb-run" in out.stderr


def test_opening_a_fifo_shows_an_error_instead_of_freezing(qtbot, window, tmp_path):
    """Ctrl+O on a FIFO (or a device) shows the reason; the window stays responsive."""
    import os
    import time

    fifo = tmp_path / "pipe.png"
    os.mkfifo(fifo)
    started = time.perf_counter()
    window.open_image(fifo)
    assert time.perf_counter() - started < 5
    assert not window.error_label.isHidden() and "not a regular file" in window.error_label.text()


def test_saved_samples_are_learnt_and_the_toggle_compares(qtbot, tmp_path):
    """With samples saved, the window predicts with them (the toggle, enabled and counting
    them, switches back to the model alone); saving one more is learnt at once."""
    import digitrt

    store = digitrt.SampleStore(tmp_path / "samples")
    for i in range(3):
        store.save(np.fliplr(draw_digit(3, width=12 + 2 * i)).copy(), 3)
    window = show(qtbot, MainWindow("cnn", tmp_path / "samples"))
    assert window.personal is not None and window.personal_box.isEnabled()
    assert "(3)" in window.personal_box.text()
    assert window.active_recognizer() is window.personal
    window.personal_box.setChecked(False)
    assert window.active_recognizer() is window.recognizer
    window.personal_box.setChecked(True)
    draw_digit_with_mouse(qtbot, window, 7)
    QTest.keyClick(window, Qt.Key.Key_7)
    assert window.personal.profile.counts()[7] == 1 and "(4)" in window.personal_box.text()


def test_number_mode_reads_live_draws_boxes_and_saves_each_digit(qtbot, window):
    """N turns on the wide canvas; three digits drawn with the mouse read as a number while
    drawing, each with a box over its own strokes, and an underline drawn under them touching
    them changes neither; Enter saves each digit under its label,
    and a typed correction with the wrong count of digits is refused with an explanation."""
    QTest.keyClick(window, Qt.Key.Key_N)
    assert window.number_mode and window.canvas.width() > 2 * window.canvas.height()
    lefts = (60, 330, 600)
    for digit, x in zip((4, 0, 7), lefts, strict=True):
        for stroke in stroke_points(digit, box=(x, 40, 140, 200)):
            draw(qtbot, window.canvas, stroke)
    qtbot.waitUntil(lambda: window.last_reading is not None
                    and window.last_reading.text == "407", timeout=2000)
    assert window.number_label.text() == "407" and not window.bars.isVisible()
    ratio = window.canvas.image().devicePixelRatio()
    assert len(window.canvas.boxes) == 3
    for ((bx, by, bw, bh), label, _), x, digit in zip(window.canvas.boxes, lefts, (4, 0, 7),
                                                      strict=True):
        assert label.startswith(f"{digit} ")
        assert x - 20 <= bx / ratio <= x + 140 and bx / ratio + bw / ratio <= x + 160
        assert 20 <= by / ratio <= 120 and bh / ratio >= 100

    underline = [QPoint(40 + 12 * k, 246 + 4 * (k % 5 == 2)) for k in range(60)]
    before = window.last_reading
    draw(qtbot, window.canvas, underline)  # touching the digits: a rule, not ink of theirs
    qtbot.waitUntil(lambda: window.last_reading is not before, timeout=2000)
    assert window.last_reading.text == "407" and len(window.canvas.boxes) == 3
    assert all((by + bh) / ratio <= 250 for (_, by, _, bh), _, _ in window.canvas.boxes)
    window.undo_button.click()  # the underline taken back
    qtbot.waitUntil(lambda: window.last_reading.text == "407", timeout=2000)

    QTest.keyClick(window, Qt.Key.Key_1)  # a correction with one digit, for three found
    QTest.keyClick(window, Qt.Key.Key_Return)
    assert window.error_label.isVisible() and "3" in window.error_label.text()
    QTest.keyClick(window, Qt.Key.Key_Backspace)  # takes the typed digit back, not the drawing
    assert window.number_text.text() == "" and window.last_reading.text == "407"
    QTest.keyClick(window, Qt.Key.Key_Return)
    assert window.sample_counts() == [1, 0, 0, 0, 1, 0, 0, 1, 0, 0]
    for digit in (4, 0, 7):  # each file holds one digit: it reads as that digit alone
        (path,) = (window.samples_dir / str(digit)).glob("*.png")
        assert window.recognizer.predict(path).digit == digit

    QTest.keyClick(window, Qt.Key.Key_N)  # back to one digit: the square canvas, wiped
    assert not window.number_mode and window.canvas.width() == window.canvas.height()
    assert window.canvas.boxes == []


def test_not_a_digit_state_fits_the_default_window_with_all_ten_bars(qtbot, window):
    """At the default size, a scribble's "not a digit" message is shown whole (its label is as
    tall as its text needs) and all ten bars stay inside the window (8 and 9 can be clicked)."""
    star = [QPoint(140, 40), QPoint(200, 240), QPoint(60, 110), QPoint(220, 110),
            QPoint(80, 240), QPoint(140, 40)]
    draw(qtbot, window.canvas, [QPoint(round(a.x() + (b.x() - a.x()) * t / 6),
                                       round(a.y() + (b.y() - a.y()) * t / 6))
                                for a, b in itertools.pairwise(star) for t in range(6)])
    qtbot.waitUntil(lambda: window.last_prediction is not None
                    and window.last_prediction.status == "not_a_digit", timeout=2000)
    qtbot.wait(50)  # the layout settles
    verdict = window.verdict
    assert verdict.isVisible() and "Not a digit" in verdict.text()
    assert verdict.height() >= verdict.heightForWidth(verdict.width())
    bars = window.bars
    bottom = bars.mapTo(window, QPoint(0, bars.height())).y()
    assert bars.height() >= 10 * bars.ROW and bottom <= window.height()
    qtbot.mouseClick(bars, Qt.MouseButton.LeftButton, pos=QPoint(40, 9 * bars.ROW + bars.ROW // 2))
    assert window.sample_counts()[9] == 1


def test_number_mode_samples_hold_only_their_own_digits_ink(qtbot, window):
    """"35" written with the 5's bar reaching back toward the 3: the saved 3 holds no ink of
    the 5 (outside its own box only paper), and reads 3 alone."""
    QTest.keyClick(window, Qt.Key.Key_N)
    for digit, x in ((3, 60), (5, 190)):
        for stroke in stroke_points(digit, box=(x, 40, 140, 200)):
            draw(qtbot, window.canvas, stroke)
    draw(qtbot, window.canvas, [QPoint(150 + 10 * k, 42) for k in range(12)])  # the 5's long bar
    qtbot.waitUntil(lambda: window.last_reading is not None
                    and len(window.last_reading.text) == 2, timeout=2000)
    found = [d for d in window.last_reading.digits if d.status == "digit"]
    for key in (Qt.Key.Key_3, Qt.Key.Key_5):
        QTest.keyClick(window, key)
    QTest.keyClick(window, Qt.Key.Key_Return)
    (three,) = (window.samples_dir / "3").glob("*.png")
    saved = cv2.imread(str(three), cv2.IMREAD_GRAYSCALE)
    x, y, w, h = found[0].box
    m = h // 4
    inside = np.zeros(saved.shape, bool)
    inside[min(m, y): min(m, y) + h, min(m, x): min(m, x) + w] = True
    assert saved[~inside].min() >= saved[~inside].max() - 2  # paper only around the box
    assert window.recognizer.predict(three).digit == 3


def test_use_my_samples_is_unticked_while_there_are_none(qtbot, window):
    """With no samples the toggle is disabled and not ticked; after a first sample it is both
    enabled and ticked."""
    box = window.personal_box
    assert not box.isEnabled() and not box.isChecked() and "(0)" in box.text()
    draw_digit_with_mouse(qtbot, window, 4)
    QTest.keyClick(window, Qt.Key.Key_4)
    assert box.isEnabled() and box.isChecked() and "(1)" in box.text()


def test_a_samples_folder_that_does_not_exist_is_refused(tmp_path):
    """`python -m gui --samples MISSING`: one line saying so, exit 2 (not silently accepted)."""
    import subprocess
    import sys

    out = subprocess.run([sys.executable, "-m", "gui", "--samples", str(tmp_path / "missing")],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 2 and "does not exist" in out.stderr


def test_samples_adapt_skips_are_said_in_the_status_bar(qtbot, tmp_path):
    """A samples folder holding an unreadable file: the window still learns the good samples and
    says in its status bar what it skipped, as the CLI prints it (no warning swallowed)."""
    import cv2

    from training.strokes import draw_digit

    folder = tmp_path / "samples" / "3"
    folder.mkdir(parents=True)
    cv2.imwrite(str(folder / "good.png"), draw_digit(3))
    (folder / "bad.png").write_bytes(b"not a png at all")
    window = show(qtbot, MainWindow("cnn", tmp_path / "samples"))
    assert window.personal is not None
    message = window.statusBar().currentMessage()
    assert "skipped 1" in message and "unreadable" in message, message


def test_a_model_that_cannot_load_is_said_with_the_one_used_instead(qtbot, tmp_path):
    """Asked for a model file that is not a model, the window shows the ModelError and names
    the bundled model it uses instead (no silent fallback), and still predicts."""
    bad = tmp_path / "broken.onnx"
    bad.write_bytes(b"not an onnx file")
    window = show(qtbot, MainWindow(str(bad), tmp_path / "samples"))
    text = window.error_label.text()
    assert window.error_label.isVisible() and "broken.onnx" in text and "instead" in text, text
    assert window.recognizer is not None
    draw_digit_with_mouse(qtbot, window, 7)
    assert window.last_prediction is not None and window.last_prediction.digit == 7
