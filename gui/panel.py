"""The result panel: the digit, its verdict, probability bars and the 28x28 image the model saw;
in number mode the number read and its correction."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from PyQt6.QtCore import QRectF, QSize, Qt, pyqtSignal
from PyQt6.QtGui import QColor, QFont, QImage, QMouseEvent, QPainter, QPaintEvent, QPixmap
from PyQt6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from digitrt import MNIST_SIZE

ACCENT = QColor(37, 99, 235)
BAR = QColor(203, 213, 225)
TEXT = QColor(30, 41, 59)
MUTED = QColor(100, 116, 139)


class ProbabilityBars(QWidget):
    """Ten horizontal bars, one per digit; the winner is highlighted. Clicking a bar emits
    `digitClicked` (the window saves the drawing as a sample of that digit)."""

    digitClicked = pyqtSignal(int)
    ROW = 22

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.probabilities = np.zeros(10, np.float32)
        self.winner: int | None = None
        self.counts = [0] * 10
        self.setMinimumSize(QSize(220, 10 * self.ROW))
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setToolTip("Click a digit (or press its key) to save your drawing as that digit")

    def show_probabilities(self, probabilities: npt.NDArray[np.float32], winner: int | None) -> None:
        self.probabilities, self.winner = probabilities, winner
        self.update()

    def show_counts(self, counts: list[int]) -> None:
        self.counts = counts
        self.update()

    def mousePressEvent(self, event: QMouseEvent | None) -> None:
        if event is not None:
            row = int(event.position().y() // self.ROW)
            if 0 <= row <= 9:
                self.digitClicked.emit(row)

    def paintEvent(self, event: QPaintEvent | None) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        font = QFont(self.font())
        label_width, value_width, count_width = 18, 54, 34
        track = self.width() - label_width - value_width - count_width - 12
        for digit in range(10):
            y = digit * self.ROW
            p = float(self.probabilities[digit])
            is_winner = digit == self.winner
            font.setBold(is_winner)
            painter.setFont(font)
            painter.setPen(ACCENT if is_winner else TEXT)
            painter.drawText(QRectF(0, y, label_width, self.ROW),
                             Qt.AlignmentFlag.AlignVCenter, str(digit))
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(QColor(241, 245, 249))
            bar = QRectF(label_width, y + 5, track, self.ROW - 10)
            painter.drawRoundedRect(bar, 4, 4)
            if p > 0:
                painter.setBrush(ACCENT if is_winner else BAR)
                painter.drawRoundedRect(QRectF(bar.x(), bar.y(), max(4.0, track * p),
                                               bar.height()), 4, 4)
            painter.setPen(ACCENT if is_winner else MUTED)
            painter.drawText(QRectF(label_width + track + 4, y, value_width, self.ROW),
                             Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignRight,
                             f"{p:.1%}" if self.winner is not None else "")
            font.setBold(False)
            painter.setFont(font)
            painter.setPen(MUTED)
            painter.drawText(QRectF(self.width() - count_width, y, count_width, self.ROW),
                             Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignRight,
                             f"×{self.counts[digit]}" if self.counts[digit] else "")


class ModelInput(QLabel):
    """The 28x28 image the model saw, enlarged with nearest-neighbour pixels."""

    SCALE = 4

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setFixedSize(MNIST_SIZE * self.SCALE + 2, MNIST_SIZE * self.SCALE + 2)
        self.setStyleSheet("background: black; border: 1px solid #cbd5e1;")
        self.setToolTip("What the model sees: your drawing in MNIST's 28×28 convention")
        self.show_image(np.zeros((MNIST_SIZE, MNIST_SIZE), np.float32))

    def show_image(self, image: npt.NDArray[np.float32]) -> None:
        pixels = np.ascontiguousarray(np.clip(image * 255 + 0.5, 0, 255).astype(np.uint8))
        n = MNIST_SIZE
        qimage = QImage(pixels.data, n, n, n, QImage.Format.Format_Grayscale8).copy()
        side = MNIST_SIZE * self.SCALE
        self.setPixmap(QPixmap.fromImage(qimage).scaled(
            side, side, Qt.AspectRatioMode.IgnoreAspectRatio,
            Qt.TransformationMode.FastTransformation))


class ResultPanel(QWidget):
    """The window's right-hand panel. One-digit mode (`digit_panel`): the digit, the model's
    input, a verdict with room for two lines (every message fits, the bars stay in place) and
    the ten bars. Number mode (`number_panel`): the number read, its verdict, a field to correct
    it and "Save each digit". `error_label` shows what went wrong. The window fills them in."""

    WIDTH = 360

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("panel")
        # a QWidget subclass paints the style sheet's background only when asked to
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.digit_label = QLabel("–")
        self.digit_label.setObjectName("digit")
        self.digit_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.digit_label.setFixedWidth(110)
        self.verdict = QLabel()
        self.verdict.setObjectName("verdict")
        self.verdict.setWordWrap(True)
        self.model_input = ModelInput()
        self.bars = ProbabilityBars()
        self.error_label = QLabel()
        self.error_label.setObjectName("error")
        self.error_label.setWordWrap(True)
        self.error_label.hide()
        self.digit_panel = self._digit_panel()
        self.number_panel = self._number_panel()
        self.number_panel.hide()
        right = QVBoxLayout(self)
        right.setContentsMargins(16, 12, 16, 12)
        right.addWidget(self.digit_panel)
        right.addWidget(self.number_panel)
        right.addWidget(self.error_label)
        self.setFixedWidth(self.WIDTH)

    def _digit_panel(self) -> QWidget:
        head = QHBoxLayout()
        head.addWidget(self.digit_label)
        head.addStretch(1)
        seen = QVBoxLayout()
        caption = QLabel("model sees")
        caption.setObjectName("hint")
        caption.setAlignment(Qt.AlignmentFlag.AlignCenter)
        seen.addWidget(self.model_input)
        seen.addWidget(caption)
        head.addLayout(seen)
        panel = QWidget()
        box = QVBoxLayout(panel)
        box.setContentsMargins(0, 0, 0, 0)
        box.addLayout(head)
        self.verdict.setMinimumHeight(2 * self.verdict.fontMetrics().lineSpacing() + 6)
        box.addWidget(self.verdict)
        box.addWidget(self.bars)
        return panel

    def _number_panel(self) -> QWidget:
        self.number_label = QLabel("–")  # the number read, its confidence
        self.number_label.setObjectName("number")
        self.number_verdict = QLabel()
        self.number_verdict.setObjectName("verdict")
        self.number_verdict.setWordWrap(True)
        self.number_text = QLineEdit()  # the number as written, typed to correct the reading
        self.number_text.setPlaceholderText("type the number if it reads wrong")
        self.number_text.setReadOnly(True)  # the window takes the keys (see keyPressEvent)
        self.save_number_button = QPushButton("Save each digit")
        panel = QWidget()
        box = QVBoxLayout(panel)
        box.setContentsMargins(0, 0, 0, 0)
        box.addWidget(self.number_label)
        box.addWidget(self.number_verdict)
        row = QHBoxLayout()
        row.addWidget(self.number_text, 1)
        row.addWidget(self.save_number_button)
        box.addLayout(row)
        box.addStretch(1)  # the number, its verdict and the field together, at the top
        return panel
