"""The main window: owns the Recognizer, the throttle timer, the result panel and the samples."""

from __future__ import annotations

import time
import warnings
from pathlib import Path

import numpy as np
from PyQt6.QtCore import QBuffer, QIODevice, QStandardPaths, Qt, QTimer
from PyQt6.QtGui import (
    QAction,
    QColor,
    QDragEnterEvent,
    QDropEvent,
    QImage,
    QKeyEvent,
    QKeySequence,
)
from PyQt6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QPushButton,
    QSlider,
    QVBoxLayout,
    QWidget,
)

import digitrt
from digitrt import IMAGE_SUFFIXES, MNIST_SIZE

from .canvas import CANVAS_SIZE, MAX_PEN, MIN_PEN, NUMBER_WIDTH, DigitCanvas
from .panel import ResultPanel

THROTTLE_MS = 40  # at most one live prediction per 40 ms while drawing (25 per second)
IMAGE_FILTER = f"Images ({' '.join('*' + s for s in IMAGE_SUFFIXES)})"
BUNDLED = {spec.name: spec.label for spec in digitrt.list_models()}
DEFAULT_MODEL = next(iter(BUNDLED))  # list_models() puts the default first

STYLE = """
QMainWindow, QWidget#root { background: #f8fafc; }
QLabel { color: #1e293b; }
QLabel#digit { font-size: 84px; font-weight: 600; color: #2563eb; }
QLabel#number { font-size: 40px; font-weight: 600; color: #2563eb; }
QLabel#verdict { font-size: 15px; color: #334155; }
QLabel#hint { color: #64748b; }
QLabel#error { color: #b91c1c; background: #fee2e2; border-radius: 6px; padding: 6px; }
QWidget#panel { background: white; border: 1px solid #e2e8f0; border-radius: 12px; }
QPushButton { padding: 5px 12px; border: 1px solid #cbd5e1; border-radius: 6px; background: white; }
QPushButton:hover { background: #eff6ff; border-color: #93c5fd; }
QPushButton:disabled { color: #94a3b8; }
QComboBox { padding: 4px 8px; }
"""


BOX_COLOURS = {"digit": QColor("#2563eb"), "unsure": QColor("#b45309"),
               "not_a_digit": QColor("#94a3b8")}


def default_samples_dir() -> Path:
    """The platform's app-data folder for digitrt, plus `samples`."""
    base = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.AppDataLocation)
    return Path(base or Path.home() / ".digitrt") / "samples"


class MainWindow(QMainWindow):
    """Draw a digit, see the prediction live, save labelled samples of your handwriting."""

    def __init__(self, model: str | None = None, samples_dir: Path | None = None) -> None:
        super().__init__()
        self.setWindowTitle("digitrt — draw a digit")
        self.setAcceptDrops(True)
        self.setStyleSheet(STYLE)
        self.samples_dir = samples_dir or default_samples_dir()
        self.samples = digitrt.SampleStore(self.samples_dir)
        self._last_saved: tuple[int, bytes, Path] | None = None
        self.prediction_count = 0
        self.last_prediction: digitrt.Prediction | None = None
        self.last_reading: digitrt.Reading | None = None
        self.number_mode = False
        self.last_latency_us = 0.0

        self.recognizers: dict[str, digitrt.Recognizer] = {}
        self.recognizer = self._load_model(model or DEFAULT_MODEL)
        self.personal: digitrt.Recognizer | None = None  # the recognizer adapted to the samples

        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.setInterval(THROTTLE_MS)
        self.timer.timeout.connect(self.predict_now)

        self._build()
        self._adapt_to_samples()
        self._refresh_counts()
        self.show_prediction(None)
        if self._model_error:
            self.show_error(self._model_error)

    # ------------------------------------------------------------ layout
    def _build(self) -> None:
        """The window: controls and canvas on the left, the result panel on the right, the
        status bar and the keyboard shortcuts."""
        self.canvas = DigitCanvas()
        self.canvas.changed.connect(self._drawing_changed)
        self.canvas.strokeFinished.connect(self.predict_now)
        self.panel = ResultPanel()
        self.panel.bars.digitClicked.connect(self.save_sample)
        self.panel.save_number_button.clicked.connect(self.save_number)
        # the panel's widgets, by the names the rest of the window uses
        self.digit_label, self.verdict = self.panel.digit_label, self.panel.verdict
        self.model_input, self.bars = self.panel.model_input, self.panel.bars
        self.error_label, self.number_label = self.panel.error_label, self.panel.number_label
        self.number_verdict, self.number_text = self.panel.number_verdict, self.panel.number_text
        self.save_number_button = self.panel.save_number_button
        self.digit_panel, self.number_panel = self.panel.digit_panel, self.panel.number_panel
        root = QWidget()
        root.setObjectName("root")
        layout = QHBoxLayout(root)
        layout.setContentsMargins(14, 14, 14, 14)
        layout.setSpacing(14)
        layout.addLayout(self._build_left())
        layout.addWidget(self.panel, 0, Qt.AlignmentFlag.AlignTop)
        self.setCentralWidget(root)
        self._build_status_bar()
        self._build_keys()
        self._update_status()
        self._show_hint()

    def _build_controls(self) -> QHBoxLayout:
        """The row above the canvas: model, "Use my samples", number mode, open an image."""
        self.model_box = QComboBox()
        for name in self.recognizers:
            self.model_box.addItem(self._model_label(name), name)
        self.model_box.setCurrentIndex(max(0, self.model_box.findData(self.current_model)))
        self.model_box.currentIndexChanged.connect(
            lambda _: self.switch_model(self.model_box.currentData())
        )
        self.personal_box = QCheckBox("Use my samples")
        self.personal_box.setChecked(True)
        self.personal_box.setToolTip("Predict with your saved samples (untick to compare with "
                                     "the model alone)")
        self.personal_box.toggled.connect(lambda _: self.predict_now())
        self.number_box = QCheckBox("Number")
        self.number_box.setToolTip("Write a whole number on a wide canvas (N)")
        self.number_box.toggled.connect(self.set_number_mode)
        self.open_button = QPushButton("Open image…")
        self.open_button.clicked.connect(self.open_dialog)
        top = QHBoxLayout()
        top.addWidget(QLabel("Model"))
        top.addWidget(self.model_box, 1)
        for widget in (self.personal_box, self.number_box, self.open_button):
            top.addWidget(widget)
        return top

    def _build_tools(self) -> QHBoxLayout:
        """The row under the canvas: undo, clear, the pen width."""
        self.undo_button = QPushButton("Undo")
        self.undo_button.clicked.connect(self.undo)
        self.clear_button = QPushButton("Clear")
        self.clear_button.clicked.connect(self.clear)
        self.pen_slider = QSlider(Qt.Orientation.Horizontal)
        self.pen_slider.setRange(MIN_PEN, MAX_PEN)
        self.pen_slider.setValue(self.canvas.pen_width)
        self.pen_slider.setToolTip("Pen width ([ and ] keys)")
        self.pen_slider.valueChanged.connect(self.canvas.set_pen_width)
        self.pen_label = QLabel()
        self.pen_slider.valueChanged.connect(lambda v: self.pen_label.setText(f"pen {v}px"))
        self.pen_label.setText(f"pen {self.canvas.pen_width}px")
        tools = QHBoxLayout()
        tools.addWidget(self.undo_button)
        tools.addWidget(self.clear_button)
        tools.addWidget(self.pen_slider, 1)
        tools.addWidget(self.pen_label)
        return tools

    def _build_left(self) -> QVBoxLayout:
        """Controls, canvas, tools and the hint, top to bottom."""
        left = QVBoxLayout()
        left.addLayout(self._build_controls())
        left.addWidget(self.canvas)
        left.addLayout(self._build_tools())
        self.hint = QLabel()
        self.hint.setObjectName("hint")
        self.hint.setWordWrap(True)
        left.addWidget(self.hint)
        left.addStretch(1)
        return left

    def _build_status_bar(self) -> None:
        self.status_text = QLabel()
        self.status_samples = QLabel()
        status = self.statusBar()
        if status is not None:
            status.addWidget(self.status_text, 1)
            status.addPermanentWidget(self.status_samples)

    def _build_keys(self) -> None:
        """Shortcuts; and no child takes the keyboard focus, so digit, [ ], Esc and Delete keys
        always reach keyPressEvent (a focused combo box would swallow digits for its search)."""
        for keys, slot in (
            (QKeySequence.StandardKey.Undo, self.undo),
            (QKeySequence.StandardKey.Open, self.open_dialog),
            (QKeySequence("Ctrl+Q"), self.close),
        ):
            action = QAction(self)
            action.setShortcut(keys)
            action.triggered.connect(slot)
            self.addAction(action)
        for widget in (self.model_box, self.open_button, self.undo_button, self.clear_button,
                       self.pen_slider, self.personal_box, self.number_box, self.number_text,
                       self.save_number_button):
            widget.setFocusPolicy(Qt.FocusPolicy.NoFocus)

    def set_number_mode(self, on: bool) -> None:
        """A wide canvas read as a whole number (Recognizer.read), or the square one-digit
        canvas. Switching wipes the drawing."""
        self.number_mode = on
        if self.number_box.isChecked() != on:
            self.number_box.setChecked(on)
        self.canvas.set_paper_width(NUMBER_WIDTH if on else CANVAS_SIZE)
        self.number_text.clear()
        self.number_panel.setVisible(on)
        self.digit_panel.setVisible(not on)
        self.setWindowTitle("digitrt — write a number" if on else "digitrt — draw a digit")
        self._show_hint()
        self.adjustSize()
        self.predict_now()

    def _show_hint(self) -> None:
        self.hint.setText(
            "Write a number. Type it (0–9, Backspace) if it reads wrong, then press Enter to save "
            "each digit as a sample. N: back to one digit." if self.number_mode else
            "Press 0–9 or click a bar to save your drawing as that digit. N: write a number.")

    # ------------------------------------------------------------ models
    def _model_label(self, name: str) -> str:
        return BUNDLED.get(name, Path(name).name)

    def _load_model(self, model: str) -> digitrt.Recognizer | None:
        """Every bundled model and `model`; the window uses `model`, or says which one it uses
        instead when `model` cannot be loaded (never silently)."""
        names = [*BUNDLED, *([model] if model not in BUNDLED else [])]
        errors: dict[str, str] = {}
        for name in names:
            try:
                self.recognizers[name] = digitrt.Recognizer(name)
            except digitrt.DigitrtError as e:
                errors[name] = str(e)
        chosen = self.recognizers.get(model)
        self.current_model = model if chosen is not None else next(iter(self.recognizers), "")
        self._model_error = ""
        if chosen is None:
            instead = (f"; using {self._model_label(self.current_model)} instead"
                       if self.recognizers else "; no model could be loaded")
            self._model_error = f"{errors.get(model, model)}{instead}"
        return chosen or next(iter(self.recognizers.values()), None)

    def switch_model(self, name: str) -> None:
        """Use another model and re-predict the current drawing."""
        if name not in self.recognizers:
            return
        self.current_model = name
        self.recognizer = self.recognizers[name]
        self._adapt_to_samples()
        index = self.model_box.findData(name)
        if index != self.model_box.currentIndex():
            self.model_box.setCurrentIndex(index)
        self._update_status()
        self.predict_now()

    def _adapt_to_samples(self) -> None:
        """Learn the saved samples (well under a second for hundreds of them)."""
        self.personal = None
        if self.recognizer is not None and any(self.samples.counts()):
            self.personal = self._adapted(self.recognizer, self.samples)

    def active_recognizer(self) -> digitrt.Recognizer | None:
        """The recognizer predictions use: the personal one when ticked and available."""
        if self.personal is not None and self.personal_box.isChecked():
            return self.personal
        return self.recognizer

    # ------------------------------------------------------------ prediction
    def _drawing_changed(self) -> None:
        self.hide_error()
        if not self.timer.isActive():
            self.timer.start()

    def predict_now(self) -> None:
        """Predict the canvas now (the timer's target; also called on release)."""
        self.timer.stop()
        recognizer = self.active_recognizer()
        if recognizer is None:
            return
        started = time.perf_counter()
        try:
            if self.number_mode:
                reading = recognizer.read(self.canvas.array())
            else:
                prediction = recognizer.predict(self.canvas.array())
        except digitrt.DigitrtError as e:
            self.show_error(str(e))
            return
        self.last_latency_us = (time.perf_counter() - started) * 1e6
        self.prediction_count += 1
        if self.number_mode:
            self.show_reading(reading)
        else:
            self.show_prediction(prediction)

    def show_reading(self, reading: digitrt.Reading) -> None:
        """The number read, and each digit's box on the canvas with its value and confidence
        (unsure digits in amber, rejected marks in grey)."""
        self.last_reading = reading
        self.undo_button.setEnabled(self.canvas.can_undo())
        self.number_label.setText(reading.text or "–")
        self.number_label.setStyleSheet("" if reading.text else "color: #cbd5e1;")
        boxes = []
        for d in reading.digits:
            if d.status != "digit":
                boxes.append((d.box, "not a digit", BOX_COLOURS["not_a_digit"]))
            else:
                boxes.append((d.box, f"{d.digit}  {d.confidence:.0%}",
                               BOX_COLOURS["unsure" if d.unsure else "digit"]))
        self.canvas.set_boxes(boxes)
        if not reading.digits:
            self.number_verdict.setText("Write a number on the grey canvas.")
        else:
            self.number_verdict.setText(
                f"{len(reading.text)} digit{'' if len(reading.text) == 1 else 's'}, "
                f"{reading.confidence:.1%} confidence for the whole number")
        self._update_status()

    def show_prediction(self, p: digitrt.Prediction | None) -> None:
        self.last_prediction = p
        self.canvas.set_boxes([])
        self.undo_button.setEnabled(self.canvas.can_undo())
        blank = p is None or p.status == "blank"
        self.digit_label.setStyleSheet("color: #cbd5e1;" if blank else "")
        if blank:
            self.digit_label.setText("–")
            self.verdict.setText("Draw a digit on the grey canvas.")
            self.bars.show_probabilities(np.zeros(10, np.float32), None)
            self.model_input.show_image(np.zeros((MNIST_SIZE, MNIST_SIZE), np.float32))
        elif p is not None and p.status == "not_a_digit":
            self.digit_label.setText("?")
            self.digit_label.setStyleSheet("color: #b45309;")
            self.verdict.setText(
                f"Not a digit ({p.not_a_digit_score:.0%} sure; best guess <b>{p.best_guess}</b>). "
                "Press a digit's key to teach me.")
            self.bars.show_probabilities(p.probabilities, None)
            self.model_input.show_image(p.image)
        elif p is not None:
            self.digit_label.setText(str(p.digit))
            if not p.unsure:
                # The same rounding as the bars, so the two never disagree (99.6 %, not 100 %).
                self.verdict.setText(f"<b>{p.digit}</b> with {p.confidence:.1%} confidence")
            else:
                (a, pa), (b, pb) = p.top(2)
                self.verdict.setText(
                    f"Not sure: <b>{a}</b> ({pa:.1%}) or <b>{b}</b> ({pb:.1%})?"
                )
            self.bars.show_probabilities(p.probabilities, p.digit)
            self.model_input.show_image(p.image)
        self._update_status()

    # ------------------------------------------------------------ editing
    def clear(self) -> None:
        self.canvas.clear()
        self.number_text.clear()
        bar = self.statusBar()
        if bar is not None:
            bar.clearMessage()  # "Saved as ..." belongs to the drawing just cleared
        self.predict_now()

    def undo(self) -> None:
        self.canvas.undo()
        self.predict_now()

    def keyPressEvent(self, event: QKeyEvent | None) -> None:
        if event is None:
            return
        key, text = event.key(), event.text()
        plain = not event.modifiers() & (Qt.KeyboardModifier.ControlModifier
                                         | Qt.KeyboardModifier.AltModifier)
        if text.lower() == "n" and plain:
            self.set_number_mode(not self.number_mode)
        elif self.number_mode and plain and len(text) == 1 and text.isdigit():
            self.number_text.setText(self.number_text.text() + text)  # the number as written
        elif self.number_mode and key == Qt.Key.Key_Backspace and self.number_text.text():
            self.number_text.setText(self.number_text.text()[:-1])
        elif self.number_mode and key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self.save_number()
        elif key in (Qt.Key.Key_Escape, Qt.Key.Key_Delete, Qt.Key.Key_Backspace):
            self.clear()
        elif text in ("[", "]"):
            self.pen_slider.setValue(self.canvas.pen_width + (-2 if text == "[" else 2))
        elif len(text) == 1 and text.isdigit() and plain:
            self.save_sample(int(text))
        else:
            super().keyPressEvent(event)

    # ------------------------------------------------------------ files
    def open_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open an image of a digit", "", IMAGE_FILTER)
        if path:
            self.open_image(Path(path))

    def open_image(self, path: Path) -> None:
        """Show an image file on the canvas and predict it (errors are shown, not raised)."""
        recognizer = self.active_recognizer()
        if recognizer is None:
            return
        try:
            prediction = recognizer.predict(path)
        except digitrt.ImageError as e:
            self.show_error(str(e))
            return
        image = QImage(str(path))
        if not image.isNull():
            self.canvas.load_image(image)
        self.hide_error()
        self.prediction_count += 1
        self.show_prediction(prediction)

    def dragEnterEvent(self, event: QDragEnterEvent | None) -> None:
        if event is not None and event.mimeData() and event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent | None) -> None:
        if event is None or not event.mimeData():
            return
        for url in event.mimeData().urls():
            if url.isLocalFile():
                self.open_image(Path(url.toLocalFile()))
                break

    # ------------------------------------------------------------ samples
    def save_sample(self, digit: int) -> Path | None:
        """Save the canvas as SAMPLES/<digit>/<time>.png, never overwriting a file."""
        if self.last_prediction is None or self.last_prediction.status == "blank":
            self.show_error("Nothing to save: draw a digit first.")
            return None
        buffer = QBuffer()
        buffer.open(QIODevice.OpenModeFlag.WriteOnly)
        self.canvas.image().save(buffer, "PNG")
        data = bytes(buffer.data())
        bar = self.statusBar()
        if self._last_saved is not None and self._last_saved[:2] == (digit, data):
            if bar is not None:  # the same drawing, the same digit: a second copy adds nothing
                bar.showMessage(f"Already saved as a {digit}: {self._last_saved[2]}", 4000)
            return self._last_saved[2]
        try:
            path = self.samples.save(data, digit)
        except digitrt.DigitrtError as e:
            self.show_error(f"Could not save the sample: {e}")
            return None
        self._last_saved = (digit, data, path)
        self._learn([(self.canvas.array(), digit)])
        self.hide_error()
        self._refresh_counts()
        if bar is not None:
            bar.showMessage(f"Saved as a {digit}: {path}", 4000)
        return path

    def save_number(self) -> list[Path]:
        """Save each digit of the number on the canvas as a sample of its digit: the digits typed
        (when the reading was wrong) or else the digits read. Returns the files written."""
        reading = self.last_reading
        found = [d for d in reading.digits if d.status == "digit"] if reading else []
        labels = self.number_text.text() or (reading.text if reading else "")
        if not found:
            self.show_error("Nothing to save: write a number first.")
            return []
        if len(labels) != len(found):
            self.show_error(f"You typed {len(labels)} digits ({labels}) but the canvas holds "
                            f"{len(found)}: write them further apart, or type all {len(found)}.")
            return []
        image = self.canvas.array()
        pairs = [(d.crop(image), int(label)) for d, label in zip(found, labels, strict=True)]
        paths = []
        try:
            for crop, digit in pairs:
                paths.append(self.samples.save(crop, digit))
        except digitrt.DigitrtError as e:
            self.show_error(f"Could not save the samples: {e}")
            return paths
        self._learn(pairs)
        self.hide_error()
        self._refresh_counts()
        self.number_text.clear()
        bar = self.statusBar()
        if bar is not None:
            bar.showMessage(f"Saved {len(paths)} samples ({labels}) in {self.samples_dir}", 4000)
        return paths

    def _learn(self, pairs: list[tuple[np.ndarray, int]]) -> None:
        """Add drawings just saved to the personal recognizer at once."""
        base = self.personal or self.recognizer
        if base is not None:
            self.personal = self._adapted(base, pairs) or self.personal

    def _adapted(self, base: digitrt.Recognizer,
                 samples: digitrt.SampleStore | list[tuple[np.ndarray, int]]
                 ) -> digitrt.Recognizer | None:
        """base.adapt(samples), or None when the model cannot adapt (no embedding output).
        What adapt skipped (unreadable files, blank drawings) is said in the status bar, as the
        CLI prints it."""
        try:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                adapted = base.adapt(samples)
        except digitrt.DigitrtError:
            return None
        bar = self.statusBar()
        if caught and bar is not None:
            bar.showMessage(f"Your samples: {caught[0].message}", 10000)
        return adapted

    def sample_counts(self) -> list[int]:
        return self.samples.counts()

    def _refresh_counts(self) -> None:
        counts = self.sample_counts()
        self.bars.show_counts(counts)
        total = sum(counts)
        self.status_samples.setText(f"{total} sample{'' if total == 1 else 's'} in {self.samples_dir}")
        self.personal_box.setText(f"Use my samples ({total})")
        usable = self.personal is not None
        if usable != self.personal_box.isEnabled():  # ticked exactly when it can be used
            self.personal_box.blockSignals(True)
            self.personal_box.setChecked(usable)
            self.personal_box.blockSignals(False)
        self.personal_box.setEnabled(usable)

    # ------------------------------------------------------------ messages
    def show_error(self, message: str) -> None:
        self.error_label.setText(message)
        self.error_label.show()

    def hide_error(self) -> None:
        self.error_label.hide()

    def _update_status(self) -> None:
        model = self._model_label(self.current_model) if self.recognizer else "no model"
        what = "reading" if self.number_mode else "prediction"
        latency = f"  ·  last {what} {self.last_latency_us:.0f} µs" if self.prediction_count else ""
        self.status_text.setText(model + latency)
